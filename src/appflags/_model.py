"""The shared vocabulary: what a compiled document is made of, and what a lookup reads.

A leaf module: formats build these, the snapshot holds them, lookups, overrides and the
Agent's variant rules read them, and none of those needs the formats to do so. It
imports only the standard library (``Reason``, ``ErrorCode`` and ``Problem`` are named
for the type checker alone).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from appflags._errors import Problem
    from appflags._evaluation import ErrorCode, Reason

Context = Mapping[str, Any]
"""What a lookup is evaluated for: attribute names to values."""

FORMAT_ORDER = ("flagd", "appconfig", "powertools", "json")
"""Every format's name, in the order ``appflags.formats.FORMATS`` lists them."""


class _UseDefault:
    """Marks a value that answers every lookup with the caller's default (disabled attributes)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT: Any = _UseDefault()


class Resolved(NamedTuple):
    """A key's answer before the caller's type and default are applied.

    Formats build these once per document so that a static lookup allocates nothing.
    """

    value: Any
    variant: str | None
    reason: Reason
    error: ErrorCode | None = None
    """Set with ``Reason.ERROR``: why the caller's default answers."""


Rule = Callable[[Context], Resolved]
"""A compiled, context-dependent key: never raises on a missing or odd context value."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """One document, compiled: every addressable key and how it answers.

    ``static`` holds keys whose answer is the same for every context, ``rules`` keys
    that depend on it. ``features`` are the flag keys ``enabled_features`` considers,
    in document order. ``disabled`` names disabled flags whose attributes (known or not)
    answer the caller's default with ``Reason.DISABLED``.
    """

    static: dict[str, Resolved] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    disabled: frozenset[str] = frozenset()
    metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per flag key, the metadata the document attaches to it (OpenFeature flag metadata)."""
    incremental: Incremental | None = field(default=None, compare=False, repr=False)
    """What an incremental compile made of this document (None: compiled whole, without
    keeping what the next version would start from)."""
    warnings: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict)
    """Per flag key, why the flag loads but cannot work as written (it answers with an
    error code or always falls back): ``appflags validate`` reports them, a fetched version
    logs them."""


@dataclass(frozen=True, slots=True)
class Incremental:
    """What an incremental compile made of one version, and what it patched.

    The snapshot reads these three fields to take over what a patch did not touch; the
    compiler keeps what the next version's compile starts from in a subclass of its own
    (``appflags.formats._incremental.Checkpoint``).
    """

    compiled: Compiled
    """The format's own output for the whole document, before anything wrapped it (the
    Agent's variant rules)."""
    base: Compiled | None = None
    """The previous version's ``compiled`` this one was patched from; None: compiled whole."""
    touched: frozenset[str] = frozenset()
    """With ``base``: every key (static, rule, metadata) the patch removed, replaced or
    added; every other key holds the very object it held in ``base``."""


def fingerprint(value: Any) -> Any:
    """What tells JSON values apart by type as well as by value, compared with ``==``.

    Python says ``True == 1 == 1.0`` and ``0.0 == -0.0``; as flag values they are
    different answers (an integer never answers ``is_enabled``, ``get_int`` refuses a
    float). marshal's format 2 writes each type with its own tag and no back-references,
    so equal data gives equal bytes, at C speed.
    """
    try:
        return marshal.dumps(value, 2)
    except ValueError:  # a type marshal cannot write (a YAML timestamp): its repr
        return (type(value), repr(value))
