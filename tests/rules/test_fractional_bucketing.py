"""flagd's fractional bucketing, checked against independent implementations.

v3 (the default) against flagd-core 2.0's own ``fractional`` (the evaluator of flagd's
Python provider, installed with the dev extra) and against ``cbor2`` + ``mmh3``; v2 against
flagd's documented algorithm (flagd ``core/pkg/evaluator/fractional.go``: MurmurHash3 x86
32-bit, seed 0, of the UTF-8 bucketing value; bucket = ``(hash * totalWeight) >> 32``; the
first variant whose cumulative weight exceeds the bucket), computed with ``mmh3``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import cbor2
import mmh3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support import flagd_bucket
from appflags.rules._jsonlogic import Abort, compile_logic
from appflags.rules._jsonlogic._fractional import (
    MAX_WEIGHT_SUM,
    bucket_of,
    cbor_encoding,
    murmur3_32,
)

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def reference_variant(bucketing_value: str, buckets: list[tuple[str, int]]) -> str:
    """flagd's choice, from its documented algorithm and mmh3's MurmurHash3."""
    return flagd_bucket(mmh3.hash(bucketing_value.encode("utf-8"), 0, signed=False), buckets)


def fractional(
    rule_args: list[Any], context: dict[str, Any], flag_key: str = "flag", version: str = "v2"
) -> Any:
    node = compile_logic(
        {"fractional": rule_args},
        flag_key=flag_key,
        evaluators={},
        clock=lambda: NOW,
        fractional=version,
    )
    return node.fn(context)


@given(st.binary(max_size=64))
def test_murmur3_matches_the_reference_implementation(data: bytes) -> None:
    assert murmur3_32(data) == mmh3.hash(data, 0, signed=False)


def test_murmur3_known_vectors() -> None:
    # Published MurmurHash3_x86_32 vectors (seed 0).
    assert murmur3_32(b"") == 0
    assert murmur3_32(b"hello") == 0x248BFA47
    assert murmur3_32(b"The quick brown fox jumps over the lazy dog") == 0x2E4FF723


TARGETING_KEYS = [
    "user-1",
    "user-2",
    "user-42",
    "jon@company.com",
    "jane@company.com",
    "5c3d8535-f81a-4478-a6d3-afaa4d51199e",
    "f20bd32d-703b-48b6-bc8e-79d53c85134a",
    "Świętopełk",
    "",
    "a" * 97,
] + [f"customer-{n:05d}" for n in range(0, 2000, 37)]

SPLITS = [
    [("on", 50), ("off", 50)],
    [("red", 25), ("blue", 25), ("green", 25), ("yellow", 25)],
    [("canary", 1), ("stable", 99)],
    [("a", 10), ("b", 20), ("c", 70)],
    [("tiny", 1), ("huge", 1_000_000)],
]


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: "/".join(f"{v}{w}" for v, w in s))
def test_targeting_key_lands_in_flagds_bucket(split: list[tuple[str, int]]) -> None:
    rule = [[variant, weight] for variant, weight in split]
    for key in TARGETING_KEYS:
        if not key:  # flagd: an empty targeting key buckets nobody
            with pytest.raises(Abort):
                fractional(rule, {"targetingKey": key}, flag_key="new-checkout")
            continue
        expected = reference_variant("new-checkout" + key, split)
        assert fractional(rule, {"targetingKey": key}, flag_key="new-checkout") == expected, key


@pytest.mark.parametrize("split", SPLITS[:3], ids=["50/50", "quarters", "1/99"])
def test_explicit_bucketing_value_lands_in_flagds_bucket(split: list[tuple[str, int]]) -> None:
    rule: list[Any] = [{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}]
    rule += [[variant, weight] for variant, weight in split]
    for key in TARGETING_KEYS:
        expected = reference_variant("banner" + key, split)
        assert fractional(rule, {"email": key}, flag_key="banner") == expected, key


# flagd-testbed gherkin/targeting.feature, @fractional-v2 examples, with the flags of
# flags/custom-ops.json: vectors published by flagd for every in-process provider.
TESTBED_SUITS = [["clubs", 25], ["diamonds", 25], ["hearts", 25], ["spades", 25]]


@pytest.mark.parametrize(
    ("name", "suit"),
    [
        ("jack", "hearts"),
        ("queen", "spades"),
        ("ten", "clubs"),
        ("nine", "diamonds"),
        ("3", "clubs"),
    ],
)
def test_flagd_testbed_vectors_with_flag_key_seed(name: str, suit: str) -> None:
    rule = [{"cat": [{"var": "$flagd.flagKey"}, {"var": "user.name"}]}, *TESTBED_SUITS]
    assert fractional(rule, {"user": {"name": name}}, flag_key="fractional-flag") == suit


@pytest.mark.parametrize(
    ("name", "suit"),
    [("seven", "hearts"), ("eight", "diamonds"), ("nine", "clubs"), ("two", "spades")],
)
def test_flagd_testbed_vectors_with_shared_seed(name: str, suit: str) -> None:
    rule = [{"cat": ["shared-seed", {"var": "user.name"}]}, *TESTBED_SUITS]
    for flag in ("fractional-flag-A-shared-seed", "fractional-flag-B-shared-seed"):
        assert fractional(rule, {"user": {"name": name}}, flag_key=flag) == suit


@pytest.mark.parametrize(
    ("key", "side"),
    [
        ("ejOoVL", "lower"),
        ("bY9fO-", "lower"),
        ("SI7p-", "lower"),
        ("6LvT0", "upper"),
        ("ceQdGm", "upper"),
    ],
)
def test_flagd_testbed_hash_edge_vectors(key: str, side: str) -> None:
    # Keys whose hashes are 0, 1, 2**31-1, 2**31 and 2**32-1.
    rule = [{"var": "targetingKey"}, ["lower", 50], ["upper", 50]]
    assert fractional(rule, {"targetingKey": key}) == side


def test_flagd_testbed_shorthand_vectors() -> None:
    rule = [["heads"], ["tails", 1]]
    flag = "fractional-flag-shorthand"
    assert fractional(rule, {"targetingKey": "jon@company.com"}, flag_key=flag) == "heads"
    assert fractional(rule, {"targetingKey": "jane@company.com"}, flag_key=flag) == "tails"


def test_weights_may_be_expressions_and_negatives_count_as_zero() -> None:
    # A rollout that grows with time: "on" has no weight before the start.
    rule = [["on", {"-": [{"var": "$flagd.timestamp"}, int(NOW.timestamp())]}], ["off", 100]]
    assert {fractional(rule, {"targetingKey": f"u{n}"}) for n in range(50)} == {"off"}
    rule = [["one", -50], ["two", 100]]
    assert {fractional(rule, {"targetingKey": f"u{n}"}) for n in range(50)} == {"two"}


def test_variant_names_may_be_expressions() -> None:
    rule = [
        {"var": "targetingKey"},
        [{"if": [{"==": [{"var": "tier"}, "premium"]}, "premium", "standard"]}, 50],
        ["standard", 50],
    ]
    # flagd-testbed: jon@company.com falls in the first bucket, user1 in the second.
    assert fractional(rule, {"targetingKey": "jon@company.com", "tier": "premium"}) == "premium"
    assert fractional(rule, {"targetingKey": "jon@company.com", "tier": "basic"}) == "standard"
    assert fractional(rule, {"targetingKey": "user1", "tier": "premium"}) == "standard"


@pytest.mark.parametrize(
    "context",
    [{}, {"targetingKey": 42}, {"targetingKey": None}],
    ids=["no targeting key", "numeric targeting key", "null targeting key"],
)
def test_nothing_to_bucket_by_aborts(context: dict[str, Any]) -> None:
    with pytest.raises(Abort):
        fractional([["a", 1], ["b", 1]], context)
    with pytest.raises(Abort):
        fractional([{"var": "missing"}, ["a", 1], ["b", 1]], context)


def test_dynamic_weights_that_cannot_bucket_abort() -> None:
    rule = [["a", {"var": "w"}], ["b", {"var": "w"}]]
    for weight in (0, 1.5, "1", True, MAX_WEIGHT_SUM):
        with pytest.raises(Abort):
            fractional(rule, {"targetingKey": "k", "w": weight})
    assert fractional(rule, {"targetingKey": "k", "w": 3}) in {"a", "b"}


@given(st.text(max_size=40), st.integers(min_value=1, max_value=MAX_WEIGHT_SUM))
def test_buckets_are_always_in_range(value: str, total: int) -> None:
    assert 0 <= bucket_of(value, total) < total


# ----------------------------------------------------------------------------- v3

_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
_JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _normalized(value: Any) -> Any:
    # flagd's ADR: whole floats within 64-bit range are integers before encoding.
    if isinstance(value, float) and value.is_integer() and -(2**63) <= value <= 2**64 - 1:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


@given(_JSON_VALUES)
def test_cbor_encoding_is_cbor2s_canonical_encoding(value: Any) -> None:
    assert cbor_encoding(value) == cbor2.dumps(_normalized(value), canonical=True)


FLAGD_CORE = pytest.importorskip("openfeature.contrib.tools.flagd.core.targeting.custom_ops")

QUARTERS = [["clubs", 25], ["diamonds", 25], ["hearts", 25], ["spades", 25]]


@given(st.one_of(_JSON_LEAVES, st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=4)))
def test_v3_agrees_with_flagd_core(value: Any) -> None:
    # flagd-core logs when it cannot bucket (null); appflags aborts (the default variant).
    expected = FLAGD_CORE.fractional({}, value, *QUARTERS)
    if expected is None:
        with pytest.raises(Abort):
            fractional([{"var": "v"}, *QUARTERS], {"v": value}, version="v3")
    else:
        assert fractional([{"var": "v"}, *QUARTERS], {"v": value}, version="v3") == expected


@given(st.text(min_size=1, max_size=40), st.sampled_from(["flag", "new-checkout", "Łódź"]))
def test_v3_shorthand_agrees_with_flagd_core(targeting_key: str, flag_key: str) -> None:
    data = {"targetingKey": targeting_key, "$flagd": {"flagKey": flag_key}}
    expected = FLAGD_CORE.fractional(data, *QUARTERS)
    actual = fractional(QUARTERS, {"targetingKey": targeting_key}, flag_key, version="v3")
    assert actual == expected


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: "/".join(f"{v}{w}" for v, w in s))
def test_v3_shorthand_hashes_flag_key_and_targeting_key_as_a_cbor_array(
    split: list[tuple[str, int]],
) -> None:
    rule = [[variant, weight] for variant, weight in split]
    total = sum(weight for _, weight in split)
    for key in TARGETING_KEYS:
        if not key:
            continue
        digest = mmh3.hash(cbor2.dumps(["new-checkout", key]), 0, signed=False)
        bucket, end, expected = (digest * total) >> 32, 0, None
        for variant, weight in split:
            end += weight
            if bucket < end:
                expected = variant
                break
        actual = fractional(rule, {"targetingKey": key}, flag_key="new-checkout", version="v3")
        assert actual == expected, key


@pytest.mark.parametrize("context", [{}, {"v": None}], ids=["missing", "null"])
def test_v3_refuses_a_null_bucketing_value(context: dict[str, Any]) -> None:
    with pytest.raises(Abort):
        fractional(
            [{"var": "v"}, ["a", 1], ["b", 1]], {**context, "targetingKey": "k"}, version="v3"
        )


@pytest.mark.parametrize("targeting_key", [None, "", 12345, True])
def test_v3_shorthand_needs_a_non_empty_string_targeting_key(targeting_key: Any) -> None:
    with pytest.raises(Abort):
        fractional([["a", 1], ["b", 1]], {"targetingKey": targeting_key}, version="v3")


def test_v3_hashes_equal_numbers_alike() -> None:
    rule = [{"var": "v"}, *QUARTERS]
    for same in ([1, 1.0], [0, 0.0, -0.0], [2**53, float(2**53)]):
        assert len({fractional(rule, {"v": v}, version="v3") for v in same}) == 1


def test_v1_is_flagds_legacy_percentage_bucketing() -> None:
    # flagd-testbed @fractional-v1 rows (evaluator/gherkin/fractional.feature).
    rule = [{"cat": [{"var": "$flagd.flagKey"}, {"var": "user.name"}]}, *QUARTERS]
    rows = {"jack": "spades", "queen": "clubs", "ten": "diamonds", "nine": "hearts"}
    for name, suit in rows.items():
        context = {"user": {"name": name}}
        assert fractional(rule, context, flag_key="fractional-flag", version="v1") == suit
