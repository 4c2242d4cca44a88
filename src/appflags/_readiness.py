"""Waiting until a ``Flags`` answers: ``wait_ready`` and ``wait_ready_async``.

One :class:`Readiness` per ``Flags``, set once flags answer or once they are closed
(whichever comes first): threads block on it, and asyncio code awaits it without blocking
its event loop, the thread that sets it waking the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from appflags._log import logger

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable


class Readiness:
    """A one-way switch that threads wait on and event loops await."""

    def __init__(self, *, ready: bool) -> None:
        self._lock = threading.Lock()
        self._set = threading.Event()
        self._waiters: list[Callable[[], object]] = []
        if ready:
            self._set.set()

    def set(self) -> None:
        """Release every waiter, now and from now on (idempotent)."""
        with self._lock:
            self._set.set()
            waiters, self._waiters = self._waiters, []
        for wake in waiters:
            try:
                wake()
            except Exception:  # noqa: BLE001 - one waiter must not stop the others
                logger.exception("appflags.ready_waiter_failed", waiter=repr(wake))

    def wait(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds until :meth:`set`."""
        self._set.wait(timeout)

    async def wait_async(self, timeout: float) -> None:
        """Await up to ``timeout`` seconds until :meth:`set`; the event loop keeps running."""
        import asyncio  # noqa: PLC0415 - only asyncio code pays for importing it

        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            # RuntimeError: the loop closed meanwhile, and nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, woken)

        with self._lock:
            if self._set.is_set():
                return
            self._waiters.append(wake)
        try:
            await asyncio.wait_for(woken, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                if wake in self._waiters:
                    self._waiters.remove(wake)


def _resolve(future: asyncio.Future[None]) -> None:
    """Complete a waiter's future, unless it was cancelled (timed out) meanwhile."""
    if not future.done():
        future.set_result(None)
