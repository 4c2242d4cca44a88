"""Which flags a new version changed: its parsed definitions compared with the previous
version's, by value and by type, a block of them at a time."""

from __future__ import annotations

import marshal
from itertools import compress
from operator import ne
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags._model import fingerprint

if TYPE_CHECKING:
    from appflags.formats._incremental._split import Split

BLOCK = 32
"""Definitions compared as one: a block whose bytes differ is compared flag by flag."""

_MISSING: Any = object()


class Blocks(NamedTuple):
    """One per-flag part of a split (its keys in order) and what compares it: marshal's
    bytes for each run of :data:`BLOCK` definitions, or None where marshal cannot write
    one (a YAML timestamp): then each definition is compared on its own."""

    keys: list[str]
    prints: list[bytes] | None

    @classmethod
    def of(cls, part: dict[str, Any]) -> Blocks:
        keys, values = list(part), list(part.values())
        try:
            prints = [
                marshal.dumps(values[start : start + BLOCK], 4)
                for start in range(0, len(values), BLOCK)
            ]
        except ValueError:  # a type marshal cannot write, or nested too deeply for it
            return cls(keys, None)
        return cls(keys, prints)


class Prints(NamedTuple):
    """A split's parts as they are compared with the next version's.

    Written before the document is compiled, while it is as the parser left it: marshal's
    format 4 marks objects that something else also references, and a compile keeps
    references into its document, so a compiled document's bytes would differ from a fresh
    one's (every block compared flag by flag, correct but slow).
    """

    shared: Any
    definitions: Blocks
    values: Blocks

    @classmethod
    def of(cls, split: Split) -> Prints:
        return cls(fingerprint(split.shared), Blocks.of(split.definitions), Blocks.of(split.values))


class Changes(NamedTuple):
    """The flags a new version changed: to compile again, to drop; and whether its flags
    are the previous version's keys in the same order."""

    changed: list[str]
    removed: list[str]
    same_keys: bool


def compare(before: Split, old: Prints, split: Split, new: Prints) -> Changes | None:
    """What changed from ``before`` to ``split`` (None: the part every flag reads changed,
    compile whole)."""
    if old.shared != new.shared:
        return None
    was, now = before.definitions, split.definitions
    changed, same_keys = _changed(was, old.definitions, now, new.definitions)
    removed = [] if same_keys else [key for key in was if key not in now]
    if split.values or before.values:
        more, _ = _changed(before.values, old.values, split.values, new.values)
        more += before.values.keys() - split.values.keys()
        changed = list(dict.fromkeys([*changed, *(key for key in more if key in now)]))
    return Changes(changed, removed, same_keys)


def _changed(
    before: dict[str, Any], old: Blocks, now: dict[str, Any], new: Blocks
) -> tuple[list[str], bool]:
    """Keys of ``now`` whose values differ from ``before``'s by value or type; whether the
    keys are the same, in the same order.

    Equal marshal bytes mean equal values of equal types (marshal writes each type with
    its own tag: ``true``, ``1`` and ``1.0`` never give the same bytes), so a block of
    definitions whose bytes did not change is skipped whole, at C speed. A block whose
    bytes differ (an edit there, or objects shared differently: marshal's references
    follow identity) is compared flag by flag with :func:`~appflags._model.fingerprint`.
    """
    keys = new.keys
    if old.keys == keys and old.prints is not None and new.prints is not None:
        # The usual case: same flags, same order, one or a few blocks edited.
        suspects = [
            key
            for block in compress(range(len(keys)), map(ne, old.prints, new.prints))
            for key in keys[block * BLOCK : block * BLOCK + BLOCK]
        ]
        return [key for key in suspects if _differ(before[key], now[key])], True
    same = old.keys == keys
    return [
        key
        for key, value in now.items()
        if (was := before.get(key, _MISSING)) is _MISSING or _differ(was, value)
    ], same


def _differ(was: Any, value: Any) -> bool:
    return bool(was != value or fingerprint(was) != fingerprint(value))
