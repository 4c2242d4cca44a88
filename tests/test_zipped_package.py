"""appflags imported from a zip archive (a zipapp, a wheel put on ``sys.path``): the
project's schemas are read through importlib.resources, there being no package directory
to read them from, and every format validates and loads as installed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import appflags

PACKAGE = Path(appflags.__file__).resolve().parent
REPOSITORY = PACKAGE.parents[1]


def zipped(into: Path) -> Path:
    """The package laid out as the wheel lays it out (pyproject.toml's force-include)."""
    archive = into / "appflags.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in PACKAGE.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                out.write(path, f"appflags/{path.relative_to(PACKAGE).as_posix()}")
        for path in (REPOSITORY / "schemas").rglob("*.json"):
            out.write(path, f"appflags/schemas/{path.relative_to(REPOSITORY / 'schemas')}")
        out.write(REPOSITORY / "examples" / "flags.json", "appflags/_data/flags.json")
    return archive


CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import appflags
from appflags import Flags, SchemaError
assert appflags.__file__.startswith(sys.argv[1]), appflags.__file__
out = {}
docs = {
    "appconfig": {"beta": {"enabled": True}},
    "stored": {"version": "1", "flags": {"beta": {"name": "Beta"}},
               "values": {"beta": {"enabled": True}}},
    "powertools": {"beta": {"default": True}},
    "flagd": {"flags": {"beta": {"state": "ENABLED", "variants": {"on": True},
                                 "defaultVariant": "on"}}},
}
for name, doc in docs.items():
    out[name] = Flags.from_dict(doc).is_enabled("beta")
for name, doc in {"appconfig": {"beta": {"enabled": 1}},
                  "flagd": {"flags": {"beta": {"state": "ON", "variants": {"on": True},
                                               "defaultVariant": "on"}}}}.items():
    try:
        Flags.from_dict(doc)
    except SchemaError as exc:
        out["invalid " + name] = [p.path for p in exc.problems]
print(json.dumps(out))
"""


def test_every_format_validates_and_loads_from_a_zipped_package(tmp_path: Path) -> None:
    archive = zipped(tmp_path)  # no repository copy of the schemas beside it either
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHECK), str(archive)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == {
        "appconfig": True,
        "stored": True,
        "powertools": True,
        "flagd": True,
        "invalid appconfig": ["$.beta.enabled"],
        "invalid flagd": ["$.flags.beta.state"],
    }
