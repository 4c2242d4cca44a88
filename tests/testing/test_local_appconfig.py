"""LocalAppConfig speaks the AppConfigData protocol to real boto3, faults included."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from appflags import Flags, SchemaError
from appflags.testing import Call, Fault, LocalAppConfig, ProfileType

if TYPE_CHECKING:
    from mypy_boto3_appconfigdata import AppConfigDataClient

NAMES = ("shop", "prod", "flags")
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def server() -> Iterator[LocalAppConfig]:
    # No wait between polls: these tests poll back to back. The interval has its own tests.
    with LocalAppConfig(poll_interval=0) as running:
        yield running


@pytest.fixture
def client(server: LocalAppConfig) -> AppConfigDataClient:
    return server.client(config=ONE_ATTEMPT)


def start(client: AppConfigDataClient, profile: str = "flags", **extra: Any) -> str:
    response = client.start_configuration_session(
        ApplicationIdentifier="shop",
        EnvironmentIdentifier="prod",
        ConfigurationProfileIdentifier=profile,
        **extra,
    )
    return response["InitialConfigurationToken"]


def get(client: AppConfigDataClient, token: str) -> tuple[bytes, dict[str, Any]]:
    """The body (read and closed) and the rest of the response."""
    response = client.get_latest_configuration(ConfigurationToken=token)
    body = response["Configuration"]
    try:
        content = body.read()
    finally:
        body.close()
    return content, {k: v for k, v in response.items() if k != "Configuration"}


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, dict[str, Any]]:
    response: dict[str, Any] = dict(caught.value.response)
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], status, response


def test_first_get_returns_content_and_headers(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    assert server.put(*NAMES, {"beta": {"enabled": True}}, version_label="v1") == 1
    token = start(client)
    content, response = get(client, token)
    assert json.loads(content) == {"beta": {"enabled": True}}
    assert response["ContentType"] == "application/json"
    assert response["VersionLabel"] == "v1"
    assert response["NextPollIntervalInSeconds"] == 0
    assert response["NextPollConfigurationToken"] not in ("", token)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unchanged_configuration_is_an_empty_body_with_a_new_token(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {"beta": {"enabled": True}})
    _, first = get(client, start(client))
    content, second = get(client, first["NextPollConfigurationToken"])
    assert content == b""
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert second["NextPollConfigurationToken"] != first["NextPollConfigurationToken"]
    assert "VersionLabel" not in second  # the model: empty when the client has the latest


def test_new_version_arrives_on_the_next_get(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {"v": 1})
    _, response = get(client, start(client))
    assert server.put(*NAMES, "color: red\n", content_type="application/x-yaml") == 2
    content, response = get(client, response["NextPollConfigurationToken"])
    assert (content, response["ContentType"]) == (b"color: red\n", "application/x-yaml")
    assert "VersionLabel" not in response  # unlabelled, as AWS allows
    assert server.put(*NAMES, [1, 2], version_label="release-7") == 3
    content, response = get(client, response["NextPollConfigurationToken"])
    assert (content, response["VersionLabel"]) == (b"[1, 2]", "release-7")
    # Every put is a deployment, even of identical bytes under the same label.
    server.put(*NAMES, b"[1, 2]", version_label="release-7")
    content, _ = get(client, response["NextPollConfigurationToken"])
    assert content == b"[1, 2]"


@pytest.mark.parametrize("reuse", ["initial", "next", "garbled"])
def test_used_or_unknown_token_is_corrupted(
    server: LocalAppConfig, client: AppConfigDataClient, reuse: str
) -> None:
    server.put(*NAMES, {})
    token = start(client)
    _, response = get(client, token)
    if reuse == "next":
        get(client, response["NextPollConfigurationToken"])
        token = response["NextPollConfigurationToken"]
    elif reuse == "garbled":
        token = "not-a-token"
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        get(client, token)
    code, status, body = error_of(caught)
    assert (code, status, body["Reason"]) == ("BadRequestException", 400, "InvalidParameters")
    assert body["Details"] == {
        "InvalidParameters": {"ConfigurationToken": {"Problem": "Corrupted"}}
    }


def test_expire_tokens_expires_every_outstanding_token(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    initial = start(client)
    _, response = get(client, start(client))
    server.expire_tokens()
    for token in (initial, response["NextPollConfigurationToken"], initial):
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, token)
        problem = error_of(caught)[2]["Details"]["InvalidParameters"]["ConfigurationToken"]
        assert problem == {"Problem": "Expired"}
    content, _ = get(client, start(client))  # a new session works
    assert content == b"{}"


def test_tokens_expire_after_24_hours_by_the_clock() -> None:
    now = [datetime(2024, 1, 1, tzinfo=timezone.utc)]
    with LocalAppConfig(poll_interval=1, clock=lambda: now[0]) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        first, second = start(client), start(client)
        now[0] += timedelta(hours=24)
        get(client, first)  # valid for up to 24 hours
        now[0] += timedelta(seconds=1)
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, second)
        details = error_of(caught)[2]["Details"]
        assert details["InvalidParameters"]["ConfigurationToken"]["Problem"] == "Expired"


@pytest.mark.parametrize("profile", ["other", "flags"])
def test_unknown_profile_is_not_found_on_start(
    server: LocalAppConfig, client: AppConfigDataClient, profile: str
) -> None:
    server.put("shop", "staging", "flags", {})  # same names elsewhere do not count
    server.put("shop", "prod", "other-flags", {})
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        start(client, profile)
    code, status, body = error_of(caught)
    assert (code, status) == ("ResourceNotFoundException", 404)
    # "flags" exists in the application (deployed to staging only): nothing deployed here
    # names the configuration, as AWS does, not a missing profile (issue 23 item 7).
    missing = "Configuration" if profile == "flags" else "ConfigurationProfile"
    assert body["ResourceType"] == missing
    assert body["ReferencedBy"] == {}
    assert body["Message"]


def test_deleted_profile_is_not_found_mid_session(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    _, response = get(client, start(client))
    server.delete(*NAMES)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        get(client, response["NextPollConfigurationToken"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        start(client)


def test_required_minimum_poll_interval_is_echoed() -> None:
    with LocalAppConfig(poll_interval=20) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        _, response = get(client, start(client, RequiredMinimumPollIntervalInSeconds=60))
        assert response["NextPollIntervalInSeconds"] == 60
        _, response = get(client, start(client, RequiredMinimumPollIntervalInSeconds=15))
        assert response["NextPollIntervalInSeconds"] == 20


def problem_of(caught: pytest.ExceptionInfo[ClientError]) -> str:
    code, status, body = error_of(caught)
    assert (code, status, body["Reason"]) == ("BadRequestException", 400, "InvalidParameters")
    problem: str = body["Details"]["InvalidParameters"]["ConfigurationToken"]["Problem"]
    return problem


def test_default_interval_is_awss_60_seconds() -> None:
    with LocalAppConfig() as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        _, response = get(client, start(client))
        assert response["NextPollIntervalInSeconds"] == 60
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, response["NextPollConfigurationToken"])
        assert problem_of(caught) == "PollIntervalNotSatisfied"


@pytest.mark.parametrize("uses_token", [True, False])
def test_a_poll_sooner_than_the_announced_interval_is_refused(uses_token: bool) -> None:
    with LocalAppConfig(poll_interval=0.3, refused_poll_uses_token=uses_token) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {"v": 1})
        content, response = get(client, start(client))  # a new session's first poll: never early
        assert content == b'{"v": 1}'
        # The header is whole seconds: a fraction is announced rounded up, enforced as given.
        assert response["NextPollIntervalInSeconds"] == 1
        token = response["NextPollConfigurationToken"]
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, token)
        assert problem_of(caught) == "PollIntervalNotSatisfied"
        assert error_of(caught)[2]["Message"] == "Request too early"
        assert server.early_polls == 1
        time.sleep(0.4)
        if uses_token:
            with pytest.raises(client.exceptions.BadRequestException) as caught:
                get(client, token)
            assert problem_of(caught) == "Corrupted"
        else:
            content, _ = get(client, token)  # the same session carries on
            assert content == b""
        assert server.early_polls == 1


def test_the_sessions_required_minimum_is_enforced() -> None:
    with LocalAppConfig(poll_interval=0) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        _, response = get(client, start(client, RequiredMinimumPollIntervalInSeconds=15))
        assert response["NextPollIntervalInSeconds"] == 15
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, response["NextPollConfigurationToken"])
        assert problem_of(caught) == "PollIntervalNotSatisfied"
        _, other = get(client, start(client))  # other sessions keep their own pace
        get(client, other["NextPollConfigurationToken"])


def test_enforcement_can_be_switched_off_and_early_polls_still_count() -> None:
    with LocalAppConfig(poll_interval=60, enforce_poll_interval=False) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        _, response = get(client, start(client))
        content, response = get(client, response["NextPollConfigurationToken"])
        assert content == b""
        assert server.early_polls == 1
        server.reset_calls()
        assert server.early_polls == 0


@pytest.mark.parametrize("uses_token", [True, False])
def test_too_early_fault_answers_as_a_refused_poll(uses_token: bool) -> None:
    with LocalAppConfig(poll_interval=0, refused_poll_uses_token=uses_token) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, {})
        token = start(client)
        server.inject(Fault.TOO_EARLY)
        with pytest.raises(client.exceptions.BadRequestException) as caught:
            get(client, token)
        assert problem_of(caught) == "PollIntervalNotSatisfied"
        assert server.early_polls == 0  # the client was not early: the clocks disagreed
        if uses_token:
            with pytest.raises(client.exceptions.BadRequestException) as caught:
                get(client, token)
            assert problem_of(caught) == "Corrupted"
        else:
            assert get(client, token)[0] == b"{}"
        with pytest.raises(ValueError, match="TOO_EARLY"):
            server.inject(Fault.TOO_EARLY, call="StartConfigurationSession")


@pytest.mark.parametrize(
    "extra",
    [
        {"RequiredMinimumPollIntervalInSeconds": 14},
        {"RequiredMinimumPollIntervalInSeconds": 86401},
        {"ConfigurationProfileIdentifier": "x" * 129},
        {"ConfigurationProfileIdentifier": ""},
    ],
)
def test_invalid_start_parameters_are_a_bad_request(
    server: LocalAppConfig, extra: dict[str, Any]
) -> None:
    # botocore checks minimums itself; switch that off so that the server is what answers.
    client = server.client(
        config=ONE_ATTEMPT.merge(Config(parameter_validation=False)),
    )
    server.put(*NAMES, {})
    request: dict[str, Any] = {
        "ApplicationIdentifier": "shop",
        "EnvironmentIdentifier": "prod",
        "ConfigurationProfileIdentifier": "flags",
        **extra,
    }
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        client.start_configuration_session(**request)
    code, status, body = error_of(caught)
    assert (code, status, body["Reason"]) == ("BadRequestException", 400, "InvalidParameters")


@pytest.mark.parametrize("call", ["StartConfigurationSession", "GetLatestConfiguration"])
@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (Fault.THROTTLE, "ThrottlingException", 429),
        (Fault.SERVER_ERROR, "InternalServerException", 500),
        (Fault.BAD_REQUEST, "BadRequestException", 400),
        (Fault.NOT_FOUND, "ResourceNotFoundException", 404),
    ],
)
def test_error_faults_surface_as_their_exception(
    server: LocalAppConfig, fault: Fault, code: str, status: int, call: str
) -> None:
    client = server.client(config=ONE_ATTEMPT)
    server.put(*NAMES, {"v": 1})
    token = start(client)
    server.inject(fault, call=call)
    expected = getattr(client.exceptions, code)
    with pytest.raises(expected) as caught:
        start(client) if call == "StartConfigurationSession" else get(client, token)
    assert error_of(caught)[:2] == (code, status)
    assert error_of(caught)[2]["Message"]
    if fault is Fault.BAD_REQUEST:
        details = error_of(caught)[2]["Details"]
        assert details["InvalidParameters"]["ConfigurationToken"]["Problem"] == "Corrupted"
    content, _ = get(client, token)  # one fault only, and it did not consume the token
    assert content == b'{"v": 1}'


def test_botocore_retries_count_as_calls(server: LocalAppConfig) -> None:
    server.put(*NAMES, {})
    retrying = server.client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    token = start(retrying)
    server.inject(Fault.THROTTLE)
    server.reset_calls()
    content, response = get(retrying, token)
    assert content == b"{}"
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert server.calls("GetLatestConfiguration") == 2


def test_faults_queue_in_order_and_repeat_until_cleared(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    token = start(client)
    server.inject(Fault.THROTTLE, times=2)
    server.inject(Fault.SERVER_ERROR, times=-1)
    for expected in ["ThrottlingException"] * 2 + ["InternalServerException"] * 3:
        with pytest.raises(ClientError) as caught:
            get(client, token)
        assert error_of(caught)[0] == expected
    server.clear_faults()
    content, _ = get(client, token)
    assert content == b"{}"


def test_reset_fault_is_a_connection_error(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    token = start(client)
    server.inject(Fault.RESET)
    with pytest.raises(ConnectionClosedError):
        get(client, token)
    assert server.calls("GetLatestConfiguration") == 1
    get(client, token)


def test_slow_fault_times_out_and_stop_stays_prompt() -> None:
    server = LocalAppConfig(poll_interval=1).start()
    server.slow_seconds = 30
    client = server.client(config=ONE_ATTEMPT.merge(Config(read_timeout=0.3)))
    server.put(*NAMES, {})
    token = start(client)
    server.inject(Fault.SLOW)
    with pytest.raises(ReadTimeoutError):
        get(client, token)
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 2


def test_short_slow_fault_answers_normally(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.slow_seconds = 0.2
    server.put(*NAMES, {"v": 1})
    token = start(client)
    server.inject(Fault.SLOW)
    began = time.monotonic()
    content, _ = get(client, token)
    assert content == b'{"v": 1}'
    assert time.monotonic() - began >= 0.2


def test_not_json_fault_is_a_new_version_then_the_real_one_returns(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {"v": 1}, version_label="v1")
    _, response = get(client, start(client))
    server.inject(Fault.NOT_JSON)
    content, response = get(client, response["NextPollConfigurationToken"])
    assert content == b"<html>oops"
    assert response["ContentType"] == "application/json"
    assert response["VersionLabel"] not in ("", "v1")
    content, response = get(client, response["NextPollConfigurationToken"])
    assert (content, response["VersionLabel"]) == (b'{"v": 1}', "v1")


def test_cut_body_fault_ends_the_body_early_and_counts_as_delivered(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {"v": 1, "pad": "x" * 100}, version_label="v1")
    server.inject(Fault.CUT_BODY)
    response = client.get_latest_configuration(ConfigurationToken=start(client))
    assert response["VersionLabel"] == "v1"  # the headers arrived whole
    with pytest.raises(ResponseStreamingError, match="IncompleteRead"):
        response["Configuration"].read()
    # As AppConfig would, the server counts the version as delivered to the session.
    content, _ = get(client, response["NextPollConfigurationToken"])
    assert content == b""


def test_not_json_fault_on_start_leaves_no_token(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    server.inject(Fault.NOT_JSON, call="StartConfigurationSession")
    response = client.start_configuration_session(
        ApplicationIdentifier="shop",
        EnvironmentIdentifier="prod",
        ConfigurationProfileIdentifier="flags",
    )
    assert "InitialConfigurationToken" not in response


def test_watch_file_serves_edits_as_new_versions(
    tmp_path: Path, server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    path = tmp_path / "flags.json"
    path.write_text('{"v": 1}', encoding="utf-8")
    server.watch_file(*NAMES, path)
    content, response = get(client, start(client))
    assert content == b'{"v": 1}'
    assert "VersionLabel" not in response  # a file's versions are unlabelled
    content, response = get(client, response["NextPollConfigurationToken"])
    assert content == b""

    path.write_text('{"v": 2}', encoding="utf-8")  # same size: only the mtime tells
    mtime = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(mtime, mtime))
    content, response = get(client, response["NextPollConfigurationToken"])
    assert content == b'{"v": 2}'

    path.unlink()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        get(client, response["NextPollConfigurationToken"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        start(client)


def test_calls_and_log_record_every_request(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put(*NAMES, {})
    token = start(client)
    server.inject(Fault.THROTTLE)
    with pytest.raises(client.exceptions.ThrottlingException):
        get(client, token)
    get(client, token)
    assert (server.calls(), server.calls("StartConfigurationSession")) == (3, 1)
    assert server.calls("GetLatestConfiguration") == 2
    log = server.log
    assert [(c.operation, c.token) for c in log] == [
        ("StartConfigurationSession", None),
        ("GetLatestConfiguration", token),
        ("GetLatestConfiguration", token),
    ]
    assert all(isinstance(c, Call) for c in log)
    assert log[0].at <= log[1].at <= log[2].at
    server.reset_calls()
    assert server.calls() == 0
    assert server.log == []


def test_the_log_records_who_signed_each_request_and_its_user_agent(
    server: LocalAppConfig,
) -> None:
    server.put(*NAMES, {})
    client = server.client(region_name="eu-west-3", aws_access_key_id="AKIDEXAMPLE")
    get(client, start(client))
    calls = server.log
    scopes = [(c.credential or "").split("/") for c in calls]
    # ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request; the date is the signing day.
    assert [(s[0], s[2], s[3], s[4]) for s in scopes] == [
        ("AKIDEXAMPLE", "eu-west-3", "appconfig", "aws4_request"),
    ] * 2
    assert all("Boto3/" in (c.user_agent or "") for c in calls)
    # An unsigned request (the Agent route, curl) has no credential.
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.endpoint_url}/nowhere", timeout=5)  # noqa: S310
    caught.value.close()
    unsigned = server.log[-1]
    assert (unsigned.operation, unsigned.credential) == ("UnknownOperation", None)
    assert (unsigned.user_agent or "").startswith("Python-urllib/")


def test_unknown_route_is_a_json_404(server: LocalAppConfig) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.endpoint_url}/nowhere", timeout=5)  # noqa: S310
    assert caught.value.code == 404
    assert caught.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "Message" in json.loads(caught.value.read())
    caught.value.close()
    assert server.calls("UnknownOperation") == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/configurationsessions"),
        ("POST", "/configuration?configuration_token=x"),
        ("DELETE", "/applications/shop/environments/prod/configurations/flags"),
    ],
)
def test_a_known_path_asked_with_another_method_is_an_unknown_operation(
    server: LocalAppConfig, method: str, path: str
) -> None:
    server.put(*NAMES, {"v": 1})
    request = urllib.request.Request(f"{server.endpoint_url}{path}", method=method)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert caught.value.code == 404
    assert caught.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    caught.value.close()
    assert [call.operation for call in server.log] == ["UnknownOperation"]


def test_concurrent_sessions(server: LocalAppConfig) -> None:
    server.put(*NAMES, {"v": 1})
    failures: list[BaseException] = []
    seen: list[str] = []

    client = server.client(config=ONE_ATTEMPT)  # boto3 clients are thread-safe

    def poll() -> None:
        try:
            content, response = get(client, start(client))
            assert content == b'{"v": 1}'
            for _ in range(4):
                token = response["NextPollConfigurationToken"]
                seen.append(token)
                content, response = get(client, token)
                assert content == b""
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(seen)) == 32
    assert server.calls("GetLatestConfiguration") == 40


def test_stop_is_idempotent_releases_the_port_and_restarts() -> None:
    server = LocalAppConfig()
    assert server.start() is server.start()
    port = int(server.endpoint_url.rsplit(":", 1)[1])
    server.stop()
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.endpoint_url
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the port is free again
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass
    with server:  # a stopped server starts again
        server.put(*NAMES, {})
        assert start(server.client(config=ONE_ATTEMPT))


def test_invalid_arguments_are_rejected(server: LocalAppConfig) -> None:
    with pytest.raises(ValueError, match="profile"):
        server.put("shop", "prod", "", {})
    with pytest.raises(ValueError, match="version_label"):
        server.put(*NAMES, {}, version_label="v\u00e9")
    with pytest.raises(ValueError, match="call"):
        server.inject(Fault.THROTTLE, call="GetConfiguration")
    with pytest.raises(ValueError, match="times"):
        server.inject(Fault.THROTTLE, times=0)
    with pytest.raises(ValueError, match="poll_interval"):
        LocalAppConfig(poll_interval=-1)
    for bad in (True, float("nan"), "1"):
        with pytest.raises(TypeError, match="poll_interval"):
            LocalAppConfig(poll_interval=bad)  # type: ignore[arg-type] # a caller's mistake


STORED: dict[str, Any] = {
    "version": "1",
    "flags": {
        "beta": {
            "name": "Beta",
            "_createdAt": "2024-01-01T00:00:00Z",
            "_updatedAt": "2024-01-02T00:00:00Z",
            "attributes": {"color": {"constraints": {"type": "string", "enum": ["red", "green"]}}},
        },
        "off": {"name": "Off", "attributes": {"n": {"constraints": {"type": "number"}}}},
        "tiered": {
            "name": "Tiered",
            "attributes": {"dark": {"constraints": {"type": "boolean"}}},
        },
        "bare": {"name": "Bare"},
    },
    "values": {
        "beta": {
            "enabled": True,
            "color": "red",
            "_createdAt": "2024-01-01T00:00:00Z",
            "_updatedAt": "2024-01-02T00:00:00Z",
        },
        "off": {"enabled": False, "n": 3},
        "tiered": {
            "_variants": [
                {
                    "name": "QA",
                    "enabled": True,
                    "rule": '(eq $tier "qa")',
                    "attributeValues": {"dark": True},
                },
                {"name": "Default", "enabled": True, "attributeValues": {"dark": False}},
            ]
        },
    },
}


def test_feature_flag_profile_serves_the_retrieval_form(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    assert server.put(*NAMES, STORED) == 1
    assert server.profile_type(*NAMES) is ProfileType.FEATURE_FLAGS
    content, response = get(client, start(client))
    assert json.loads(content) == {
        "beta": {"enabled": True, "color": "red"},
        "off": {"enabled": False},  # a disabled flag comes without its attributes
        "tiered": {"enabled": True, "dark": False},  # the default (last) variant, no _variant
        "bare": {"enabled": False},  # defined, no value
    }
    assert response["ContentType"] == "application/json"
    assert "VersionLabel" not in response  # AWS sends none for an unlabelled version


def test_freeform_profile_serves_a_stored_document_verbatim(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    data = json.dumps(STORED).encode()
    assert server.put(*NAMES, data, profile_type="AWS.Freeform", version_label="v1") == 1
    assert server.profile_type(*NAMES) is ProfileType.FREEFORM
    content, response = get(client, start(client))
    assert (content, response["VersionLabel"]) == (data, "v1")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"color": "blue"}, "$.values.beta.color"),  # not in the attribute's enum
        ({"size": 1}, "$.values.beta.size"),  # no such attribute
        ({"enabled": "yes"}, "$.values.beta.enabled"),
    ],
)
def test_feature_flag_profile_refuses_an_invalid_document_with_the_reason(
    server: LocalAppConfig, client: AppConfigDataClient, change: dict[str, Any], path: str
) -> None:
    server.put(*NAMES, STORED)
    bad = json.loads(json.dumps(STORED))
    bad["values"]["beta"].update(change)
    with pytest.raises(SchemaError) as caught:
        server.put(*NAMES, bad)
    assert any(p.path == path for p in caught.value.problems), caught.value.problems
    content, _ = get(client, start(client))  # the valid version is still deployed
    assert json.loads(content)["beta"] == {"enabled": True, "color": "red"}


def test_feature_flag_profile_refuses_a_bad_rule_and_non_json(server: LocalAppConfig) -> None:
    bad = json.loads(json.dumps(STORED))
    bad["values"]["tiered"]["_variants"][0]["rule"] = "(eq $tier"
    with pytest.raises(SchemaError, match=r"_variants\[0\]\.rule"):
        server.put(*NAMES, bad)
    with pytest.raises(SchemaError, match="JSON object"):
        server.put(
            *NAMES,
            "version: '1'\n",
            content_type="application/x-yaml",
            profile_type=ProfileType.FEATURE_FLAGS,
        )


def test_a_profiles_type_is_fixed_when_it_is_created(server: LocalAppConfig) -> None:
    server.put(*NAMES, STORED)
    with pytest.raises(SchemaError, match="version"):
        server.put(*NAMES, {"beta": {"enabled": True}})  # a retrieval form is no stored document
    with pytest.raises(ValueError, match="cannot change"):
        server.put(*NAMES, {"beta": {"enabled": True}}, profile_type=ProfileType.FREEFORM)
    with pytest.raises(ValueError, match="profile_type"):
        server.put("shop", "prod", "other", {}, profile_type="AWS.Whatever")
    server.delete(*NAMES)  # a new profile of the same name may have another type
    server.put(*NAMES, {"beta": {"enabled": True}})
    assert server.profile_type(*NAMES) is ProfileType.FREEFORM


@pytest.mark.parametrize("label", ["7", "0042", "x" * 65])
def test_version_labels_are_never_all_digits(server: LocalAppConfig, label: str) -> None:
    with pytest.raises(ValueError, match="version_label"):
        server.put(*NAMES, {}, version_label=label)
    assert server.put(*NAMES, {}, version_label=f"v{label}"[:64]) == 1


def test_watched_feature_flag_file_skips_an_invalid_edit(
    tmp_path: Path, server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(STORED), encoding="utf-8")
    server.watch_file(*NAMES, path)
    assert server.profile_type(*NAMES) is ProfileType.FEATURE_FLAGS
    content, response = get(client, start(client))
    assert json.loads(content)["beta"] == {"enabled": True, "color": "red"}

    def edit(doc: dict[str, Any], seconds: int) -> None:
        path.write_text(json.dumps(doc), encoding="utf-8")
        mtime = path.stat().st_mtime_ns + seconds * 1_000_000_000
        os.utime(path, ns=(mtime, mtime))

    bad = json.loads(json.dumps(STORED))
    bad["values"]["beta"]["color"] = "blue"
    edit(bad, 2)
    content, response = get(client, response["NextPollConfigurationToken"])
    assert content == b""  # AWS would not have created that version: nothing new
    good = json.loads(json.dumps(STORED))
    good["values"]["beta"]["color"] = "green"
    edit(good, 4)
    content, response = get(client, response["NextPollConfigurationToken"])
    assert json.loads(content)["beta"] == {"enabled": True, "color": "green"}


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_ATTRIBUTE = st.one_of(
    st.booleans().map(lambda v: ("boolean", v)),
    st.integers(-1000, 1000).map(lambda v: ("number", v)),
    st.text(max_size=8).map(lambda v: ("string", v)),
)


@settings(max_examples=40)
@given(
    st.dictionaries(
        _NAMES,
        st.tuples(st.booleans(), st.dictionaries(_NAMES, _ATTRIBUTE, max_size=4)),
        max_size=5,
    )
)
def test_served_basic_flags_answer_as_the_stored_document_does(
    flags: dict[str, tuple[bool, dict[str, tuple[str, Any]]]],
) -> None:
    stored: dict[str, Any] = {
        "version": "1",
        "flags": {
            name: {
                "name": name,
                "attributes": {a: {"constraints": {"type": t}} for a, (t, _) in attrs.items()},
            }
            for name, (_, attrs) in flags.items()
        },
        "values": {
            name: {"enabled": enabled, **{a: v for a, (_, v) in attrs.items()}}
            for name, (enabled, attrs) in flags.items()
        },
    }
    with LocalAppConfig(poll_interval=0) as server:
        client = server.client(config=ONE_ATTEMPT)
        server.put(*NAMES, stored)
        served = json.loads(get(client, start(client))[0])
    from_stored, from_served = Flags.from_dict(stored), Flags.from_dict(served)
    keys = [*flags, *(f"{n}.{a}" for n, (_, attrs) in flags.items() for a in attrs)]
    for key in keys:
        assert from_served.get_object(key, "default") == from_stored.get_object(key, "default")
        assert from_served.is_enabled(key) is from_stored.is_enabled(key)
