"""The lookups of ``Flags``: typed answers read from the current snapshot.

Everything here runs on the caller's thread for every lookup: it never raises, never
blocks, never does I/O and never logs (the rules ``from_agent`` compiles for
multi-variant flags may ask the Agent on a cache miss: ``sources._agent_variants``).
The life cycle (sources, polling, listeners) lives in ``_flags``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from appflags._evaluation import ErrorCode, Evaluation, Reason
from appflags._snapshot import NOT_READY, Snapshot
from appflags.formats import USE_DEFAULT, Resolved

if TYPE_CHECKING:
    from appflags._usage import UsageRecorder
    from appflags.formats import Rule

T = TypeVar("T")

_EMPTY: Mapping[str, Any] = {}
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})
_ERROR = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.GENERAL)
_INVALID_CONTEXT = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.INVALID_CONTEXT)
_DISABLED = Resolved(USE_DEFAULT, None, Reason.DISABLED)
_MISMATCH: Any = object()
_CONTAINERS = (dict, list)
_MEMO_LIMIT = 10_000
"""Evaluations memoised per snapshot: a bound for formats that build answers per call."""
_ERROR_MESSAGES = {
    ErrorCode.GENERAL: "the flag's rule failed on this context",
    ErrorCode.INVALID_CONTEXT: "the context must be a mapping of attribute names to values",
}


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
    """The read side of :class:`~appflags.Flags`: every lookup reads ``_snapshot`` once.

    No lookup raises, whatever it is given: a key that is not a string (``None``, a
    number, bytes, a tuple, a list, a dict) names no flag, so it answers the default, and
    ``evaluate`` says ``FLAG_NOT_FOUND``; a context that is not a mapping answers the
    default with ``INVALID_CONTEXT`` where a rule would read it.
    """

    __slots__ = ()
    _snapshot: Snapshot = NOT_READY
    _usage: UsageRecorder | None = None
    """Counts lookups of keys the document lacks (set by ``Flags``)."""

    def is_enabled(
        self, key: str, context: Mapping[str, Any] | None = None, *, default: bool = False
    ) -> bool:
        """Whether the flag ``key`` is on for ``context``; ``default`` when it cannot tell."""
        snapshot = self._snapshot
        try:
            # Most lookups are of static booleans: one dict lookup answers them.
            answer = snapshot.bools.get(key)
            if answer is not None:
                return answer
            resolved = snapshot.static.get(key)
            if resolved is None:
                rule = snapshot.rules.get(key)
                if rule is None:
                    self._absent(snapshot, key)
                    return default
                # _resolve_rule, written out: a call costs a tenth of a rule lookup.
                if context is None:
                    context = _EMPTY
                elif type(context) is not dict and not isinstance(context, Mapping):
                    return default  # INVALID_CONTEXT
                resolved = rule(context)
        except Exception:  # noqa: BLE001 - a key that is unhashable, or whose hash or ==
            # raises, names no flag; and a lookup never raises (rules are built not to)
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
        try:
            resolved = self._snapshot.static.get(key)
        except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
            return default
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
        # Every answer that does not depend on the context (static, missing, disabled,
        # not ready, failures included) is kept per snapshot, key and default: one tuple
        # and one dict lookup answer it. A key with rules is kept as a marker there too,
        # so that only the first lookup of a key and default misses the memo (a raised
        # KeyError costs more than the lookup).
        kind = type(default)
        try:
            shared = snapshot.shared[
                (key, kind) if kind is dict or kind is list else (key, kind, default)
            ]
        except Exception:  # noqa: BLE001 - not kept yet; or an unhashable key or default,
            # or one whose hash or == raises: the slow path sorts them out, never raising
            return self._evaluate_unshared(snapshot, key, default, context)
        kind = type(shared)
        if kind is Evaluation:
            return shared
        if kind is _Rules:
            return _dynamic(snapshot, key, default, context)
        if kind is _FlatCopy:
            # A list or object of scalars: the caller gets its own shallow copy.
            return _make(
                Evaluation,
                (shared[0].copy(), shared[1], shared[2], shared[3], shared[4], shared[5]),
            )
        if kind is _Counted or kind is _Missing:
            # Only ready snapshots and string keys are kept as missing (see _remember).
            usage = self._usage
            if usage is not None:
                usage.missing(key)
            if kind is _Counted:
                return shared[0]  # type: ignore[no-any-return]  # _Counted holds the answer
        return _fresh(shared, default)

    def _evaluate_unshared(
        self, snapshot: Snapshot, key: str, default: Any, context: Mapping[str, Any] | None
    ) -> Evaluation:
        """``evaluate`` for a key and default its memo does not answer (yet): answered
        afresh and kept for the next caller (if another thread kept it meanwhile, it kept
        the same answer)."""
        kind = type(default)
        # An unhashable default (dict, list): only object answers are kept, and those
        # depend on the default's type alone.
        shared_key: tuple[Any, ...] | None = (
            (key, kind) if kind is dict or kind is list else (key, kind, default)
        )
        try:
            hash(shared_key)
            if kind is not dict and kind is not list and default != default:  # noqa: PLR0124 - NaN
                shared_key = None  # equals nothing: its entry would never answer again
        except Exception:  # noqa: BLE001 - an unhashable default or key (or one whose
            # hash or == raises): nothing to share
            if not isinstance(key, str):
                return _failed(default, ErrorCode.FLAG_NOT_FOUND, _not_found(key), snapshot.version)
            shared_key = None
        try:
            answer = _evaluate(snapshot, key, default, context, shared_key)
            if answer[3] is ErrorCode.FLAG_NOT_FOUND:  # [3]: error_code, without the property
                self._missing(snapshot, key)
        except Exception:  # noqa: BLE001 - a key whose hash or == raises names no flag
            return _failed(default, ErrorCode.FLAG_NOT_FOUND, _not_found(key), snapshot.version)
        return answer

    def enabled_features(self, context: Mapping[str, Any] | None = None) -> list[str]:
        """The flags that are on for ``context``, in document order.

        All of them are read from one snapshot, so the list never mixes two versions.
        """
        snapshot = self._snapshot
        return [key for key in snapshot.features if _enabled(snapshot, key, context)]

    def metadata(self, key: str) -> Mapping[str, Any]:
        """The metadata the document attaches to flag ``key`` (read-only; empty when none).

        Only formats that carry flag metadata fill it (``flagd``: the flag's ``metadata``
        over the flag set's). Never raises, never copies.
        """
        try:
            return self._snapshot.metadata.get(key, _NO_METADATA)
        except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
            return _NO_METADATA

    def _lookup(
        self,
        key: str,
        default: T,
        context: Mapping[str, Any] | None,
        convert: Callable[[Any], Any],
    ) -> T:
        snapshot = self._snapshot
        try:
            resolved = snapshot.static.get(key)
            if resolved is None:
                rule = snapshot.rules.get(key)
                if rule is None:
                    self._absent(snapshot, key)
                    return default
                resolved = self._resolve_rule(rule, context)
        except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
            return default
        value = convert(resolved.value)
        return default if value is _MISMATCH or value is USE_DEFAULT else value

    def _missing(self, snapshot: Snapshot, key: str) -> None:
        # Before any flags arrive every key is "missing": only loaded flags count.
        usage = self._usage
        if usage is not None and snapshot.ready and isinstance(key, str):
            usage.missing(key)

    def _absent(self, snapshot: Snapshot, key: str) -> None:
        """A key with neither a static answer nor rules: count it, unless it names an
        attribute of a disabled flag (those answer the default without being missing)."""
        if type(key) is not str and not isinstance(key, str):
            return  # no flag's key: neither disabled nor counted
        if snapshot.disabled and key.rpartition(".")[0] in snapshot.disabled:
            return
        usage = self._usage
        if usage is not None and snapshot.ready:
            usage.missing(key)

    @staticmethod
    def _resolve_rule(rule: Rule, context: Mapping[str, Any] | None) -> Resolved:
        """What ``rule`` answers for ``context`` (never raising)."""
        if context is None:
            context = _EMPTY
        elif type(context) is not dict and not isinstance(context, Mapping):
            return _INVALID_CONTEXT
        try:
            return rule(context)
        except Exception:  # noqa: BLE001 - a lookup never raises; rules are built not to
            return _ERROR


_SHAREABLE = frozenset((type(None), bool, int, float, str))
"""Defaults whose equal values are interchangeable, so an answer holding one is shared;
but for 0.0 and -0.0, equal and hashed alike yet not the same number (see
:func:`_own_default`)."""
_make: Callable[..., Evaluation] = tuple.__new__
"""Builds an Evaluation from a tuple of its six fields, skipping ``__new__``'s defaults."""


def _evaluate(
    snapshot: Snapshot,
    key: str,
    default: Any,
    context: Mapping[str, Any] | None,
    shared_key: tuple[Any, ...] | None,
) -> Evaluation:
    """``evaluate`` past its memo of shared answers; fills it under ``shared_key``."""
    answer: Evaluation
    if not snapshot.ready and key not in snapshot.static:  # only overrides answer then
        answer = _failed(default, ErrorCode.PROVIDER_NOT_READY, "no flags loaded yet", None)
    else:
        resolved = snapshot.static.get(key)
        if resolved is None:
            if (
                snapshot.rules.get(key) is not None
            ):  # not `in`: Agent variant rules are made on demand
                if shared_key is not None and len(snapshot.shared) < _MEMO_LIMIT:
                    snapshot.shared[shared_key] = _RULES
                return _dynamic(snapshot, key, default, context)
            resolved = _resolve_missing(snapshot, key)
        answer = _answer(snapshot.version, key, default, resolved)
    if shared_key is None or len(snapshot.shared) >= _MEMO_LIMIT:
        return answer
    try:
        return _remember(snapshot.shared, shared_key, key, default, answer)
    except Exception:  # noqa: BLE001 - a default whose equality raises: nothing shared
        return answer


def _remember(
    shared: dict[tuple[Any, ...], Evaluation],
    shared_key: tuple[Any, ...],
    key: str,
    default: Any,
    answer: Evaluation,
) -> Evaluation:
    """Keep ``answer`` in ``shared`` for the next caller with an equal default."""
    value = answer.value
    if answer.error_code is ErrorCode.FLAG_NOT_FOUND:
        # Shared too, but marked: evaluate() counts each lookup of a missing key. A key
        # that is not a string is not shared: 1, 1.0 and True are equal keys, but the
        # message names each one's own type.
        if isinstance(key, str):
            if value is default and len(shared_key) == 3 and not _own_default(default):
                # Equal defaults stand in for each other: one answer for every caller.
                shared[shared_key] = _make(_Counted, (answer, None, None, None, None, None))
            else:
                shared[shared_key] = _make(_Missing, answer)
        return answer
    if value is default:
        # Failures and disabled answers hold the caller's default: when equal defaults may
        # not stand in for each other, the template gets each caller's own.
        if len(shared_key) == 2 or _own_default(default):
            shared[shared_key] = _make(_WithDefault, answer)
            return answer
    elif type(value) in _CONTAINERS:
        # An object answer is copied for every caller: this private copy is the template.
        flat = not any(
            type(v) in _CONTAINERS for v in (value.values() if type(value) is dict else value)
        )
        template = _make(_FlatCopy if flat else _DeepCopy, answer)
        shared[shared_key] = template
        return _fresh(template, default)
    shared[shared_key] = answer
    return answer


class _Template(Evaluation):
    """A memoised answer whose value is made per call (see :func:`_fresh`)."""

    __slots__ = ()


class _WithDefault(_Template):
    __slots__ = ()


class _FlatCopy(_Template):
    __slots__ = ()


class _DeepCopy(_Template):
    __slots__ = ()


class _Rules(_Template):
    """The marker of a key with rules: its answers are made per context."""

    __slots__ = ()


_RULES = _make(_Rules, (None, None, Reason.TARGETING_MATCH, None, None, None))


class _Counted(_Template):
    """A missing key's answer shared by every caller (held in the first field), and a
    lookup to count."""

    __slots__ = ()


class _Missing(_Template):
    """A missing key's answer: the caller's default, and a lookup to count."""

    __slots__ = ()


def _own_default(default: Any) -> bool:
    """Whether an answer holding ``default`` must not be given to a caller passing an
    equal default: one not known to be interchangeable, or a float zero (``-0.0 == 0.0``)."""
    kind = type(default)
    return kind not in _SHAREABLE or (kind is float and not default)


def _fresh(template: Evaluation, default: Any) -> Evaluation:
    """The answer a template stands for: the caller's default, or a copy of its object."""
    kind = type(template)
    value = template[0]
    if kind is _FlatCopy:
        value = value.copy()
    elif kind is _DeepCopy:
        value = _copy(value)
    else:
        value = default
    return _make(
        Evaluation, (value, template[1], template[2], template[3], template[4], template[5])
    )


def _dynamic(
    snapshot: Snapshot, key: str, default: Any, context: Mapping[str, Any] | None
) -> Evaluation:
    """A key with rules: formats build one Resolved per variant, so the same Resolved and
    default give the same Evaluation. The memo holds the Resolved itself, so its id cannot
    be reused while the entry exists."""
    # _resolve_rule, written out: a call costs a tenth of a rule lookup.
    rule = snapshot.rules.get(key)
    if rule is None:  # cannot happen for a key with rules; kept total
        return _answer(snapshot.version, key, default, _resolve_missing(snapshot, key))
    if context is not None and type(context) is not dict and not isinstance(context, Mapping):
        resolved = _INVALID_CONTEXT
    else:
        try:
            resolved = rule(_EMPTY if context is None else context)
        except Exception:  # noqa: BLE001 - a lookup never raises; rules are built not to
            resolved = _ERROR
    memo_key = (key, id(resolved), type(default), default)
    try:
        memo = snapshot.evaluations.get(memo_key)
    except Exception:  # noqa: BLE001 - an unhashable default (or its hash or == raises)
        return _answer(snapshot.version, key, default, resolved)
    if memo is not None and memo[0] is resolved:
        return memo[1]
    answer = _answer(snapshot.version, key, default, resolved)
    value = answer.value
    if (
        type(value) not in _CONTAINERS
        and type(default) in _SHAREABLE
        and (value is not default or not _own_default(default))
        and default == default  # noqa: PLR0124 - not NaN: an entry no lookup would find
        and len(snapshot.evaluations) < _MEMO_LIMIT
    ):
        snapshot.evaluations[memo_key] = (resolved, answer)
    return answer


def _resolve_missing(snapshot: Snapshot, key: str) -> Resolved | None:
    """A key with neither a static answer nor rules: a disabled flag's attribute, or none."""
    # A key that is not a string (None, a number, bytes...) is no flag's attribute.
    if snapshot.disabled and isinstance(key, str) and key.rpartition(".")[0] in snapshot.disabled:
        return _DISABLED
    return None


def _enabled(snapshot: Snapshot, key: str, context: Mapping[str, Any] | None) -> bool:
    """``is_enabled(key, context)`` answered from ``snapshot``, for a known flag key."""
    answer = snapshot.bools.get(key)
    if answer is not None:
        return answer
    resolved = snapshot.static.get(key)
    if resolved is None:
        rule = snapshot.rules.get(key)
        if rule is None:  # a disabled flag's key, or none
            return False
        resolved = Lookups._resolve_rule(rule, context)
    return resolved.value is True


def _not_found(key: object) -> str:
    if isinstance(key, str):
        return f"flag {key!r} not found"
    return f"flag keys are strings, got {type(key).__name__}: no flag found"


def _answer(version: str | None, key: str, default: Any, resolved: Resolved | None) -> Evaluation:
    """The Evaluation of ``resolved`` for a caller expecting ``default``'s type."""
    if resolved is None:
        return _failed(default, ErrorCode.FLAG_NOT_FOUND, _not_found(key), version)
    value = resolved.value
    if value is USE_DEFAULT:
        error = resolved.error
        message = _ERROR_MESSAGES.get(error) if error else None
        return _make(
            Evaluation, (default, resolved.variant, resolved.reason, error, message, version)
        )
    converted = _converter(default)(value)
    if converted is _MISMATCH:
        found, expected = type(value).__name__, type(default).__name__
        message = f"flag {key!r} is {found}, expected {expected}"
        return _failed(default, ErrorCode.TYPE_MISMATCH, message, version)
    return _make(Evaluation, (converted, resolved.variant, resolved.reason, None, None, version))


def _failed(default: Any, code: ErrorCode, message: str, version: str | None) -> Evaluation:
    return _make(Evaluation, (default, None, Reason.ERROR, code, message, version))
