"""The flagd format: OpenFeature's flag definitions, detected, validated and compiled."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cbor2
import mmh3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from _support import flagd_bucket, wait_for
from appflags import ErrorCode, Flags, Reason, SchemaError, State
from appflags.cli import main
from appflags.formats import detect
from appflags.formats._flagd import _UNKNOWN_DEFAULT, FlagdFormat
from appflags.testing import LocalAppConfig

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

DOC: dict[str, Any] = {
    "$schema": "https://flagd.dev/schema/v0/flags.json",
    "metadata": {"flagSetId": "shop", "version": "7"},
    "flags": {
        "new-checkout": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"ends_with": [{"var": "email"}, "@example.com"]}, "on", None]},
            "metadata": {"owner": "checkout", "version": "8"},
        },
        "banner": {
            "state": "ENABLED",
            "variants": {"red": "#f00", "blue": "#00f"},
            "defaultVariant": "red",
        },
        "limit": {
            "state": "ENABLED",
            "variants": {"low": 10, "high": 100},
            "defaultVariant": "low",
        },
        "ratio": {
            "state": "ENABLED",
            "variants": {"half": 0.5, "all": 1},
            "defaultVariant": "half",
        },
        "layout": {
            "state": "ENABLED",
            "variants": {"grid": {"columns": 3}, "list": {"columns": 1}},
            "defaultVariant": "grid",
        },
        "rollout": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"fractional": [["on", 20], ["off", 80]]},
        },
        "shared": {
            "state": "ENABLED",
            "variants": {"yes": "yes", "no": "no"},
            "defaultVariant": "no",
            "targeting": {"if": [{"$ref": "is_staff"}, "yes", "no"]},
        },
        "killed": {
            "state": "DISABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "on",
        },
        "code-default": {
            "state": "ENABLED",
            "variants": {"a": "A", "b": "B"},
            "defaultVariant": None,
        },
    },
    "$evaluators": {"is_staff": {"in": [{"var": "role"}, ["admin", "support"]]}},
}


@pytest.fixture
def flags() -> Flags:
    return Flags.from_dict(DOC, clock=lambda: NOW)


# ---------------------------------------------------------------------- detection


def test_auto_detects_flagd_documents() -> None:
    assert detect(DOC).name == "flagd"
    without_schema = {k: v for k, v in DOC.items() if k != "$schema"}
    assert detect(without_schema).name == "flagd"
    assert (
        detect({"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": {}}).name == "flagd"
    )


APPCONFIG_STORED = {
    "version": "1",
    "flags": {
        "beta": {"name": "Beta", "attributes": {"color": {"constraints": {"type": "string"}}}},
        "ops": {"name": "Ops toggle"},
    },
    "values": {"beta": {"enabled": True, "color": "red"}, "ops": {"enabled": False}},
}


@pytest.mark.parametrize(
    "doc",
    [
        APPCONFIG_STORED,
        {"version": "1", "flags": {}, "values": {}},
        {"beta": {"enabled": True, "color": "red"}},  # AppConfig retrieval form
        {"flags": {"checkout": "on"}},  # a freeform JSON profile with a "flags" object
        {"flags": {}},
        ["not", "an", "object"],
    ],
    ids=[
        "appconfig-stored",
        "appconfig-stored-empty",
        "appconfig-retrieved",
        "json",
        "empty",
        "list",
    ],
)
def test_never_claims_other_formats(doc: Any) -> None:
    assert FlagdFormat().detect(doc) is False


def test_a_broken_flagd_document_is_still_flagd_and_rejected() -> None:
    broken = copy.deepcopy(DOC)
    del broken["flags"]["banner"]["state"]
    assert detect(broken).name == "flagd"
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict(broken)
    assert [p.path for p in caught.value.problems] == ["$.flags.banner"]
    assert "state" in caught.value.problems[0].message


# --------------------------------------------------------------------- validation


def rejected(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict(doc, format="flagd")
    return [(p.path, p.message) for p in caught.value.problems]


def with_flag(flag: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"flags": {"f": flag}, **top}


SECRET = "s3cr3t-c4n4ry-v4lu3"


@pytest.mark.parametrize(
    ("doc", "path", "words"),
    [
        (
            with_flag({"state": "ENABLED", "variants": {"a": True, "b": SECRET}}),
            "$.flags.f.variants",
            "all booleans, all numbers",
        ),
        (with_flag({"state": "ON", "variants": {"a": SECRET}}), "$.flags.f.state", "ENABLED"),
        (with_flag({"variants": {"a": SECRET}}), "$.flags.f", "state"),
        (with_flag({"state": "ENABLED", "variants": {}}), "$.flags.f.variants", "minProperties"),
        (
            with_flag({"state": "ENABLED", "variants": {"a": SECRET}, "metadata": {"o": [1]}}),
            "$.flags.f.metadata.o",
            "string",
        ),
        ({"flags": {"f": [SECRET]}}, "$.flags.f", "object"),
        (
            with_flag({"state": "ENABLED", "variants": {"a": SECRET}, "targeting": "a"}),
            "$.flags.f.targeting",
            "object",
        ),
        (
            {**with_flag({"state": "ENABLED", "variants": {"a": SECRET}}), "$evaluators": 1},
            "$.$evaluators",
            "object",
        ),
    ],
    ids=[
        "mixed-variants",
        "state",
        "no-state",
        "no-variants",
        "metadata",
        "not-an-object",
        "targeting-not-an-object",
        "evaluators-not-an-object",
    ],
)
def test_what_flagds_schema_rejects_is_rejected_whole(doc: Any, path: str, words: str) -> None:
    problems = rejected(doc)
    assert any(where == path and words in message for where, message in problems), problems
    assert all(SECRET not in message for _, message in problems)


def warned(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The flags of ``doc`` that load but cannot work, as ``appflags validate`` lists them."""
    compiled = FlagdFormat().compile(doc, lambda: NOW)
    return [(p.path, p.message) for found in compiled.warnings.values() for p in found]


@pytest.mark.parametrize(
    ("doc", "path", "words", "code"),
    [
        (
            with_flag({"state": "ENABLED", "variants": {"on": SECRET}, "defaultVariant": "of"}),
            "$.flags.f.defaultVariant",
            "does not define",
            ErrorCode.GENERAL,
        ),
        (
            with_flag(
                {
                    "state": "ENABLED",
                    "variants": {"a": SECRET, "b": "x"},
                    "targeting": {"if": [{"invalid": [SECRET]}, "a", None]},
                }
            ),
            "$.flags.f.targeting.if[0].invalid",
            "unknown operator",
            ErrorCode.PARSE_ERROR,
        ),
        (
            with_flag(
                {
                    "state": "ENABLED",
                    "variants": {"a": SECRET, "b": "x"},
                    "targeting": {"if": [{"==": [{"var": "k"}, "v"]}, "c", "a"]},
                }
            ),
            "$.flags.f.targeting.if[1]",
            "does not define",
            ErrorCode.GENERAL,
        ),
        (
            with_flag(
                {
                    "state": "ENABLED",
                    "variants": {"a": SECRET},
                    "targeting": {"fractional": [["z", 50], ["z", 50]]},
                }
            ),
            "$.flags.f.targeting.fractional[0][0]",
            "does not define",
            ErrorCode.GENERAL,
        ),
        (
            with_flag(
                {"state": "ENABLED", "variants": {"a": SECRET}, "targeting": {"$ref": "nope"}}
            ),
            "$.flags.f.targeting.$ref",
            "does not define",
            ErrorCode.PARSE_ERROR,
        ),
        (
            with_flag(
                {"state": "ENABLED", "variants": {"a": SECRET}, "targeting": {"$ref": "x"}},
                **{
                    "$evaluators": {
                        "x": {"if": [{"$ref": "y"}, "a", None]},
                        "y": {"!": {"$ref": "x"}},
                    }
                },
            ),
            "$.$evaluators.x.if[0].$ref",
            "refers to itself",
            ErrorCode.PARSE_ERROR,
        ),
    ],
    ids=[
        "default-variant",
        "unknown-operator",
        "literal-result",
        "fractional-bucket",
        "dangling-ref",
        "evaluator-cycle",
    ],
)
def test_flags_whose_rules_cannot_work_load_and_answer_flagds_error(
    doc: Any, path: str, words: str, code: ErrorCode
) -> None:
    # flagd loads these and answers at evaluation; the rest of the document serves.
    doc = copy.deepcopy(doc)
    doc["flags"]["ok"] = {"state": "ENABLED", "variants": {"on": "yes"}, "defaultVariant": "on"}
    flags = Flags.from_dict(doc, format="flagd")
    evaluation = flags.evaluate("f", "mine", {"k": "v", "targetingKey": "u"})
    assert (evaluation.value, evaluation.reason, evaluation.error_code) == (
        "mine",
        Reason.ERROR,
        code,
    )
    assert flags.get_str("ok", "") == "yes"
    problems = warned(doc)
    assert any(where == path and words in message for where, message in problems), problems
    assert all(SECRET not in message for _, message in problems)


@pytest.mark.parametrize(
    ("targeting", "path", "words"),
    [
        ({"sem_ver": [{"var": "v"}, "="]}, "$.flags.f.targeting.sem_ver", "3 arguments"),
        ({"sem_ver": [{"var": "v"}, "===", "1.0.0"]}, "$.flags.f.targeting.sem_ver[1]", "one of"),
        ({"sem_ver": [{"var": "v"}, "=", SECRET]}, "$.flags.f.targeting.sem_ver[2]", "version"),
        ({"starts_with": ["abc"]}, "$.flags.f.targeting.starts_with", "2 arguments"),
        ({"ends_with": [{"var": "v"}, 3]}, "$.flags.f.targeting.ends_with[1]", "strings"),
        ({"fractional": [["a", 0], ["b", 0]]}, "$.flags.f.targeting.fractional", "weights"),
        ({"fractional": ["k", ["a", 0.5]]}, "$.flags.f.targeting.fractional", "weights"),
        ({"fractional": [{"var": "v"}]}, "$.flags.f.targeting.fractional", "bucket"),
    ],
)
def test_flagd_operations_that_cannot_apply_answer_the_default_variant(
    targeting: Any, path: str, words: str
) -> None:
    # flagd's @operator-errors: the operation is null, so the default variant answers.
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"a": "A", "b": "B", "true": "T", "false": "F"},
            "defaultVariant": "b",
            "targeting": targeting,
        }
    )
    evaluation = Flags.from_dict(doc).evaluate("f", "mine", {"v": "1.0.0", "targetingKey": "u"})
    assert (evaluation.value, evaluation.reason, evaluation.error_code) == (
        "B",
        Reason.DEFAULT,
        None,
    )
    problems = warned(doc)
    assert any(where == path and words in message for where, message in problems), problems
    assert all(SECRET not in message for _, message in problems)


def test_unknown_keys_load_as_in_flagd() -> None:
    doc = with_flag(
        {"state": "ENABLED", "variants": {"a": "A"}, "defaultVariant": "a", "extra": 1},
        **{"$evaluatorz": {}, "$schema": "https://flagd.dev/schema/v0/flags.json"},
    )
    flags = Flags.from_dict(doc, format="flagd")
    assert flags.get_str("f", "") == "A"
    assert warned(doc) == []


def test_a_document_without_problems_has_no_warnings() -> None:
    assert warned(copy.deepcopy(DOC)) == []


# ---------------------------------------------------------------------- answers


def test_static_flags_answer_their_default_variant(flags: Flags) -> None:
    assert flags.evaluate("banner", "x").value == "#f00"
    assert flags.evaluate("banner", "x").variant == "red"
    assert flags.evaluate("banner", "x").reason is Reason.STATIC
    assert flags.get_int("limit", 0) == 10
    assert flags.get_float("ratio", 0.0) == 0.5
    assert flags.get_object("layout", {}) == {"columns": 3}
    assert flags.is_enabled("new-checkout") is False


def test_targeting_match_and_default(flags: Flags) -> None:
    match = flags.evaluate("new-checkout", False, {"email": "ann@example.com"})
    assert (match.value, match.variant, match.reason) == (True, "on", Reason.TARGETING_MATCH)
    miss = flags.evaluate("new-checkout", True, {"email": "ann@elsewhere.org"})
    assert (miss.value, miss.variant, miss.reason) == (False, "off", Reason.DEFAULT)


def test_shared_evaluators_through_ref(flags: Flags) -> None:
    assert flags.get_str("shared", "", {"role": "support"}) == "yes"
    assert flags.get_str("shared", "", {"role": "guest"}) == "no"


def test_disabled_flags_answer_the_callers_default(flags: Flags) -> None:
    assert flags.is_enabled("killed") is False
    assert flags.is_enabled("killed", default=True) is True
    evaluation = flags.evaluate("killed", "fallback")
    assert (evaluation.value, evaluation.reason, evaluation.error_code) == (
        "fallback",
        Reason.DISABLED,
        None,
    )


def test_a_null_default_variant_answers_the_callers_default(flags: Flags) -> None:
    evaluation = flags.evaluate("code-default", "mine")
    assert (evaluation.value, evaluation.variant, evaluation.reason) == (
        "mine",
        None,
        Reason.DEFAULT,
    )
    doc = with_flag(
        {"state": "ENABLED", "variants": {"a": "A"}, "targeting": {"if": [{"var": "x"}, "a", None]}}
    )
    undefined_default = Flags.from_dict(doc)
    assert undefined_default.evaluate("f", "mine", {"x": True}).value == "A"
    assert undefined_default.evaluate("f", "mine", {}).value == "mine"
    assert undefined_default.evaluate("f", "mine", {}).reason is Reason.DEFAULT


def test_split_when_fractional_chooses(flags: Flags) -> None:
    seen = {
        flags.evaluate("rollout", False, {"targetingKey": f"user-{n}"}).value for n in range(200)
    }
    assert seen == {True, False}
    evaluation = flags.evaluate("rollout", False, {"targetingKey": "user-1"})
    assert evaluation.reason is Reason.SPLIT
    assert evaluation.variant in {"on", "off"}
    # Used as a condition rather than as the result, fractional does not make a split.
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"big": "hundreds", "small": "ones"},
            "targeting": {"if": [{"fractional": [[False, 0], [True, 100]]}, "big", "small"]},
        }
    )
    condition = Flags.from_dict(doc).evaluate("f", "", {"targetingKey": "some-targeting-key"})
    assert (condition.value, condition.reason) == ("hundreds", Reason.TARGETING_MATCH)


def test_split_through_a_ref_in_result_position() -> None:
    doc = with_flag(
        {"state": "ENABLED", "variants": {"a": "A", "b": "B"}, "targeting": {"$ref": "half"}},
        **{"$evaluators": {"half": {"fractional": [["a", 1], ["b", 1]]}}},
    )
    assert Flags.from_dict(doc).evaluate("f", "", {"targetingKey": "k"}).reason is Reason.SPLIT


def reference_variant(bucketing_value: Any, buckets: list[tuple[str, int]]) -> str:
    """flagd's v3 choice, computed with cbor2's and mmh3's encoders (not appflags')."""
    digest = mmh3.hash(cbor2.dumps(bucketing_value, canonical=True), 0, signed=False)
    return flagd_bucket(digest, buckets)


@pytest.mark.parametrize(
    "key",
    ["user-1", "user-2", "user-3", "jon@company.com", "jane@company.com", "Łukasz", "42"]
    + [f"acct-{n}" for n in range(0, 400, 13)],
)
def test_fractional_buckets_agree_with_flagd(flags: Flags, key: str) -> None:
    # The shorthand buckets [flag key, targeting key], CBOR-encoded (flagd's v3).
    expected = reference_variant(["rollout", key], [("on", 20), ("off", 80)])
    assert flags.evaluate("rollout", False, {"targetingKey": key}).variant == expected


def test_fractional_v2_is_an_option_of_the_format() -> None:
    v2 = Flags.from_dict(DOC, format=FlagdFormat(fractional="v2"))
    for n in range(50):
        key = f"acct-{n}"
        digest = mmh3.hash(("rollout" + key).encode(), 0, signed=False)
        expected = "on" if (digest * 100) >> 32 < 20 else "off"
        assert v2.evaluate("rollout", False, {"targetingKey": key}).variant == expected
    with pytest.raises(ValueError, match="v4"):
        FlagdFormat(fractional="v4")


@pytest.mark.parametrize(
    ("result", "variant", "value"),
    [(True, "true", 2), (False, "false", 1), (2, "2", 20), (2.0, "2", 20)],
)
def test_non_string_results_select_variants_by_their_json_text(
    result: Any, variant: str, value: int
) -> None:
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"true": 2, "false": 1, "2": 20},
            "defaultVariant": "false",
            "targeting": {"var": "pick"},
        }
    )
    evaluation = Flags.from_dict(doc).evaluate("f", 0, {"pick": result})
    assert (evaluation.value, evaluation.variant, evaluation.reason) == (
        value,
        variant,
        Reason.TARGETING_MATCH,
    )


def test_a_result_naming_no_variant_is_a_general_error() -> None:
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"a": "A"},
            "defaultVariant": "a",
            "targeting": {"var": "pick"},
        }
    )
    flags = Flags.from_dict(doc)
    for pick in ("zzz", ["a"], {"a": 1}):
        evaluation = flags.evaluate("f", "mine", {"pick": pick})
        assert (evaluation.value, evaluation.reason, evaluation.error_code) == (
            "mine",
            Reason.ERROR,
            ErrorCode.GENERAL,
        )


EDGE_CASES = {
    "flags": {
        "semver-invalid-version-flag": {
            "state": "ENABLED",
            "variants": {"true": "true", "false": "false", "fallback": "fallback"},
            "defaultVariant": "fallback",
            "targeting": {"if": [{"sem_ver": [{"var": "version"}, "=", "1.0.0"]}, "true", "false"]},
        },
        "starts-with-non-string-flag": {
            "state": "ENABLED",
            "variants": {"true": "true", "false": "false", "fallback": "fallback"},
            "defaultVariant": "fallback",
            "targeting": {"if": [{"starts_with": [{"var": "num"}, "abc"]}, "true", "false"]},
        },
        "fractional-null-bucket-key-flag": {
            "state": "ENABLED",
            "variants": {"true": "true", "false": "false", "fallback": "fallback"},
            "defaultVariant": "fallback",
            "targeting": {
                "if": [
                    {"fractional": [{"var": "missing_key"}, ["one", 50], ["two", 50]]},
                    "true",
                    "false",
                ]
            },
        },
        "targeting-null-variant-flag": {
            "state": "ENABLED",
            "variants": {"one": 1, "two": 2},
            "defaultVariant": "two",
            "targeting": {"if": [True, None, "one"]},
        },
        "empty-targeting-flag": {
            "state": "ENABLED",
            "variants": {"false": 1, "true": 2},
            "defaultVariant": "false",
            "targeting": {},
        },
    }
}


@pytest.mark.parametrize(
    ("key", "context", "value", "reason"),
    [
        ("semver-invalid-version-flag", {"version": "not-a-version"}, "fallback", Reason.DEFAULT),
        ("semver-invalid-version-flag", {"version": "1.0.0"}, "true", Reason.TARGETING_MATCH),
        ("starts-with-non-string-flag", {"num": 123}, "fallback", Reason.DEFAULT),
        ("fractional-null-bucket-key-flag", {}, "fallback", Reason.DEFAULT),
        ("targeting-null-variant-flag", {}, 2, Reason.DEFAULT),
        ("empty-targeting-flag", {}, 1, Reason.STATIC),
    ],
)
def test_flagd_testbed_edge_cases(
    key: str, context: dict[str, Any], value: Any, reason: Reason
) -> None:
    # flagd-testbed flags/edge-case-flags.json with gherkin/targeting.feature's expectations:
    # a failing flagd operation makes the whole targeting null, so the default variant wins.
    evaluation = Flags.from_dict(EDGE_CASES).evaluate(key, None, context)
    assert (evaluation.value, evaluation.reason) == (value, reason)


def test_flagd_properties_use_the_flag_key_and_the_injected_clock() -> None:
    start = int((NOW - timedelta(hours=1)).timestamp())
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"yes": True, "no": False},
            "defaultVariant": "no",
            "targeting": {
                "if": [
                    {
                        "and": [
                            {"==": [{"var": "$flagd.flagKey"}, "f"]},
                            {">": [{"var": "$flagd.timestamp"}, start]},
                        ]
                    },
                    "yes",
                    None,
                ]
            },
        }
    )
    assert Flags.from_dict(doc, clock=lambda: NOW).is_enabled("f") is True
    assert Flags.from_dict(doc, clock=lambda: NOW - timedelta(hours=2)).is_enabled("f") is False


def test_flag_metadata_includes_the_flag_sets(flags: Flags) -> None:
    assert dict(flags.metadata("new-checkout")) == {
        "flagSetId": "shop",
        "version": "8",
        "owner": "checkout",
    }
    assert dict(flags.metadata("banner")) == {"flagSetId": "shop", "version": "7"}
    assert dict(flags.metadata("absent")) == {}
    with pytest.raises(TypeError):
        flags.metadata("banner")["version"] = "9"  # type: ignore[index] # read-only on purpose


def test_boolean_flags_are_features(flags: Flags) -> None:
    # rollout needs a targeting key to bucket; without one its default variant (off) answers.
    assert flags.enabled_features({"email": "a@example.com"}) == ["new-checkout"]
    assert flags.enabled_features({"email": "a@elsewhere.org"}) == []
    always_on = next(
        f"user-{n}"
        for n in range(100)
        if reference_variant(["rollout", f"user-{n}"], [("on", 20), ("off", 80)]) == "on"
    )
    assert flags.enabled_features({"targetingKey": always_on}) == ["rollout"]


def fixed_clock() -> datetime:
    return NOW


def test_unchanged_rules_are_reused_across_versions() -> None:
    first = FlagdFormat().compile(copy.deepcopy(DOC), fixed_clock)
    edited = copy.deepcopy(DOC)
    edited["flags"]["shared"]["targeting"] = {"if": [{"$ref": "is_staff"}, "no", "yes"]}
    second = FlagdFormat().compile(edited, fixed_clock)
    assert second.rules["new-checkout"] is first.rules["new-checkout"]
    assert second.rules["rollout"] is first.rules["rollout"]
    assert second.rules["shared"] is not first.rules["shared"]
    # An evaluator change reaches every rule; so does another clock.
    edited["$evaluators"]["is_staff"] = {"==": [{"var": "role"}, "admin"]}
    assert FlagdFormat().compile(edited, fixed_clock).rules["rollout"] is not first.rules["rollout"]
    assert (
        FlagdFormat().compile(copy.deepcopy(DOC), datetime.now).rules["rollout"]
        is not first.rules["rollout"]
    )


CONTEXT_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(
    st.dictionaries(
        st.sampled_from(["email", "role", "targetingKey", "version", "$flagd"]), CONTEXT_VALUES
    )
)
def test_lookups_never_raise_on_odd_contexts(context: dict[str, Any]) -> None:
    flags = Flags.from_dict(DOC, clock=lambda: NOW)
    for key in DOC["flags"]:
        evaluation = flags.evaluate(key, None, context)
        assert evaluation.error_code in (None, ErrorCode.GENERAL)


def test_validate_warns_about_flags_that_cannot_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(DOC)
    doc["flags"]["broken"] = {
        "state": "ENABLED",
        "variants": {"a": "A"},
        "targeting": {"if": [{"nope": [1]}, "a", None]},
    }
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok (flagd format" in out
    assert "1 warning" in out
    assert "warning: $.flags.broken.targeting.if[0].nope: unknown operator" in out
    assert main(["validate", "--strict", str(path)]) == 1
    assert "invalid (flagd format" in capsys.readouterr().out
    path.write_text(json.dumps(DOC), encoding="utf-8")
    assert main(["validate", "--strict", str(path)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_a_fetched_version_logs_its_flags_that_cannot_work_once(
    server: LocalAppConfig, client: Any
) -> None:
    app = ("shop", "prod", "flagd")
    server.put(*app, DOC)
    broken = copy.deepcopy(DOC)
    broken["flags"]["banner"]["defaultVariant"] = SECRET
    with Flags.from_appconfig(*app, client=client, format="flagd") as flags, capture_logs() as logs:
        server.put(*app, broken, version_label="v2")
        assert wait_for(lambda: flags.version == "v2")
        assert wait_for(lambda: server.calls("GetLatestConfiguration") >= 4)
        # The rest of the version serves; the broken flag answers its error code.
        assert flags.state is State.READY
        assert flags.get_int("limit", 0) == 10
        assert flags.evaluate("banner", "mine").error_code is ErrorCode.GENERAL
        # Fixed in the next version (compiled incrementally): nothing more to report.
        server.put(*app, DOC, version_label="v3")
        assert wait_for(lambda: flags.version == "v3")
        assert flags.get_str("banner", "mine") == "#f00"
    logged = [e for e in logs if e["event"] == "appflags.flags_with_errors"]
    assert len(logged) == 1
    assert logged[0]["version"] == "v2"
    assert logged[0]["problems"] == [f"$.flags.banner.defaultVariant: {_UNKNOWN_DEFAULT}"]
    assert SECRET not in str(logged[0])


def test_every_constructor_takes_the_format_object(
    server: LocalAppConfig, client: Any, tmp_path: Path
) -> None:
    v2 = FlagdFormat(fractional="v2")
    key = "acct-7"
    digest = mmh3.hash(("rollout" + key).encode(), 0, signed=False)
    expected = "on" if (digest * 100) >> 32 < 20 else "off"
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    server.put("shop", "prod", "flagd", DOC)
    with Flags.from_appconfig("shop", "prod", "flagd", client=client, format=v2) as fetched:
        for flags in (fetched, Flags.from_file(path, format=v2), Flags.from_dict(DOC, format=v2)):
            assert flags.evaluate("rollout", False, {"targetingKey": key}).variant == expected


def test_datetimes_in_the_context_compare_as_iso_instants() -> None:
    # Issue 17, item 6: 13:00 UTC is after 12:00Z, whatever the datetime's own zone.
    doc = with_flag(
        {
            "state": "ENABLED",
            "variants": {"late": "late", "early": "early"},
            "defaultVariant": "early",
            "targeting": {"if": [{">": [{"var": "signup"}, "2024-06-01T12:00:00Z"]}, "late", None]},
        }
    )
    flags = Flags.from_dict(doc)
    paris = timezone(timedelta(hours=2))
    assert (
        flags.get_str("f", "", {"signup": datetime(2024, 6, 1, 13, tzinfo=timezone.utc)}) == "late"
    )
    assert flags.get_str("f", "", {"signup": datetime(2024, 6, 1, 15, 30, tzinfo=paris)}) == "late"
    assert (
        flags.get_str("f", "", {"signup": datetime(2024, 6, 1, 11, tzinfo=timezone.utc)}) == "early"
    )
    assert flags.get_str("f", "", {"signup": datetime(2024, 6, 1, 13, 30, tzinfo=paris)}) == "early"
