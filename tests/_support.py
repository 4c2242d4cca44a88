"""Helpers shared by tests (imported as ``_support``: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable

from appflags import Flags, State


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def reaches(flags: Flags, state: State, timeout: float = 5.0) -> bool:
    """Whether ``flags.state`` becomes ``state`` within ``timeout`` seconds."""
    return wait_for(lambda: flags.state is state, timeout)
