"""appflags and Powertools, side by side: same document, context, default and time.

Every case runs through Powertools' own ``FeatureFlags`` (over a stub store, its clock
frozen with time-machine) and through appflags (``Flags.from_dict`` with a frozen
``clock``), and the answers must be equal, type included. Invalid documents must be
rejected by both, appflags naming the JSON path of the problem.
"""

from __future__ import annotations

import enum
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support import (
    POWERTOOLS_CONTEXT_ACTIONS,
    POWERTOOLS_LIST_ACTIONS,
    powertools_enabled,
    powertools_evaluate,
    powertools_rejects,
    same,
)
from appflags import ErrorCode, Flags, SchemaError
from appflags.compat.powertools import FeatureFlags
from appflags.rules import explain

# A Wednesday, mid-afternoon UTC, with seconds and microseconds that must not matter.
NOW = datetime(2024, 5, 15, 14, 30, 45, 123456, tzinfo=timezone.utc)
_NOT_FOUND = object()


def appflags_flags(doc: Any, now: datetime) -> Flags:
    return Flags.from_dict(doc, format="powertools", clock=lambda: now)


@dataclass
class Case:
    id: str
    doc: dict[str, Any]
    context: dict[str, Any] | None
    name: str = "f"
    default: Any = False
    now: datetime = NOW
    tags: tuple[str, ...] = field(default=())


def one_condition(action: str, key: str, value: Any, **flag: Any) -> dict[str, Any]:
    """A boolean flag whose single rule has one condition."""
    rule = {"when_match": True, "conditions": [{"action": action, "key": key, "value": value}]}
    return {"f": {"default": False, "rules": {"r": rule}, **flag}}


def at(hour: int, minute: int, second: int = 0, day: int = 15, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, second, 987654, tzinfo=timezone.utc)


# ----------------------------------------------------------------- the case table

CASES: list[Case] = []


def add_contexts(label: str, doc: dict[str, Any], contexts: list[Any]) -> None:
    for index, context in enumerate(contexts):
        CASES.append(Case(f"{label}-{index}", doc, context))


add_contexts(
    "equals-str",
    one_condition("EQUALS", "tier", "gold"),
    [{"tier": "gold"}, {"tier": "silver"}, {}, {"tier": None}, {"tier": 1}, {"other": "gold"}],
)
add_contexts(
    "equals-number",
    one_condition("EQUALS", "n", 1),
    [{"n": 1}, {"n": 1.0}, {"n": True}, {"n": "1"}, {"n": 2}],
)
add_contexts(
    "not-equals",
    one_condition("NOT_EQUALS", "tier", "free"),
    [{"tier": "gold"}, {"tier": "free"}, {}, {"tier": None}, {"tier": 0}],
)
for action, contexts in {
    "KEY_GREATER_THAN_VALUE": [{"age": 19}, {"age": 18}, {"age": 17.5}, {"age": "20"}, {}],
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": [{"age": 18}, {"age": 17}, {"age": None}, {"age": 18.0}],
    "KEY_LESS_THAN_VALUE": [{"age": 17}, {"age": 18}, {"age": [1]}, {}, {"age": -1e9}],
    "KEY_LESS_THAN_OR_EQUAL_VALUE": [{"age": 18}, {"age": 19}, {"age": True}, {"age": "x"}],
}.items():
    add_contexts(action.lower(), one_condition(action, "age", 18), contexts)
add_contexts(
    "greater-than-str",
    one_condition("KEY_GREATER_THAN_VALUE", "version", "2.0"),
    [{"version": "2.1"}, {"version": "10.0"}, {"version": 3}],
)
add_contexts(
    "startswith",
    one_condition("STARTSWITH", "email", "admin@"),
    [{"email": "admin@corp"}, {"email": "user@corp"}, {"email": 5}, {}, {"email": ["admin@"]}],
)
add_contexts(
    "startswith-list-value",
    one_condition("STARTSWITH", "email", ["admin@"]),
    [{"email": "admin@corp"}],
)
add_contexts(
    "endswith",
    one_condition("ENDSWITH", "email", "@corp.com"),
    [{"email": "a@corp.com"}, {"email": "a@corp.org"}, {"email": None}, {}],
)
for action in ("IN", "KEY_IN_VALUE", "NOT_IN", "KEY_NOT_IN_VALUE"):
    label = action.lower()
    add_contexts(
        f"{label}-list",
        one_condition(action, "c", ["NL", "DE", 1, None]),
        [
            {"c": "NL"},
            {"c": "US"},
            {"c": 1.0},
            {"c": True},
            {"c": None},
            {"c": ["NL"]},
            {"c": {"NL": 1}},
            {},
        ],
    )
    add_contexts(
        f"{label}-string",
        one_condition(action, "c", "abcdef"),
        [{"c": "cd"}, {"c": "xy"}, {"c": 5}, {"c": ""}],
    )
    add_contexts(
        f"{label}-nested",
        one_condition(action, "c", [[1, 2], {"a": 1}, "x"]),
        [{"c": [1, 2]}, {"c": {"a": 1}}, {"c": "x"}, {"c": [2, 1]}],
    )
    add_contexts(f"{label}-dict", one_condition(action, "c", {"a": 1}), [{"c": "a"}, {"c": "b"}])
    add_contexts(f"{label}-number", one_condition(action, "c", 5), [{"c": 5}])
for action in ("VALUE_IN_KEY", "VALUE_NOT_IN_KEY"):
    add_contexts(
        action.lower(),
        one_condition(action, "groups", "beta"),
        [
            {"groups": ["beta", "x"]},
            {"groups": ["x"]},
            {"groups": "alphabeta"},
            {"groups": {"beta": 1}},
            {"groups": 5},
            {"groups": None},
            {},
        ],
    )
for action in ("ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"):
    add_contexts(
        action.lower(),
        one_condition(action, "t", ["a", "b", "c", 1]),
        [
            {"t": ["a", "b"]},
            {"t": ["a", "z"]},
            {"t": ["y", "z"]},
            {"t": []},
            {"t": "a"},
            {"t": ("a",)},
            {"t": [True, 1.0]},
            {"t": [["a"]]},
            {"t": None},
            {},
        ],
    )


class Tier(str, enum.Enum):
    """A context value that equals a string but hashes differently (a str-valued Enum)."""

    GOLD = "gold"


for action in ("IN", "NOT_IN", "EQUALS", "ANY_IN_VALUE"):
    value = "gold" if action == "EQUALS" else ["gold", "silver"]
    add_contexts(
        f"str-enum-{action.lower()}",
        one_condition(action, "tier", value),
        [{"tier": Tier.GOLD}, {"tier": [Tier.GOLD]}],
    )
add_contexts(
    "modulo",
    one_condition("MODULO_RANGE", "uid", {"BASE": 100, "START": 10, "END": 19}),
    [
        {"uid": 15},
        {"uid": 115},
        {"uid": 9},
        {"uid": 20},
        {"uid": -85},
        {"uid": 15.5},
        {"uid": "15"},
        {"uid": True},
        {"uid": None},
        {},
    ],
)
add_contexts(
    "modulo-bool-base",
    one_condition("MODULO_RANGE", "uid", {"BASE": True, "START": 0, "END": False}),
    [{"uid": 7}, {"uid": 7.5}],
)


def add_times(label: str, doc: dict[str, Any], moments: list[datetime]) -> None:
    for index, moment in enumerate(moments):
        CASES.append(Case(f"{label}-{index}", doc, {}, now=moment, tags=("time",)))


def time_range(start: str, end: str, **extra: Any) -> dict[str, Any]:
    value = {"START": start, "END": end, **extra}
    return one_condition("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", value)


add_times(
    "time-range",
    time_range("09:00", "17:30"),
    [at(14, 30), at(8, 59, 59), at(9, 0), at(17, 30, 59), at(17, 31)],
)
add_times(
    "time-range-midnight",
    time_range("22:00", "02:00"),
    [at(23, 0), at(1, 59), at(2, 0, 30), at(2, 1), at(12, 0), at(21, 59), at(22, 0)],
)
add_times(
    "time-range-same-hour-wrap",
    time_range("23:30", "23:00"),
    [at(23, 15), at(23, 45), at(10, 0), at(23, 0)],
)
add_times("time-range-one-minute", time_range("14:30", "14:30"), [at(14, 30, 59), at(14, 31)])
add_times(
    "time-range-new-york",
    time_range("10:00", "11:00", TIMEZONE="America/New_York"),
    [at(14, 30), at(15, 30), at(14, 30, month=1)],
)
add_times(
    "time-range-kolkata",
    time_range("20:00", "20:30", TIMEZONE="Asia/Kolkata"),
    [at(14, 30), at(15, 0), at(15, 1)],
)
add_times(
    "time-range-copenhagen-dst",
    time_range("02:00", "03:30", TIMEZONE="Europe/Copenhagen"),
    # 2024-03-31: clocks jump 02:00 -> 03:00; 2024-10-27: 03:00 -> 02:00.
    [at(0, 59, day=31, month=3), at(1, 0, day=31, month=3), at(0, 30, day=27, month=10)],
)
add_times("time-range-local-null", time_range("00:00", "12:00", TIMEZONE=None), [at(11, 0)])
add_times("time-range-local-empty", time_range("12:00", "23:59", TIMEZONE=""), [at(13, 0)])
add_times("time-range-timezone-zero", time_range("00:00", "23:59", TIMEZONE=0), [at(13, 0)])
add_times("time-range-timezone-list", time_range("00:00", "23:59", TIMEZONE=[]), [at(13, 0)])
add_times("time-range-posix-tz", time_range("15:00", "16:00", TIMEZONE="UTC+3"), [at(12, 30)])


def datetime_range(start: str, end: str, **extra: Any) -> dict[str, Any]:
    value = {"START": start, "END": end, **extra}
    return one_condition("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", value)


add_times(
    "datetime-range",
    datetime_range("2024-05-01T00:00:00", "2024-05-31T23:59:59"),
    [NOW, at(0, 0, day=1), at(23, 59, 59, day=31), at(0, 0, day=1, month=6)],
)
add_times(
    "datetime-range-exact-microsecond",
    datetime_range("2024-05-15T14:30:45.123456", "2024-05-15T14:30:45.123456"),
    [NOW, NOW + timedelta(microseconds=1), NOW - timedelta(microseconds=1)],
)
add_times(
    "datetime-range-dates-only",
    datetime_range("2024-05-15", "2024-05-15"),
    [NOW, datetime(2024, 5, 15, tzinfo=timezone.utc)],
)
add_times(
    "datetime-range-copenhagen",
    datetime_range("2024-05-15T16:30:00", "2024-05-15T17:00:00", TIMEZONE="Europe/Copenhagen"),
    [at(14, 29), at(14, 30), at(15, 0, 30), at(15, 1)],
)
add_times(
    # Past the last transition in the zone file: dateutil's reading of it decides, on both sides.
    "datetime-range-far-future",
    datetime_range("2045-07-01T13:00:00", "2045-07-01T13:59:59", TIMEZONE="Europe/Copenhagen"),
    [datetime(2045, 7, 1, 12, 30, tzinfo=timezone.utc)],
)
if sys.version_info >= (3, 11):
    # Both sides read START/END with datetime.fromisoformat, which takes the compact form
    # from 3.11 on: on 3.10 Powertools and appflags both refuse this document.
    add_times(
        "datetime-range-compact-iso",
        datetime_range("20240515T000000", "20240516T000000"),
        [NOW, at(12, 0, day=17)],
    )


def days(names: list[str], **extra: Any) -> dict[str, Any]:
    value = {"DAYS": names, **extra}
    return one_condition("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", value)


add_times("days-wednesday", days(["WEDNESDAY"]), [NOW, at(12, 0, day=16)])
add_times("days-weekend", days(["SATURDAY", "SUNDAY"]), [NOW, at(0, 0, day=18), at(23, 59, day=19)])
add_times(
    "days-auckland",
    days(["THURSDAY"], TIMEZONE="Pacific/Auckland"),
    [NOW, at(11, 0), at(12, 0)],
)
add_times("days-honolulu", days(["TUESDAY"], TIMEZONE="Pacific/Honolulu"), [at(9, 0), at(10, 0)])
add_times("days-enum-quirk", days(["DAYS"]), [NOW])
add_times("days-none", days([]), [NOW])

# Several rules, several conditions, non-boolean flags, missing flags, odd documents.
TIERS = {
    "f": {
        "default": False,
        "rules": {
            "gold adults": {
                "when_match": True,
                "conditions": [
                    {"action": "EQUALS", "key": "tier", "value": "gold"},
                    {"action": "KEY_GREATER_THAN_OR_EQUAL_VALUE", "key": "age", "value": 18},
                ],
            },
            "blocked": {
                "when_match": False,
                "conditions": [{"action": "IN", "key": "country", "value": ["KP", "IR"]}],
            },
            "everyone else with a tier": {
                "when_match": True,
                "conditions": [{"action": "NOT_EQUALS", "key": "tier", "value": "free"}],
            },
        },
    }
}
add_contexts(
    "rule-order",
    TIERS,
    [
        {"tier": "gold", "age": 30, "country": "KP"},
        {"tier": "gold", "age": 16, "country": "KP"},
        {"tier": "silver", "country": "NL"},
        {"tier": "free", "country": "NL"},
        {"country": "NL"},
        {},
        None,
    ],
)
PAIRS: dict[str, Any] = {
    "f": {
        "default": False,
        "rules": {
            "nl adults": {
                "when_match": True,
                "conditions": [
                    {"action": "EQUALS", "key": "country", "value": "NL"},
                    {"action": "KEY_GREATER_THAN_VALUE", "key": "age", "value": 17},
                ],
            },
            "blocked staff": {
                "when_match": False,
                "conditions": [
                    {"action": "ENDSWITH", "key": "email", "value": "@corp.com"},
                    {"action": "VALUE_IN_KEY", "key": "roles", "value": "blocked"},
                ],
            },
            "three": {
                "when_match": True,
                "conditions": [
                    {"action": "STARTSWITH", "key": "email", "value": "a"},
                    {"action": "ANY_IN_VALUE", "key": "roles", "value": ["admin"]},
                    {
                        "action": "MODULO_RANGE",
                        "key": "age",
                        "value": {"BASE": 2, "START": 0, "END": 0},
                    },
                ],
            },
        },
    }
}
PAIRS_ONLY = {"f": {**PAIRS["f"], "rules": dict(list(PAIRS["f"]["rules"].items())[:2])}}
PAIR_CONTEXTS: list[Any] = [
    {"country": "NL", "age": 18, "email": "a@corp.com", "roles": ["blocked", "admin"]},
    {"country": "NL", "age": 17, "email": "a@corp.com", "roles": ["blocked", "admin"]},
    {"country": "DE", "age": 30, "email": "a@corp.com", "roles": ["admin"]},
    {"country": "DE", "age": 31, "email": "a@corp.com", "roles": ["admin"]},
    {"email": "b@corp.com"},
]
add_contexts("pairs-and-three", PAIRS, PAIR_CONTEXTS)
add_contexts("pairs-only", PAIRS_ONLY, PAIR_CONTEXTS)
GROUPS = {
    "f": {
        "default": {"group": "read-only"},
        "boolean_type": False,
        "rules": {
            "admins": {
                "when_match": {"group": "admin"},
                "conditions": [{"action": "VALUE_IN_KEY", "key": "roles", "value": "admin"}],
            },
            "no value": {
                "conditions": [{"action": "EQUALS", "key": "tier", "value": "legacy"}],
            },
            "number": {
                "when_match": 0,
                "conditions": [{"action": "EQUALS", "key": "tier", "value": "zero"}],
            },
        },
    }
}
GROUP_CONTEXTS: list[dict[str, Any]] = [
    {"roles": ["admin"]},
    {"tier": "legacy"},
    {"tier": "zero"},
    {"roles": []},
]
for default in (False, "fallback", None):
    for index, context in enumerate(GROUP_CONTEXTS):
        CASES.append(Case(f"non-boolean-{default}-{index}", GROUPS, context, default=default))
ODD = {
    "list-default": {"default": [1, 2], "boolean_type": 0},
    "string-default": {"default": "", "boolean_type": None, "rules": None},
    "truthy-type": {"default": True, "boolean_type": "yes", "rules": []},
    "empty-rules": {"default": True, "rules": {}},
    "null-rules": {"default": False, "rules": None},
    "extra-keys": {"default": True, "description": "ignored", "owner": "team-a"},
    "non-bool-when-match-bool": {
        "default": "off",
        "boolean_type": False,
        "rules": {
            "on": {"when_match": True, "conditions": [{"action": "EQUALS", "key": "a", "value": 1}]}
        },
    },
}
for flag_name in [*ODD, "missing-flag"]:
    for default in (True, "d"):
        CASES.append(
            Case(f"odd-{flag_name}-{default}", ODD, {"a": 1}, name=flag_name, default=default)
        )

VALID_IDS = [case.id for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=VALID_IDS)
def test_same_answer_as_powertools(case: Case) -> None:
    expected = powertools_evaluate(case.doc, case.name, case.context, case.default, case.now)
    flags = appflags_flags(case.doc, case.now)
    compat = FeatureFlags(flags)
    answer = compat.evaluate(name=case.name, context=case.context, default=case.default)
    assert same(answer, expected), (answer, expected)
    # The typed API agrees too: a boolean answer is what is_enabled says.
    evaluation = flags.evaluate(case.name, None, case.context)
    if evaluation.error_code is ErrorCode.FLAG_NOT_FOUND:
        assert same(case.default, expected)
        return
    assert same(evaluation.value, expected)
    if expected is True or expected is False:
        assert flags.is_enabled(case.name, case.context, default=not expected) is expected


def test_the_table_is_large_and_exercises_every_action() -> None:
    from appflags.rules._powertools_actions import ACTIONS  # noqa: PLC0415

    used = {
        condition["action"]
        for case in CASES
        for feature in case.doc.values()
        for rule in (feature.get("rules") or {}).values()
        for condition in rule["conditions"]
    }
    assert used == set(ACTIONS)
    assert len(CASES) >= 100
    # Both outcomes occur: the table is not a list of constant answers.
    answers = {
        json.dumps(powertools_evaluate(c.doc, c.name, c.context, c.default, c.now)) for c in CASES
    }
    assert {"true", "false"} <= answers


@pytest.mark.parametrize("timezone_value", [None, "", 0, False, []])
def test_falsy_timezone_is_the_process_local_zone(
    monkeypatch: pytest.MonkeyPatch, timezone_value: Any
) -> None:
    # Lambda sets TZ=:UTC; here the process's zone is India (UTC+05:30), and gettz reads
    # TZ for a falsy name on both sides.
    monkeypatch.setenv("TZ", ":Asia/Kolkata")
    doc = time_range("20:00", "20:30", TIMEZONE=timezone_value)
    now = at(14, 45)  # 20:15 in Kolkata
    expected = powertools_evaluate(doc, "f", {}, False, now)
    assert FeatureFlags(appflags_flags(doc, now)).evaluate(name="f", default=False) is expected
    if timezone_value is None:
        assert expected is True  # gettz(None) is never cached: it reads TZ every time


ENABLED_DOC = {
    **TIERS,
    "on": {"default": True},
    "off": {"default": False},
    "weekday": days(["WEDNESDAY"])["f"],
    "work hours": time_range("09:00", "17:00")["f"],
    "groups": GROUPS["f"],
    "empty-list": {"default": [], "boolean_type": False},
    "true-valued": {"default": True, "boolean_type": False},
    "empty-rules": {"default": True, "rules": []},
}


@pytest.mark.parametrize(
    ("context", "now"),
    [({"tier": "gold", "age": 20}, NOW), ({"tier": "free"}, NOW), (None, at(20, 0, day=16))],
)
def test_enabled_features_as_powertools(context: dict[str, Any] | None, now: datetime) -> None:
    expected = powertools_enabled(ENABLED_DOC, context, now)
    compat = FeatureFlags(appflags_flags(ENABLED_DOC, now))
    assert compat.get_enabled_features(context=context) == expected
    # The typed API lists the flags answering True; Powertools also counts truthy values.
    flags = appflags_flags(ENABLED_DOC, now)
    true_valued = [n for n in expected if flags.evaluate(n, None, context).value is True]
    assert flags.enabled_features(context) == true_valued
    assert true_valued != expected  # the document has truthy non-boolean values


def test_enabled_features_where_powertools_crashes() -> None:
    # Powertools calls .items() on a falsy non-dict "rules" when the default is falsy.
    doc = {"a": {"default": False, "rules": None}, "b": {"default": True, "rules": []}}
    with pytest.raises(AttributeError):
        powertools_enabled(doc, {}, NOW)
    assert FeatureFlags(appflags_flags(doc, NOW)).get_enabled_features() == ["b"]


# --------------------------------------------------------------- invalid documents


def condition_doc(**condition: Any) -> dict[str, Any]:
    return {
        "f": {"default": False, "rules": {"r": {"when_match": True, "conditions": [condition]}}}
    }


def schedule(action: str, key: str, **value: Any) -> dict[str, Any]:
    return condition_doc(action=action, key=key, value=value)


C0 = "$.f.rules.r.conditions[0]"
INVALID: list[tuple[str, Any, str]] = [
    ("not-an-object", [], "$"),
    ("flag-not-an-object", {"f": True}, "$.f"),
    ("flag-empty", {"f": {}}, "$.f"),
    ("default-missing", {"f": {"rules": {}}}, "$.f"),
    ("default-null", {"f": {"default": None}}, "$.f.default"),
    ("default-not-bool", {"f": {"default": 1}}, "$.f.default"),
    ("default-null-non-boolean", {"f": {"default": None, "boolean_type": False}}, "$.f.default"),
    ("default-string-truthy-type", {"f": {"default": "x", "boolean_type": 1}}, "$.f.default"),
    ("rules-list", {"f": {"default": True, "rules": [1]}}, "$.f.rules"),
    ("rules-string", {"f": {"default": True, "rules": "r"}}, "$.f.rules"),
    ("rule-not-object", {"f": {"default": True, "rules": {"r": 1}}}, "$.f.rules.r"),
    ("rule-empty", {"f": {"default": True, "rules": {"r": {}}}}, "$.f.rules.r"),
    (
        "rule-name-empty",
        {
            "f": {
                "default": True,
                "rules": {"": condition_doc(action="EQUALS", key="a", value=1)["f"]["rules"]["r"]},
            }
        },
        "$.f.rules.",
    ),
    (
        "when-match-missing",
        {
            "f": {
                "default": True,
                "rules": {"r": {"conditions": [{"action": "EQUALS", "key": "a", "value": 1}]}},
            }
        },
        "$.f.rules.r",
    ),
    (
        "when-match-not-bool",
        {
            "f": {
                "default": True,
                "rules": {
                    "r": {
                        "when_match": "yes",
                        "conditions": [{"action": "EQUALS", "key": "a", "value": 1}],
                    }
                },
            }
        },
        "$.f.rules.r.when_match",
    ),
    (
        "conditions-missing",
        {"f": {"default": True, "rules": {"r": {"when_match": True}}}},
        "$.f.rules.r",
    ),
    (
        "conditions-empty",
        {"f": {"default": True, "rules": {"r": {"when_match": True, "conditions": []}}}},
        "$.f.rules.r.conditions",
    ),
    (
        "conditions-object",
        {"f": {"default": True, "rules": {"r": {"when_match": True, "conditions": {"a": 1}}}}},
        "$.f.rules.r.conditions",
    ),
    (
        "condition-not-object",
        {"f": {"default": True, "rules": {"r": {"when_match": True, "conditions": ["EQUALS"]}}}},
        C0,
    ),
    ("condition-empty", condition_doc(), C0),
    ("action-unknown", condition_doc(action="CONTAINS", key="a", value=1), f"{C0}.action"),
    ("action-lowercase", condition_doc(action="equals", key="a", value=1), f"{C0}.action"),
    ("action-list", condition_doc(action=["EQUALS"], key="a", value=1), f"{C0}.action"),
    ("action-missing", condition_doc(key="a", value=1), C0),
    ("key-empty", condition_doc(action="EQUALS", key="", value=1), f"{C0}.key"),
    ("key-number", condition_doc(action="EQUALS", key=5, value=1), f"{C0}.key"),
    ("value-null", condition_doc(action="EQUALS", key="a", value=None), f"{C0}.value"),
    ("value-missing", condition_doc(action="EQUALS", key="a"), C0),
    ("any-in-string", condition_doc(action="ANY_IN_VALUE", key="a", value="x"), f"{C0}.value"),
    ("all-in-object", condition_doc(action="ALL_IN_VALUE", key="a", value={"x": 1}), f"{C0}.value"),
    ("none-in-number", condition_doc(action="NONE_IN_VALUE", key="a", value=1), f"{C0}.value"),
    ("modulo-not-object", condition_doc(action="MODULO_RANGE", key="a", value=[1]), f"{C0}.value"),
    (
        "modulo-missing-end",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": 10, "START": 0}),
        f"{C0}.value",
    ),
    (
        "modulo-float",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": 10.0, "START": 0, "END": 9}),
        f"{C0}.value.BASE",
    ),
    (
        "modulo-string",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": "10", "START": 0, "END": 9}),
        f"{C0}.value.BASE",
    ),
    (
        "modulo-end-past-base",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": 10, "START": 0, "END": 10}),
        f"{C0}.value",
    ),
    (
        "modulo-start-after-end",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": 10, "START": 5, "END": 4}),
        f"{C0}.value",
    ),
    (
        "modulo-negative",
        condition_doc(action="MODULO_RANGE", key="a", value={"BASE": 10, "START": -1, "END": 4}),
        f"{C0}.value",
    ),
    (
        "time-key",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_DATETIME", START="10:00", END="11:00"),
        f"{C0}.key",
    ),
    (
        "time-not-object",
        condition_doc(action="SCHEDULE_BETWEEN_TIME_RANGE", key="CURRENT_TIME", value="10:00"),
        f"{C0}.value",
    ),
    (
        "time-24",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="24:00", END="11:00"),
        f"{C0}.value.START",
    ),
    (
        "time-no-padding",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="9:00", END="11:00"),
        f"{C0}.value.START",
    ),
    (
        "time-seconds",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="09:00", END="11:00:00"),
        f"{C0}.value.END",
    ),
    (
        "time-newline",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="09:00", END="11:00\n"),
        f"{C0}.value.END",
    ),
    (
        "time-missing-end",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="09:00"),
        f"{C0}.value",
    ),
    (
        "time-number",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START=900, END="11:00"),
        f"{C0}.value.START",
    ),
    (
        "time-zone-unknown",
        schedule(
            "SCHEDULE_BETWEEN_TIME_RANGE",
            "CURRENT_TIME",
            START="09:00",
            END="11:00",
            TIMEZONE="Mars/Olympus",
        ),
        f"{C0}.value.TIMEZONE",
    ),
    (
        "time-zone-number",
        schedule(
            "SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", START="09:00", END="11:00", TIMEZONE=5
        ),
        f"{C0}.value.TIMEZONE",
    ),
    (
        "time-zone-lowercase",
        schedule(
            "SCHEDULE_BETWEEN_TIME_RANGE",
            "CURRENT_TIME",
            START="09:00",
            END="11:00",
            TIMEZONE="utc",
        ),
        f"{C0}.value.TIMEZONE",
    ),
    (
        "datetime-key",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_TIME", START="2024-01-01", END="2024-02-01"
        ),
        f"{C0}.key",
    ),
    (
        "datetime-z",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            START="2024-01-01T00:00:00Z",
            END="2024-02-01",
        ),
        f"{C0}.value.START",
    ),
    (
        "datetime-offset",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            START="2024-01-01",
            END="2024-02-01T00:00:00+02:00",
        ),
        f"{C0}.value.END",
    ),
    (
        "datetime-garbage",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            START="next tuesday",
            END="2024-02-01",
        ),
        f"{C0}.value.START",
    ),
    (
        "datetime-month-13",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            START="2024-13-01",
            END="2024-02-01",
        ),
        f"{C0}.value.START",
    ),
    (
        "datetime-missing",
        schedule("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", END="2024-02-01"),
        f"{C0}.value",
    ),
    (
        "datetime-zone",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            START="2024-01-01",
            END="2024-02-01",
            TIMEZONE="Europe/Atlantis",
        ),
        f"{C0}.value.TIMEZONE",
    ),
    (
        "days-key",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_TIME", DAYS=["MONDAY"]),
        f"{C0}.key",
    ),
    (
        "days-lowercase",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", DAYS=["monday"]),
        f"{C0}.value.DAYS[0]",
    ),
    (
        "days-abbreviated",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", DAYS=["MONDAY", "TUE"]),
        f"{C0}.value.DAYS[1]",
    ),
    (
        "days-string",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", DAYS="MONDAY"),
        f"{C0}.value.DAYS",
    ),
    (
        "days-missing",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", TIMEZONE="UTC"),
        f"{C0}.value",
    ),
    (
        "days-zone",
        schedule(
            "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
            "CURRENT_DAY_OF_WEEK",
            DAYS=["MONDAY"],
            TIMEZONE="Nowhere",
        ),
        f"{C0}.value.TIMEZONE",
    ),
    (
        "second-flag-only",
        {
            "good": {"default": True},
            "bad": {
                "default": True,
                "rules": {
                    "r": {"when_match": True, "conditions": [{"action": "EQUALS", "key": "a"}]}
                },
            },
        },
        "$.bad.rules.r.conditions[0]",
    ),
]


@pytest.mark.parametrize(
    ("doc", "path"), [(d, p) for _, d, p in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_rejected_like_powertools(doc: Any, path: str) -> None:
    assert powertools_rejects(doc)
    with pytest.raises(SchemaError) as raised:
        Flags.from_dict(doc, format="powertools")
    assert path in [problem.path for problem in raised.value.problems]


# ------------------------------------------------------------------ generated docs

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from([0.0, 1.5, "", "a", "b", "gold", "MONDAY", "UTC", "09:00", "2024-05-15"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
    ),
    max_leaves=5,
)
_TIMEZONES: st.SearchStrategy[Any] = st.sampled_from(
    [None, "", "UTC", "Europe/Copenhagen", "Asia/Kolkata", "UTC+3", 0, []]
)
_CLOCKS = st.sampled_from(["00:00", "09:30", "12:00", "14:30", "15:00", "23:59"])
_DATES = st.sampled_from(["2024-05-01", "2024-05-15T14:30:00", "2024-05-17T00:00", "20240601"])
_DAYS = st.sampled_from(["MONDAY", "WEDNESDAY", "THURSDAY", "SATURDAY", "SUNDAY", "DAYS"])
# What a mutation writes: JSON of every kind, and near misses of valid values.
_NEAR_MISSES: st.SearchStrategy[Any] = st.sampled_from(
    [None, "", 3.0, True, "24:00", "9:00", "monday", "Nowhere", "2024-05-15Z", "CONTAINS", [], {}]
)


@st.composite
def _conditions(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(["context"] * 4 + ["list"] * 2 + ["time", "datetime", "days", "modulo"])
    )
    value: Any
    if kind in ("context", "list"):
        if kind == "context":
            action, value = draw(st.sampled_from(POWERTOOLS_CONTEXT_ACTIONS)), draw(_VALUES)
        else:
            action, value = (
                draw(st.sampled_from(POWERTOOLS_LIST_ACTIONS)),
                draw(st.lists(_SCALARS, max_size=4)),
            )
        if value is None:
            value = "a"
        return {"action": action, "key": draw(st.sampled_from(["a", "b"])), "value": value}
    if kind == "modulo":
        base = draw(st.integers(1, 12))
        start = draw(st.integers(0, base - 1))
        value = {"BASE": base, "START": start, "END": draw(st.integers(start, base - 1))}
        return {"action": "MODULO_RANGE", "key": "a", "value": value}
    if kind == "time":
        action, key, value = (
            "SCHEDULE_BETWEEN_TIME_RANGE",
            "CURRENT_TIME",
            {"START": draw(_CLOCKS), "END": draw(_CLOCKS)},
        )
    elif kind == "datetime":
        action, key, value = (
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            {"START": draw(_DATES), "END": draw(_DATES)},
        )
    else:
        action, key, value = (
            "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
            "CURRENT_DAY_OF_WEEK",
            {"DAYS": draw(st.lists(_DAYS, max_size=3))},
        )
    if draw(st.booleans()):
        value["TIMEZONE"] = draw(_TIMEZONES)
    return {"action": action, "key": key, "value": value}


@st.composite
def _valid_documents(draw: st.DrawFn) -> Any:
    doc = {}
    for name in draw(
        st.lists(st.sampled_from(["f", "g", "h"]), min_size=1, max_size=3, unique=True)
    ):
        feature: dict[str, Any] = {}
        boolean = True
        if not draw(st.integers(0, 2)):
            feature["boolean_type"] = draw(st.sampled_from([True, False, 0, None, "x"]))
            boolean = bool(feature["boolean_type"])
        default = draw(st.booleans() if boolean else _VALUES)
        feature["default"] = "off" if default is None else default
        if draw(st.integers(0, 4)):
            rules: Any = {}
            for rule_name in draw(
                st.lists(st.sampled_from(["r1", "r2", "r3"]), min_size=1, max_size=3, unique=True)
            ):
                rule: dict[str, Any] = {
                    "conditions": draw(st.lists(_conditions(), min_size=1, max_size=2))
                }
                if boolean or draw(st.integers(0, 5)):
                    rule["when_match"] = draw(st.booleans() if boolean else _VALUES)
                rules[rule_name] = rule
            feature["rules"] = rules
        elif draw(st.booleans()):
            feature["rules"] = draw(st.sampled_from([{}, [], None, "", 0, False]))
        doc[name] = feature
    return doc


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a document, for mutations to aim at."""
    found: list[tuple[Any, Any]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        found.append((node, key))
        found.extend(_slots(child))
    return found


@st.composite
def _documents(draw: st.DrawFn) -> Any:
    """A valid document, and in half the cases one mutation of it (valid or not)."""
    doc = draw(_valid_documents())
    if draw(st.booleans()):
        container, key = draw(st.sampled_from(_slots(doc)))
        if isinstance(container, dict) and draw(st.integers(0, 3)) == 0:
            del container[key]
        else:
            container[key] = draw(st.one_of(_NEAR_MISSES, _VALUES))
    return doc


_CONTEXT = st.dictionaries(
    st.sampled_from(["a", "b"]), st.one_of(_VALUES, st.lists(_SCALARS, max_size=3)), max_size=2
)
_MOMENTS = st.datetimes(
    min_value=datetime(2024, 5, 13),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2024, 5, 20),  # noqa: DTZ001
    timezones=st.just(timezone.utc),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents(), context=_CONTEXT, now=_MOMENTS)
def test_generated_documents_agree(doc: Any, context: dict[str, Any], now: datetime) -> None:
    rejected = powertools_rejects(doc)
    try:
        flags = appflags_flags(doc, now)
    except SchemaError:
        assert rejected, "appflags rejected a document Powertools accepts"
        return
    assert not rejected, "appflags accepted a document Powertools rejects"
    compat = FeatureFlags(flags)
    for name in doc:
        expected = powertools_evaluate(doc, name, context, "default", now)
        assert same(compat.evaluate(name=name, context=context, default="default"), expected)
    try:
        enabled = powertools_enabled(doc, context, now)
    except AttributeError:
        return  # Powertools' crash on falsy non-dict "rules": see the test above
    assert compat.get_enabled_features(context=context) == enabled


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_valid_documents(), context=_CONTEXT, now=_MOMENTS)
def test_explain_names_the_rule_that_answered(
    doc: Any, context: dict[str, Any], now: datetime
) -> None:
    # Explanations are built on request from the compiled conditions (not on every load):
    # they must still show each rule as written and agree with the answer.
    try:
        flags = appflags_flags(doc, now)
    except SchemaError:
        return
    for name, feature in doc.items():
        explanation = explain(flags, name, context)
        if not feature.get("rules"):
            assert explanation is None
            continue
        assert explanation is not None
        answer = flags.evaluate(name, None, context)
        assert explanation.variant == (answer.variant or "(default)")
        tried = explanation.tried
        rules = list(feature["rules"].items())[: len(tried)]
        assert [t.variant for t in tried[: len(rules)]] == [rule_name for rule_name, _ in rules]
        assert [t.rule for t in tried[: len(rules)]] == [
            json.dumps(rule["conditions"]) for _, rule in rules
        ]
        assert [t.result for t in tried] == [False] * (len(tried) - 1) + [True]
