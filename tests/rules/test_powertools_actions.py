"""Fused Powertools rules: one generated function per flag, against the closures it replaces.

A flag's rules compile to one function whose source spells out the commonest actions
(``EQUALS``, comparisons, ``STARTSWITH``/``ENDSWITH``, the ``IN`` family) and calls the
closures of the others. Flags of shapes beyond a compile's budget keep one closure per
condition. Both must give the same answer for every context, odd values included, and
the same as Powertools wherever Powertools itself answers.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import appflags.formats._powertools as powertools_format
import appflags.rules._powertools_actions as actions
from _support import powertools_evaluate, same
from appflags import Flags
from appflags.compat.powertools import FeatureFlags

NOW = datetime(2024, 5, 15, 14, 30, 45, tzinfo=timezone.utc)


INLINE = [
    "EQUALS",
    "NOT_EQUALS",
    "KEY_GREATER_THAN_VALUE",
    "KEY_GREATER_THAN_OR_EQUAL_VALUE",
    "KEY_LESS_THAN_VALUE",
    "KEY_LESS_THAN_OR_EQUAL_VALUE",
    "STARTSWITH",
    "ENDSWITH",
    "IN",
    "NOT_IN",
    "KEY_IN_VALUE",
    "KEY_NOT_IN_VALUE",
]
# A few actions that stay closures, called from the fused function.
CALLED = ["VALUE_IN_KEY", "ANY_IN_VALUE", "NONE_IN_VALUE"]
LISTS = frozenset(("ANY_IN_VALUE", "NONE_IN_VALUE"))  # their value must be an array
# Keys that would break generated source if any document text reached it.
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


@contextmanager
def _closures_only() -> Iterator[None]:
    """Flags compiled meanwhile keep one closure per condition: no shape is fused."""
    saved, budget = dict(actions._MAKERS), powertools_format.NEW_SHAPES
    actions._MAKERS.clear()
    powertools_format.NEW_SHAPES = 0
    try:
        yield
    finally:
        powertools_format.NEW_SHAPES = budget
        actions._MAKERS.update(saved)


def _both(doc: dict[str, Any]) -> tuple[Flags, Flags]:
    fused = Flags.from_dict(doc, format="powertools", clock=lambda: NOW)
    with _closures_only():
        closures = Flags.from_dict(doc, format="powertools", clock=lambda: NOW)
    for name in doc:  # the two really are the two paths
        assert fused._snapshot.rules[name].__name__ == "fused"
        assert closures._snapshot.rules[name].__name__ != "fused"
    return fused, closures


def _answer(flags: Flags, name: str, context: Any) -> tuple[Any, ...]:
    result = flags.evaluate(name, "default", context)
    return result.value, result.variant, result.reason, result.error_code


@settings(max_examples=300)
@given(
    doc=_documents(INLINE + CALLED),
    context=_contexts(_HOSTILE),
    wrap=st.sampled_from([dict, MappingProxyType, RaisingMapping, UnreadableMapping]),
)
def test_fused_rules_answer_as_the_closures(doc: Any, context: Any, wrap: Any) -> None:
    fused, closures = _both(doc)
    context = wrap(context)
    for name in doc:
        assert _answer(fused, name, context) == _answer(closures, name, context)
        assert fused.is_enabled(name, context) == closures.is_enabled(name, context)


@settings(max_examples=300)
@given(doc=_documents(INLINE + CALLED), context=_contexts(_ODD))
def test_fused_rules_answer_as_powertools(doc: Any, context: dict[str, Any]) -> None:
    fused, _ = _both(doc)
    compat = FeatureFlags(fused)
    for name in doc:
        expected = powertools_evaluate(doc, name, context, "default", NOW)
        assert same(compat.evaluate(name=name, context=context, default="default"), expected)


def test_a_context_whose_get_cannot_be_looked_up_matches_no_context_action() -> None:
    # Every condition that reads the context is a non-match (as when get raises); a
    # condition on the clock alone still holds, as in the closures.
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
    fused, closures = _both(doc)
    context = UnreadableMapping({"a": 1})
    for name, expected in {"context": False, "clock": True, "both": False}.items():
        assert _answer(fused, name, context) == _answer(closures, name, context)
        assert fused.evaluate(name, False, context).error_code is None
        assert fused.is_enabled(name, context) is expected


def test_a_compile_fuses_its_commonest_new_shapes_within_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(powertools_format, "NEW_SHAPES", 2)
    monkeypatch.setattr(actions, "_MAKERS", {})

    def flag(*actions_of_rules: tuple[str, ...]) -> dict[str, Any]:
        rules = {
            f"r{index}": {
                "when_match": True,
                "conditions": [{"action": a, "key": "k", "value": "x"} for a in rule_actions],
            }
            for index, rule_actions in enumerate(actions_of_rules)
        }
        return {"default": False, "rules": rules}

    doc = {
        "common-1": flag(("EQUALS",)),
        "rare": flag(("STARTSWITH",), ("EQUALS",)),
        "common-2": flag(("EQUALS",)),
        "second-1": flag(("ENDSWITH", "NOT_EQUALS")),
        "second-2": flag(("ENDSWITH", "NOT_EQUALS")),
    }
    flags = Flags.from_dict(doc)
    kinds = {name: rule.__name__ for name, rule in flags._snapshot.rules.items()}
    assert kinds == {
        "common-1": "fused",
        "rare": "single_rules",
        "common-2": "fused",
        "second-1": "fused",
        "second-2": "fused",
    }
    assert flags.is_enabled("rare", {"k": "x"}) is True
    assert flags.is_enabled("second-1", {"k": "x"}) is False
    assert flags.is_enabled("second-1", {"k": "yx"}) is True
    # A later compile fuses the shapes earlier ones compiled, and the rare one now fits.
    again = Flags.from_dict(doc)
    assert {rule.__name__ for rule in again._snapshot.rules.values()} == {"fused"}


def test_document_text_never_becomes_source() -> None:
    # Keys and values that would be code if pasted into the function's source stay data.
    key = "k') or True or ('"
    doc = {
        "f": {
            "default": False,
            "rules": {
                "r": {
                    "when_match": True,
                    "conditions": [
                        {"action": "EQUALS", "key": key, "value": "__import__('os')"},
                        {"action": "IN", "key": "{k}", "value": ["{v}", "{m}"]},
                    ],
                }
            },
        }
    }
    flags = Flags.from_dict(doc)
    assert flags._snapshot.rules["f"].__name__ == "fused"
    assert flags.is_enabled("f", {key: "__import__('os')", "{k}": "{m}"}) is True
    assert flags.is_enabled("f", {key: "__import__('os')", "{k}": "{k}"}) is False
    assert flags.is_enabled("f", {"k": "__import__('os')", "{k}": "{m}"}) is False
