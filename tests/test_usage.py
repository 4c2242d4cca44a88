"""``Flags.usage()``: missing keys (always) and per-flag answers (``track_usage=True``)."""

from __future__ import annotations

import re
import threading
from collections.abc import MutableMapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from _support import FAST_CONFIG, PREMIUM, UNREACHABLE, json_values, reaches, wait_for
from appflags import ErrorCode, Flags, MissingKey, Reason, State, VariantOptions
from appflags._usage import MAX_MISSING_KEYS
from appflags.testing import Fault, LocalAppConfig

DOC = {"beta": {"enabled": True, "color": "red"}, "off": {"enabled": False}}


def _clock() -> datetime:
    return datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc)


def test_missing_keys_are_counted_by_every_lookup_with_first_time_seen() -> None:
    flags = Flags.from_dict(DOC, clock=_clock)
    assert flags.is_enabled("beta") is True  # present: not recorded
    flags.is_enabled("bta")
    flags.get_bool("bta", False)
    flags.get_str("beta.colour", "x")
    flags.get_int("limits.max", 1)
    flags.get_float("limits.max", 1.0)
    flags.get_object("limits", {})
    flags.evaluate("bta", False)
    flags.evaluate("bta", False)  # a shared answer: still counted
    flags.evaluate("limits", {"a": 1})
    flags.get_str("off.color", "x")  # a disabled flag's attribute is no missing key
    report = flags.usage()
    assert [(m.key, m.count) for m in report.missing] == [
        ("bta", 4),
        ("limits", 2),
        ("limits.max", 2),
        ("beta.colour", 1),
    ]
    assert {m.first_seen for m in report.missing} == {_clock()}
    assert report.since == _clock()
    assert report.tracking is False
    assert report.evaluations == ()


def test_last_seen_is_never_before_first_seen_under_an_injected_clock() -> None:
    # The clock is frozen, as in tests: last_seen was the report's time less the time
    # elapsed since the lookup, so before first_seen.
    flags = Flags.from_dict(DOC, clock=_clock)
    flags.is_enabled("bta")
    flags.get_str("bta.color", {"tier": "gold"})  # type: ignore[arg-type]  # the misuse itself
    report = flags.usage()
    assert {(m.first_seen, m.last_seen) for m in report.missing} == {(_clock(), _clock())}
    assert {(m.first_seen, m.last_seen) for m in report.misuses} == {(_clock(), _clock())}


def test_nothing_is_missing_before_flags_are_loaded() -> None:
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, wait=0) as flags:
        assert flags.state is State.NOT_READY
        flags.is_enabled("beta")
        flags.evaluate("beta", False)
        assert flags.usage().missing == ()


def test_missing_keys_are_bounded() -> None:
    flags = Flags.from_dict(DOC, clock=_clock)
    for n in range(MAX_MISSING_KEYS + 5):
        flags.is_enabled(f"user-{n}")
    flags.is_enabled("user-0")
    report = flags.usage()
    assert len(report.missing) == MAX_MISSING_KEYS
    assert report.dropped == 5
    first = report.missing[0]
    assert (first.key, first.count, first.first_seen, first.version) == (
        "user-0",
        2,
        _clock(),
        None,
    )
    assert type(first) is MissingKey


def test_lookups_never_log_missing_keys() -> None:
    flags = Flags.from_dict(DOC, track_usage=True)  # no poller: nothing logs at all
    with capture_logs() as logs:
        flags.is_enabled("bta")
        flags.get_str("beta.colour", "x")
        flags.evaluate("bta", False)
    assert logs == []
    assert [m.key for m in flags.usage().missing] == ["bta", "beta.colour"]


def test_each_missing_key_is_logged_once_from_the_poller_thread(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "usage", DOC)
    with Flags.from_appconfig("shop", "prod", "usage", client=server.client()) as flags:
        with capture_logs() as logs:
            for _ in range(3):
                flags.is_enabled("bta")
                flags.get_str("beta.colour", "x")

            def logged() -> list[MutableMapping[str, Any]]:
                return [e for e in logs if e["event"] == "appflags.missing_key"]

            assert wait_for(lambda: len(logged()) == 2)
            flags.is_enabled("bta")
            polls = server.calls("GetLatestConfiguration")
            assert wait_for(lambda: server.calls("GetLatestConfiguration") >= polls + 2)
        assert sorted(e["key"] for e in logged()) == ["beta.colour", "bta"]
        assert all(e["log_level"] == "warning" for e in logged())
        assert all(e["source"] == "appconfigdata:shop/prod/usage" for e in logged())


def test_track_usage_counts_answers_per_variant_and_reason() -> None:
    flags = Flags.from_dict(PREMIUM, track_usage=True)
    assert flags.is_enabled("premium", {"tier": "gold"}) is True
    assert flags.is_enabled("premium", {"tier": "gold"}) is True
    assert flags.is_enabled("premium", {"tier": "free"}) is False
    assert flags.get_str("premium", "x") == "x"
    assert flags.evaluate("nope", 1).error_code is ErrorCode.FLAG_NOT_FOUND
    report = flags.usage()
    assert report.tracking is True
    counted = {(e.key, e.variant, e.reason, e.error_code): e.count for e in report.evaluations}
    assert counted == {
        ("premium", "gold", Reason.TARGETING_MATCH, None): 2,
        ("premium", None, Reason.DEFAULT, None): 1,
        ("premium", None, Reason.ERROR, ErrorCode.TYPE_MISMATCH): 1,
        ("nope", None, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND): 1,
    }
    assert [(m.key, m.count) for m in report.missing] == [("nope", 1)]


def test_tracking_belongs_to_one_instance() -> None:
    tracked = Flags.from_dict(DOC, track_usage=True)
    plain = Flags.from_dict(DOC)
    tracked.is_enabled("beta")
    plain.is_enabled("beta")
    assert [e.count for e in tracked.usage().evaluations] == [1]
    assert plain.usage().evaluations == ()
    assert "is_enabled" not in vars(plain)  # untracked lookups are the class's own


def test_tracked_counts_from_many_threads() -> None:
    flags = Flags.from_dict(DOC, track_usage=True)

    def work() -> None:
        for _ in range(1000):
            flags.is_enabled("beta")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (counted,) = flags.usage().evaluations
    # No lock on the lookup path: a count may rarely be lost, never invented.
    assert 3000 < counted.count <= 4000


@pytest.mark.parametrize("key", [["beta"], {"beta": 1}, None, 3, b"beta", ("beta",), 1.5])
def test_tracked_lookups_never_raise_on_keys_that_are_not_strings(key: Any) -> None:
    tracked = Flags.from_dict(DOC, track_usage=True)
    plain = Flags.from_dict(DOC)
    assert tracked.is_enabled(key, default=True) is plain.is_enabled(key, default=True)
    for method in ("get_bool", "get_str", "get_int", "get_float", "get_object"):
        assert getattr(tracked, method)(key, "d") == getattr(plain, method)(key, "d")
    assert tracked.evaluate(key, "d") == plain.evaluate(key, "d")
    tracked.is_enabled("beta")
    # Such a key names no flag: neither counted nor missing, and the report still sorts.
    usage = tracked.usage()
    assert [(e.key, e.count) for e in usage.evaluations] == [("beta", 1)]
    assert usage.missing == ()


DEFAULTS: st.SearchStrategy[Any] = st.sampled_from(
    [None, True, False, 0, 7, 0.5, "", "d", [], {}, {"d": 1}, (1,)]
)


@given(value=json_values(max_leaves=6), default=DEFAULTS)
def test_tracked_lookups_answer_exactly_as_untracked_ones(value: Any, default: Any) -> None:
    doc = {"flag": {"enabled": True, "attr": value}}
    plain = Flags.from_dict(doc, format="json")
    tracked = Flags.from_dict(doc, format="json", track_usage=True)
    for key in ("flag.attr", "flag", "flag.enabled", "missing"):
        assert tracked.is_enabled(key, default=default) == plain.is_enabled(key, default=default)
        for method in ("get_bool", "get_str", "get_int", "get_float", "get_object"):
            got = getattr(tracked, method)(key, default)
            want = getattr(plain, method)(key, default)
            assert got == want
            assert type(got) is type(want)
        assert tracked.evaluate(key, default) == plain.evaluate(key, default)


def test_failed_polls_and_last_fetched(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "health", DOC)
    client = server.client(config=FAST_CONFIG)
    with Flags.from_appconfig("shop", "prod", "health", client=client) as flags:
        report = flags.usage()
        assert report.failed_polls == 0
        assert report.last_fetched is not None
        server.inject(Fault.SERVER_ERROR, times=-1)
        flags.refresh()
        assert reaches(flags, State.STALE)
        assert flags.usage().failed_polls >= 1
        assert flags.usage().last_fetched == report.last_fetched
    assert Flags.from_dict(DOC).usage().last_fetched is None


def test_the_documented_examples_run() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "usage.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    for block in blocks[:2]:
        exec(compile(block, str(page), "exec"), {"__name__": "docs"})  # noqa: S102 - our own docs


@pytest.mark.parametrize("track", [False, True])
def test_overrides_are_not_missing_keys(track: bool) -> None:
    flags = Flags.from_dict(DOC, track_usage=track)
    with flags.override({"new": True}):
        assert flags.is_enabled("new") is True
    assert flags.usage().missing == ()


def test_a_failing_clock_never_breaks_a_lookup_or_the_report() -> None:
    def broken() -> datetime:
        raise OSError("clock unavailable")

    flags = Flags.from_dict(DOC, clock=broken, track_usage=True)
    assert flags.is_enabled("bta") is False
    (missing,) = flags.usage().missing
    assert missing.key == "bta"
    assert missing.first_seen.tzinfo is not None


def test_from_agent_tracks_usage_too_per_context_variants_included() -> None:
    variants = [
        {"name": "Gold", "enabled": True, "rule": '(eq $tier "gold")'},
        {"name": "Default", "enabled": False},
    ]
    doc = {
        "version": "1",
        "flags": {"premium": {"name": "Premium"}, "beta": {"name": "Beta"}},
        "values": {"premium": {"_variants": variants}, "beta": {"enabled": True}},
    }
    with LocalAppConfig(poll_interval=60) as agent:
        agent.put("shop", "prod", "agent", doc)
        with Flags.from_agent(
            "shop",
            "prod",
            "agent",
            url=agent.endpoint_url,
            track_usage=True,
            variants=VariantOptions(budget=5),
        ) as flags:
            assert flags.is_enabled("beta") is True
            assert flags.is_enabled("premium", {"tier": "gold"}) is True
            assert flags.is_enabled("premium", {"tier": "free"}) is False
            report = flags.usage()
    counted = {(e.key, e.variant): e.count for e in report.evaluations}
    assert report.tracking is True
    assert counted == {("beta", None): 1, ("premium", "Gold"): 1, ("premium", "Default"): 1}


# ------------------------------------------------ swapped arguments: seen, never silent

STATIC_ON = {"premium": {"enabled": True, "color": "gold"}, "limits": {"enabled": True, "max": 5}}


@pytest.mark.parametrize("track", [False, True])
def test_a_context_that_is_no_mapping_answers_the_default_on_static_flags_too(
    track: bool,
) -> None:
    flags = Flags.from_dict(STATIC_ON, clock=_clock, track_usage=track)
    with capture_logs() as logs:
        # is_enabled takes the context second: True here is the context, not the default.
        assert flags.is_enabled("premium", True) is False  # type: ignore[arg-type]  # the trap
        assert flags.get_bool("premium", False, "gold") is False  # type: ignore[arg-type]
        assert flags.get_str("premium.color", "none", ["gold"]) == "none"  # type: ignore[arg-type]
        assert flags.get_int("limits.max", 0, 7) == 0  # type: ignore[arg-type]
        assert flags.get_float("limits.max", 0.5, 7) == 0.5  # type: ignore[arg-type]
        assert flags.get_object("limits", [], 7) == []  # type: ignore[arg-type]
        assert flags.enabled_features(True) == []  # type: ignore[arg-type]
        answer = flags.evaluate("premium", False, True)  # type: ignore[arg-type]
    assert logs == []  # lookups never log
    assert (answer.value, answer.reason, answer.error_code) == (
        False,
        Reason.ERROR,
        ErrorCode.INVALID_CONTEXT,
    )
    # None is no context, and any mapping is one.
    assert flags.is_enabled("premium", None) is True
    assert flags.is_enabled("premium", MappingProxyType({"tier": "gold"})) is True
    misuses = flags.usage().misuses
    assert sum(m.count for m in misuses) == 8
    assert {m.key for m in misuses} == {"premium", "premium.color", "limits.max", "limits", None}
    bool_context = [m for m in misuses if m.key == "premium" and "a bool" in m.problem]
    assert bool_context
    assert bool_context[0].count == 2  # is_enabled and evaluate
    assert "not a mapping" in bool_context[0].problem
    assert bool_context[0].first_seen == _clock()
    assert flags.usage().missing == ()


@pytest.mark.parametrize("track", [False, True])
def test_a_default_of_the_wrong_type_is_recorded(track: bool) -> None:
    flags = Flags.from_dict(STATIC_ON, track_usage=track)
    # get_* take the default second: the context went there, and answers as the "string".
    swapped: Any = {"tier": "gold"}  # what the type checker would refuse, as code may pass it
    answered: Any = flags.get_str("nope", swapped)
    assert answered == {"tier": "gold"}
    assert flags.get_int("limits.max", 1) == 5  # fits: nothing recorded
    assert flags.get_int("premium.color", True) is True  # a bool is no int default
    no_default: Any = None  # "no default": allowed, whatever the annotation says
    assert flags.get_str("premium.color", no_default) == "gold"
    assert flags.get_str("nope", no_default) is None
    assert flags.get_object("nope", {"a": 1}) == {"a": 1}
    problems = {(m.key, m.problem) for m in flags.usage().misuses}
    assert problems == {
        ("nope", "default of get_str is a dict: was the context passed as the default?"),
        ("premium.color", "default of get_int is a bool: was the context passed as the default?"),
    }


def test_misuses_are_logged_once_from_the_poller_thread(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "usage", DOC)
    with Flags.from_appconfig("shop", "prod", "usage", client=server.client()) as flags:
        with capture_logs() as logs:
            for _ in range(3):
                flags.is_enabled("beta", True)  # type: ignore[arg-type]  # the trap

            def logged() -> list[MutableMapping[str, Any]]:
                return [e for e in logs if e["event"] == "appflags.misused_lookup"]

            assert wait_for(lambda: len(logged()) == 1)
            polls = server.calls("GetLatestConfiguration")
            assert wait_for(lambda: server.calls("GetLatestConfiguration") >= polls + 2)
        assert [(e["key"], e["log_level"]) for e in logged()] == [("beta", "warning")]
        assert "not a mapping" in logged()[0]["problem"]


# ---------------------------------------- bootstrap, last seen, version, reset, suggestions


def test_keys_missing_only_from_a_smaller_bootstrap_are_not_reported(
    server: LocalAppConfig,
) -> None:
    served = {**DOC, "new-checkout": {"enabled": True}}
    with capture_logs() as logs:
        flags = Flags.from_agent(
            "shop",
            "prod",
            "usage",
            url=server.endpoint_url,
            poll_interval=0.5,
            wait=0,
            bootstrap={"beta": {"enabled": True}},
        )
        with flags:
            # Nothing deployed: polls fail, the bootstrap answers without "new-checkout".
            assert flags.is_enabled("new-checkout") is False
            assert flags.is_enabled("nwe-checkout") is False  # a real typo
            assert {m.key for m in flags.usage().missing} == {"new-checkout", "nwe-checkout"}
            assert {m.version for m in flags.usage().missing} == {None}
            server.put("shop", "prod", "usage", served)
            assert wait_for(lambda: flags.is_enabled("new-checkout"))

            def logged() -> list[str]:
                return [e["key"] for e in logs if e["event"] == "appflags.missing_key"]

            assert wait_for(lambda: logged() == ["nwe-checkout"])
            report = flags.usage()
            assert [(m.key, m.did_you_mean) for m in report.missing] == [
                ("nwe-checkout", "new-checkout")
            ]
            flags.is_enabled("nwe-checkout")
            (again,) = flags.usage().missing
            assert (again.count, again.version) == (2, flags.version)
            assert again.version is not None
            assert again.last_seen >= again.first_seen
    suggestions = [e["did_you_mean"] for e in logs if e["event"] == "appflags.missing_key"]
    assert suggestions == ["new-checkout"]


def test_usage_can_be_reset() -> None:
    times = iter(datetime(2026, 5, 4, 3, 2, s, tzinfo=timezone.utc) for s in range(1, 60))
    flags = Flags.from_dict(DOC, clock=lambda: next(times), track_usage=True)
    flags.is_enabled("bta")
    flags.is_enabled("beta")
    flags.is_enabled("beta", True)  # type: ignore[arg-type]  # a misuse
    first = flags.usage(reset=True)
    assert [m.key for m in first.missing] == ["bta"]
    assert first.misuses
    assert first.evaluations
    after = flags.usage()
    assert (after.missing, after.misuses, after.evaluations, after.dropped) == ((), (), (), 0)
    assert after.since > first.since
    flags.is_enabled("bta")
    assert [(m.key, m.count) for m in flags.usage().missing] == [("bta", 1)]
    with pytest.raises(TypeError, match="reset"):
        flags.usage(reset="yes")  # type: ignore[arg-type]  # wrong on purpose
