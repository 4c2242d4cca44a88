"""The result of one flag lookup, in OpenFeature's vocabulary."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One lookup's answer and how it was reached.

    >>> flags = Flags.from_dict({"beta": {"enabled": True}})
    >>> flags.evaluate("beta", False)
    Evaluation(value=True, variant=None, reason=<Reason.STATIC: 'STATIC'>, ...)
    """

    value: Any
    variant: str | None = None
    reason: Reason = Reason.STATIC
    error_code: ErrorCode | None = None
    error_message: str | None = None
    version: str | None = None
