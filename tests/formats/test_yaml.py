"""YAML profiles load into plain JSON values: bounded aliases, text keys, ISO dates."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from _support import APP, reaches
from appflags import Flags, SchemaError, State
from appflags.testing import LocalAppConfig

YAML = "application/x-yaml"


def load(tmp_path: Path, text: str, **kwargs: Any) -> Flags:
    path = tmp_path / "flags.yaml"
    path.write_text(text)
    return Flags.from_file(path, **kwargs)


def rejected(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as raised:
        load(tmp_path, text, format="json")
    return [(p.path, p.message) for p in raised.value.problems]


def test_aliases_are_expanded_into_independent_values(tmp_path: Path) -> None:
    flags = load(tmp_path, "base: &b {color: red, sizes: [1, 2]}\nbanner: *b\n")
    assert flags.get_object("banner", None) == {"color": "red", "sizes": [1, 2]}
    assert flags.get_str("banner.color", "") == "red"


def test_merge_keys_keep_the_mappings_own_keys_first(tmp_path: Path) -> None:
    text = "base: &b {color: red, size: 1}\nbanner:\n  <<: *b\n  color: blue\n"
    assert load(tmp_path, text).get_object("banner", None) == {"color": "blue", "size": 1}


def test_a_recursive_alias_is_rejected(tmp_path: Path) -> None:
    assert rejected(tmp_path, "a: &x [1, *x]\n") == [
        ("$.a[1]", "an alias inside its own anchor (a recursive value)")
    ]


def test_a_recursive_merge_is_rejected(tmp_path: Path) -> None:
    [(path, message)] = rejected(tmp_path, "a: &x {b: 1, <<: *x}\n")
    assert path == "$.a"
    assert "recursive" in message


def _laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines)


BILLION_LAUGHS = _laughs()


def test_an_expansion_over_max_bytes_is_rejected_quickly(
    server: LocalAppConfig, client: Any
) -> None:
    # ~370 bytes that expand to billions of strings: refused while counting, in bounded
    # time (the join is a generous bound that only a full expansion misses).
    assert len(BILLION_LAUGHS) < 600
    server.put(*APP, BILLION_LAUGHS, content_type=YAML)
    outcome: list[Flags] = []
    worker = threading.Thread(
        target=lambda: outcome.append(Flags.from_appconfig(*APP, client=client, wait=10)),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    [flags] = outcome
    with flags:
        assert flags.state is State.NOT_READY
        assert flags.get_object("i", None) is None


def test_an_expansion_within_max_bytes_loads(tmp_path: Path) -> None:
    text = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n"
    flags = load(tmp_path, text)
    assert flags.get_object("c", None) == [[["x"] * 3] * 3] * 2


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("beta:\n  1: x\n", "$.beta", "'1' is a number"),
        ("true: 1\n", "$", "'true' is a boolean"),
        ("flags:\n  on: {enabled: true}\n", "$.flags", "'on' is a boolean"),
        ("2024-01-01: x\n", "$", "is a date"),
        ("~: x\n", "$", "is null"),
        ("? [a, b]\n: x\n", "$", "a list or a mapping"),
    ],
)
def test_keys_that_are_not_text_are_rejected_with_their_path(
    tmp_path: Path, text: str, path: str, words: str
) -> None:
    [(where, message)] = rejected(tmp_path, text)
    assert where == path
    assert words in message


def test_dates_and_timestamps_become_iso_8601_text(tmp_path: Path) -> None:
    text = (
        "launch:\n"
        "  day: 2024-05-01\n"
        "  at: 2024-05-01T10:00:00Z\n"
        "  local: 2024-05-01 10:00:00\n"
        "  paris: 2024-05-01T10:00:00+02:00\n"
    )
    assert load(tmp_path, text).get_object("launch", None) == {
        "day": "2024-05-01",
        "at": "2024-05-01T10:00:00+00:00",
        "local": "2024-05-01T10:00:00+00:00",
        "paris": "2024-05-01T10:00:00+02:00",
    }


@pytest.mark.parametrize(
    ("text", "path"),
    [("ratio: .nan\n", "$.ratio"), ("limit: -.inf\n", "$.limit"), ("b: !!binary aGk=\n", "$.b")],
)
def test_values_json_cannot_hold_are_rejected(tmp_path: Path, text: str, path: str) -> None:
    [(where, _message)] = rejected(tmp_path, text)
    assert where == path


def test_unknown_tags_are_rejected(tmp_path: Path) -> None:
    [(where, message)] = rejected(tmp_path, "a: !custom {b: 1}\n")
    assert (where, "unsupported YAML tag" in message) == ("$.a", True)


def test_a_yaml_profile_from_appconfig_serves_plain_values(
    server: LocalAppConfig, client: Any
) -> None:
    doc = "checkout: &on {enabled: true, since: 2024-05-01}\nbeta: *on\n"
    server.put(*APP, doc, content_type=YAML)
    with Flags.from_appconfig(*APP, client=client) as flags:
        assert reaches(flags, State.READY)
        assert flags.is_enabled("beta") is True
        assert flags.get_str("beta.since", "") == "2024-05-01"


# Text PyYAML's dumper writes back as itself: no control characters or line separators
# (it writes U+0085 so that it reads back as a space). Keys without dots, so that every
# top-level key addresses exactly its own value.
_TEXT = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"])
_keys = st.text(
    st.characters(
        codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"], exclude_characters="."
    ),
    max_size=5,
)
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_TEXT, max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


@given(doc=st.dictionaries(_keys, _values, max_size=4))
def test_json_values_written_as_yaml_read_back_equal(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flags.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        flags = Flags.from_file(path, format="json")
    answers = {key: flags.evaluate(key, None) for key in doc}
    assert {key: answer.value for key, answer in answers.items()} == doc
    assert all(answer.error_code is None for answer in answers.values())
