"""``json``: any JSON object, looked up by dotted path. No rules."""

from __future__ import annotations

from typing import Any

from appflags._errors import Problem
from appflags._evaluation import Reason
from appflags.formats._base import Clock, Compiled, Resolved
from appflags.formats._detect import flag_shape


class JsonFormat:
    """Every nested key is addressable: ``{"a": {"b": 1}}`` answers ``a`` and ``a.b``.

    Lists are values, not containers of keys. When a dotted key in the document collides
    with a nested path (``{"a.b": 1, "a": {"b": 2}}``), the first one in document order wins.
    """

    name = "json"

    def detect(self, doc: Any) -> bool:
        """An object without the shape of a flag format (see :mod:`appflags.formats._detect`)."""
        return isinstance(doc, dict) and flag_shape(doc) is None

    def validate(self, doc: Any) -> list[Problem]:
        if isinstance(doc, dict):
            return []
        return [Problem("$", "the document must be a JSON object")]

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        static: dict[str, Resolved] = {}
        _flatten(doc, "", static)
        features = tuple(k for k, r in static.items() if type(r.value) is bool)
        return Compiled(static=static, features=features)


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Resolved]) -> None:
    for key, value in node.items():
        path = prefix + key
        out.setdefault(path, Resolved(value, None, Reason.STATIC))
        if isinstance(value, dict):
            _flatten(value, path + ".", out)
