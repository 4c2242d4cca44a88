"""YAML profiles, loaded into plain JSON values.

A YAML document may say things JSON cannot: aliases (shared, even recursive, values),
keys that are not text, dates and timestamps, binary data, ``.nan``. Flags only ever see
JSON values, so the loader turns each node into one, with the JSON path of anything it
cannot turn:

- aliases are expanded, and the expansion counts against ``max_bytes`` (so a few hundred
  bytes of "billion laughs" are rejected, not expanded); an alias inside its own anchor
  (``a: &x [1, *x]``) is rejected;
- keys must be text (``1:``, ``true:``, ``2024-01-01:`` are rejected with their path:
  quote them);
- dates and timestamps become ISO-8601 text (a timestamp without an offset is UTC, as
  YAML says): ``2024-05-01`` -> ``"2024-05-01"``,
  ``2024-05-01 10:00:00`` -> ``"2024-05-01T10:00:00+00:00"``;
- ``.nan``, ``.inf`` and ``!!binary`` are rejected (not JSON), as are tags YAML's safe
  schema does not define;
- merge keys (``<<: *base``) work as in YAML 1.1: the mapping's own keys win, then the
  merged mappings in order.
"""

from __future__ import annotations

import math
import sys
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags.formats._json import DUPLICATE

if TYPE_CHECKING:
    import yaml

_TAG = "tag:yaml.org,2002:"
_MAPPINGS = frozenset((f"{_TAG}map", f"{_TAG}set"))
_SEQUENCES = frozenset((f"{_TAG}seq", f"{_TAG}omap", f"{_TAG}pairs"))
_MERGE = f"{_TAG}merge"


def load_yaml(data: bytes, max_bytes: int, duplicates: list[Problem] | None = None) -> Any:
    """One YAML document as JSON values. Raises :class:`SchemaError`.

    A mapping that repeats a key keeps the last value, as PyYAML does; each such key is
    appended to ``duplicates`` (when given) with its JSON path.
    """
    try:
        import yaml  # noqa: PLC0415 - optional extra, imported only for YAML profiles
    except ImportError:
        raise SchemaError(
            [Problem("$", "YAML profile: install the extra with `pip install appflags[yaml]`")]
        ) from None
    loader = yaml.SafeLoader(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        converter = _Converter(loader, max_bytes, duplicates)
        # Weighed first, each node once: an expansion over budget is refused at once,
        # without building any of it.
        if converter.weight(node, "$") > max_bytes:
            raise SchemaError([Problem("$", "aliases expand the document beyond max_bytes")])
        return converter.value(node, "$")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise SchemaError([Problem("$", f"not valid YAML{where}")]) from None
    except RecursionError:
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None
    finally:
        loader.dispose()


class _Converter:
    """Walks the node graph once per path, counting what the expansion would weigh."""

    def __init__(
        self, loader: yaml.SafeLoader, max_bytes: int, duplicates: list[Problem] | None
    ) -> None:
        self.loader = loader
        self.duplicates = duplicates
        self.budget = max_bytes
        self.active: set[int] = set()  # the nodes on the path being converted
        self.weights: dict[int, int] = {}

    def weight(self, node: yaml.Node, path: str) -> int:
        """What converting ``node`` will spend of the budget (each node weighed once)."""
        import yaml  # noqa: PLC0415 - loaded by load_yaml already

        known = self.weights.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.ScalarNode):
            total = len(node.value) + 1
        elif id(node) in self.active:
            raise SchemaError([Problem(path, "an alias inside its own anchor (a recursive value)")])
        else:
            self.active.add(id(node))
            total = 2
            if isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    total += self.weight(item, f"{path}[{i}]")
            elif isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.tag == _MERGE:
                        total += self.weight(value_node, path)
                    else:
                        scalar = isinstance(key_node, yaml.ScalarNode)
                        name = str(key_node.value) if scalar else "?"
                        total += len(name) + 2 + self.weight(value_node, f"{path}.{name}")
            self.active.discard(id(node))
        self.weights[id(node)] = total
        return total

    def spend(self, cost: int, path: str) -> None:
        self.budget -= cost
        if self.budget < 0:
            raise SchemaError(
                [Problem(path, "aliases expand the document beyond max_bytes; rejected")]
            )

    def value(self, node: yaml.Node, path: str) -> Any:
        import yaml  # noqa: PLC0415 - loaded by load_yaml already

        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            raise SchemaError([Problem(path, "an alias inside its own anchor (a recursive value)")])
        self.spend(2, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag in _SEQUENCES:
                return [self.value(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag in _MAPPINGS:
                return self.mapping(node, path)
            raise SchemaError([Problem(path, f"unsupported YAML tag {node.tag}")])
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            key = self.key(key_node, path)
            self.spend(len(key) + 2, path)
            if key in out and self.duplicates is not None:
                problem = Problem(f"{path}.{key}", DUPLICATE)
                if problem not in self.duplicates:  # an alias converts a mapping again
                    self.duplicates.append(problem)
            out[key] = self.value(value_node, f"{path}.{key}")
        for source in merged:
            sources = source.value if source.tag in _SEQUENCES else [source]
            for each in sources:
                extra = self.value(each, path)
                if not isinstance(extra, dict):
                    raise SchemaError([Problem(path, "a merge key (<<) takes mappings only")])
                for key, item in extra.items():
                    out.setdefault(key, item)
        return out

    def key(self, node: yaml.Node, path: str) -> str:
        import yaml  # noqa: PLC0415

        if isinstance(node, yaml.ScalarNode):
            key = self.loader.construct_object(node)
            if isinstance(key, str):
                return key
            kind = _kind(key)
            text = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            message = f"the key {text!r} is {kind}, not text: quote it"
        else:
            message = "a key that is a list or a mapping: JSON keys are text"
        raise SchemaError([Problem(path, message)])

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        self.spend(len(node.value) + 1, path)
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 1000:
            value: Any = math.inf  # int() refuses 4,300+ digits: refused below all the same
        else:
            value = self.loader.construct_object(node)
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            return aware.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (int, float)) and not abs(value) <= sys.float_info.max:  # NaN too
            message = "NaN, infinities and numbers too large for a 64-bit number are not JSON"
            raise SchemaError([Problem(path, message)])
        if value is None or isinstance(value, (str, int, float)):
            return value
        raise SchemaError([Problem(path, f"{_kind(value)} is not a JSON value")])


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "a boolean" if isinstance(value, bool) else "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (date, datetime)):
        return "a date"
    if isinstance(value, bytes):
        return "binary data"
    return f"a {type(value).__name__}"
