"""JsonLogic's reading of the data: ``var`` paths, and the operations that read the data
(``missing``, ``missing_some``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from appflags.rules._jsonlogic._base import Node, RuleError, Site
from appflags.rules._jsonlogic._values import js_string, to_number

MISSING: Any = object()
_Steps = tuple[tuple[str, int | None], ...]


def path_steps(path: Any) -> _Steps:
    """``"user.roles.0"`` as (key, list index) steps, the way json-logic-js splits it."""
    text = path if type(path) is str else js_string(path)
    return tuple((part, int(part) if part.isdigit() else None) for part in text.split("."))


def read_path(data: Any, steps: _Steps, default: Any) -> Any:
    """``var``: follow ``steps`` into ``data``; ``default`` when a step finds nothing."""
    if not steps or steps == (("", None),):
        return data
    for part, index in steps:
        if isinstance(data, Mapping):
            data = data.get(part, MISSING)
            if data is MISSING:
                return default
        elif type(data) in (list, tuple) and index is not None and index < len(data):
            data = data[index]
        else:
            return default
    return instant(data) if isinstance(data, datetime) else data


def instant(value: datetime) -> str:
    """A context ``datetime`` as JsonLogic sees it: an ISO-8601 instant in UTC.

    ``2024-06-01T13:00:00Z`` (with ``.ffffff`` when there are microseconds); a naive
    datetime is taken as UTC, as the AppConfig rules take it. Rules then compare it with
    timestamp literals as text, the way flagd's other providers pass a date-time.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat() + "Z"


def _missing_keys(keys: list[Any], data: Any) -> list[Any]:
    # ``missing`` reads each key as ``var`` would (without flagd's $flagd properties).
    missing = []
    for key in keys:
        value = read_path(data, path_steps(key), None)
        if value is None or (type(value) is str and value == ""):
            missing.append(key)
    return missing


def _build_missing(nodes: list[Node], _site: Site) -> Node:
    getters = tuple(node.fn for node in nodes)

    def missing(data: Any) -> list[Any]:
        values = [get(data) for get in getters]
        keys = values[0] if values and type(values[0]) is list else values
        return _missing_keys(keys, data)

    return Node(missing)


def _build_missing_some(nodes: list[Node], site: Site) -> Node:
    if len(nodes) != 2:
        raise RuleError(site.path, "missing_some takes exactly 2 arguments: a count and keys")
    get_need, get_keys = nodes[0].fn, nodes[1].fn

    def missing_some(data: Any) -> list[Any]:
        keys = get_keys(data)
        keys = keys if type(keys) is list else [keys]
        absent = _missing_keys(keys, data)
        if len(keys) - len(absent) >= to_number(get_need(data)):
            return []
        return absent

    return Node(missing_some)


DATA_OPERATIONS: dict[str, Callable[[list[Node], Site], Node]] = {
    "missing": _build_missing,
    "missing_some": _build_missing_some,
}
