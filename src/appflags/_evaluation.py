"""The result of one flag lookup, in OpenFeature's vocabulary."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping


class Reason(str, enum.Enum):
    """Why a lookup produced its value (OpenFeature's resolution reasons)."""

    STATIC = "STATIC"
    """The flag has one value for every context."""
    TARGETING_MATCH = "TARGETING_MATCH"
    """A rule matched the context."""
    SPLIT = "SPLIT"
    """A percentage split placed the context in this variant."""
    DEFAULT = "DEFAULT"
    """The flag's default (variant) answered: no rule matched."""
    DISABLED = "DISABLED"
    """The flag is disabled: booleans answer ``False``, other lookups the caller's default."""
    STALE = "STALE"
    """Answered from a ``bootstrap=`` document: no configuration has been fetched yet."""
    ERROR = "ERROR"
    """The caller's default answered because of the ``error_code``."""


class ErrorCode(str, enum.Enum):
    """What went wrong when ``reason`` is :attr:`Reason.ERROR` (OpenFeature's error codes)."""

    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    PARSE_ERROR = "PARSE_ERROR"
    PROVIDER_NOT_READY = "PROVIDER_NOT_READY"
    INVALID_CONTEXT = "INVALID_CONTEXT"
    GENERAL = "GENERAL"


class Evaluation(NamedTuple):
    """One lookup's answer and how it was reached. Immutable; equal only to an ``Evaluation``.

    >>> flags = Flags.from_dict({"beta": {"enabled": True}})
    >>> flags.evaluate("beta", False)
    Evaluation(value=True, variant=None, reason=<Reason.STATIC: 'STATIC'>, ...)

    A named tuple rather than a dataclass: ``evaluate()`` builds one per answer it cannot
    share, and a tuple is built in a fifth of the time. Use ``copy.replace`` (Python 3.13+)
    or ``_replace`` for a changed copy, and ``_asdict()`` for a dict.
    """

    value: Any
    variant: str | None = None
    reason: Reason = Reason.STATIC
    error_code: ErrorCode | None = None
    error_message: str | None = None
    version: str | None = None

    # Equal to another Evaluation with the same fields, never to a plain tuple (as when it
    # was a dataclass): the reflected tuple comparison would say equal, so answer here.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Evaluation):
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Evaluation):
            return tuple.__ne__(self, other)
        return True if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return tuple.__hash__(self)


class EvaluationWithMetadata(NamedTuple):
    """What :meth:`Flags.evaluate_with_metadata` returns: an answer, and the flag's
    metadata in the very document that answered it (never a mix of two versions)."""

    evaluation: Evaluation
    metadata: Mapping[str, Any]
    """The flag's metadata in that document, read-only (empty when it has none): the same
    object for every lookup of the key until a new version arrives."""
