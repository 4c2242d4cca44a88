"""Flags.from_agent against LocalAppConfig's Agent route."""

from __future__ import annotations

import pytest

from _support import reaches, wait_for
from appflags import Flags, State
from appflags.testing import Fault, LocalAppConfig

APP = ("shop", "prod", "flags")


def test_agent_flags_load_and_update(server: LocalAppConfig) -> None:
    server.put(*APP, {"beta": {"enabled": True, "color": "red"}})
    with Flags.from_agent(*APP, url=server.endpoint_url, poll_interval=0.05) as flags:
        assert flags.state is State.READY
        assert flags.version == "1"
        assert flags.get_str("beta.color", "") == "red"
        server.put(*APP, {"beta": {"enabled": True, "color": "green"}})
        assert wait_for(lambda: flags.get_str("beta.color", "") == "green")
        assert flags.version == "2"
        # Only the Agent route was used: no AppConfigData session.
        assert server.calls("StartConfigurationSession") == 0
        assert server.calls("Agent") >= 2


def test_agent_failures_keep_last_good_flags(server: LocalAppConfig) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    with Flags.from_agent(*APP, url=server.endpoint_url, poll_interval=0.05) as flags:
        server.inject(Fault.SERVER_ERROR, times=3, call="Agent")
        assert reaches(flags, State.STALE)
        assert flags.is_enabled("beta") is True
        assert reaches(flags, State.READY)
        server.inject(Fault.NOT_JSON, call="Agent")
        assert reaches(flags, State.STALE)
        assert flags.is_enabled("beta") is True
        assert reaches(flags, State.READY)  # the next answer is the good document again


def test_agent_unreachable_starts_not_ready_without_blocking() -> None:
    with Flags.from_agent(*APP, url="http://127.0.0.1:9", wait=2) as flags:
        assert flags.state is State.NOT_READY
        assert flags.is_enabled("beta", default=True) is True


def test_agent_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        Flags.from_agent(*APP, url="file:///etc/passwd")


def test_agent_token_never_shows_in_repr(server: LocalAppConfig) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    flags = Flags.from_agent(*APP, url=server.endpoint_url, token="s3cr3t")
    try:
        assert flags.is_enabled("beta") is True
        assert "s3cr3t" not in repr(flags)
        assert "s3cr3t" not in repr(flags._source)
    finally:
        flags.close()
