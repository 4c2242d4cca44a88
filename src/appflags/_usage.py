"""Usage counters: which keys the code looked up that the document lacks, and (when
tracked) how often each flag answered with each variant and reason.

Counting happens on the lookup path, so it takes no lock, never logs and never raises:
counts are plain dict updates (exact on one thread; concurrent lookups of the same key
may, rarely, lose a count). Logging missing keys is left to the poller thread. The
lookups that count (``track_usage=True``) live with the other lookups, in ``_lookups``.
"""

from __future__ import annotations

import collections
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from appflags._log import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags._evaluation import ErrorCode, Reason
    from appflags._usage_report import Usage

MAX_MISSING_KEYS = 1_000
"""Distinct missing keys remembered; lookups of further ones are only counted."""
MAX_TRACKED = 10_000
"""Distinct (key, variant, reason, error) combinations counted with ``track_usage``."""


def safe_now(clock: Callable[[], datetime]) -> datetime:
    """``clock()``, or the system's UTC time when the injected clock fails: a report's
    timestamps must never make a lookup or a poll raise."""
    try:
        return clock()
    except Exception:  # noqa: BLE001 - any failure of a user's clock
        return datetime.now(timezone.utc)


class UsageRecorder:
    """The counters behind :class:`Usage`, one per ``Flags``."""

    __slots__ = ("_clock", "_dropped", "_missing", "_unlogged", "counts", "since")

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.since = safe_now(clock)
        self._missing: dict[str, list[Any]] = {}
        self._unlogged: collections.deque[str] = collections.deque()
        self.counts: dict[tuple[str, str | None, Reason, ErrorCode | None], int] = {}
        """Tracked answers per (key, variant, reason, error code): a tracked lookup adds to
        it directly (see ``_lookups.tracked_lookups``), :meth:`count_new` the first time."""
        self._dropped = 0

    def missing(self, key: str) -> None:
        """Count a lookup of ``key`` that the document lacks (lookup path: cheap, silent)."""
        entry = self._missing.get(key)
        if entry is None:
            if len(self._missing) >= MAX_MISSING_KEYS:
                self._dropped += 1
                return
            entry = self._missing.setdefault(key, [0, safe_now(self._clock)])
            self._unlogged.append(key)  # deque.append is atomic: no lock
        entry[0] += 1

    def count_new(self, counted: tuple[str, str | None, Reason, ErrorCode | None]) -> None:
        """Count the first lookup of one (key, variant, reason, error), within the bound.

        A key that is not a string names no flag: it is not counted (nor reported).
        """
        if not isinstance(counted[0], str):
            return
        counts = self.counts
        if len(counts) >= MAX_TRACKED:
            self._dropped += 1
            return
        try:
            counts[counted] = counts.get(counted, 0) + 1
        except Exception:  # noqa: BLE001 - a str key whose hash or == raises: not counted
            return

    def log_new_missing(self, source: str | None) -> None:
        """Log each missing key once (called from the poller thread, never a lookup)."""
        while True:
            try:
                key = self._unlogged.popleft()
            except IndexError:
                return
            logger.warning("appflags.missing_key", source=source, key=key)

    def report(self, *, tracking: bool, failed_polls: int, last_fetched: datetime | None) -> Usage:
        """A consistent-enough copy of the counters (lookups may run meanwhile)."""
        from appflags._usage_report import EvaluationCount, MissingKey, Usage  # noqa: PLC0415

        missing = [
            MissingKey(key, entry[0], entry[1]) for key, entry in list(self._missing.items())
        ]
        # Keys compared as plain text: a str subclass key may have an == that raises.
        missing.sort(key=lambda m: (-m.count, str.__str__(m.key)))
        evaluations = [
            EvaluationCount(key, variant, reason, error, count)
            for (key, variant, reason, error), count in list(self.counts.items())
        ]
        evaluations.sort(key=lambda e: (str.__str__(e.key), -e.count))
        return Usage(
            since=self.since,
            tracking=tracking,
            missing=tuple(missing),
            evaluations=tuple(evaluations),
            dropped=self._dropped,
            failed_polls=failed_polls,
            last_fetched=last_fetched,
        )
