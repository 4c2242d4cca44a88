"""Usage reports: which keys the code looked up that the document lacks, and (when
tracked) how often each flag answered with each variant and reason.

Recording happens on the lookup path, so it takes no lock, never logs and never raises:
counts are plain dict updates (exact on one thread; concurrent lookups of the same key
may, rarely, lose a count). Logging missing keys is left to the poller thread.
"""

from __future__ import annotations

import collections
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from appflags._log import logger

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from appflags._evaluation import ErrorCode, Evaluation, Reason
    from appflags._lookups import Lookups
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

    __slots__ = ("_clock", "_counts", "_dropped", "_missing", "_unlogged", "since")

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.since = safe_now(clock)
        self._missing: dict[str, list[Any]] = {}
        self._unlogged: collections.deque[str] = collections.deque()
        self._counts: dict[tuple[str, str | None, Reason, ErrorCode | None], int] = {}
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

    def count(self, key: str, evaluation: Evaluation) -> None:
        """Count one tracked lookup's answer."""
        counted = (key, evaluation[1], evaluation[2], evaluation[3])
        try:
            self._counts[counted] += 1
        except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
            self.count_new(counted)

    def count_new(self, counted: tuple[str, str | None, Reason, ErrorCode | None]) -> None:
        """Count the first lookup of one (key, variant, reason, error), within the bound.

        A key that is not a string names no flag: it is not counted (nor reported).
        """
        if not isinstance(counted[0], str):
            return
        counts = self._counts
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
            for (key, variant, reason, error), count in list(self._counts.items())
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


class _StrProbe(str):
    __slots__ = ()


class _IntProbe(int):
    __slots__ = ()


class _FloatProbe(float):
    __slots__ = ()


class _ObjectProbe(dict[str, Any]):
    __slots__ = ()


# Defaults of the exact kind each typed lookup converts to: ``evaluate`` then applies the
# same conversion whatever the caller's default is, and answering with the probe itself
# means "the caller's default".
_STR, _INT, _FLOAT, _OBJECT = _StrProbe(), _IntProbe(), _FloatProbe(), _ObjectProbe()


def tracked_lookups(flags: Lookups, recorder: UsageRecorder) -> dict[str, Any]:
    """Lookup methods that count every answer, to set on one ``Flags`` instance.

    Each answers through ``evaluate`` (which knows the variant and reason) with the
    conversion of the typed lookup it replaces, so the values are those of the untracked
    methods. Only instances built with ``track_usage=True`` carry them: the class's
    methods, and every other ``Flags``, stay as fast as without tracking.
    """
    evaluate = type(flags).evaluate.__get__(flags)
    counts = recorder._counts  # the recorder's own dict: counting inlined for speed
    count_new = recorder.count_new

    # The counting is written out in each closure: a call per lookup would cost more
    # than the count itself.
    def tracked_evaluate(
        key: str, default: Any, context: Mapping[str, Any] | None = None
    ) -> Evaluation:
        result: Evaluation = evaluate(key, default, context)
        counted = (key, result[1], result[2], result[3])
        try:
            counts[counted] += 1
        except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
            count_new(counted)
        return result

    def typed(probe: Any) -> Callable[[str, Any, Mapping[str, Any] | None], Any]:
        def lookup(key: str, default: Any, context: Mapping[str, Any] | None = None) -> Any:
            result = evaluate(key, probe, context)
            counted = (key, result[1], result[2], result[3])
            try:
                counts[counted] += 1
            except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
                count_new(counted)
            value = result[0]
            return default if value is probe else value

        return lookup

    def is_enabled(
        key: str, context: Mapping[str, Any] | None = None, *, default: bool = False
    ) -> bool:
        # is_enabled answers booleans whatever the default's type: a default that is no
        # bool (rare) must not make evaluate() expect its type instead.
        expected = default if default is True or default is False else None
        result = evaluate(key, expected, context)
        counted = (key, result[1], result[2], result[3])
        try:
            counts[counted] += 1
        except Exception:  # noqa: BLE001 - new, or a key that cannot be hashed (not counted)
            count_new(counted)
        value = result[0]
        return value if value is True or value is False else default

    def get_bool(
        key: str,
        default: bool,  # noqa: FBT001 - same shape as the untracked method
        context: Mapping[str, Any] | None = None,
    ) -> bool:
        return is_enabled(key, context, default=default)

    return {
        "evaluate": tracked_evaluate,
        "is_enabled": is_enabled,
        "get_bool": get_bool,
        "get_str": typed(_STR),
        "get_int": typed(_INT),
        "get_float": typed(_FLOAT),
        "get_object": typed(_OBJECT),
    }
