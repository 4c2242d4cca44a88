"""What ``import appflags`` loads: a pinned list, so that a heavy import cannot creep in.

boto3/botocore load when an AppConfigData source is built, the schema validator when a
document is validated, structlog when the first event is logged, the formats and their
rule compilers when the first document is compiled. Each check runs in a fresh
interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

# Every appflags module `import appflags` may load. Adding one here is a decision: check
# what it imports with `python -X importtime -c "import appflags"` first.
ALLOWED_APPFLAGS = {
    "appflags",
    "appflags._backup",
    "appflags._bootstrap",
    "appflags._checks",
    "appflags._clock",
    "appflags._errors",
    "appflags._evaluation",
    "appflags._gc_pause",
    "appflags._flags",
    "appflags._log",
    "appflags._lookups",
    "appflags._overrides",
    "appflags._poller",
    "appflags._resources",
    "appflags._snapshot",
    "appflags._state",
    "appflags._usage",
    "appflags._version",
    "appflags.formats",
    "appflags.formats._base",
    "appflags.formats._schemas",
    "appflags.sources",
    "appflags.sources._agent_variants",
    "appflags.sources._base",
    "appflags.sources.agent",
    "appflags.sources.appconfigdata",
    "appflags.sources.file",
}
# Packages outside the standard library `import appflags` may load (tiny ones only).
ALLOWED_THIRD_PARTY = {"cachetools"}
# Standard-library packages that cost milliseconds and are only needed later.
HEAVY_STDLIB = {
    "asyncio",
    "concurrent",
    "email",
    "http",
    "logging",
    "shutil",
    "ssl",
    "subprocess",
    "tempfile",
    "zipfile",
}
LATER = ("boto3", "botocore", "jsonschema", "jsonschema_rs", "structlog", "dateutil", "yaml")
ROOT = Path(__file__).resolve().parents[1]


def loaded_by(code: str) -> dict[str, list[str]]:
    """Modules loaded by ``import appflags`` then ``code``, in a fresh interpreter."""
    script = textwrap.dedent(
        f"""
        import json, sys
        before = set(sys.modules)
        import appflags
        at_import = sorted(set(sys.modules) - before)
        {code}
        after = sorted(set(sys.modules) - before)
        print(json.dumps({{"import": at_import, "after": after}}))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded: dict[str, list[str]] = json.loads(run.stdout.splitlines()[-1])
    return loaded


def top(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_appflags_loads_only_the_pinned_modules() -> None:
    loaded = loaded_by("pass")["import"]
    ours = {m for m in loaded if m.split(".")[0] == "appflags"}
    assert ours <= ALLOWED_APPFLAGS, f"new at import: {sorted(ours - ALLOWED_APPFLAGS)}"
    others = top(loaded) - {"appflags"} - set(sys.stdlib_module_names)
    assert others <= ALLOWED_THIRD_PARTY, f"third-party at import: {sorted(others)}"
    assert not top(loaded) & HEAVY_STDLIB
    assert not top(loaded) & set(LATER)


def test_from_dict_and_from_file_never_load_boto3_or_structlog() -> None:
    loaded = loaded_by(
        """
        flags = appflags.Flags.from_dict({"beta": {"enabled": True}})
        assert flags.is_enabled("beta")
        flags = appflags.Flags.from_file("examples/flags.json")
        assert flags.is_enabled("new-checkout")
        """
    )
    after = top(loaded["after"])
    assert not after & {"boto3", "botocore", "structlog", "s3transfer", "urllib3"}
    # The document was validated: the compiled validator loaded (the reference only
    # where it is not installed).
    assert after & {"jsonschema_rs", "jsonschema"}


def test_boto3_loads_when_an_appconfigdata_source_is_built() -> None:
    loaded = loaded_by(
        """
        assert "boto3" not in sys.modules
        from appflags.sources import AppConfigDataSource
        AppConfigDataSource("app", "env", "profile", region_name="us-east-1")
        """
    )
    assert {"boto3", "botocore"} <= top(loaded["after"])
