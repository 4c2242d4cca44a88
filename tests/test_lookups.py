"""Typed lookups through the public API: values, defaults, reasons and error codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support import GOLD_RULE, json_values
from appflags import ErrorCode, Evaluation, Flags, Reason, SchemaError, State
from appflags.formats import parse

FLAGS = {
    "beta": {"enabled": True, "color": "red", "limit": 10, "ratio": 0.5, "tags": ["a", "b"]},
    "old": {"enabled": False},
    "flag-on": {"enabled": True, "is_true": True},
}


@pytest.fixture
def flags() -> Flags:
    return Flags.from_dict(FLAGS)


def test_flag_key_answers_enabled(flags: Flags) -> None:
    assert flags.is_enabled("beta") is True
    assert flags.is_enabled("old") is False
    assert flags.get_bool("beta", False) is True


def test_attributes_by_dotted_key(flags: Flags) -> None:
    assert flags.get_str("beta.color", "blue") == "red"
    assert flags.get_int("beta.limit", 0) == 10
    assert flags.get_float("beta.ratio", 0.0) == 0.5
    assert flags.get_object("beta.tags", []) == ["a", "b"]


def test_missing_flag_gives_default_and_flag_not_found(flags: Flags) -> None:
    assert flags.is_enabled("nope") is False
    assert flags.is_enabled("nope", default=True) is True
    assert flags.get_str("nope", "x") == "x"
    result = flags.evaluate("nope", "x")
    assert (result.value, result.reason, result.error_code) == (
        "x",
        Reason.ERROR,
        ErrorCode.FLAG_NOT_FOUND,
    )
    assert "nope" in (result.error_message or "")


@pytest.mark.parametrize(
    ("key", "default"),
    [("beta.color", 7), ("beta.limit", "s"), ("beta", 1), ("beta.color", 1.5), ("beta.tags", "s")],
)
def test_wrong_type_gives_default_and_type_mismatch(flags: Flags, key: str, default: Any) -> None:
    result = flags.evaluate(key, default)
    assert result.value == default
    assert result.error_code is ErrorCode.TYPE_MISMATCH
    assert result.reason is Reason.ERROR


def test_int_answers_float_lookup_but_bool_never_answers_int(flags: Flags) -> None:
    value = flags.get_float("beta.limit", 0.0)
    assert value == 10.0
    assert isinstance(value, float)
    assert flags.get_int("flag-on.is_true", 5) == 5
    assert flags.get_int("beta", 5) == 5
    assert flags.evaluate("flag-on.is_true", 5).error_code is ErrorCode.TYPE_MISMATCH


def test_float_never_answers_int_lookup(flags: Flags) -> None:
    assert flags.get_int("beta.ratio", 3) == 3


def test_disabled_flag_attributes_answer_default_with_disabled_reason(flags: Flags) -> None:
    # A disabled flag arrives as {"enabled": false}: its attributes are unknown.
    result = flags.evaluate("old.color", "blue")
    assert (result.value, result.reason, result.error_code) == ("blue", Reason.DISABLED, None)
    assert flags.evaluate("old", True).value is False
    assert flags.evaluate("old", True).reason is Reason.DISABLED


def test_static_flag_reason(flags: Flags) -> None:
    assert flags.evaluate("beta.color", "blue") == Evaluation("red", None, Reason.STATIC)


def test_get_object_returns_a_copy_the_caller_cannot_use_to_mutate_flags(flags: Flags) -> None:
    tags = flags.get_object("beta.tags", [])
    tags.append("mutated")
    assert flags.get_object("beta.tags", []) == ["a", "b"]
    nested = Flags.from_dict({"config": {"limits": {"max": [1, {"x": 2}]}}}, format="json")
    obj: dict[str, Any] = nested.get_object("config", {})
    obj["limits"]["max"][1]["x"] = 99
    assert nested.get_object("config.limits", {}) == {"max": [1, {"x": 2}]}
    assert nested.evaluate("config", {}).value == {"limits": {"max": [1, {"x": 2}]}}


def test_from_dict_does_not_share_the_callers_document() -> None:
    doc: dict[str, Any] = {"settings": {"tags": ["a"]}}
    flags = Flags.from_dict(doc, format="json")
    doc["settings"]["tags"].append("later")
    assert flags.get_object("settings.tags", []) == ["a"]


def test_enabled_features_in_document_order(flags: Flags) -> None:
    assert flags.enabled_features() == ["beta", "flag-on"]


def test_json_format_dotted_paths() -> None:
    flags = Flags.from_dict(
        {"checkout": {"enabled": True, "provider": {"name": "stripe", "timeout": 2.5}}, "n": 3},
        format="json",
    )
    assert flags.get_str("checkout.provider.name", "") == "stripe"
    assert flags.get_float("checkout.provider.timeout", 0.0) == 2.5
    assert flags.is_enabled("checkout.enabled") is True
    assert flags.get_int("n", 0) == 3
    assert flags.enabled_features() == ["checkout.enabled"]


def test_auto_detects_appconfig_and_json() -> None:
    assert Flags.from_dict({"beta": {"enabled": True}}).is_enabled("beta") is True
    plain = Flags.from_dict({"beta": {"on": True}})
    assert plain.is_enabled("beta.on") is True
    assert plain.evaluate("beta", None).value == {"on": True}


def test_user_schema_validates_json_documents() -> None:
    schema = {
        "type": "object",
        "properties": {"timeout": {"type": "number", "minimum": 0}},
        "required": ["timeout"],
    }
    assert Flags.from_dict({"timeout": 3}, schema=schema).get_int("timeout", 0) == 3
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict({"timeout": -1, "x": 1}, schema=schema, format="json")
    assert [p.path for p in caught.value.problems] == ["$.timeout"]
    assert "minimum" in str(caught.value)


def test_schema_error_lists_every_problem_with_its_path() -> None:
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict(
            {"beta": {"enabled": "yes", "color": {"nested": 1}}, "Bad": {"enabled": True}},
            format="appconfig",
        )
    error = caught.value
    assert isinstance(error, ValueError)
    paths = [p.path for p in error.problems]
    assert paths == ["$.Bad", "$.beta.color", "$.beta.enabled"]
    assert "expected boolean, got string" in str(error)
    # Problem messages never quote the document's values: they end up in logs.
    assert "yes" not in str(error)


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        Flags.from_dict({}, format="xml")


def test_from_dict_is_ready_and_unversioned(flags: Flags) -> None:
    assert flags.state is State.READY
    assert flags.version is None
    assert flags.refresh() is False
    flags.close()
    flags.close()
    assert flags.is_enabled("beta") is True


def test_context_that_is_not_a_mapping_never_raises(flags: Flags) -> None:
    # Every flag answers the default, static ones included: the arguments were swapped.
    assert flags.is_enabled("beta", ["not", "a", "mapping"]) is False  # type: ignore[arg-type]  # wrong on purpose
    assert flags.get_str("nope", "d", 42) == "d"  # type: ignore[arg-type]  # wrong on purpose


@given(value=json_values(max_leaves=8), default=st.sampled_from([False, 0, 0.0, "", [], {}, None]))
def test_any_value_and_default_type_never_raise(value: Any, default: Any) -> None:
    flags = Flags.from_dict({"k": value}, format="json")
    result = flags.evaluate("k", default)
    if result.error_code is None:
        if default is None:
            assert result.value == value
        elif isinstance(default, bool):
            assert type(result.value) is bool
        elif isinstance(default, float):
            assert type(result.value) is float
        elif isinstance(default, int):
            assert type(result.value) is int
        elif isinstance(default, str):
            assert type(result.value) is str
        else:
            # An object lookup takes any structure, as OpenFeature's does: object or list.
            assert type(result.value) in (dict, list)
    else:
        assert result.error_code is ErrorCode.TYPE_MISMATCH
        assert result.value == default
    flags.get_str("k", "d")
    flags.get_int("k", -1)
    flags.get_float("k", -1.5)
    flags.get_object("k", {})
    flags.is_enabled("k")


def test_deeply_nested_documents_are_rejected_cleanly() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(SchemaError, match="nested too deeply"):
        Flags.from_dict(deep)
    with pytest.raises(SchemaError, match="nested too deeply"):
        parse(b'{"x":' * 100_000 + b"1" + b"}" * 100_000)


def test_non_json_values_in_from_dict_are_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="not JSON data"):
        Flags.from_dict({"beta": {"enabled": True, "when": object()}})


def test_repeated_evaluations_follow_the_context() -> None:
    # Evaluations are built once per answer and reused: reuse must never leak between
    # contexts, types or versions.
    path = Path(__file__).resolve().parents[1] / "examples" / "flags-multivariant.json"
    flags = Flags.from_file(path)
    qa = {"email": "jo@qa-testers.mycompany.com"}
    beta = {"email": "jo@example.org", "opted_in_to_beta": "yes"}
    for _ in range(3):
        assert flags.evaluate("ui_refresh", False, qa).variant == "QA"
        assert flags.evaluate("ui_refresh", False, beta).variant == "Beta Testers"
        assert flags.evaluate("ui_refresh", False, {}).variant == "Default Variant"
        assert flags.evaluate("ui_refresh", 0, qa).error_code is ErrorCode.TYPE_MISMATCH
        assert flags.evaluate("ui_refresh", None, qa).value is True


@pytest.mark.parametrize("depth", [80, 500, 5000])
def test_deeply_nested_rules_never_crash_a_load(depth: int) -> None:
    rule: Any = True
    for _ in range(depth):
        rule = {"!": [rule]}
    doc = {
        "flags": {
            "f": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"if": [rule, "on", "off"]},
            }
        }
    }
    if depth <= 100:  # within the JsonLogic depth limit
        flags = Flags.from_dict(doc, format="flagd")
        assert flags.evaluate("f", False).variant == ("on" if depth % 2 == 0 else "off")
        return
    try:
        json.dumps(doc)
    except RecursionError:
        # Deeper than this interpreter's json takes (3.11 counts its C recursion against
        # the recursion limit; 3.12+ apart and higher): the document is refused whole.
        with pytest.raises(SchemaError, match="nested too deeply"):
            Flags.from_dict(doc, format="flagd")
        return
    # Parsed, but the rule is deeper than 100 levels: the flag answers PARSE_ERROR
    # (docs/openfeature.md).
    answer = Flags.from_dict(doc, format="flagd").evaluate("f", False)
    assert (answer.value, answer.reason, answer.error_code) == (
        False,
        Reason.ERROR,
        ErrorCode.PARSE_ERROR,
    )


class _SwappingContext(Mapping[str, Any]):
    """A context that makes the flags load a new version while a rule reads it."""

    def __init__(self, swap: Callable[[], object]) -> None:
        self._swap: Callable[[], object] | None = swap

    def __getitem__(self, name: str) -> Any:
        if self._swap is not None:
            swap, self._swap = self._swap, None
            swap()
        if name == "tier":
            return "gold"
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(["tier"])

    def __len__(self) -> int:
        return 1


def test_enabled_features_answers_from_one_snapshot(tmp_path: Path) -> None:
    rules = {"gold": GOLD_RULE}
    v1 = {"premium": {"default": False, "rules": rules}, "later": {"default": True}}
    v2 = {"premium": {"default": False, "rules": rules}, "later": {"default": False}}
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(v1))
    with Flags.from_file(path, watch=60, format="powertools") as flags:

        def deploy_v2() -> None:
            path.write_text(json.dumps(v2))
            assert flags.refresh(timeout=10)

        # The rule of "premium" reads the context, which swaps in version 2 right then:
        # "later" must still be answered from version 1, where it is on.
        assert flags.enabled_features(_SwappingContext(deploy_v2)) == ["premium", "later"]
        assert flags.is_enabled("later") is False  # version 2 did arrive
