"""JsonLogic operations that evaluate only the arguments they need: ``if``, ``and``, ``or``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appflags.rules._jsonlogic._base import Node, constant
from appflags.rules._jsonlogic._values import truthy

if TYPE_CHECKING:
    from collections.abc import Callable


def _if(nodes: list[Node]) -> Node:
    if not nodes:
        return constant(None)
    # Fold the conditions known at compile time: the branch taken never changes.
    live: list[Node] = []
    for index in range(0, len(nodes) - 1, 2):
        condition, branch = nodes[index], nodes[index + 1]
        if condition.constant:
            if truthy(condition.value):
                if not live:
                    return branch
                live.append(constant(True))
                live.append(branch)
                break
            continue
        live += [condition, branch]
    else:
        live.append(nodes[-1] if len(nodes) % 2 == 1 else constant(None))
    if len(live) == 1:
        return live[0]
    if len(live) % 2 == 0:
        live.append(constant(None))
    if len(live) == 3:
        test, then, otherwise = (node.fn for node in live)

        def if_else(data: Any) -> Any:
            return then(data) if truthy(test(data)) else otherwise(data)

        return Node(if_else)
    pairs = tuple((live[i].fn, live[i + 1].fn) for i in range(0, len(live) - 1, 2))
    last = live[-1].fn

    def if_chain(data: Any) -> Any:
        for test, then in pairs:
            if truthy(test(data)):
                return then(data)
        return last(data)

    return Node(if_chain)


def _and(nodes: list[Node]) -> Node:
    if all(node.constant for node in nodes):
        value = None
        for node in nodes:
            value = node.value
            if not truthy(value):
                break
        return constant(value)
    fns = tuple(node.fn for node in nodes)

    def and_(data: Any) -> Any:
        value = None
        for fn in fns:
            value = fn(data)
            if not truthy(value):
                return value
        return value

    return Node(and_)


def _or(nodes: list[Node]) -> Node:
    if all(node.constant for node in nodes):
        value = None
        for node in nodes:
            value = node.value
            if truthy(value):
                break
        return constant(value)
    fns = tuple(node.fn for node in nodes)

    def or_(data: Any) -> Any:
        value = None
        for fn in fns:
            value = fn(data)
            if truthy(value):
                return value
        return value

    return Node(or_)


LAZY: dict[str, Callable[[list[Node]], Node]] = {"if": _if, "and": _and, "or": _or}
