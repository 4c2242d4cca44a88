"""``Flags.status()``, ``evaluate_with_metadata`` and ``flag_names``, through the public API:
real boto3 against LocalAppConfig over real HTTP for everything that polls."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from _support import APP, UNREACHABLE, wait_for
from appflags import Change, Flags, Problem, State, Status, StatusError
from appflags.formats import FORMATS, Clock, Compiled
from appflags.testing import Fault, LocalAppConfig

V1 = {"beta": {"enabled": True, "color": "red"}}
V2 = {"beta": {"enabled": True, "color": "green"}}
FLAGD = {
    "flags": {
        "greeting": {
            "state": "ENABLED",
            "variants": {"casual": "Hi", "formal": "Good day"},
            "defaultVariant": "casual",
            "metadata": {"owner": "web"},
        },
        "plain": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"},
    }
}


def test_a_status_is_immutable_and_slotted() -> None:
    status = Flags.from_dict(V1).status()
    assert isinstance(status, Status)
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.state = State.STALE  # type: ignore[misc]  # the point: it cannot be set
    assert not hasattr(status, "__dict__")


def test_from_dict_flags_answer_from_the_dict_and_poll_nothing() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    flags = Flags.from_dict(V1, clock=lambda: moment)
    status = flags.status()
    assert (status.state, status.source, status.source_name) == (State.READY, "dict", None)
    assert (status.last_error, status.version, status.last_updated) == (None, None, None)
    assert status.digest is None
    assert status.since == moment
    assert (status.overrides, status.closed) == (False, False)
    flags.close()
    assert flags.status().closed is True


def test_overrides_are_reported_while_they_last() -> None:
    flags = Flags.from_dict(V1)
    with flags.override({"beta": False}):
        assert flags.status().overrides is True
        assert flags.status().source == "dict"  # the rest still answers from the document
    assert flags.status().overrides is False


def test_a_failing_poll_is_the_last_error_until_a_poll_succeeds(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        ready = flags.status()
        assert (ready.state, ready.source, ready.version) == (State.READY, "appconfig", "v1")
        assert ready.source_name == "appconfigdata:shop/prod/flags"
        assert ready.last_error is None
        assert ready.digest is not None
        assert len(ready.digest) == 64  # SHA-256 in hex
        assert ready.last_updated is not None
        assert ready.since.tzinfo is not None
        server.inject(Fault.SERVER_ERROR, times=-1)
        assert wait_for(lambda: flags.status().state is State.STALE)
        stale = flags.status()
        assert stale.last_error is not None
        assert stale.last_error.kind == "poll_failed"
        assert "InternalServerException" in stale.last_error.message
        assert stale.since >= ready.since
        assert stale.version == "v1"
        assert stale.last_updated is not None
        assert stale.last_updated <= stale.since  # no poll confirmed them since
        server.clear_faults()
        assert wait_for(lambda: flags.status().state is State.READY)
        assert flags.status().last_error is None


def test_a_rejected_version_is_the_last_error_until_a_good_one_arrives(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        first = flags.status()
        server.put(*APP, b'{"beta": ', version_label="bad")
        assert wait_for(lambda: flags.status().state is State.STALE)
        error = flags.status().last_error
        assert isinstance(error, StatusError)
        assert error.kind == "rejected"
        assert "bad" in error.message
        assert '{"beta": ' not in error.message  # never the document itself
        assert flags.status().version == "v1"  # the last good flags answer
        assert flags.status().digest == first.digest  # still the first document's bytes
        server.put(*APP, V2, version_label="v2")
        assert wait_for(lambda: flags.status().version == "v2")
        assert wait_for(lambda: flags.status().state is State.READY)
        assert flags.status().last_error is None
        assert flags.status().digest not in (None, first.digest)


def test_a_bootstrap_is_the_source_of_a_cold_start() -> None:
    with Flags.from_agent(*APP, url=UNREACHABLE, bootstrap=V2, wait=0) as flags:
        status = flags.status()
        assert (status.state, status.source, status.version) == (State.STALE, "bootstrap", None)
        assert status.source_name is not None
        assert status.source_name.startswith("agent:")
    with Flags.from_agent(*APP, url=UNREACHABLE, wait=0) as flags:
        assert (flags.status().state, flags.status().source) == (State.NOT_READY, None)


def test_a_backup_written_by_one_flags_is_the_source_of_the_next(
    server: LocalAppConfig, client: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "flags.json"
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client, backup=backup) as flags:
        assert flags.status().source == "appconfig"
    assert backup.exists()
    with Flags.from_agent(*APP, url=UNREACHABLE, backup=backup, bootstrap=V2, wait=0) as cold:
        status = cold.status()
        assert (status.state, status.source, status.version) == (State.STALE, "backup", "v1")
        assert cold.get_str("beta.color", "") == "red"


def test_a_backup_confirmed_by_appconfig_is_no_longer_the_source(
    server: LocalAppConfig, client: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "flags.json"
    server.put(*APP, V1, version_label="v1")
    with Flags.from_appconfig(*APP, client=client, backup=backup):
        pass
    # A cold start serves the backup; AppConfig then answers the very same version.
    with Flags.from_appconfig(*APP, client=server.client(), backup=backup, wait=5) as flags:
        assert wait_for(lambda: flags.status().state is State.READY)
        status = flags.status()
        assert (status.source, status.version, status.last_error) == ("appconfig", "v1", None)


def test_a_watched_file_is_the_source(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(V1))
    with Flags.from_file(path, watch=1) as flags:
        status = flags.status()
        assert (status.state, status.source, status.last_error) == (State.READY, "file", None)
        assert status.source_name is not None
        assert status.last_updated is not None
    unwatched = Flags.from_file(path)
    # Not polled, but named all the same (docs/usage.md: file:PATH).
    assert (unwatched.status().source, unwatched.status().source_name) == ("file", f"file:{path}")


def test_a_rejected_edit_of_a_watched_file_names_no_version_it_does_not_have(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(V1))
    with Flags.from_file(path, watch=0.1) as flags:
        path.write_text('{"beta": ')
        assert wait_for(lambda: flags.status().last_error is not None)
        error = flags.status().last_error
        assert error is not None
        assert error.kind == "rejected"
        assert "None" not in error.message
        assert error.message.startswith("the latest version was rejected: $: not valid JSON")


def test_closing_is_reported_and_state_keeps_its_three_values(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    flags = Flags.from_appconfig(*APP, client=client)
    flags.close()
    status = flags.status()
    assert status.closed is True
    assert status.state in set(State)
    assert {s.value for s in State} == {"NOT_READY", "READY", "STALE"}


def test_no_update_comes_after_close_even_from_a_poll_in_flight(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    flags = Flags.from_appconfig(*APP, client=client)
    told: list[Change] = []
    flags.on_change(told.append)
    server.slow_seconds = 0.5
    server.inject(Fault.SLOW)
    server.put(*APP, V2, version_label="v2")
    polls = server.calls("GetLatestConfiguration")
    flags.refresh(timeout=0)
    assert wait_for(lambda: server.calls("GetLatestConfiguration") > polls)  # in flight
    flags.close(timeout=0)
    closed = flags.status()
    for thread in threading.enumerate():  # let the poll in flight finish
        if thread.name == "appflags-poller[appconfigdata:shop/prod/flags]":
            thread.join(5)
    after = flags.status()
    assert (after.state, after.version, after.last_error) == (State.READY, "v1", None)
    assert after == closed
    assert flags.get_str("beta.color", "") == "red"
    assert told == []


class ClosingFormat:
    """The json format, closing the flags while it reads a version that has ``"close"``."""

    name = "json"

    def __init__(self) -> None:
        self.flags: Flags | None = None

    def detect(self, doc: Any) -> bool:
        return bool(FORMATS["json"].detect(doc))

    def validate(self, doc: Any) -> list[Problem]:
        if "close" in doc and self.flags is not None:
            self.flags.close(timeout=0)
            return [Problem("$.close", "a version read while the flags close")] * doc["close"]
        return list(FORMATS["json"].validate(doc))

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        return FORMATS["json"].compile(doc, clock)


@pytest.mark.parametrize("problems", [0, 1], ids=["accepted", "rejected"])
def test_a_version_read_while_the_flags_close_changes_nothing(
    server: LocalAppConfig, client: Any, problems: int
) -> None:
    server.put(*APP, V1, version_label="v1")
    closing = ClosingFormat()
    before = set(threading.enumerate())
    flags = Flags.from_appconfig(*APP, client=client, format=closing)
    closing.flags = flags
    told: list[Change] = []
    flags.on_change(told.append)
    server.put(*APP, {**V2, "close": problems}, version_label="v2")
    # close() inside the poll releases the waiter (False) unless the poll ended first
    # (True); either way, what is checked is the state once the poll thread has ended.
    flags.refresh(timeout=5)
    assert wait_for(lambda: set(threading.enumerate()) <= before)
    status = flags.status()
    assert (status.closed, status.state, status.version) == (True, State.READY, "v1")
    assert status.last_error is None
    assert told == []


def test_evaluate_with_metadata_pairs_an_answer_with_its_flags_metadata() -> None:
    flags = Flags.from_dict(FLAGD)
    answered = flags.evaluate_with_metadata("greeting", "")
    assert answered.evaluation == flags.evaluate("greeting", "")
    assert answered.evaluation.value == "Hi"
    assert dict(answered.metadata) == {"owner": "web"}
    evaluation, metadata = flags.evaluate_with_metadata("plain", False)
    assert (evaluation.value, dict(metadata)) == (True, {})
    missing = flags.evaluate_with_metadata("nope", 3)
    assert (missing.evaluation.value, dict(missing.metadata)) == (3, {})
    with pytest.raises(TypeError):
        answered.metadata["owner"] = "changed"  # type: ignore[index]  # the point: read-only


def test_evaluate_with_metadata_never_raises_for_a_key_that_is_no_string() -> None:
    flags = Flags.from_dict(FLAGD)
    answered = flags.evaluate_with_metadata(["greeting"], "")  # type: ignore[arg-type]  # the point
    assert answered.evaluation.value == ""
    assert dict(answered.metadata) == {}


def test_evaluate_with_metadata_never_raises_for_a_key_whose_hash_raises() -> None:
    class Unhashable(str):
        def __hash__(self) -> int:
            raise RuntimeError("no hash")

    flags = Flags.from_dict(FLAGD)
    key = Unhashable("greeting")
    assert flags.evaluate(key, "").value == ""  # as evaluate and metadata() answer it
    answered = flags.evaluate_with_metadata(key, "")
    assert (answered.evaluation.value, dict(answered.metadata)) == ("", {})


def test_evaluate_with_metadata_follows_a_new_version(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, FLAGD, version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert flags.evaluate_with_metadata("greeting", "").metadata["owner"] == "web"
        changed = json.loads(json.dumps(FLAGD))
        changed["flags"]["greeting"]["metadata"] = {"owner": "shop"}
        changed["flags"]["greeting"]["defaultVariant"] = "formal"
        server.put(*APP, changed, version_label="v2")
        assert wait_for(lambda: flags.version == "v2")
        evaluation, metadata = flags.evaluate_with_metadata("greeting", "")
        assert (evaluation.value, evaluation.version, dict(metadata)) == (
            "Good day",
            "v2",
            {"owner": "shop"},
        )


def test_flag_names_lists_every_flag_in_document_order() -> None:
    flags = Flags.from_dict({"zeta": {"enabled": False}, "alpha": {"enabled": True}})
    assert flags.flag_names() == ["zeta", "alpha"]
    assert flags.enabled_features() == ["alpha"]


def test_the_clock_is_the_one_given() -> None:
    def clock() -> datetime:
        return datetime(2030, 1, 1, tzinfo=timezone.utc)

    assert Flags.from_dict(V1, clock=clock).clock is clock
    assert Flags.from_dict(V1).clock().tzinfo is not None


def test_listeners_read_the_status_of_the_change_they_are_told(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, V1, version_label="v1")
    seen: list[tuple[State, str | None, State, str | None]] = []
    with Flags.from_appconfig(*APP, client=client) as flags:

        def listener(change: Change) -> None:
            status = flags.status()  # the lock is not held while listeners run
            seen.append((change.state, change.version, status.state, status.version))

        flags.on_change(listener)
        server.put(*APP, V2, version_label="v2")
        assert wait_for(lambda: seen)
    assert seen[0] == (State.READY, "v2", State.READY, "v2")
