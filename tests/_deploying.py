"""Fixtures and helpers for the deploy tests (a pytest plugin: tests/conftest.py): a local
AppConfig with an application ``shop``, environment ``prod`` and two hosted profiles,
driven through real boto3 ``appconfig`` clients and the ``appflags`` command."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from appflags.cli import main
from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mypy_boto3_appconfig import AppConfigClient

TIME_SCALE = 600
"""Ten minutes of a deployment pass per second."""
INSTANT = "instant"
"""A custom strategy: every target at once, no bake (COMPLETE as soon as it starts)."""
SLOW = "slow"
"""A custom strategy that stays DEPLOYING for minutes, even at TIME_SCALE."""

FLAGS: dict[str, Any] = {
    "version": "1",
    "flags": {
        "checkout": {
            "name": "checkout",
            "attributes": {"color": {"constraints": {"type": "string"}}},
        },
        "banner": {"name": "banner"},
    },
    "values": {"checkout": {"enabled": True, "color": "blue"}, "banner": {"enabled": False}},
}


@dataclass
class Ran:
    """One ``appflags`` run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


class Clock:
    """A clock tests move by hand: deployments advance only when it does."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ClockOnPolls:
    """Moves ``clock`` by ``step`` after each ``GetDeployment`` the server answers (from a
    thread, while in a ``with``): a waiting command sees each step of a rollout in turn,
    however fast or slow the machine."""

    def __init__(self, server: LocalAppConfig, clock: Clock, step: timedelta) -> None:
        self.server = server
        self.clock = clock
        self.step = step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clock-on-polls")

    def __enter__(self) -> ClockOnPolls:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        seen = self.server.calls("GetDeployment")
        while not self._stop.wait(0.005):
            calls = self.server.calls("GetDeployment")
            if calls > seen:
                seen = calls
                self.clock.now += self.step


@dataclass
class Shop:
    """The ``shop`` application's ``prod`` environment on a local server."""

    server: LocalAppConfig
    control: AppConfigClient
    app_id: str
    env_id: str
    flags_id: str
    settings_id: str
    tmp_path: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str, endpoint_url: str | None = None) -> Ran:
        """``appflags ARGS...`` against the local server (or ``endpoint_url``)."""
        self.capsys.readouterr()
        code = main([*args, "--endpoint-url", endpoint_url or self.server.endpoint_url])
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)

    def deploy(self, path: Path, *args: str, profile: str = "flags") -> Ran:
        """``appflags deploy PATH`` to ``shop``/``prod``/``profile`` (instant unless said)."""
        options = list(args)
        if "--strategy" not in options:
            options += ["--strategy", INSTANT]
        return self.run(
            "deploy", str(path), *self.where(profile), "--poll-interval", "0.05", *options
        )

    def where(self, profile: str | None = "flags") -> list[str]:
        """The location options."""
        found = ["--application", "shop", "--environment", "prod"]
        return [*found, "--profile", profile] if profile else found

    def write(self, name: str, document: Any) -> Path:
        """A document in a file (JSON, or YAML text given as a string)."""
        path = self.tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
        return path

    def versions(self, profile_id: str | None = None) -> list[int]:
        """The profile's hosted version numbers."""
        items = self.control.list_hosted_configuration_versions(
            ApplicationId=self.app_id, ConfigurationProfileId=profile_id or self.flags_id
        )["Items"]
        return sorted(item["VersionNumber"] for item in items)

    def deployments(self) -> list[dict[str, Any]]:
        """The environment's deployments, newest first."""
        found = self.control.list_deployments(ApplicationId=self.app_id, EnvironmentId=self.env_id)
        return [dict(item) for item in found["Items"]]


def make_shop(server: LocalAppConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Shop:
    """Create the application, environment, profiles and custom strategies."""
    control = server.client("appconfig")
    app = control.create_application(Name="shop")["Id"]
    env = control.create_environment(ApplicationId=app, Name="prod")["Id"]
    flags = control.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    settings = control.create_configuration_profile(
        ApplicationId=app, Name="settings", LocationUri="hosted", Type="AWS.Freeform"
    )["Id"]
    for name, minutes, growth, bake in ((INSTANT, 0, 100.0, 0), (SLOW, 1440, 10.0, 0)):
        control.create_deployment_strategy(
            Name=name,
            DeploymentDurationInMinutes=minutes,
            GrowthFactor=growth,
            GrowthType="LINEAR",
            FinalBakeTimeInMinutes=bake,
            ReplicateTo="NONE",
        )
    return Shop(server, control, app, env, flags, settings, tmp_path, capsys)


@pytest.fixture
def shop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Shop]:
    """``shop``/``prod`` with profiles ``flags`` (feature flags) and ``settings`` (freeform)."""
    with LocalAppConfig(time_scale=TIME_SCALE, rollout_seed=7, poll_interval=1) as server:
        yield make_shop(server, tmp_path, capsys)


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock."""
    return Clock()


@pytest.fixture
def frozen_shop(clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Shop]:
    """``shop`` on a server whose deployments advance only with ``clock``."""
    with LocalAppConfig(clock=clock, rollout_seed=7, poll_interval=1) as server:
        yield make_shop(server, tmp_path, capsys)
