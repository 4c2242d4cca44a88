"""Parameter checks that constructors run before they start a thread or send a request.

A wrong parameter is a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right
kind, out of range), raised where the caller can see it, with a message that names the
parameter and what it accepts. Found later, on the poller thread, the same mistake would
be a log line at best and a busy loop or a dead thread at worst.
"""

from __future__ import annotations

import math
import os
from typing import Any

# The names only: checking a format's name never imports the formats themselves.
from appflags._model import FORMAT_ORDER

MAX_SECONDS = 86400.0
"""No interval, period, wait or timeout is longer than a day (AppConfig's own maximum)."""


def check_format(value: object) -> object:
    """``format=``: ``"auto"``, the name of a known format, or a format object with options
    (``FlagdFormat(fractional="v2")``)."""
    names = ("auto", *FORMAT_ORDER)
    methods = ("detect", "validate", "compile")
    is_format = all(callable(getattr(value, method, None)) for method in methods)
    if not isinstance(value, str) and is_format and getattr(value, "name", None) in FORMAT_ORDER:
        return value
    if not isinstance(value, str) or value not in names:
        choices = ", ".join(map(repr, names))
        raise ValueError(
            f"unknown format {value!r}: format must be one of {choices}, or a format object"
        )
    return value


def check_seconds(name: str, value: object, *, zero: bool, maximum: float = MAX_SECONDS) -> float:
    """A finite number of seconds, above 0 (or from 0 with ``zero``) up to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    low = "from 0" if zero else "above 0"
    if not math.isfinite(value) or value > maximum or (value < 0 if zero else value <= 0):
        raise ValueError(f"{name} must be {low} to {maximum:g} seconds, got {value!r}")
    return float(value)


def check_positive_int(name: str, value: object) -> int:
    """A whole number from 1 up (sizes and counts)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}")
    return value


def check_clock(value: object) -> None:
    """``clock=``: ``None`` or a callable returning an aware datetime."""
    if value is not None and not callable(value):
        raise TypeError(f"clock must be a callable returning an aware datetime, got {value!r}")


def check_path(name: str, value: object, *, optional: bool = True) -> None:
    """A file path: ``str`` or ``os.PathLike`` (``None`` when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {value!r}")
    if not os.fspath(value):
        raise ValueError(f"{name} must be a non-empty path, got {value!r}")


def check_optional_str(name: str, value: Any) -> None:
    """``None`` or a non-empty string."""
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string or None, got {value!r}")
    if not value:
        raise ValueError(f"{name} must not be empty")


def check_bool(name: str, value: object) -> bool:
    """``True`` or ``False`` (not a truthy string such as ``"no"``)."""
    if value is not True and value is not False:
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_callable(name: str, value: object) -> None:
    """A callable (a callback)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {value!r}")


def check_names(name: str, value: object) -> frozenset[str] | None:
    """``None`` or a collection of non-empty strings (not a single string)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a collection of attribute names, got {value!r}")
    names = frozenset(value)
    for item in names:
        if not isinstance(item, str) or not item:
            raise TypeError(f"{name} must hold non-empty strings, got {item!r}")
    return names


def check_bootstrap(value: object) -> None:
    """``bootstrap=``: ``None``, a mapping, a path, or a packaged resource (a
    ``Traversable``: it has ``read_bytes`` and a ``name``)."""
    from collections.abc import Mapping  # noqa: PLC0415 - typing only elsewhere

    if value is None or isinstance(value, (Mapping, str, os.PathLike)):
        return
    if callable(getattr(value, "read_bytes", None)) and isinstance(
        getattr(value, "name", None), str
    ):
        return
    raise TypeError(
        "bootstrap must be a document (a mapping), a path, or a packaged resource "
        f"(importlib.resources.files(...) / NAME), got {value!r}"
    )
