"""Every example in examples/ runs against LocalAppConfig and does what its docstring says."""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from _support import wait_for
from appflags import Flags
from appflags.cli import main
from appflags.testing import LocalAppConfig
from appflags.testing.pytest_plugin import LocalProfile, OverrideFlags

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
POWERTOOLS_DOC: dict[str, Any] = json.loads(
    (EXAMPLES / "flags-powertools.json").read_text(encoding="utf-8")
)
APPCONFIG_DOC = json.loads((EXAMPLES / "flags.json").read_text(encoding="utf-8"))
_serial = itertools.count()

Loader = Callable[[str], ModuleType]


@pytest.fixture
def profile() -> str:
    """A profile name of its own per test, so poller thread names never collide."""
    return f"flags-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def load_example() -> Iterator[Loader]:
    """Import an example file as a fresh module; close the Flags it built afterwards."""
    loaded: list[ModuleType] = []

    def load(name: str) -> ModuleType:
        module_name = f"example_{name}_{next(_serial)}"
        spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # Flask finds its root path through sys.modules
        spec.loader.exec_module(module)
        loaded.append(module)
        return module

    yield load
    for module in loaded:
        flags = getattr(module, "flags", None)
        if isinstance(flags, Flags):
            flags.close()
        sys.modules.pop(module.__name__, None)


@pytest.fixture
def web_profile(monkeypatch: pytest.MonkeyPatch, appflags_profile: LocalProfile) -> LocalProfile:
    """The environment variables that point the web examples at the plugin's profile
    (its document comes from each test's ``appflags_document`` marker)."""
    monkeypatch.setenv("APPFLAGS_APPLICATION", appflags_profile.application)
    monkeypatch.setenv("APPFLAGS_ENVIRONMENT", appflags_profile.environment)
    monkeypatch.setenv("APPFLAGS_PROFILE", appflags_profile.profile)
    monkeypatch.setenv("APPFLAGS_ENDPOINT_URL", appflags_profile.endpoint_url)
    return appflags_profile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _poller_threads(profile: str) -> list[str]:
    return [t.name for t in threading.enumerate() if profile in t.name and t.is_alive()]


# ------------------------------------------------------------------ example documents


def test_powertools_document_validates_and_answers_by_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = EXAMPLES / "flags-powertools.json"
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: ok (powertools format, 4 flags)"

    flags = Flags.from_file(path)
    assert flags.is_enabled("premium_features", {"tier": "gold"}) is True
    assert flags.is_enabled("premium_features", {"tier": "free"}) is False
    assert flags.is_enabled("new_checkout", {"email": "ann@example.com"}) is True
    assert flags.is_enabled("new_checkout", {"country": "DE", "user_id": "u-2"}) is True
    assert flags.is_enabled("new_checkout", {"country": "DE", "user_id": "u-9"}) is False
    gold = flags.evaluate("checkout_limits", {}, {"tier": "gold"})
    assert gold.value == {"max_items": 50, "express_shipping": True}
    assert gold.variant == "gold tier"
    free: dict[str, Any] = flags.get_object("checkout_limits", {}, {"tier": "free"})
    assert free["max_items"] == 10


def test_plain_json_document_is_looked_up_by_dotted_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = EXAMPLES / "flags-json.json"
    assert main(["validate", str(path)]) == 0
    assert "ok (json format" in capsys.readouterr().out

    config = Flags.from_file(path)
    assert config.get_str("checkout.payment_provider.name", "none") == "stripe"
    assert config.get_int("checkout.payment_provider.timeout_ms", 0) == 800
    assert config.get_float("search.boost_recent", 1.0) == 1.5
    assert config.get_object("checkout.currencies", []) == ["EUR", "USD", "GBP"]
    assert config.get_bool("maintenance.read_only", True) is False


# ---------------------------------------------------------------------- lambda_handler


def _invoke(module: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    response = module.handler(event, None)
    assert response["statusCode"] == 200
    body: dict[str, Any] = json.loads(response["body"])
    return body


def test_lambda_handler_reads_flags_from_appconfig_per_event(
    monkeypatch: pytest.MonkeyPatch, load_example: Loader, profile: str
) -> None:
    # AppConfig asks for 300 s between polls: any call during the invocations below
    # would have come from the handler itself.
    with LocalAppConfig(poll_interval=300) as server:
        server.put("shop", "prod", profile, APPCONFIG_DOC, version_label="v1")
        monkeypatch.setenv("APPFLAGS_PROFILE", profile)
        monkeypatch.setenv("APPFLAGS_ENDPOINT_URL", server.endpoint_url)
        monkeypatch.delenv("APPFLAGS_SOURCE", raising=False)

        module = load_example("lambda_handler")
        polls = server.calls("GetLatestConfiguration")
        assert polls == 1
        for user in range(200):
            body = _invoke(module, {"user_id": f"u-{user}", "tier": "gold"})
        assert body == {
            "checkout": "new",
            "button_color": "green",
            "max_items": 25,
            "banner": "Try the new checkout!",
            "flags_version": "v1",
            "flags_state": "READY",
        }
        assert server.calls("GetLatestConfiguration") == polls
        assert server.calls("Agent") == 0


def test_lambda_handler_through_the_appconfig_extension(
    monkeypatch: pytest.MonkeyPatch, load_example: Loader, profile: str, server: LocalAppConfig
) -> None:
    server.put("shop", "prod", profile, APPCONFIG_DOC)
    monkeypatch.setenv("APPFLAGS_PROFILE", profile)
    monkeypatch.setenv("APPFLAGS_SOURCE", "agent")
    # No APPFLAGS_AGENT_URL: the address follows the extension's own port variable.
    monkeypatch.delenv("APPFLAGS_AGENT_URL", raising=False)
    port = server.endpoint_url.rsplit(":", 1)[1]
    monkeypatch.setenv("AWS_APPCONFIG_EXTENSION_HTTP_PORT", port)

    module = load_example("lambda_handler")
    body = _invoke(module, {"user_id": "u-1"})
    assert body["checkout"] == "new"
    assert body["max_items"] == 25
    assert body["flags_state"] == "READY"
    assert server.calls("Agent") >= 1
    assert server.calls("StartConfigurationSession") == 0


def test_lambda_handler_answers_defaults_when_the_extension_is_down(
    monkeypatch: pytest.MonkeyPatch, load_example: Loader
) -> None:
    monkeypatch.setenv("APPFLAGS_SOURCE", "agent")
    monkeypatch.setenv("APPFLAGS_AGENT_URL", f"http://127.0.0.1:{_free_port()}")

    module = load_example("lambda_handler")
    assert _invoke(module, {"user_id": "u-1", "tier": "gold"}) == {
        "checkout": "classic",
        "button_color": "blue",
        "max_items": 10,
        "banner": None,
        "flags_version": None,
        "flags_state": "NOT_READY",
    }


# --------------------------------------------------------------------------- flask_app


@pytest.mark.appflags_document(POWERTOOLS_DOC, version_label="v1")
def test_flask_request_headers_become_the_rule_context(
    load_example: Loader, web_profile: LocalProfile
) -> None:
    module = load_example("flask_app")
    client = module.app.test_client()
    assert client.get("/healthz").json == {"state": "READY", "version": "v1", "pid": os.getpid()}

    anonymous = client.get("/checkout").json
    assert anonymous["premium"] is False
    assert anonymous["new_checkout"] is False
    assert anonymous["max_items"] == 10
    assert anonymous["enabled"] == []

    gold = client.get("/checkout", headers={"X-Tier": "gold"}).json
    assert gold["premium"] is True
    assert gold["max_items"] == 50
    assert gold["enabled"] == ["premium_features"]

    staff = client.get("/checkout", headers={"X-User-Email": "ann@example.com"}).json
    assert staff["new_checkout"] is True
    beta = client.get(
        "/checkout", headers={"X-User-Id": "u-3", "CloudFront-Viewer-Country": "DE"}
    ).json
    assert beta["new_checkout"] is True

    # A new version reaches the running app without a restart.
    web_profile.deploy({**POWERTOOLS_DOC, "dark_mode": {"default": True}}, version_label="v2")
    assert wait_for(lambda: client.get("/checkout").json["dark_mode"] is True)
    assert client.get("/healthz").json["version"] == "v2"


@pytest.mark.appflags_document(POWERTOOLS_DOC)
def test_flask_views_under_flag_overrides(
    load_example: Loader, web_profile: LocalProfile, appflags_override: OverrideFlags
) -> None:
    module = load_example("flask_app")
    client = module.app.test_client()
    # What a unit test of one view does: pin the flags it depends on, for this test only.
    appflags_override(module.flags, {"new_checkout": True, "checkout_limits": {"max_items": 99}})
    answer = client.get("/checkout").json
    assert answer["new_checkout"] is True
    assert answer["max_items"] == 99
    assert answer["premium"] is False  # not overridden: the document answers
    assert answer["enabled"] == ["new_checkout"]


# ------------------------------------------------------------------------- fastapi_app


@pytest.mark.appflags_document(POWERTOOLS_DOC, version_label="v1")
def test_fastapi_lifespan_owns_the_flags(load_example: Loader, web_profile: LocalProfile) -> None:
    profile = web_profile.profile
    module = load_example("fastapi_app")
    assert _poller_threads(profile) == []  # importing the app builds nothing
    with TestClient(module.app) as client:
        assert _poller_threads(profile) == [f"appflags-poller[appconfigdata:app/test/{profile}]"]
        assert client.get("/healthz").json() == {"state": "READY", "version": "v1"}

        anonymous = client.get("/checkout").json()
        assert anonymous["premium"] is False
        assert anonymous["max_items"] == 10
        gold = client.get("/checkout", headers={"x-tier": "gold"}).json()
        assert gold["premium"] is True
        assert gold["max_items"] == 50
        staff = client.get("/checkout", headers={"x-user-email": "bo@example.com"}).json()
        assert staff["new_checkout"] is True

        web_profile.deploy({**POWERTOOLS_DOC, "dark_mode": {"default": True}})
        assert wait_for(lambda: client.get("/checkout").json()["dark_mode"] is True)
    # Shutdown closed the flags: their poller thread is gone.
    assert _poller_threads(profile) == []


@pytest.mark.appflags_document(POWERTOOLS_DOC)
def test_fastapi_views_under_flag_overrides(
    load_example: Loader, web_profile: LocalProfile, appflags_override: OverrideFlags
) -> None:
    module = load_example("fastapi_app")
    with TestClient(module.app) as client:
        appflags_override(module.app.state.flags, {"premium_features": True, "dark_mode": True})
        answer = client.get("/checkout").json()
        assert answer["premium"] is True
        assert answer["dark_mode"] is True
        assert answer["max_items"] == 10  # checkout_limits is not overridden
        assert answer["enabled"] == ["premium_features", "dark_mode"]


def test_fastapi_tests_can_swap_in_flags_from_a_dict(
    monkeypatch: pytest.MonkeyPatch, load_example: Loader, profile: str
) -> None:
    monkeypatch.setenv("APPFLAGS_PROFILE", profile)
    module = load_example("fastapi_app")
    module.app.dependency_overrides[module.get_flags] = lambda: Flags.from_dict(
        {"premium_features": {"default": True}}
    )
    client = TestClient(module.app)  # no lifespan: nothing reaches AppConfig
    answer = client.get("/checkout").json()
    assert answer["premium"] is True
    assert answer["max_items"] == 10  # checkout_limits is missing: the default answers
    assert _poller_threads(profile) == []


# ------------------------------------------------------------------------ docs snippets


def _docs_snippet(page: str, containing: str) -> str:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks: list[str] = [
        b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if containing in b
    ]
    assert len(blocks) == 1, f"{page}: {len(blocks)} python blocks contain {containing!r}"
    return blocks[0]


def _run_snippet(page: str, containing: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "snippet"}
    code = compile(_docs_snippet(page, containing), f"docs/{page}", "exec")
    exec(code, namespace)  # noqa: S102 - the documentation's own example, run as a test
    return namespace


def _validator_event(version: str, content: bytes) -> dict[str, str]:
    return {
        "applicationId": "abc1234",
        "configurationProfileId": "def5678",
        "configurationVersion": version,
        "content": base64.b64encode(content).decode("ascii"),
        "uri": "hosted",
    }


def test_the_lambda_validator_in_the_docs_refuses_what_appflags_rejects() -> None:
    handler = _run_snippet("schemas.md", "def handler(event")["handler"]
    assert handler(_validator_event("3", json.dumps(POWERTOOLS_DOC).encode()), None) is None

    bad = {"premium_features": {"default": "yes"}, "dark_mode": {"rules": {}}}
    with pytest.raises(ValueError, match="version 4 rejected") as rejected:
        handler(_validator_event("4", json.dumps(bad).encode()), None)
    assert "$.premium_features.default" in str(rejected.value)
    assert "$.dark_mode" in str(rejected.value)
    with pytest.raises(ValueError, match="version 5 rejected"):
        handler(_validator_event("5", b"{not json"), None)


def test_the_jsonschema_snippet_in_the_docs_prints_each_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schemas").mkdir()
    shutil.copy(ROOT / "schemas" / "powertools.schema.json", tmp_path / "schemas")
    (tmp_path / "config" / "flags").mkdir(parents=True)
    bad = {"premium_features": {"default": "yes"}}
    (tmp_path / "config" / "flags" / "checkout.json").write_text(json.dumps(bad))
    monkeypatch.chdir(tmp_path)
    _run_snippet("schemas.md", "Draft202012Validator")
    assert capsys.readouterr().out.startswith("$.premium_features.default ")


# ---------------------------------------------------------------------------- gunicorn


def _get(url: str) -> dict[str, Any] | None:
    # The URL is the local gunicorn this test started.
    request = urllib.request.Request(url, headers={"X-Tier": "gold"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
            return body
    except (urllib.error.URLError, OSError):
        return None


def _answers(url: str, count: int = 8) -> list[dict[str, Any]]:
    # Concurrent requests, so that a busy worker leaves the next one to the other worker.
    with ThreadPoolExecutor(count) as pool:
        return [a for a in pool.map(_get, [url] * count) if a is not None]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="gunicorn needs fork()")
def test_gunicorn_preloaded_workers_poll_after_fork(
    tmp_path: Path, profile: str, server: LocalAppConfig
) -> None:
    server.put("shop", "prod", profile, POWERTOOLS_DOC)
    port = _free_port()
    env = {
        **os.environ,
        "APPFLAGS_PROFILE": profile,
        "APPFLAGS_ENDPOINT_URL": server.endpoint_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        master = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(EXAMPLES / "gunicorn.conf.py")],
            cwd=tmp_path,  # the config finds flask_app.py by itself
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    checkout = f"http://127.0.0.1:{port}/checkout"
    try:
        assert wait_for(lambda: _get(checkout) is not None, timeout=10), log.read_text()

        # Both workers answer from the flags the master loaded before forking.
        seen: dict[int, dict[str, Any]] = {}

        def both_workers_answered() -> bool:
            seen.update((a["pid"], a) for a in _answers(checkout))
            return len(seen) >= 2

        assert wait_for(both_workers_answered, timeout=5), f"{seen}\n{log.read_text()}"
        assert len(seen) == 2
        assert master.pid not in seen
        for answer in seen.values():
            assert answer["premium"] is True  # the gold rule matched: flags, not defaults
            assert answer["max_items"] == 50
            assert answer["dark_mode"] is False

        # Each worker polls on its own after the fork: a new version reaches both.
        server.put("shop", "prod", profile, {**POWERTOOLS_DOC, "dark_mode": {"default": True}})
        updated: set[int] = set()

        def both_workers_updated() -> bool:
            updated.update(a["pid"] for a in _answers(checkout) if a["dark_mode"] is True)
            return updated >= set(seen)

        assert wait_for(both_workers_updated, timeout=8), f"{updated}\n{log.read_text()}"
        # Master and workers each run their own AppConfigData session, and no worker
        # reused a token it inherited from the master.
        assert server.calls("StartConfigurationSession") >= 3
        tokens = [c.token for c in server.log if c.operation == "GetLatestConfiguration"]
        assert len(tokens) == len(set(tokens))
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
