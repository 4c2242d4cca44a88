"""What each typed lookup answers, and how a misuse of one is described.

Each converter accepts a value or turns it into ``_MISMATCH``; ``_fits`` tells whether a
default is of a type its lookup answers (a default that is not: the context was likely
passed where the default goes). Pure functions of the lookup path: never raising.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_MISMATCH: Any = object()
_CONTAINERS = (dict, list)


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (faster than ``copy.deepcopy`` for plain data)."""
    # Scalars are kept without a call each: most values are flat lists and objects.
    if type(value) is dict:
        return {k: _copy(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) if type(v) in _CONTAINERS else v for v in value]
    return value


# Each typed lookup accepts a value or turns it into _MISMATCH.
def _as_bool(value: Any) -> Any:
    return value if value is True or value is False else _MISMATCH


def _as_str(value: Any) -> Any:
    return value if type(value) is str else _MISMATCH


def _as_int(value: Any) -> Any:
    # type() is exact: a bool is an int subclass but never answers an int lookup.
    return value if type(value) is int else _MISMATCH


def _as_float(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        try:
            return float(value)
        except OverflowError:  # JSON reads any integer: one beyond a float is no float
            return _MISMATCH
    return _MISMATCH


def _as_object(value: Any) -> Any:
    return _copy(value) if type(value) in (dict, list) else _MISMATCH


def _as_any(value: Any) -> Any:
    return _copy(value)


_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    type(None): _as_any,
    bool: _as_bool,
    int: _as_int,
    float: _as_float,
    str: _as_str,
}


def _converter(default: Any) -> Callable[[Any], Any]:
    """The conversion the default's type asks for (exact types first, for speed)."""
    convert = _CONVERTERS.get(type(default))
    if convert is not None:
        return convert
    # By type(default) alone, as evaluate's memo is keyed: isinstance would also consult
    # __class__, which a proxy may fake (or which may raise).
    kind_of_default = type(default)
    for kind, candidate in _CONVERTERS.items():  # subclasses: an IntEnum, a str subclass...
        if kind is not bool and issubclass(kind_of_default, kind):
            return candidate
    return _as_object


_KINDS: dict[Callable[[Any], Any], tuple[type, ...]] = {
    _as_bool: (bool,),
    _as_str: (str,),
    _as_int: (int,),
    _as_float: (int, float),
    _as_object: (Mapping, list, tuple),
}
_LOOKUP_NAMES: dict[Callable[[Any], Any], str] = {
    _as_bool: "is_enabled/get_bool",
    _as_str: "get_str",
    _as_int: "get_int",
    _as_float: "get_float",
    _as_object: "get_object",
}


def _fits(convert: Callable[[Any], Any], default: object) -> bool:
    """Whether ``default`` is of a type the typed lookup ``convert`` answers (a bool is no
    number)."""
    kinds = _KINDS.get(convert)
    if kinds is None:
        return True
    kind = type(default)
    if kind is bool and convert is not _as_bool:
        return False
    try:
        return kind in kinds or isinstance(default, kinds)
    except Exception:  # noqa: BLE001 - a __class__ that raises: not of those types
        return False


def _type_name(value: object) -> str:
    return type(value).__name__


def _context_problem(context: object) -> str:
    return (
        f"context is a {_type_name(context)}, not a mapping: answered the default "
        "(INVALID_CONTEXT); is_enabled(key, context, default=...) takes the context second, "
        "get_*(key, default, context) third"
    )


def _default_problem(convert: Callable[[Any], Any], default: object) -> str:
    return (
        f"default of {_LOOKUP_NAMES.get(convert, 'a typed lookup')} is a "
        f"{_type_name(default)}: was the context passed as the default?"
    )
