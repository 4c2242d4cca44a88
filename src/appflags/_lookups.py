"""The lookups of ``Flags``: typed answers read from the current snapshot.

Everything here runs on the caller's thread for every lookup: it never raises, never
blocks, never does I/O and never logs (the rules ``from_agent`` compiles for
multi-variant flags may ask the Agent on a cache miss: ``sources._agent_variants``).
The life cycle (sources, polling, listeners) lives in ``_updates``; the lookups of
``track_usage=True``, in ``_tracked``; the counters they add to, in ``_usage``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from appflags._evaluation import ErrorCode, Evaluation, EvaluationWithMetadata, Reason
from appflags._model import USE_DEFAULT, Resolved
from appflags._snapshot import NOT_READY, Snapshot
from appflags._typed import (
    _CONTAINERS,
    _MISMATCH,
    _as_bool,
    _as_float,
    _as_int,
    _as_object,
    _as_str,
    _context_problem,
    _converter,
    _copy,
    _default_problem,
    _fits,
)

if TYPE_CHECKING:
    from appflags._model import Rule
    from appflags._usage import UsageRecorder

T = TypeVar("T")

_EMPTY: Mapping[str, Any] = {}
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})
_ERROR = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.GENERAL)
_DISABLED = Resolved(USE_DEFAULT, None, Reason.DISABLED)
_MEMO_LIMIT = 10_000
"""Entries ``evaluate`` keeps per snapshot, all default types together (missing keys too)."""
_ERROR_MESSAGES = {
    ErrorCode.GENERAL: "the flag's rule failed on this context",
    ErrorCode.INVALID_CONTEXT: "the context must be a mapping of attribute names to values",
}


def _mapping(context: object) -> bool:
    """Whether a context that is not a plain dict is a mapping (never raising)."""
    try:
        return isinstance(context, Mapping)
    except Exception:  # noqa: BLE001 - a __class__ or metaclass that raises: no mapping
        return False


_NOT_FOUND = ErrorCode.FLAG_NOT_FOUND


class Lookups:
    """The read side of :class:`~appflags.Flags`: every lookup reads ``_snapshot`` once.

    No lookup raises, whatever it is given: a key that is not a string (``None``, a
    number, bytes, a tuple, a list, a dict) names no flag, so it answers the default, and
    ``evaluate`` says ``FLAG_NOT_FOUND``. A context that is not a mapping (``None`` means
    no context) answers the default with ``INVALID_CONTEXT`` on every flag, static ones
    included, and a typed lookup's default of a type it cannot answer is noted: both are
    arguments swapped (``is_enabled(key, True)``, ``get_str(key, {"tier": "gold"})``), and
    both are counted for ``usage()``, never logged here. The context check costs a
    lookup one ``is`` comparison for ``None`` and two for a plain ``dict``.
    """

    __slots__ = ()
    _snapshot: Snapshot = NOT_READY
    _usage: UsageRecorder | None = None
    """Counts lookups of keys the document lacks (set by ``Flags``)."""

    def is_enabled(  # noqa: PLR0911 - the hot path answers where it knows, unrolled
        self, key: str, context: Mapping[str, Any] | None = None, *, default: bool = False
    ) -> bool:
        """Whether the flag ``key`` is on for ``context``; ``default`` when it cannot tell."""
        snapshot = self._snapshot
        try:
            if context is not None and type(context) is not dict and not _mapping(context):
                self._misused(key, _context_problem(context))
                return default  # INVALID_CONTEXT
            # Most lookups are of static booleans: one dict lookup answers them.
            answer = snapshot.bools.get(key)
            if answer is not None:
                return answer
            resolved = snapshot.static.get(key)
            if resolved is None:
                rule = snapshot.rules.get(key)
                if rule is None:
                    self._absent(snapshot, key)
                    return self._default(key, default, _as_bool)
                # _resolve_rule, written out: a call costs a tenth of a rule lookup.
                if context is None:
                    if default is not False and default is not True:
                        return self._swapped(key, default, rule, _as_bool)  # a bool or the default
                    context = _EMPTY
                resolved = rule(context)
        except Exception:  # noqa: BLE001 - a key that is unhashable, or whose hash or ==
            # raises, names no flag; and a lookup never raises (rules are built not to)
            return default
        value = resolved.value
        if value is True or value is False:
            return value
        if resolved[3] is _NOT_FOUND:  # an attribute no Agent answer carried (a typo)
            self._absent(snapshot, key)
        return self._default(key, default, _as_bool)

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
        if context is None or type(context) is dict:
            try:
                resolved = self._snapshot.static.get(key)
            except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
                return default
            if resolved is not None:
                value = resolved.value
                if type(value) is str:
                    return value
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
        if context is not None and type(context) is not dict and not _mapping(context):
            self._misused(key, _context_problem(context))
            message = _ERROR_MESSAGES[ErrorCode.INVALID_CONTEXT]
            return _failed(default, ErrorCode.INVALID_CONTEXT, message, snapshot.version)
        # Answers are kept per snapshot, default type and key: two subscripts find them.
        # What an entry answers depends on the default's type only; answers that hold
        # the caller's default, or a copy of an object, are made from the entry per call.
        try:
            entry: Any = snapshot.memo[type(default)][key]
        except Exception:  # noqa: BLE001 - not kept yet; or a key that is not a str, or
            # whose hash or == raises: _entry sorts them out, never raising
            entry = _entry(snapshot, key, default)
        kind = type(entry)
        if kind is Evaluation:
            return entry  # type: ignore[no-any-return]  # an Evaluation, checked above
        if kind is _Rules:
            answer: Evaluation = entry.answer(default, context)
            if answer[3] is _NOT_FOUND:  # an attribute no Agent answer carried (a typo)
                self._missing(snapshot, key)
            return answer
        if kind is _Missing:
            self._missing(snapshot, key)
        return entry.answer(default)  # type: ignore[no-any-return]  # a _Template's

    def enabled_features(self, context: Mapping[str, Any] | None = None) -> list[str]:
        """The flags that are on for ``context``, in document order.

        All of them are read from one snapshot, so the list never mixes two versions.
        """
        snapshot = self._snapshot
        if context is not None and type(context) is not dict and not _mapping(context):
            self._misused(None, _context_problem(context))
            return []
        return [key for key in snapshot.features if _enabled(snapshot, key, context)]

    def metadata(self, key: str) -> Mapping[str, Any]:
        """The metadata the document attaches to flag ``key`` (read-only; empty when none).

        Only formats that carry flag metadata fill it (``flagd``: the flag's ``metadata``
        over the flag set's). Never raises, never copies.
        """
        return _metadata(self._snapshot, key)

    def evaluate_with_metadata(
        self, key: str, default: Any, context: Mapping[str, Any] | None = None
    ) -> EvaluationWithMetadata:
        """:meth:`evaluate`'s answer, with the flag's metadata from the same document.

        For facades that report both (the OpenFeature provider's ``flag_metadata``): a new
        version arriving between the two reads would otherwise pair one version's answer
        with another's metadata. Never raises, blocks or does I/O, like every lookup.

        >>> beta = {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"}
        >>> flags = Flags.from_dict({"flags": {"beta": {**beta, "metadata": {"owner": "web"}}}})
        >>> flags.evaluate_with_metadata("beta", False).metadata["owner"]
        'web'
        """
        snapshot = self._snapshot
        evaluation = self.evaluate(key, default, context)
        tries = 1
        while self._snapshot is not snapshot and tries < 3:  # swapped meanwhile: ask again
            snapshot = self._snapshot
            evaluation = self.evaluate(key, default, context)
            tries += 1
        # tuple.__new__: a third of the cost of the named tuple's own constructor.
        return tuple.__new__(EvaluationWithMetadata, (evaluation, _metadata(snapshot, key)))

    def flag_names(self) -> list[str]:
        """Every flag of the document answering now, enabled or not, in document order.

        >>> Flags.from_dict({"beta": {"enabled": False}, "dark": {"enabled": True}}).flag_names()
        ['beta', 'dark']
        """
        return list(self._snapshot.features)

    def _lookup(
        self,
        key: str,
        default: T,
        context: Mapping[str, Any] | None,
        convert: Callable[[Any], Any],
    ) -> T:
        snapshot = self._snapshot
        try:
            if context is not None and type(context) is not dict and not _mapping(context):
                self._misused(key, _context_problem(context))
                return default  # INVALID_CONTEXT
            resolved = snapshot.static.get(key)
            if resolved is None:
                rule = snapshot.rules.get(key)
                if rule is None:
                    self._absent(snapshot, key)
                    return self._default(key, default, convert)
                if context is None and default is not None and not _fits(convert, default):
                    return self._swapped(key, default, rule, convert)  # type: ignore[no-any-return]  # what convert accepted, or the default
                resolved = self._resolve_rule(rule, context)
        except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
            return default
        value = convert(resolved.value)
        if value is _MISMATCH or value is USE_DEFAULT:
            if resolved[3] is _NOT_FOUND:  # an attribute no Agent answer carried (a typo)
                self._absent(snapshot, key)
            return self._default(key, default, convert)
        return value  # type: ignore[no-any-return]  # what convert accepted

    def _swapped(self, key: str, default: Any, rule: Rule, convert: Callable[[Any], Any]) -> Any:
        """A flag with rules asked with no context and a default its lookup never answers:
        the context was likely passed where the default goes. Noted once; the rules answer
        for no context, as they would have."""
        self._misused(key, _default_problem(convert, default))
        value = convert(self._resolve_rule(rule, None).value)
        return default if value is _MISMATCH or value is USE_DEFAULT else value

    def _default(self, key: str, default: T, convert: Callable[[Any], Any]) -> T:
        """``default``, answering a typed lookup; noted when it is of a type that lookup
        never answers (the context passed where the default goes)."""
        if default is not None and not _fits(convert, default):
            self._misused(key, _default_problem(convert, default))
        return default

    def _misused(self, key: object, problem: str) -> None:
        """Note a lookup's misuse for ``usage()`` (lookup path: cheap, silent, never raising)."""
        usage = self._usage
        if usage is not None:
            usage.misused(key if isinstance(key, str) else None, problem)

    def _missing(self, snapshot: Snapshot, key: str) -> None:
        # Before any flags arrive every key is "missing": only loaded flags count.
        usage = self._usage
        if usage is not None and snapshot.ready and isinstance(key, str):
            try:
                usage.missing(key, snapshot.version)
            except Exception:  # noqa: BLE001 - a str subclass whose hash or == raises is
                return  # not counted: a lookup never raises

    def _absent(self, snapshot: Snapshot, key: str) -> None:
        """A key with neither a static answer nor rules: count it, unless it names an
        attribute of a disabled flag (those answer the default without being missing)."""
        if type(key) is not str and not isinstance(key, str):
            return  # no flag's key: neither disabled nor counted
        if snapshot.disabled and key.rpartition(".")[0] in snapshot.disabled:
            return
        usage = self._usage
        if usage is not None and snapshot.ready:
            usage.missing(key, snapshot.version)

    @staticmethod
    def _resolve_rule(rule: Rule, context: Mapping[str, Any] | None) -> Resolved:
        """What ``rule`` answers for ``context``, a mapping or ``None`` (the caller checked
        it), never raising."""
        try:
            return rule(_EMPTY if context is None else context)
        except Exception:  # noqa: BLE001 - a lookup never raises; rules are built not to
            return _ERROR


_SHAREABLE = frozenset((type(None), bool, int, float, str))
"""Defaults whose equal values are interchangeable, so an answer holding one is shared;
but for 0.0 and -0.0, equal and hashed alike yet not the same number."""
_DEFAULT_TYPES_KEPT = 64
"""Default types ``evaluate`` keeps answers for, per snapshot."""
_KEPT_PER_ENTRY = 16
"""Answers one memo entry keeps: per Resolved of a rule (formats build one per variant),
or per default of a failure."""
_make: Callable[..., Evaluation] = tuple.__new__
"""Builds an Evaluation from a tuple of its six fields, skipping ``__new__``'s defaults."""


def _entry(snapshot: Snapshot, key: str, default: Any) -> Any:
    """``evaluate``'s memo entry for ``key`` and ``default``'s type, made afresh and kept
    for the next caller when ``key`` is a ``str`` (if another thread kept it meanwhile, it
    kept an equal entry)."""
    try:
        entry = _new_entry(snapshot, key, default)
    except Exception:  # noqa: BLE001 - a key that is unhashable, or whose hash or == raises
        return _failed(default, ErrorCode.FLAG_NOT_FOUND, _not_found(key), snapshot.version)
    # Only str keys: 1, 1.0 and True are equal keys, but each one's message names its type.
    if type(key) is str:
        memo = snapshot.memo
        try:
            kept = memo.get(type(default))
            if kept is None and len(memo) < _DEFAULT_TYPES_KEPT:
                kept = memo.setdefault(type(default), {})
        except Exception:  # noqa: BLE001 - a default type whose metaclass hash or == raises
            return entry
        # list(): another thread may add a default type meanwhile.
        if kept is not None and sum(map(len, list(memo.values()))) < _MEMO_LIMIT:
            kept[key] = entry
    return entry


def _new_entry(snapshot: Snapshot, key: str, default: Any) -> Evaluation | _Template | _Rules:
    """What ``key`` answers in ``snapshot`` to callers passing defaults of ``default``'s type."""
    if not snapshot.ready and key not in snapshot.static:  # only overrides answer then
        message = "no flags loaded yet"
        return _Defaulted(_failed(None, ErrorCode.PROVIDER_NOT_READY, message, None), default)
    resolved = snapshot.static.get(key)
    if resolved is None:
        rule = snapshot.rules.get(key)
        if rule is not None:  # not `in`: Agent variant rules are made on demand
            return _Rules(snapshot.version, key, rule)
        resolved = _resolve_missing(snapshot, key)
    return _answer(snapshot.version, key, default, resolved)


class _Template:
    """A kept answer whose Evaluation is made per call (see :meth:`answer`)."""

    __slots__ = ("tail",)

    def __init__(self, answer: Evaluation) -> None:
        # Every field but the value, as a plain tuple: concatenated to the value it makes
        # the Evaluation's fields in one step (a tuple subclass is slow to index).
        self.tail = answer[1:]

    def answer(self, default: Any) -> Evaluation:
        """The Evaluation for a caller passing ``default``."""
        raise NotImplementedError


def _copied(answer: Evaluation) -> _Template:
    """The template of an object answer: each caller gets its own copy of the value."""
    value = answer[0]
    # A list or object of scalars (most are) needs a shallow copy only.
    items = value.values() if type(value) is dict else value
    flat = not any(type(v) in _CONTAINERS for v in items)
    return _FlatCopy(answer) if flat else _DeepCopy(answer)


class _FlatCopy(_Template):
    __slots__ = ("value",)

    def __init__(self, answer: Evaluation) -> None:
        super().__init__(answer)
        self.value = answer[0]

    def answer(self, default: Any) -> Evaluation:  # the value is the flag's, not default
        return _make(Evaluation, (self.value.copy(),) + self.tail)  # noqa: RUF005 - faster


class _DeepCopy(_FlatCopy):
    __slots__ = ()

    def answer(self, default: Any) -> Evaluation:  # the value is the flag's, not default
        return _make(Evaluation, (_copy(self.value),) + self.tail)  # noqa: RUF005 - faster


class _Defaulted(_Template):
    """An answer holding the caller's default: a failure, a disabled flag's attribute.

    Callers passing equal defaults of an interchangeable type (see ``_SHAREABLE``) share
    one Evaluation; others get one holding their own default.
    """

    __slots__ = ("shared",)

    def __init__(self, answer: Evaluation, default: Any) -> None:
        super().__init__(answer)
        self.shared: dict[Any, Evaluation] | None = {} if type(default) in _SHAREABLE else None

    def answer(self, default: Any) -> Evaluation:
        shared = self.shared
        if shared is not None:  # the default's type is one of _SHAREABLE: hashable
            answer = shared.get(default)
            if answer is not None:
                return answer
        answer = _make(Evaluation, (default,) + self.tail)  # noqa: RUF005 - faster
        if (
            shared is not None
            and default == default  # noqa: PLR0124 - not NaN: an entry no lookup would find
            and (default or type(default) is not float)  # nor 0.0, which equals -0.0
            and len(shared) < _KEPT_PER_ENTRY
        ):
            shared[default] = answer
        return answer


class _Missing(_Defaulted):
    """A missing key's answer: the caller's default, and a lookup to count."""

    __slots__ = ()


class _Rules:
    """A key with rules: its answers are made per context.

    Formats build one Resolved per variant, so the same Resolved gives the same answer:
    the answers are kept per Resolved. Each is held with its Resolved, so that no other
    Resolved can take its id while the entry exists.
    """

    __slots__ = ("answers", "key", "rule", "version")

    def __init__(self, version: str | None, key: str, rule: Rule) -> None:
        self.version = version
        self.key = key
        self.rule = rule
        self.answers: dict[int, tuple[Resolved, Evaluation | _Template]] = {}

    def answer(self, default: Any, context: Mapping[str, Any] | None) -> Evaluation:
        """The Evaluation for a caller passing ``default`` and ``context``."""
        # Lookups._resolve_rule, written out: a call costs a tenth of a rule lookup. The
        # context is a mapping or None (evaluate checked it).
        try:
            resolved = self.rule(_EMPTY if context is None else context)
        except Exception:  # noqa: BLE001 - a lookup never raises; rules are built not to
            resolved = _ERROR
        kept = self.answers.get(id(resolved))
        if kept is None:
            made = _answer(self.version, self.key, default, resolved)
            if len(self.answers) < _KEPT_PER_ENTRY:
                self.answers[id(resolved)] = (resolved, made)
        else:
            made = kept[1]
        return made if type(made) is Evaluation else made.answer(default)  # type: ignore[union-attr]  # a _Template


def _metadata(snapshot: Snapshot, key: str) -> Mapping[str, Any]:
    """The metadata of flag ``key`` in ``snapshot`` (empty when none), never raising."""
    try:
        return snapshot.metadata.get(key, _NO_METADATA)
    except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
        return _NO_METADATA


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


def _named(key: object) -> str:
    """A key as messages name it, never raising: a string's text, quoted (a str subclass's
    own repr, an Enum's or one that raises, is not used: the memo answers equal keys
    alike); another key equal to a flag's key, by its repr or else its type."""
    if isinstance(key, str):
        return str.__repr__(key)
    try:
        return repr(key)
    except Exception:  # noqa: BLE001 - a message never makes a lookup raise
        return f"<{type(key).__name__}>"


def _not_found(key: object) -> str:
    if isinstance(key, str):
        return f"flag {_named(key)} not found"
    return f"flag keys are strings, got {type(key).__name__}: no flag found"


def _answer(
    version: str | None, key: str, default: Any, resolved: Resolved | None
) -> Evaluation | _Template:
    """What ``resolved`` answers callers passing defaults of ``default``'s type: an
    Evaluation to share, or the template of one made per call."""
    if resolved is None:
        return _Missing(_failed(None, ErrorCode.FLAG_NOT_FOUND, _not_found(key), version), default)
    value = resolved.value
    if value is USE_DEFAULT:
        error = resolved.error
        message = _ERROR_MESSAGES.get(error) if error else None
        if error is _NOT_FOUND:
            message = _not_found(key)
        template = _make(
            Evaluation, (None, resolved.variant, resolved.reason, error, message, version)
        )
        return _Defaulted(template, default)
    converted = _converter(default)(value)
    if converted is _MISMATCH:
        found, expected = type(value).__name__, type(default).__name__
        message = f"flag {_named(key)} is {found}, expected {expected}"
        return _Defaulted(_failed(None, ErrorCode.TYPE_MISMATCH, message, version), default)
    answer = _make(Evaluation, (converted, resolved.variant, resolved.reason, None, None, version))
    return _copied(answer) if type(converted) in _CONTAINERS else answer


def _failed(default: Any, code: ErrorCode, message: str, version: str | None) -> Evaluation:
    return _make(Evaluation, (default, None, Reason.ERROR, code, message, version))
