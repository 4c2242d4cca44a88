"""flagd's ``fractional`` operation: deterministic, weighted bucketing.

``{"fractional": [<bucketing value>, ["red", 50], ["blue", 30], ["green", 20]]}`` hashes
the bucketing value and picks a bucket with probability proportional to its weight; the
same value always lands in the same bucket. flagd has changed how it hashes twice, and
flagd-testbed names the three algorithms:

``v3`` (the default; flagd's ADR "fractional non-string rand units", flagd-core 2.0 for
Python, testbed 3.9.0's ``@fractional-v3`` rows):
  the bucketing value may be any JSON value but an array: it is hashed as its
  deterministic CBOR encoding (RFC 8949 section 4.2.1; whole floats within 64-bit range
  normalised to integers first, so ``1.0``, ``1`` and ``-0.0``/``0`` hash alike). When
  the first argument is a bucket (written ``[variant, weight]``), the bucketing value is
  the array ``[flagKey, targetingKey]`` (``targetingKey`` must be a non-empty string). A
  bucketing value that evaluates to ``null`` is an error.
``v2`` (``@fractional-v2``; the flagd daemon from 0.11, still at flagd's main of July
2026, and in-process providers that have not moved):
  MurmurHash3 of the UTF-8 bytes of a string bucketing value; with the first argument
  omitted or ``null``, of the flag key followed by the ``targetingKey``.
``v1`` (``@fractional-v1``; flagd before 0.11): as v2, but the bucket is the float
  ``abs(int32 hash) / (2**31 - 1) * 100`` against cumulative percentages.

In every version the hash is MurmurHash3 x86 32-bit with seed 0; weights are integers (an
omitted weight is 1, a negative one counts as 0) adding up to at most 2**31 - 1, and the
v2/v3 bucket is ``(hash * total) >> 32``: the first variant whose cumulative weight
exceeds it is chosen. Variant names and weights may be expressions (a weight that grows
with ``$flagd.timestamp`` is a time-based rollout).

When nothing can be bucketed (no value to hash, a weight that is not a whole number,
all weights zero) the operation evaluates to ``null`` and the targeting answers the
flag's default variant, as flagd does (testbed ``@operator-errors``).
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import Any

from appflags.rules._jsonlogic._base import Abort, Misuse, Node, OpBuilder, Site

MAX_WEIGHT_SUM = 2**31 - 1
"""flagd's limit on the sum of a ``fractional``'s weights (Go's ``math.MaxInt32``)."""

VERSIONS = ("v3", "v2", "v1")
"""The bucketing algorithms flagd has used, newest (the default) first."""

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
    """The v2 bucket in ``[0, total_weight)`` that flagd assigns to ``bucketing_value``."""
    digest = murmur3_32(bucketing_value.encode("utf-8", "surrogatepass"))
    return (digest * total_weight) >> 32


# -------------------------------------------------------------------------- CBOR


def _head(major: int, argument: int) -> bytes:
    """A CBOR data item's head in its shortest form (RFC 8949 section 4.2.1)."""
    if argument < 24:
        return bytes((major << 5 | argument,))
    if argument < 0x100:
        return bytes((major << 5 | 24, argument))
    if argument < 0x10000:
        return bytes((major << 5 | 25,)) + argument.to_bytes(2, "big")
    if argument < 0x100000000:
        return bytes((major << 5 | 26,)) + argument.to_bytes(4, "big")
    return bytes((major << 5 | 27,)) + argument.to_bytes(8, "big")


def _normalized(value: Any) -> Any:
    """Whole floats within 64-bit range as integers, through maps and arrays (flagd's ADR)."""
    kind = type(value)
    if kind is float:
        if value.is_integer() and -(2**63) <= value <= 2**64 - 1:
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {key: _normalized(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_normalized(item) for item in value]
    return value


def cbor_encoding(value: Any) -> bytes:  # noqa: PLR0911 - one return per CBOR major type
    """The deterministic CBOR encoding flagd's v3 ``fractional`` hashes.

    Text, booleans, null and integers of at most 64 bits, and arrays of those, are
    encoded here (their encoding is a head and the bytes, the common case of a lookup);
    anything else (floats, maps, larger integers) by the ``cbor2`` package's canonical
    encoder, which sorts map keys and picks the shortest lossless float.
    """
    kind = type(value)
    if kind is str:
        data: bytes = value.encode("utf-8", "surrogatepass")
        return _head(3, len(data)) + data
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if value is None:
        return b"\xf6"
    if kind is int and -(2**64) <= value < 2**64:
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if kind is list or kind is tuple:
        return _head(4, len(value)) + b"".join(cbor_encoding(item) for item in value)
    if kind is float and value.is_integer() and -(2**63) <= value <= 2**64 - 1:
        return cbor_encoding(int(value))
    import cbor2  # noqa: PLC0415 - only floats and maps need it; imported on first use

    return bytes(cbor2.dumps(_normalized(_plain(value)), canonical=True))


def _plain(value: Any) -> Any:  # noqa: PLR0911 - one return per JSON type
    # Context values are mappings and sequences of any kind; CBOR needs dicts and lists.
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if value is None:
        return None
    return str(value)


# ------------------------------------------------------------------ distribution


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


class _Distribution:
    __slots__ = ("bounds", "total", "variants")

    def __init__(self, buckets: list[Any]) -> None:
        variants = []
        bounds = []
        total = 0
        for bucket in buckets:
            if type(bucket) not in (list, tuple) or not bucket or len(bucket) > 2:
                raise Abort
            variants.append(_variant(bucket[0]))
            total += _weight(bucket[1]) if len(bucket) > 1 else 1
            bounds.append(total)
        if total == 0 or total > MAX_WEIGHT_SUM:
            raise Abort
        self.variants: tuple[Any, ...] = tuple(variants)
        self.bounds: tuple[int, ...] = tuple(bounds)
        self.total = total

    def by_hash(self, digest: int) -> Any:
        """v2/v3: ``(hash * total) >> 32`` against the cumulative weights."""
        return self.variants[bisect_right(self.bounds, (digest * self.total) >> 32)]

    def by_percentage(self, digest: int) -> Any:
        """v1: ``abs(int32 hash) / MaxInt32 * 100`` against cumulative percentages."""
        signed = digest - 2**32 if digest >= 2**31 else digest
        bucket = abs(signed) / MAX_WEIGHT_SUM * 100
        end = 0.0
        for variant, weight in zip(self.variants, self._weights(), strict=True):
            end += 100 * weight / self.total
            if bucket < end:
                return variant
        raise Abort

    def _weights(self) -> list[int]:
        return [b - a for a, b in zip((0, *self.bounds), self.bounds, strict=False)]


# ---------------------------------------------------------------------- versions

# (evaluated arguments, context, flag key) -> (bytes to hash, the bucket arguments)
_Split = Callable[[list[Any], Any, str], tuple[bytes, list[Any]]]


def _targeting_key(data: Any) -> Any:
    return data.get("targetingKey") if isinstance(data, Mapping) else None


def _split_v3(values: list[Any], data: Any, flag_key: str) -> tuple[bytes, list[Any]]:
    first = values[0]
    if type(first) not in (list, tuple):
        if first is None:
            raise Abort  # null is refused: it is what a missing context key reads as
        if type(first) is not str:
            first = _normalized(first)
        return cbor_encoding(first), values[1:]
    targeting_key = _targeting_key(data)
    if type(targeting_key) is not str or not targeting_key:
        raise Abort
    return cbor_encoding([flag_key, targeting_key]), values


def _split_v2(values: list[Any], data: Any, flag_key: str) -> tuple[bytes, list[Any]]:
    first = values[0]
    if type(first) is str:
        return first.encode("utf-8", "surrogatepass"), values[1:]
    if first is None:
        values = values[1:]  # an omitted bucketing value: bucket by the targeting key
    targeting_key = _targeting_key(data)
    if type(targeting_key) is not str or not targeting_key:
        raise Abort
    return (flag_key + targeting_key).encode("utf-8", "surrogatepass"), values


def _evaluate(version: str, values: list[Any], data: Any, flag_key: str) -> Any:
    split = _split_v3 if version == "v3" else _split_v2
    encoded, buckets = split(values, data, flag_key)
    distribution = _Distribution(buckets)
    digest = murmur3_32(encoded)
    if version == "v1":
        return distribution.by_percentage(digest)
    return distribution.by_hash(digest)


_BAD_BUCKETS = (
    "fractional's buckets must be [variant, weight] pairs with whole weights adding up "
    f"to between 1 and {MAX_WEIGHT_SUM}"
)


def fractional_builder(version: str) -> OpBuilder:
    """The compiler of ``fractional`` for one bucketing version (see the module docstring)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown fractional version {version!r}; expected one of {VERSIONS}")

    def build_fractional(nodes: list[Node], raw: list[Any], site: Site) -> Node:
        if not nodes or (len(nodes) == 1 and type(raw[0]) is not list):
            raise Misuse(site.path, "fractional needs at least one [variant, weight] bucket")
        flag_key = site.flag_key
        shorthand = type(raw[0]) is list
        if all(node.constant for node in (nodes if shorthand else nodes[1:])):
            fixed = _fixed_buckets(version, nodes, raw, flag_key)
            if fixed is not None:
                return fixed
            if shorthand or nodes[0].constant:
                raise Misuse(site.path, _BAD_BUCKETS)
        getters = tuple(node.fn for node in nodes)

        def fractional(data: Any) -> Any:
            return _evaluate(version, [get(data) for get in getters], data, flag_key)

        return Node(fractional)

    return build_fractional


def _fixed_buckets(version: str, nodes: list[Node], raw: list[Any], flag_key: str) -> Node | None:
    """The usual shapes, literal buckets distributed once: ``None`` for any other."""
    shorthand = type(raw[0]) is list
    try:
        distribution = _Distribution([node.value for node in (nodes if shorthand else nodes[1:])])
    except Abort:
        return None
    choose = distribution.by_percentage if version == "v1" else distribution.by_hash
    if shorthand:
        if version == "v3":
            prefix = _head(4, 2) + cbor_encoding(flag_key)

            def by_targeting_key_v3(data: Any) -> Any:
                key = _targeting_key(data)
                if type(key) is not str or not key:
                    raise Abort
                encoded = key.encode("utf-8", "surrogatepass")
                return choose(murmur3_32(prefix + _head(3, len(encoded)) + encoded))

            return Node(by_targeting_key_v3)
        seed = flag_key.encode("utf-8", "surrogatepass")

        def by_targeting_key(data: Any) -> Any:
            key = _targeting_key(data)
            if type(key) is not str or not key:
                raise Abort
            return choose(murmur3_32(seed + key.encode("utf-8", "surrogatepass")))

        return Node(by_targeting_key)
    get_first = nodes[0].fn
    buckets = [node.value for node in nodes[1:]]
    if version == "v3":

        def fractional_v3(data: Any) -> Any:
            first = get_first(data)
            kind = type(first)
            if kind is str:
                encoded = first.encode("utf-8", "surrogatepass")
                return choose(murmur3_32(_head(3, len(encoded)) + encoded))
            if first is None or kind is list or kind is tuple:
                # null is an error, an array a bucket: the general path says which.
                return _evaluate(version, [first, *buckets], data, flag_key)
            return choose(murmur3_32(cbor_encoding(first)))

        return Node(fractional_v3)

    def fractional_v2(data: Any) -> Any:
        first = get_first(data)
        if type(first) is str:
            return choose(murmur3_32(first.encode("utf-8", "surrogatepass")))
        return _evaluate(version, [first, *buckets], data, flag_key)

    return Node(fractional_v2)


def always_null(_data: Any) -> Any:
    """An operation that can never apply: it evaluates to ``null`` (flagd's operator errors)."""
    raise Abort
