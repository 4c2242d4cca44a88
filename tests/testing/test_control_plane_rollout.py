"""Deployments over time: strategies' steps, states and event logs on a time-scaled
clock, read through real boto3 ``appconfig`` clients."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st

from appflags.testing import LocalAppConfig
from appflags.testing._rollout import PREDEFINED, GrowthType, Strategy, bucket, progress, steps

if TYPE_CHECKING:
    from mypy_boto3_appconfig import AppConfigClient

START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
STRATEGIES = {s.id: s for s in PREDEFINED}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("AppConfig.AllAtOnce", [(0.0, 100.0)]),
        ("AppConfig.Linear50PercentEvery30Seconds", [(30.0, 50.0), (60.0, 100.0)]),
        (
            "AppConfig.Linear20PercentEvery6Minutes",
            [(360.0, 20.0), (720.0, 40.0), (1080.0, 60.0), (1440.0, 80.0), (1800.0, 100.0)],
        ),
        (
            "AppConfig.Canary10Percent20Minutes",
            [(240.0, 10.0), (480.0, 20.0), (720.0, 40.0), (960.0, 80.0), (1200.0, 100.0)],
        ),
    ],
)
def test_predefined_strategies_step_as_documented(
    ident: str, expected: list[tuple[float, float]]
) -> None:
    assert steps(STRATEGIES[ident]) == expected


def test_exponential_growth_doubles_the_factor_until_everyone() -> None:
    # AWS's example: a factor of 2 rolls out to 2%, 4%, 8%... until all targets.
    strategy = Strategy("x", "x", 8, 2.0, 0, GrowthType.EXPONENTIAL)
    assert [p for _, p in steps(strategy)] == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0]


def test_linear_growth_that_does_not_divide_100_ends_at_100() -> None:
    strategy = Strategy("x", "x", 4, 30.0, 0)
    assert steps(strategy) == [(60.0, 30.0), (120.0, 60.0), (180.0, 90.0), (240.0, 100.0)]


def test_without_a_bake_a_deployment_completes_when_it_reaches_everyone() -> None:
    strategy = Strategy("x", "x", 2, 50.0, 0)
    assert progress(strategy, 119).state.value == "DEPLOYING"
    done = progress(strategy, 120)
    assert (done.state.value, done.completed_offset) == ("COMPLETE", 120.0)
    assert "BAKE_TIME_STARTED" not in [e.type for e in done.events]


def test_buckets_are_fixed_per_deployment_and_spread_over_0_to_99() -> None:
    found = [bucket(7, "app/env/1", f"session-{n}") for n in range(2000)]
    assert found == [bucket(7, "app/env/1", f"session-{n}") for n in range(2000)]
    assert min(found) == 0
    assert max(found) == 99
    deciles = [sum(1 for b in found if low <= b < low + 10) for low in range(0, 100, 10)]
    assert all(140 < count < 260 for count in deciles), deciles  # about 200 each
    assert found != [bucket(7, "app/env/2", f"session-{n}") for n in range(2000)]
    assert found != [bucket(8, "app/env/1", f"session-{n}") for n in range(2000)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[LocalAppConfig]:
    # A minute of deployment passes in a second of the test's clock.
    with LocalAppConfig(clock=clock, time_scale=60) as running:
        yield running


@pytest.fixture
def ac(server: LocalAppConfig) -> AppConfigClient:
    return server.client("appconfig", config=ONE_ATTEMPT)


def deploy(ac: AppConfigClient, strategy: str) -> tuple[str, str]:
    app = ac.create_application(Name="shop")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod")["Id"]
    profile = ac.create_configuration_profile(
        ApplicationId=app, Name="settings", LocationUri="hosted"
    )["Id"]
    ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps({"limit": 10}).encode(),
        ContentType="application/json",
    )
    ac.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        ConfigurationProfileId=profile,
        ConfigurationVersion="1",
        DeploymentStrategyId=strategy,
    )
    return app, env


def at(ac: AppConfigClient, app: str, env: str) -> Any:
    return ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)


def test_a_time_scaled_linear_rollout_moves_through_its_states(
    ac: AppConfigClient, clock: Clock
) -> None:
    app, env = deploy(ac, "AppConfig.Linear20PercentEvery6Minutes")
    seen = []
    # 30 minutes of deployment and 30 of bake: 60 s of the test's clock at time_scale=60.
    for second in (0, 5.9, 6, 12, 29.9, 30, 59.9, 60, 600):
        clock.now = START + timedelta(seconds=second)
        got = at(ac, app, env)
        seen.append((second, got["State"], got["PercentageComplete"]))
    assert seen == [
        (0, "DEPLOYING", 0.0),
        (5.9, "DEPLOYING", 0.0),
        (6, "DEPLOYING", 20.0),
        (12, "DEPLOYING", 40.0),
        (29.9, "DEPLOYING", 80.0),
        (30, "BAKING", 100.0),
        (59.9, "BAKING", 100.0),
        (60, "COMPLETE", 100.0),
        (600, "COMPLETE", 100.0),
    ]
    done = at(ac, app, env)
    assert done["CompletedAt"] == START + timedelta(seconds=60)
    log = done["EventLog"]  # newest first, as AWS lists it
    assert [e["EventType"] for e in log] == [
        "DEPLOYMENT_COMPLETED",
        "BAKE_TIME_STARTED",
        *["PERCENTAGE_UPDATED"] * 5,
        "DEPLOYMENT_STARTED",
    ]
    assert [e["OccurredAt"] for e in log] == [
        START + timedelta(seconds=s) for s in (60, 30, 30, 24, 18, 12, 6, 0)
    ]
    assert log[2]["Description"] == "Configuration available to 100.00% of clients"


def test_a_time_scaled_canary_grows_exponentially(ac: AppConfigClient, clock: Clock) -> None:
    app, env = deploy(ac, "AppConfig.Canary10Percent20Minutes")
    percentages = []
    for second in range(0, 21, 4):
        clock.now = START + timedelta(seconds=second)
        percentages.append(at(ac, app, env)["PercentageComplete"])
    assert percentages == [0.0, 10.0, 20.0, 40.0, 80.0, 100.0]
    assert at(ac, app, env)["State"] == "BAKING"


def test_all_at_once_bakes_before_it_completes(ac: AppConfigClient, clock: Clock) -> None:
    app, env = deploy(ac, "AppConfig.AllAtOnce")
    assert (at(ac, app, env)["State"], at(ac, app, env)["PercentageComplete"]) == ("BAKING", 100.0)
    clock.advance(10)  # the 10-minute bake at time_scale=60
    assert at(ac, app, env)["State"] == "COMPLETE"


def test_the_control_plane_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        LocalAppConfig(time_scale=0)
    with pytest.raises(TypeError, match="time_scale"):
        LocalAppConfig(time_scale="fast")  # type: ignore[arg-type] # what the test checks
    with pytest.raises(TypeError, match="rollout_seed"):
        LocalAppConfig(rollout_seed="7")  # type: ignore[arg-type] # what the test checks
    with pytest.raises(ValueError, match="max_configuration_size"):
        LocalAppConfig(max_configuration_size=0)


ORDER = ["DEPLOYING", "BAKING", "COMPLETE"]


@given(
    duration=st.integers(0, 1440),
    factor=st.floats(1.0, 100.0),
    bake=st.integers(0, 1440),
    growth=st.sampled_from(GrowthType),
    times=st.lists(st.floats(0, 200_000), min_size=2, max_size=20),
)
def test_any_strategy_only_moves_forward_and_reaches_everyone_when_its_duration_ends(
    duration: int, factor: float, bake: int, growth: GrowthType, times: list[float]
) -> None:
    strategy = Strategy("x", "x", duration, factor, bake, growth)
    seen = [progress(strategy, t) for t in sorted(times)]
    for before, after in itertools.pairwise(seen):
        assert before.percentage <= after.percentage
        assert ORDER.index(before.state.value) <= ORDER.index(after.state.value)
    offsets = [offset for offset, _ in steps(strategy)]
    assert offsets == sorted(offsets)
    assert steps(strategy)[-1] == (duration * 60, 100.0)
    end = progress(strategy, duration * 60 + bake * 60)
    assert (end.state.value, end.percentage, end.completed_offset) == (
        "COMPLETE",
        100.0,
        (duration + bake) * 60,
    )
    if duration:
        assert progress(strategy, 0).percentage < 100.0
