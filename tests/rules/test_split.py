"""``split``: the documented hash, its distribution over many keys, stability, and the
nesting AWS documents (20% then 25% gives 20% and 5%)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appflags import Flags, Reason
from appflags.rules import in_split

KEYS = 100_000


def documented_bucket(seed: str, value: str) -> int:
    """docs/rules.md: first 8 bytes, big-endian, of SHA-256(seed NUL value), UTF-8."""
    data = seed.encode("utf-8", "surrogatepass") + b"\x00" + value.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


@settings(max_examples=300)
@given(st.text(max_size=20), st.text(max_size=40), st.floats(min_value=0, max_value=100))
def test_split_is_the_documented_hash(seed: str, value: str, pct: float) -> None:
    point = int(Fraction(pct) * 2**64 / 100)
    assert in_split(seed, value, pct) is (documented_bucket(seed, value) < point)


def test_known_answers_pin_the_hash_across_releases() -> None:
    # Computed once from the documented formula: if these change, every user's bucket
    # changes, which is a breaking change.
    assert documented_bucket("abc", "user-1") == 0x230FEC4BDEE34A56
    picked = [i for i in range(20) if in_split("abc", f"user-{i}", 25)]
    assert picked == [1, 3, 7, 8, 17]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.text(min_size=1, max_size=12),
    pct=st.floats(min_value=0, max_value=100).map(lambda p: round(p, 2)),
    prefix=st.sampled_from(["", "user-", "acct:", "u@example.org#"]),
)
def test_distribution_within_one_point_over_100k_keys(seed: str, pct: float, prefix: str) -> None:
    hits = sum(in_split(seed, f"{prefix}{i}", pct) for i in range(KEYS))
    assert abs(hits / KEYS * 100 - pct) <= 1.0


@settings(max_examples=50)
@given(st.text(max_size=12), st.text(max_size=30), st.floats(min_value=0, max_value=100))
def test_split_is_stable_and_monotonic_in_pct(seed: str, value: str, pct: float) -> None:
    first = in_split(seed, value, pct)
    assert in_split(seed, value, pct) is first
    if first:  # a value in a split stays in every larger split: splits nest
        assert in_split(seed, value, min(100.0, pct + 5))
    assert in_split(seed, value, 100) is True
    assert in_split(seed, value, 0) is False


def variants_doc(*rules: str, flag: str = "exp") -> dict[str, Any]:
    variants: list[dict[str, Any]] = [
        {"name": name, "enabled": True, "rule": rule}
        for name, rule in zip("AB"[: len(rules)], rules, strict=True)
    ]
    variants.append({"name": "C", "enabled": False})
    return {
        "version": "1",
        "flags": {flag: {"name": flag}},
        "values": {flag: {"_variants": variants}},
    }


def distribution(flags: Flags, flag: str = "exp", keys: int = KEYS) -> dict[str, float]:
    counts = Counter(
        flags.get_str(f"{flag}._variant", "?", {"uniqueId": f"id-{i}"}) for i in range(keys)
    )
    return {name: counts[name] / keys * 100 for name in "ABC"}


def test_nested_splits_on_the_same_key_give_20_and_5_percent() -> None:
    flags = Flags.from_dict(
        variants_doc("(split by::$uniqueId pct::20)", "(split by::$uniqueId pct::25)")
    )
    shares = distribution(flags)
    assert shares["A"] == pytest.approx(20, abs=1)
    assert shares["B"] == pytest.approx(5, abs=1)
    assert shares["C"] == pytest.approx(75, abs=1)


def test_equal_splits_leave_nothing_for_the_second_variant() -> None:
    flags = Flags.from_dict(
        variants_doc("(split by::$uniqueId pct::20)", "(split by::$uniqueId pct::20)")
    )
    shares = distribution(flags, keys=20_000)
    assert shares["A"] == pytest.approx(20, abs=1)
    assert shares["B"] == 0


def test_different_seeds_are_independent_20_20_60() -> None:
    flags = Flags.from_dict(
        variants_doc(
            '(split by::$uniqueId pct::20 seed::"seed_one")',
            '(split by::$uniqueId pct::25 seed::"seed_two")',
        )
    )
    shares = distribution(flags)
    assert shares["A"] == pytest.approx(20, abs=1)
    assert shares["B"] == pytest.approx(20, abs=1)
    assert shares["C"] == pytest.approx(60, abs=1)


def test_seeded_splits_agree_across_flags_and_unseeded_ones_do_not() -> None:
    one = Flags.from_dict(variants_doc('(split by::$uniqueId pct::50 seed::"s")', flag="one"))
    two = Flags.from_dict(variants_doc('(split by::$uniqueId pct::50 seed::"s")', flag="two"))
    assert distribution(one, "one", 2000)["A"] > 0
    for i in range(2000):
        context = {"uniqueId": f"id-{i}"}
        assert one.get_str("one._variant", "", context) == two.get_str("two._variant", "", context)
    local_one = Flags.from_dict(variants_doc("(split by::$uniqueId pct::50)", flag="one"))
    local_two = Flags.from_dict(variants_doc("(split by::$uniqueId pct::50)", flag="two"))
    agree = sum(
        local_one.get_str("one._variant", "", {"uniqueId": f"id-{i}"})
        == local_two.get_str("two._variant", "", {"uniqueId": f"id-{i}"})
        for i in range(2000)
    )
    assert 800 < agree < 1200  # independent halves agree about half the time


def test_an_unseeded_split_is_seeded_by_the_flag_key() -> None:
    flags = Flags.from_dict(variants_doc("(split by::$uniqueId pct::30)", flag="checkout"))
    for i in range(500):
        value = f"id-{i}"
        expected = "A" if in_split("checkout", value, 30) else "C"
        assert flags.get_str("checkout._variant", "", {"uniqueId": value}) == expected


def test_split_result_is_stable_across_snapshots_and_reports_split() -> None:
    doc = variants_doc("(split by::$uniqueId pct::40)")
    first, second = Flags.from_dict(doc), Flags.from_dict(doc)
    for i in range(500):
        context = {"uniqueId": f"id-{i}"}
        a, b = first.evaluate("exp", False, context), second.evaluate("exp", False, context)
        assert (a.variant, a.reason) == (b.variant, b.reason)
        assert a.reason is (Reason.SPLIT if a.variant == "A" else Reason.DEFAULT)


def test_split_by_numbers_uses_their_text() -> None:
    flags = Flags.from_dict(variants_doc("(split by::$uniqueId pct::50)"))
    for i in range(200):
        assert flags.get_str("exp._variant", "", {"uniqueId": i}) == flags.get_str(
            "exp._variant", "", {"uniqueId": str(i)}
        )


_PICKS = """
import json, sys
for name in ("_sha2", "_sha256"):
    if len(sys.argv) > 1:
        sys.modules[name] = None  # import fails: appflags falls back to hashlib's SHA-256
from appflags import Flags
from appflags.rules import in_split
doc = {"version": "1", "flags": {"exp": {"name": "exp"}}, "values": {"exp": {"_variants": [
    {"name": "A", "enabled": True, "rule": "(split by::$uniqueId pct::25)"},
    {"name": "C", "enabled": False}]}}}
flags = Flags.from_dict(doc)
print(json.dumps([
    [i for i in range(300) if in_split("abc", f"user-{i}", 25)],
    [flags.get_str("exp._variant", "", {"uniqueId": f"id-{i}"}) for i in range(300)],
]))
"""


def test_the_hashlib_fallback_puts_everyone_in_the_same_bucket() -> None:
    # appflags hashes with CPython's built-in SHA-256 module where it has one (faster on
    # a few dozen bytes than OpenSSL's), else hashlib's: both must give the same buckets.
    def picks(*block: str) -> Any:
        run = subprocess.run(
            [sys.executable, "-c", _PICKS, *block], capture_output=True, text=True, check=True
        )
        return json.loads(run.stdout)

    built_in, fallback = picks(), picks("block")
    assert built_in == fallback
    assert built_in[0][:5] == [1, 3, 7, 8, 17]  # the known answers above
    assert {"A", "C"} == set(built_in[1])
