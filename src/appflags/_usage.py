"""Usage counters: which keys the code looked up that the document lacks, and (when
tracked) how often each flag answered with each variant and reason.

Counting happens on the lookup path, so it takes no lock, never logs and never raises:
counts are plain dict updates (exact on one thread; concurrent lookups of the same key
may, rarely, lose a count). Logging missing keys is left to the poller thread. The
lookups that count (``track_usage=True``) live in ``_tracked``.
"""

from __future__ import annotations

import collections
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from appflags._log import logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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

    __slots__ = (
        "_clock",
        "_dropped",
        "_fallbacks_before",
        "_missing",
        "_misuses",
        "_unlogged",
        "_unlogged_misuses",
        "counts",
        "since",
    )

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.since = safe_now(clock)
        self._missing: dict[str, list[Any]] = {}
        """Per key: [count, first seen (clock), last seen (monotonic), version]."""
        self._misuses: dict[tuple[str | None, str], list[Any]] = {}
        """Per (key, problem): [count, first seen (clock), last seen (monotonic)]."""
        self._unlogged: collections.deque[str] = collections.deque()
        self._unlogged_misuses: collections.deque[tuple[str | None, str]] = collections.deque()
        self.counts: dict[tuple[str, str | None, Reason, ErrorCode | None], int] = {}
        """Tracked answers per (key, variant, reason, error code): a tracked lookup adds to
        it directly (see ``_tracked.tracked_lookups``), :meth:`count_new` the first time."""
        self._dropped = 0
        self._fallbacks_before = 0

    def missing(self, key: str, version: str | None) -> None:
        """Count a lookup of ``key`` that the document of ``version`` lacks (lookup path:
        cheap, silent). The last-seen time is the monotonic clock's (tens of nanoseconds),
        turned into the ``clock``'s time when a report is made."""
        entry = self._missing.get(key)
        if entry is None:
            if len(self._missing) >= MAX_MISSING_KEYS:
                self._dropped += 1
                return
            entry = self._missing.setdefault(key, [0, safe_now(self._clock), 0.0, version])
            self._unlogged.append(key)  # deque.append is atomic: no lock
        entry[0] += 1
        entry[2] = time.monotonic()
        entry[3] = version

    def misused(self, key: str | None, problem: str) -> None:
        """Count a lookup given a context that is no mapping, or a default of a type its
        lookup never answers (lookup path: cheap, silent, never raising)."""
        try:
            found = (key, problem)
            entry = self._misuses.get(found)
            if entry is None:
                if len(self._misuses) >= MAX_MISSING_KEYS:
                    self._dropped += 1
                    return
                entry = self._misuses.setdefault(found, [0, safe_now(self._clock), 0.0])
                self._unlogged_misuses.append(found)
            entry[0] += 1
            entry[2] = time.monotonic()
        except Exception:  # noqa: BLE001 - a str subclass key whose hash or == raises
            return

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

    def found(self, has: Callable[[str], bool]) -> None:
        """Forget missing keys that a new document has (``has(key)``): looked up while a
        smaller document answered (a bootstrap), they are no mistake of the code. Called
        by the poller thread when it serves a new document."""
        for key in [key for key in list(self._missing) if _safely(has, key)]:
            self._missing.pop(key, None)

    def log_new_missing(
        self,
        source: str | None,
        has: Callable[[str], bool] = lambda _key: False,
        known: Iterable[str] = (),
    ) -> None:
        """Log each missing key and each misuse once (called from the poller thread after
        it served what it fetched, never from a lookup). A missing key the document now
        served has (``has``) is forgotten instead; one close to a key it has (``known``)
        comes with a suggestion."""
        keys = None
        while True:
            try:
                key = self._unlogged.popleft()
            except IndexError:
                break
            if _safely(has, key):
                self._missing.pop(key, None)
                continue
            if keys is None:
                keys = list(known)
            logger.warning(
                "appflags.missing_key", source=source, key=key, did_you_mean=suggest(key, keys)
            )
        while True:
            try:
                where, problem = self._unlogged_misuses.popleft()
            except IndexError:
                return
            logger.warning("appflags.misused_lookup", source=source, key=where, problem=problem)

    def reset(self) -> None:
        """Start every count afresh, from now (the tracked counts, missing keys, misuses,
        the dropped lookups)."""
        self.since = safe_now(self._clock)
        self._missing = {}
        self._misuses = {}
        self._unlogged.clear()
        self._unlogged_misuses.clear()
        self.counts.clear()  # the tracked lookups hold this very dict
        self._dropped = 0

    def report(
        self,
        *,
        tracking: bool,
        failed_polls: int,
        last_fetched: datetime | None,
        known: Iterable[str] = (),
        fallbacks: int = 0,
    ) -> Usage:
        """A consistent-enough copy of the counters (lookups may run meanwhile).

        ``known``: the keys the document now served has, for "did you mean"; ``fallbacks``:
        every Agent fallback so far (reported since the last :meth:`reset`)."""
        from appflags._usage_report import (  # noqa: PLC0415
            EvaluationCount,
            MissingKey,
            Misuse,
            Usage,
        )

        now, ticks = safe_now(self._clock), time.monotonic()

        def seen(first: datetime, tick: float) -> datetime:
            # Never before the first time: an injected clock (a frozen one in tests) need
            # not advance with the monotonic clock the ticks come from.
            return max(first, now - timedelta(seconds=max(0.0, ticks - tick)))

        entries = list(self._missing.items())
        keys = list(known) if entries else []
        missing = [
            MissingKey(
                key, entry[0], entry[1], seen(entry[1], entry[2]), entry[3], suggest(key, keys)
            )
            for key, entry in entries
        ]
        # Keys compared as plain text: a str subclass key may have an == that raises.
        missing.sort(key=lambda m: (-m.count, str.__str__(m.key)))
        misuses = [
            Misuse(key, problem, entry[0], entry[1], seen(entry[1], entry[2]))
            for (key, problem), entry in list(self._misuses.items())
        ]
        misuses.sort(key=lambda m: (-m.count, str.__str__(m.key or ""), m.problem))
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
            misuses=tuple(misuses),
            agent_fallbacks=fallbacks - self._fallbacks_before,
        )

    def reset_fallbacks(self, fallbacks: int) -> None:
        """Report Agent fallbacks from ``fallbacks`` on (with :meth:`reset`)."""
        self._fallbacks_before = fallbacks


def suggest(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to ``key`` when one is close ("did you mean ...?")."""
    import difflib  # noqa: PLC0415 - ~1 ms of `import appflags`, for a missing key's report

    try:
        close = difflib.get_close_matches(str.__str__(key), list(known), n=1)
    except Exception:  # noqa: BLE001 - never fail a report or a log over a suggestion
        return None
    return close[0] if close else None


def _safely(has: Callable[[str], bool], key: str) -> bool:
    try:
        return bool(has(key))
    except Exception:  # noqa: BLE001 - a str subclass key whose hash or == raises
        return False
