"""The lookups of a ``Flags`` built with ``track_usage=True``: each answer counted per key,
variant, reason and error code, for ``usage()``.

Only instances built with ``track_usage=True`` carry them (set on the instance, see
:func:`tracked_lookups`): the class's methods, and every other ``Flags``, stay as fast as
without tracking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appflags._evaluation import Reason
from appflags._typed import (
    _as_bool,
    _as_float,
    _as_int,
    _as_object,
    _as_str,
    _default_problem,
    _fits,
)

STATIC = Reason.STATIC

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from appflags._evaluation import Evaluation
    from appflags._lookups import Lookups
    from appflags._usage import UsageRecorder


class _StrProbe(str):
    __slots__ = ()


class _IntProbe(int):
    __slots__ = ()


class _FloatProbe(float):
    __slots__ = ()


class _ObjectProbe(dict[str, Any]):
    __slots__ = ()


# Defaults of the exact kind each typed lookup converts to: ``evaluate`` then applies the
# same conversion whatever the caller's default is, and answering with the probe itself
# means "the caller's default".
_STR, _INT, _FLOAT, _OBJECT = _StrProbe(), _IntProbe(), _FloatProbe(), _ObjectProbe()


def tracked_lookups(flags: Lookups, recorder: UsageRecorder) -> dict[str, Any]:
    """Lookup methods that count every answer, to set on one ``Flags`` instance.

    Each answers through ``evaluate`` (which knows the variant and reason) with the
    conversion of the typed lookup it replaces, so the values are those of the untracked
    methods. Only instances built with ``track_usage=True`` carry them: the class's
    methods, and every other ``Flags``, stay as fast as without tracking.
    """
    evaluate = type(flags).evaluate.__get__(flags)
    counts = recorder.counts  # the recorder's own dict: counting inlined for speed
    count_new = recorder.count_new

    # The counting is written out in each closure: a call per lookup would cost more
    # than the count itself.
    def tracked_evaluate(
        key: str, default: Any, context: Mapping[str, Any] | None = None
    ) -> Evaluation:
        result: Evaluation = evaluate(key, default, context)
        counted = (key, result[1], result[2], result[3])
        try:
            counts[counted] += 1
        except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
            count_new(counted)
        return result

    def typed(
        probe: Any, convert: Callable[[Any], Any]
    ) -> Callable[[str, Any, Mapping[str, Any] | None], Any]:
        def lookup(key: str, default: Any, context: Mapping[str, Any] | None = None) -> Any:
            result = evaluate(key, probe, context)
            counted = (key, result[1], result[2], result[3])
            try:
                counts[counted] += 1
            except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
                count_new(counted)
            value = result[0]
            if value is probe:
                return flags._default(key, default, convert)
            ruled = context is None and result[1] is not STATIC
            if ruled and default is not None and not _fits(convert, default):
                # rules answered for no context: the context passed as the default?
                flags._misused(key, _default_problem(convert, default))
            return value

        return lookup

    def is_enabled(
        key: str, context: Mapping[str, Any] | None = None, *, default: bool = False
    ) -> bool:
        # is_enabled answers booleans whatever the default's type: a default that is no
        # bool (rare) must not make evaluate() expect its type instead.
        expected = default if default is True or default is False else None
        result = evaluate(key, expected, context)
        counted = (key, result[1], result[2], result[3])
        try:
            counts[counted] += 1
        except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
            count_new(counted)
        value = result[0]
        if value is True or value is False:
            if expected is None and context is None and result[1] is not STATIC:
                # rules answered for no context: was the context passed as the default?
                flags._misused(key, _default_problem(_as_bool, default))
            return value
        return flags._default(key, default, _as_bool)

    def get_bool(
        key: str,
        default: bool,  # noqa: FBT001 - same shape as the untracked method
        context: Mapping[str, Any] | None = None,
    ) -> bool:
        return is_enabled(key, context, default=default)

    return {
        "evaluate": tracked_evaluate,
        "is_enabled": is_enabled,
        "get_bool": get_bool,
        "get_str": typed(_STR, _as_str),
        "get_int": typed(_INT, _as_int),
        "get_float": typed(_FLOAT, _as_float),
        "get_object": typed(_OBJECT, _as_object),
    }
