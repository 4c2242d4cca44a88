"""A key defined twice: refused in a local file, read as AWS reads it (the last
definition) in a fetched version, with one warning naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from _support import FAST_CONFIG, reaches, wait_for
from appflags import Flags, SchemaError, State
from appflags.cli import main
from appflags.testing import LocalAppConfig

TWICE_JSON = (
    '{"beta": {"enabled": true}, "gamma": {"enabled": true, "limit": 1, "limit": 2},'
    ' "beta": {"enabled": false}}'
)
TWICE_YAML = "beta:\n  enabled: true\ngamma:\n  enabled: false\nbeta:\n  enabled: false\n"


@pytest.mark.parametrize(
    ("name", "text", "paths"),
    [
        ("flags.json", TWICE_JSON, ["$.gamma.limit", "$.beta"]),
        ("flags.yaml", TWICE_YAML, ["$.beta"]),
    ],
)
def test_validate_and_from_file_refuse_a_key_defined_twice_naming_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, paths: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    for where in paths:
        assert f"{where}: defined more than once" in captured.out + captured.err
    with pytest.raises(SchemaError) as raised:
        Flags.from_file(path)
    assert [p.path for p in raised.value.problems] == paths


def test_serve_refuses_the_file_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(TWICE_JSON, encoding="utf-8")
    assert main(["serve", str(path), "--port", "0"]) == 1
    assert "$.beta: defined more than once" in capsys.readouterr().err


def test_a_watched_file_edited_to_define_a_key_twice_keeps_the_last_good_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"beta": {"enabled": True}}), encoding="utf-8")
    with capture_logs() as logs, Flags.from_file(path, watch=0.05) as flags:
        path.write_text(TWICE_JSON, encoding="utf-8")
        assert wait_for(lambda: any(e["event"] == "appflags.rejected" for e in logs))
        assert flags.is_enabled("beta") is True  # the last good version
    [event] = [e for e in logs if e["event"] == "appflags.rejected"]
    assert any("$.beta: defined more than once" in p for p in event["problems"])


def test_a_fetched_version_reads_the_last_definition_and_warns_once(
    server: LocalAppConfig,
) -> None:
    server.put("shop", "prod", "flags", TWICE_JSON.encode(), version_label="v1")
    client = server.client(config=FAST_CONFIG)
    with capture_logs() as logs, Flags.from_appconfig("shop", "prod", "flags", client=client) as f:
        assert f.state is State.READY
        assert f.is_enabled("beta") is False  # the last definition, as AWS reads it
        assert f.get_int("gamma.limit", 0) == 2
        f.refresh()  # the same version again: nothing new to say
        server.put("shop", "prod", "flags", {"beta": {"enabled": True}}, version_label="v2")
        f.refresh()
        assert reaches(f, State.READY)
        assert f.is_enabled("beta") is True
    warned = [e for e in logs if e["event"] == "appflags.flags_with_errors"]
    assert len(warned) == 1
    assert warned[0]["version"] == "v1"
    assert sorted(warned[0]["problems"]) == [
        "$.beta: defined more than once; only its last definition is read",
        "$.gamma.limit: defined more than once; only its last definition is read",
    ]


def test_from_dict_and_documents_without_repeats_are_unaffected(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"beta": {"enabled": True}, "b": {"enabled": False}}), "utf-8")
    assert Flags.from_file(path).is_enabled("beta") is True
    assert Flags.from_dict({"beta": {"enabled": True}}).is_enabled("beta") is True
