"""The appflags command line, run in-process and once as a real console script."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from appflags import Flags
from appflags.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flags.json"


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.strip() == f"{EXAMPLE}: ok (appconfig format, 4 flags)"


def test_validate_lists_every_problem_with_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Beta": {"enabled": True}, "gamma": {"enabled": 1}}))
    assert main(["validate", "--format", "appconfig", str(bad), str(EXAMPLE)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{bad}: invalid (2 problems)"
    assert out[1].startswith(f"  {bad}: $.Beta: key does not match pattern")
    assert out[2] == f"  {bad}: $.gamma.enabled: expected boolean, got number"
    assert out[3] == f"{EXAMPLE}: ok (appconfig format, 4 flags)"


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.json")]) == 1
    assert "No such file" in capsys.readouterr().out


def test_validate_with_user_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "required": ["timeout"]}))
    doc = tmp_path / "config.json"
    doc.write_text(json.dumps({"retries": 3}))
    assert main(["validate", "--schema", str(schema), str(doc)]) == 1
    assert "'timeout' is a required property" in capsys.readouterr().out


def test_eval_prints_the_evaluation(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["eval", str(EXAMPLE), "new-checkout.max_items", "--default", "10", "-c", "tier=gold"]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "key": "new-checkout.max_items",
        "value": 25,
        "variant": None,
        "reason": "STATIC",
        "error_code": None,
        "error_message": None,
    }


def test_eval_type_mismatch_and_missing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["eval", str(EXAMPLE), "new-checkout.button_color", "--default", "3"])
    assert json.loads(capsys.readouterr().out)["error_code"] == "TYPE_MISMATCH"
    main(["eval", str(EXAMPLE), "nope", "--default", '"x"'])
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["error_code"]) == ("x", "FLAG_NOT_FOUND")


def test_eval_bad_context_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(EXAMPLE), "beta", "-c", "novalue"]) == 2


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "validate" in capsys.readouterr().out


def test_demo_shows_a_live_change_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "get_str('new-checkout.button_color', 'blue') = 'green'" in out
    assert "get_str('new-checkout.button_color', 'blue') = 'purple'" in out
    assert "changed keys ['dark-mode', 'dark-mode.theme', 'new-checkout.button_color']" in out


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "appflags", "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "ok (appconfig format" in result.stdout


def test_serve_answers_appconfigdata_and_stops_on_interrupt(tmp_path: Path) -> None:
    doc = tmp_path / "flags.json"
    doc.write_text(json.dumps({"beta": {"enabled": True, "color": "red"}}))
    process = subprocess.Popen(
        [sys.executable, "-m", "appflags", "serve", str(doc), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        with Flags.from_appconfig(
            "local", "local", "flags", endpoint_url=match.group(0), region_name="us-east-1"
        ) as flags:
            assert flags.get_str("beta.color", "") == "red"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


MULTIVARIANT = EXAMPLE.parent / "flags-multivariant.json"


def test_eval_explain_shows_each_variant_and_what_it_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["eval", str(MULTIVARIANT), "ui_refresh", "-c", "opted_in_to_beta=yes", "--explain"]
    assert main([*args, "-c", "email=jane@example.org"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["variant"], result["reason"]) == (
        True,
        "Beta Testers",
        "TARGETING_MATCH",
    )
    assert result["explain"] == [
        {
            "variant": "QA",
            "rule": '(ends_with $email "qa-testers.mycompany.com")',
            "result": "no match",
            "read": {"email": "jane@example.org"},
        },
        {
            "variant": "Beta Testers",
            "rule": '(exists key::"opted_in_to_beta")',
            "result": "match",
            "read": {"opted_in_to_beta": "yes"},
        },
    ]


def test_eval_explain_on_a_static_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(EXAMPLE), "new-checkout", "--explain"]) == 0
    assert "same for every context" in json.loads(capsys.readouterr().out)["explain"]


def test_validate_shows_rule_syntax_errors_with_a_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(MULTIVARIANT.read_text())
    doc["values"]["ui_refresh"]["_variants"][0]["rule"] = '(ends_with $email "x"'
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "$.values.ui_refresh._variants[0].rule" in out
    assert '(ends_with $email "x"' in out
    assert "^" in out
