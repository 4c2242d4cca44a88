"""Flags.from_file: read once or watched; invalid edits never lose the last good flags."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from appflags import Change, Flags, SchemaError, State


def write(path: Path, doc: Any, *, bump: int = 0) -> None:
    # Write to a temp file and rename, as deploy tools do; bump mtime so that a change
    # within one filesystem timestamp tick is still seen.
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    temp.replace(path)
    if bump:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_reads_and_validates_once(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, {"beta": {"enabled": True, "color": "red"}})
    flags = Flags.from_file(path)
    assert flags.state is State.READY
    assert flags.get_str("beta.color", "blue") == "red"


def test_invalid_file_raises_schema_error_naming_file_and_path(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, {"beta": {"enabled": "yes"}})
    with pytest.raises(SchemaError) as caught:
        Flags.from_file(path, format="appconfig")
    assert str(caught.value.problems[0]) == f"{path}: $.beta.enabled: expected boolean, got string"


def test_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, '{"beta": {"enabled": tru}}')
    with pytest.raises(SchemaError, match=r"not valid JSON: .* line 1 column 22"):
        Flags.from_file(path)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Flags.from_file(tmp_path / "nope.json")


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text("beta:\n  enabled: true\n  color: red\n", encoding="utf-8")
    assert Flags.from_file(path).get_str("beta.color", "") == "red"


def test_watch_reloads_on_atomic_replace_and_keeps_last_good_on_bad_edit(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, {"beta": {"enabled": False}})
    changes: list[Change] = []
    arrived = threading.Event()

    def listener(change: Change) -> None:
        changes.append(change)
        arrived.set()

    with Flags.from_file(path, watch=0.05) as flags:
        flags.on_change(listener)
        assert flags.is_enabled("beta") is False

        write(path, {"beta": {"enabled": True}}, bump=1)
        assert arrived.wait(5)
        assert flags.is_enabled("beta") is True
        assert changes[-1].changed_keys == {"beta"}
        assert flags.state is State.READY

        arrived.clear()
        write(path, "{not json", bump=2)
        assert arrived.wait(5)
        assert [c.state for c in changes][-1] is State.STALE
        assert flags.is_enabled("beta") is True  # the last good flags keep answering

        arrived.clear()
        write(path, {"beta": {"enabled": True}, "new": {"enabled": True}}, bump=3)
        assert arrived.wait(5)
        assert [c.state for c in changes][-1] is State.READY
        assert flags.enabled_features() == ["beta", "new"]


def test_watch_survives_the_file_disappearing(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, {"beta": {"enabled": True}})
    stale = threading.Event()
    with Flags.from_file(path, watch=0.05) as flags:

        def listener(change: Change) -> None:
            if change.state is State.STALE:
                stale.set()

        flags.on_change(listener)
        path.unlink()
        assert stale.wait(5)
        assert flags.is_enabled("beta") is True


@pytest.mark.parametrize("watch", [None, 60])
def test_the_source_is_named_file_path_watched_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watch: float | None
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"beta": {"enabled": True}}))
    monkeypatch.setenv("APPFLAGS_OVERRIDES", '{"beta": false}')  # logs the source
    with capture_logs() as logs, Flags.from_file(path, watch=watch) as flags:
        status = flags.status()
        assert (status.source, status.source_name) == ("file", f"file:{path}")
        assert repr(flags).startswith(f"<Flags file:{path} ")
        if watch is None:
            assert flags.refresh(0) is False  # named, never polled
    assert [e["source"] for e in logs if e["event"] == "appflags.overrides_active"] == [
        f"file:{path}"
    ]
