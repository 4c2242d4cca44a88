"""flagd's ``fractional`` operation: deterministic, weighted bucketing.

``{"fractional": [<bucketing value>, ["red", 50], ["blue", 30], ["green", 20]]}`` hashes
the bucketing value and picks a bucket with probability proportional to its weight; the
same value always lands in the same bucket. This is flagd's current algorithm (flagd's
``core/pkg/evaluator/fractional.go``; flagd-testbed's ``@fractional-v2`` scenarios), so a
subject lands in the same bucket here as in flagd and its other providers:

- the hash is MurmurHash3 x86 32-bit, seed 0, of the UTF-8 bytes of the bucketing value;
- the bucketing value is the first argument when it evaluates to a string; when the first
  argument is omitted or evaluates to ``null``, it is the flag key followed by the
  context's ``targetingKey`` (which must then be a string);
- weights are integers (an omitted weight is 1, a negative one counts as 0) adding up to
  at most 2**31 - 1; the bucket is ``(hash * total) >> 32`` and the first variant whose
  cumulative weight exceeds it is chosen.

Variant names and weights may themselves be expressions (a weight that grows with
``$flagd.timestamp`` is a time-based rollout). When nothing can be bucketed (no string
to hash, a weight that is not a whole number, all weights zero) the operation fails and the
targeting answers the flag's default variant.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from appflags.rules._jsonlogic_base import Abort, Node, RuleError, Site

MAX_WEIGHT_SUM = 2**31 - 1
"""flagd's limit on the sum of a ``fractional``'s weights (Go's ``math.MaxInt32``)."""

_MASK = 0xFFFFFFFF
_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_BLOCKS = struct.Struct("<I")


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of ``data``, as an unsigned integer."""
    h = seed & _MASK
    length = len(data)
    body = length & ~3
    for (block,) in _BLOCKS.iter_unpack(data[:body]):
        k = (block * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        h ^= (k * _C2) & _MASK
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    rest = length & 3
    if rest:
        k = data[body]
        if rest > 1:
            k |= data[body + 1] << 8
        if rest > 2:
            k |= data[body + 2] << 16
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        h ^= (k * _C2) & _MASK
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def bucket_of(bucketing_value: str, total_weight: int) -> int:
    """The bucket in ``[0, total_weight)`` that flagd assigns to ``bucketing_value``."""
    digest = murmur3_32(bucketing_value.encode("utf-8", "surrogatepass"))
    return (digest * total_weight) >> 32


def _weight(value: Any) -> int:
    kind = type(value)
    if kind is int:
        weight = value
    elif kind is float and value.is_integer():
        weight = int(value)
    elif value is None:
        return 1
    else:
        raise Abort  # a bool, a fraction, a string: flagd refuses to bucket
    if weight > MAX_WEIGHT_SUM:
        raise Abort
    return max(int(weight), 0)


def _variant(value: Any) -> Any:
    if value is None or type(value) in (str, bool, int, float):
        return value
    raise Abort


def _distribution(buckets: list[Any]) -> tuple[tuple[Any, ...], tuple[int, ...], int]:
    """Variants, cumulative weights and total of evaluated ``[variant, weight?]`` pairs."""
    variants = []
    bounds = []
    total = 0
    for bucket in buckets:
        if type(bucket) not in (list, tuple) or not bucket:
            raise Abort
        variants.append(_variant(bucket[0]))
        total += _weight(bucket[1]) if len(bucket) > 1 else 1
        bounds.append(total)
    if total == 0 or total > MAX_WEIGHT_SUM:
        raise Abort
    return tuple(variants), tuple(bounds), total


def _choose(bucketing_value: str, variants: tuple[Any, ...], bounds: tuple[int, ...]) -> Any:
    return variants[bisect_right(bounds, bucket_of(bucketing_value, bounds[-1]))]


def build_fractional(nodes: list[Node], raw: list[Any], site: Site) -> Node:
    """Compile ``fractional``; a fixed distribution is built once, here."""
    if not nodes:
        raise RuleError(site.path, "fractional needs at least one [variant, weight] bucket")
    flag_key = site.flag_key
    # The first argument is a bucket when it is written as a list; otherwise it is the
    # bucketing value, and what it evaluates to decides (a string, or null for the default).
    shorthand = isinstance(raw[0], list)
    bucket_nodes = nodes if shorthand else nodes[1:]
    if not bucket_nodes:
        raise RuleError(site.path, "fractional needs at least one [variant, weight] bucket")
    get_first = nodes[0].fn

    def default_bucketing(data: Any) -> str:
        targeting_key = data.get("targetingKey") if isinstance(data, Mapping) else None
        if type(targeting_key) is not str:
            raise Abort
        return flag_key + targeting_key

    if all(node.constant for node in bucket_nodes):
        try:
            variants, bounds, _ = _distribution([node.value for node in bucket_nodes])
        except Abort:
            raise RuleError(
                site.path,
                "fractional's buckets must be [variant, weight] pairs with whole, "
                f"non-negative weights adding up to between 1 and {MAX_WEIGHT_SUM}",
            ) from None
        if shorthand:

            def fractional_by_targeting_key(data: Any) -> Any:
                return _choose(default_bucketing(data), variants, bounds)

            return Node(fractional_by_targeting_key)
        if nodes[0].constant and type(nodes[0].value) is str:
            return _constant_choice(_choose(nodes[0].value, variants, bounds))
        bucket_values = [node.value for node in bucket_nodes]

        def fractional_fixed(data: Any) -> Any:
            first = get_first(data)
            if type(first) is str:
                return _choose(first, variants, bounds)
            if first is None:
                return _choose(default_bucketing(data), variants, bounds)
            # Anything else is a bucket to flagd, which then buckets by targeting key.
            return _evaluated([first, *bucket_values], default_bucketing(data))

        return Node(fractional_fixed)

    getters = tuple(node.fn for node in nodes)

    def fractional(data: Any) -> Any:
        values = [get(data) for get in getters]
        first = values[0]
        if not shorthand and type(first) is str:
            return _evaluated(values[1:], first)
        if not shorthand and first is None:
            return _evaluated(values[1:], default_bucketing(data))
        return _evaluated(values, default_bucketing(data))

    return Node(fractional)


def _evaluated(buckets: list[Any], bucketing_value: str) -> Any:
    variants, bounds, _ = _distribution(buckets)
    return _choose(bucketing_value, variants, bounds)


def _constant_choice(variant: Any) -> Node:
    def fractional_constant(_data: Any) -> Any:
        return variant

    return Node(fractional_constant, constant=True, value=variant)
