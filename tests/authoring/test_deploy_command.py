"""``appflags deploy`` against a local AppConfig through real boto3: every step and exit."""

from __future__ import annotations

import _thread
import copy
import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3.session
import pytest

from _deploying import FLAGS, SLOW, Clock, ClockOnPolls, Shop
from appflags.authoring import Deployment
from appflags.cli import main
from appflags.cli._deploy import Progress, describe
from appflags.testing import Fault


def changed(**values: Any) -> dict[str, Any]:
    document = copy.deepcopy(FLAGS)
    for key, value in values.items():
        document["values"][key].update(value)
    return document


def wait_until(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("never happened")


def test_deploy_creates_a_version_and_deploys_it(shop: Shop) -> None:
    ran = shop.deploy(shop.write("flags.json", FLAGS))
    assert ran.code == 0, ran.err
    assert "nothing deployed yet" in ran.out
    assert "+ checkout" in ran.out
    assert "+ banner" in ran.out
    assert "Created hosted configuration version 1." in ran.out
    assert "Deployment 1 is COMPLETE." in ran.out
    assert shop.versions() == [1]
    assert shop.deployments()[0]["State"] == "COMPLETE"


def test_redeploying_the_same_content_creates_nothing(shop: Shop) -> None:
    path = shop.write("flags.json", FLAGS)
    assert shop.deploy(path).code == 0
    # Reformatted and keys reordered: the same document.
    shop.write("flags.json", json.dumps(dict(reversed(list(FLAGS.items()))), indent=8))
    ran = shop.deploy(path)
    assert ran.code == 0, ran.err
    assert "No changes: nothing to deploy." in ran.out
    assert shop.versions() == [1]
    assert len(shop.deployments()) == 1


def test_a_change_is_shown_flag_by_flag_then_deployed(shop: Shop) -> None:
    assert shop.deploy(shop.write("flags.json", FLAGS)).code == 0
    ran = shop.deploy(shop.write("flags.json", changed(checkout={"color": "purple"})))
    assert ran.code == 0, ran.err
    assert '~ checkout\n    attribute color: "blue" -> "purple"' in ran.out
    assert "1 flag: 1 changed" in ran.out
    assert shop.versions() == [1, 2]


def test_an_invalid_document_exits_1_with_its_problems_and_creates_nothing(shop: Shop) -> None:
    path = shop.write("flags.json", changed(banner={"enabled": "yes"}))
    ran = shop.deploy(path)
    assert ran.code == 1
    assert f"{path}: invalid appconfig document" in ran.err
    assert "$.values.banner.enabled" in ran.err
    assert shop.versions() == []
    assert shop.deployments() == []


def test_a_key_defined_twice_is_refused_as_validate_refuses_it_and_creates_nothing(
    shop: Shop,
) -> None:
    # `appflags validate` and Flags.from_file refuse this file; deploy and diff read it too.
    text = json.dumps(FLAGS).replace('"flags": {', '"flags": {"banner": {"name": "old"}, ', 1)
    path = shop.write("flags.json", text)
    for ran in (shop.deploy(path), shop.run("diff", str(path), *shop.where())):
        assert ran.code == 1, ran.out
        assert "$.flags.banner: defined more than once" in ran.err, ran.err
    assert shop.versions() == []
    assert shop.deployments() == []


def test_a_document_that_does_not_fit_the_profile_is_refused_before_anything(shop: Shop) -> None:
    powertools = shop.write("features.yaml", "premium:\n  default: false\n")
    ran = shop.deploy(powertools)
    assert ran.code == 1
    assert "a powertools document needs an AWS.Freeform profile" in ran.err
    ran = shop.deploy(shop.write("flags.json", FLAGS), profile="settings")
    assert ran.code == 1
    assert "goes to an AWS.AppConfig.FeatureFlags profile" in ran.err
    assert shop.versions() == []
    assert shop.versions(shop.settings_id) == []


def test_yaml_powertools_goes_to_a_freeform_profile_as_yaml(shop: Shop) -> None:
    path = shop.write("features.yaml", "premium:\n  default: false\n")
    assert shop.deploy(path, profile="settings").code == 0
    stored = shop.control.get_hosted_configuration_version(
        ApplicationId=shop.app_id, ConfigurationProfileId=shop.settings_id, VersionNumber=1
    )
    assert stored["ContentType"] == "application/x-yaml"
    assert stored["Content"].read() == path.read_bytes()


def test_unknown_names_exit_1_naming_which(shop: Shop) -> None:
    path = str(shop.write("flags.json", FLAGS))
    cases = {
        ("--application", "shopp"): "unknown application 'shopp' (there are: shop)",
        ("--environment", "production"): "unknown environment 'production' in application 'shop'",
        ("--profile", "flag"): "unknown configuration profile 'flag' in application 'shop'",
    }
    for (option, value), message in cases.items():
        where = shop.where()
        where[where.index(option) + 1] = value
        ran = shop.run("deploy", path, *where)
        assert ran.code == 1, ran.err
        assert message in ran.err, ran.err
    ran = shop.deploy(shop.tmp_path / "flags.json", "--strategy", "AppConfig.Sideways")
    assert ran.code == 1
    assert "unknown deployment strategy 'AppConfig.Sideways'" in ran.err
    assert shop.versions() == []


def test_an_unknown_strategy_exits_1_even_when_nothing_changed(shop: Shop) -> None:
    # A CI job with a misspelt strategy must fail on its first run, not on the first change.
    path = shop.write("flags.json", FLAGS)
    assert shop.deploy(path).code == 0
    ran = shop.deploy(path, "--strategy", "AppConfig.Canary10Percent20minutes")
    assert ran.code == 1, ran.out
    assert "unknown deployment strategy 'AppConfig.Canary10Percent20minutes'" in ran.err
    assert len(shop.deployments()) == 1


def test_dry_run_says_what_it_would_create_and_creates_nothing(shop: Shop) -> None:
    ran = shop.deploy(shop.write("flags.json", FLAGS), "--dry-run")
    assert ran.code == 0, ran.err
    assert "Dry run: would create a hosted version" in ran.out
    assert "instant (LINEAR 100% over 0 min, bake 0 min)" in ran.out
    assert shop.versions() == []
    assert shop.deployments() == []


def test_deploy_during_a_running_deployment_names_it_and_creates_nothing(shop: Shop) -> None:
    assert shop.deploy(shop.write("v1.json", FLAGS), "--strategy", SLOW, "--no-wait").code == 0
    ran = shop.deploy(shop.write("v2.json", changed(banner={"enabled": True})))
    assert ran.code == 1
    assert "deployment 1 (profile flags, version 1, DEPLOYING" in ran.err
    assert shop.versions() == [1]
    # The same document again joins the running deployment instead.
    joined = shop.deploy(shop.write("v1.json", FLAGS), "--no-wait")
    assert joined.code == 0
    assert "is already deploying this" in joined.out


def test_a_rollout_is_followed_until_every_target_has_it(frozen_shop: Shop, clock: Clock) -> None:
    shop = frozen_shop
    with ClockOnPolls(shop.server, clock, timedelta(minutes=4)):
        ran = shop.deploy(
            shop.write("flags.json", FLAGS), "--strategy", "AppConfig.Canary10Percent20Minutes"
        )
    assert ran.code == 0, ran.err
    lines = [
        line.split(" (")[0] for line in ran.out.splitlines() if line.startswith("deployment 1:")
    ]
    assert lines[0].startswith("deployment 1: DEPLOYING")
    assert lines[-1] == "deployment 1: BAKING 100%"
    # Not a terminal: one plain line per change, the percentage only growing.
    percentages = [float(line.split()[-1].rstrip("%")) for line in lines]
    assert percentages == sorted(set(percentages))
    assert "Deployment 1 reached 100% of targets; it is BAKING" in ran.out


def test_wait_for_running_waits_for_the_running_deployment_then_deploys(
    frozen_shop: Shop, clock: Clock
) -> None:
    shop = frozen_shop
    first = shop.deploy(
        shop.write("v1.json", FLAGS), "--strategy", "AppConfig.AllAtOnce", "--no-wait"
    )
    assert first.code == 0, first.err
    assert shop.deployments()[0]["State"] == "BAKING"
    with ClockOnPolls(shop.server, clock, timedelta(minutes=4)):
        ran = shop.deploy(
            shop.write("v2.json", changed(banner={"enabled": True})),
            "--strategy",
            "AppConfig.AllAtOnce",
            "--wait-for-running",
            "--wait-bake",
        )
    assert ran.code == 0, ran.err
    assert "Waiting for deployment 1" in ran.out
    assert "Deployment 2 is COMPLETE." in ran.out


def test_wait_timeout_exits_5_and_says_the_deployment_continues(shop: Shop) -> None:
    ran = shop.deploy(shop.write("flags.json", FLAGS), "--strategy", SLOW, "--wait-timeout", "0.3")
    assert ran.code == 5
    assert "deployment 1 is still DEPLOYING" in ran.err
    assert "it continues" in ran.err
    assert shop.deployments()[0]["State"] == "DEPLOYING"


def test_a_deployment_rolled_back_while_waiting_exits_3_with_the_reason(shop: Shop) -> None:
    def stop_it() -> None:
        wait_until(shop.deployments)
        shop.control.stop_deployment(
            ApplicationId=shop.app_id, EnvironmentId=shop.env_id, DeploymentNumber=1
        )

    stopper = threading.Thread(target=stop_it)
    stopper.start()
    ran = shop.deploy(shop.write("flags.json", FLAGS), "--strategy", SLOW)
    stopper.join()
    assert ran.code == 3, ran.err
    assert "Deployment 1 ended ROLLED_BACK" in ran.err


def test_ctrl_c_while_waiting_exits_130_and_says_how_to_stop_it(shop: Shop) -> None:
    def interrupt() -> None:
        wait_until(shop.deployments)
        time.sleep(0.2)
        _thread.interrupt_main()

    threading.Thread(target=interrupt).start()
    ran = shop.deploy(shop.write("flags.json", FLAGS), "--strategy", SLOW)
    assert ran.code == 130
    assert "deployment 1 continues" in ran.err
    assert "appflags rollback --application shop --environment prod --deployment 1" in ran.err


def test_ctrl_c_while_waiting_for_the_running_deployment_says_nothing_was_created(
    shop: Shop,
) -> None:
    assert shop.deploy(shop.write("v1.json", FLAGS), "--strategy", SLOW, "--no-wait").code == 0
    asked = shop.server.calls("GetDeployment")

    def interrupt() -> None:
        # The command asks after deployment 1 only once it waits (its plan never does): a
        # fixed sleep could land while a loaded machine still plans (seen in CI).
        wait_until(lambda: shop.server.calls("GetDeployment") > asked)
        _thread.interrupt_main()

    threading.Thread(target=interrupt).start()
    ran = shop.deploy(
        shop.write("v2.json", changed(banner={"enabled": True})), "--wait-for-running"
    )
    assert ran.code == 130
    assert "Waiting for deployment 1" in ran.out
    assert "Stopped waiting for deployment 1; nothing was created." in ran.err
    assert shop.versions() == [1]


def test_redeploying_rolled_back_content_needs_force(shop: Shop) -> None:
    assert shop.deploy(shop.write("v1.json", FLAGS)).code == 0
    bad = shop.write("v2.json", changed(banner={"enabled": True}))
    assert shop.deploy(bad, "--strategy", SLOW, "--no-wait").code == 0
    assert shop.run("rollback", *shop.where(None), "--poll-interval", "0.05").code == 0
    ran = shop.deploy(bad)
    assert ran.code == 1
    assert "rolled back by deployment 2 (version 2)" in ran.err
    assert shop.versions() == [1, 2]
    forced = shop.deploy(bad, "--force")
    assert forced.code == 0, forced.err
    assert shop.versions() == [1, 2, 3]


def test_deploy_version_deploys_an_existing_version(shop: Shop) -> None:
    assert shop.deploy(shop.write("v1.json", FLAGS)).code == 0
    assert shop.deploy(shop.write("v2.json", changed(banner={"enabled": True}))).code == 0
    ran = shop.run(
        "deploy",
        "--version",
        "1",
        *shop.where(),
        "--strategy",
        "instant",
        "--poll-interval",
        "0.05",
    )
    assert ran.code == 0, ran.err
    assert "version 1 ->" in ran.out
    assert "Started deployment 3 of version 1" in ran.out
    assert shop.versions() == [1, 2]


def test_a_failure_after_creating_the_version_names_it_and_the_command(shop: Shop) -> None:
    # LocalAppConfig runs no extensions: StartDeployment refuses extension parameters.
    ran = shop.deploy(shop.write("flags.json", FLAGS), "--extension-param", "ext#param=1")
    assert ran.code == 1
    assert "hosted configuration version 1 was created but not deployed" in ran.err
    assert (
        "appflags deploy --version 1 --application shop --environment prod --profile flags"
        in ran.err
    )


def test_a_version_a_validator_refuses_is_named_with_each_problem_once(shop: Shop) -> None:
    schema = {"type": "object", "properties": {"color": {"type": "string"}}}
    shop.control.create_configuration_profile(
        ApplicationId=shop.app_id,
        Name="checked",
        LocationUri="hosted",
        Validators=[{"Type": "JSON_SCHEMA", "Content": json.dumps(schema)}],
    )
    ran = shop.deploy(shop.write("settings.json", {"color": 5}), profile="checked")
    assert ran.code == 1
    assert "hosted configuration version 1 was created but not deployed" in ran.err
    assert ran.err.count("$.color: expected string, got number") == 1, ran.err


def test_usage_errors_exit_2(shop: Shop) -> None:
    path = str(shop.write("flags.json", FLAGS))
    assert shop.run("deploy", *shop.where()).code == 2  # neither FILE nor --version
    assert shop.run("deploy", path, *shop.where(), "--label", "1234").code == 2
    assert shop.run("deploy", path, *shop.where(), "--description", "déploiement").code == 2
    assert shop.run("deploy", path, *shop.where(), "--tag", "no-equals").code == 2
    assert shop.run("deploy", "--version", "1", *shop.where(), "--label", "v2").code == 2
    assert shop.versions() == []


def test_tags_and_extension_parameters_appconfig_refuses_are_usage_errors_before_a_version(
    shop: Shop,
) -> None:
    # Botocore refuses these in StartDeployment: the version was created and left undeployed.
    path = shop.write("flags.json", FLAGS)
    for option, item, message in (
        ("--tag", "k" * 129 + "=v", "--tag: a key is 1-128 characters"),
        ("--tag", "team=" + "v" * 257, "--tag: a value has 0-256 characters, team's has 257"),
        ("--extension-param", "param=1", "--extension-param: a key is ALIAS#NAME, got 'param'"),
        ("--extension-param", "ext#param=", "--extension-param: a value has 1-2048 characters"),
    ):
        ran = shop.deploy(path, option, item)
        assert ran.code == 2, (item, ran.out, ran.err)
        assert message in ran.err, ran.err
    tags = [f"--tag=t{n}=v" for n in range(51)]
    ran = shop.deploy(path, *tags)
    assert ran.code == 2
    assert "--tag: at most 50, got 51" in ran.err
    assert shop.versions() == []


def test_label_description_and_tags_reach_appconfig(shop: Shop) -> None:
    ran = shop.deploy(
        shop.write("flags.json", FLAGS),
        "--label",
        "v1.0",
        "--description",
        "first",
        "--tag",
        "team=web",
    )
    assert ran.code == 0, ran.err
    version = shop.control.get_hosted_configuration_version(
        ApplicationId=shop.app_id, ConfigurationProfileId=shop.flags_id, VersionNumber=1
    )
    assert version["VersionLabel"] == "v1.0"
    assert version["Description"] == "first"
    assert shop.deployments()[0]["VersionLabel"] == "v1.0"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_rewritten_line_on_a_terminal_and_a_line_per_change_elsewhere() -> None:
    started = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    deploying = Deployment(
        number=7,
        state="DEPLOYING",
        percentage=10.0,
        version="3",
        duration_minutes=20,
        started_at=started,
    )
    assert describe(deploying, started + timedelta(minutes=5)) == (
        "deployment 7: DEPLOYING 10% (about 15 min left)"
    )
    baking = Deployment(number=7, state="BAKING", percentage=100.0, version="3")
    terminal = Terminal()
    progress = Progress(terminal)
    for deployment in (deploying, deploying, baking):
        progress(deployment)
    progress.close()
    assert terminal.getvalue().count("\r") == 3
    assert terminal.getvalue().endswith("\n")
    plain = io.StringIO()
    progress = Progress(plain)
    for deployment in (deploying, deploying, baking):
        progress(deployment)
    progress.close()
    lines = plain.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "deployment 7: DEPLOYING 10%",
        "deployment 7: BAKING 100%",
    ]


def test_deploy_version_checks_the_stored_version_as_a_document(shop: Shop) -> None:
    shop.control.create_hosted_configuration_version(
        ApplicationId=shop.app_id,
        ConfigurationProfileId=shop.settings_id,
        Content=b'{"limits": ',
        ContentType="application/json",
    )
    ran = shop.run("deploy", "--version", "1", *shop.where("settings"), "--strategy", "instant")
    assert ran.code == 1
    assert "version 1: invalid" in ran.err
    assert "not valid JSON" in ran.err
    assert shop.deployments() == []


def test_against_appflags_serve_a_file_owned_profile_refuses_and_others_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = tmp_path / "served.json"
    served.write_text(json.dumps(FLAGS))
    serve = subprocess.Popen(
        [sys.executable, "-m", "appflags", "serve", str(served), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its first line, now
    )
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().rsplit(" at ", 1)[1].strip()
        where = ["-a", "local", "-e", "local", "--endpoint-url", url]
        other = tmp_path / "other.json"
        other.write_text(json.dumps(changed(banner={"enabled": True})))
        assert main(["deploy", str(other), *where, "-p", "served"]) == 1  # the file's stem
        assert f"{served}: edit that file to deploy it" in capsys.readouterr().err
        # A profile created through the control plane deploys.
        control = boto3.session.Session().client("appconfig", endpoint_url=url)
        apps = control.list_applications()["Items"]
        control.create_configuration_profile(
            ApplicationId=apps[0]["Id"],
            Name="more",
            LocationUri="hosted",
            Type="AWS.AppConfig.FeatureFlags",
        )
        code = main(["deploy", str(other), *where, "-p", "more", "--poll-interval", "0.05"])
        assert code == 0, capsys.readouterr().err
    finally:
        serve.terminate()
        serve.wait(timeout=10)


def test_ctrl_c_after_the_version_was_created_names_it(shop: Shop) -> None:
    shop.server.slow_seconds = 2.0
    shop.server.inject(Fault.SLOW, call="StartDeployment")

    def interrupt() -> None:
        wait_until(shop.versions)
        time.sleep(0.3)  # StartDeployment is on its way, and slow
        _thread.interrupt_main()

    threading.Thread(target=interrupt).start()
    ran = shop.deploy(shop.write("flags.json", FLAGS))
    assert ran.code == 130
    assert "hosted configuration version 1 was created but not deployed: interrupted" in ran.err
    assert "appflags deploy --version 1" in ran.err
