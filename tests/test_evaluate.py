"""evaluate(): answers it shares between calls are the answers it would build afresh."""

from __future__ import annotations

import copy
import enum
import json
import pickle
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import GOLD_CONDITION, GOLD_RULE, wait_for
from appflags import ErrorCode, Evaluation, Flags, Reason
from appflags.testing import LocalAppConfig

FLAGS = {
    "beta": {
        "enabled": True,
        "color": "red",
        "limit": 10,
        "ratio": 0.5,
        "tags": ["a", "b"],
    },
    "old": {"enabled": False},
}
NESTED = {"cfg": {"nested": [["x"], ["y"]], "obj": {"a": {"b": 1}}, "n": 1}}
KEYS = ["beta", "beta.color", "beta.limit", "beta.ratio", "beta.tags"]
KEYS += ["old", "old.color", "missing", "beta.missing"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@dataclass(frozen=True)
class Point:
    """A hashable default whose equal values are distinct objects."""

    x: int


defaults = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(Point, st.integers(0, 2)),
    st.tuples(st.integers()),
)


@given(key=st.sampled_from(KEYS), defaults=st.lists(defaults, min_size=1, max_size=6))
def test_shared_answers_equal_answers_built_afresh(key: str, defaults: list[Any]) -> None:
    flags = Flags.from_dict(FLAGS)
    for default in defaults + defaults:  # the second round is answered from the memo
        fresh = Flags.from_dict(FLAGS).evaluate(key, copy.deepcopy(default))
        got = flags.evaluate(key, default)
        assert type(got) is Evaluation
        assert got == fresh
        if got.error_code is not None or got.reason is Reason.DISABLED:
            # The caller's own default, not an equal one another caller passed.
            assert got.value is default or type(default) in (bool, int, float, str, type(None))


def test_failures_answer_with_each_callers_own_default() -> None:
    flags = Flags.from_dict(FLAGS)
    first, second = [1], [1]
    assert flags.evaluate("missing", first).value is first
    assert flags.evaluate("missing", second).value is second
    p1, p2 = Point(1), Point(1)
    assert flags.evaluate("beta.color", p1).value is p1
    again = flags.evaluate("beta.color", p2)
    assert again.value is p2
    assert again.error_code is ErrorCode.TYPE_MISMATCH


@pytest.mark.parametrize("default", [None, [], {}])
def test_object_answers_are_fresh_copies_every_time(default: Any) -> None:
    flags = Flags.from_dict(FLAGS)
    nested = Flags.from_dict(NESTED, format="json")
    for _ in range(3):
        tags = flags.evaluate("beta.tags", default).value
        lists = nested.evaluate("cfg.nested", default).value
        objects = nested.evaluate("cfg", default).value
        assert tags == ["a", "b"]
        assert lists == [["x"], ["y"]]
        assert objects == NESTED["cfg"]
        tags.append("changed")
        lists[0].append("changed")
        objects["obj"]["a"]["b"] = 2
    assert flags.get_object("beta.tags", None) == ["a", "b"]
    assert nested.get_object("cfg", None) == NESTED["cfg"]


def test_each_answer_names_the_version_that_gave_it() -> None:
    with LocalAppConfig(poll_interval=1) as server:
        v1 = {"beta": {"enabled": True, "color": "red"}}
        server.put("app", "env", "flags", v1, version_label="v1")
        with Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:
            for _ in range(2):
                assert flags.evaluate("beta.color", "") == Evaluation("red", version="v1")
                assert flags.evaluate("nope", "").version == "v1"
            v2 = {"beta": {"enabled": True, "color": "red"}, "other": {"enabled": True}}
            server.put("app", "env", "flags", v2, version_label="v2")
            assert wait_for(lambda: flags.version == "v2")
            assert flags.evaluate("beta.color", "") == Evaluation("red", version="v2")
            assert flags.evaluate("nope", "").version == "v2"


def test_not_ready_answers_name_no_version() -> None:
    with LocalAppConfig(poll_interval=1) as server:
        flags = Flags.from_appconfig("app", "env", "none", client=server.client(), wait=0)
        with flags:
            for _ in range(2):
                answer = flags.evaluate("beta", True)
                assert (answer.value, answer.error_code, answer.version) == (
                    True,
                    ErrorCode.PROVIDER_NOT_READY,
                    None,
                )


def test_rule_answers_with_unhashable_defaults_follow_the_context() -> None:
    flags = Flags.from_file(EXAMPLES / "flags-multivariant.json")
    qa = {"email": "jo@qa-testers.mycompany.com"}
    defaults: tuple[Any, ...] = ([], {}, [], {})
    for default in defaults:
        answer = flags.evaluate("ui_refresh", default, qa)
        assert answer.value is default
        assert answer.error_code is ErrorCode.TYPE_MISMATCH
        assert flags.evaluate("ui_refresh.dark_mode_support", Point(1), qa).value == Point(1)
    for _ in range(2):
        assert flags.evaluate("ui_refresh", None, qa).variant == "QA"
        assert flags.evaluate("ui_refresh", None, {}).variant == "Default Variant"


def test_evaluation_is_an_immutable_value() -> None:
    answer = Evaluation("red", None, Reason.STATIC, version="1")
    assert answer == Evaluation("red", version="1")
    assert answer != Evaluation("red", version="2")
    assert answer != ("red", None, Reason.STATIC, None, None, "1")
    assert ("red", None, Reason.STATIC, None, None, "1") != answer  # noqa: SIM300 - reflected
    assert hash(answer) == hash(Evaluation("red", version="1"))
    with pytest.raises(AttributeError):
        answer.value = "blue"  # type: ignore[misc]  # the point: it cannot be set
    assert pickle.loads(pickle.dumps(answer)) == answer  # noqa: S301 - our own bytes
    assert copy.copy(answer) == answer
    assert answer._replace(value="blue").value == "blue"
    assert repr(answer) == (
        "Evaluation(value='red', variant=None, reason=<Reason.STATIC: 'STATIC'>, "
        "error_code=None, error_message=None, version='1')"
    )


class HashFails:
    """A default whose hash raises something other than TypeError."""

    def __hash__(self) -> int:
        raise ValueError("no hash")


class EqFails:
    """Equal hashes, and an equality test that raises."""

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no equality")


@pytest.mark.parametrize("make", [HashFails, EqFails])
@pytest.mark.parametrize("key", ["missing", "beta.color", "old.color", "beta"])
def test_a_default_that_cannot_be_hashed_or_compared_never_raises(make: Any, key: str) -> None:
    flags = Flags.from_dict(FLAGS)
    rules = Flags.from_file(EXAMPLES / "flags-multivariant.json")
    for _ in range(2):
        default = make()
        answer = flags.evaluate(key, default)
        assert type(answer) is Evaluation
        if answer.error_code is not None or answer.reason is Reason.DISABLED:
            assert answer.value is default
        ruled = rules.evaluate("ui_refresh", default, {"email": "jo@qa-testers.mycompany.com"})
        assert ruled.value is default


@given(key=st.sampled_from(KEYS), first=st.sampled_from([0.0, -0.0]), rounds=st.integers(1, 3))
def test_a_failure_answers_minus_zero_to_a_caller_passing_minus_zero(
    key: str, first: float, rounds: int
) -> None:
    """Equal scalar defaults are interchangeable, so their answers are shared; -0.0 and 0.0
    are equal and hashed alike, yet not the same number (str(), copysign, 1/x)."""
    flags = Flags.from_dict(FLAGS)
    rules = Flags.from_file(EXAMPLES / "flags-multivariant.json")
    qa = {"email": "jo@qa-testers.mycompany.com"}
    for default in [first, -first] * rounds:
        for answer in (flags.evaluate(key, default), rules.evaluate("ui_refresh", default, qa)):
            if answer.error_code is not None or answer.reason is Reason.DISABLED:
                assert str(answer.value) == str(default)


def test_keys_that_are_not_strings_are_named_by_their_own_type() -> None:
    flags = Flags.from_dict(FLAGS)
    for key, kind in [(1, "int"), (True, "bool"), (1.0, "float"), (("a",), "tuple")]:
        answer = flags.evaluate(key, False)  # type: ignore[arg-type]  # the point
        assert answer.error_message == f"flag keys are strings, got {kind}: no flag found"


class Named(str, enum.Enum):
    """A str-valued Enum used as a key: equal to the string, with a repr of its own."""

    COLOR = "beta.color"
    NOPE = "nope"


class Unprintable(str):
    """A str subclass whose repr raises."""

    __slots__ = ()

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_str_subclass_keys_answer_as_their_string_whatever_was_asked_before() -> None:
    # Messages name a key by its text: a str subclass equal to a string answers what the
    # string answers, whether or not the string was asked first (and kept), and never
    # raises for a repr that does.
    cases = [
        (key, default)
        for key in [Named.COLOR, Named.NOPE, Unprintable("beta.color"), Unprintable("nope")]
        for default in [0, "", None, [], 0.5]
    ]
    for key, default in cases:
        fresh = Flags.from_dict(FLAGS).evaluate(key, default)
        assert fresh == Flags.from_dict(FLAGS).evaluate(str.__str__(key), default)
        warmed = Flags.from_dict(FLAGS)
        warmed.evaluate(str.__str__(key), default)  # the plain string's answer is kept
        assert warmed.evaluate(key, default) == fresh
    assert Flags.from_dict(FLAGS).evaluate(Named.NOPE, 0).error_message == "flag 'nope' not found"


class Posing:
    """Not a str, yet equal to one and hashed alike (so it finds that flag); no repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return other == self.text

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Proxy:
    """A stand-in whose __class__ names its target's type (as lazy proxies do)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    @property  # type: ignore[misc]  # a property named __class__, on purpose
    def __class__(self) -> type:
        return type(self.target)


class Detached:
    """A stand-in whose __class__ raises (a proxy with nothing behind it)."""

    @property  # type: ignore[misc]  # a property named __class__, on purpose
    def __class__(self) -> type:
        raise RuntimeError("not bound")


def test_odd_defaults_and_keys_on_a_flag_with_rules_never_raise_nor_depend_on_history() -> None:
    # What a default expects is its type(): evaluate's memo is kept per type(), so a
    # __class__ that lies (or raises) must not decide it, nor make a lookup raise.
    flags = Flags.from_dict(POWERTOOLS_RULES, format="powertools")
    defaults = [Proxy("x"), Proxy(None), Proxy(0), Detached(), 0, ""]
    calls = [(key, default) for key in ["premium", "plain"] for default in defaults]
    for key, default in calls + calls:
        fresh = Flags.from_dict(POWERTOOLS_RULES, format="powertools").evaluate(key, default)
        got = flags.evaluate(key, default)
        assert got == fresh
        assert got.value is default or got.error_code is None
    # A key that only poses as a flag's (no str, no repr) is answered, never raising.
    for posing in [Posing("premium"), Posing("plain")]:
        for default in defaults:
            answer = flags.evaluate(posing, default)  # type: ignore[arg-type]  # the point
            assert type(answer) is Evaluation


POWERTOOLS_RULES = {
    "premium": {
        "default": False,
        "rules": {
            "gold in EU": {
                "when_match": True,
                "conditions": [
                    {"action": "EQUALS", "key": "tier", "value": "gold"},
                    {"action": "IN", "key": "region", "value": ["eu-west-1", "eu-central-1"]},
                ],
            },
            "staff": {
                "when_match": True,
                "conditions": [
                    {"action": "ENDSWITH", "key": "email", "value": "@example.com"},
                    {"action": "KEY_GREATER_THAN_VALUE", "key": "spend", "value": 1000},
                ],
            },
        },
    },
    "limits": {
        "default": [1, 2],
        "boolean_type": False,
        "rules": {
            "gold": {
                "when_match": {"max": 5},
                "conditions": [{"action": "EQUALS", "key": "tier", "value": "gold"}],
            }
        },
    },
    "plain": {"default": True},
}
contexts: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.just([]),  # not a mapping: INVALID_CONTEXT
    st.fixed_dictionaries(
        {},
        optional={
            "tier": st.sampled_from(["gold", "silver", 1]),
            "region": st.sampled_from(["eu-west-1", "us-east-1"]),
            "email": st.sampled_from(["a@example.com", "b@customer.org", 7]),
            "spend": st.sampled_from([5, 5000, "x"]),
        },
    ),
)


@given(
    calls=st.lists(
        st.tuples(
            st.sampled_from(["premium", "limits", "plain", "nope", "limits.x"]),
            defaults,
            contexts,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_repeated_lookups_answer_what_a_first_lookup_answers(
    calls: list[tuple[str, Any, Any]],
) -> None:
    # A long-lived Flags answers later calls from its memo (keys with rules through a
    # marker there); a new Flags answers each call as a first call, the reference.
    flags = Flags.from_dict(POWERTOOLS_RULES, format="powertools")
    for key, default, context in calls + calls:
        fresh = Flags.from_dict(POWERTOOLS_RULES, format="powertools")
        expected = fresh.evaluate(key, copy.deepcopy(default), context)
        got = flags.evaluate(key, default, context)
        assert type(got) is Evaluation
        assert got == expected
        assert type(got.value) is type(expected.value)
        if type(got.value) in (list, dict) and got.error_code is None:
            assert got.value is not flags.evaluate(key, default, context).value
    # Every lookup of a missing key is counted, memo or not.
    missing = {m.key: m.count for m in flags.usage().missing}
    wanted: dict[str, int] = {}
    for key, _default, context in calls + calls:
        if key in ("nope", "limits.x") and context != []:  # [] answers INVALID_CONTEXT first
            wanted[key] = wanted.get(key, 0) + 1
    assert missing == wanted


@given(
    key=st.sampled_from(["premium", "limits", "plain", "nope", "premium.x"]),
    context=contexts,
    default=st.booleans(),
)
def test_typed_lookups_answer_what_evaluate_answers(key: str, context: Any, default: bool) -> None:
    # The typed lookups resolve rules on their own path (no Evaluation built); evaluate
    # is the reference for their value. Missing keys are counted by both.
    flags = Flags.from_dict(POWERTOOLS_RULES, format="powertools")
    reference = Flags.from_dict(POWERTOOLS_RULES, format="powertools")
    assert (
        flags.is_enabled(key, context, default=default)
        is reference.evaluate(key, default, context).value
    )
    assert flags.get_object(key, ["d"], context) == reference.evaluate(key, ["d"], context).value
    assert flags.get_str(key, "d", context) == reference.evaluate(key, "d", context).value
    # A context that is no mapping answers INVALID_CONTEXT before any key is read.
    wanted = [(key, 3)] if key in ("nope", "premium.x") and context != [] else []
    assert [(m.key, m.count) for m in flags.usage().missing] == wanted


@given(
    key=st.sampled_from(
        ["ui_refresh", "ui_refresh.dark_mode_support", "ui_refresh._variant", "nope"]
    ),
    email=st.sampled_from(["a@qa-testers.mycompany.com", "b@example.org", None, 5]),
    beta=st.booleans(),
)
def test_multi_variant_lookups_answer_what_evaluate_answers(
    key: str, email: Any, *, beta: bool
) -> None:
    flags = Flags.from_file(EXAMPLES / "flags-multivariant.json")
    context: dict[str, Any] = {} if email is None else {"email": email}
    if beta:
        context["opted_in_to_beta"] = "true"
    for default in (False, True):
        assert (
            flags.is_enabled(key, context, default=default)
            is flags.evaluate(key, default, context).value
        )
    assert flags.get_str(key, "d", context) == flags.evaluate(key, "d", context).value


def test_nan_defaults_do_not_fill_the_memo_for_other_answers() -> None:
    # NaN equals nothing, itself included: were each NaN default kept, a loop passing a
    # fresh float("nan") would fill the memo, and no other answer of that version would
    # be shared afterwards (each built afresh, as the identities below show).
    doc = {
        "plain": {"default": True},
        "ruled": {
            "default": False,
            "rules": {"gold": GOLD_RULE},
        },
    }
    flags = Flags.from_dict(doc, format="powertools")
    gold = {"tier": "gold"}
    for _ in range(10_001):
        for key in ("plain", "ruled", "missing"):
            nan = float("nan")
            answer = flags.evaluate(key, nan, gold)
            assert answer.value is nan or answer.value is True
    assert flags.evaluate("plain", False) is flags.evaluate("plain", False)
    assert flags.evaluate("ruled", False, gold) is flags.evaluate("ruled", False, gold)
    assert flags.evaluate("missing", "d") is flags.evaluate("missing", "d")


class Key(str):
    """A str subclass: equal to a flag's key, so it names that flag."""

    __slots__ = ()


REVISED = {
    "premium": {
        "default": True,
        "rules": {"gold": {"when_match": False, "conditions": [GOLD_CONDITION]}},
    },
    "limits": {"default": {"max": [5, 6]}, "boolean_type": False},
    "plain": {"default": "on", "boolean_type": False},
    "added": {"default": 3, "boolean_type": False},
}
"""POWERTOOLS_RULES revised: other values and types, rules gone and changed, a flag added."""
VERSIONS = [POWERTOOLS_RULES, REVISED]


# The poller draws its jitter from `random` on its own thread while examples run.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module")
def test_answers_equal_a_first_lookups_across_new_versions() -> None:
    # A long-lived Flags answers repeated calls from its memo; a new Flags over the
    # document served answers each as a first call. Every new version, the same bytes
    # deployed again included, must answer afresh and name itself.
    served = {"index": 0}
    keys = ["premium", "limits", "plain", "added", "nope", "limits.x", Key("plain"), 1]
    with LocalAppConfig() as server:
        server.put("app", "env", "flags", VERSIONS[0])
        flags = Flags.from_agent(
            "app",
            "env",
            "flags",
            url=server.endpoint_url,
            poll_interval=0.05,
            format="powertools",
        )

        @settings(max_examples=40, deadline=None)
        @given(
            calls=st.lists(
                st.tuples(
                    st.sampled_from(keys),
                    st.one_of(defaults, st.sampled_from([-0.0, float("nan")])),
                    contexts,
                ),
                min_size=1,
                max_size=8,
            ),
            redeploy=st.booleans(),
        )
        def check(calls: list[tuple[Any, Any, Any]], redeploy: bool) -> None:
            doc, label = VERSIONS[served["index"] % 2], flags.version
            for key, default, context in calls + calls:
                fresh = Flags.from_dict(doc, format="powertools")
                expected = fresh.evaluate(key, copy.deepcopy(default), context)
                got = flags.evaluate(key, default, context)
                assert type(got) is Evaluation
                assert got.version == label
                if default == default:  # noqa: PLR0124 - a NaN default equals no answer
                    assert got == expected._replace(version=label)
                    assert str(got.value) == str(expected.value)  # -0.0 is no 0.0
                if got.error_code is not None or got.reason is Reason.DISABLED:
                    # The caller's own default, or an equal one of an interchangeable type.
                    assert got.value is default or type(default) in (bool, int, float, str)
                elif type(got.value) in (list, dict):
                    assert got.value is not flags.evaluate(key, default, context).value
            # The next version: the other document, or this one under a new label.
            served["index"] += 0 if redeploy else 1
            server.put("app", "env", "flags", VERSIONS[served["index"] % 2])
            assert wait_for(lambda: flags.version != label)

        with flags:
            check()


def test_the_memo_stays_bounded_whatever_keys_and_defaults_callers_pass() -> None:
    # Answers are kept per default type and key, at most 10,000 for all types together:
    # a caller passing ever new keys (missing ones are kept too) with defaults of several
    # types fills the memo once, and then it grows no more.
    flags = Flags.from_dict(FLAGS)
    defaults: list[Any] = [None, False, 0, 0.5, "", ()]

    def look_up(keys: range) -> None:
        for number in keys:
            for default in defaults:
                flags.evaluate(f"key-{number}", default)

    look_up(range(5_000))  # 30,000 lookups: fills the memo (and the usage report's bound)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        look_up(range(5_000, 10_000))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 200_000  # 30,000 more entries would take megabytes


def test_an_integer_too_large_for_a_float_answers_a_float_lookup_with_its_default(
    tmp_path: Path,
) -> None:
    # Documents refuse such integers (tests/formats/test_detection.py), but an override
    # takes any value; as a float it overflows, which must not make a lookup raise: a
    # float lookup (evaluate with a float default) gets a type mismatch.
    huge = 10**400
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"big": {"enabled": True, "n": 1}}))
    flags = Flags.from_file(path)
    key = "big.n"
    with flags.override({key: huge}):
        for context in (None, {"tier": "gold"}):
            assert flags.get_int(key, 0, context) == huge
            for _ in range(2):  # the second answered from the memo
                assert flags.get_float(key, 0.5, context) == 0.5
                answer = flags.evaluate(key, 0.5, context)
                assert answer.value == 0.5
                assert answer.error_code is ErrorCode.TYPE_MISMATCH
                assert answer.error_message == f"flag {key!r} is int, expected float"
