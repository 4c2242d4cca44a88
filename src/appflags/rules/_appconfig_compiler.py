"""Compile AppConfig rule ASTs into closures, once per document.

A compiled rule is a :data:`Predicate`: ``predicate(context)`` returns ``True``, ``False``
or ``None``. ``None`` means *unknown*: the rule read a context key that is absent (or
``None``), or whose value cannot be compared with the constant it meets. ``and``, ``or``
and ``not`` follow Kleene's three-valued logic, and a variant matches only on ``True``, so a
rule never matches because of missing data (``(not (eq $state "VA"))`` does not match a
context without ``state``). Predicates read the context only through ``context.get``, never
raise on odd values, and do no parsing or regex compilation.
"""

# Every _compile_* takes (expr, flag) so that one table drives them all; only split
# needs the flag (the seed of an unseeded split).
# ruff: noqa: ARG001

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import re2

from appflags.rules._appconfig_parser import (
    COMPARISONS,
    STRING_TESTS,
    Const,
    Expr,
    Node,
    Ref,
    RuleSyntaxError,
    parse_rule,
)
from appflags.rules._appconfig_values import (
    as_bool,
    as_number,
    as_text,
    as_timestamp,
)
from appflags.rules._split import digest_bound, seed_prefix, sha256

Predicate = Callable[[Mapping[str, Any]], "bool | None"]

MAX_PATTERN_CHARS = 1024
"""Longest ``matches`` pattern accepted."""
MAX_MATCH_INPUT = 1024
"""Longer context values never match a pattern (the result is unknown): a bound on the
work one lookup can do in the regex engine."""

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_FLIP = {"eq": "eq", "gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "string": as_text,
    "int": as_number,
    "float": as_number,
    "bool": as_bool,
    "timestamp": as_timestamp,
}
_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "begins_with": str.startswith,
    "ends_with": str.endswith,
    "contains": str.__contains__,
}


def compile_rule(text: str, *, flag: str) -> Predicate:
    """Parse and compile one rule of flag ``flag`` (the seed of unseeded splits).

    Raises :class:`RuleSyntaxError` with the offset of the problem.

    >>> rule = compile_rule('(gte $age 18)', flag="adult")
    >>> rule({"age": "21"}), rule({"age": 12}), rule({})
    (True, False, None)
    """
    return compile_expr(parse_rule(text), flag=flag)


def compile_expr(expr: Expr, *, flag: str) -> Predicate:
    """Compile a parsed rule (see :func:`compile_rule`)."""
    return _COMPILERS[expr.op](expr, flag)


def _compile_logical(expr: Expr, flag: str) -> Predicate:
    parts = [compile_expr(_as_expr(a), flag=flag) for a in expr.args]
    return _not(parts[0]) if expr.op == "not" else _logical(expr.op, parts)


def _compile_comparison(expr: Expr, flag: str) -> Predicate:
    return _comparison(expr.op, expr.args[0], expr.args[1])


def _compile_string_test(expr: Expr, flag: str) -> Predicate:
    return _string_test(_STRING_TESTS[expr.op], expr.args[0], expr.args[1])


def _compile_in(expr: Expr, flag: str) -> Predicate:
    return _in(expr.args[0], _as_const(expr.args[1]))


def _compile_matches(expr: Expr, flag: str) -> Predicate:
    return _matches(expr.named["in"], _as_const(expr.named["pattern"]))


def _compile_exists(expr: Expr, flag: str) -> Predicate:
    key = _as_const(expr.named["key"]).value
    return lambda context: context.get(key) is not None


def _compile_split(expr: Expr, flag: str) -> Predicate:
    seed = expr.named.get("seed")
    return _split(
        _as_ref(expr.named["by"]).key,
        flag if seed is None else _as_const(seed).value,
        _as_const(expr.named["pct"]).value,
    )


def rests_on_split(expr: Expr) -> bool:
    """Whether every way for ``expr`` to be true goes through a ``split``.

    Decides the reason of a matched variant: ``SPLIT`` when this holds, else
    ``TARGETING_MATCH``. ``and`` rests on a split when one operand does; ``or`` when all do.
    """
    if expr.op == "split":
        return True
    parts = [a for a in expr.args if isinstance(a, Expr)]
    if expr.op == "and":
        return any(rests_on_split(p) for p in parts)
    if expr.op == "or":
        return all(rests_on_split(p) for p in parts)
    if expr.op == "not":
        return rests_on_split(parts[0])
    return False


# ------------------------------------------------------------------------------ logic


def _logical(op: str, parts: list[Predicate]) -> Predicate:
    stop = op == "or"  # the result that decides at once: True for or, False for and
    if len(parts) == 2:
        first, second = parts

        def pair(context: Mapping[str, Any]) -> bool | None:
            a = first(context)
            if a is stop:
                return stop
            b = second(context)
            if b is stop:
                return stop
            return None if a is None or b is None else not stop

        return pair

    def many(context: Mapping[str, Any]) -> bool | None:
        unknown = False
        for part in parts:
            result = part(context)
            if result is stop:
                return stop
            if result is None:
                unknown = True
        return None if unknown else not stop

    return many


def _not(part: Predicate) -> Predicate:
    def negate(context: Mapping[str, Any]) -> bool | None:
        result = part(context)
        return None if result is None else not result

    return negate


# ------------------------------------------------------------------------- comparisons


def _comparison(op: str, left: Node, right: Node) -> Predicate:
    if isinstance(left, Const) and isinstance(right, Ref):
        left, right, op = right, left, _FLIP[op]
    if isinstance(left, Ref) and isinstance(right, Const):
        return _ref_against_const(op, left.key, right)
    if isinstance(left, Ref) and isinstance(right, Ref):
        return _ref_against_ref(op, left.key, right.key)
    result = _compare_values(op, _as_const(left).value, _as_const(right).value)
    return lambda _context: result


def _ref_against_const(op: str, key: str, const: Const) -> Predicate:
    target = const.value
    if const.kind == "string" and op == "eq":
        text_target: str = target

        def equals_text(context: Mapping[str, Any]) -> bool | None:
            value = context.get(key)
            if type(value) is str:
                return text_target == value
            text = as_text(value)
            return None if text is None else text == text_target

        return equals_text

    compare = _ORDER[op]
    convert = _CONVERT[const.kind]

    def compare_converted(context: Mapping[str, Any]) -> bool | None:
        value = context.get(key)
        if value is None:
            return None
        converted = convert(value)
        return None if converted is None else compare(converted, target)

    return compare_converted


def _ref_against_ref(op: str, left: str, right: str) -> Predicate:
    def compare_context(context: Mapping[str, Any]) -> bool | None:
        return _compare_values(op, context.get(left), context.get(right))

    return compare_context


def _family(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, date):  # datetime is a date too
        return "timestamp"
    return None


def _compare_values(op: str, left: Any, right: Any) -> bool | None:
    """Two values of the same family, compared; ``None`` when they are not comparable."""
    family = _family(left)
    if family is None or family != _family(right) or (family == "bool" and op != "eq"):
        return None
    if family == "timestamp":
        left, right = as_timestamp(left), as_timestamp(right)
    return _ORDER[op](left, right)


# ----------------------------------------------------------------------- string tests


def _text_of(node: Node) -> Callable[[Mapping[str, Any]], str | None]:
    if isinstance(node, Ref):
        key = node.key
        return lambda context: as_text(context.get(key))
    text = as_text(_as_const(node).value)
    return lambda _context: text


def _string_test(test: Callable[[str, str], bool], left: Node, right: Node) -> Predicate:
    if isinstance(left, Ref) and isinstance(right, Const):
        # The common shape, (begins_with $state "A"), without the generic path's calls.
        key, operand = left.key, right.value

        def test_context(context: Mapping[str, Any]) -> bool | None:
            value = context.get(key)
            if type(value) is not str:
                value = as_text(value)
                if value is None:
                    return None
            return test(value, operand)

        return test_context

    get_left, get_right = _text_of(left), _text_of(right)

    def test_both(context: Mapping[str, Any]) -> bool | None:
        a, b = get_left(context), get_right(context)
        return None if a is None or b is None else test(a, b)

    return test_both


# --------------------------------------------------------------------------------- in


def _in(needle: Node, haystack: Const) -> Predicate:
    items = haystack.value
    strings = frozenset(i for i in items if isinstance(i, str))
    # Booleans are kept apart: True == 1 would otherwise make (in $x [1]) match True.
    flags = frozenset(i for i in items if isinstance(i, bool))
    numbers = frozenset(i for i in items if isinstance(i, int | float) and not isinstance(i, bool))

    def contains(value: Any) -> bool | None:
        if isinstance(value, str):
            return _text_in(value, strings, numbers, flags)
        if isinstance(value, bool):
            return value in flags or ("true" if value else "false") in strings
        if isinstance(value, int | float):
            return value in numbers or str(value) in strings
        return None

    if isinstance(needle, Const):
        result = contains(needle.value)
        return lambda _context: result
    key = _as_ref(needle).key

    def in_list(context: Mapping[str, Any]) -> bool | None:
        value = context.get(key)
        if type(value) is str and value in strings:
            return True
        return contains(value)

    return in_list


def _text_in(
    value: str, strings: frozenset[str], numbers: frozenset[Any], flags: frozenset[bool]
) -> bool:
    if value in strings:
        return True
    if numbers:
        number = as_number(value)
        if number is not None and number in numbers:
            return True
    return bool(flags) and as_bool(value) in flags


# ---------------------------------------------------------------------------- matches


def _matches(subject: Node, pattern: Const) -> Predicate:
    search = compile_pattern(pattern.value, pattern.pos).search
    get_text = _text_of(subject)

    def match(context: Mapping[str, Any]) -> bool | None:
        text = get_text(context)
        if text is None or len(text) > MAX_MATCH_INPUT:
            return None
        return search(text) is not None

    return match


def compile_pattern(pattern: str, pos: int) -> Any:
    """Compile a ``matches`` pattern for RE2, a linear-time engine; see ``docs/rules.md``.

    RE2 runs in time linear in the value whatever the pattern (``(a|aa)*b`` included),
    because it has no backtracking: syntax that needs it (backreferences, lookaround,
    possessive repeats) is refused here, at load, with the rule's column.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RuleSyntaxError(f"a pattern is at most {MAX_PATTERN_CHARS} characters", pos)
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise RuleSyntaxError(f"pattern not supported by RE2: {text}", pos) from None


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported once, as a rule problem


# ------------------------------------------------------------------------------ split


def _split(key: str, seed: str, pct: float) -> Predicate:
    prefix, bound = seed_prefix(seed), digest_bound(pct)

    def split(context: Mapping[str, Any]) -> bool | None:
        value = context.get(key)
        if type(value) is not str:
            value = as_text(value)
            if value is None:
                return None
        return sha256(prefix + value.encode("utf-8", "surrogatepass")).digest() < bound

    return split


# -------------------------------------------------------------------------- narrowing


def _as_expr(node: Node) -> Expr:
    assert isinstance(node, Expr)  # noqa: S101 - the parser checked operand kinds
    return node


def _as_const(node: Node) -> Const:
    assert isinstance(node, Const)  # noqa: S101 - the parser checked operand kinds
    return node


def _as_ref(node: Node) -> Ref:
    assert isinstance(node, Ref)  # noqa: S101 - the parser checked operand kinds
    return node


_COMPILERS: dict[str, Callable[[Expr, str], Predicate]] = {
    **dict.fromkeys(("and", "or", "not"), _compile_logical),
    **dict.fromkeys(COMPARISONS, _compile_comparison),
    **dict.fromkeys(STRING_TESTS, _compile_string_test),
    "in": _compile_in,
    "matches": _compile_matches,
    "exists": _compile_exists,
    "split": _compile_split,
}
