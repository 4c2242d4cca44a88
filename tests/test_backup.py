"""Last-known-good backup: cold starts while AppConfig is unreachable serve saved flags."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from _support import UNREACHABLE
from appflags import Flags, State
from appflags._backup import Backup


def save(path: Path, doc: object, version: str = "7") -> None:
    Backup(path).save(json.dumps(doc).encode(), "application/json", version)


def test_backup_file_is_private_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "flags.backup"
    save(path, {"beta": {"enabled": True}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["flags.backup"]  # no temp file left


def test_cold_start_with_source_down_serves_backup_as_stale(tmp_path: Path) -> None:
    path = tmp_path / "flags.backup"
    save(path, {"beta": {"enabled": True, "color": "red"}})
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, backup=path, wait=2) as flags:
        assert flags.state is State.STALE
        assert flags.version == "7"
        assert flags.get_str("beta.color", "blue") == "red"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-10],  # truncated
        lambda raw: raw.replace(b'"sha256": "', b'"sha256": "0'),  # tampered checksum
        lambda raw: b"\x00\xff" + raw,  # garbage
    ],
)
def test_corrupt_backup_is_ignored(tmp_path: Path, mangle: object) -> None:
    path = tmp_path / "flags.backup"
    save(path, {"beta": {"enabled": True}})
    path.write_bytes(mangle(path.read_bytes()))  # type: ignore[operator]  # parametrized lambdas
    with Flags.from_agent("a", "e", "p", url=UNREACHABLE, backup=path, wait=2) as flags:
        assert flags.state is State.NOT_READY
        assert flags.is_enabled("beta") is False


def test_tampered_content_with_valid_json_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "flags.backup"
    save(path, {"beta": {"enabled": False}})
    record = json.loads(path.read_text())
    record["content"] = "eyJiZXRhIjogeyJlbmFibGVkIjogdHJ1ZX19"  # {"beta": {"enabled": true}}
    path.write_text(json.dumps(record))
    assert Backup(path).load() is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_directory_disables_backup_without_failing(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        backup = Backup(directory / "flags.backup")
        backup.save(b"{}", "application/json", "1")
        assert not (directory / "flags.backup").exists()
    finally:
        directory.chmod(0o700)


def test_unwritable_location_disables_backup_without_failing(tmp_path: Path) -> None:
    # Runs as root too: a directory path that is really a file cannot hold the backup.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    backup = Backup(blocker / "flags.backup")
    backup.save(b"{}", "application/json", "1")
    assert blocker.read_text() == "x"
    assert backup.load() is None


def test_missing_directory_disables_backup_without_failing(tmp_path: Path) -> None:
    backup = Backup(tmp_path / "no" / "such" / "dir" / "flags.backup")
    backup.save(b"{}", "application/json", "1")  # warns once, never raises
    backup.save(b"{}", "application/json", "2")
    assert backup.load() is None
