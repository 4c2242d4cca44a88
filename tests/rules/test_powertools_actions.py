"""Powertools rules through the action table, on odd and hostile contexts.

A flag's rules compile to one function that loops over each rule's ``(test, key, value)``
triples. It must answer as Powertools wherever Powertools itself answers, and elsewhere
(a comparison or a context that raises) as Powertools' own per-action comparators
(``RULE_ACTION_MAPPING``) say, a raise being a non-match and a missing key never matching.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from aws_lambda_powertools.utilities.feature_flags.feature_flags import RULE_ACTION_MAPPING
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import (
    POWERTOOLS_CONTEXT_ACTIONS,
    POWERTOOLS_LIST_ACTIONS,
    powertools_evaluate,
    same,
)
from appflags import Flags
from appflags.compat.powertools import FeatureFlags

NOW = datetime(2024, 5, 15, 14, 30, 45, tzinfo=timezone.utc)


ACTIONS = [*POWERTOOLS_CONTEXT_ACTIONS, *POWERTOOLS_LIST_ACTIONS]
LISTS = frozenset(POWERTOOLS_LIST_ACTIONS)  # value: an array
KEYS = ["a", "b", "{k}", "x') or True or ('", '"""\n', "\\"]


class Sub(str):
    """A str subclass: not a plain type, so IN scans the list as Powertools does."""


class Folded(str):
    """A str subclass whose equality ignores case (and whose hash is str's)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.lower() == other.lower()

    __hash__ = str.__hash__


class Tier(str, enum.Enum):
    GOLD = "gold"


class Hostile:
    """Every comparison, its hash and its truth raise."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __ne__(self, other: object) -> bool:
        raise RuntimeError("ne")

    def __lt__(self, other: object) -> bool:
        raise RuntimeError("lt")

    __gt__ = __le__ = __ge__ = __lt__

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __bool__(self) -> bool:
        raise RuntimeError("bool")


class Murky:
    """Compares to a value whose truth raises (as a NumPy array's does)."""

    def __eq__(self, other: object) -> Any:
        return Hostile()

    __hash__ = object.__hash__

    def __ne__(self, other: object) -> Any:
        return Hostile()


class RaisingMapping(Mapping[str, Any]):
    """A mapping that fails to read one key."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        if key == "b":
            raise RuntimeError("no reading b")
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class UnreadableMapping(RaisingMapping):
    """A mapping whose ``get`` cannot even be looked up: no key can be read."""

    @property
    def get(self) -> Any:
        raise RuntimeError("no get")


_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from([0.0, -0.0, 1.0, 1.5, "", "a", "ab", "gold", "GOLD"]),
)
_PLAIN_SCALARS = st.one_of(_JSON_SCALARS, st.sampled_from([math.nan, math.inf]))
_DOC_VALUES = st.one_of(  # a document is JSON: no NaN, and a condition's value is not null
    _JSON_SCALARS.filter(lambda value: value is not None),
    st.lists(_JSON_SCALARS, max_size=3),
    st.lists(st.one_of(_JSON_SCALARS, st.lists(_JSON_SCALARS, max_size=2)), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), _JSON_SCALARS, max_size=2),
)
# Context values Powertools answers for as well (their truth never raises).
_ODD = st.one_of(
    _PLAIN_SCALARS,
    st.builds(Sub, st.sampled_from(["", "a", "gold", "ab"])),
    st.builds(Folded, st.sampled_from(["a", "Gold", "AB"])),
    st.just(Tier.GOLD),
    st.lists(_PLAIN_SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), _PLAIN_SCALARS, max_size=2),
    st.tuples(_PLAIN_SCALARS),
    st.just(b"ab"),
)
_HOSTILE = st.one_of(_ODD, st.builds(Hostile), st.builds(Murky))


@st.composite
def _documents(draw: st.DrawFn, actions_from: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["f", "g"]), min_size=1, unique=True)):
        boolean = draw(st.booleans())
        rules = {}
        for index in range(draw(st.integers(1, 3))):
            conditions = []
            for _ in range(draw(st.integers(1, 3))):
                action = draw(st.sampled_from(actions_from))
                value = draw(
                    st.lists(_JSON_SCALARS, max_size=3) if action in LISTS else _DOC_VALUES
                )
                conditions.append(
                    {"action": action, "key": draw(st.sampled_from(KEYS)), "value": value}
                )
            rules[f"r{index}"] = {
                "when_match": True if boolean else f"v{index}",
                "conditions": conditions,
            }
        doc[name] = {"default": False if boolean else "off", "rules": rules}
        if not boolean:
            doc[name]["boolean_type"] = False
    return doc


def _contexts(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(KEYS), values, max_size=4)


def _flags(doc: dict[str, Any]) -> Flags:
    return Flags.from_dict(doc, format="powertools", clock=lambda: NOW)


def _holds(condition: dict[str, Any], context: Any) -> bool:
    """One condition as Powertools reads the context and compares (its ``in`` test, then
    ``get``), a missing key and anything that raises being a non-match."""
    key, test = condition["key"], RULE_ACTION_MAPPING[condition["action"]]
    try:
        return key in context and bool(test(context.get(key), condition["value"]))
    except Exception:
        return False


def _expected(feature: dict[str, Any], context: Any) -> tuple[Any, ...]:
    for name, rule in feature["rules"].items():
        if all(_holds(condition, context) for condition in rule["conditions"]):
            return rule["when_match"], name, "TARGETING_MATCH", None
    return feature["default"], None, "DEFAULT", None


def _answer(flags: Flags, name: str, context: Any, default: Any) -> tuple[Any, ...]:
    result = flags.evaluate(name, default, context)
    return result.value, result.variant, result.reason.value, result.error_code


@settings(max_examples=300)
@given(
    doc=_documents(ACTIONS),
    context=_contexts(_HOSTILE),
    wrap=st.sampled_from([dict, MappingProxyType, RaisingMapping, UnreadableMapping]),
)
def test_rules_answer_as_powertools_comparators(doc: Any, context: Any, wrap: Any) -> None:
    flags = _flags(doc)
    context = wrap(context)
    for name, feature in doc.items():
        assert _answer(flags, name, context, feature["default"]) == _expected(feature, context)
        assert flags.is_enabled(name, context) is (_expected(feature, context)[0] is True)


@settings(max_examples=300)
@given(doc=_documents(ACTIONS), context=_contexts(_ODD))
def test_rules_answer_as_powertools(doc: Any, context: dict[str, Any]) -> None:
    compat = FeatureFlags(_flags(doc))
    for name in doc:
        expected = powertools_evaluate(doc, name, context, "default", NOW)
        assert same(compat.evaluate(name=name, context=context, default="default"), expected)


def test_a_context_whose_get_cannot_be_looked_up_matches_no_context_action() -> None:
    # Every condition that reads the context is a non-match (as when get raises); a
    # condition on the clock alone still holds.
    equals = {"action": "EQUALS", "key": "a", "value": 1}
    wednesday = {
        "action": "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
        "key": "CURRENT_DAY_OF_WEEK",
        "value": {"DAYS": ["WEDNESDAY"]},  # NOW is a Wednesday
    }
    doc = {
        name: {"default": False, "rules": {"r": {"when_match": True, "conditions": conditions}}}
        for name, conditions in {
            "context": [equals],
            "clock": [wednesday],
            "both": [wednesday, equals],
        }.items()
    }
    flags = _flags(doc)
    for context in (UnreadableMapping({"a": 1}), {"a": 1}):
        readable = isinstance(context, dict)
        for name, expected in {"context": readable, "clock": True, "both": readable}.items():
            assert flags.evaluate(name, False, context).error_code is None
            assert flags.is_enabled(name, context) is expected
