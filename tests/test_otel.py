"""``appflags.otel``: usage and poll health as OpenTelemetry metrics, read on collection."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from structlog.testing import capture_logs

from _support import FAST_CONFIG, PREMIUM, reaches
from appflags import Flags, State
from appflags.otel import instrument
from appflags.testing import Fault, LocalAppConfig

RULES = {**PREMIUM, "banner": {"default": True}}
Points = dict[str, list[tuple[dict[str, Any], float]]]


class Telemetry:
    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.provider = MeterProvider(metric_readers=[self.reader])

    def collect(self) -> Points:
        found: Points = {}
        data = self.reader.get_metrics_data()
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                assert scope.scope.name == "appflags"
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        value = point.value  # type: ignore[union-attr] # sums and gauges only
                        found.setdefault(metric.name, []).append(
                            (dict(point.attributes or {}), value)
                        )
        return found


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.provider.shutdown()


def test_evaluation_counts_use_feature_flag_conventions(telemetry: Telemetry) -> None:
    flags = Flags.from_dict(RULES, track_usage=True)
    instrument(flags, meter_provider=telemetry.provider)
    secret = {"tier": "gold", "user_id": "u-secret-42", "email": "ann@example.com"}
    for _ in range(3):
        flags.is_enabled("premium", secret)
    flags.is_enabled("premium", {"tier": "free", "user_id": "u-secret-43"})
    flags.get_str("banner", "x", secret)
    flags.is_enabled("bannr", secret)

    points = telemetry.collect()
    evaluations = {
        (
            a["feature_flag.key"],
            a.get("feature_flag.result.variant"),
            a["feature_flag.result.reason"],
            a.get("error.type"),
        ): v
        for a, v in points["appflags.evaluations"]
    }
    assert evaluations == {
        ("premium", "gold", "targeting_match", None): 3,
        ("premium", None, "default", None): 1,
        ("banner", None, "error", "type_mismatch"): 1,
        ("bannr", None, "error", "flag_not_found"): 1,
    }
    first = points["appflags.evaluations"][0][0]
    assert first["feature_flag.provider.name"] == "appflags"
    assert first["appflags.source"] == "static"
    assert points["appflags.missing_keys"] == [
        ({"appflags.source": "static", "feature_flag.key": "bannr"}, 1)
    ]
    # No context value ever becomes an attribute.
    text = json.dumps(points)
    assert "u-secret" not in text
    assert "example.com" not in text
    assert all("tier" not in a and "user_id" not in a for a, _ in points["appflags.evaluations"])


def test_counters_are_cumulative_and_lookups_do_no_telemetry_work(telemetry: Telemetry) -> None:
    flags = Flags.from_dict(RULES, track_usage=True)
    instrument(flags, meter_provider=telemetry.provider)
    flags.is_enabled("banner")
    assert [v for _, v in telemetry.collect()["appflags.evaluations"]] == [1]
    flags.is_enabled("banner")
    flags.is_enabled("banner")
    assert [v for _, v in telemetry.collect()["appflags.evaluations"]] == [3]


def test_without_track_usage_only_missing_keys_and_health(telemetry: Telemetry) -> None:
    flags = Flags.from_dict(RULES)
    instrument(flags, meter_provider=telemetry.provider)
    flags.is_enabled("premium", {"tier": "gold"})
    flags.is_enabled("nope")
    points = telemetry.collect()
    assert "appflags.evaluations" not in points
    assert [a["feature_flag.key"] for a, _ in points["appflags.missing_keys"]] == ["nope"]
    states = {a["appflags.state"]: v for a, v in points["appflags.state"]}
    assert states == {"NOT_READY": 0, "READY": 1, "STALE": 0}
    assert "appflags.data.age" not in points  # no source: nothing was ever fetched


def test_poll_health(telemetry: Telemetry, server: LocalAppConfig) -> None:
    server.put("shop", "prod", "otel", RULES, version_label="v7")
    client = server.client(config=FAST_CONFIG)
    with Flags.from_appconfig("shop", "prod", "otel", client=client) as flags:
        instrument(flags, meter_provider=telemetry.provider)
        points = telemetry.collect()
        source = "appconfigdata:shop/prod/otel"
        assert points["appflags.poll.failures"] == [({"appflags.source": source}, 0)]
        ((attributes, age),) = points["appflags.data.age"]
        assert attributes == {"appflags.source": source}
        assert 0 <= age < 60
        current = [a for a, v in points["appflags.state"] if v == 1]
        assert current == [
            {"appflags.source": source, "appflags.state": "READY", "feature_flag.version": "v7"}
        ]

        server.inject(Fault.SERVER_ERROR, times=-1)
        flags.refresh()
        assert reaches(flags, State.STALE)
        points = telemetry.collect()
        ((_, failures),) = points["appflags.poll.failures"]
        assert failures >= 1
        now = [a["appflags.state"] for a, v in points["appflags.state"] if v == 1]
        assert now == ["STALE"]


def test_several_flags_share_one_provider_and_can_stop(telemetry: Telemetry) -> None:
    one = Flags.from_dict({"a": {"enabled": True}})
    two = Flags.from_dict({"b": {"enabled": True}})
    instrument(one, meter_provider=telemetry.provider)
    stop = instrument(two, meter_provider=telemetry.provider)
    one.is_enabled("x")
    two.is_enabled("y")
    keys = sorted(a["feature_flag.key"] for a, _ in telemetry.collect()["appflags.missing_keys"])
    assert keys == ["x", "y"]
    stop()
    keys = [a["feature_flag.key"] for a, _ in telemetry.collect()["appflags.missing_keys"]]
    assert keys == ["x"]


def test_each_instrument_call_stops_only_itself(telemetry: Telemetry) -> None:
    flags = Flags.from_dict({"a": {"enabled": True}})
    flags.is_enabled("x")
    stop_app = instrument(flags, meter_provider=telemetry.provider)
    stop_library = instrument(flags, meter_provider=telemetry.provider)  # the same flags again
    assert len(telemetry.collect()["appflags.missing_keys"]) == 1  # observed once
    stop_library()
    stop_library()  # a second call changes nothing
    assert len(telemetry.collect()["appflags.missing_keys"]) == 1  # the app's still observes
    stop_app()
    assert "appflags.missing_keys" not in telemetry.collect()


def test_instrumented_flags_are_not_kept_alive(telemetry: Telemetry) -> None:
    flags = Flags.from_dict({"a": {"enabled": True}})
    instrument(flags, meter_provider=telemetry.provider)
    del flags
    gc.collect()
    assert "appflags.state" not in telemetry.collect()


def test_a_wrong_argument_is_refused_and_the_others_keep_their_metrics(
    telemetry: Telemetry,
) -> None:
    from appflags.openfeature import AppFlagsProvider  # noqa: PLC0415 - only this test needs it

    one = Flags.from_dict({"a": {"enabled": True}})
    two = Flags.from_dict({"b": {"enabled": True}})
    instrument(one, meter_provider=telemetry.provider)
    with pytest.raises(TypeError, match=r"appflags.Flags \(instrument the Flags it serves\)"):
        instrument(AppFlagsProvider(one), meter_provider=telemetry.provider)  # type: ignore[arg-type] # the mistake under test
    with pytest.raises(TypeError, match="meter_provider must be an opentelemetry MeterProvider"):
        instrument(two, meter_provider=AppFlagsProvider(two))  # type: ignore[arg-type] # the mistake under test
    instrument(two, meter_provider=telemetry.provider)
    one.is_enabled("x")
    two.is_enabled("y")
    points = telemetry.collect()
    assert sorted(a["feature_flag.key"] for a, _ in points["appflags.missing_keys"]) == ["x", "y"]
    assert [v for _, v in points["appflags.state"]] == [0, 1, 0]


def test_one_flags_failing_to_report_leaves_the_others_metrics(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Flags.from_dict({"a": {"enabled": True}})
    fine = Flags.from_dict({"b": {"enabled": True}})
    instrument(broken, meter_provider=telemetry.provider)
    instrument(fine, meter_provider=telemetry.provider)

    def fail() -> None:
        raise RuntimeError("usage unavailable")

    monkeypatch.setattr(broken, "usage", fail)
    fine.is_enabled("y")
    with capture_logs() as logs:
        points = telemetry.collect()
    assert [a["feature_flag.key"] for a, _ in points["appflags.missing_keys"]] == ["y"]
    assert [v for _, v in points["appflags.poll.failures"]] == [0]
    assert [v for _, v in points["appflags.state"]] == [0, 1, 0]  # state needs no usage()
    assert {e["event"] for e in logs} == {"appflags.metrics_failed"}
