"""The lookups of ``Flags``: typed answers read from the current snapshot.

Everything here runs on the caller's thread for every lookup: it never raises, never
blocks, never does I/O and never logs. The life cycle (sources, polling, listeners)
lives in ``_flags``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from appflags._evaluation import ErrorCode, Evaluation, Reason
from appflags._snapshot import NOT_READY, Snapshot
from appflags.formats import USE_DEFAULT, Resolved

T = TypeVar("T")

_EMPTY: Mapping[str, Any] = {}
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})
_ERROR = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.GENERAL)
_INVALID_CONTEXT = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.INVALID_CONTEXT)
_DISABLED = Resolved(USE_DEFAULT, None, Reason.DISABLED)
_MISMATCH: Any = object()
_MEMO_LIMIT = 10_000
"""Evaluations memoised per snapshot: a bound for formats that build answers per call."""
_ERROR_MESSAGES = {
    ErrorCode.GENERAL: "the flag's rule failed on this context",
    ErrorCode.INVALID_CONTEXT: "the context must be a mapping of attribute names to values",
}


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (faster than ``copy.deepcopy`` for plain data)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
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
    return float(value) if kind is int else _MISMATCH


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
    for kind, candidate in _CONVERTERS.items():  # subclasses: an IntEnum, a str subclass...
        if kind is not bool and isinstance(default, kind):
            return candidate
    return _as_object


class Lookups:
    """The read side of :class:`~appflags.Flags`: every lookup reads ``_snapshot`` once."""

    __slots__ = ()
    _snapshot: Snapshot = NOT_READY

    def is_enabled(
        self, key: str, context: Mapping[str, Any] | None = None, *, default: bool = False
    ) -> bool:
        """Whether the flag ``key`` is on for ``context``; ``default`` when it cannot tell."""
        snapshot = self._snapshot
        # Most lookups are of static booleans: one dict lookup answers them.
        answer = snapshot.bools.get(key)
        if answer is not None:
            return answer
        resolved = snapshot.static.get(key)
        if resolved is None:
            resolved = self._resolve_dynamic(snapshot, key, context)
            if resolved is None:
                return default
        value = resolved.value
        return value if value is True or value is False else default

    def get_bool(
        self,
        key: str,
        default: bool,  # noqa: FBT001 - same shape as every typed lookup
        context: Mapping[str, Any] | None = None,
    ) -> bool:
        """The boolean at ``key``, or ``default`` when missing or not a boolean."""
        return self.is_enabled(key, context, default=default)

    def get_str(self, key: str, default: str, context: Mapping[str, Any] | None = None) -> str:
        """The string at ``key``, or ``default`` when missing or not a string."""
        # The static case is inlined (as in is_enabled): it is most lookups, and a
        # function call would cost a third of the lookup.
        resolved = self._snapshot.static.get(key)
        if resolved is not None:
            value = resolved.value
            return value if type(value) is str else default
        return self._lookup(key, default, context, _as_str)

    def get_int(self, key: str, default: int, context: Mapping[str, Any] | None = None) -> int:
        """The integer at ``key``, or ``default``. A boolean never answers (``True`` is no 1)."""
        return self._lookup(key, default, context, _as_int)

    def get_float(
        self, key: str, default: float, context: Mapping[str, Any] | None = None
    ) -> float:
        """The number at ``key`` as a float (an integer answers too), or ``default``."""
        return self._lookup(key, default, context, _as_float)

    def get_object(self, key: str, default: T, context: Mapping[str, Any] | None = None) -> T:
        """The object or list at ``key``, as a fresh copy the caller may change freely."""
        return self._lookup(key, default, context, _as_object)

    def evaluate(
        self, key: str, default: Any, context: Mapping[str, Any] | None = None
    ) -> Evaluation:
        """The answer for ``key`` with how it was reached (variant, reason, error, version).

        The type of ``default`` sets the expected type, as in the typed lookups; with
        ``default=None`` any value answers.
        """
        snapshot = self._snapshot
        version = snapshot.version
        if not snapshot.ready:
            return _failed(default, ErrorCode.PROVIDER_NOT_READY, "no flags loaded yet", version)
        resolved = snapshot.static.get(key) or self._resolve_dynamic(snapshot, key, context)
        if resolved is None:
            return _failed(default, ErrorCode.FLAG_NOT_FOUND, f"flag {key!r} not found", version)
        convert = _converter(default)
        # Formats build one Resolved per answer (per static key, per variant), so the same
        # Resolved object means the same Evaluation: build it once. The memo holds the
        # Resolved itself, so its id cannot be reused while the entry exists.
        memo_key = (key, convert, id(resolved))
        memo = snapshot.evaluations.get(memo_key)
        if memo is not None and memo[0] is resolved:
            return memo[1]
        if resolved.value is USE_DEFAULT:
            error = resolved.error
            return Evaluation(
                default,
                resolved.variant,
                resolved.reason,
                error,
                _ERROR_MESSAGES.get(error) if error else None,
                version,
            )
        value = convert(resolved.value)
        if value is _MISMATCH:
            found, expected = type(resolved.value).__name__, type(default).__name__
            message = f"flag {key!r} is {found}, expected {expected}"
            return _failed(default, ErrorCode.TYPE_MISMATCH, message, version)
        result = Evaluation(value, resolved.variant, resolved.reason, None, None, version)
        if type(value) not in (dict, list) and len(snapshot.evaluations) < _MEMO_LIMIT:
            # Objects are copied per call, so only scalar answers are shared.
            snapshot.evaluations[memo_key] = (resolved, result)
        return result

    def enabled_features(self, context: Mapping[str, Any] | None = None) -> list[str]:
        """The flags that are on for ``context``, in document order."""
        return [key for key in self._snapshot.features if self.is_enabled(key, context)]

    def metadata(self, key: str) -> Mapping[str, Any]:
        """The metadata the document attaches to flag ``key`` (read-only; empty when none).

        Only formats that carry flag metadata fill it (``flagd``: the flag's ``metadata``
        over the flag set's). Never raises, never copies.
        """
        return self._snapshot.metadata.get(key, _NO_METADATA)

    def _lookup(
        self,
        key: str,
        default: T,
        context: Mapping[str, Any] | None,
        convert: Callable[[Any], Any],
    ) -> T:
        snapshot = self._snapshot
        resolved = snapshot.static.get(key)
        if resolved is None:
            resolved = self._resolve_dynamic(snapshot, key, context)
            if resolved is None:
                return default
        value = convert(resolved.value)
        return default if value is _MISMATCH or value is USE_DEFAULT else value

    @staticmethod
    def _resolve_dynamic(
        snapshot: Snapshot, key: str, context: Mapping[str, Any] | None
    ) -> Resolved | None:
        rule = snapshot.rules.get(key)
        if rule is None:
            if snapshot.disabled and key.rpartition(".")[0] in snapshot.disabled:
                return _DISABLED
            return None
        if context is None:
            context = _EMPTY
        elif not isinstance(context, Mapping):
            return _INVALID_CONTEXT
        try:
            return rule(context)
        except Exception:  # noqa: BLE001 - a lookup never raises; rules are built not to
            return _ERROR


def _failed(default: Any, code: ErrorCode, message: str, version: str | None) -> Evaluation:
    return Evaluation(default, None, Reason.ERROR, code, message, version)
