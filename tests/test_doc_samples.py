"""Every ```python block of README.md and docs/ runs as written.

The blocks of one page run in order, in one namespace, in a fresh interpreter whose
working directory is a temporary one holding ``flags.json`` (a copy of
``examples/flags.json``) and the example documents under ``examples/``, with no
``AWS_*`` or ``APPFLAGS_*`` variable of the developer's shell: what a reader who copies
them gets. testing.md's blocks are test modules: each
runs under pytest there, outside this project's conftest, with the reader's package
``shop`` (the web examples). A block that needs AWS or another service carries
``<!-- not run: REASON -->`` on the line above its fence (docs/contributing.md).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOT_RUN = re.compile(r"^<!--\s*not run:(.*?)-->\s*$")
PYTEST_PAGES = {"docs/testing.md"}

# Blocks marked `not run`: a new one is a decision, so the count is pinned here.
EXPECTED_NOT_RUN = 15  # deploying.md: the Python API needs an AppConfig application


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    not_run: str | None


def _blocks() -> list[Block]:
    found: list[Block] = []
    for path in PAGES:
        lines = path.read_text(encoding="utf-8").splitlines()
        page = path.relative_to(ROOT).as_posix()
        index = 0
        while index < len(lines):
            if lines[index].startswith("````"):  # a fence showing fences: not code
                index = lines.index(lines[index][:4], index + 1) + 1
                continue
            if lines[index].strip() == "```python":
                end = lines.index("```", index + 1)  # fences are flush left in these pages
                above = lines[index - 1] if index else ""
                marker = NOT_RUN.match(above.strip())
                code = textwrap.dedent("\n".join(lines[index + 1 : end]))
                found.append(
                    Block(page, index + 1, code, marker.group(1).strip() if marker else None)
                )
                index = end
            index += 1
    return found


BLOCKS = _blocks()
RUN_PAGES = sorted({b.page for b in BLOCKS if b.not_run is None})


def _environment(home: Path) -> dict[str, str]:
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "APPFLAGS_", "PYTEST_", "OTEL_"))
    }
    return {
        **keep,
        "HOME": str(home),
        # No credentials file, no metadata service: nothing can reach AWS.
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def reader_directory(tmp_path: Path) -> Path:
    """What a reader has at hand: flags.json, the example documents (``examples/*.json``),
    and a package ``shop`` (the web examples)."""
    shutil.copy(ROOT / "examples" / "flags.json", tmp_path / "flags.json")
    (tmp_path / "examples").mkdir()
    for document in (ROOT / "examples").glob("*.json"):
        shutil.copy(document, tmp_path / "examples" / document.name)
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("", encoding="utf-8")
    for name in ("flask_app.py", "fastapi_app.py"):
        shutil.copy(ROOT / "examples" / name, shop / name)
    return tmp_path


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env=_environment(cwd),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("page", RUN_PAGES)
def test_the_python_blocks_of_a_page_run(page: str, reader_directory: Path) -> None:
    blocks = [b for b in BLOCKS if b.page == page and b.not_run is None]
    if page in PYTEST_PAGES:
        for block in blocks:
            (reader_directory / f"test_block_{block.line}.py").write_text(block.code, "utf-8")
        result = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], reader_directory)
    else:
        # One namespace per page; each block compiled under its page and line, so a
        # traceback names the block.
        script = "\n".join(
            f"exec(compile({b.code!r}, {f'{b.page}:{b.line}'!r}, 'exec'), namespace)"
            for b in blocks
        )
        (reader_directory / "run_blocks.py").write_text(
            f"namespace = {{'__name__': '__main__'}}\n{script}\n", encoding="utf-8"
        )
        result = _run(["run_blocks.py"], reader_directory)
    assert result.returncode == 0, f"{page}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_every_block_not_run_says_why_and_the_count_is_known() -> None:
    not_run = [b for b in BLOCKS if b.not_run is not None]
    for block in not_run:
        assert block.not_run, f"{block.page}:{block.line}: `not run:` without a reason"
    assert len(not_run) == EXPECTED_NOT_RUN, [f"{b.page}:{b.line}" for b in not_run]


def test_every_not_run_marker_sits_above_a_python_block() -> None:
    for path in PAGES:
        lines = path.read_text(encoding="utf-8").splitlines()
        shown = False  # inside a ```` fence, which shows markdown
        for number, line in enumerate(lines, start=1):
            if line.startswith("````"):
                shown = not shown
            if not shown and NOT_RUN.match(line.strip()):
                following = lines[number] if number < len(lines) else ""
                assert following.strip() == "```python", f"{path.name}:{number}"


def _eval_examples() -> list[tuple[str, str, str]]:
    """Each ``$ ... appflags eval ...`` shown in a page, with the stdout the page shows."""
    found = []
    for path in PAGES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if line.startswith("$ ") and " appflags eval " in f" {line[2:]}":
                end = lines.index("}", index)
                shown = "\n".join(lines[index + 1 : end + 1])
                found.append((f"{path.relative_to(ROOT).as_posix()}:{index + 1}", line[2:], shown))
    return found


@pytest.mark.parametrize(("where", "command", "shown"), _eval_examples())
def test_appflags_eval_prints_what_the_docs_show(
    where: str, command: str, shown: str, reader_directory: Path
) -> None:
    words = shlex.split(command)
    assignments = [w for w in words if "=" in w and not w.startswith("-")][
        : words.index("appflags")
    ]
    arguments = words[words.index("appflags") + 1 :]
    env = {**_environment(reader_directory), **dict(a.split("=", 1) for a in assignments)}
    result = subprocess.run(
        [sys.executable, "-m", "appflags", *arguments],
        cwd=reader_directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == shown, where
