"""The appflags command line, run in-process and once as a real console script."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from _support import GOLD_RULE
from appflags import Flags
from appflags.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flags.json"


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
    assert out[0] == f"{bad}: invalid appconfig document (2 problems)"
    assert out[1].startswith(f"  {bad}: $.Beta: key does not match pattern")
    assert out[2] == f"  {bad}: $.gamma.enabled: expected boolean, got number"
    assert out[3] == f"{EXAMPLE}: ok (appconfig format, 4 flags)"


def test_validate_counts_every_flagd_flag_not_only_boolean_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "flagd.json"
    variants = {"on": True, "off": False}
    doc.write_text(
        json.dumps(
            {
                "flags": {
                    "banner": {"state": "ENABLED", "variants": variants, "defaultVariant": "on"},
                    "color": {
                        "state": "ENABLED",
                        "variants": {"red": "red", "blue": "blue"},
                        "defaultVariant": "red",
                        "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "blue", None]},
                    },
                    "limit": {"state": "DISABLED", "variants": {"low": 1}, "defaultVariant": "low"},
                }
            }
        )
    )
    assert main(["validate", str(doc)]) == 0
    assert capsys.readouterr().out.strip() == f"{doc}: ok (flagd format, 3 flags)"


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
    assert main(["eval", str(EXAMPLE), "new-chekout"]) == 1
    printed = capsys.readouterr()
    assert json.loads(printed.out)["error_code"] == "FLAG_NOT_FOUND"
    assert "did you mean 'new-checkout'?" in printed.err


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
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        # Python turns SIGINT into KeyboardInterrupt only where it was not ignored, and a
        # shell starting a job in the background (`cmd &`) has its children ignore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    rest: list[str] = []
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        # Drain what the server prints from now on: a pipe nobody reads fills up and
        # blocks the server's next write (its log lines, "stopped").
        drain = threading.Thread(target=lambda: rest.extend(process.stdout or ()), daemon=True)
        drain.start()
        with Flags.from_appconfig(
            "local", "local", "flags", endpoint_url=match.group(0), region_name="us-east-1"
        ) as flags:
            assert flags.get_str("beta.color", "") == "red"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            process.wait(timeout=10)
            pytest.fail("serve did not stop on SIGINT:\n" + "".join(rest))
    assert code == 0, "".join(rest)


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


# ------------------------------------------------- issue 13 §6: problems, not tracebacks


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "70000"],
        ["--port", "-1"],
        ["--poll-interval", "-5"],
        ["--application", ""],
        ["--profile", "x" * 129],
    ],
)
def test_serve_rejects_nonsense_parameters_as_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(EXAMPLE), *args]) == 2
    err = capsys.readouterr().err
    assert "error: argument" in err
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_is_a_problem(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(EXAMPLE), "--port", str(port)]) == 1
    assert f"cannot listen on port {port}" in capsys.readouterr().err


def test_the_console_script_prints_no_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "appflags", "serve", str(EXAMPLE), "--port", str(port)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot listen on port {port}" in result.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("{not json", "is not valid JSON"),
        ('{"type": "nope"}', "is not a valid JSON Schema"),
        ("[1, 2]", "is not a JSON Schema: a schema is a JSON object"),
    ],
    ids=["missing", "malformed", "invalid", "not-an-object"],
)
def test_validate_reports_a_bad_schema_as_the_schemas_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, problem: str
) -> None:
    schema = tmp_path / "schema.json"
    if content is not None:
        schema.write_text(content)
    doc = tmp_path / "config.json"
    doc.write_text(json.dumps({"retries": 3}))
    assert main(["validate", "--schema", str(schema), str(doc)]) == 1
    captured = capsys.readouterr()
    assert f"schema {schema} {problem}" in captured.err
    assert str(doc) not in captured.out + captured.err  # not blamed on the document


def test_validate_refuses_nan_as_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "flags.json"
    doc.write_text('{"beta": {"enabled": true, "ratio": NaN}}')
    assert main(["validate", str(doc)]) == 1
    assert "NaN is not a JSON number" in capsys.readouterr().out


def test_eval_of_a_yaml_document_with_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "flags.yaml"
    doc.write_text("launch:\n  enabled: true\n  day: 2024-05-01\n")
    assert main(["eval", str(doc), "launch.day"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["reason"]) == ("2024-05-01", "STATIC")


def test_eval_of_a_missing_key_prints_the_evaluation_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["eval", str(EXAMPLE), "no-such-flag", "--default", "true"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["error_code"]) == (True, "FLAG_NOT_FOUND")


def test_eval_reads_nan_in_a_context_value_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(EXAMPLE), "new-checkout", "-c", "tier=NaN", "--explain"]) == 0
    json.loads(capsys.readouterr().out)  # still JSON


POWERTOOLS_DOC = {
    "premium": {
        "default": False,
        "rules": {
            "staff": {
                "when_match": True,
                "conditions": [{"action": "ENDSWITH", "key": "email", "value": "@corp.com"}],
            },
            "gold": GOLD_RULE,
        },
    }
}


def test_eval_explain_shows_each_powertools_rule_tried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "flags.json"
    doc.write_text(json.dumps(POWERTOOLS_DOC))
    args = ["eval", str(doc), "premium", "-c", "tier=gold", "-c", "email=a@b.org", "--explain"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["variant"]) == (True, "gold")
    assert [(t["variant"], t["result"], t["read"]) for t in result["explain"]] == [
        ("staff", "no match", {"email": "a@b.org"}),
        ("gold", "match", {"tier": "gold"}),
    ]
    capsys.readouterr()
    assert main(["eval", str(doc), "premium", "--explain"]) == 0
    tried = json.loads(capsys.readouterr().out)["explain"]
    assert [(t["variant"], t["result"]) for t in tried] == [
        ("staff", "no match"),
        ("gold", "no match"),
        ("(default)", "match"),
    ]


def test_eval_explain_says_when_a_format_has_no_explanation_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "flags.json"
    doc.write_text(
        json.dumps(
            {
                "flags": {
                    "banner": {
                        "state": "ENABLED",
                        "variants": {"on": True, "off": False},
                        "defaultVariant": "off",
                        "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "on", None]},
                    }
                }
            }
        )
    )
    assert main(["eval", str(doc), "banner", "-c", "tier=gold", "--explain"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["variant"] == "on"
    assert "no explanation yet for the rules of the flagd format" in result["explain"]
    assert "no variant rules" not in json.dumps(result)
