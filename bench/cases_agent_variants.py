"""Multi-variant flags answered by the AppConfig Agent per context: cache hit and miss.

``Flags.from_agent`` against LocalAppConfig's Agent route on 127.0.0.1 (the real Agent is
also a local HTTP server). A hit is an in-memory lookup: one dict read keyed by the
context's names, values and their types; a blocking miss is one local HTTP request; a background
miss only queues it.
"""

from __future__ import annotations

import atexit
import functools
import itertools
from typing import Any

import appflags
from appflags.testing import LocalAppConfig
from bench._harness import Call, Comparison, Figure, best_ns, call
from bench.cases_appconfig_variants import UI_REFRESH

APP = ("shop", "prod", "flags")
HIT_TARGET = 5.0
BUDGET_MS = 50.0
QA = {"email": "jane@qa-testers.mycompany.com", "tier": "gold", "user_id": "u-42"}
WIDE: dict[str, Any] = {
    **QA,
    "country": "DE",
    "plan": "pro",
    "app_version": "4.2.0",
    "opted_in_to_beta": True,
    "age": 42,
    "score": 0.75,
    "device": "ios",
    "locale": "de-DE",
    "org_id": 1234,
}
KEY = "ui_refresh.dark_mode_support"


@functools.cache
def _agent() -> tuple[LocalAppConfig, appflags.Flags]:
    """One local Agent and one ``from_agent`` Flags for the run (closed at exit)."""
    server = LocalAppConfig(poll_interval=60).start()
    server.put(*APP, UI_REFRESH)
    flags = appflags.Flags.from_agent(
        *APP,
        url=server.endpoint_url,
        poll_interval=60,
        variants=appflags.VariantOptions(cache_size=100_000),
    )
    atexit.register(server.stop)
    atexit.register(flags.close)
    return server, flags


def _hit(flags: appflags.Flags, context: dict[str, Any]) -> Call:
    return call(flags, "get_bool", KEY, False, context)


def comparisons() -> list[Comparison]:
    """A cache hit against the same flag evaluated in-process from the stored document,
    for a small context and a wider one (a hit's key is built from the whole context)."""
    _, flags = _agent()
    in_process = appflags.Flags.from_dict(UI_REFRESH)
    out = []
    for context in (QA, WIDE):
        assert flags.get_bool(KEY, False, context) is True  # fills the cache
        out.append(
            Comparison(
                f"Agent multi-variant flag, cache hit ({len(context)}-attribute context)",
                "from_agent, cached",
                _hit(flags, context),
                "from_dict, in-process rules",
                _hit(in_process, context),
                HIT_TARGET,
                "at_most",
                note=(
                    "what limits it: a hit reads one dict, keyed by the context's names,"
                    " values and their types (built in C, no lock, no sorting): cost grows with"
                    " the context's size, far more slowly than when each value was checked"
                    " and written out"
                ),
            )
        )
    return out


def figures(*, quick: bool) -> list[Figure]:
    """A cache miss: blocking (one local HTTP request) and background (queued)."""
    server, flags = _agent()
    budget = 0.02 if quick else 0.2
    users = itertools.count()

    def miss() -> bool:
        context: dict[str, Any] = {**QA, "user_id": f"u-{next(users)}"}
        return flags.get_bool(KEY, False, context)

    # Each call is one HTTP request: fewer repeats keep the run short.
    miss_ms = best_ns(miss, repeat=3, budget=budget / 2) / 1e6
    out = [
        Figure(
            "Agent multi-variant flag, cache miss, blocking (local Agent)",
            miss_ms,
            "ms",
            f"<= {BUDGET_MS:g} (the budget)",
            miss_ms <= BUDGET_MS,
            "one ?flag= request to the Agent on 127.0.0.1, then cached",
        )
    ]
    with appflags.Flags.from_agent(
        *APP, url=server.endpoint_url, poll_interval=60, variants="background"
    ) as background:

        def queued() -> bool:
            context: dict[str, Any] = {**QA, "user_id": f"b-{next(users)}"}
            return background.get_bool(KEY, False, context)

        queued_us = best_ns(queued, repeat=3 if quick else 7, budget=budget) / 1000
        out.append(
            Figure(
                "Agent multi-variant flag, cache miss, background",
                queued_us,
                "us",
                "never waits for the Agent",
                True,
                "answers the polled answer; the request is queued (at most 64 pending)",
            )
        )
    return out
