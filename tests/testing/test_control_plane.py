"""LocalAppConfig's control plane through real boto3 ``appconfig`` clients: every
resource, the conflicts and the refusals AWS documents."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from appflags.testing import Fault, LocalAppConfig

if TYPE_CHECKING:
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfig.type_defs import MonitorTypeDef, ValidatorTypeDef

ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
FLAGS_DOC = {
    "version": "1",
    "flags": {"beta": {"name": "beta"}},
    "values": {"beta": {"enabled": True}},
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[LocalAppConfig]:
    with LocalAppConfig(clock=clock, max_configuration_size=4096) as running:
        yield running


@pytest.fixture
def ac(server: LocalAppConfig) -> AppConfigClient:
    return server.client("appconfig", config=ONE_ATTEMPT)


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def app_env(ac: AppConfigClient) -> tuple[str, str]:
    app = ac.create_application(Name="shop")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod")["Id"]
    return app, env


def flags_profile(ac: AppConfigClient, app: str, name: str = "flags") -> str:
    return ac.create_configuration_profile(
        ApplicationId=app, Name=name, LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]


def put_version(ac: AppConfigClient, app: str, profile: str, doc: Any = None, **extra: Any) -> int:
    return ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps(FLAGS_DOC if doc is None else doc).encode(),
        ContentType="application/json",
        **extra,
    )["VersionNumber"]


def start(ac: AppConfigClient, app: str, env: str, profile: str, version: int, **extra: Any) -> Any:
    return ac.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        ConfigurationProfileId=profile,
        ConfigurationVersion=str(version),
        DeploymentStrategyId=extra.pop("strategy", "AppConfig.AllAtOnce"),
        **extra,
    )


def test_applications_are_created_read_listed_updated_and_deleted(ac: AppConfigClient) -> None:
    created = ac.create_application(Name="shop", Description="the shop")
    app = created["Id"]
    assert created["Name"] == "shop"
    assert len(app) == 7
    assert app.isalnum()
    assert app.islower() or app.isdigit()
    assert ac.get_application(ApplicationId=app)["Description"] == "the shop"
    ac.create_application(Name="blog")
    names = [a["Name"] for a in ac.list_applications()["Items"]]
    assert names == ["shop", "blog"]
    assert ac.update_application(ApplicationId=app, Name="store")["Name"] == "store"
    ac.delete_application(ApplicationId=app)
    with pytest.raises(ClientError) as error:
        ac.get_application(ApplicationId=app)
    assert code(error) == "ResourceNotFoundException"


def test_lists_page_with_max_results_and_next_token(ac: AppConfigClient) -> None:
    for n in range(5):
        ac.create_application(Name=f"app{n}")
    first = ac.list_applications(MaxResults=2)
    second = ac.list_applications(MaxResults=2, NextToken=first["NextToken"])
    paged = [
        a["Name"]
        for page in ac.get_paginator("list_applications").paginate(PaginationConfig={"PageSize": 2})
        for a in page["Items"]
    ]
    assert [a["Name"] for a in first["Items"] + second["Items"]] == ["app0", "app1", "app2", "app3"]
    assert paged == [f"app{n}" for n in range(5)]


def test_paths_take_ids_not_names(ac: AppConfigClient) -> None:
    ac.create_application(Name="shop")
    with pytest.raises(ClientError) as error:
        ac.get_application(ApplicationId="shop")
    assert code(error) == "ResourceNotFoundException"


def test_an_application_with_environments_is_not_deleted(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    with pytest.raises(ClientError) as error:
        ac.delete_application(ApplicationId=app)
    assert code(error) == "BadRequestException"
    ac.delete_environment(ApplicationId=app, EnvironmentId=env)
    ac.delete_application(ApplicationId=app)


def test_environments_belong_to_their_application(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    got = ac.get_environment(ApplicationId=app, EnvironmentId=env)
    assert (got["Name"], got["State"], got["ApplicationId"]) == (
        "prod",
        "READY_FOR_DEPLOYMENT",
        app,
    )
    ac.create_environment(ApplicationId=app, Name="beta")
    names = [e["Name"] for e in ac.list_environments(ApplicationId=app)["Items"]]
    assert names == ["prod", "beta"]
    updated = ac.update_environment(ApplicationId=app, EnvironmentId=env, Description="live")
    assert updated["Description"] == "live"
    other = ac.create_application(Name="blog")["Id"]
    with pytest.raises(ClientError) as error:
        ac.get_environment(ApplicationId=other, EnvironmentId=env)
    assert code(error) == "ResourceNotFoundException"


def test_profiles_are_hosted_feature_flags_or_freeform(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    flags = flags_profile(ac, app)
    free = ac.create_configuration_profile(ApplicationId=app, Name="settings", LocationUri="hosted")
    assert free["Type"] == "AWS.Freeform"  # AWS's default type
    assert ac.get_configuration_profile(ApplicationId=app, ConfigurationProfileId=flags)[
        "Type"
    ] == ("AWS.AppConfig.FeatureFlags")
    only_flags = ac.list_configuration_profiles(
        ApplicationId=app, Type="AWS.AppConfig.FeatureFlags"
    )
    assert [p["Id"] for p in only_flags["Items"]] == [flags]
    assert len(ac.list_configuration_profiles(ApplicationId=app)["Items"]) == 2
    renamed = ac.update_configuration_profile(
        ApplicationId=app, ConfigurationProfileId=flags, Name="features"
    )
    assert renamed["Name"] == "features"
    ac.delete_configuration_profile(ApplicationId=app, ConfigurationProfileId=free["Id"])
    assert len(ac.list_configuration_profiles(ApplicationId=app)["Items"]) == 1


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"LocationUri": "s3://bucket/key"}, "hosted"),
        ({"Type": "AWS.Other"}, "Type"),
        ({"Validators": [{"Type": "LAMBDA", "Content": "arn:aws:lambda:x"}]}, "LAMBDA"),
        ({"Validators": [{"Type": "JSON_SCHEMA", "Content": "{not json"}]}, "JSON Schema"),
        ({"Validators": [{"Type": "JSON_SCHEMA", "Content": '{"type": 5}'}]}, "JSON Schema"),
    ],
)
def test_profiles_the_local_server_cannot_serve_are_refused(
    ac: AppConfigClient, extra: dict[str, Any], words: str
) -> None:
    app, _ = app_env(ac)
    with pytest.raises(ClientError) as error:
        ac.create_configuration_profile(
            **{"ApplicationId": app, "Name": "p", "LocationUri": "hosted", **extra}
        )
    assert code(error) == "BadRequestException"
    assert words in message(error)


def test_hosted_versions_are_created_read_listed_and_deleted(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    created = ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps(FLAGS_DOC).encode(),
        ContentType="application/json",
        Description="first",
        VersionLabel="v1.0",
    )
    assert (created["VersionNumber"], created["VersionLabel"], created["Description"]) == (
        1,
        "v1.0",
        "first",
    )
    put_version(ac, app, profile, VersionLabel="v2.0", LatestVersionNumber=1)
    got = ac.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
    )
    assert json.loads(got["Content"].read()) == FLAGS_DOC
    assert (got["ContentType"], got["VersionLabel"]) == ("application/json", "v1.0")
    listed = ac.list_hosted_configuration_versions(
        ApplicationId=app, ConfigurationProfileId=profile
    )
    assert [v["VersionNumber"] for v in listed["Items"]] == [2, 1]  # newest first
    only = ac.list_hosted_configuration_versions(
        ApplicationId=app, ConfigurationProfileId=profile, VersionLabel="v2*"
    )
    assert [v["VersionLabel"] for v in only["Items"]] == ["v2.0"]
    ac.delete_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
    )
    with pytest.raises(ClientError) as error:
        ac.get_hosted_configuration_version(
            ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
        )
    assert code(error) == "ResourceNotFoundException"
    # Numbers are never reused.
    assert put_version(ac, app, profile) == 3


def test_a_stale_latest_version_number_is_a_conflict(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    put_version(ac, app, profile, LatestVersionNumber=0)
    with pytest.raises(ClientError) as error:
        put_version(ac, app, profile, LatestVersionNumber=0)
    assert code(error) == "ConflictException"
    assert "LatestVersionNumber 0" in message(error)
    assert (
        len(
            ac.list_hosted_configuration_versions(
                ApplicationId=app, ConfigurationProfileId=profile
            )["Items"]
        )
        == 1
    )


def test_an_invalid_feature_flag_version_is_refused_naming_the_problem(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    bad = {
        "version": "1",
        "flags": {"beta": {"name": "beta"}},
        "values": {"beta": {"enabled": "yes"}},
    }
    with pytest.raises(ClientError) as error:
        put_version(ac, app, profile, bad)
    assert code(error) == "BadRequestException"
    assert "$.values.beta.enabled" in message(error)
    details = error.value.response["Details"]["InvalidConfiguration"]  # type: ignore[typeddict-item] # the model's BadRequestException members
    assert details[0]["Location"] == "$.values.beta.enabled"
    assert (
        ac.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=profile)[
            "Items"
        ]
        == []
    )


def test_a_feature_flag_version_must_be_json(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    with pytest.raises(ClientError) as error:
        ac.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=b"beta: true",
            ContentType="application/x-yaml",
        )
    assert code(error) == "BadRequestException"


def test_a_version_over_the_size_quota_is_too_large(ac: AppConfigClient) -> None:
    app, _ = app_env(ac)
    profile = ac.create_configuration_profile(ApplicationId=app, Name="s", LocationUri="hosted")[
        "Id"
    ]
    with pytest.raises(ClientError) as error:
        ac.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=b"x" * 4097,
            ContentType="text/plain",
        )
    assert code(error) == "PayloadTooLargeException"
    response = error.value.response
    assert (response["Limit"], response["Measure"]) == (4.0, "KILOBYTES")  # type: ignore[typeddict-item] # PayloadTooLargeException members
    ac.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=b"x" * 4096,
        ContentType="text/plain",
    )


@pytest.mark.parametrize("label", ["123", "1" * 65])
def test_labels_that_are_all_digits_or_too_long_are_refused(
    ac: AppConfigClient, label: str
) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    with pytest.raises(ClientError) as error:
        put_version(ac, app, profile, VersionLabel=label)
    assert code(error) == "BadRequestException"


def test_a_non_ascii_description_header_is_refused(
    server: LocalAppConfig, ac: AppConfigClient
) -> None:
    app, _ = app_env(ac)
    profile = flags_profile(ac, app)
    url = (
        f"{server.endpoint_url}/applications/{app}/configurationprofiles/{profile}"
        "/hostedconfigurationversions"
    )
    request = urllib.request.Request(  # noqa: S310 - the local server
        url,
        data=json.dumps(FLAGS_DOC).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Description": "caf\xe9"},
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert error.value.code == 400
    assert error.value.headers["x-amzn-ErrorType"] == "BadRequestException"


PREDEFINED = {
    "AppConfig.AllAtOnce": (0, "LINEAR", 100.0, 10),
    "AppConfig.Linear50PercentEvery30Seconds": (1, "LINEAR", 50.0, 1),
    "AppConfig.Canary10Percent20Minutes": (20, "EXPONENTIAL", 10.0, 10),
    "AppConfig.Linear20PercentEvery6Minutes": (30, "LINEAR", 20.0, 30),
}


def test_the_predefined_strategies_have_their_documented_parameters(ac: AppConfigClient) -> None:
    listed = {s["Id"]: s for s in ac.list_deployment_strategies()["Items"]}
    for ident, expected in PREDEFINED.items():
        strategy = ac.get_deployment_strategy(DeploymentStrategyId=ident)
        assert listed[ident]["Name"] == strategy["Name"] == ident
        assert (
            strategy["DeploymentDurationInMinutes"],
            strategy["GrowthType"],
            strategy["GrowthFactor"],
            strategy["FinalBakeTimeInMinutes"],
        ) == expected


def test_custom_strategies_are_created_updated_and_deleted(ac: AppConfigClient) -> None:
    created = ac.create_deployment_strategy(
        Name="slow", DeploymentDurationInMinutes=10, GrowthFactor=25, GrowthType="EXPONENTIAL"
    )
    ident = created["Id"]
    assert (created["FinalBakeTimeInMinutes"], created["ReplicateTo"]) == (0, "NONE")
    updated = ac.update_deployment_strategy(DeploymentStrategyId=ident, FinalBakeTimeInMinutes=5)
    assert (updated["FinalBakeTimeInMinutes"], updated["GrowthType"]) == (5, "EXPONENTIAL")
    ac.delete_deployment_strategy(DeploymentStrategyId=ident)
    with pytest.raises(ClientError) as error:
        ac.get_deployment_strategy(DeploymentStrategyId=ident)
    assert code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        ac.delete_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")
    assert code(error) == "BadRequestException"


def test_strategy_limits_come_from_the_service_model(server: LocalAppConfig) -> None:
    # A client that skips botocore's own checks still meets the model's limits here.
    client = server.client(
        "appconfig", config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )
    with pytest.raises(ClientError) as error:
        client.create_deployment_strategy(
            Name="x", DeploymentDurationInMinutes=1441, GrowthFactor=10
        )
    assert code(error) == "BadRequestException"
    assert "at most 1440" in message(error)
    with pytest.raises(ClientError) as error:
        client.create_deployment_strategy(
            Name="x",
            DeploymentDurationInMinutes=1,
            GrowthFactor=10,
            GrowthType="CUBIC",  # type: ignore[arg-type] # what the model refuses
        )
    assert "LINEAR" in message(error)
    with pytest.raises(ClientError) as error:
        client.create_application()  # type: ignore[call-arg] # Name is required
    assert "Name is required" in message(error)


def test_a_deployment_starts_deploying_with_its_strategy_copied(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile, VersionLabel="v1")
    started = start(
        ac,
        app,
        env,
        profile,
        version,
        strategy="AppConfig.Canary10Percent20Minutes",
        Description="go",
    )
    assert started["DeploymentNumber"] == 1
    assert started["State"] == "DEPLOYING"
    assert (started["GrowthType"], started["GrowthFactor"]) == ("EXPONENTIAL", 10.0)
    assert (started["ConfigurationVersion"], started["VersionLabel"]) == ("1", "v1")
    assert started["ConfigurationName"] == "flags"
    assert started["StartedAt"] == START
    assert [e["EventType"] for e in started["EventLog"]] == ["DEPLOYMENT_STARTED"]
    got = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert got["Description"] == "go"
    assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "DEPLOYING"
    listed = ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"]
    assert [(d["DeploymentNumber"], d["State"]) for d in listed] == [(1, "DEPLOYING")]


def test_one_deployment_at_a_time_per_environment(ac: AppConfigClient, clock: Clock) -> None:
    app, env = app_env(ac)
    flags = flags_profile(ac, app)
    other = flags_profile(ac, app, "more")
    start(ac, app, env, flags, put_version(ac, app, flags))
    with pytest.raises(ClientError) as error:
        start(ac, app, env, other, put_version(ac, app, other))
    assert code(error) == "ConflictException"
    assert "Deployment 1" in message(error)
    clock.advance(9 * 60)  # AllAtOnce bakes 10 minutes: still running
    with pytest.raises(ClientError):
        start(ac, app, env, other, 1)
    clock.advance(60)
    assert start(ac, app, env, other, 1)["DeploymentNumber"] == 2
    # Another environment is free all along.
    beta = ac.create_environment(ApplicationId=app, Name="beta")["Id"]
    assert start(ac, app, beta, flags, 1)["DeploymentNumber"] == 1


def test_a_stale_latest_deployment_number_is_a_conflict(ac: AppConfigClient, clock: Clock) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile)
    start(ac, app, env, profile, version, LatestDeploymentNumber=0)
    clock.advance(3600)
    # A second pipeline read "0" before the first started: refused, not deployment 2.
    with pytest.raises(ClientError) as error:
        start(ac, app, env, profile, version, LatestDeploymentNumber=0)
    assert code(error) == "ConflictException"
    assert start(ac, app, env, profile, version, LatestDeploymentNumber=1)["DeploymentNumber"] == 2


def test_validators_run_when_a_deployment_starts(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    schema = {"type": "object", "required": ["limit"], "properties": {"limit": {"type": "integer"}}}
    profile = ac.create_configuration_profile(
        ApplicationId=app,
        Name="settings",
        LocationUri="hosted",
        Validators=[{"Type": "JSON_SCHEMA", "Content": json.dumps(schema)}],
    )["Id"]
    assert ac.list_configuration_profiles(ApplicationId=app)["Items"][0]["ValidatorTypes"] == [
        "JSON_SCHEMA"
    ]
    bad = put_version(ac, app, profile, {"limit": "ten"})  # created: validators wait
    with pytest.raises(ClientError) as error:
        start(ac, app, env, profile, bad)
    assert code(error) == "BadRequestException"
    assert "$.limit" in message(error)
    assert ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"] == []
    good = put_version(ac, app, profile, {"limit": 10})
    assert start(ac, app, env, profile, good)["State"] == "BAKING"  # AllAtOnce: 100% at once


def test_unknown_versions_strategies_and_profiles_are_not_found(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile)
    for kwargs in ({"version": 9}, {"strategy": "abcdefg"}, {"profile": "zzzzzzz"}):
        with pytest.raises(ClientError) as error:
            start(
                ac,
                app,
                env,
                str(kwargs.get("profile", profile)),
                int(kwargs.get("version", version)),
                strategy=kwargs.get("strategy", "AppConfig.AllAtOnce"),
            )
        assert code(error) == "ResourceNotFoundException"


def test_extension_parameters_are_refused_without_extensions(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    with pytest.raises(ClientError) as error:
        start(
            ac,
            app,
            env,
            profile,
            put_version(ac, app, profile),
            DynamicExtensionParameters={"a": "b"},
        )
    assert code(error) == "BadRequestException"


def test_stopping_a_deployment_rolls_it_back(ac: AppConfigClient, clock: Clock) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    start(
        ac,
        app,
        env,
        profile,
        put_version(ac, app, profile),
        strategy="AppConfig.Linear20PercentEvery6Minutes",
    )
    clock.advance(6 * 60)
    stopped = ac.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert stopped["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert stopped["State"] == "ROLLING_BACK"
    got = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert got["State"] == "ROLLED_BACK"
    assert got["PercentageComplete"] == 20.0
    assert [e["EventType"] for e in got["EventLog"]] == [
        "ROLLBACK_COMPLETED",
        "ROLLBACK_STARTED",
        "PERCENTAGE_UPDATED",
        "DEPLOYMENT_STARTED",
    ]
    assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "ROLLED_BACK"
    clock.advance(3600)  # a stopped deployment stays where it stopped
    assert (
        ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)["State"]
        == "ROLLED_BACK"
    )
    with pytest.raises(ClientError) as error:
        ac.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert code(error) == "BadRequestException"


def test_a_baking_deployment_can_be_stopped(ac: AppConfigClient, clock: Clock) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    start(ac, app, env, profile, put_version(ac, app, profile))
    clock.advance(60)
    assert (
        ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)["State"]
        == "BAKING"
    )
    ac.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert (
        ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)["State"]
        == "ROLLED_BACK"
    )


def test_a_complete_deployment_is_reverted_only_with_allow_revert_within_72_hours(
    ac: AppConfigClient, clock: Clock
) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    start(ac, app, env, profile, put_version(ac, app, profile))
    clock.advance(600)
    assert (
        ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)["State"]
        == "COMPLETE"
    )
    with pytest.raises(ClientError) as error:
        ac.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
    assert code(error) == "BadRequestException"
    reverted = ac.stop_deployment(
        ApplicationId=app, EnvironmentId=env, DeploymentNumber=1, AllowRevert=True
    )
    assert reverted["State"] == "REVERTED"
    assert reverted["EventLog"][0]["EventType"] == "REVERT_COMPLETED"
    assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "REVERTED"

    start(ac, app, env, profile, 1)
    clock.advance(600 + 72 * 3600 + 1)
    with pytest.raises(ClientError) as error:
        ac.stop_deployment(
            ApplicationId=app, EnvironmentId=env, DeploymentNumber=2, AllowRevert=True
        )
    assert code(error) == "BadRequestException"
    assert "72 hours" in message(error)


def test_only_the_latest_deployment_of_a_profile_is_reverted(
    ac: AppConfigClient, clock: Clock
) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile)
    for _ in range(2):
        start(ac, app, env, profile, version)
        clock.advance(600)
    with pytest.raises(ClientError) as error:
        ac.stop_deployment(
            ApplicationId=app, EnvironmentId=env, DeploymentNumber=1, AllowRevert=True
        )
    assert code(error) == "BadRequestException"


def test_a_running_deployment_holds_its_environment_and_profile(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    start(ac, app, env, profile, put_version(ac, app, profile))
    with pytest.raises(ClientError) as error:
        ac.delete_environment(ApplicationId=app, EnvironmentId=env)
    assert code(error) == "ConflictException"
    with pytest.raises(ClientError) as error:
        ac.delete_configuration_profile(ApplicationId=app, ConfigurationProfileId=profile)
    assert code(error) == "ConflictException"


def test_get_configuration_is_not_served(server: LocalAppConfig, ac: AppConfigClient) -> None:
    # Its path is the Agent's route: the deprecated call gets no configuration here.
    app_env(ac)
    with pytest.raises(ClientError):
        ac.get_configuration(
            Application="shop", Environment="prod", Configuration="flags", ClientId="c"
        )
    assert server.calls("Agent") == 1


def test_control_plane_calls_are_recorded_and_can_be_faulted(
    server: LocalAppConfig, ac: AppConfigClient
) -> None:
    server.inject(Fault.THROTTLE, call="CreateApplication")
    with pytest.raises(ClientError) as error:
        ac.create_application(Name="shop")
    assert code(error) == "ThrottlingException"
    ac.create_application(Name="shop")
    assert server.calls("CreateApplication") == 2
    assert [c.operation for c in server.log] == ["CreateApplication", "CreateApplication"]


def _shape(value: Any) -> Any:
    """The members of an answer, recursively, without their values."""
    if isinstance(value, dict):
        # moto answers an unset Description as None where AWS leaves it out: both "absent".
        return {
            k: _shape(v)
            for k, v in value.items()
            if k not in ("ResponseMetadata", "Content") and v is not None
        }
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _shapes_of(client: AppConfigClient) -> dict[str, Any]:
    app = client.create_application(Name="shop", Description="d")
    profile = client.create_configuration_profile(
        ApplicationId=app["Id"], Name="s", LocationUri="hosted", Type="AWS.Freeform"
    )
    app_id, profile_id = app["Id"], profile["Id"]
    created = client.create_hosted_configuration_version(
        ApplicationId=app_id,
        ConfigurationProfileId=profile_id,
        Content=b'{"a": 1}',
        ContentType="application/json",
        VersionLabel="v1",
    )
    got = client.get_hosted_configuration_version(
        ApplicationId=app_id, ConfigurationProfileId=profile_id, VersionNumber=1
    )
    return {
        "application": _shape(app),
        "profile": _shape(profile),
        "version": _shape(created),
        "got version": _shape(got),
        "profiles": _shape(client.list_configuration_profiles(ApplicationId=app_id)),
        "got profile": _shape(
            client.get_configuration_profile(
                ApplicationId=app_id, ConfigurationProfileId=profile_id
            )
        ),
        "updated": _shape(client.update_application(ApplicationId=app["Id"], Name="store")),
    }


def test_answers_have_the_shapes_moto_gives(server: LocalAppConfig) -> None:
    # moto implements part of the control plane: a second opinion on which members come
    # back (not an oracle: it answers 200 where the model says 201, for one).
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        import boto3  # noqa: PLC0415 - boto3's default session, patched by moto

        theirs = _shapes_of(boto3.client("appconfig", region_name="us-east-1"))
    assert _shapes_of(server.client("appconfig", config=ONE_ATTEMPT)) == theirs


def test_two_pipelines_starting_at_once_get_one_deployment(
    server: LocalAppConfig, ac: AppConfigClient
) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile)
    clients = [server.client("appconfig", config=ONE_ATTEMPT) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []

    def pipeline(client: AppConfigClient) -> None:
        barrier.wait()
        try:
            start(client, app, env, profile, version, LatestDeploymentNumber=0)
            outcomes.append("started")
        except ClientError as error:
            outcomes.append(str(error.response["Error"]["Code"]))

    threads = [threading.Thread(target=pipeline, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ConflictException"] * 7 + ["started"]
    assert len(ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"]) == 1


def test_deployments_are_listed_newest_first_a_page_at_a_time(
    ac: AppConfigClient, clock: Clock
) -> None:
    app, env = app_env(ac)
    profile = flags_profile(ac, app)
    version = put_version(ac, app, profile)
    for _ in range(3):
        start(ac, app, env, profile, version)
        clock.advance(600)
    first = ac.list_deployments(ApplicationId=app, EnvironmentId=env, MaxResults=2)
    rest = ac.list_deployments(
        ApplicationId=app, EnvironmentId=env, MaxResults=2, NextToken=first["NextToken"]
    )
    assert [d["DeploymentNumber"] for d in first["Items"] + rest["Items"]] == [3, 2, 1]
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as error:
        ac.list_deployments(ApplicationId=app, EnvironmentId=env, NextToken="garbage")
    assert code(error) == "BadRequestException"


def test_a_profile_s_validators_and_an_environment_s_monitors_are_kept(ac: AppConfigClient) -> None:
    app, env = app_env(ac)
    alarm: MonitorTypeDef = {"AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:errors"}
    updated = ac.update_environment(ApplicationId=app, EnvironmentId=env, Monitors=[alarm])
    assert updated["Monitors"] == [alarm]
    profile = ac.create_configuration_profile(ApplicationId=app, Name="s", LocationUri="hosted")
    schema = json.dumps({"type": "object"})
    validators: list[ValidatorTypeDef] = [{"Type": "JSON_SCHEMA", "Content": schema}]
    ac.update_configuration_profile(
        ApplicationId=app, ConfigurationProfileId=profile["Id"], Validators=validators
    )
    got = ac.get_configuration_profile(ApplicationId=app, ConfigurationProfileId=profile["Id"])
    assert got["Validators"] == validators
    with pytest.raises(ClientError) as error:
        ac.update_configuration_profile(
            ApplicationId=app,
            ConfigurationProfileId=profile["Id"],
            Validators=[{"Type": "JSON_SCHEMA", "Content": "[1"}],
        )
    assert code(error) == "BadRequestException"


def test_resources_are_tagged_when_created_and_by_arn(ac: AppConfigClient) -> None:
    app = ac.create_application(Name="shop", Tags={"team": "web"})["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod", Tags={"stage": "prod"})["Id"]
    profile = flags_profile(ac, app)
    start(ac, app, env, profile, put_version(ac, app, profile), Tags={"ci": "run-42"})
    arn = "arn:aws:appconfig:us-east-1:111122223333"
    assert ac.list_tags_for_resource(ResourceArn=f"{arn}:application/{app}")["Tags"] == {
        "team": "web"
    }
    deployment = f"{arn}:application/{app}/environment/{env}/deployment/1"
    assert ac.list_tags_for_resource(ResourceArn=deployment)["Tags"] == {"ci": "run-42"}
    ac.tag_resource(ResourceArn=f"{arn}:application/{app}/environment/{env}", Tags={"a": "b"})
    ac.untag_resource(ResourceArn=f"{arn}:application/{app}/environment/{env}", TagKeys=["stage"])
    env_tags = ac.list_tags_for_resource(ResourceArn=f"{arn}:application/{app}/environment/{env}")
    assert env_tags["Tags"] == {"a": "b"}
    profile_arn = f"{arn}:application/{app}/configurationprofile/{profile}"
    assert ac.list_tags_for_resource(ResourceArn=profile_arn)["Tags"] == {}
    for missing in (
        f"{arn}:application/nope123",
        f"{deployment[:-1]}9",
        f"{arn}:deploymentstrategy/x1y2z3a",
    ):
        with pytest.raises(ClientError) as error:
            ac.list_tags_for_resource(ResourceArn=missing)
        assert code(error) == "ResourceNotFoundException"
