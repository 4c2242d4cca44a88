"""``appflags refs``: the flag keys code looks up, checked against a document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appflags._refs import references_in
from appflags.cli import main

DOCUMENT = {
    "beta": {"enabled": True, "color": "red"},
    "dark-mode": {"enabled": False},
    "old-banner": {"enabled": True},
}

APP = """
import appflags
from openfeature import api

flags = appflags.Flags.from_dict({})
client = api.get_client()

def view(user):
    if flags.is_enabled("beta", {"user_id": user}):
        color = flags.get_str("beta.color", "blue")
    dark = flags.evaluate("dark-mode", False).value
    typo = flags.get_bool("dark_mode", False)
    limit = flags.get_int("limits.max_items", 10)
    key = "computed-" + user
    flags.is_enabled(key)            # not a literal: not reported
    flags.is_enabled(f"beta-{user}")  # not a literal either
    return client.get_boolean_value("beta", False), {}.get("old-banner")
"""

POWERTOOLS_APP = """
from appflags.compat.powertools import FeatureFlags
feature_flags = FeatureFlags.from_dict({})
on = feature_flags.evaluate(name="old-banner", context={}, default=False)
details = client.get_string_details(flag_key="beta.color", default_value="x")
"""


def _project(tmp_path: Path) -> tuple[Path, Path]:
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    src = tmp_path / "src"
    (src / "shop").mkdir(parents=True)
    (src / "shop" / "views.py").write_text(APP, encoding="utf-8")
    # Vendored or virtualenv code is not the project's: never scanned.
    (src / ".venv" / "lib").mkdir(parents=True)
    (src / ".venv" / "lib" / "other.py").write_text('f.is_enabled("vendored")\n', "utf-8")
    return src, document


def _refs_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["refs", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_reports_used_keys_the_document_lacks_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, document = _project(tmp_path)
    code, report = _refs_json(capsys, str(src), "--document", str(document))
    views = str(src / "shop" / "views.py")
    assert code == 1
    # A close key of the document comes as a suggestion.
    assert report["missing"] == [
        {
            "key": "dark_mode",
            "file": views,
            "line": 12,
            "method": "get_bool",
            "did_you_mean": "dark-mode",
        },
        {
            "key": "limits.max_items",
            "file": views,
            "line": 13,
            "method": "get_int",
            "did_you_mean": None,
        },
    ]
    used = {(r["key"], r["line"], r["method"]) for r in report["references"]}
    assert used == {
        ("beta", 9, "is_enabled"),
        ("beta.color", 10, "get_str"),
        ("dark-mode", 11, "evaluate"),
        ("dark_mode", 12, "get_bool"),
        ("limits.max_items", 13, "get_int"),
        ("beta", 17, "get_boolean_value"),
    }
    # dict.get("old-banner") is no flag lookup: old-banner counts as unused.
    assert report["unused"] == ["old-banner"]


def test_powertools_and_openfeature_keyword_keys_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, document = _project(tmp_path)
    (src / "shop" / "views.py").unlink()
    (src / "jobs.py").write_text(POWERTOOLS_APP, encoding="utf-8")
    code, report = _refs_json(capsys, str(src), "--document", str(document))
    assert code == 0
    assert [(r["key"], r["method"]) for r in report["references"]] == [
        ("old-banner", "evaluate"),
        ("beta.color", "get_string_details"),
    ]
    assert report["missing"] == []
    assert report["unused"] == ["dark-mode"]


def test_text_report_and_exit_zero_when_every_key_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app.py"
    app.write_text('flags.is_enabled("beta")\nflags.get_str("beta.color", "x")\n', "utf-8")
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["refs", str(app), "--document", str(document)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"2 lookups of 2 keys; {document}: 3 flags"
    assert f"{document}: flag 'dark-mode' is not used by the code scanned" in out
    assert not any("is not in" in line for line in out)


def test_attributes_of_a_disabled_flag_are_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # AppConfig serves a disabled flag as {"enabled": false}, without its attributes.
    app = tmp_path / "app.py"
    app.write_text('flags.get_str("dark-mode.theme", "light")\n', "utf-8")
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    code, report = _refs_json(capsys, str(app), "--document", str(document))
    assert code == 0
    assert report["missing"] == []


def test_plain_json_documents_count_top_level_keys_as_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "config.json"
    document.write_text(json.dumps({"search": {"boost": 1.5}, "maintenance": False}), "utf-8")
    app = tmp_path / "app.py"
    app.write_text('config.get_float("search.boost", 1.0)\nconfig.get_int("search.x", 1)\n')
    code, report = _refs_json(capsys, str(app), "--document", str(document))
    assert code == 1
    assert [r["key"] for r in report["missing"]] == ["search.x"]
    assert report["unused"] == ["maintenance"]


def test_an_unparsable_file_is_skipped_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    (tmp_path / "ok.py").write_text('flags.is_enabled("beta")\n', encoding="utf-8")
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["refs", str(tmp_path), "--document", str(document)]) == 0
    captured = capsys.readouterr()
    assert "broken.py: skipped" in captured.err


def test_a_file_too_deeply_nested_for_the_parser_is_skipped_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a_deep.py").write_text("x = 1" + "+1" * 100_000 + "\n", encoding="utf-8")
    (tmp_path / "b_ok.py").write_text('flags.is_enabled("nope")\n', encoding="utf-8")
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["refs", str(tmp_path), "--document", str(document), "--json"]) == 1
    captured = capsys.readouterr()
    missing = json.loads(captured.out)["missing"]
    assert [r["key"] for r in missing] == ["nope"]  # b_ok.py, scanned after the deep one
    assert "a_deep.py: skipped (nested too deeply for the Python parser)" in captured.err


def test_a_source_the_compiler_refuses_but_the_parser_reads_is_still_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # On 3.10 the scan compiles a file before parsing it, to refuse one too deep for the
    # parser: a compile-only error (``return`` outside a function) must not skip the file.
    (tmp_path / "script.py").write_text('flags.is_enabled("nope")\nreturn\n', encoding="utf-8")
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["refs", str(tmp_path), "--document", str(document), "--json"]) == 1
    captured = capsys.readouterr()
    assert [r["key"] for r in json.loads(captured.out)["missing"]] == ["nope"]
    assert "skipped" not in captured.err


def test_a_source_with_a_pep_263_coding_line_is_read_as_python_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = '# -*- coding: latin-1 -*-\nflags.is_enabled("caf\u00e9")\nflags.is_enabled("beta")\n'
    (tmp_path / "latin.py").write_bytes(source.encode("latin-1"))
    document = tmp_path / "flags.json"
    document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["refs", str(tmp_path), "--document", str(document), "--json"]) == 1
    captured = capsys.readouterr()
    missing = json.loads(captured.out)["missing"]
    assert [(r["key"], r["line"]) for r in missing] == [("caf\u00e9", 2)]
    assert "skipped" not in captured.err


def test_an_invalid_document_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = tmp_path / "flags.json"
    document.write_text("[1, 2]", encoding="utf-8")
    assert main(["refs", str(tmp_path), "--document", str(document)]) == 1
    assert main(["refs", str(tmp_path), "--document", str(tmp_path / "none.json")]) == 1


def test_a_path_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "flags.json"
    document.write_text('{"beta": {"enabled": true}}')
    (tmp_path / "app.py").write_text('flags.is_enabled("beta")\n')
    # A mistyped path in CI must fail, not scan nothing and pass.
    code = main(
        ["refs", str(tmp_path / "app.py"), str(tmp_path / "scr"), "--document", str(document)]
    )
    assert code == 2
    assert "scr: no such file or directory" in capsys.readouterr().err


def test_the_installed_command_runs_it(tmp_path: Path) -> None:
    src, document = _project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "appflags", "refs", str(src), "--document", str(document)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        f"views.py:12: 'dark_mode' is not in {document} (did you mean 'dark-mode'?)"
        in result.stdout
    )


@given(st.text(min_size=1, max_size=40))
def test_any_literal_key_is_found_as_written(key: str) -> None:
    source = f"flags.is_enabled({key!r}, ctx)\nflags.evaluate(key={key!r}, default=1)\n"
    assert [(r.key, r.line) for r in references_in(source, "m.py")] == [(key, 1), (key, 2)]
