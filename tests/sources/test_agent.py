"""Flags.from_agent against LocalAppConfig's Agent route."""

from __future__ import annotations

import http.server
import threading

import pytest

from _support import APP, UNREACHABLE, proxies_to_a_closed_port, reaches, wait_for
from appflags import Flags, State
from appflags.testing import Fault, LocalAppConfig


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
    with Flags.from_agent(*APP, url=UNREACHABLE, wait=2) as flags:
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
        assert "s3cr3t" not in repr(flags._updates._source)
    finally:
        flags.close()


def test_agent_requests_ignore_proxy_settings(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy set for the application's outbound traffic must not carry the calls to the
    # Agent on this host (nor see its token): a closed port stands in for the proxy.
    proxies_to_a_closed_port(monkeypatch)
    server.put(*APP, {"beta": {"enabled": True}})
    with Flags.from_agent(*APP, url=server.endpoint_url, wait=5) as flags:
        assert flags.state is State.READY
        assert flags.is_enabled("beta") is True


class _Redirect(http.server.BaseHTTPRequestHandler):
    target = ""
    asked: list[str]

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(302)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - hook's signature
        """Quiet."""


def test_agent_redirects_are_failures_not_followed(server: LocalAppConfig) -> None:
    # The Agent answers; it never redirects. A redirect (another process on the port, a
    # misconfigured URL) is a failed poll: following it could send the token elsewhere.
    server.put(*APP, {"beta": {"enabled": True}})
    asked: list[str] = []
    handler = type("Redirect", (_Redirect,), {"target": server.endpoint_url, "asked": asked})
    redirector = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=redirector.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}"
        with Flags.from_agent(*APP, url=url, wait=5) as flags:
            assert flags.state is State.NOT_READY
            assert flags.evaluate("beta", False).error_code is not None
        assert asked  # it was asked, and answered 302
        assert server.calls("Agent") == 0
    finally:
        redirector.shutdown()
        redirector.server_close()
