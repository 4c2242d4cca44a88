"""Production runtime: concurrency, fork(), a 48-hour soak on an injected clock, limits."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from _support import APP, reaches, wait_for
from appflags import Flags, State
from appflags.testing import Fault, LocalAppConfig


class SteppingClock:
    """An aware clock that moves ``step`` forward each time it is read (thread-safe)."""

    def __init__(self, step: timedelta) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += self.step
            return self.now


def test_lookups_during_swaps_never_see_a_half_built_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"cfg": {"x": 0, "y": 0}}))
    stop = threading.Event()
    errors: list[str] = []
    reads = [0]

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            temp = tmp_path / "flags.tmp"
            temp.write_text(json.dumps({"cfg": {"x": n, "y": n}, f"k{n % 7}": n}))
            temp.replace(path)
            time.sleep(0.002)

    def reader() -> None:
        while not stop.is_set():
            cfg: dict[str, Any] = flags.get_object("cfg", {})
            if cfg.get("x") != cfg.get("y"):
                errors.append(f"torn read {cfg}")
            flags.evaluate("cfg.x", 0)
            reads[0] += 1

    with Flags.from_file(path, watch=0.001, format="json") as flags:
        versions: set[int] = set()
        flags.on_change(lambda change: versions.add(flags.get_int("cfg.x", -1)))
        threads = [threading.Thread(target=writer)] + [
            threading.Thread(target=reader) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(versions) >= 3  # the snapshot really was swapped under the readers
    assert reads[0] > 100


def test_soak_48_hours_of_polling_renews_sessions_before_tokens_expire() -> None:
    # Every read of the clock moves time 5 minutes: ~300 polls cover more than 48 hours,
    # so sessions must be renewed (at 23 h) and no token may ever reach its 24 h expiry.
    clock = SteppingClock(timedelta(minutes=5))
    with LocalAppConfig(poll_interval=0, clock=clock) as server:
        server.put(*APP, {"beta": {"enabled": True}})
        with Flags.from_appconfig(*APP, client=server.client(), clock=clock) as flags:
            start = clock.now
            version = 1
            deadline = time.monotonic() + 60
            while clock.now - start < timedelta(hours=49) and time.monotonic() < deadline:
                assert flags.is_enabled("beta") is True
                if server.calls("GetLatestConfiguration") % 50 == 0:
                    version += 1
                    server.put(
                        *APP, {"beta": {"enabled": True}, "n": {"enabled": version % 2 == 0}}
                    )
                time.sleep(0.01)
            assert clock.now - start >= timedelta(hours=48)
            assert flags.state is State.READY
            gets = server.calls("GetLatestConfiguration")
            sessions = server.calls("StartConfigurationSession")
    # One session per 23 hours (never the 24 h expiry), and one GET per poll.
    assert 3 <= sessions <= 4
    assert gets >= 100
    tokens = [c.token for c in server.log if c.operation == "GetLatestConfiguration"]
    assert len(set(tokens)) == len(tokens)  # no token used twice, none expired on the way


def test_session_restarts_after_token_expiry(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    with Flags.from_appconfig(*APP, client=client) as flags:
        server.expire_tokens()
        server.put(*APP, {"beta": {"enabled": False}})
        assert wait_for(lambda: not flags.is_enabled("beta"))
        assert reaches(flags, State.READY)  # the state follows the swap, a moment later
        assert server.calls("StartConfigurationSession") == 2


def test_oversized_document_is_rejected_before_parsing(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    with Flags.from_appconfig(*APP, client=client, max_bytes=1000) as flags:
        server.put(*APP, {"beta": {"enabled": False}, "pad": {"enabled": True, "x": "y" * 2000}})
        assert reaches(flags, State.STALE)
        assert flags.is_enabled("beta") is True


def test_slow_response_beyond_read_timeout_keeps_flags(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    server.slow_seconds = 3.0
    with Flags.from_appconfig(*APP, client=client) as flags:
        server.inject(Fault.SLOW, times=1)
        assert wait_for(lambda: flags.is_enabled("beta") and flags.state is State.STALE)
        assert flags.is_enabled("beta") is True
        assert reaches(flags, State.READY, 6)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_keeps_answering_and_polls_on_its_own(
    server: LocalAppConfig, tmp_path: Path
) -> None:
    server.put(*APP, {"beta": {"enabled": True, "color": "red"}})
    flags = Flags.from_appconfig(*APP, endpoint_url=server.endpoint_url, region_name="us-east-1")
    report = tmp_path / "child.json"
    try:
        parent_sessions = server.calls("StartConfigurationSession")
        read, write = os.pipe()  # the child says when it has answered from what it inherited
        pid = os.fork()
        if pid == 0:  # the child: answer from the inherited snapshot, then see a new version
            try:
                os.close(read)
                result: dict[str, Any] = {"inherited": flags.get_str("beta.color", "")}
                os.write(write, b"1")
                threads = [t.name for t in threading.enumerate() if t.name.startswith("appflags")]
                result["threads"] = threads
                deadline = time.monotonic() + 8
                while flags.get_str("beta.color", "") != "green" and time.monotonic() < deadline:
                    time.sleep(0.02)
                result["after"] = flags.get_str("beta.color", "")
                report.write_text(json.dumps(result))
            finally:
                os._exit(0)
        os.close(write)
        os.read(read, 1)  # a loaded machine may run the child's poller first: not before
        os.close(read)
        server.put(*APP, {"beta": {"enabled": True, "color": "green"}})
        _, status = os.waitpid(pid, 0)
        assert status == 0
        result = json.loads(report.read_text())
        assert result["inherited"] == "red"
        assert len(result["threads"]) == 1  # the child's own poller
        assert result["after"] == "green"
        # The child started its own session: no token was shared with the parent.
        assert server.calls("StartConfigurationSession") > parent_sessions
    finally:
        flags.close()


def test_unreferenced_flags_stop_polling(server: LocalAppConfig) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    flags = Flags.from_appconfig(*APP, client=server.client())
    name = f"appflags-poller[appconfigdata:{'/'.join(APP)}]"
    del flags
    gc.collect()
    deadline = time.monotonic() + 3
    while any(t.name == name for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == name for t in threading.enumerate())


def test_a_dropped_flags_stops_polling_at_once_without_another_request() -> None:
    # The server asks for 30 s between polls: a poller that only noticed at its next
    # wake-up would still be running (and then send one more request) long after this.
    with LocalAppConfig(poll_interval=30) as server:
        server.put(*APP, {"beta": {"enabled": True}})
        flags = Flags.from_appconfig(*APP, client=server.client())
        assert flags.state is State.READY
        name = f"appflags-poller[appconfigdata:{'/'.join(APP)}]"
        calls = server.calls()
        del flags
        gc.collect()
        assert wait_for(lambda: not any(t.name == name for t in threading.enumerate()), 5)
        assert server.calls() == calls


FROZEN_CHILD = """
import json, pathlib, sys, time
from appflags import Flags, State

url, out = sys.argv[1], pathlib.Path(sys.argv[2])
states = []
flags = Flags.from_agent("shop", "prod", "flags", url=url, poll_interval=0.2)
flags.on_change(lambda change: states.append(change.state.value))
assert flags.state is State.READY
before = flags.last_updated
(out.parent / "ready").write_text("")
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not ("STALE" in states and states[-1] == "READY"):
    time.sleep(0.01)
out.write_text(json.dumps({"states": states, "newer": flags.last_updated > before}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP")
def test_a_frozen_process_is_stale_until_its_next_poll_succeeds(
    server: LocalAppConfig, tmp_path: Path
) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    script, out = tmp_path / "child.py", tmp_path / "out.json"
    script.write_text(FROZEN_CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), server.endpoint_url, str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: (tmp_path / "ready").exists() or child.poll() is not None, 30)
        # Frozen as Lambda freezes a process between invocations: its poller wakes up
        # far more than two intervals late. Nothing failed, yet nothing was polled.
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(3)
        os.kill(child.pid, signal.SIGCONT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, stderr
    result = json.loads(out.read_text())
    assert result["states"][:1] == ["STALE"]
    assert result["states"][-1] == "READY"
    assert result["newer"] is True  # last_updated moved with the poll that followed


def test_last_updated_is_the_time_of_the_last_good_poll(server: LocalAppConfig) -> None:
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    server.put(*APP, {"beta": {"enabled": True}})
    assert Flags.from_dict({"beta": {"enabled": True}}).last_updated is None
    with Flags.from_appconfig(*APP, client=server.client(), clock=lambda: now[0]) as flags:
        assert flags.last_updated == now[0]
        first = now[0]
        now[0] += timedelta(minutes=5)
        server.inject(Fault.SERVER_ERROR, times=-1)
        assert reaches(flags, State.STALE)
        assert flags.last_updated == first  # a failed poll confirms nothing
        server.clear_faults()
        server.put(*APP, {"beta": {"enabled": False}})
        assert reaches(flags, State.READY)
        assert flags.last_updated == now[0]
