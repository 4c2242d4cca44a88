"""Incremental compilation: a new version recompiles only the flags whose definitions changed.

Parsing and validation stay whole-document. Compilation then compares each flag's
definition with the previous version's (by fingerprint, at C speed: dict equality would
take ``1`` for ``true`` and ``1.0`` for ``1``, keeping rules that answer the old
types) and compiles the
changed flags alone; unchanged flags keep their compiled rules, the very same objects, so
comparing snapshots names exactly the flags that changed. Memos of answers belong to a
snapshot, never to a compiled rule, so an answer always names the version that gave it.

A format takes part by saying how its document splits into a part every flag's
compilation reads (compared whole: when it changes, everything is recompiled) and one
definition per flag, and how to build a document of a few flags back.
"""

from __future__ import annotations

import dataclasses
from itertools import compress
from operator import ne
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags._snapshot import fingerprint, fingerprints

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags._clock import Clock
    from appflags.formats._base import Compiled, Format

REBUILD_SHARE = 0.25
"""Past this share of flags changed, a whole compile is as cheap and simpler."""

_MISSING: Any = object()


class Split(NamedTuple):
    """A document as the part every flag reads, and one definition per flag."""

    shared: Any
    definitions: dict[str, Any]
    rebuild: Callable[[Any, dict[str, Any], dict[str, Any]], Any]
    """``rebuild(shared, definitions, values)``: a document holding only those flags."""
    values: dict[str, Any] = {}  # noqa: RUF012 - never mutated
    """A second per-flag part compared like ``definitions`` (AppConfig's ``values``)."""


class Prints(NamedTuple):
    """A split's parts as :func:`~appflags._snapshot.fingerprint` s: what is compared."""

    shared: Any
    definitions: dict[str, Any]
    values: dict[str, Any]

    @classmethod
    def of(cls, split: Split) -> Prints:
        values = fingerprints(split.values) if split.values else {}
        return cls(fingerprint(split.shared), fingerprints(split.definitions), values)


@dataclasses.dataclass(frozen=True, slots=True)
class Incremental:
    """What the next version's compilation starts from."""

    format: str
    clock: Clock
    split: Split
    prints: Prints
    compiled: Compiled
    """The format's own output for the whole document (before anything wraps it)."""


def compile_incrementally(
    chosen: Format, doc: Any, clock: Clock, previous: Incremental | None
) -> Compiled:
    """``chosen.compile(doc, clock)``, reusing ``previous`` for the flags that did not change."""
    split = split_document(chosen.name, doc)
    if split is None:
        return chosen.compile(doc, clock)
    compiled = None
    prints = Prints.of(split)
    if (
        previous is not None
        and previous.format == chosen.name
        and previous.clock is clock
        and previous.prints.shared == prints.shared
    ):
        compiled = _patch(chosen, clock, previous, split, prints)
    if compiled is None:
        compiled = chosen.compile(doc, clock)
    return dataclasses.replace(
        compiled, incremental=Incremental(chosen.name, clock, split, prints, compiled)
    )


def _patch(
    chosen: Format, clock: Clock, previous: Incremental, split: Split, prints: Prints
) -> Compiled | None:
    before, now = previous.split.definitions, split.definitions
    changed, same_keys = _changed(previous.prints.definitions, prints.definitions)
    removed = set() if same_keys else before.keys() - now.keys()
    if prints.values or previous.prints.values:
        more, _ = _changed(previous.prints.values, prints.values)
        more += previous.prints.values.keys() - prints.values.keys()
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
    metadata = _replaced(dict(base.metadata), old.metadata, new.metadata)
    warnings = _replaced(base.warnings, old.warnings, new.warnings)
    disabled = (base.disabled - old.disabled) | new.disabled
    if not same_keys or set(old.features) != set(new.features):
        kept = (set(base.features) - set(old.features)) | set(new.features)
        features = tuple(key for key in now if key in kept)
    else:
        features = base.features
    return dataclasses.replace(
        base,
        static=static,
        rules=rules,
        features=features,
        disabled=disabled,
        metadata=metadata,
        warnings=warnings,
    )


def _changed(before: dict[str, Any], now: dict[str, Any]) -> tuple[list[str], bool]:
    """Keys of ``now`` whose fingerprints differ from ``before``'s; whether the keys are
    the same, in the same order."""
    if list(before) == list(now):  # the usual case: same flags, same order
        # Compared pairwise in C: about a microsecond a flag, against tens to compile one.
        return list(compress(now, map(ne, before.values(), now.values()))), True
    return [key for key, value in now.items() if before.get(key, _MISSING) != value], False


def _replaced(base: Any, old: Any, new: Any) -> Any:
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
