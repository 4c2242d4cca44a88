"""The Python API over the control plane: plan, apply, wait, stop, the locks, and a
gradual rollout observed mid-way from the data plane."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import pytest

from _deploying import FLAGS, SLOW, Shop
from appflags.authoring import (
    AppConfigEnvironment,
    ConflictError,
    Document,
    NotDeployedError,
    NotFoundError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from pathlib import Path


def document(tmp_path: Path, content: dict[str, Any], name: str = "flags.json") -> Document:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return Document.from_file(path)


def banner_on() -> dict[str, Any]:
    content = copy.deepcopy(FLAGS)
    content["values"]["banner"]["enabled"] = True
    return content


@pytest.fixture
def env(shop: Shop) -> AppConfigEnvironment:
    return AppConfigEnvironment.find(shop.control, "shop", "prod")


def test_plan_apply_wait(shop: Shop, env: AppConfigEnvironment, tmp_path: Path) -> None:
    profile = env.profile("flags")
    plan = env.plan(profile, document(tmp_path, FLAGS))
    assert plan.changed
    assert plan.deployed is None
    assert plan.diff.added == ("checkout", "banner")
    started = env.apply(plan, strategy="instant")
    assert started.created
    assert started.version == 1
    final = env.wait(started.deployment.number, interval=0.05)
    assert final.state == "COMPLETE"
    again = env.plan(profile, document(tmp_path, FLAGS))
    assert not again.changed
    assert not again.diff
    assert again.deployed is not None
    assert again.deployed.version.number == 1


def test_names_and_ids_both_resolve(shop: Shop) -> None:
    by_id = AppConfigEnvironment.find(shop.control, shop.app_id, shop.env_id)
    assert by_id.environment.name == "prod"
    assert by_id.profile(shop.flags_id).name == "flags"
    with pytest.raises(NotFoundError) as found:
        by_id.profile("nope")
    assert found.value.kind == "configuration profile"


def test_the_version_lock_refuses_a_version_created_meanwhile(
    shop: Shop, env: AppConfigEnvironment, tmp_path: Path
) -> None:
    profile = env.profile("flags")
    env.wait(
        env.apply(
            env.plan(profile, document(tmp_path, FLAGS)), strategy="instant"
        ).deployment.number,
        interval=0.05,
    )
    plan = env.plan(profile, document(tmp_path, banner_on()))
    assert plan.latest_version == 1
    # Another pipeline creates a version between this plan and its apply.
    shop.control.create_hosted_configuration_version(
        ApplicationId=shop.app_id,
        ConfigurationProfileId=shop.flags_id,
        Content=json.dumps(FLAGS).encode(),
        ContentType="application/json",
        LatestVersionNumber=1,
    )
    with pytest.raises(ConflictError):
        env.apply(plan, strategy="instant")
    assert shop.versions() == [1, 2]
    assert len(shop.deployments()) == 1


def test_the_deployment_lock_refuses_a_deployment_started_meanwhile(
    shop: Shop, env: AppConfigEnvironment, tmp_path: Path
) -> None:
    profile = env.profile("flags")
    env.wait(
        env.apply(
            env.plan(profile, document(tmp_path, FLAGS)), strategy="instant"
        ).deployment.number,
        interval=0.05,
    )
    plan = env.plan(profile, document(tmp_path, banner_on()))
    # Another pipeline deploys another profile between this plan and its apply.
    other = env.apply(
        env.plan(env.profile("settings"), document(tmp_path, {"limit": 1}, "s.json")),
        strategy="instant",
    )
    env.wait(other.deployment.number, interval=0.05)
    with pytest.raises(NotDeployedError) as raised:
        env.apply(plan, strategy="instant")
    assert raised.value.version == 2
    assert isinstance(raised.value.__cause__, ConflictError)
    assert len(shop.deployments()) == 2


def test_wait_timeout_leaves_the_deployment_running(
    shop: Shop, env: AppConfigEnvironment, tmp_path: Path
) -> None:
    started = env.apply(env.plan(env.profile("flags"), document(tmp_path, FLAGS)), strategy=SLOW)
    with pytest.raises(WaitTimeoutError) as timed_out:
        env.wait(started.deployment.number, timeout=0.2, interval=0.05)
    assert timed_out.value.deployment.state == "DEPLOYING"
    assert env.running() is not None
