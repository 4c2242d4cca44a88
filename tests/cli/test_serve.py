"""``appflags serve``: several files, refusing invalid ones, ``--ui``, ``--host``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ProviderNotReadyError

from _support import wait_for
from appflags import Flags
from appflags.cli import main
from appflags.openfeature import AppFlagsProvider
from appflags.testing import LocalAppConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXAMPLES = Path(__file__).parents[2] / "examples"


class Served:
    """A running ``appflags serve``: what it printed, and where it listens."""

    def __init__(self, process: subprocess.Popen[str], lines: list[str]) -> None:
        self.process = process
        self.lines = lines

    def find(self, pattern: str) -> str:
        assert wait_for(lambda: any(re.search(pattern, line) for line in self.lines))
        return next(m.group(0) for line in self.lines if (m := re.search(pattern, line)))


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start ``appflags serve ARGS...``; stopped with SIGINT after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Served:
        process = subprocess.Popen(
            [sys.executable, "-m", "appflags", "serve", *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
        )
        started.append(process)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True).start()
        return Served(process, lines)

    yield start
    for process in started:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_an_invalid_file_is_refused_at_start_with_its_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "flags.json"
    bad.write_text('{"beta": {"enabled": "yes"}}')
    assert main(["serve", str(bad), "--port", "0"]) == 1
    captured = capsys.readouterr()
    assert "$.beta.enabled" in captured.err
    assert "not served" in captured.err
    assert "Serving" not in captured.out


def test_each_file_is_a_profile_named_after_its_stem(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    one = tmp_path / "checkout.json"
    one.write_text(json.dumps({"fast": {"enabled": True}}))
    two = tmp_path / "search.json"
    two.write_text(json.dumps({"v2": {"default": True}}))
    served = serve(str(one), str(two))
    endpoint = served.find(r"http://127\.0\.0\.1:\d+")
    for profile, key in (("checkout", "fast"), ("search", "v2")):
        with Flags.from_appconfig("local", "local", profile, endpoint_url=endpoint) as flags:
            assert flags.is_enabled(key)


def test_a_bad_edit_keeps_the_last_good_version_served_and_says_why(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"beta": {"enabled": True}}))
    served = serve(str(path))
    endpoint = served.find(r"http://127\.0\.0\.1:\d+")
    path.write_text('{"beta": {"enabled": "yes"}}')
    served.find(r"still serving version 1")
    assert any("$.beta.enabled" in line for line in served.lines)
    with Flags.from_appconfig("local", "local", "flags", endpoint_url=endpoint) as flags:
        assert flags.is_enabled("beta") is True
    path.write_text(json.dumps({"beta": {"enabled": False}}))
    served.find(r"served as version 2")


def test_ui_prints_the_console_address_and_serves_it(serve: Callable[..., Served]) -> None:
    served = serve(str(EXAMPLES / "flags.json"), "--ui")
    url = served.find(r"http://127\.0\.0\.1:\d+/ui/")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local
        assert "new-checkout" in response.read().decode()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["a.json", "b.json", "--profile", "p"], "--profile names the profile of one FILE"),
        (["x/flags.json", "y/flags.json"], "would both be profile 'flags'"),
    ],
)
def test_profiles_that_cannot_be_named_are_usage_errors(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *args]) == 2
    assert words in capsys.readouterr().err


def test_profile_still_names_a_single_file(tmp_path: Path, serve: Callable[..., Served]) -> None:
    path = tmp_path / "anything.json"
    path.write_text(json.dumps({"beta": {"enabled": True}}))
    served = serve(str(path), "--profile", "named")
    assert "as 'named'" in served.find(r"Serving .* as 'named'")


def test_a_host_other_than_loopback_is_warned_about(serve: Callable[..., Served]) -> None:
    everywhere = "0.0.0.0"  # noqa: S104 - binding every interface is what is tested
    served = serve(str(EXAMPLES / "flags.json"), "--host", everywhere)
    assert "warning: listening on 0.0.0.0" in served.find(r"warning: listening on 0\.0\.0\.0.*")


def test_a_watched_profile_with_nothing_valid_is_not_a_missing_profile(tmp_path: Path) -> None:
    # Issue 23 item 7: AWS names the configuration, not the profile, when a profile
    # exists with nothing (valid) deployed; a client must not take it for a typo.
    bad = tmp_path / "flags.json"
    bad.write_text('{"version": "1", "flags": {"a": {}}, "values": {"a": {"enabled": "x"}}}')
    with LocalAppConfig() as server:
        server.watch_file("local", "local", "flags", bad)
        client = server.client()
        with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
            client.start_configuration_session(
                ApplicationIdentifier="local",
                EnvironmentIdentifier="local",
                ConfigurationProfileIdentifier="flags",
            )
        assert dict(raised.value.response)["ResourceType"] == "Configuration"
        with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
            client.start_configuration_session(
                ApplicationIdentifier="local",
                EnvironmentIdentifier="local",
                ConfigurationProfileIdentifier="other",
            )
        assert dict(raised.value.response)["ResourceType"] == "ConfigurationProfile"


def test_no_traceback_when_the_environment_has_no_terminal(tmp_path: Path) -> None:
    bad = tmp_path / "flags.json"
    bad.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "appflags", "serve", str(bad), "--port", "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_client_of_a_profile_with_nothing_valid_recovers_once_the_file_is_fixed(
    tmp_path: Path,
) -> None:
    # The OpenFeature provider took the 404 naming the profile for a typo (FATAL, for
    # good); naming the configuration, it is "nothing deployed yet" and polling goes on.
    path = tmp_path / "flags.json"
    path.write_text('{"version": "1", "flags": {"a": {}}, "values": {"a": {"enabled": "x"}}}')
    with LocalAppConfig(poll_interval=1) as server:
        server.watch_file("local", "local", "flags", path)
        flags = Flags.from_appconfig(
            "local", "local", "flags", endpoint_url=server.endpoint_url, wait=0
        )
        provider = AppFlagsProvider(flags, wait=0.5)
        try:
            assert wait_for(lambda: server.calls("StartConfigurationSession") >= 1)
            with pytest.raises(ProviderNotReadyError):  # not ProviderFatalError
                provider.initialize(EvaluationContext())
            path.write_text(
                json.dumps({"version": "1", "flags": {"a": {}}, "values": {"a": {"enabled": True}}})
            )
            assert wait_for(lambda: flags.is_enabled("a"), timeout=30)
        finally:
            flags.close()
