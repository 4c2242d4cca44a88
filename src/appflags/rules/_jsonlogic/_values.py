"""JavaScript value semantics for JsonLogic, over the JSON values Python holds.

JsonLogic is defined by its reference implementation, json-logic-js, so its operators
coerce values the way JavaScript does: ``"1" == 1`` holds, ``[]`` is falsy but ``{}`` is
truthy, ``"10" < "9"`` compares strings but ``"10" < 9`` compares numbers. These helpers
reproduce that for ``None``, booleans, numbers, strings, lists and mappings. Any other
Python value a context may carry (a ``datetime``, say) behaves like a JavaScript object
whose string form is ``str(value)``.

None of them raises: a coercion that JavaScript answers with ``NaN`` answers ``NaN`` here.
"""

# Coercions read best as one return per JavaScript type, in the order the spec lists them.
# ruff: noqa: PLR0911

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

NAN = math.nan
"""What JavaScript calls ``NaN``: the answer of a numeric coercion that fails."""

# JavaScript's StrWhiteSpaceChar set (trimmed before numeric conversion).
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LEADING_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_RADIX = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}


def truthy(value: Any) -> bool:
    """JsonLogic's truthiness: JavaScript's, except that an empty list is falsy."""
    if value is True:
        return True
    if value is False or value is None:
        return False
    kind = type(value)
    if kind is str:
        return bool(value != "")
    if kind is int:
        return bool(value != 0)
    if kind is float:
        return bool(value == value and value != 0.0)  # NaN is falsy  # noqa: PLR0124
    if kind is list or kind is tuple:
        return len(value) > 0
    return True  # objects, mappings and anything else are truthy in JavaScript


def js_string(value: Any) -> str:
    """JavaScript's ``String(value)``: ``null``, ``true``, ``1``, ``1.5``, ``a,b``..."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return] # narrowed by the exact type check
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return str(value)
    if kind is float:
        return number_string(value)
    if kind is list or kind is tuple:
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, bool | int | float | str):  # subclasses (an IntEnum, a str Enum...)
        return js_string(_plain(value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def number_string(number: float) -> str:
    """JavaScript's ``Number.prototype.toString()`` for a float.

    Python's ``repr`` gives the same shortest round-trip digits; only the layout differs
    (JavaScript writes ``1e-7`` and ``0.000001`` where Python writes ``1e-07`` and ``1e-06``).
    """
    if number != number:  # noqa: PLR0124 - NaN
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    if number.is_integer() and abs(number) < 2**53:  # exact: the digits are the integer's
        return str(int(number))
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    size = len(digits)
    # ECMAScript Number::toString: the value is 0.<digits> x 10^point.
    point = int(exponent) + len(digit_tuple)
    prefix = "-" if sign else ""
    if size <= point <= 21:
        return prefix + digits + "0" * (point - size)
    if 0 < point <= 21:
        return prefix + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return prefix + "0." + "0" * -point + digits
    power = point - 1
    mark = "+" if power > 0 else "-"
    mantissa = digits if size == 1 else digits[0] + "." + digits[1:]
    return f"{prefix}{mantissa}e{mark}{abs(power)}"


def to_primitive(value: Any) -> Any:
    """JavaScript's ToPrimitive: lists and objects become their string form."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    return js_string(value)


def to_number(value: Any) -> int | float:
    """JavaScript's ``Number(value)``: ``null`` is 0, ``"12"`` is 12, ``"x"`` is NaN."""
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return] # narrowed by the exact type check
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if kind is str:
        return string_to_number(value)
    if isinstance(value, bool | int | float):
        return to_number(_plain(value))
    return string_to_number(js_string(value))


def string_to_number(text: str) -> int | float:
    """JavaScript's StringToNumber: decimal, ``Infinity``, ``0x``/``0o``/``0b``; else NaN."""
    text = text.strip(_JS_SPACE)
    if not text:
        return 0
    if _DECIMAL.fullmatch(text):
        try:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        except (ValueError, OverflowError):
            return NAN
    unsigned = text.lstrip("+-")
    if unsigned == "Infinity" and len(text) - len(unsigned) <= 1:
        return -math.inf if text[0] == "-" else math.inf
    base = _RADIX.get(text[:2])
    if base is not None:
        try:
            return int(text[2:], base) if text[2:].isalnum() else NAN
        except ValueError:
            return NAN
    return NAN


def parse_float(value: Any) -> int | float:
    """JavaScript's ``parseFloat(value)``: the longest decimal prefix of ``String(value)``."""
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return] # narrowed by the exact type check
    match = _LEADING_DECIMAL.match(js_string(value).lstrip(_JS_SPACE))
    if match is None:
        return NAN
    text = match.group()
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text[0] == "-" else math.inf
    try:
        return float(text)
    except OverflowError:  # pragma: no cover - float() answers inf rather than raising
        return NAN


def strict_equal(left: Any, right: Any) -> bool:
    """JavaScript's ``===``: same type and value; lists and objects only equal themselves."""
    if left is None or right is None:
        return left is right
    left_kind = _js_type(left)
    if left_kind != _js_type(right):
        return False
    if left_kind == "object":
        return left is right
    return bool(left == right)


def _js_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def loose_equal(left: Any, right: Any) -> bool:
    """JavaScript's ``==`` (the Abstract Equality Comparison) over JSON values."""
    left_kind, right_kind = type(left), type(right)
    if left_kind is right_kind and left_kind in (str, int, float):
        return bool(left == right)
    if left is None or right is None:
        return left is None and right is None  # null == undefined, and nothing else
    left_type, right_type = _js_type(left), _js_type(right)
    if left_type == right_type:
        if left_type == "object":
            return left is right
        return bool(left == right)
    if left_type == "boolean":
        return loose_equal(1 if left else 0, right)
    if right_type == "boolean":
        return loose_equal(left, 1 if right else 0)
    if left_type == "number" and right_type == "string":
        return bool(left == string_to_number(right))
    if left_type == "string" and right_type == "number":
        return bool(string_to_number(left) == right)
    if left_type == "object":
        return loose_equal(to_primitive(left), right)
    return loose_equal(left, to_primitive(right))


def less_than(left: Any, right: Any, *, or_equal: bool = False) -> bool:
    """JavaScript's ``<`` (or ``<=``): strings compare as strings, anything else as numbers."""
    left, right = to_primitive(left), to_primitive(right)
    if type(left) is str and type(right) is str:
        return left <= right if or_equal else left < right
    left_number, right_number = to_number(left), to_number(right)
    # Any comparison with NaN is false, which Python floats already do.
    return left_number <= right_number if or_equal else left_number < right_number
