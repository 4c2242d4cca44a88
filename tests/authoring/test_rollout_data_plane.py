"""What ``appflags deploy`` deploys, seen from the data plane: served once complete, and
mid-way through a gradual rollout to the share of sessions ``PercentageComplete`` says."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from _deploying import FLAGS, Clock, Shop
from appflags import Flags
from appflags.authoring import AppConfigEnvironment, Document
from appflags.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def document(tmp_path: Path, content: dict[str, Any]) -> Document:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(content))
    return Document.from_file(path)


def banner_on() -> dict[str, Any]:
    content = copy.deepcopy(FLAGS)
    content["values"]["banner"]["enabled"] = True
    return content


def test_what_deploy_deployed_is_what_the_data_plane_serves(shop: Shop) -> None:
    assert shop.deploy(shop.write("flags.json", FLAGS)).code == 0
    with Flags.from_appconfig(
        "shop", "prod", "flags", client=shop.server.client(), wait=5
    ) as flags:
        assert flags.get_str("checkout.color", "none") == "blue"


def test_a_gradual_rollout_observed_mid_way_from_the_data_plane(
    frozen_shop: Shop, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = frozen_shop
    shop.control.create_deployment_strategy(
        Name="halves",
        DeploymentDurationInMinutes=20,
        GrowthFactor=50,
        GrowthType="LINEAR",
        FinalBakeTimeInMinutes=0,
        ReplicateTo="NONE",
    )
    env = AppConfigEnvironment.find(shop.control, "shop", "prod")
    profile = env.profile("flags")
    first = env.apply(env.plan(profile, document(tmp_path, FLAGS)), strategy="instant")
    assert env.wait(first.deployment.number, interval=0.01).state == "COMPLETE"
    second = env.apply(env.plan(profile, document(tmp_path, banner_on())), strategy="halves")
    clock.advance(minutes=10, seconds=1)
    mid_way = env.deployment(second.deployment.number)
    assert (mid_way.state, mid_way.percentage) == ("DEPLOYING", 50.0)

    data = shop.server.client()
    sessions = 200
    new = 0
    for _ in range(sessions):
        token = data.start_configuration_session(
            ApplicationIdentifier="shop",
            EnvironmentIdentifier="prod",
            ConfigurationProfileIdentifier="flags",
        )["InitialConfigurationToken"]
        served = json.loads(
            data.get_latest_configuration(ConfigurationToken=token)["Configuration"].read()
        )
        new += served["banner"]["enabled"] is True
    # Each session falls in a bucket 0-99; those under PercentageComplete get the new version.
    assert 0.35 * sessions <= new <= 0.65 * sessions

    capsys.readouterr()
    assert (
        main(["status", "-a", "shop", "-e", "prod", "--endpoint-url", shop.server.endpoint_url])
        == 0
    )
    assert "DEPLOYING 50%" in capsys.readouterr().out
