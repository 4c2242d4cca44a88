"""What the data plane serves while the control plane deploys: a gradual rollout seen
mid-way by real boto3 sessions and through the Agent route, stops, reverts, and the
``put`` shortcut."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfigdata import AppConfigDataClient

START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SEED = 20260301
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
BLUE = {"color": "blue"}
GREEN = {"color": "green"}


def expected_bucket(deployment: str, target: str) -> int:
    """docs/local-appconfig.md's bucketing, written out again here."""
    digest = hashlib.sha256(f"{SEED}\0{deployment}\0{target}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Rollout:
    """One application, environment and freeform profile, deployed through boto3."""

    def __init__(self, server: LocalAppConfig, clock: Clock) -> None:
        self.server = server
        self.clock = clock
        self.ac: AppConfigClient = server.client("appconfig", config=ONE_ATTEMPT)
        self.data: AppConfigDataClient = server.client(config=ONE_ATTEMPT)
        self.app = self.ac.create_application(Name="shop")["Id"]
        self.env = self.ac.create_environment(ApplicationId=self.app, Name="prod")["Id"]
        self.profile = self.ac.create_configuration_profile(
            ApplicationId=self.app, Name="settings", LocationUri="hosted"
        )["Id"]
        self.sessions = 0

    def deploy(self, doc: dict[str, Any], strategy: str) -> int:
        version = self.ac.create_hosted_configuration_version(
            ApplicationId=self.app,
            ConfigurationProfileId=self.profile,
            Content=json.dumps(doc).encode(),
            ContentType="application/json",
        )["VersionNumber"]
        return self.ac.start_deployment(
            ApplicationId=self.app,
            EnvironmentId=self.env,
            ConfigurationProfileId=self.profile,
            ConfigurationVersion=str(version),
            DeploymentStrategyId=strategy,
        )["DeploymentNumber"]

    def deployment(self, number: int) -> Any:
        return self.ac.get_deployment(
            ApplicationId=self.app, EnvironmentId=self.env, DeploymentNumber=number
        )

    def open(self) -> Session:
        token = self.data.start_configuration_session(
            ApplicationIdentifier="shop",
            EnvironmentIdentifier="prod",
            ConfigurationProfileIdentifier="settings",
        )["InitialConfigurationToken"]
        self.sessions += 1
        return Session(self, token, f"session-{self.sessions}")


class Session:
    """One data-plane session, and what it holds."""

    def __init__(self, rollout: Rollout, token: str, target: str) -> None:
        self.rollout = rollout
        self.token = token
        self.target = target
        self.holds: dict[str, Any] | None = None

    def poll(self) -> dict[str, Any] | None:
        response = self.rollout.data.get_latest_configuration(ConfigurationToken=self.token)
        self.token = response["NextPollConfigurationToken"]
        body = response["Configuration"].read()
        if body:
            self.holds = json.loads(body)
        return self.holds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[LocalAppConfig]:
    with LocalAppConfig(clock=clock, time_scale=60, rollout_seed=SEED, poll_interval=0) as running:
        yield running


@pytest.fixture
def rollout(server: LocalAppConfig, clock: Clock) -> Rollout:
    made = Rollout(server, clock)
    made.deploy(BLUE, "AppConfig.AllAtOnce")
    clock.advance(10)  # the 10-minute bake, at time_scale=60
    return made


def key(rollout: Rollout, number: int) -> str:
    return f"{rollout.app}/{rollout.env}/{number}"


def test_a_gradual_rollout_is_seen_midway_by_sessions_as_its_percentage_says(
    rollout: Rollout, clock: Clock
) -> None:
    sessions = [rollout.open() for _ in range(200)]
    assert all(s.poll() == BLUE for s in sessions)
    number = rollout.deploy(GREEN, "AppConfig.Linear20PercentEvery6Minutes")

    clock.advance(12)  # 12 minutes of a 30-minute, 20%-every-6-minutes rollout
    assert rollout.deployment(number)["PercentageComplete"] == 40.0
    green = {s.target for s in sessions if s.poll() == GREEN}
    expected = {s.target for s in sessions if expected_bucket(key(rollout, number), s.target) < 40}
    assert green == expected
    assert 40 < len(green) < 120  # about 40% of 200: some sessions new, some old

    # A target keeps its bucket: more of them switch as the percentage grows, none back.
    clock.advance(6)
    assert rollout.deployment(number)["PercentageComplete"] == 60.0
    greener = {s.target for s in sessions if s.poll() == GREEN}
    assert green < greener
    assert greener == {
        s.target for s in sessions if expected_bucket(key(rollout, number), s.target) < 60
    }

    # A session opened mid-way is bucketed the same way on its first poll.
    late = rollout.open()
    in_rollout = expected_bucket(key(rollout, number), late.target) < 60
    assert late.poll() == (GREEN if in_rollout else BLUE)

    clock.advance(12)  # the end of the deployment: everyone, bake or not
    assert rollout.deployment(number)["State"] == "BAKING"
    assert all(s.poll() == GREEN for s in sessions)


def test_a_stop_sends_every_session_back_at_its_next_poll(rollout: Rollout, clock: Clock) -> None:
    sessions = [rollout.open() for _ in range(50)]
    for s in sessions:
        s.poll()
    number = rollout.deploy(GREEN, "AppConfig.Linear50PercentEvery30Seconds")
    clock.advance(0.5)  # 30 s at time_scale=60: half of the targets
    assert {json.dumps(s.poll()) for s in sessions} == {json.dumps(BLUE), json.dumps(GREEN)}
    rollout.ac.stop_deployment(
        ApplicationId=rollout.app, EnvironmentId=rollout.env, DeploymentNumber=number
    )
    assert all(s.poll() == BLUE for s in sessions)
    assert rollout.open().poll() == BLUE


def test_a_revert_serves_the_previous_version_again(rollout: Rollout, clock: Clock) -> None:
    session = rollout.open()
    assert session.poll() == BLUE
    number = rollout.deploy(GREEN, "AppConfig.AllAtOnce")
    assert session.poll() == GREEN
    clock.advance(10)
    assert rollout.deployment(number)["State"] == "COMPLETE"
    rollout.ac.stop_deployment(
        ApplicationId=rollout.app,
        EnvironmentId=rollout.env,
        DeploymentNumber=number,
        AllowRevert=True,
    )
    assert session.poll() == BLUE


def agent_get(server: LocalAppConfig, entity: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local server
        f"{server.endpoint_url}/applications/shop/environments/prod/configurations/settings",
        headers={} if entity is None else {"Entity-Id": entity},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def test_entities_through_the_agent_route_keep_their_version_for_the_deployment(
    server: LocalAppConfig, rollout: Rollout, clock: Clock
) -> None:
    number = rollout.deploy(GREEN, "AppConfig.Linear20PercentEvery6Minutes")
    clock.advance(6)  # 20%
    entities = [f"user-{n}" for n in range(100)]
    first = {e: agent_get(server, e) for e in entities}
    assert {e for e, doc in first.items() if doc == GREEN} == {
        e for e in entities if expected_bucket(key(rollout, number), f"entity-{e}") < 20
    }
    assert {e: agent_get(server, e) for e in entities} == first  # same answer every time


def test_put_is_an_immediate_deployment_the_control_plane_sees(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "flags", {"version": "1", "flags": {}, "values": {}})
    ac = server.client("appconfig", config=ONE_ATTEMPT)
    app = ac.list_applications()["Items"][0]
    env = ac.list_environments(ApplicationId=app["Id"])["Items"][0]
    profile = ac.list_configuration_profiles(ApplicationId=app["Id"])["Items"][0]
    assert (app["Name"], env["Name"], profile["Name"], profile["Type"]) == (
        "shop",
        "prod",
        "flags",
        "AWS.AppConfig.FeatureFlags",
    )
    deployment = ac.list_deployments(ApplicationId=app["Id"], EnvironmentId=env["Id"])["Items"][0]
    assert (deployment["State"], deployment["ConfigurationVersion"]) == ("COMPLETE", "1")
    assert server.put("shop", "prod", "flags", {"version": "1", "flags": {}, "values": {}}) == 2


def test_a_watched_file_owns_its_profile(server: LocalAppConfig, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(BLUE))
    server.watch_file("shop", "prod", "settings", path)
    ac = server.client("appconfig", config=ONE_ATTEMPT)
    app = ac.list_applications()["Items"][0]["Id"]
    profile = ac.list_configuration_profiles(ApplicationId=app)["Items"][0]["Id"]
    env = ac.list_environments(ApplicationId=app)["Items"][0]["Id"]
    with pytest.raises(ClientError) as error:
        ac.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=json.dumps(GREEN).encode(),
            ContentType="application/json",
        )
    assert str(path) in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        ac.start_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            ConfigurationProfileId=profile,
            ConfigurationVersion="1",
            DeploymentStrategyId="AppConfig.AllAtOnce",
        )
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    # Nor is the file's deployment stopped or reverted (its only one would revert to
    # nothing: sessions would be served empty content).
    number = ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"][0]
    with pytest.raises(ClientError) as error:
        ac.stop_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            DeploymentNumber=number["DeploymentNumber"],
            AllowRevert=True,
        )
    assert str(path) in error.value.response["Error"]["Message"]
    after = ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"][0]
    assert after["State"] == "COMPLETE"
    # A put takes the profile back from the file.
    server.put("shop", "prod", "settings", GREEN)
    assert (
        ac.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=json.dumps(BLUE).encode(),
            ContentType="application/json",
        )["VersionNumber"]
        == 3
    )


def test_a_first_deployment_reaches_sessions_as_it_rolls_out(
    server: LocalAppConfig, clock: Clock
) -> None:
    fresh = Rollout(server, clock)
    with pytest.raises(ClientError) as error:
        fresh.open()  # nothing deployed yet
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    number = fresh.deploy(GREEN, "AppConfig.Linear50PercentEvery30Seconds")
    clock.advance(0.5)  # 50%
    sessions = [fresh.open() for _ in range(40)]
    for s in sessions:
        s.poll()
    inside = {s.target for s in sessions if expected_bucket(key(fresh, number), s.target) < 50}
    assert {s.target for s in sessions if s.holds == GREEN} == inside
    # Outside the rollout, nothing yet: an empty answer, as for "no change".
    assert all(s.holds is None for s in sessions if s.target not in inside)
    clock.advance(0.5)
    assert all(s.poll() == GREEN for s in sessions)


def test_put_is_refused_while_a_deployment_runs_in_the_environment(
    server: LocalAppConfig, rollout: Rollout
) -> None:
    rollout.deploy(GREEN, "AppConfig.Linear20PercentEvery6Minutes")
    with pytest.raises(ValueError, match="in progress"):
        server.put("shop", "prod", "other", BLUE)


def test_delete_removes_the_profile_from_the_control_plane(
    server: LocalAppConfig, rollout: Rollout
) -> None:
    server.delete("shop", "prod", "settings")
    assert rollout.ac.list_configuration_profiles(ApplicationId=rollout.app)["Items"] == []
    assert (
        rollout.ac.list_deployments(ApplicationId=rollout.app, EnvironmentId=rollout.env)["Items"]
        == []
    )
    with pytest.raises(ClientError):
        rollout.open()
