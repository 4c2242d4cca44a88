"""Data availability of a :class:`~appflags.Flags`."""

from __future__ import annotations

import enum


class State(str, enum.Enum):
    """Whether lookups answer from fetched flags, and how fresh they are."""

    NOT_READY = "NOT_READY"
    """No flags yet: every lookup answers the caller's default (``PROVIDER_NOT_READY``)."""
    READY = "READY"
    """The last poll succeeded: lookups answer from current flags."""
    STALE = "STALE"
    """Polls are failing: lookups answer from the last good flags."""
