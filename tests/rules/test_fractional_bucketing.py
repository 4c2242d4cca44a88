"""flagd's fractional bucketing, checked against an independent MurmurHash3 (``mmh3``).

The expected buckets are computed here from flagd's documented algorithm (flagd
``core/pkg/evaluator/fractional.go``: MurmurHash3 x86 32-bit, seed 0, of the bucketing
value; bucket = ``(hash * totalWeight) >> 32``; the first variant whose cumulative weight
exceeds the bucket), using the ``mmh3`` package rather than appflags' own hash.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import mmh3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appflags.rules._fractional import MAX_WEIGHT_SUM, bucket_of, murmur3_32
from appflags.rules._jsonlogic import Abort, compile_logic

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def reference_variant(bucketing_value: str, buckets: list[tuple[str, int]]) -> str:
    """flagd's choice, from its documented algorithm and mmh3's MurmurHash3."""
    digest = mmh3.hash(bucketing_value.encode("utf-8"), 0, signed=False)
    total = sum(weight for _, weight in buckets)
    bucket = (digest * total) >> 32
    end = 0
    for variant, weight in buckets:
        end += weight
        if bucket < end:
            return variant
    raise AssertionError("unreachable")


def fractional(rule_args: list[Any], context: dict[str, Any], flag_key: str = "flag") -> Any:
    node = compile_logic(
        {"fractional": rule_args}, flag_key=flag_key, evaluators={}, clock=lambda: NOW
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
