"""The stored AppConfig feature-flag document: detection, lookups, multi-variant flags
(AWS's ui_refresh example), validation with paths, deprecation warnings, explain."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from appflags import ErrorCode, Flags, Reason, SchemaError
from appflags.rules import ABSENT, explain

# AWS's example from "Creating a multi-variant feature flag" (command line), verbatim.
UI_REFRESH: dict[str, Any] = json.loads(
    r"""
{
  "flags": {
    "ui_refresh": {
      "attributes": {
        "dark_mode_support": {
          "constraints": {
            "type": "boolean"
          }
        }
      },
      "description": "A release flag used to release a new UI",
      "name": "UI Refresh"
    }
  },
  "values": {
    "ui_refresh": {
      "_variants": [
        {
          "attributeValues": {
            "dark_mode_support": true
          },
          "enabled": true,
          "name": "QA",
          "rule": "(ends_with $email \"qa-testers.mycompany.com\")"
        },
        {
          "attributeValues": {
            "dark_mode_support": true
          },
          "enabled": true,
          "name": "Beta Testers",
          "rule": "(exists key::\"opted_in_to_beta\")"
        },
        {
          "attributeValues": {
            "dark_mode_support": false
          },
          "enabled": true,
          "name": "Sample Population",
          "rule": "(split pct::10 by::$email)"
        },
        {
          "attributeValues": {
            "dark_mode_support": false
          },
          "enabled": false,
          "name": "Default Variant"
        }
      ]
    }
  },
  "version": "1"
}
"""
)

BASIC: dict[str, Any] = {
    "version": "1",
    "flags": {
        "checkout": {
            "name": "Checkout",
            "attributes": {
                "color": {"constraints": {"type": "string", "enum": ["red", "green"]}},
                "limit": {"constraints": {"type": "number", "minimum": 1, "maximum": 100}},
                "ratio": {"constraints": {"type": "number"}},
                "tags": {"constraints": {"type": "array", "elements": {"type": "string"}}},
                "unset": {"constraints": {"type": "string"}},
            },
        },
        "old-search": {"name": "Old search", "attributes": {"engine": {}}},
        "no-value": {"name": "Defined only"},
    },
    "values": {
        "checkout": {
            "enabled": True,
            "color": "green",
            "limit": 25,
            "ratio": 0.5,
            "tags": ["a", "b"],
        },
        "old-search": {"enabled": False, "engine": "solr"},
    },
}


def problems_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict(doc)
    return [(p.path, p.message) for p in caught.value.problems]


def with_changes(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with the value at dotted ``path`` set (``None`` deletes)."""
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    target: Any = int(last) if isinstance(node, list) else last
    if value is None:
        del node[target]
    else:
        node[target] = value
    return out


# ----------------------------------------------------------------------- detection


def test_auto_detects_the_stored_document_and_both_forms_share_a_format() -> None:
    assert Flags.from_dict(BASIC).is_enabled("checkout") is True
    assert Flags.from_dict(BASIC, format="appconfig").is_enabled("checkout") is True
    retrieved = {"checkout": {"enabled": True, "color": "green"}}
    assert Flags.from_dict(retrieved, format="appconfig").get_str("checkout.color", "") == "green"


def test_a_retrieval_form_may_name_a_flag_flags_or_values() -> None:
    flags = Flags.from_dict({"flags": {"enabled": True}, "values": {"enabled": False}})
    assert flags.is_enabled("flags") is True
    assert flags.is_enabled("values") is False


def test_an_empty_profile_is_valid() -> None:
    flags = Flags.from_dict({"version": "1"})
    assert flags.enabled_features() == []
    assert flags.evaluate("anything", False).error_code is ErrorCode.FLAG_NOT_FOUND


# ---------------------------------------------------------------------- basic flags


def test_basic_flag_lookups() -> None:
    flags = Flags.from_dict(BASIC)
    assert flags.is_enabled("checkout") is True
    assert flags.get_str("checkout.color", "blue") == "green"
    assert flags.get_int("checkout.limit", 0) == 25
    assert flags.get_float("checkout.ratio", 0.0) == 0.5
    assert flags.get_object("checkout.tags", []) == ["a", "b"]
    result = flags.evaluate("checkout.color", "blue")
    assert (result.value, result.variant, result.reason) == ("green", None, Reason.STATIC)
    assert flags.enabled_features() == ["checkout"]


def test_a_defined_attribute_without_a_value_answers_the_default_without_error() -> None:
    result = Flags.from_dict(BASIC).evaluate("checkout.unset", "fallback")
    assert (result.value, result.reason, result.error_code) == ("fallback", Reason.DEFAULT, None)


def test_disabled_flag_answers_false_and_the_callers_default_for_attributes() -> None:
    flags = Flags.from_dict(BASIC)
    assert flags.is_enabled("old-search", default=True) is False
    assert flags.evaluate("old-search", True).reason is Reason.DISABLED
    for key in ("old-search.engine", "old-search.never-defined"):
        result = flags.evaluate(key, "elastic")
        assert (result.value, result.reason, result.error_code) == (
            "elastic",
            Reason.DISABLED,
            None,
        )


def test_a_flag_without_a_value_or_without_enabled_is_off() -> None:
    flags = Flags.from_dict(BASIC)
    assert flags.is_enabled("no-value", default=True) is False
    doc = with_changes(BASIC, "values.checkout.enabled", None)
    assert Flags.from_dict(doc).is_enabled("checkout", default=True) is False


def test_a_non_boolean_lookup_of_a_flag_key_is_a_type_mismatch() -> None:
    result = Flags.from_dict(BASIC).evaluate("checkout", "text")
    assert (result.value, result.error_code) == ("text", ErrorCode.TYPE_MISMATCH)


# ------------------------------------------------------------ multi-variant flags


@pytest.fixture
def ui() -> Flags:
    return Flags.from_dict(UI_REFRESH)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            {"email": "jane_doe@qa-testers.mycompany.com"},
            ("QA", Reason.TARGETING_MATCH, True, True),
        ),
        (
            {"email": "jane_doe@example.org", "opted_in_to_beta": "false"},
            ("Beta Testers", Reason.TARGETING_MATCH, True, True),
        ),
        # The default variant is disabled: False, and the caller's default for attributes.
        ({}, ("Default Variant", Reason.DEFAULT, False, None)),
    ],
)
def test_ui_refresh_example(
    ui: Flags, context: dict[str, Any], expected: tuple[str, Reason, bool, bool | None]
) -> None:
    variant, reason, enabled, dark_mode = expected
    flag = ui.evaluate("ui_refresh", not enabled, context)
    assert (flag.value, flag.variant, flag.reason, flag.error_code) == (
        enabled,
        variant,
        reason,
        None,
    )
    attribute = ui.evaluate("ui_refresh.dark_mode_support", None, context)
    assert (attribute.value, attribute.variant, attribute.reason, attribute.error_code) == (
        dark_mode,
        variant,
        reason,
        None,
    )
    assert ui.get_str("ui_refresh._variant", "", context) == variant


def test_ui_refresh_sample_population_is_about_ten_percent(ui: Flags) -> None:
    answers = [ui.evaluate("ui_refresh", False, {"email": f"{i}@example.org"}) for i in range(5000)]
    sampled = [a for a in answers if a.variant == "Sample Population"]
    assert 400 < len(sampled) < 600
    assert all(a.value is True and a.reason is Reason.SPLIT for a in sampled)
    rest = {(a.variant, a.value, a.reason) for a in answers if a not in sampled}
    assert rest == {("Default Variant", False, Reason.DEFAULT)}
    email = next(f"{i}@example.org" for i, a in enumerate(answers) if a in sampled)
    assert ui.get_bool("ui_refresh.dark_mode_support", True, {"email": email}) is False


def test_variant_lookups_never_raise_on_odd_contexts(ui: Flags) -> None:
    for context in ({"email": None}, {"email": 42}, {"email": ["a"]}, {"email": {"x": 1}}):
        assert ui.evaluate("ui_refresh", True, context).error_code is None
    bad = ui.evaluate("ui_refresh", True, ["not", "a", "mapping"])  # type: ignore[arg-type] # a caller's mistake
    assert bad.error_code is ErrorCode.INVALID_CONTEXT


def test_multi_variant_flags_count_in_enabled_features_per_context(ui: Flags) -> None:
    assert ui.enabled_features({"email": "a@qa-testers.mycompany.com"}) == ["ui_refresh"]
    assert ui.enabled_features({}) == []


def test_a_disabled_matched_variant_answers_the_callers_default_for_attributes() -> None:
    doc = with_changes(UI_REFRESH, "values.ui_refresh._variants.0.enabled", False)
    flags = Flags.from_dict(doc)
    context = {"email": "a@qa-testers.mycompany.com"}
    result = flags.evaluate("ui_refresh.dark_mode_support", False, context)
    assert (result.value, result.variant, result.reason) == (False, "QA", Reason.TARGETING_MATCH)
    assert flags.get_bool("ui_refresh.dark_mode_support", True, context) is True
    assert flags.is_enabled("ui_refresh", context, default=True) is False


def test_explain_reports_each_rule_tried_and_the_context_values_it_read(ui: Flags) -> None:
    context = {"email": "jane_doe@example.org", "opted_in_to_beta": "false", "age": 40}
    explanation = explain(ui, "ui_refresh.dark_mode_support", context)
    assert explanation is not None
    assert (explanation.flag, explanation.variant, explanation.reason) == (
        "ui_refresh",
        "Beta Testers",
        Reason.TARGETING_MATCH,
    )
    assert [(t.variant, t.result, t.reads) for t in explanation.tried] == [
        ("QA", False, {"email": "jane_doe@example.org"}),
        ("Beta Testers", True, {"opted_in_to_beta": "false"}),
    ]
    assert explanation.tried[0].rule == '(ends_with $email "qa-testers.mycompany.com")'
    fallback = explain(ui, "ui_refresh", {})
    assert fallback is not None
    assert [(t.variant, t.result) for t in fallback.tried] == [
        ("QA", None),
        ("Beta Testers", False),
        ("Sample Population", None),
        ("Default Variant", True),
    ]
    assert fallback.tried[0].reads == {"email": ABSENT}
    assert explain(Flags.from_dict(BASIC), "checkout", {}) is None
    assert explain(ui, "missing", {}) is None


def test_flags_explain_is_what_rules_explain_answers(ui: Flags) -> None:
    qa = {"email": "jane@qa-testers.mycompany.com"}
    assert ui.explain("ui_refresh", qa) == explain(ui, "ui_refresh", qa)
    assert ui.explain("ui_refresh", qa) is not None
    assert ui.explain("ui_refresh", qa).variant == "QA"  # type: ignore[union-attr] # checked above
    # Like a lookup, it never raises: a key that cannot name a flag has no explanation.
    assert ui.explain(["ui_refresh"], qa) is None  # type: ignore[arg-type] # on purpose


# ----------------------------------------------------------------------- validation


def test_the_ui_refresh_example_and_the_basic_document_are_valid() -> None:
    Flags.from_dict(UI_REFRESH)
    Flags.from_dict(BASIC)


@pytest.mark.parametrize(
    ("path", "value", "where", "fragment"),
    [
        ("values.checkout.color", 7, "$.values.checkout.color", "expected string"),
        ("values.checkout.color", "blue", "$.values.checkout.color", "is not one of the 2 values"),
        ("values.checkout.limit", 0, "$.values.checkout.limit", "less than the minimum 1"),
        ("values.checkout.limit", 101, "$.values.checkout.limit", "greater than the maximum 100"),
        ("values.checkout.limit", True, "$.values.checkout.limit", "expected number"),
        ("values.checkout.tags", ["a", 1], "$.values.checkout.tags", "matches none"),
        ("values.checkout.tags", [1, 2], "$.values.checkout.tags[0]", "expected string"),
        ("values.checkout.tags", "a", "$.values.checkout.tags", "expected array"),
        ("values.checkout.nope", "x", "$.values.checkout.nope", "is not defined"),
        ("values.ghost", {"enabled": True}, "$.values.ghost", "no definition in $.flags"),
    ],
)
def test_attribute_values_are_checked_against_their_constraints(
    path: str, value: Any, where: str, fragment: str
) -> None:
    found = problems_of(with_changes(BASIC, path, value))
    assert any(p == where and fragment in m for p, m in found), found


def test_pattern_constraints_and_required_attributes() -> None:
    doc = with_changes(
        BASIC,
        "flags.checkout.attributes.code",
        {"constraints": {"type": "string", "pattern": "^[A-Z]{3}$", "required": True}},
    )
    assert problems_of(doc) == [("$.values.checkout", "required attribute 'code' is missing")]
    bad = with_changes(doc, "values.checkout.code", "abcd")
    [(path, message)] = problems_of(bad)
    assert path == "$.values.checkout.code"
    assert "does not match the pattern '^[A-Z]{3}$'" in message
    Flags.from_dict(with_changes(doc, "values.checkout.code", "ABC"))
    # A disabled flag need not carry its required attributes: they are never served.
    Flags.from_dict(with_changes(doc, "values.checkout", {"enabled": False}))


def test_array_element_constraints_apply_to_each_element() -> None:
    doc = with_changes(
        BASIC,
        "flags.checkout.attributes.sizes",
        {"constraints": {"type": "array", "elements": {"type": "number", "maximum": 10}}},
    )
    found = problems_of(with_changes(doc, "values.checkout.sizes", [1, 20, 3, 40]))
    assert [p for p, _ in found] == ["$.values.checkout.sizes[1]", "$.values.checkout.sizes[3]"]
    Flags.from_dict(with_changes(doc, "values.checkout.sizes", []))


def test_constraint_definitions_are_checked() -> None:
    doc = with_changes(
        BASIC,
        "flags.checkout.attributes.limit.constraints",
        {"type": "number", "minimum": 10, "maximum": 1},
    )
    assert (
        "$.flags.checkout.attributes.limit.constraints",
        "minimum is greater than maximum",
    ) in problems_of(doc)
    doc = with_changes(
        BASIC, "flags.checkout.attributes.color.constraints", {"type": "string", "pattern": "("}
    )
    [(path, message)] = problems_of(doc)
    assert path == "$.flags.checkout.attributes.color.constraints.pattern"
    assert message.startswith("invalid regular expression")
    both = {"type": "string", "pattern": "^a", "enum": ["a"]}
    doc = with_changes(BASIC, "flags.checkout.attributes.color.constraints", both)
    assert problems_of(doc)[0][0] == "$.flags.checkout.attributes.color.constraints"


def test_problem_messages_never_quote_flag_values() -> None:
    secret = "s3cr3t-value-do-not-log"
    docs = [
        with_changes(BASIC, "values.checkout.color", secret),
        with_changes(BASIC, "values.checkout.limit", secret),
        with_changes(BASIC, "values.checkout.tags", [secret, 1]),
        with_changes(
            UI_REFRESH, "values.ui_refresh._variants.0.attributeValues.dark_mode_support", secret
        ),
    ]
    for doc in docs:
        assert all(secret not in m for _, m in problems_of(doc))


@pytest.mark.parametrize(
    ("change", "value", "where", "fragment"),
    [
        (
            "values.ui_refresh._variants.3.rule",
            '(eq $a "b")',
            "$.values.ui_refresh._variants[3].rule",
            "the last variant is the default variant: it has no rule",
        ),
        (
            "values.ui_refresh._variants.1.rule",
            None,
            "$.values.ui_refresh._variants[1]",
            "only the last variant (the default) may omit its rule",
        ),
        (
            "values.ui_refresh._variants.2.name",
            "QA",
            "$.values.ui_refresh._variants[2].name",
            "variant name 'QA' is already used by $.values.ui_refresh._variants[0]",
        ),
        (
            "values.ui_refresh._variants.0.rule",
            "(ends_with $email qa)",
            "$.values.ui_refresh._variants[0].rule",
            "unexpected symbol 'qa'",
        ),
        (
            "values.ui_refresh._variants.0.attributeValues.dark_mode_support",
            "yes",
            "$.values.ui_refresh._variants[0].attributeValues.dark_mode_support",
            "expected boolean",
        ),
        (
            "values.ui_refresh._variants.0.attributeValues.colour",
            "red",
            "$.values.ui_refresh._variants[0].attributeValues.colour",
            "attribute 'colour' is not defined",
        ),
        ("values.ui_refresh._variants", [], "$.values.ui_refresh._variants", ""),
        ("values.ui_refresh._variants.0.name", "", "$.values.ui_refresh._variants[0].name", ""),
        ("version", "2", "$.version", "must be one of 1"),
        ("flags.ui_refresh._deprecation", {"status": "planned", "date": "soon"}, "", "YYYY-MM-DD"),
        # an ISO week date: Python 3.11+ date.fromisoformat reads it, 3.10's does not
        (
            "flags.ui_refresh._deprecation",
            {"status": "planned", "date": "2030-W05-4"},
            "",
            "YYYY-MM-DD",
        ),
        (
            "flags.ui_refresh._deprecation",
            {"status": "planned", "date": "2030-02-30"},
            "",
            "YYYY-MM-DD",
        ),
        ("flags.ui_refresh._deprecation", {"status": "retired"}, "", "must be one of planned"),
    ],
)
def test_variant_and_document_checks(change: str, value: Any, where: str, fragment: str) -> None:
    found = problems_of(with_changes(UI_REFRESH, change, value))
    assert any(p.startswith(where) and fragment in m for p, m in found), found


def test_a_rule_error_shows_the_rule_with_a_caret() -> None:
    rule = '(and (eq $tier "gold") (gt $age "x" 3))'
    doc = with_changes(UI_REFRESH, "values.ui_refresh._variants.0.rule", rule)
    [(path, message)] = problems_of(doc)
    assert path == "$.values.ui_refresh._variants[0].rule"
    assert message == (
        f"invalid rule: gt takes 2 operands, got 3 at column 37\n    {rule}\n    {' ' * 36}^"
    )


def test_limits() -> None:
    many = [{"name": f"v{i}", "enabled": True, "rule": "(eq $a 1)"} for i in range(32)]
    doc = with_changes(
        UI_REFRESH, "values.ui_refresh._variants", [*many, {"name": "d", "enabled": False}]
    )
    assert problems_of(doc)[0][0] == "$.values.ui_refresh._variants"
    attributes: dict[str, Any] = {f"a{i}": {} for i in range(26)}
    doc = with_changes(BASIC, "flags.checkout.attributes", attributes)
    assert ("$.flags.checkout.attributes", "has more than 25 properties") in problems_of(doc)
    assert problems_of(with_changes(BASIC, "flags.checkout.name", "x" * 65))[0][0] == (
        "$.flags.checkout.name"
    )
    assert problems_of(with_changes(BASIC, "values.checkout.color", "x" * 1025))


# ---------------------------------------------------------------------- deprecation


def deprecated(flag: str, *, variants: bool = False) -> dict[str, Any]:
    value: dict[str, Any] = {"enabled": True, "mode": "fast"}
    if variants:
        value = {
            "_variants": [
                {
                    "name": "on",
                    "enabled": True,
                    "rule": '(exists key::"u")',
                    "attributeValues": {"mode": "x"},
                },
                {"name": "off", "enabled": False},
            ]
        }
    return {
        "version": "1",
        "flags": {
            flag: {
                "name": flag,
                "_deprecation": {"status": "planned", "date": "2030-01-31"},
                "attributes": {"mode": {}},
            },
            "current": {"name": "current"},
        },
        "values": {flag: value, "current": {"enabled": True}},
    }


@pytest.mark.parametrize("variants", [False, True])
def test_a_deprecated_flag_logs_one_warning_per_process(variants: bool) -> None:
    flag = f"legacy-{'variants' if variants else 'basic'}"
    with capture_logs() as logs:
        first = Flags.from_dict(deprecated(flag, variants=variants))
        assert logs == []  # loading logs nothing: only a lookup does
        first.is_enabled("current")
        assert logs == []
        for _ in range(3):
            first.is_enabled(flag, {"u": 1})
            first.get_str(f"{flag}.mode", "", {"u": 1})
        # A new version of the same profile does not warn again.
        Flags.from_dict(deprecated(flag, variants=variants)).is_enabled(flag)
    assert logs == [
        {
            "event": "appflags.flag_deprecated",
            "log_level": "warning",
            "flag": flag,
            "date": "2030-01-31",
        }
    ]


def test_a_deprecated_flag_still_answers_as_before() -> None:
    flags = Flags.from_dict(deprecated("legacy-answers"))
    result = flags.evaluate("legacy-answers.mode", "slow")
    assert (result.value, result.reason) == ("fast", Reason.STATIC)
    assert flags.is_enabled("legacy-answers") is True
    variant_flags = Flags.from_dict(deprecated("legacy-answers-v", variants=True))
    result = variant_flags.evaluate("legacy-answers-v.mode", "", {"u": "1"})
    assert (result.value, result.variant) == ("x", "on")
    assert explain(variant_flags, "legacy-answers-v", {"u": "1"}) is not None


# --------------------------------------------------------------- retrieval form


def test_the_agents_evaluated_answer_carries_the_variant() -> None:
    # What the Agent answered in AWS's "Retrieving ... multi-variant feature flags" page.
    flags = Flags.from_dict(
        {"ui_refresh": {"_variant": "QA", "dark_mode_support": True, "enabled": True}}
    )
    result = flags.evaluate("ui_refresh.dark_mode_support", False)
    assert (result.value, result.variant) == (True, "QA")
    assert flags.get_str("ui_refresh._variant", "") == "QA"
    off = Flags.from_dict({"ui_refresh": {"_variant": "Default Variant", "enabled": False}})
    assert off.evaluate("ui_refresh", True).variant == "Default Variant"
    assert off.get_bool("ui_refresh.dark_mode_support", True) is True


# ------------------------------------------------------------------ Agent Ion form

# AWS's samples from "Feature flag samples for AWS AppConfig Agent local development mode".
ION_TIERED = b"""'tiered_release'::[
  [
    (or (and (eq $group "Tier1") (split by::$userId pct::1 seed::"2025.01.01")) (and (eq $group "Tier2") (split by::$userId pct::7 seed::"2025.01.01"))),
    '''{"_variant": "ShowFeature", "enabled": true}'''
  ],
  '''{"_variant": "HideFeature", "enabled": false}'''
]
"""  # noqa: E501 - AWS's sample, verbatim
ION_COLORWAY = b"""'colorway'::[
  [
    (contains $userId "beta"),
    '''{"_variant": "BetaTesters", "enabled": true, "background": "blue", "foreground": "red"}''',
  ],
  [
    (split by::$userId pct::10),
    '''{"_variant": "SplitRollOutRedAndBlue", "enabled": true, "background": "blue", "foreground": "red"}''',
  ],
  '''{"_variant": "default", "enabled": true, "background": "green", "foreground": "green"}''',
]

'simple_feature'::[
  [
    (contains $userId "beta"),
    '''{"_variant": "BetaTesters", "enabled": true}'''
  ],
  '''{"_variant": "default", "enabled": false}'''
]

'button_color'::'''{"enabled": true, "color": "orange"}'''
"""  # noqa: E501 - AWS's sample, verbatim


def test_agent_ion_samples_evaluate_like_the_stored_document() -> None:
    from appflags.formats._appconfig_ion import parse_ion  # noqa: PLC0415 - see docs/rules.md

    flags = Flags.from_dict(parse_ion(ION_COLORWAY))
    beta = flags.evaluate("colorway.background", "", {"userId": "beta-7"})
    assert (beta.value, beta.variant, beta.reason) == (
        "blue",
        "BetaTesters",
        Reason.TARGETING_MATCH,
    )
    default = flags.evaluate("colorway.background", "", {"userId": "nobody"})
    assert (default.value, default.variant) in {
        ("green", "default"),
        ("blue", "SplitRollOutRedAndBlue"),
    }
    assert flags.get_str("button_color.color", "") == "orange"
    assert flags.is_enabled("simple_feature", {"userId": "beta-1"}) is True
    assert flags.is_enabled("simple_feature", {"userId": "u-1"}, default=True) is False
    assert flags.enabled_features({"userId": "nobody"})[-1] == "button_color"

    tiered = Flags.from_dict(parse_ion(ION_TIERED))
    shown = sum(
        tiered.is_enabled("tiered_release", {"group": "Tier2", "userId": f"u{i}"})
        for i in range(2000)
    )
    assert 80 < shown < 200  # 7% of 2000 is 140
    assert tiered.evaluate("tiered_release", True, {"group": "Tier3"}).variant == "HideFeature"


def test_agent_ion_strings_comments_and_errors() -> None:
    from appflags.formats._appconfig_ion import parse_ion  # noqa: PLC0415 - see docs/rules.md

    doc = parse_ion(
        b"// a comment\n/* and\n another */ beta::'''{\"enabled\": true, '''\n"
        b"'''\"msg\": \"caf\\u00e9 \\\\\"ok\\\\\"\"}'''"
    )
    assert Flags.from_dict(doc).get_str("beta.msg", "") == 'caf\u00e9 "ok"'
    cases = {
        b"'a'::[ [ (eq $x 1) ]": "$: not valid Ion: expected ',' at line 1, column 20",
        b"'a'::\n  '''{1'''": "$.a: flag content is not a JSON object",
        b"::": "$: not valid Ion: expected a flag name annotation",
        b"'a'::'''{}''' junk": "$: not valid Ion: expected '::' at line 1, column 19",
        b"'a'::'''open": "$: not valid Ion: unterminated long string at line 1, column 6",
        b"'a'::[[(eq $x 1), '''{}'''], '''{}'''": "$: not valid Ion: expected ',' or ']' at",
        b"\xff": "$: not valid Ion: not UTF-8 text",
    }
    for data, expected in cases.items():
        with pytest.raises(SchemaError) as caught:
            parse_ion(data)
        assert str(caught.value.problems[0]).startswith(expected), (data, caught.value.problems)


def test_a_bad_rule_in_the_ion_form_is_reported_with_its_caret() -> None:
    from appflags.formats._appconfig_ion import parse_ion  # noqa: PLC0415 - see docs/rules.md

    doc = parse_ion(
        b"'f'::[ [ (eq $x), '''{\"_variant\": \"a\", \"enabled\": true}''' ], '''{}''' ]"
    )
    [(path, message)] = problems_of(doc)
    assert path == "$.values.f._variants[0].rule"
    assert message.endswith("(eq $x)\n          ^")


def test_a_new_version_reports_only_the_flags_that_changed(tmp_path: Path) -> None:
    import threading  # noqa: PLC0415 - only this test waits on the watcher thread

    from appflags import Change  # noqa: PLC0415

    doc = copy.deepcopy(UI_REFRESH)
    doc["flags"]["banner"] = {"name": "Banner", "attributes": {"text": {}}}
    doc["values"]["banner"] = {"enabled": True, "text": "hello"}
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(doc))
    changes: list[Change] = []
    arrived = threading.Event()
    with Flags.from_file(path, watch=0.01) as flags:

        def listen(change: Change) -> None:
            changes.append(change)
            arrived.set()

        flags.on_change(listen)
        doc["values"]["banner"]["text"] = "hello again"
        path.write_text(json.dumps(doc))
        assert arrived.wait(5)
        assert flags.get_str("banner.text", "") == "hello again"
    # The multi-variant flag's rules were reused, not rebuilt: it did not change.
    assert changes[0].changed_keys == frozenset({"banner.text"})


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=6,
)
_CONSTRAINTS = st.sampled_from(
    [
        {"type": "string", "pattern": "^[a-z]+$"},
        {"type": "string", "enum": ["a", 1]},
        {"type": "number", "minimum": 0, "maximum": 10, "required": True},
        {"type": "boolean"},
        {"type": "array", "elements": {"type": "number", "maximum": 3}},
        {"type": "array", "elements": {"type": "string", "pattern": "x"}},
    ]
)


@settings(max_examples=300, deadline=None)
@given(_CONSTRAINTS, _JSON, st.booleans())
def test_validation_of_any_value_names_the_path_and_never_quotes_it(
    constraints: dict[str, Any], value: Any, enabled: bool
) -> None:
    secret = "zq-secret-zq"
    if isinstance(value, list):
        value = [*value, secret]
    elif isinstance(value, str):
        value = secret + value
    doc = {
        "version": "1",
        "flags": {"f": {"name": "f", "attributes": {"a": {"constraints": constraints}}}},
        "values": {"f": {"enabled": enabled, "a": value}},
    }
    try:
        flags = Flags.from_dict(doc)
    except SchemaError as error:
        problems = error.problems
    else:
        assert flags.evaluate("f.a", None).error_code is None
        return
    assert problems
    assert all(p.path.startswith("$.values.f") for p in problems)
    assert all(secret not in p.message for p in problems)
