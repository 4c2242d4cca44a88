"""The JsonLogic compiler: a rule to nested Python functions, each operator family from its
own module."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from appflags.rules._jsonlogic._base import MAX_DEPTH, Misuse, Node, Path, RuleError, Site, constant
from appflags.rules._jsonlogic._data import DATA_OPERATIONS, MISSING, instant, path_steps, read_path
from appflags.rules._jsonlogic._eager import EAGER, eager
from appflags.rules._jsonlogic._flagd import CUSTOM, CUSTOM_BY_VERSION, constant_if_possible
from appflags.rules._jsonlogic._fractional import VERSIONS, always_null
from appflags.rules._jsonlogic._lazy import LAZY
from appflags.rules._jsonlogic._scoped import SCOPED, Parts

if TYPE_CHECKING:
    from collections.abc import Mapping

    from appflags._clock import Clock

__all__ = ["MAX_DEPTH", "MAX_NODES", "OPERATORS", "compile_logic", "is_operation"]
"""``MAX_DEPTH`` and ``MAX_NODES`` are read from here when a rule compiles."""

MAX_NODES = 20_000
"""Rules (with their ``$ref`` expansions) larger than this are rejected, so that a
document cannot make compilation or evaluation explode through nested references."""


def is_operation(node: Any) -> str | None:
    """The operator of ``node`` when it is a one-key JsonLogic operation, else ``None``."""
    if type(node) is dict and len(node) == 1:
        return str(next(iter(node)))
    return None


def compile_logic(
    node: Any,
    *,
    flag_key: str,
    evaluators: Mapping[str, Any],
    clock: Clock,
    path: Path = (),
    fractional: str = VERSIONS[0],
    misuses: list[Misuse] | None = None,
) -> Node:
    """Compile one JsonLogic rule for the flag ``flag_key``.

    ``evaluators`` is the document's ``$evaluators`` (``$ref`` targets) and ``path`` the
    rule's location, used in :class:`RuleError`. The result's ``fn`` takes the evaluation
    context (a mapping) and may raise :class:`Abort` when a flagd operation fails; callers
    turn that into a ``null`` result. ``fractional`` names the bucketing algorithm
    (:data:`appflags.rules._jsonlogic._fractional.VERSIONS`).

    A flagd operation that can never apply (``sem_ver`` with two arguments, an unknown
    ``sem_ver`` operator, ``starts_with`` of a number...) compiles, as flagd loads it, to
    an operation that always evaluates to ``null``; each is appended to ``misuses``.
    Anything else that cannot be compiled raises :class:`RuleError`.
    """
    compiler = Compiler(flag_key, evaluators, clock, fractional)
    compiled = compiler.compile(node, path, top=True, depth=0)
    if misuses is not None:
        misuses += compiler.misuses
    return compiled


class Compiler:
    def __init__(
        self, flag_key: str, evaluators: Mapping[str, Any], clock: Clock, fractional: str
    ) -> None:
        self.flag_key = flag_key
        self.evaluators = evaluators
        self.clock = clock
        self.expanding: list[str] = []
        self.budget = MAX_NODES
        self.custom = CUSTOM_BY_VERSION[fractional]
        self.misuses: list[Misuse] = []

    def compile(self, node: Any, path: Path, *, top: bool, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise RuleError(path, f"rule is nested deeper than {MAX_DEPTH} levels")
        self.budget -= 1
        if self.budget < 0:
            raise RuleError(path, f"rule has more than {MAX_NODES} parts, $ref expansions included")
        if type(node) is list:
            return self._list(node, path, top=top, depth=depth)
        if type(node) is not dict:
            return constant(node)
        if not node:
            return constant({})  # JsonLogic reads an empty object as data
        if len(node) != 1:
            raise RuleError(path, "an operation must be an object with exactly one key")
        ((operator, raw),) = node.items()
        if operator == "$ref":
            return self._ref(raw, (*path, "$ref"), top=top, depth=depth)
        return self._operation(operator, raw, (*path, operator), top=top, depth=depth)

    def _operation(  # noqa: PLR0911 - one return per kind of operation
        self, operator: str, raw: Any, here: Path, *, top: bool, depth: int
    ) -> Node:
        scoped = SCOPED.get(operator)
        if scoped is not None:
            args = raw if type(raw) is list else [raw]
            paths = [(*here, i) for i in range(len(args))] if type(raw) is list else [here]
            return scoped(self, Parts(args, paths, Site(self.flag_key, top, here), depth))
        if operator == "var" and depth < MAX_DEPTH:
            # The commonest operation, {"var": "tier"} or {"var": ["tier", default]}: with
            # literal parts, what _items and _var would build, without a node per part.
            parts = raw if type(raw) is list else (raw,)
            if self.budget >= len(parts) and all(
                type(part) is not list and type(part) is not dict for part in parts
            ):
                self.budget -= len(parts)
                path = parts[0] if parts else None
                return self._static_var(path, parts[1] if len(parts) > 1 else None, top)
        if type(raw) is list:
            args, nodes = raw, self._items(raw, here, top=top, depth=depth + 1)
        else:
            args = [raw]
            nodes = self._items(args, [here], top=top, depth=depth + 1)
        if operator == "var":
            return self._var(nodes, top)
        if operator in LAZY:
            return LAZY[operator](nodes)
        if operator in self.custom:
            try:
                built = self.custom[operator](nodes, args, Site(self.flag_key, top, here))
            except Misuse as misuse:
                self.misuses.append(misuse)
                return Node(always_null)
            # fractional may read the targeting key even when its arguments are literals.
            if operator == "fractional" or built.constant:
                return built
            return constant_if_possible(built.fn, nodes)
        if operator in DATA_OPERATIONS:
            return DATA_OPERATIONS[operator](nodes, Site(self.flag_key, top, here))
        if operator not in EAGER:
            raise RuleError(here, f"unknown operator {operator!r}")
        return eager(operator, EAGER[operator], nodes)

    def _items(self, items: list[Any], paths: Any, *, top: bool, depth: int) -> list[Node]:
        """Each item compiled, in order; ``paths`` gives each item's path (a sequence, or
        a path to extend with the item's index).

        A literal item (not a list or an object) is what :meth:`compile` would make of it
        without the call: it counts against the budget and is nested no deeper than
        ``MAX_DEPTH``, or :meth:`compile` reports it (same error, same path).
        """
        nodes: list[Node] = []
        append = nodes.append
        shallow = depth <= MAX_DEPTH
        for index, item in enumerate(items):
            kind = type(item)
            if shallow and kind is not list and kind is not dict and self.budget > 0:
                self.budget -= 1
                append(constant(item))
            else:
                path = paths[index] if type(paths) is list else (*paths, index)
                append(self.compile(item, path, top=top, depth=depth))
        return nodes

    def _list(self, items: list[Any], path: Path, *, top: bool, depth: int) -> Node:
        if (
            depth < MAX_DEPTH
            and self.budget >= len(items)
            and all(type(item) is not list and type(item) is not dict for item in items)
        ):
            # Literals only (["gold", "silver"], a bucket ["on", 50]): what compiling each
            # item gives, folded, without a node per item.
            self.budget -= len(items)
            return constant(list(items))
        nodes = self._items(items, path, top=top, depth=depth + 1)
        if all(node.constant for node in nodes):
            return constant([node.value for node in nodes])
        fns = tuple(node.fn for node in nodes)

        def array(data: Any) -> list[Any]:
            return [fn(data) for fn in fns]

        return Node(array)

    def _ref(self, name: Any, path: Path, *, top: bool, depth: int) -> Node:
        if type(name) is not str or name not in self.evaluators:
            raise RuleError(path, "refers to an evaluator that $evaluators does not define")
        if name in self.expanding:
            raise RuleError(path, f"evaluator {name!r} refers to itself through $ref")
        self.expanding.append(name)
        try:
            body = self.evaluators[name]
            return self.compile(body, ("$evaluators", name), top=top, depth=depth + 1)
        finally:
            self.expanding.pop()

    def _var(self, nodes: list[Node], top: bool) -> Node:  # noqa: FBT001
        path_node = nodes[0] if nodes else constant(None)
        default_node = nodes[1] if len(nodes) > 1 else constant(None)
        if path_node.constant and default_node.constant:
            return self._static_var(path_node.value, default_node.value, top)
        get_path, get_default = path_node.fn, default_node.fn

        def var(data: Any) -> Any:
            # A computed path is rare: its steps are worked out on every evaluation.
            return read_path(data, path_steps(get_path(data)), get_default(data))

        return Node(var)

    def _static_var(self, path: Any, default: Any, top: bool) -> Node:  # noqa: FBT001
        if path is None or path == "":

            def whole(data: Any) -> Any:
                return data

            return Node(whole)
        steps = path_steps(path)
        if top and steps[0][0] == "$flagd":
            return self._flagd_property([part for part, _ in steps], default)
        if top and len(steps) == 1:
            key = steps[0][0]
            # At the top level the data is the evaluation context, always a mapping.
            if default is None:

                def context_value(data: Any) -> Any:
                    value = data.get(key)
                    return instant(value) if isinstance(value, datetime) else value

                return Node(context_value)

            def context_value_or_default(data: Any) -> Any:
                value = data.get(key, MISSING)
                if value is MISSING:
                    return default
                return instant(value) if isinstance(value, datetime) else value

            return Node(context_value_or_default)

        def nested_value(data: Any) -> Any:
            return read_path(data, steps, default)

        return Node(nested_value)

    def _flagd_property(self, parts: list[str], default: Any) -> Node:
        flag_key, clock = self.flag_key, self.clock
        if len(parts) == 1:

            def flagd_properties(_data: Any) -> dict[str, Any]:
                return {"flagKey": flag_key, "timestamp": int(clock().timestamp())}

            return Node(flagd_properties)
        if len(parts) == 2 and parts[1] == "flagKey":
            return constant(flag_key)
        if len(parts) == 2 and parts[1] == "timestamp":

            def timestamp(_data: Any) -> int:
                return int(clock().timestamp())

            return Node(timestamp)
        return constant(default)


OPERATORS = frozenset((*EAGER, *LAZY, *SCOPED, *DATA_OPERATIONS, *CUSTOM, "fractional", "var"))
"""Every operator a rule may use."""
