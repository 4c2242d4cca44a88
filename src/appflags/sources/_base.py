"""What every source returns: transport facts only, never a parsed document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Fetched:
    """One poll's outcome.

    ``content`` is ``None`` when the source reports nothing changed (AppConfigData's
    empty body). ``next_poll`` is the delay the source asks for before the next poll.
    ``min_wait`` is how long the service refuses a next poll (AppConfigData's
    ``NextPollIntervalInSeconds``): even ``refresh()`` waits that long. ``None``: no limit.
    """

    content: bytes | None
    content_type: str | None = None
    version: str | None = None
    next_poll: float | None = None
    min_wait: float | None = None


class SourceError(Exception):
    """A poll failed. ``retryable`` is false when only a configuration change can fix it."""

    def __init__(self, message: str, *, code: str = "Error", retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class PollTooEarlyError(SourceError):
    """The service refused the poll as sooner than its interval allows.

    Not a failure: the clocks of client and service disagree a little. The source keeps
    its session where it can, and the poller asks again shortly, without going ``STALE``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="PollIntervalNotSatisfied")


class Source(Protocol):
    """Fetches raw configuration bytes. Knows transport only."""

    name: str
    """A short description for logs, without secrets (``appconfigdata:shop/prod/flags``)."""

    def fetch(self) -> Fetched:
        """Poll once. Raises :class:`SourceError` on failure."""
        ...

    def reset(self) -> None:
        """Forget sessions and connections (after ``fork()``, or before a fresh start)."""
        ...

    def close(self) -> None:
        """Release connections. Idempotent."""
        ...
