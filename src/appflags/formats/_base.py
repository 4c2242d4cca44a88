"""What every format compiles a document into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from appflags import _clock

if TYPE_CHECKING:
    from appflags._errors import Problem
    from appflags._evaluation import ErrorCode, Reason

Clock = _clock.Clock
Context = Mapping[str, Any]


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
    incremental: Any = field(default=None, compare=False, repr=False)
    """What compiling the next version starts from (``formats._incremental``); None
    where the format compiles whole."""
    warnings: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict)
    """Per flag key, why the flag loads but cannot work as written (it answers with an
    error code or always falls back): ``appflags validate`` reports them, a fetched version
    logs them."""


class Format(Protocol):
    """A flag document format: detection, validation, compilation."""

    name: str

    def detect(self, doc: Any) -> bool:
        """Whether ``doc`` looks like this format (used by ``format="auto"``)."""
        ...

    def validate(self, doc: Any) -> list[Problem]:
        """Every problem in ``doc``, each with its JSON path; empty when valid."""
        ...

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        """Compile a valid ``doc``. Called only after :meth:`validate` found nothing."""
        ...
