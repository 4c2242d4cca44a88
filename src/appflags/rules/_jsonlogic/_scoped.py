"""JsonLogic's array operations, whose logic runs with each item as its data: ``map``,
``filter``, ``all``, ``none``, ``some``, ``reduce``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from appflags.rules._jsonlogic._base import Expr, Node, Path, RuleError, Site, constant
from appflags.rules._jsonlogic._values import truthy


class Parts(NamedTuple):
    """The raw arguments of an array operation, where they are, and where it is."""

    args: list[Any]
    paths: list[Path]
    site: Site
    depth: int


class Compiler(Protocol):
    """What an array operation needs of the compiler: its arguments compiled."""

    def compile(self, node: Any, path: Path, *, top: bool, depth: int) -> Node: ...


Scoped = Callable[[Compiler, Parts], Node]


def _scoped_nodes(compiler: Compiler, parts: Parts, arity: range) -> list[Node]:
    args, paths, site, depth = parts
    if len(args) not in arity:
        counts = " or ".join(str(n) for n in arity)
        raise RuleError(site.path, f"{site.path[-1]} takes {counts} arguments")
    nodes = [compiler.compile(args[0], paths[0], top=site.top, depth=depth + 1)]
    # The logic runs once per element, with the element (or, for reduce, the current
    # element and the accumulator) as its data: ``var`` reads those, not the context.
    nodes.append(compiler.compile(args[1], paths[1], top=False, depth=depth + 1))
    if len(args) > 2:
        nodes.append(compiler.compile(args[2], paths[2], top=site.top, depth=depth + 1))
    return nodes


def _items_and_logic(compiler: Compiler, parts: Parts) -> tuple[Expr, Expr]:
    items, logic = _scoped_nodes(compiler, parts, range(2, 3))
    return items.fn, logic.fn


def _map(compiler: Compiler, parts: Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def map_(data: Any) -> list[Any]:
        values = items(data)
        if type(values) not in (list, tuple):
            return []
        return [logic(value) for value in values]

    return Node(map_)


def _filter(compiler: Compiler, parts: Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def filter_(data: Any) -> list[Any]:
        values = items(data)
        if type(values) not in (list, tuple):
            return []
        return [value for value in values if truthy(logic(value))]

    return Node(filter_)


def _all(compiler: Compiler, parts: Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def all_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple) or not values:
            return False  # json-logic-js: "all" of nothing is false
        return all(truthy(logic(value)) for value in values)

    return Node(all_)


def _none(compiler: Compiler, parts: Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def none_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple):
            return True
        return not any(truthy(logic(value)) for value in values)

    return Node(none_)


def _some(compiler: Compiler, parts: Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def some_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple):
            return False
        return any(truthy(logic(value)) for value in values)

    return Node(some_)


def _reduce(compiler: Compiler, parts: Parts) -> Node:
    nodes = _scoped_nodes(compiler, parts, range(2, 4))
    items, logic = nodes[0].fn, nodes[1].fn
    initial = nodes[2].fn if len(nodes) > 2 else constant(None).fn

    def reduce_(data: Any) -> Any:
        accumulator = initial(data)
        values = items(data)
        if type(values) not in (list, tuple):
            return accumulator
        for value in values:
            accumulator = logic({"current": value, "accumulator": accumulator})
        return accumulator

    return Node(reduce_)


SCOPED: dict[str, Scoped] = {
    "map": _map,
    "filter": _filter,
    "all": _all,
    "none": _none,
    "some": _some,
    "reduce": _reduce,
}
