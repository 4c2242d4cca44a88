"""``flags.wait_ready(timeout)`` and ``await flags.wait_ready_async(timeout)``: until flags
are served (from AppConfig, a backup or a bootstrap), never past ``close()``."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from _support import APP, UNREACHABLE
from appflags import Flags, State
from appflags.testing import Fault, LocalAppConfig

DOC = {"beta": {"enabled": True}}


def test_wait_ready_is_true_once_flags_arrive(server: LocalAppConfig) -> None:
    with Flags.from_agent(*APP, url=server.endpoint_url, wait=0, poll_interval=0.5) as flags:
        # Nothing deployed yet: every poll fails, so the flags cannot be ready.
        assert flags.wait_ready(0.2) is False
        server.put(*APP, DOC)
        assert flags.wait_ready(30) is True
        assert flags.state is State.READY
        assert flags.is_enabled("beta") is True


def test_wait_ready_counts_a_bootstrap_or_static_flags_as_ready() -> None:
    assert Flags.from_dict(DOC).wait_ready(0) is True
    with Flags.from_agent(*APP, url=UNREACHABLE, wait=0, bootstrap=DOC) as flags:
        assert flags.wait_ready(0) is True
        assert flags.state is State.STALE


def test_close_releases_wait_ready_and_refresh_at_once(server: LocalAppConfig) -> None:
    # Every poll hangs (until the server stops): no flags, and no poll will ever finish.
    server.put(*APP, DOC)
    server.slow_seconds = 3600
    server.inject(Fault.SLOW, times=-1, call="Agent")
    flags = Flags.from_agent(*APP, url=server.endpoint_url, wait=0, timeout=300)
    results: dict[str, bool] = {}
    started = threading.Barrier(3)

    def wait_ready() -> None:
        started.wait()
        results["wait_ready"] = flags.wait_ready(3600)

    def refresh() -> None:
        started.wait()
        results["refresh"] = flags.refresh(3600)

    threads = [threading.Thread(target=wait_ready), threading.Thread(target=refresh)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.2)  # both are waiting by now (not asserted: either order passes)
    flags.close(timeout=0)
    for thread in threads:
        thread.join(60)  # an hour if close() did not release them
        assert not thread.is_alive()
    assert results == {"wait_ready": False, "refresh": False}
    assert flags.status().closed is True
    assert flags.wait_ready(3600) is False  # closed: at once
    assert flags.refresh(3600) is False


def test_wait_ready_async_never_blocks_the_event_loop(
    server: LocalAppConfig, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> tuple[bool, bool, bool]:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = 0.05
        with Flags.from_agent(*APP, url=server.endpoint_url, wait=0, poll_interval=0.5) as flags:
            not_yet = await flags.wait_ready_async(0.3)
            threading.Timer(0.2, server.put, (*APP, DOC)).start()
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            ready = await flags.wait_ready_async(30)
            ticker.cancel()
            closed = Flags.from_agent(*APP, url=UNREACHABLE, wait=0)
            closed.close()
            return not_yet, ready and ticks > 0, await closed.wait_ready_async(3600)

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        assert asyncio.run(main(), debug=True) == (False, True, False)
    assert [r for r in caplog.records if "Executing" in r.getMessage()] == []
