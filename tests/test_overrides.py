"""Local overrides: ``Flags.override``, ``clear_overrides`` and ``APPFLAGS_OVERRIDES``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from _support import PREMIUM, UNREACHABLE, wait_for
from appflags import ErrorCode, Flags, Reason, State
from appflags.cli import main
from appflags.testing import LocalAppConfig

DOC = {"beta": {"enabled": False}, "search": {"enabled": True, "color": "blue"}}


def test_with_block_answers_overridden_keys_then_restores() -> None:
    flags = Flags.from_dict(DOC)
    with flags.override({"beta": True, "search.color": "red"}) as active:
        assert flags.is_enabled("beta") is True
        assert flags.get_bool("beta", False) is True
        assert flags.get_str("search.color", "x") == "red"
        assert dict(active.values) == {"beta": True, "search.color": "red"}
        assert dict(flags.overrides) == {"beta": True, "search.color": "red"}
        result = flags.evaluate("search.color", "x")
        assert (result.value, result.variant, result.reason) == ("red", "override", Reason.STATIC)
    assert flags.is_enabled("beta") is False
    assert flags.get_str("search.color", "x") == "blue"
    assert flags.evaluate("search.color", "x").variant is None
    assert dict(flags.overrides) == {}


def test_keys_are_lookup_keys_exactly() -> None:
    flags = Flags.from_dict(DOC)
    flags.override({"search": False})
    # The flag is overridden, its attribute still comes from the document.
    assert flags.is_enabled("search") is False
    assert flags.get_str("search.color", "x") == "blue"
    flags.override({"beta": True})
    flags.override({"new.limit": 5, "brand-new": True})
    assert flags.get_int("new.limit", 0) == 5
    assert flags.get_float("new.limit", 0.0) == 5.0
    assert flags.enabled_features() == ["beta", "brand-new"]


def test_without_with_until_clear_overrides() -> None:
    flags = Flags.from_dict(DOC)
    flags.override({"search": False})
    flags.override({"beta": True})
    assert flags.enabled_features() == ["beta"]
    flags.clear_overrides()
    assert flags.enabled_features() == ["search"]


def test_later_override_wins_and_ending_it_uncovers_the_earlier() -> None:
    flags = Flags.from_dict(DOC)
    with flags.override({"search.color": "red"}):
        inner = flags.override({"search.color": "green"})
        assert flags.get_str("search.color", "x") == "green"
        inner.end()
        inner.end()  # idempotent
        assert flags.get_str("search.color", "x") == "red"
    assert flags.get_str("search.color", "x") == "blue"


def test_override_beats_rules_and_obeys_type_rules() -> None:
    flags = Flags.from_dict(PREMIUM)
    assert flags.is_enabled("premium", {"tier": "gold"}) is True
    with flags.override({"premium": False}):
        assert flags.is_enabled("premium", {"tier": "gold"}) is False
        assert flags.evaluate("premium", True, {"tier": "gold"}).variant == "override"
    with flags.override({"premium": "yes"}):
        assert flags.is_enabled("premium", {"tier": "gold"}, default=True) is True
        assert flags.is_enabled("premium", {"tier": "gold"}) is False
        assert flags.evaluate("premium", False).error_code is ErrorCode.TYPE_MISMATCH
        assert flags.get_str("premium", "no") == "yes"


def test_override_values_are_copies() -> None:
    flags = Flags.from_dict(DOC)
    limits: dict[str, Any] = {"max": 3}
    flags.override({"limits": limits})
    limits["max"] = 99
    got: dict[str, Any] = flags.get_object("limits", {})
    got["max"] = 42
    assert flags.get_object("limits", {}) == {"max": 3}


@pytest.mark.parametrize("values", [{"k": object()}, {"k": float("nan")}, {1: True}, [("k", 1)]])
def test_unusable_overrides_raise(values: Any) -> None:
    flags = Flags.from_dict(DOC)
    with pytest.raises((TypeError, ValueError)):
        flags.override(values)
    assert dict(flags.overrides) == {}


def test_overrides_belong_to_the_flags_not_to_a_thread() -> None:
    flags = Flags.from_dict(DOC)
    other = Flags.from_dict(DOC)
    seen: list[bool] = []
    with flags.override({"beta": True}):
        thread = threading.Thread(target=lambda: seen.append(flags.is_enabled("beta")))
        thread.start()
        thread.join()
        assert other.is_enabled("beta") is False
    assert seen == [True]


def test_overrides_outlive_new_versions(server: LocalAppConfig) -> None:
    server.put("shop", "prod", "ovr", DOC)
    with Flags.from_appconfig("shop", "prod", "ovr", client=server.client()) as flags:
        flags.override({"beta": True})
        server.put("shop", "prod", "ovr", {**DOC, "search": {"enabled": False}}, version_label="v2")
        assert wait_for(lambda: flags.version == "v2")
        assert flags.is_enabled("search") is False  # the new document answers
        assert flags.is_enabled("beta") is True  # the override still does
        flags.clear_overrides()
        assert flags.is_enabled("beta") is False


def test_overrides_answer_before_any_flags_arrive() -> None:
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, wait=0) as flags:
        flags.override({"beta": True})
        assert flags.state is State.NOT_READY
        assert flags.is_enabled("beta") is True
        assert flags.evaluate("beta", False).variant == "override"
        assert flags.evaluate("other", False).error_code is ErrorCode.PROVIDER_NOT_READY


def test_one_log_event_when_overrides_become_active() -> None:
    flags = Flags.from_dict(DOC)
    with capture_logs() as logs:
        flags.override({"beta": True})
        flags.override({"search": False})
        flags.clear_overrides()
        flags.override({"beta": True})
    events = [e for e in logs if e["event"] == "appflags.overrides_active"]
    assert [e["keys"] for e in events] == [["beta"], ["beta"]]
    assert all(e["log_level"] == "warning" for e in events)
    assert "True" not in json.dumps(events, default=str)  # never the values


def test_environment_variable_with_json_layers_over_every_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": true, "search.color": "red"}')
    with capture_logs() as logs:
        one, two = Flags.from_dict(DOC), Flags.from_dict({"beta": {"enabled": False}})
    assert one.is_enabled("beta")
    assert two.is_enabled("beta")
    assert one.get_str("search.color", "x") == "red"
    assert [e["from_environment"] for e in logs if e["event"] == "appflags.overrides_active"] == [
        ["beta", "search.color"],
        ["beta", "search.color"],
    ]
    one.clear_overrides()
    assert one.is_enabled("beta") is False


def test_environment_variable_with_a_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps({"search": False}), encoding="utf-8")
    monkeypatch.setenv("APPFLAGS_OVERRIDES", str(path))
    flags = Flags.from_dict(DOC)
    assert flags.is_enabled("search") is False
    with flags.override({"search": True}):  # the code's override wins over the environment
        assert flags.is_enabled("search") is True
    assert flags.is_enabled("search") is False


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        "[1, 2]",
        "/nonexistent/overrides.json",
        '{"": true}',  # a key no lookup can name
        '{"k": NaN}',
        '{"k": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nested past the recursion limit
    ],
)
def test_unusable_environment_variable_is_logged_and_ignored(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("APPFLAGS_OVERRIDES", value)
    with capture_logs() as logs:
        flags = Flags.from_dict(DOC)
    assert flags.is_enabled("search") is True
    assert [e["event"] for e in logs] == ["appflags.overrides_ignored"]
    assert logs[0]["log_level"] == "error"


@pytest.mark.parametrize(
    ("value", "kind"),
    [("[1,2]", "array"), ("true", "boolean"), ('"beta"', "string"), ("3", "number")],
)
def test_environment_variable_with_json_that_is_not_an_object_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str, kind: str
) -> None:
    monkeypatch.setenv("APPFLAGS_OVERRIDES", value)
    with capture_logs() as logs:
        flags = Flags.from_dict(DOC)
    assert flags.is_enabled("search") is True
    [event] = logs
    assert event["event"] == "appflags.overrides_ignored"
    assert f"not a JSON object (got a JSON {kind})" in event["error"]
    assert "No such file" not in event["error"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_environment_variable_naming_a_pipe_is_refused_without_waiting_for_a_writer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Reading a named pipe blocks until something writes to it: Flags were never built.
    pipe = tmp_path / "overrides"
    os.mkfifo(pipe)
    monkeypatch.setenv("APPFLAGS_OVERRIDES", str(pipe))
    built: list[Flags] = []
    with capture_logs() as logs:
        builder = threading.Thread(target=lambda: built.append(Flags.from_dict(DOC)), daemon=True)
        builder.start()
        builder.join(30)  # a guard against a hang, not a timing
    if builder.is_alive():  # release the reader the old code left blocked
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    assert built, "Flags.from_dict waited for a writer to APPFLAGS_OVERRIDES' pipe"
    assert built[0].is_enabled("search") is True
    [event] = logs
    assert event["event"] == "appflags.overrides_ignored"
    assert "not a regular file" in event["error"]


def test_environment_variable_with_a_quoted_home_path_is_expanded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "ov.json").write_text(json.dumps({"search": False}), encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPFLAGS_OVERRIDES", "~/ov.json")  # as the shell leaves it when quoted
    with capture_logs() as logs:
        flags = Flags.from_dict(DOC)
    assert flags.is_enabled("search") is False
    assert [e["event"] for e in logs] == ["appflags.overrides_active"]


def test_environment_variable_naming_a_file_called_true_reads_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "true").write_text(json.dumps({"search": False}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APPFLAGS_OVERRIDES", "true")
    assert Flags.from_dict(DOC).is_enabled("search") is False


def test_cli_eval_says_when_an_override_applies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOC), encoding="utf-8")
    assert main(["eval", str(document), "beta"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["value"] is False
    assert "override" not in plain

    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": true}')
    with capture_logs():  # in-process, structlog's default output is stdout
        assert main(["eval", str(document), "beta"]) == 0
    captured = capsys.readouterr()
    output = json.loads(captured.out)
    assert (output["value"], output["variant"], output["override"]) == (True, "override", True)
    assert "beta: answered by an override (APPFLAGS_OVERRIDES)" in captured.err

    # The installed command logs to stderr: stdout stays one JSON document for pipes.
    result = subprocess.run(
        [sys.executable, "-m", "appflags", "eval", str(document), "beta"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["override"] is True
    assert "appflags.overrides_active" in result.stderr


def test_the_documented_example_runs() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "overrides.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(page), "exec"), {"__name__": "docs"})  # noqa: S102 - our own docs


def test_the_developer_s_environment_overrides_never_reach_the_suite() -> None:
    # docs/overrides.md suggests exporting APPFLAGS_OVERRIDES: the project's tests must
    # hold with it set, even without the plugin's own isolation (tests/conftest.py clears it).
    tests = Path(__file__).resolve().parent
    overrides = '{"beta": false, "beta.color": "purple"}'  # keys test_lookups.py reads
    command = [sys.executable, "-m", "pytest", "-p", "no:appflags", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-q", str(tests / "test_lookups.py")],
        cwd=tests.parent,
        env={**os.environ, "APPFLAGS_OVERRIDES": overrides},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
