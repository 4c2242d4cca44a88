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


DUPLICATE = "defined more than once; only its last definition is read"
"""The message of a key an object defines twice (JSON and YAML alike)."""


class DuplicateKeys:
    """A ``json`` ``object_pairs_hook`` that builds each object as ``json`` does (the last
    value of a repeated key wins, in the place of its first) and remembers where a key
    repeats; :meth:`problems` names each such key by its JSON path."""

    def __init__(self) -> None:
        self._found: list[tuple[dict[str, Any], str]] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self._found.append((built, key))
                seen.add(key)
        return built

    def problems(self, doc: Any) -> list[Problem]:
        """Each repeated key of ``doc`` (the document this hook built), by JSON path."""
        if not self._found:
            return []
        where = _paths({id(obj) for obj, _ in self._found}, doc)
        reported: list[Problem] = []
        for obj, key in self._found:
            problem = Problem(f"{where.get(id(obj), '$')}.{key}", DUPLICATE)
            if problem not in reported:
                reported.append(problem)
        return reported


def _paths(wanted: set[int], doc: Any) -> dict[int, str]:
    """The JSON path of each object of ``doc`` whose id is ``wanted`` (iteratively: a
    document may nest deeper than the interpreter's recursion limit)."""
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(doc, "$")]
    while stack and len(found) < len(wanted):
        node, path = stack.pop()
        if isinstance(node, dict):
            if id(node) in wanted:
                found[id(node)] = path
            stack.extend((value, f"{path}.{key}") for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
    return found
