"""examples/openfeature_app.py runs, offline, and shows what it claims to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "openfeature_app.py"


def test_the_example_runs_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "new-checkout for u-1: True (TARGETING_MATCH, variant on)" in lines
    assert "max-items on app 2.3.1: 100" in lines
    metadata = "{'flagSetId': 'checkout', 'owner': 'design', 'version': 'v1'}"
    assert f"button-color: #0050ff metadata={metadata}" in lines
    assert "configuration changed: ['button-color']" in lines
    assert "button-color now: #00a050" in lines
