"""One named daemon thread that polls one source, at the pace the source asks for."""

from __future__ import annotations

import random
import threading
import time
import weakref
from typing import TYPE_CHECKING, TypeVar

from appflags._log import logger
from appflags.sources._base import PollTooEarlyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags.sources import Fetched, Source

_T = TypeVar("_T")

JITTER = 0.1
"""Each wait is stretched by up to 10%, so a fleet started together spreads its polls."""


MIN_DELAY = 0.05

LATE_FLOOR = 1.0
"""A wake-up later than two intervals counts as late only past this many seconds, so a
busy machine's scheduling delays never mark fresh flags STALE."""

if hasattr(time, "CLOCK_BOOTTIME"):  # Linux: counts time spent suspended, unlike monotonic

    def _now() -> float:
        return time.clock_gettime(time.CLOCK_BOOTTIME)

else:
    _now = time.monotonic


def _jittered(seconds: float) -> float:
    return seconds * (1.0 + random.random() * JITTER)  # noqa: S311 - spreading load, not security


class Poller:
    """Calls ``source.fetch()`` now, then again after each delay the source asks for.

    Results go to ``on_fetched`` and failures to ``on_error``, both on the poller thread.
    Both are bound methods held weakly: when their owner is garbage collected, the thread
    ends instead of keeping it alive.
    After a failure the next poll comes after an exponential backoff (1 s, 2 s, 4 s, ...)
    capped at the normal interval, so an outage never costs more calls than health does.

    A wake-up more than two intervals late (the process was frozen, as Lambda does between
    invocations, or the host suspended) is reported to ``on_late`` before the poll it was
    waiting for: the flags were not kept current meanwhile.

    A poll is never sent before the ``min_wait`` the service last set (AppConfigData
    refuses it), not even for :meth:`refresh`. A poll refused anyway as too early
    (:class:`PollTooEarlyError`, clock skew) is not a failure: the same poll asks again after
    the same backoff, and is finished only when it gets an answer.
    """

    def __init__(
        self,
        source: Source,
        on_fetched: Callable[[Fetched], object],
        on_error: Callable[[Exception], object],
        *,
        interval: float,
        name: str,
        on_late: Callable[[float], object] | None = None,
    ) -> None:
        self._source = source
        self._on_fetched = weakref.WeakMethod(on_fetched)  # bound methods only
        self._on_error = weakref.WeakMethod(on_error)
        self._on_late = weakref.WeakMethod(on_late) if on_late is not None else None
        self._interval = interval
        self._name = name
        self._failures = 0
        self._not_before = 0.0  # time.monotonic() before which the service refuses a poll
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._started = 0
        self._finished = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling on a new daemon thread (the first poll happens at once)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def wait_first(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for the first poll to finish, success or not."""
        with self._progress:
            # stop() wakes every waiter: no poll can come after it.
            self._progress.wait_for(lambda: self._finished > 0 or self._stop.is_set(), timeout)
            return self._finished > 0

    def refresh(self, timeout: float) -> bool:
        """Poll as soon as the service allows instead of at the scheduled time.

        Calls made before that poll starts share it. The next wait counts from this poll.
        Returns whether that poll finished within ``timeout`` seconds. Called from the
        poller thread itself (an ``on_change`` listener), it only schedules the poll: waiting
        there would wait for itself.
        """
        if threading.current_thread() is self._thread:
            self._wake.set()
            return False
        with self._progress:
            if self._stop.is_set():
                return False
            target = self._started + 1
            self._wake.set()
            # stop() wakes every waiter: no poll can come after it.
            self._progress.wait_for(
                lambda: self._finished >= target or self._stop.is_set(), timeout
            )
            return self._finished >= target

    def stop(self, timeout: float) -> bool:
        """Ask the thread to stop and wait up to ``timeout``; whether it has stopped.

        Callers waiting in :meth:`refresh` or :meth:`wait_first` return at once."""
        self._stop.set()
        self._wake.set()
        with self._progress:
            self._progress.notify_all()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._progress:
                self._started += 1
                self._wake.clear()
            try:
                delay = self._poll_once()
            except Exception:  # noqa: BLE001 - even a failing error handler must not end polling
                delay = self._interval
            with self._progress:
                self._finished += 1
                self._progress.notify_all()
            # A floor keeps a misconfigured zero interval from spinning the CPU.
            sleep = max(_jittered(delay), MIN_DELAY)
            due = _now() + sleep
            if self._wake.wait(sleep):
                # refresh(): as soon as the service allows, never sooner.
                self._stop.wait(max(0.0, self._not_before - time.monotonic()))
            late = _now() - due
            if late > max(2 * self._interval, LATE_FLOOR) and not self._stop.is_set():
                self._report_late(late)

    def _report_late(self, late: float) -> None:
        if self._on_late is None:
            return
        try:
            self._deliver(self._on_late, late)
        except Exception:  # noqa: BLE001 - the poll that follows must happen regardless
            logger.exception("appflags.late_handler_failed", source=self._source.name)

    def _poll_once(self) -> float:
        refusals = 0
        while not self._stop.is_set():  # stopped (closed, collected): no further request
            try:
                fetched = self._source.fetch()
                break
            except PollTooEarlyError:
                refusals += 1
                retry = min(self._interval, 2.0 ** (refusals - 1))
                logger.debug("appflags.poll_too_early", source=self._source.name, retry_in=retry)
                if self._stop.wait(retry):
                    return retry
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                self._failures += 1
                self._deliver(self._on_error, exc)
                return min(self._interval, 2.0 ** (self._failures - 1))
        else:
            return 0.0
        if fetched.min_wait is not None:
            self._not_before = time.monotonic() + fetched.min_wait
        self._failures = 0
        if fetched.next_poll is not None:
            self._interval = fetched.next_poll
        try:
            self._deliver(self._on_fetched, fetched)
        except Exception as exc:  # noqa: BLE001 - a failing handler counts as a failed poll
            self._deliver(self._on_error, exc)
        return self._interval

    def _deliver(self, handler: weakref.WeakMethod[Callable[[_T], object]], value: _T) -> None:
        method = handler()
        if method is None:  # the owner is gone: nothing left to poll for
            self._stop.set()
            return
        method(value)
