"""``format="auto"``: the shape of a document decides its format, never a silent fallback.

The documents of issue 13 §1, through every entry point: ``from_dict``, ``from_file``,
``appflags validate`` and a source (real boto3 against ``LocalAppConfig``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from _support import APP, UNREACHABLE, reaches, wait_for
from appflags import ErrorCode, Flags, Reason, SchemaError, State
from appflags.cli import main
from appflags.testing import LocalAppConfig

Typo = tuple[str, dict[str, Any], str, str]
"""A name, a document, the format it has the shape of, a path its validation reports."""

TYPOS: list[Typo] = [
    (
        "appconfig-enabled-string",
        {"beta": {"enabled": True}, "checkout": {"enabled": "yes"}},
        "appconfig",
        "$.checkout.enabled",
    ),
    (
        "powertools-defualt",
        {"premium": {"default": False}, "beta": {"defualt": True}},
        "powertools",
        "$.beta",
    ),
    (
        "appconfig-stored-without-version",
        {"flags": {"beta": {"name": "Beta"}}, "values": {"beta": {"enabled": True}}},
        "appconfig",
        "$",
    ),
    (
        "flagd-state-typo",
        {"flags": {"banner": {"state": "ON", "variants": {"on": True}, "defaultVariant": "on"}}},
        "flagd",
        "$.flags.banner.state",
    ),
]
TYPO_IDS = [name for name, *_ in TYPOS]

FLAGD_WITH_NAME = {
    "flags": {
        "banner": {
            "name": "Banner",  # flagd's schema allows other keys on a flag
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "on",
        }
    }
}


def _says_what_to_do(text: str, detected: str) -> None:
    assert f"read as the {detected} format" in text
    assert 'format="json" reads the document as plain configuration' in text


# ----------------------------------------------------------------------- from_dict


@pytest.mark.parametrize("case", TYPOS, ids=TYPO_IDS)
def test_from_dict_rejects_a_flag_document_with_a_mistake(case: Typo) -> None:
    _name, doc, detected, path = case
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict(doc)
    assert raised.value.format == detected
    assert path in [p.path for p in raised.value.problems]
    _says_what_to_do(str(raised.value), detected)


@pytest.mark.parametrize("case", TYPOS, ids=TYPO_IDS)
def test_format_json_reads_the_same_document_as_plain_configuration(case: Typo) -> None:
    _name, doc, _detected, _path = case
    flags = Flags.from_dict(doc, format="json")
    first = next(iter(doc))
    assert flags.get_object(first, None) == doc[first]


def test_a_flagd_flag_with_extra_keys_is_flagd() -> None:
    flags = Flags.from_dict(FLAGD_WITH_NAME)
    result = flags.evaluate("banner", False)
    assert (result.value, result.variant, result.reason) == (True, "on", Reason.STATIC)


def test_the_empty_document_has_no_flags() -> None:
    flags = Flags.from_dict({})
    assert flags.enabled_features() == []
    assert flags.evaluate("beta", False).error_code is ErrorCode.FLAG_NOT_FOUND


@pytest.mark.parametrize(
    ("doc", "key", "expected"),
    [
        ({"beta": {"on": True}}, "beta.on", True),  # no marker
        ({"db": {"default": "primary"}, "name": "shop"}, "db.default", "primary"),  # a string
        ({"limits": {"enabled": "yes"}, "retries": 3}, "limits.enabled", "yes"),  # a number
    ],
)
def test_documents_without_a_flag_shape_are_plain_json(doc: Any, key: str, expected: Any) -> None:
    assert Flags.from_dict(doc).evaluate(key, None).value == expected


def test_nan_and_infinity_are_not_json() -> None:
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict({"limits": {"ratio": float("nan")}}, format="json")
    assert [p.path for p in raised.value.problems] == ["$.limits.ratio"]


# ----------------------------------------------------------------------- from_file


@pytest.mark.parametrize("case", TYPOS, ids=TYPO_IDS)
def test_from_file_rejects_a_flag_document_with_a_mistake(tmp_path: Path, case: Typo) -> None:
    _name, doc, detected, path = case
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(doc))
    with pytest.raises(SchemaError) as raised:
        Flags.from_file(file)
    assert raised.value.format == detected
    assert all(p.source == str(file) for p in raised.value.problems)
    assert path in [p.path for p in raised.value.problems]
    _says_what_to_do(str(raised.value), detected)


@pytest.mark.parametrize("text", ['{"beta": {"enabled": NaN}}', '{"ratio": Infinity}'])
def test_from_file_refuses_nan_and_infinity(tmp_path: Path, text: str) -> None:
    file = tmp_path / "flags.json"
    file.write_text(text)
    with pytest.raises(SchemaError, match="not a JSON number"):
        Flags.from_file(file)


@pytest.mark.parametrize(
    ("number", "refused"),
    [
        ("9" * 308, False),
        ("-" + "9" * 308, False),
        ("1" + "0" * 308, False),  # 1e308: within a 64-bit float
        ("2" + "0" * 308, True),  # 2e308: beyond it
        ("-2" + "0" * 308, True),
        ("9" * 400, True),
        ("9" * 5000, True),  # beyond Python's int parsing limit too: same message
    ],
)
def test_integers_beyond_a_64_bit_float_are_refused_everywhere(
    tmp_path: Path, number: str, refused: bool
) -> None:
    # RFC 8259 leaves such numbers to implementations; a 64-bit float is what JSON readers
    # in other languages (and the Agent) hold, so appflags refuses what they cannot read.
    file = tmp_path / "flags.json"
    file.write_text('{"limits": {"enabled": true, "n": ' + number + "}}")
    doc = {"limits": {"enabled": True, "n": int(number) if len(number) < 4000 else None}}
    if not refused:
        assert Flags.from_file(file).get_int("limits.n", 0) == int(number)
        assert Flags.from_dict(doc).get_int("limits.n", 0) == int(number)
        return
    yaml_file = tmp_path / "flags.yaml"
    yaml_file.write_text(f"limits:\n  enabled: true\n  n: {number}\n")
    for refused_file in (file, yaml_file):
        with pytest.raises(SchemaError, match="too large for a 64-bit number"):
            Flags.from_file(refused_file)
    if doc["limits"]["n"] is not None:
        with pytest.raises(SchemaError) as raised:
            Flags.from_dict(doc)
        assert [p.path for p in raised.value.problems] == ["$.limits.n"]
        assert "too large for a 64-bit number" in str(raised.value)


# ------------------------------------------------------------------------ validate


@pytest.mark.parametrize("case", TYPOS, ids=TYPO_IDS)
def test_validate_exits_1_and_names_the_detected_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: Typo,
) -> None:
    _name, doc, detected, path = case
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(doc))
    assert main(["validate", str(file)]) == 1
    out = capsys.readouterr().out
    assert f"{file}: invalid {detected} document" in out
    assert f"{file}: {path}:" in out
    _says_what_to_do(out, detected)
    assert main(["validate", "--format", "json", str(file)]) == 0


# ------------------------------------------------------------------------- sources


@pytest.mark.parametrize("case", TYPOS, ids=TYPO_IDS)
def test_a_source_rejects_the_mistake_then_loads_the_fix(
    server: LocalAppConfig, client: Any, case: Typo
) -> None:
    _name, doc, detected, path = case
    server.put(*APP, doc)
    with capture_logs() as logs, Flags.from_appconfig(*APP, client=client, wait=3) as flags:
        assert flags.state is State.NOT_READY
        rejected = [e for e in logs if e["event"] == "appflags.rejected"]
        assert len(rejected) == 1
        assert rejected[0]["format"] == detected
        assert any(problem.startswith(f"{path}:") for problem in rejected[0]["problems"])
        _says_what_to_do(rejected[0]["note"], detected)
        server.put(*APP, {"beta": {"enabled": True}})
        assert reaches(flags, State.READY)
        assert flags.is_enabled("beta") is True


def test_an_empty_first_deployment_fixes_no_format(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, {})
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert flags.state is State.READY
        assert flags.enabled_features() == []
        server.put(*APP, {"premium": {"default": True}})
        assert wait_for(lambda: flags.is_enabled("premium"))
        assert flags.evaluate("premium", False).reason is Reason.STATIC


def test_a_new_format_replaces_the_old_when_it_validates(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, {"beta": {"enabled": False}})
    with capture_logs() as logs, Flags.from_appconfig(*APP, client=client) as flags:
        assert flags.is_enabled("beta", default=True) is False
        server.put(*APP, FLAGD_WITH_NAME)
        assert wait_for(lambda: flags.is_enabled("banner"))
        assert flags.evaluate("banner", False).variant == "on"
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 4)
    changes = [e for e in logs if e["event"] == "appflags.format_changed"]
    assert [(e["previous"], e["format"]) for e in changes] == [("appconfig", "flagd")]


def test_a_version_that_lost_every_marker_is_rejected_as_the_served_format(
    server: LocalAppConfig, client: Any
) -> None:
    server.put(*APP, {"beta": {"enabled": True, "color": "red"}})
    with capture_logs() as logs, Flags.from_appconfig(*APP, client=client) as flags:
        server.put(*APP, {"beta": {"enabeld": True, "color": "green"}})
        assert reaches(flags, State.STALE)
        assert flags.get_str("beta.color", "") == "red"
    rejected = [e for e in logs if e["event"] == "appflags.rejected"]
    assert rejected
    assert rejected[0]["format"] == "appconfig"
    assert "the format of the flags being served" in rejected[0]["note"]


# -------------------------------------------------------------------------- backup


def test_the_backup_records_the_format_it_holds(
    server: LocalAppConfig, client: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "flags.backup"
    # Read as plain JSON on purpose: with auto, this document would be AppConfig's.
    doc = {"limits": {"enabled": "yes"}}
    server.put(*APP, doc)
    with Flags.from_appconfig(*APP, client=client, format="json", backup=backup) as flags:
        assert flags.get_str("limits.enabled", "") == "yes"
    assert json.loads(backup.read_text())["flag_format"] == "json"
    # A cold start under "auto" with AppConfig unreachable reads it back as what it was.
    with Flags.from_agent(*APP, url=UNREACHABLE, backup=backup, wait=0.5) as cold:
        assert cold.state is State.STALE
        assert cold.get_str("limits.enabled", "") == "yes"


def test_an_empty_version_is_no_change_of_format(server: LocalAppConfig, client: Any) -> None:
    server.put(*APP, {"beta": {"enabled": True}})
    with capture_logs() as logs, Flags.from_appconfig(*APP, client=client) as flags:
        server.put(*APP, {})
        assert wait_for(lambda: flags.enabled_features() == [])
        assert flags.state is State.READY
        server.put(*APP, {"beta": {"enabled": True}})
        assert wait_for(lambda: flags.is_enabled("beta"))
    assert [e for e in logs if e["event"] == "appflags.format_changed"] == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [(FLAGD_WITH_NAME, "ok (flagd format, 1 flag)"), ({}, "ok (json format, 0 keys)")],
    ids=["flagd-with-name", "empty"],
)
def test_validate_and_from_file_accept_what_detection_allows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: dict[str, Any], expected: str
) -> None:
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(doc))
    assert main(["validate", str(file)]) == 0
    assert capsys.readouterr().out.strip() == f"{file}: {expected}"
    assert Flags.from_file(file).state is State.READY
