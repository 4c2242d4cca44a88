"""Flags.from_appconfig end to end: real boto3 against LocalAppConfig over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import appflags
import appflags._updates
from _support import APP, UNREACHABLE, reaches, wait_for
from appflags import Change, ErrorCode, Flags, Reason, State
from appflags.testing import Fault, LocalAppConfig, ProfileType

V1 = {"beta": {"enabled": True, "color": "red"}, "old": {"enabled": False}}
V2 = {"beta": {"enabled": True, "color": "green"}, "old": {"enabled": True}}


@pytest.fixture
def flags(server: LocalAppConfig, client: Any) -> Any:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as loaded:
        yield loaded


def test_first_configuration_is_loaded_before_returning(flags: Flags) -> None:
    assert flags.state is State.READY
    assert flags.version == "v1"
    assert flags.is_enabled("beta") is True
    assert flags.get_str("beta.color", "blue") == "red"
    assert flags.evaluate("beta.color", "blue").version == "v1"


def test_exactly_one_get_latest_configuration_per_interval(
    server: LocalAppConfig, flags: Flags
) -> None:
    start = server.calls("GetLatestConfiguration")
    for _ in range(50_000):
        flags.is_enabled("beta")  # lookups never call AppConfig
    assert server.calls("GetLatestConfiguration") == start
    time.sleep(3.3)
    # Polls every 1.0-1.1 s (jitter): 3 in 3.3 s; 2 tolerates a slow, loaded machine.
    assert 2 <= server.calls("GetLatestConfiguration") - start <= 3
    assert server.calls("StartConfigurationSession") == 1


def test_every_token_is_used_exactly_once(server: LocalAppConfig, flags: Flags) -> None:
    assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 3)
    tokens = [call.token for call in server.log if call.operation == "GetLatestConfiguration"]
    assert len(tokens) >= 3
    assert len(set(tokens)) == len(tokens)
    assert flags.state is State.READY  # no BadRequestException happened on the way


def test_empty_bodies_keep_flags_without_parsing(
    server: LocalAppConfig, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[bytes] = []
    real_load = appflags._updates.load  # type: ignore[attr-defined]  # spying on our own module

    def counting_load(data: bytes, *args: Any, **kwargs: Any) -> Any:
        parses.append(data)
        return real_load(data, *args, **kwargs)

    monkeypatch.setattr(appflags._updates, "load", counting_load)
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert len(parses) == 1
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 3)
        assert len(parses) == 1
        assert flags.get_str("beta.color", "") == "red"


def test_new_version_arrives_within_one_interval(server: LocalAppConfig, flags: Flags) -> None:
    changes: list[Change] = []
    arrived = threading.Event()

    def listener(change: Change) -> None:
        changes.append(change)
        arrived.set()

    flags.on_change(listener)
    server.put(*APP, V2, version_label="v2")
    started = time.monotonic()
    assert arrived.wait(3)
    # One interval is 1.0-1.1 s with jitter; a second one would take it past 2 s.
    assert time.monotonic() - started < 2.0
    assert flags.version == "v2"
    assert flags.get_str("beta.color", "") == "green"
    assert changes[-1].changed_keys == {"beta.color", "old"}
    assert changes[-1].state is State.READY


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"beta": {"enabled": "yes"}}, "$.beta.enabled: expected boolean, got string"),
        (b"<html>not json", "$: not valid JSON"),
    ],
)
def test_invalid_document_is_rejected_and_last_good_flags_keep_answering(
    server: LocalAppConfig, flags: Flags, bad: Any, problem: str
) -> None:
    with capture_logs() as logs:
        server.put(*APP, bad, version_label="bad")
        assert wait_for(lambda: flags.state is State.STALE)
        assert flags.get_str("beta.color", "blue") == "red"
        assert flags.version == "v1"
        # Later polls return empty bodies: still stale, and the rejection is logged once.
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 4)
        assert flags.state is State.STALE
    rejected = [e for e in logs if e["event"] == "appflags.rejected"]
    assert len(rejected) == 1
    assert any(p.startswith(problem) for p in rejected[0]["problems"])
    assert rejected[0]["version"] == "bad"
    assert "yes" not in str(rejected[0])  # never the document's values
    server.put(*APP, V2, version_label="v2")
    assert wait_for(lambda: flags.version == "v2")
    assert reaches(flags, State.READY)


def test_not_json_fault_is_rejected(server: LocalAppConfig, flags: Flags) -> None:
    server.inject(Fault.NOT_JSON)
    assert wait_for(lambda: flags.state is State.STALE)
    assert flags.is_enabled("beta") is True


@pytest.mark.parametrize(
    "fault", [Fault.NOT_FOUND, Fault.BAD_REQUEST, Fault.THROTTLE, Fault.SERVER_ERROR, Fault.RESET]
)
@pytest.mark.parametrize("call", ["GetLatestConfiguration", "StartConfigurationSession"])
def test_errors_never_make_lookups_raise_and_polling_recovers(
    server: LocalAppConfig, client: Any, fault: Fault, call: str
) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        started, calls_before = time.monotonic(), server.calls()
        server.expire_tokens()  # the next poll fails and starts a new session
        server.inject(fault, times=2, call=call)
        assert wait_for(lambda: flags.state is State.STALE)
        for _ in range(1000):
            assert flags.get_str("beta.color", "blue") == "red"
            assert flags.evaluate("nope", 1).error_code is ErrorCode.FLAG_NOT_FOUND
        server.put(*APP, V2, version_label="v2")
        assert wait_for(lambda: flags.state is State.READY and flags.version == "v2", 10)
        # Within budget: backoff never polls faster than the 1 s interval allows, so at
        # most one GET and one session start per second, plus the poll in progress.
        elapsed = time.monotonic() - started
        assert server.calls() - calls_before <= 2 * (elapsed + 1)


def test_failure_logged_once_not_per_poll(server: LocalAppConfig, flags: Flags) -> None:
    with capture_logs() as logs:
        server.inject(Fault.SERVER_ERROR, times=-1)
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 6, 10)
        server.clear_faults()
        assert wait_for(lambda: flags.state is State.READY, 5)
    events = [e["event"] for e in logs]
    assert events.count("appflags.poll_failed") == 1
    assert events.count("appflags.recovered") == 1
    assert [e["state"] for e in logs if e["event"] == "appflags.state"] == ["STALE", "READY"]


def test_wait_bounds_start_and_defaults_answer_until_flags_arrive(
    server: LocalAppConfig, client: Any
) -> None:
    started = time.monotonic()
    with Flags.from_appconfig("shop", "prod", "missing", client=client, wait=5) as flags:
        # ResourceNotFoundException: the first attempt finished, no point waiting longer.
        assert time.monotonic() - started < 2
        assert flags.state is State.NOT_READY
        result = flags.evaluate("beta", True)
        assert (result.value, result.reason, result.error_code) == (
            True,
            Reason.ERROR,
            ErrorCode.PROVIDER_NOT_READY,
        )
        assert flags.is_enabled("beta", default=True) is True
        server.put("shop", "prod", "missing", V1)
        assert wait_for(lambda: flags.state is State.READY, 5)
        assert flags.get_str("beta.color", "") == "red"


def test_wait_zero_never_blocks(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, V1, version_label="v1")
    server.slow_seconds = 2.0
    server.inject(Fault.SLOW, call="StartConfigurationSession")
    started = time.monotonic()
    with Flags.from_appconfig(*APP, client=server.client(), wait=0) as flags:
        assert time.monotonic() - started < 0.5
        assert flags.state is State.NOT_READY
        assert flags.get_str("beta.color", "blue") == "blue"


def test_close_returns_promptly_with_a_request_in_flight(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    flags = Flags.from_appconfig(*APP, client=server.client())
    server.slow_seconds = 30.0
    server.inject(Fault.SLOW)
    flags.refresh(timeout=0.1)  # a poll is now stuck in the slow response
    started = time.monotonic()
    flags.close(timeout=0.5)
    assert time.monotonic() - started < 1.0
    flags.close()  # idempotent
    assert flags.is_enabled("beta") is True  # closed flags keep answering


@pytest.mark.parametrize("bad", [14, 86401, 15.5, True, "20"])
def test_poll_interval_is_validated_before_any_call(server: LocalAppConfig, bad: Any) -> None:
    with pytest.raises(ValueError, match="poll_interval must be a whole number"):
        Flags.from_appconfig(*APP, client=server.client(), poll_interval=bad)
    assert server.calls() == 0


def test_poll_interval_is_sent_as_required_minimum(server: LocalAppConfig) -> None:
    server.put(*APP, V1, version_label="v1")
    client = server.client()
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.appconfigdata.StartConfigurationSession",
        lambda params, **_: sent.append(dict(params)),
    )
    with Flags.from_appconfig(*APP, client=client, poll_interval=20) as flags:
        assert flags.state is State.READY
        assert sent[0]["RequiredMinimumPollIntervalInSeconds"] == 20
        assert server.calls("GetLatestConfiguration") == 1
        time.sleep(1.5)  # the server now asks for 20 s: no second poll yet
        assert server.calls("GetLatestConfiguration") == 1


def test_identifiers_are_validated() -> None:
    with pytest.raises(ValueError, match="application must be a string of 1 to 128"):
        Flags.from_appconfig("", "prod", "flags", region_name="us-east-1")


def test_client_built_from_endpoint_url_and_region(server: LocalAppConfig) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(
        *APP, endpoint_url=server.endpoint_url, region_name="us-east-1"
    ) as flags:
        assert flags.is_enabled("beta") is True


# -- the client appflags builds when given no client= -----------------------------------


def signers(server: LocalAppConfig) -> set[tuple[str, str]]:
    """(access key id, region) of every signed call the server received."""
    scopes = [(call.credential or "").split("/") for call in server.log]
    return {(scope[0], scope[2]) if len(scope) == 5 else ("unsigned", "") for scope in scopes}


def user_agents(server: LocalAppConfig) -> set[str]:
    return {call.user_agent or "" for call in server.log}


def test_built_client_takes_region_and_credentials_from_the_environment(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, endpoint_url=server.endpoint_url) as flags:
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("AKIDFROMENV", "eu-west-3")}
    # The client is botocore's (what boto3.client() returns too) with appflags' own
    # config: its version in the user agent, and standard retry mode.
    (agent,) = user_agents(server)
    assert agent.startswith("Botocore/")
    assert f"appflags/{appflags.__version__}" in agent
    assert "cfg/retry-mode#standard" in agent
    assert "Boto3/" not in agent


def test_region_name_wins_over_the_environment(server: LocalAppConfig) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(
        *APP, endpoint_url=server.endpoint_url, region_name="ap-south-1"
    ) as flags:
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("testing", "ap-south-1")}


def test_built_client_reads_the_profile_in_the_shared_config_files(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No keys or region in the environment: both come from AWS_PROFILE's sections of the
    # shared config and credentials files, as for any boto3 client.
    config = tmp_path / "config"
    config.write_text("[profile flags]\nregion = ca-central-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[flags]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = s\n")
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "flags")
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, endpoint_url=server.endpoint_url) as flags:
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("AKIDFROMFILE", "ca-central-1")}


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_APPCONFIGDATA", "AWS_ENDPOINT_URL"])
def test_built_client_takes_its_endpoint_from_the_environment(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # No endpoint_url=: botocore's configured endpoints, as for any boto3 client. Should
    # they be ignored, the AWS endpoint's HTTPS goes to a closed local port, never out.
    for name in (
        "NO_PROXY",
        "no_proxy",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_APPCONFIGDATA",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, UNREACHABLE)
    monkeypatch.setenv(variable, server.endpoint_url)
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, wait=5) as flags:
        assert flags.state is State.READY
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("testing", "us-east-1")}


def test_built_client_ignores_boto3s_default_session_and_a_client_from_it_is_used(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3  # noqa: PLC0415 - a program's own boto3 default session

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # restored after the test
    boto3.setup_default_session(
        aws_access_key_id="AKIDDEFAULTSESSION", aws_secret_access_key="s", region_name="af-south-1"
    )
    server.put(*APP, V1, version_label="v1")
    # appflags' own session is private (docs/concepts.md): the environment's keys and region.
    with Flags.from_appconfig(*APP, endpoint_url=server.endpoint_url) as flags:
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("testing", "us-east-1")}
    server.reset_calls()
    # The documented way to use the default session: a client from it, used as given.
    client = boto3.client("appconfigdata", endpoint_url=server.endpoint_url)
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert flags.is_enabled("beta") is True
    assert signers(server) == {("AKIDDEFAULTSESSION", "af-south-1")}


def test_a_caller_client_is_used_as_given_and_left_open(server: LocalAppConfig) -> None:
    import boto3  # noqa: PLC0415 - a caller's own boto3 session

    session = boto3.session.Session(
        aws_access_key_id="AKIDCALLER", aws_secret_access_key="s", region_name="sa-east-1"
    )
    client = session.client("appconfigdata", endpoint_url=server.endpoint_url)
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert flags.is_enabled("beta") is True
    # Its session's credentials and region, its boto3 user agent: nothing rebuilt.
    assert signers(server) == {("AKIDCALLER", "sa-east-1")}
    assert all(agent.startswith("Boto3/") for agent in user_agents(server))
    # close() leaves a client it did not build open.
    client.start_configuration_session(
        ApplicationIdentifier=APP[0],
        EnvironmentIdentifier=APP[1],
        ConfigurationProfileIdentifier=APP[2],
    )


def test_refresh_polls_now_and_returns_when_done(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        server.put(*APP, V2, version_label="v2")
        assert flags.refresh(timeout=2) is True
        assert flags.version == "v2"


def test_a_listener_that_raises_breaks_nothing(server: LocalAppConfig, flags: Flags) -> None:
    seen: list[str | None] = []

    def bad(change: Change) -> None:
        raise RuntimeError("listener bug")

    flags.on_change(bad)
    unsubscribe = flags.on_change(lambda change: seen.append(change.version))
    server.put(*APP, V2, version_label="v2")
    assert wait_for(lambda: seen == ["v2"])
    unsubscribe()
    server.put(*APP, V1, version_label="v1")
    assert wait_for(lambda: flags.version == "v1")
    assert seen == ["v2"]


def test_poller_thread_is_named_daemon_and_stops_on_close(server: LocalAppConfig) -> None:
    server.put(*APP, V1, version_label="v1")
    flags = Flags.from_appconfig(*APP, client=server.client())
    threads = [t for t in threading.enumerate() if t.name.startswith("appflags-poller")]
    assert any("shop/prod/flags" in t.name and t.daemon for t in threads)
    flags.close()
    assert not any("shop/prod/flags" in t.name for t in threading.enumerate() if t.is_alive())


def test_refresh_from_a_listener_schedules_a_poll_without_deadlock(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        results: list[bool] = []

        def listener(change: Change) -> None:
            if not results:
                started = time.monotonic()
                results.append(flags.refresh(timeout=5))
                results.append(time.monotonic() - started < 0.5)

        flags.on_change(listener)
        before = server.calls("GetLatestConfiguration")
        server.put(*APP, V2, version_label="v2")
        assert flags.refresh(timeout=5) is True  # delivers V2: the listener runs
        assert results == [False, True]  # scheduled, not waited for
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= before + 2, 3)
        assert server.early_polls == 0


def test_refresh_calls_share_one_poll_at_the_earliest_allowed_moment() -> None:
    # AWS refuses a poll sooner than the interval it announced: refresh() waits for it.
    with LocalAppConfig(poll_interval=2) as server:
        server.put(*APP, V1, version_label="v1")
        with Flags.from_appconfig(*APP, client=server.client()) as flags:
            server.put(*APP, V2, version_label="v2")
            results: list[bool] = []
            callers = [
                threading.Thread(target=lambda: results.append(flags.refresh(timeout=3)))
                for _ in range(5)
            ]
            for caller in callers:
                caller.start()
            for caller in callers:
                caller.join()
            assert results == [True] * 5  # within one interval (2 s) and the 3 s timeout
            assert flags.version == "v2"
            assert flags.state is State.READY
            assert server.early_polls == 0
            # The first poll, then the one poll the five calls shared, on one session.
            assert server.calls("GetLatestConfiguration") == 2
            assert server.calls("StartConfigurationSession") == 1


def test_refresh_without_anything_new_changes_nothing(server: LocalAppConfig, flags: Flags) -> None:
    changes: list[Change] = []
    flags.on_change(changes.append)
    assert [flags.refresh(timeout=0) for _ in range(5)] == [False] * 5
    assert flags.refresh(timeout=3) is True
    assert changes == []
    assert flags.state is State.READY
    assert server.early_polls == 0


@pytest.mark.parametrize("uses_token", [True, False])
def test_a_poll_refused_as_too_early_is_retried_without_going_stale(uses_token: bool) -> None:
    # Clock skew: the client waited what it was told, the service still says "too early".
    with LocalAppConfig(poll_interval=1, refused_poll_uses_token=uses_token) as server:
        server.put(*APP, V1, version_label="v1")
        with (
            capture_logs() as logs,
            Flags.from_appconfig(*APP, client=server.client()) as flags,
        ):
            states: list[State] = []
            flags.on_change(lambda change: states.append(change.state))
            server.inject(Fault.TOO_EARLY, times=2)
            server.put(*APP, V2, version_label="v2")
            assert flags.refresh(timeout=8) is True  # the poll finishes when it is answered
            assert flags.version == "v2"
        assert states == [State.READY]  # the new version; never STALE on the way
        assert not [e for e in logs if e["log_level"] in ("warning", "error")]
        assert server.early_polls == 0
        # Kept tokens keep the session; used-up ones cost one new session, no more.
        assert server.calls("StartConfigurationSession") == (2 if uses_token else 1)


@pytest.mark.parametrize("aws_region", [None, "eu-west-1"])
def test_missing_region_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, aws_region: str | None
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    if aws_region is not None:
        # Lambda sets both; botocore reads AWS_DEFAULT_REGION alone.
        monkeypatch.setenv("AWS_REGION", aws_region)
    with pytest.raises(ValueError, match="no AWS region for AppConfig: pass region_name") as err:
        Flags.from_appconfig(*APP)
    assert "set AWS_DEFAULT_REGION (botocore does not read AWS_REGION)" in str(err.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_local_endpoint_needs_no_region_or_credentials(
    monkeypatch: pytest.MonkeyPatch, server: LocalAppConfig, host: str
) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    server.put(*APP, V1)
    endpoint = server.endpoint_url.replace("127.0.0.1", host)
    with Flags.from_appconfig(*APP, endpoint_url=endpoint) as flags:
        assert flags.get_str("beta.color", "blue") == "red"
    # Anywhere else (a VPC endpoint, say) a region is still needed: it is signed for one.
    with pytest.raises(ValueError, match="no AWS region"):
        Flags.from_appconfig(*APP, endpoint_url="https://appconfigdata.vpce.example.com")


# -- a version counts only when read whole (issue 13, section 2) -------------------------


def test_body_cut_on_the_first_version_starts_a_new_session(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    server.inject(Fault.CUT_BODY)
    with capture_logs() as logs, Flags.from_appconfig(*APP, client=client) as flags:
        # The cut poll loaded nothing: not READY on an empty snapshot.
        assert flags.state is State.NOT_READY
        assert flags.evaluate("beta", False).error_code is ErrorCode.PROVIDER_NOT_READY
        # The next poll starts a session of its own and receives the version whole.
        assert reaches(flags, State.READY)
        assert flags.version == "v1"
        assert flags.get_str("beta.color", "blue") == "red"
    assert server.calls("StartConfigurationSession") == 2
    assert [e["event"] for e in logs].count("appflags.poll_failed") == 1


def test_body_cut_on_a_later_version_starts_a_new_session(
    server: LocalAppConfig, flags: Flags
) -> None:
    server.inject(Fault.CUT_BODY)
    server.put(*APP, V2, version_label="v2")
    # The cut poll is a failure; the one after it fetches version 2 on a new session
    # instead of being told "unchanged" and staying READY on version 1.
    assert wait_for(lambda: flags.version == "v2" and flags.state is State.READY)
    assert flags.get_str("beta.color", "") == "green"
    assert server.calls("StartConfigurationSession") == 2


def test_body_cut_from_the_agent_is_a_failed_poll(server: LocalAppConfig) -> None:
    server.put(*APP, V1)
    with Flags.from_agent(*APP, url=server.endpoint_url, poll_interval=0.05) as flags:
        states: list[State] = []
        flags.on_change(lambda change: states.append(change.state))
        with capture_logs() as logs:
            server.inject(Fault.CUT_BODY, call="Agent")
            server.put(*APP, V2)
            assert wait_for(lambda: flags.version == "2")
        assert states[0] is State.STALE
        failed = [e for e in logs if e["event"] == "appflags.poll_failed"]
        assert failed[0]["error"] == "Agent unreachable: IncompleteRead"
        assert not [e for e in logs if e["event"] == "appflags.rejected"]


def test_unexpected_failure_while_compiling_is_a_rejected_version(
    server: LocalAppConfig, flags: Flags, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = appflags._updates.load  # type: ignore[attr-defined]  # spying on our own module
    loads: list[bytes] = []

    def buggy_load(data: bytes, *args: Any, **kwargs: Any) -> Any:
        loads.append(data)
        if b"boom" in data:
            raise TypeError("'<' not supported between instances of 'int' and 'str'")
        return real_load(data, *args, **kwargs)

    monkeypatch.setattr(appflags._updates, "load", buggy_load)
    with capture_logs() as logs:
        server.put(*APP, {"boom": {"enabled": True}}, version_label="boom")
        assert wait_for(lambda: flags.state is State.STALE)
        # Later polls are "unchanged" on the same session: STALE, not READY, no re-parse.
        polls = server.calls("GetLatestConfiguration")
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= polls + 2)
        assert flags.state is State.STALE
        assert flags.version == "v1"
        assert flags.get_str("beta.color", "blue") == "red"
    assert len([d for d in loads if b"boom" in d]) == 1
    assert server.calls("StartConfigurationSession") == 1  # the session was kept
    events = [e["event"] for e in logs]
    assert "appflags.poll_failed" not in events
    (rejected,) = [e for e in logs if e["event"] == "appflags.rejected"]
    assert rejected["problems"] == ["$: the document could not be read (TypeError)"]
    assert rejected["version"] == "boom"
    server.put(*APP, V2, version_label="v2")
    assert wait_for(lambda: flags.version == "v2" and flags.state is State.READY)


def test_a_rejected_first_version_stays_not_ready(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, b"<html>not json")
    with Flags.from_appconfig(*APP, client=client) as flags:
        polls = server.calls("GetLatestConfiguration")
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= polls + 2)
        assert flags.state is State.NOT_READY  # empty bodies confirm nothing loaded
        server.put(*APP, V1, version_label="v1")
        assert reaches(flags, State.READY)
        assert flags.is_enabled("beta") is True


@pytest.mark.parametrize("bad", ["xml", None, "JSON", "", 1])
def test_unknown_format_is_a_value_error_before_any_call(server: LocalAppConfig, bad: Any) -> None:
    server.put(*APP, V1, version_label="v1")
    with pytest.raises(ValueError, match="format must be one of 'auto', "):
        Flags.from_appconfig(*APP, client=server.client(), format=bad)
    with pytest.raises(ValueError, match="format must be one of"):
        Flags.from_agent(*APP, url=server.endpoint_url, format=bad)
    with pytest.raises(ValueError, match="format must be one of"):
        Flags.from_dict({"beta": {"enabled": True}}, format=bad)
    assert server.calls() == 0


MULTIVARIANT = Path(__file__).parents[2] / "examples" / "flags-multivariant.json"


def test_a_feature_flag_profile_serves_no_variants_a_freeform_one_does(
    server: LocalAppConfig, client: Any
) -> None:
    doc = json.loads(MULTIVARIANT.read_text(encoding="utf-8"))
    qa = {"email": "jane@qa-testers.mycompany.com"}
    server.put(*APP, doc)  # a stored document: a feature-flag profile, as in AWS
    server.put("shop", "prod", "freeform", doc, profile_type=ProfileType.FREEFORM)
    with (
        Flags.from_appconfig(*APP, client=client) as flags,
        Flags.from_appconfig("shop", "prod", "freeform", client=client) as freeform,
    ):
        # The retrieval form: the default variant (disabled here), whatever the context.
        result = flags.evaluate("ui_refresh", True, qa)
        assert (result.value, result.variant, result.reason) == (False, None, Reason.DISABLED)
        assert flags.get_str("ui_refresh._variant", "none", qa) == "none"
        assert flags.version is None  # no Version-Label: AWS sends none
        # The same document in a freeform profile: variants evaluated in-process.
        assert freeform.evaluate("ui_refresh", False, qa).variant == "QA"
        assert freeform.is_enabled("ui_refresh", qa) is True


def test_an_absurd_next_poll_interval_does_not_kill_the_poller() -> None:
    # AWS never announces more than a day (a token lives 24 h); a larger value from the
    # wire made threading raise OverflowError and the poller thread died, READY forever.
    with LocalAppConfig(poll_interval=1e10) as server:
        server.put(*APP, V1, version_label="v1")
        with Flags.from_appconfig(*APP, client=server.client()) as flags:
            assert flags.refresh(timeout=0.3) is False
            time.sleep(0.3)  # let the thread reach its wait; not a timing assertion
            pollers = [t for t in threading.enumerate() if "shop/prod/flags" in t.name]
            assert pollers
            assert all(t.is_alive() for t in pollers)
            assert flags.state is State.READY
            assert server.early_polls == 0


def test_a_new_version_with_the_same_bytes_is_served_under_its_own_label(
    server: LocalAppConfig, flags: Flags
) -> None:
    # Redeploying the same document (a rollback to it after a rejected version, or a
    # plain redeploy) is a new version: READY must not name the old one.
    server.put(*APP, {"beta": {"enabled": "yes"}}, version_label="bad")
    assert reaches(flags, State.STALE)
    server.put(*APP, V1, version_label="v3")
    assert wait_for(lambda: flags.version == "v3")
    assert flags.state is State.READY
    assert flags.evaluate("beta.color", "blue").version == "v3"
    assert flags.evaluate("beta.color", "blue").value == "red"
    server.put(*APP, V1, version_label="v4")
    assert wait_for(lambda: flags.version == "v4")
    assert flags.evaluate("beta.color", "blue").version == "v4"
