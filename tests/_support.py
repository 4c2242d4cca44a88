"""Helpers shared by tests (imported as ``_support``: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from appflags import Flags, State

if TYPE_CHECKING:
    import pytest


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


def proxies_to_a_closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every proxy variable names a closed local port, and none is bypassed: a request
    that goes through a proxy fails (stands in for a proxy meant for outbound traffic)."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
