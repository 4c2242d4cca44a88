"""Compile cost, memory per flag, and the polling budget measured against LocalAppConfig."""

from __future__ import annotations

import itertools
import json
import time
import tracemalloc
from typing import Any

import appflags
from appflags.testing import LocalAppConfig
from bench._harness import Figure, best_ns

FLAG_COUNT = 1000


def thousand_flags() -> bytes:
    """A 1,000-flag AppConfig document with a few attributes each."""
    doc: dict[str, Any] = {
        f"flag-{i}": {"enabled": i % 2 == 0, "color": "red", "limit": i, "ratio": i / 10}
        for i in range(FLAG_COUNT)
    }
    return json.dumps(doc).encode()


def figures(*, quick: bool) -> list[Figure]:
    """Compile time, memory per flag, poll calls per interval."""
    data = thousand_flags()
    from appflags.formats import load

    compile_ms = best_ns(lambda: load(data, "application/json"), repeat=3, budget=0.2) / 1e6
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = load(data, "application/json")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del kept
    out = [
        Figure(
            f"parse + validate + compile {FLAG_COUNT} flags",
            compile_ms,
            "ms",
            "tens of ms (< 100)",
            compile_ms < 100,
        ),
        Figure("memory per compiled flag (4 attributes)", grown / FLAG_COUNT, "bytes", "-", True),
    ]
    out.append(_poll_budget(seconds=3.5 if quick else 8.5))
    return out


def _lookups_polled() -> int:
    """GetLatestConfiguration calls made while 100,000 lookups run, at the server's default
    60 s interval: no background poll falls due meanwhile (at 1 s, one could, by chance)."""
    with LocalAppConfig() as server:
        server.put("app", "env", "flags", {"beta": {"enabled": True}})
        with appflags.Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:
            before = server.calls("GetLatestConfiguration")
            for _ in range(100_000):
                flags.is_enabled("beta")
            return server.calls("GetLatestConfiguration") - before


def _poll_budget(*, seconds: float) -> Figure:
    with LocalAppConfig(poll_interval=1) as server:
        server.put("app", "env", "flags", {"beta": {"enabled": True}})
        with appflags.Flags.from_appconfig("app", "env", "flags", client=server.client()):
            time.sleep(seconds)
    lookups_polled = _lookups_polled()
    times = [c.at for c in server.log if c.operation == "GetLatestConfiguration"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean_gap = sum(gaps) / len(gaps) if gaps else float("inf")
    per_interval = 1.0 / mean_gap  # the server asks for one poll per 1 s interval
    return Figure(
        "GetLatestConfiguration calls per interval",
        per_interval,
        "calls",
        "1 (jitter stretches waits by up to 10%)",
        0.85 <= per_interval <= 1.0 and lookups_polled == 0,
        note=f"{len(times)} polls, mean gap {mean_gap:.3f} s at a 1 s interval; "
        f"100,000 lookups made {lookups_polled} calls",
    )
