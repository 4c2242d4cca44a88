"""The report :meth:`Flags.usage() <appflags.Flags.usage>` returns.

Its classes are defined when the first report is made (or when ``appflags.Usage`` is first
named): four frozen dataclasses cost ~1 ms each to define, a share of every cold start
that a process never asking for a report would pay for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from appflags._evaluation import ErrorCode, Reason


@dataclass(frozen=True, slots=True)
class MissingKey:
    """A key the code looked up that the document does not have."""

    key: str
    count: int
    """Lookups of it since the ``Flags`` was built (or its usage last reset)."""
    first_seen: datetime
    last_seen: datetime
    version: str | None
    """The version of the document it was last missing from (``None``: a document without
    a version label, such as a ``bootstrap=`` or ``from_dict`` one)."""
    did_you_mean: str | None
    """A key the document now served has that is close to this one, if any."""


@dataclass(frozen=True, slots=True)
class Misuse:
    """Lookups given arguments they cannot use: a context that is not a mapping (answered
    the default with ``INVALID_CONTEXT``), or a typed lookup's default of a type it never
    answers (``get_str("k", {"tier": "gold"})``: the context passed as the default)."""

    key: str | None
    """The key looked up (``None`` for ``enabled_features``)."""
    problem: str
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class EvaluationCount:
    """How many lookups of ``key`` answered with this variant, reason and error code."""

    key: str
    variant: str | None
    reason: Reason
    error_code: ErrorCode | None
    count: int


@dataclass(frozen=True, slots=True)
class Usage:
    """What :meth:`Flags.usage() <appflags.Flags.usage>` reports, since ``since``.

    ``missing`` lists keys looked up while flags were loaded that the document lacks
    (typos, flags deleted too early), most looked-up first. ``evaluations`` counts every
    lookup's answer per key, variant and reason, only with ``track_usage=True``
    (``tracking``). Both are bounded (``MAX_MISSING_KEYS``, ``MAX_TRACKED``); lookups
    past the bound are counted in ``dropped``.
    """

    since: datetime
    tracking: bool
    missing: tuple[MissingKey, ...]
    evaluations: tuple[EvaluationCount, ...]
    dropped: int
    failed_polls: int
    """Polls that failed (network, AppConfig errors, rejected documents excluded)."""
    last_fetched: datetime | None
    """When a poll last succeeded (``None``: never, or flags without a source)."""
    misuses: tuple[Misuse, ...] = ()
    """Lookups given a context that is no mapping, or a default of the wrong type."""
    agent_fallbacks: int = 0
    """``from_agent``: lookups of multi-variant flags answered ``STALE`` with the empty
    context's variant because the Agent could not answer for their context."""
