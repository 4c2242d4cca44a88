"""The ``powertools`` format through the public API: detection, addressing, reasons, errors."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import appflags.rules._powertools_actions as actions
from appflags import ErrorCode, Flags, Reason, SchemaError
from appflags.formats import compile_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "powertools.schema.json"


def rule(when_match: Any, *conditions: tuple[str, str, Any]) -> dict[str, Any]:
    return {
        "when_match": when_match,
        "conditions": [{"action": a, "key": k, "value": v} for a, k, v in conditions],
    }


DOC: dict[str, Any] = {
    "premium": {
        "default": False,
        "rules": {
            "gold": rule(True, ("EQUALS", "tier", "gold")),
            "staff": rule(True, ("ENDSWITH", "email", "@corp.com"), ("NOT_EQUALS", "tier", "free")),
        },
    },
    "always": {"default": True},
    "never": {"default": False},
    "banner": {
        "default": {"color": "blue"},
        "boolean_type": False,
        "rules": {"dutch": rule({"color": "orange"}, ("IN", "country", ["NL", "BE"]))},
    },
    "greeting": {"default": "hello", "boolean_type": False},
    "limit": {"default": 10, "boolean_type": False},
}


@pytest.fixture
def flags() -> Flags:
    return Flags.from_dict(DOC)


# --------------------------------------------------------------------------- detection


def test_auto_detects_a_powertools_document(flags: Flags) -> None:
    # Under "json" the rule structure would be addressable by dotted path; here it is not.
    assert flags.is_enabled("premium", {"tier": "gold"}) is True
    assert flags.get_bool("premium.default", True) is True  # not a key: the caller's default
    assert flags.evaluate("premium.default", True).error_code is ErrorCode.FLAG_NOT_FOUND


@pytest.mark.parametrize(
    ("doc", "key", "expected"),
    [
        # AppConfig's retrieval form: `flag.attribute` keys, not Powertools flags.
        ({"beta": {"enabled": True, "default": "x"}}, "beta.default", "x"),
        # Plain configuration: a top-level value that is not an object keeps it plain JSON.
        ({"db": {"default": "primary"}, "name": "shop"}, "db.default", "primary"),
    ],
)
def test_detection_leaves_other_shapes_alone(doc: dict[str, Any], key: str, expected: str) -> None:
    assert Flags.from_dict(doc).get_str(key, "fallback") == expected


def test_empty_document_is_valid_when_asked_for_explicitly() -> None:
    flags = Flags.from_dict({}, format="powertools")
    assert flags.evaluate("anything", "d").error_code is ErrorCode.FLAG_NOT_FOUND
    assert flags.enabled_features() == []


def test_invalid_powertools_document_is_rejected_not_read_as_json() -> None:
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict({"premium": {"default": "yes"}})
    assert [p.path for p in raised.value.problems] == ["$.premium.default"]


# ------------------------------------------------------------------ reasons & typing


def test_rule_match_reports_the_rule_name(flags: Flags) -> None:
    result = flags.evaluate("premium", False, {"email": "a@corp.com", "tier": "silver"})
    assert (result.value, result.reason, result.variant) == (True, Reason.TARGETING_MATCH, "staff")


def test_first_matching_rule_in_document_order_wins(flags: Flags) -> None:
    context = {"tier": "gold", "email": "a@corp.com"}
    assert flags.evaluate("premium", False, context).variant == "gold"


def test_default_after_rules_were_tried(flags: Flags) -> None:
    result = flags.evaluate("premium", True, {"tier": "free", "email": "a@corp.com"})
    assert (result.value, result.reason, result.variant) == (False, Reason.DEFAULT, None)


def test_flag_without_rules_is_static(flags: Flags) -> None:
    assert flags.evaluate("always", False).reason is Reason.STATIC
    assert flags.evaluate("greeting", "x").reason is Reason.STATIC
    # Static answers ignore the context entirely.
    assert flags.is_enabled("always", {"anything": 1}) is True


def test_non_boolean_flags_answer_typed_lookups(flags: Flags) -> None:
    assert flags.get_object("banner", {}, {"country": "NL"}) == {"color": "orange"}
    assert flags.get_object("banner", {}, {"country": "US"}) == {"color": "blue"}
    assert flags.get_str("greeting", "x") == "hello"
    assert flags.get_int("limit", 0) == 10
    assert flags.get_float("limit", 0.0) == 10.0
    assert flags.is_enabled("banner", default=True) is True  # an object is no boolean
    mismatch = flags.evaluate("greeting", 0)
    assert (mismatch.value, mismatch.error_code) == (0, ErrorCode.TYPE_MISMATCH)


def test_returned_objects_cannot_change_the_flags(flags: Flags) -> None:
    empty: dict[str, str] = {}
    flags.get_object("banner", empty, {"country": "NL"})["color"] = "changed"
    assert flags.get_object("banner", {}, {"country": "NL"}) == {"color": "orange"}


def test_enabled_features_are_the_flags_answering_true(flags: Flags) -> None:
    assert flags.enabled_features({"tier": "gold"}) == ["premium", "always"]
    assert flags.enabled_features() == ["always"]
    mixed = Flags.from_dict(
        {
            "on": {"default": True, "boolean_type": False},
            "text": {"default": "yes", "boolean_type": False},
        }
    )
    assert mixed.enabled_features() == ["on"]


def test_boolean_type_is_read_by_truthiness() -> None:
    flags = Flags.from_dict(
        {
            "zero": {"default": "text", "boolean_type": 0},
            "yes": {"default": True, "boolean_type": "y"},
        }
    )
    assert flags.get_str("zero", "x") == "text"
    assert flags.enabled_features() == ["yes"]


def test_non_boolean_rule_without_when_match_answers_null() -> None:
    doc = {
        "f": {
            "default": "d",
            "boolean_type": False,
            "rules": {"r": {"conditions": [{"action": "EQUALS", "key": "a", "value": 1}]}},
        }
    }
    flags = Flags.from_dict(doc)
    result = flags.evaluate("f", None, {"a": 1})
    assert (result.value, result.reason, result.variant) == (None, Reason.TARGETING_MATCH, "r")
    assert flags.get_str("f", "fallback", {"a": 1}) == "fallback"


# ---------------------------------------------------------------- robust evaluation


class Tier(str, enum.Enum):
    GOLD = "gold"


class Hostile:
    """A context value whose comparisons all raise."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no")

    __hash__ = object.__hash__

    def __gt__(self, other: object) -> bool:
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("action", "value", "context_value", "expected"),
    [
        ("IN", ["gold", "silver"], Tier.GOLD, True),  # str Enum: equal, but hashes differently
        ("NOT_IN", ["gold"], Tier.GOLD, False),
        ("ANY_IN_VALUE", ["gold"], [Tier.GOLD], True),
        ("EQUALS", "gold", Hostile(), False),
        ("KEY_GREATER_THAN_VALUE", 1, Hostile(), False),
        ("NOT_IN", ["gold"], Hostile(), False),
        ("STARTSWITH", "a", b"abc", False),
        ("MODULO_RANGE", {"BASE": 10, "START": 0, "END": 4}, "%d", False),
    ],
)
def test_odd_context_values_never_raise(
    action: str, value: Any, context_value: Any, expected: bool
) -> None:
    flags = Flags.from_dict(
        {"f": {"default": False, "rules": {"r": rule(True, (action, "k", value))}}}
    )
    result = flags.evaluate("f", False, {"k": context_value})
    assert result.value is expected
    assert result.error_code is None


def test_a_context_that_is_not_a_mapping_answers_the_default(flags: Flags) -> None:
    result = flags.evaluate("premium", True, ["tier", "gold"])  # type: ignore[arg-type]
    assert (result.value, result.error_code) == (True, ErrorCode.INVALID_CONTEXT)


# ------------------------------------------------------------------------------ time


def schedule_doc(action: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"f": {"default": False, "rules": {"window": rule(True, (action, key, value))}}}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_time_is_read_from_the_clock_at_each_evaluation() -> None:
    clock = Clock(datetime(2024, 5, 15, 8, 0, tzinfo=timezone.utc))
    doc = schedule_doc(
        "SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", {"START": "09:00", "END": "17:00"}
    )
    flags = Flags.from_dict(doc, clock=clock)
    assert flags.is_enabled("f") is False
    clock.now = datetime(2024, 5, 15, 9, 0, tzinfo=timezone.utc)
    assert flags.is_enabled("f") is True
    assert flags.evaluate("f", False).variant == "window"


def test_time_zone_is_resolved_once_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(datetime(2024, 5, 15, 22, 0, tzinfo=timezone.utc))  # Thursday in Auckland
    value = {"DAYS": ["THURSDAY"], "TIMEZONE": "Pacific/Auckland"}
    doc = schedule_doc("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", value)
    flags = Flags.from_dict(doc, clock=clock)

    def no_lookups(name: Any) -> Any:
        raise AssertionError("time zone looked up at evaluation time")

    monkeypatch.setattr(actions, "gettz", no_lookups)
    assert flags.is_enabled("f") is True


def test_datetime_range_uses_wall_time_in_its_zone() -> None:
    value = {
        "START": "2024-12-24T18:00:00",
        "END": "2024-12-24T23:59:59",
        "TIMEZONE": "Europe/Copenhagen",
    }
    doc = schedule_doc("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", value)
    clock = Clock(datetime(2024, 12, 24, 16, 59, tzinfo=timezone.utc))  # 17:59 in Copenhagen
    flags = Flags.from_dict(doc, clock=clock)
    assert flags.is_enabled("f") is False
    clock.now = datetime(2024, 12, 24, 17, 0, tzinfo=timezone.utc)
    assert flags.is_enabled("f") is True


def test_a_broken_clock_is_a_non_match() -> None:
    def broken() -> datetime:
        raise OSError("clock unavailable")

    doc = schedule_doc(
        "SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", {"START": "00:00", "END": "23:59"}
    )
    assert Flags.from_dict(doc, clock=broken).evaluate("f", True).value is False


# ------------------------------------------------------------------------ validation


def test_every_problem_is_reported_with_its_path() -> None:
    doc = {
        "a": {"default": "x"},
        "b": {"default": True, "rules": {"r": rule(True, ("LIKE", "k", 1))}},
        "c": {
            "default": True,
            "rules": {"r": rule(True, ("MODULO_RANGE", "k", {"BASE": 5, "START": 3, "END": 1}))},
        },
    }
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict(doc, format="powertools")
    assert [p.path for p in raised.value.problems] == [
        "$.a.default",
        "$.b.rules.r.conditions[0].action",
        "$.c.rules.r.conditions[0].value",
    ]


SECRET = "s3cr3t-Value"


@pytest.mark.parametrize(
    "doc",
    [
        {"f": {"default": SECRET}},
        {"f": {"default": True, "rules": {"r": rule(SECRET, ("EQUALS", "k", 1))}}},
        {"f": {"default": True, "rules": {"r": rule(True, (SECRET, "k", 1))}}},
        {"f": {"default": True, "rules": {"r": rule(True, ("ANY_IN_VALUE", "k", SECRET))}}},
        {
            "f": {
                "default": True,
                "rules": {
                    "r": rule(
                        True,
                        (
                            "SCHEDULE_BETWEEN_TIME_RANGE",
                            "CURRENT_TIME",
                            {"START": SECRET, "END": SECRET, "TIMEZONE": SECRET},
                        ),
                    )
                },
            }
        },
        {
            "f": {
                "default": True,
                "rules": {
                    "r": rule(
                        True,
                        (
                            "SCHEDULE_BETWEEN_DATETIME_RANGE",
                            "CURRENT_DATETIME",
                            {"START": SECRET, "END": "2024-01-01"},
                        ),
                    )
                },
            }
        },
        {
            "f": {
                "default": True,
                "rules": {
                    "r": rule(
                        True,
                        (
                            "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
                            "CURRENT_DAY_OF_WEEK",
                            {"DAYS": [SECRET]},
                        ),
                    )
                },
            }
        },
    ],
)
def test_problem_messages_never_quote_values(doc: dict[str, Any]) -> None:
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict(doc, format="powertools")
    assert raised.value.problems
    assert SECRET not in str(raised.value)


def test_the_schema_file_is_a_valid_json_schema_that_agrees_on_shapes() -> None:
    validator = compile_schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(DOC)) == []
    assert list(validator.iter_errors({"f": {"default": None}}))
