"""Incremental compilation: a new version recompiles only the flags whose definitions changed.

Parsing and validation stay whole-document. Compilation then compares the flags'
definitions with the previous version's and compiles the changed flags alone. The
comparison must tell types apart (dict equality takes ``1`` for ``true`` and ``1.0`` for
``1``, which would keep rules answering the old types), and costs what it touches: the
definitions are marshalled in blocks of :data:`BLOCK` (one C call a block, written once a
version), a block whose bytes did not change is skipped whole, and only the flags of a
block that did are compared one by one. Unchanged flags keep their compiled rules, the
very same objects, so comparing snapshots names exactly the flags that changed. Memos of
answers belong to a snapshot, never to a compiled rule, so an answer always names the
version that gave it.

A format takes part by saying how its document splits into a part every flag's
compilation reads (compared whole: when it changes, everything is recompiled) and one
definition per flag, and how to build a document of a few flags back.
"""

from __future__ import annotations

import dataclasses
import marshal
from itertools import compress
from operator import ne
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags._snapshot import fingerprint

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags._clock import Clock
    from appflags.formats._base import Compiled, Format

REBUILD_SHARE = 0.25
"""Past this share of flags changed, a whole compile is as cheap and simpler."""

BLOCK = 32
"""Definitions compared as one: a block whose bytes differ is compared flag by flag."""

_MISSING: Any = object()


class Split(NamedTuple):
    """A document as the part every flag reads, and one definition per flag."""

    shared: Any
    definitions: dict[str, Any]
    rebuild: Callable[[Any, dict[str, Any], dict[str, Any]], Any]
    """``rebuild(shared, definitions, values)``: a document holding only those flags."""
    values: dict[str, Any] = {}  # noqa: RUF012 - never mutated
    """A second per-flag part compared like ``definitions`` (AppConfig's ``values``)."""


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
    """A split's parts as they are compared with the next version's."""

    shared: Any
    definitions: Blocks
    values: Blocks

    @classmethod
    def of(cls, split: Split) -> Prints:
        return cls(fingerprint(split.shared), Blocks.of(split.definitions), Blocks.of(split.values))


@dataclasses.dataclass(frozen=True, slots=True)
class Incremental:
    """What the next version's compilation starts from."""

    format: str
    clock: Clock
    split: Split
    prints: Prints
    compiled: Compiled
    """The format's own output for the whole document (before anything wraps it)."""
    base: Compiled | None = None
    """The previous version's ``compiled`` this one was patched from; None: compiled whole."""
    touched: frozenset[str] = frozenset()
    """With ``base``: every key (static, rule, metadata) the patch removed, replaced or
    added; every other key holds the very object it held in ``base``."""


def compile_incrementally(
    chosen: Format, doc: Any, clock: Clock, previous: Incremental | None
) -> Compiled:
    """``chosen.compile(doc, clock)``, reusing ``previous`` for the flags that did not change."""
    split = split_document(chosen.name, doc)
    if split is None:
        return chosen.compile(doc, clock)
    prints = Prints.of(split)
    if (
        previous is not None
        and previous.format == chosen.name
        and previous.clock is clock
        and previous.prints.shared == prints.shared
        and (patched := _patch(chosen, clock, previous, split, prints)) is not None
    ):
        compiled, touched = patched
        incremental = Incremental(
            chosen.name, clock, split, prints, compiled, previous.compiled, touched
        )
    else:
        compiled = chosen.compile(doc, clock)
        incremental = Incremental(chosen.name, clock, split, prints, compiled)
    return dataclasses.replace(compiled, incremental=incremental)


def _patch(
    chosen: Format, clock: Clock, previous: Incremental, split: Split, prints: Prints
) -> tuple[Compiled, frozenset[str]] | None:
    """The new version's output from the previous one's, and the keys it touched."""
    before, now = previous.split.definitions, split.definitions
    changed, same_keys = _changed(before, previous.prints.definitions, now, prints.definitions)
    removed = set() if same_keys else before.keys() - now.keys()
    if split.values or previous.split.values:
        old_values, values = previous.split.values, split.values
        more, _ = _changed(old_values, previous.prints.values, values, prints.values)
        more += old_values.keys() - values.keys()
        changed = list(dict.fromkeys([*changed, *(key for key in more if key in now)]))
    if len(changed) + len(removed) > len(now) * REBUILD_SHARE:
        return None
    # The previous version's output for the flags that go: compiling their old definitions
    # again names every key they produced (cheap: a few flags).
    going = {key: before[key] for key in [*changed, *removed] if key in before}
    old = chosen.compile(split.rebuild(previous.split.shared, going, previous.split.values), clock)
    fresh = {key: now[key] for key in changed}
    new = chosen.compile(split.rebuild(split.shared, fresh, split.values), clock)
    base = previous.compiled
    static = _replaced(base.static, old.static, new.static)
    rules = _replaced(base.rules, old.rules, new.rules)
    metadata = _replaced(base.metadata, old.metadata, new.metadata)
    warnings = _replaced(base.warnings, old.warnings, new.warnings)
    # The old definitions compiled to a part of ``base``: when the new ones disable the
    # same flags, ``base``'s set stands (no copy of thousands of names).
    if old.disabled == new.disabled:
        disabled = base.disabled
    else:
        disabled = (base.disabled - old.disabled) | new.disabled
    if not same_keys or set(old.features) != set(new.features):
        kept = (set(base.features) - set(old.features)) | set(new.features)
        features = tuple(key for key in now if key in kept)
    else:
        features = base.features
    touched = frozenset().union(
        old.static, new.static, old.rules, new.rules, old.metadata, new.metadata
    )
    compiled = dataclasses.replace(
        base,
        static=static,
        rules=rules,
        features=features,
        disabled=disabled,
        metadata=metadata,
        warnings=warnings,
    )
    return compiled, touched


def _changed(
    before: dict[str, Any], old: Blocks, now: dict[str, Any], new: Blocks
) -> tuple[list[str], bool]:
    """Keys of ``now`` whose values differ from ``before``'s by value or type; whether the
    keys are the same, in the same order.

    Equal marshal bytes mean equal values of equal types (marshal writes each type with
    its own tag: ``true``, ``1`` and ``1.0`` never give the same bytes), so a block of
    definitions whose bytes did not change is skipped whole, at C speed. A block whose
    bytes differ (an edit there, or objects shared differently: marshal's references
    follow identity) is compared flag by flag with :func:`fingerprint`.
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


def _replaced(base: Any, old: Any, new: Any) -> Any:
    """``base`` without ``old``'s keys, with ``new``'s; ``base`` itself when both are empty
    (these mappings are never changed in place)."""
    if not old and not new:
        return base
    out = dict(base)
    for key in old:
        out.pop(key, None)
    out.update(new)
    return out


def split_document(format_name: str, doc: Any) -> Split | None:
    """How a valid document of ``format_name`` splits per flag; None: compile it whole."""
    if format_name == "appconfig":
        if isinstance(doc.get("flags"), dict) and "version" in doc:
            return _split_stored(doc)
        return Split(None, doc, _whole)
    if format_name == "powertools":
        return Split(None, doc, _whole)
    if format_name == "flagd":
        shared = {key: value for key, value in doc.items() if key != "flags"}
        return Split(shared, doc["flags"], _flagd)
    return None


def _whole(_shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return definitions


def _split_stored(doc: dict[str, Any]) -> Split:
    flags, values = doc["flags"], doc.get("values") or {}
    # Values without a definition are not compiled, but belong to no flag either: they
    # are compared whole, with the document's other keys.
    orphans = {key: values[key] for key in values.keys() - flags.keys()}
    shared = {key: value for key, value in doc.items() if key not in ("flags", "values")}
    return Split((shared, orphans), flags, _stored, values)


def _stored(shared: Any, definitions: dict[str, Any], values: dict[str, Any]) -> Any:
    head, _ = shared
    some = {key: values[key] for key in definitions if key in values}
    return {**head, "flags": definitions, "values": some}


def _flagd(shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return {**shared, "flags": definitions}
