"""JsonLogic operations that evaluate all their arguments first (folded at compile time when
they are constant), with the fast paths of the commonest comparisons."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from appflags.rules._jsonlogic._base import Node, constant
from appflags.rules._jsonlogic._values import (
    NAN,
    js_string,
    less_than,
    loose_equal,
    parse_float,
    strict_equal,
    to_number,
    truthy,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def eager(operator: str, impl: Callable[[list[Any]], Any], nodes: list[Node]) -> Node:
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


EAGER: dict[str, Callable[[list[Any]], Any]] = {
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
