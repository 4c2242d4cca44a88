"""``bootstrap=``: answers until the first fetch succeeds, reported as STALE, never after."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from openfeature.flag_evaluation import Reason as OpenFeatureReason
from structlog.testing import capture_logs

from _support import FAST_CONFIG, PREMIUM, UNREACHABLE, reaches
from appflags import Flags, Reason, SchemaError, State
from appflags._backup import Backup
from appflags.openfeature import AppFlagsProvider
from appflags.testing import Fault, LocalAppConfig

BOOTSTRAP = {"beta": {"enabled": True, "color": "bootstrap-red"}, "old": {"enabled": True}}
SERVED = {"beta": {"enabled": True, "color": "served-green"}}


def test_answers_from_bootstrap_as_stale_while_nothing_was_fetched() -> None:
    with capture_logs() as logs:
        flags = Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=BOOTSTRAP, wait=1)
    with flags:
        assert flags.state is State.STALE
        assert flags.version is None
        assert flags.is_enabled("beta") is True
        assert flags.get_str("beta.color", "x") == "bootstrap-red"
        result = flags.evaluate("beta.color", "x")
        assert (result.value, result.reason, result.error_code) == (
            "bootstrap-red",
            Reason.STALE,
            None,
        )
        missing = flags.evaluate("nope", "x")
        assert missing.reason is Reason.ERROR  # errors stay errors
    assert [e["bootstrap"] for e in logs if e["event"] == "appflags.bootstrap_loaded"] == [
        "bootstrap"
    ]


def test_rules_from_bootstrap_answer_per_context_with_reason_stale() -> None:
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=PREMIUM, wait=0) as flags:
        assert flags.is_enabled("premium", {"tier": "gold"}) is True
        assert flags.is_enabled("premium", {"tier": "free"}) is False
        gold = flags.evaluate("premium", False, {"tier": "gold"})
        assert (gold.value, gold.variant, gold.reason) == (True, "gold", Reason.STALE)
        # Answers stay shared per variant, as for fetched flags (not rebuilt per lookup).
        assert flags.evaluate("premium", False, {"tier": "gold"}) is gold


def test_agent_multi_variant_flags_from_bootstrap_answer_stale_and_never_ask_the_agent(
    server: LocalAppConfig,
) -> None:
    # What the Agent answered once (its retrieval form, with "_variant"), kept as the
    # bootstrap. Nothing is deployed: the Agent answers 404 until it is.
    bootstrap = {
        "ui_refresh": {"_variant": "Dark", "enabled": True, "theme": "night"},
        "checkout": {"enabled": True},
    }
    with Flags.from_agent(
        "shop", "prod", "flags", url=server.endpoint_url, bootstrap=bootstrap, wait=0
    ) as flags:
        for n in range(5):  # new contexts, each of which would be a request to the Agent
            context = {"targetingKey": f"u-{n}"}
            answer = flags.evaluate("ui_refresh.theme", "day", context)
            assert (answer.value, answer.variant, answer.reason, answer.error_code) == (
                "night",
                "Dark",
                Reason.STALE,
                None,
            )
            assert flags.evaluate("ui_refresh", False, context).reason is Reason.STALE
            assert flags.is_enabled("ui_refresh", context) is True
        assert flags.enabled_features({"targetingKey": "u-9"}) == ["ui_refresh", "checkout"]
        assert flags.state is State.STALE
    assert [c for c in server.log if c.agent is not None and c.agent.flags] == []


def test_the_first_fetch_replaces_it_for_good(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "boot", SERVED)
    server.inject(Fault.SERVER_ERROR, times=2)
    flags = Flags.from_appconfig(
        "shop",
        "prod",
        "boot",
        client=server.client(config=FAST_CONFIG),
        bootstrap=BOOTSTRAP,
        wait=0,
    )
    with flags:
        assert flags.get_str("beta.color", "x") == "bootstrap-red"
        assert reaches(flags, State.READY)
        assert flags.get_str("beta.color", "x") == "served-green"
        assert flags.evaluate("beta.color", "x").reason is Reason.STATIC
        assert flags.is_enabled("old") is False  # the bootstrap's extra flag is gone too
        # AppConfig fails from now on: the fetched flags keep answering, never the bootstrap.
        server.inject(Fault.SERVER_ERROR, times=-1)
        flags.refresh()
        assert reaches(flags, State.STALE)
        assert flags.get_str("beta.color", "x") == "served-green"
        assert flags.evaluate("beta.color", "x").reason is Reason.STATIC


def test_a_fetched_document_identical_to_the_bootstrap_still_becomes_ready(
    server: LocalAppConfig,
) -> None:
    server.put("shop", "prod", "same", BOOTSTRAP, version_label="v1")
    with Flags.from_appconfig(
        "shop", "prod", "same", client=server.client(), bootstrap=BOOTSTRAP
    ) as flags:
        assert flags.state is State.READY
        assert flags.version == "v1"
        assert flags.evaluate("beta", False).reason is Reason.STATIC


def test_from_a_path_and_from_a_packaged_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(BOOTSTRAP), encoding="utf-8")
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=path, wait=0) as flags:
        assert flags.get_str("beta.color", "x") == "bootstrap-red"
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=str(path), wait=0) as flags:
        assert flags.is_enabled("old") is True

    package = tmp_path / "site" / "shopapp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "flags.json").write_text(json.dumps(PREMIUM), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    resource = resources.files("shopapp") / "flags.json"
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=resource, wait=0) as flags:
        assert flags.is_enabled("premium", {"tier": "gold"}) is True


def test_a_valid_backup_wins_over_the_bootstrap(tmp_path: Path) -> None:
    backup = tmp_path / "flags.backup"
    Backup(backup).save(json.dumps(SERVED).encode(), "application/json", "7")
    with Flags.from_agent(
        "a", "e", "p", url=UNREACHABLE, backup=backup, bootstrap=BOOTSTRAP, wait=0
    ) as flags:
        assert flags.state is State.STALE
        assert flags.version == "7"
        assert flags.get_str("beta.color", "x") == "served-green"


def test_a_corrupt_backup_leaves_the_bootstrap_answering(tmp_path: Path) -> None:
    backup = tmp_path / "flags.backup"
    backup.write_bytes(b"\x00garbage")
    with Flags.from_agent(
        "a", "e", "p", url=UNREACHABLE, backup=backup, bootstrap=BOOTSTRAP, wait=0
    ) as flags:
        assert flags.get_str("beta.color", "x") == "bootstrap-red"
        assert flags.evaluate("beta", False).reason is Reason.STALE


@pytest.mark.parametrize(
    ("bootstrap", "error"),
    [
        ({"beta": {"enabled": "yes"}}, SchemaError),
        ({"beta": {1, 2}}, SchemaError),
        ("/nonexistent/bootstrap.json", OSError),
    ],
)
def test_an_unusable_bootstrap_raises_where_it_is_given(
    bootstrap: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Flags.from_agent(
            "a", "e", "p", url=UNREACHABLE, bootstrap=bootstrap, wait=0, format="appconfig"
        )


def test_openfeature_reports_stale() -> None:
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, bootstrap=BOOTSTRAP, wait=0) as flags:
        details = AppFlagsProvider(flags).resolve_string_details("beta.color", "x")
        assert details.value == "bootstrap-red"
        assert details.reason == OpenFeatureReason.STALE
