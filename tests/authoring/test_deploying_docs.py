"""docs/deploying.md runs as written: its ``console`` and ``bash`` blocks in a shell, in
page order, against a local AppConfig (the ``appflags`` console script, pointed at it with
``AWS_ENDPOINT_URL_APPCONFIG``), after each ``<!-- file: NAME -->`` block is written out.

A command's exit code is 0 unless the line ends with ``# exit N``. Every diff line a
``console`` block shows (``+``, ``-``, ``~`` and the changes under them) must be printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    import pytest

PAGE = Path(__file__).parents[2] / "docs" / "deploying.md"
BLOCK = re.compile(
    r"(?:<!-- (?P<marker>[^>]*) -->\n)?(?P<indent>[ ]*)```(?P<kind>\w+)\n(?P<body>.*?)\n[ ]*```",
    re.S,
)
BASH = shutil.which("bash") or "/bin/bash"
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def blocks() -> list[tuple[str, str, str]]:
    """``(marker, kind, body)`` of every fenced block, in page order (list items' blocks
    dedented)."""
    return [
        (m["marker"] or "", m["kind"], textwrap.dedent(m["body"]))
        for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))
    ]


def test_every_command_on_the_page_runs_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = 0
    # Deployments pass 300 times faster: the canary's 30 minutes take 6 s.
    with LocalAppConfig(time_scale=300) as server:
        control = server.client("appconfig")
        app = control.create_application(Name="shop")["Id"]
        control.create_environment(ApplicationId=app, Name="prod")
        control.create_configuration_profile(
            ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIG", server.endpoint_url)
        monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        for marker, kind, body in blocks():
            if marker.startswith("file: "):
                (tmp_path / marker.removeprefix("file: ")).write_text(body + "\n")
            elif kind == "console":
                commands = _commands(body)
                for command, shown in commands:
                    ran += 1
                    expected = int(m[1]) if (m := EXIT.search(command)) else 0
                    result = subprocess.run(
                        [BASH, "-c", command],
                        cwd=tmp_path,
                        capture_output=True,
                        text=True,
                        timeout=120,
                        check=False,
                    )
                    assert result.returncode == expected, (command, result.stdout, result.stderr)
                    for line in shown:
                        if re.match(r"(\+|-|~) |    \S", line):
                            assert line in result.stdout.splitlines(), (
                                command,
                                line,
                                result.stdout,
                            )
            elif kind == "bash":
                ran += 1
                result = subprocess.run(
                    [BASH, "-c", body],
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                assert result.returncode == 0, (body, result.stdout, result.stderr)
    assert ran >= 10


def _commands(body: str) -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of a console block, with the output lines shown under it."""
    found: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found:
            found[-1][1].append(line)
    return found
