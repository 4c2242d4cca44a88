"""Why a context got its variant: the data behind ``appflags eval --explain``.

Formats register each multi-variant key's compiled closure here with the variants behind
it. :func:`explain` then re-runs those same compiled predicates, in order, against a
context that records every key they read, so the explanation can never disagree with
what a lookup answers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from appflags._evaluation import Reason
    from appflags.rules._appconfig_compiler import Predicate


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final[Any] = _Absent()
"""In :attr:`RuleTrace.reads`: the rule read this key and the context did not have it."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant as compiled: its rule text and predicate (both ``None`` for the default)."""

    name: str
    rule: str | None
    predicate: Predicate | None
    reason: Reason


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One variant tried: its rule, the outcome, and each context key the rule read.

    ``result`` is ``True``, ``False`` or ``None`` (unknown: a key it needed was absent or
    not comparable); the default variant, which has no rule, is always ``True``.
    """

    variant: str
    rule: str | None
    result: bool | None
    reads: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Which variant of ``flag`` answered ``key`` for a context, and why.

    ``tried`` lists the variants in evaluation order up to and including the one that
    matched (the default variant last when nothing else matched).
    """

    key: str
    flag: str
    variant: str
    reason: Reason
    tried: tuple[RuleTrace, ...]


Variants = tuple[Variant, ...] | Callable[[], tuple[Variant, ...]]
"""A flag's variants, or a function that builds them when an explanation is asked for."""

_REGISTRY: weakref.WeakKeyDictionary[Callable[..., Any], tuple[str, Variants]] = (
    weakref.WeakKeyDictionary()
)


def register(rule: Callable[..., Any], flag: str, variants: Variants) -> None:
    """Record that the compiled ``rule`` chooses among ``variants`` of ``flag``.

    ``variants`` may be a function of no arguments that builds them: a format then pays
    for rule texts and predicates only when someone asks for an explanation, not on
    every load. Held weakly: the entry goes when the snapshot holding ``rule`` does.
    """
    _REGISTRY[rule] = (flag, variants)


class _Recorder(Mapping[str, Any]):
    """A read-only view of a context that remembers every key read through it."""

    __slots__ = ("_context", "reads")

    def __init__(self, context: Mapping[str, Any]) -> None:
        self._context = context
        self.reads: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._context.get(key, ABSENT)
        self.reads.setdefault(key, value)
        return default if value is ABSENT else value

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, ABSENT)
        if value is ABSENT:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._context)

    def __len__(self) -> int:
        return len(self._context)


class Explains(Protocol):
    """What :func:`explain` asks of ``flags``: a :class:`appflags.Flags`."""

    def explain(self, key: str, context: Mapping[str, Any] | None = None) -> Explanation | None:
        """Why ``context`` gets its answer for ``key`` (``None``: no variant rules)."""
        ...


def explain(
    flags: Explains, key: str, context: Mapping[str, Any] | None = None
) -> Explanation | None:
    """Explain the answer for ``key`` (a multi-variant flag or one of its attributes).

    ``flags`` is a :class:`appflags.Flags`: this is ``flags.explain(key, context)``.
    Returns ``None`` when ``key`` is not decided by variant rules (a static flag, an
    unknown key). Reads no clock, does no I/O; the context values it reports are the
    caller's own, and it never logs them.

    >>> flags = Flags.from_dict(document)
    >>> explain(flags, "ui_refresh", {"email": "a@qa-testers.mycompany.com"}).variant
    'QA'
    """
    return flags.explain(key, context)


def explain_rule(
    rule: Callable[..., Any], key: str, context: Mapping[str, Any] | None
) -> Explanation | None:
    """Explain what the compiled ``rule`` of ``key`` answers ``context`` (``None`` when no
    format registered it: it is no variant rule, or its format has no explanation)."""
    entry = _REGISTRY.get(rule)
    if entry is None:
        return None
    flag, variants = entry
    if callable(variants):
        variants = variants()
    tried: list[RuleTrace] = []
    for variant in variants:
        if variant.predicate is None:
            tried.append(RuleTrace(variant.name, None, True, {}))
            return Explanation(key, flag, variant.name, variant.reason, tuple(tried))
        recorder = _Recorder(context or {})
        result = variant.predicate(recorder)
        tried.append(RuleTrace(variant.name, variant.rule, result, recorder.reads))
        if result is True:
            return Explanation(key, flag, variant.name, variant.reason, tuple(tried))
    return None  # pragma: no cover - the last variant is always the rule-less default
