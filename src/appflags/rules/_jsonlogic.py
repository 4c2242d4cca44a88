"""JsonLogic compiled to closures, with flagd's custom operations and ``$ref``.

A rule such as ``{"if": [{"in": [{"var": "email"}, ["a@x.io", "b@x.io"]]}, "beta", null]}``
is compiled once per document into nested Python functions of the context. There is no
interpreter on the evaluation path: nothing walks the JSON, looks up operators or parses
strings when a flag is evaluated. Parts whose value does not depend on the context are
computed at compile time (``["a@x.io", "b@x.io"]`` becomes a ``frozenset`` there).

Semantics are those of json-logic-js, the reference implementation behind jsonlogic.com
(JavaScript coercions, see :mod:`._jsonlogic_values`), for the operations flagd's targeting
schema allows: ``var missing missing_some if == === != !== > >= < <= ! !! and or + - * / %
min max cat substr in merge map filter reduce all none some``, plus flagd's ``fractional``,
``sem_ver``, ``starts_with`` and ``ends_with``, and ``{"$ref": "name"}`` for a rule shared
through the document's ``$evaluators``. At the top level, ``var`` also reads flagd's
``$flagd.flagKey`` (the flag being evaluated) and ``$flagd.timestamp`` (Unix seconds from the
document's clock); these take precedence over a ``$flagd`` key in the context, as in flagd.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags.rules._fractional import VERSIONS, always_null, fractional_builder
from appflags.rules._jsonlogic_base import (
    MAX_DEPTH,
    Abort,
    Expr,
    Misuse,
    Node,
    OpBuilder,
    Path,
    RuleError,
    Site,
    constant,
)
from appflags.rules._jsonlogic_values import (
    NAN,
    js_string,
    less_than,
    loose_equal,
    parse_float,
    strict_equal,
    to_number,
    truthy,
)
from appflags.rules._semver import build_sem_ver

if TYPE_CHECKING:
    from appflags._clock import Clock

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Abort",
    "Misuse",
    "Node",
    "RuleError",
    "compile_logic",
    "is_operation",
]

MAX_NODES = 20_000
"""Rules (with their ``$ref`` expansions) larger than this are rejected, so that a
document cannot make compilation or evaluation explode through nested references."""

_MISSING: Any = object()
_Steps = tuple[tuple[str, int | None], ...]


def _steps(path: Any) -> _Steps:
    """``"user.roles.0"`` as (key, list index) steps, the way json-logic-js splits it."""
    text = path if type(path) is str else js_string(path)
    return tuple((part, int(part) if part.isdigit() else None) for part in text.split("."))


def _read(data: Any, steps: _Steps, default: Any) -> Any:
    """``var``: follow ``steps`` into ``data``; ``default`` when a step finds nothing."""
    if not steps or steps == (("", None),):
        return data
    for part, index in steps:
        if isinstance(data, Mapping):
            data = data.get(part, _MISSING)
            if data is _MISSING:
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
    (:data:`appflags.rules._fractional.VERSIONS`).

    A flagd operation that can never apply (``sem_ver`` with two arguments, an unknown
    ``sem_ver`` operator, ``starts_with`` of a number...) compiles, as flagd loads it, to
    an operation that always evaluates to ``null``; each is appended to ``misuses``.
    Anything else that cannot be compiled raises :class:`RuleError`.
    """
    compiler = _Compiler(flag_key, evaluators, clock, fractional)
    compiled = compiler.compile(node, path, top=True, depth=0)
    if misuses is not None:
        misuses += compiler.misuses
    return compiled


class _Compiler:
    def __init__(
        self, flag_key: str, evaluators: Mapping[str, Any], clock: Clock, fractional: str
    ) -> None:
        self.flag_key = flag_key
        self.evaluators = evaluators
        self.clock = clock
        self.expanding: list[str] = []
        self.budget = MAX_NODES
        self.custom = _CUSTOM_BY_VERSION[fractional]
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
        scoped = _SCOPED.get(operator)
        if scoped is not None:
            args = raw if type(raw) is list else [raw]
            paths = [(*here, i) for i in range(len(args))] if type(raw) is list else [here]
            return scoped(self, _Parts(args, paths, Site(self.flag_key, top, here), depth))
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
        if operator in _LAZY:
            return _LAZY[operator](nodes)
        if operator in self.custom:
            try:
                built = self.custom[operator](nodes, args, Site(self.flag_key, top, here))
            except Misuse as misuse:
                self.misuses.append(misuse)
                return Node(always_null)
            # fractional may read the targeting key even when its arguments are literals.
            if operator == "fractional" or built.constant:
                return built
            return _constant_if_possible(built.fn, nodes)
        if operator in _DATA_OPERATIONS:
            return _DATA_OPERATIONS[operator](nodes, Site(self.flag_key, top, here))
        if operator not in _EAGER:
            raise RuleError(here, f"unknown operator {operator!r}")
        return _eager(operator, _EAGER[operator], nodes)

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
            return _read(data, _steps(get_path(data)), get_default(data))

        return Node(var)

    def _static_var(self, path: Any, default: Any, top: bool) -> Node:  # noqa: FBT001
        if path is None or path == "":

            def whole(data: Any) -> Any:
                return data

            return Node(whole)
        steps = _steps(path)
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
                value = data.get(key, _MISSING)
                if value is _MISSING:
                    return default
                return instant(value) if isinstance(value, datetime) else value

            return Node(context_value_or_default)

        def nested_value(data: Any) -> Any:
            return _read(data, steps, default)

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


def _eager(operator: str, impl: Callable[[list[Any]], Any], nodes: list[Node]) -> Node:
    """An operation that evaluates all its arguments first; folded when they are constant."""
    if all(node.constant for node in nodes):
        return constant(impl([node.value for node in nodes]))
    if len(nodes) == 2:
        binary = _BINARY.get(operator)
        if binary is not None:
            return _binary(operator, binary, nodes[0], nodes[1])
    if len(nodes) == 1:
        only = nodes[0].fn

        def unary(data: Any) -> Any:
            return impl([only(data)])

        return Node(unary)
    fns = tuple(node.fn for node in nodes)

    def variadic(data: Any) -> Any:
        return impl([fn(data) for fn in fns])

    return Node(variadic)


def _binary(operator: str, impl: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    fast = _fast_binary(operator, left, right)
    if fast is not None:
        return Node(fast)
    get_left, get_right = left.fn, right.fn

    def binary(data: Any) -> Any:
        return impl(get_left(data), get_right(data))

    return Node(binary)


def _fast_binary(operator: str, left: Node, right: Node) -> Callable[[Any], Any] | None:
    """Closures for the commonest comparisons: a context value against a literal."""
    if operator in ("==", "===", "!=", "!==") and left.constant != right.constant:
        literal, get = (left.value, right.fn) if left.constant else (right.value, left.fn)
        if type(literal) is str:
            return _string_equality(operator, literal, get)
    if operator == "in" and right.constant and not left.constant:
        return _membership(left.fn, right.value)
    if operator in ("<", "<=", ">", ">=") and right.constant and _is_plain_number(right.value):
        return _number_comparison(operator, left.fn, right.value)
    return None


def _is_plain_number(value: Any) -> bool:
    """Whether ``value`` is an int or float that is not NaN (and not a bool)."""
    kind = type(value)
    return kind is int or (kind is float and value == value)  # noqa: PLR0124


def _string_equality(
    operator: str, literal: str, get: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    negate = operator in ("!=", "!==")
    if operator in ("===", "!=="):

        def strict(data: Any) -> bool:
            value = get(data)
            return (type(value) is str and value == literal) is not negate

        return strict

    def loose(data: Any) -> bool:
        value = get(data)
        if type(value) is str:
            return (value == literal) is not negate
        return loose_equal(value, literal) is not negate

    return loose


def _membership(get: Callable[[Any], Any], haystack: Any) -> Callable[[Any], Any]:
    if type(haystack) is list and all(type(item) is str for item in haystack):
        strings = frozenset(haystack)

        def in_strings(data: Any) -> bool:
            value = get(data)
            # Strict equality: only a string can equal one of these strings.
            return type(value) is str and value in strings

        return in_strings
    if type(haystack) is str and haystack:

        def in_text(data: Any) -> bool:
            value = get(data)
            return (value if type(value) is str else js_string(value)) in haystack

        return in_text

    def in_any(data: Any) -> bool:
        return _in(get(data), haystack)

    return in_any


def _number_comparison(
    operator: str, get: Callable[[Any], Any], bound: float
) -> Callable[[Any], Any]:
    if operator == "<":

        def below(data: Any) -> bool:
            value = get(data)
            if type(value) is int or type(value) is float:
                return bool(value < bound)
            return less_than(value, bound)

        return below
    if operator == "<=":

        def at_most(data: Any) -> bool:
            value = get(data)
            if type(value) is int or type(value) is float:
                return bool(value <= bound)
            return less_than(value, bound, or_equal=True)

        return at_most
    if operator == ">":

        def above(data: Any) -> bool:
            value = get(data)
            if type(value) is int or type(value) is float:
                return bool(value > bound)
            return less_than(bound, value)

        return above

    def at_least(data: Any) -> bool:
        value = get(data)
        if type(value) is int or type(value) is float:
            return bool(value >= bound)
        return less_than(bound, value, or_equal=True)

    return at_least


# ------------------------------------------------------------------ eager operations


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _remainder(left: Any, right: Any) -> int | float:
    dividend, divisor = to_number(left), to_number(right)
    try:
        if type(dividend) is int and type(divisor) is int:
            if divisor == 0:
                return NAN
            rest = abs(dividend) % abs(divisor)
            return -rest if dividend < 0 else rest  # JavaScript keeps the dividend's sign
        if divisor == 0 or math.isinf(dividend) or math.isnan(dividend) or math.isnan(divisor):
            return NAN
        if math.isinf(divisor):
            return dividend
        return math.fmod(dividend, divisor)
    except (OverflowError, ValueError):
        return NAN


def _divide(left: Any, right: Any) -> float:
    dividend, divisor = to_number(left), to_number(right)
    try:
        if divisor == 0:
            if dividend == 0 or dividend != dividend:  # noqa: PLR0124
                return NAN
            negative = (dividend < 0) != (math.copysign(1.0, divisor) < 0)
            return -math.inf if negative else math.inf
        return dividend / divisor
    except (OverflowError, ValueError):
        return NAN


def _in(needle: Any, haystack: Any) -> bool:
    if type(haystack) is str:
        return haystack != "" and js_string(needle) in haystack
    if type(haystack) in (list, tuple):
        return any(strict_equal(needle, item) for item in haystack)
    return False


def _add(args: list[Any]) -> int | float:
    total: int | float = 0
    try:
        for arg in args:
            total += parse_float(arg)
    except OverflowError:
        return NAN
    return total


def _multiply(args: list[Any]) -> Any:
    if not args:
        return None
    if len(args) == 1:
        return args[0]  # json-logic-js reduces without a seed: one argument comes back as is
    product: int | float = parse_float(args[0])
    try:
        for arg in args[1:]:
            product *= parse_float(arg)
    except OverflowError:
        return NAN
    return product


def _subtract(args: list[Any]) -> int | float:
    try:
        if len(args) == 1:
            return -to_number(args[0])
        return to_number(_arg(args, 0)) - to_number(_arg(args, 1))
    except OverflowError:
        return NAN


def _extreme(pick: Callable[..., Any], empty: float) -> Callable[[list[Any]], Any]:
    def extreme(args: list[Any]) -> Any:
        numbers = [to_number(arg) for arg in args]
        if not numbers:
            return empty
        if any(number != number for number in numbers):  # noqa: PLR0124
            return NAN
        return pick(numbers)

    return extreme


def _to_integer(value: Any) -> float:
    number = to_number(value)
    if number != number:  # noqa: PLR0124
        return 0
    if math.isinf(number):
        return number
    return math.trunc(number)


def _substr(args: list[Any]) -> str:
    text = js_string(_arg(args, 0))
    size = len(text)
    start = _to_integer(_arg(args, 1))
    start = int(max(size + start, 0)) if start < 0 else int(min(start, size))
    if len(args) < 3:
        return text[start:]
    length = _to_integer(args[2])
    if length < 0:
        # json-logic-js: a negative length drops that many characters from the end.
        rest = text[start:]
        return rest[: int(max(len(rest) + length, 0))]
    return text[start : int(min(start + length, size))]


def _merge(args: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for arg in args:
        if type(arg) in (list, tuple):
            merged.extend(arg)
        else:
            merged.append(arg)
    return merged


def _between(or_equal: bool) -> Callable[[list[Any]], bool]:  # noqa: FBT001
    def compare(args: list[Any]) -> bool:
        if len(args) >= 3:
            return less_than(args[0], args[1], or_equal=or_equal) and less_than(
                args[1], args[2], or_equal=or_equal
            )
        return less_than(_arg(args, 0), _arg(args, 1), or_equal=or_equal)

    return compare


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": loose_equal,
    "===": strict_equal,
    "!=": lambda left, right: not loose_equal(left, right),
    "!==": lambda left, right: not strict_equal(left, right),
    ">": lambda left, right: less_than(right, left),
    ">=": lambda left, right: less_than(right, left, or_equal=True),
    "<": less_than,
    "<=": lambda left, right: less_than(left, right, or_equal=True),
    "%": _remainder,
    "/": _divide,
    "in": _in,
}
"""Two-argument forms, called without building an argument list."""


def _pair(binary: Callable[[Any, Any], Any]) -> Callable[[list[Any]], Any]:
    def pair(args: list[Any]) -> Any:
        return binary(_arg(args, 0), _arg(args, 1))

    return pair


_EAGER: dict[str, Callable[[list[Any]], Any]] = {
    **{name: _pair(binary) for name, binary in _BINARY.items()},
    "<": _between(or_equal=False),
    "<=": _between(or_equal=True),
    "!": lambda args: not truthy(_arg(args, 0)),
    "!!": lambda args: truthy(_arg(args, 0)),
    "+": _add,
    "*": _multiply,
    "-": _subtract,
    "min": _extreme(min, math.inf),
    "max": _extreme(max, -math.inf),
    # json-logic-js joins its arguments: null (and undefined) become "", not "null".
    "cat": lambda args: "".join("" if arg is None else js_string(arg) for arg in args),
    "substr": _substr,
    "merge": _merge,
}


# -------------------------------------------------------------- lazy operations


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


_LAZY: dict[str, Callable[[list[Node]], Node]] = {"if": _if, "and": _and, "or": _or}


# ------------------------------------------------- operations that read the data


def _missing_keys(keys: list[Any], data: Any) -> list[Any]:
    # ``missing`` reads each key as ``var`` would (without flagd's $flagd properties).
    missing = []
    for key in keys:
        value = _read(data, _steps(key), None)
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


_DATA_OPERATIONS: dict[str, Callable[[list[Node], Site], Node]] = {
    "missing": _build_missing,
    "missing_some": _build_missing_some,
}


# ------------------------------------------------------- scoped (array) operations


class _Parts(NamedTuple):
    """The raw arguments of an array operation, where they are, and where it is."""

    args: list[Any]
    paths: list[Path]
    site: Site
    depth: int


_Scoped = Callable[["_Compiler", _Parts], Node]


def _scoped_nodes(compiler: _Compiler, parts: _Parts, arity: range) -> list[Node]:
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


def _items_and_logic(compiler: _Compiler, parts: _Parts) -> tuple[Expr, Expr]:
    items, logic = _scoped_nodes(compiler, parts, range(2, 3))
    return items.fn, logic.fn


def _map(compiler: _Compiler, parts: _Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def map_(data: Any) -> list[Any]:
        values = items(data)
        if type(values) not in (list, tuple):
            return []
        return [logic(value) for value in values]

    return Node(map_)


def _filter(compiler: _Compiler, parts: _Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def filter_(data: Any) -> list[Any]:
        values = items(data)
        if type(values) not in (list, tuple):
            return []
        return [value for value in values if truthy(logic(value))]

    return Node(filter_)


def _all(compiler: _Compiler, parts: _Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def all_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple) or not values:
            return False  # json-logic-js: "all" of nothing is false
        return all(truthy(logic(value)) for value in values)

    return Node(all_)


def _none(compiler: _Compiler, parts: _Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def none_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple):
            return True
        return not any(truthy(logic(value)) for value in values)

    return Node(none_)


def _some(compiler: _Compiler, parts: _Parts) -> Node:
    items, logic = _items_and_logic(compiler, parts)

    def some_(data: Any) -> bool:
        values = items(data)
        if type(values) not in (list, tuple):
            return False
        return any(truthy(logic(value)) for value in values)

    return Node(some_)


def _reduce(compiler: _Compiler, parts: _Parts) -> Node:
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


_SCOPED: dict[str, _Scoped] = {
    "map": _map,
    "filter": _filter,
    "all": _all,
    "none": _none,
    "some": _some,
    "reduce": _reduce,
}


# ------------------------------------------------------------ flagd's operations


def _string_test(name: str, test: Callable[[str, str], bool]) -> OpBuilder:
    def build(nodes: list[Node], _raw: list[Any], site: Site) -> Node:
        if len(nodes) != 2:
            raise Misuse(site.path, f"{name} takes exactly 2 arguments")
        for index, node in enumerate(nodes):
            if node.constant and type(node.value) is not str:
                raise Misuse((*site.path, index), f"{name}'s arguments must be strings")
        get_text, get_affix = nodes[0].fn, nodes[1].fn
        if nodes[1].constant:
            affix = nodes[1].value

            def fixed(data: Any) -> bool:
                text = get_text(data)
                if type(text) is not str:
                    raise Abort
                return test(text, affix)

            return _constant_if_possible(fixed, nodes)

        def string_test(data: Any) -> bool:
            text, affix = get_text(data), get_affix(data)
            if type(text) is not str or type(affix) is not str:
                raise Abort
            return test(text, affix)

        return _constant_if_possible(string_test, nodes)

    return build


def _constant_if_possible(fn: Callable[[Any], Any], nodes: list[Node]) -> Node:
    if all(node.constant for node in nodes):
        try:
            return constant(fn(None))
        except Abort:
            pass
    return Node(fn)


_CUSTOM: dict[str, OpBuilder] = {
    "sem_ver": build_sem_ver,
    "starts_with": _string_test("starts_with", str.startswith),
    "ends_with": _string_test("ends_with", str.endswith),
}
_CUSTOM_BY_VERSION = {
    version: {**_CUSTOM, "fractional": fractional_builder(version)} for version in VERSIONS
}

OPERATORS = frozenset((*_EAGER, *_LAZY, *_SCOPED, *_DATA_OPERATIONS, *_CUSTOM, "fractional", "var"))
"""Every operator a rule may use."""
