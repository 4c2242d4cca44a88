"""Incremental compilation: a new version recompiles only the flags whose definitions changed.

Parsing and validation stay whole-document. Compilation then finds the flags whose
definitions changed since the previous version and compiles them alone. Unchanged flags
keep their compiled rules, the very same objects, so comparing snapshots names exactly the
flags that changed. Memos of answers belong to a snapshot, never to a compiled rule, so an
answer always names the version that gave it.

Two ways find the changed flags, the first wherever it applies:

* **The text** (a JSON document read from bytes, as a poll gets it): each version keeps its
  text and where each flag lies in it (:mod:`appflags.formats._json_spans`). The next
  text shares a prefix and a suffix with it, found at C speed; a flag whose text lies in
  either is byte-identical, so unchanged, and only the few flags between are read again.
  No parsed definition is looked at, which is what makes a version with one flag changed
  in 10,000 cheap: any walk over 10,000 parsed definitions costs a sizeable share of
  compiling them. Where the text cannot show what changed (YAML, a byte order mark, an
  edit outside the per-flag objects or across two of them, a reformatted document), the
  second way decides.
* **The parsed definitions**, compared by value and by type (dict equality takes ``1`` for
  ``true`` and ``1.0`` for ``1``, which would keep rules answering the old types): they
  are marshalled in blocks of :data:`BLOCK` (one C call a block), a block whose bytes did
  not change is skipped whole, and only the flags of a block that did are compared one by
  one.

A format takes part by saying how its document splits into a part every flag's
compilation reads (compared whole: when it changes, everything is recompiled) and one
definition per flag, and how to build a document of a few flags back.
"""

from __future__ import annotations

import dataclasses
import marshal
from itertools import compress, islice
from operator import ne
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags._snapshot import fingerprint
from appflags.formats._json_spans import Edit, Members, edit, locate

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags._clock import Clock
    from appflags.formats._base import Compiled, Format

REBUILD_SHARE = 0.25
"""Past this share of flags changed, a whole compile is as cheap and simpler."""

BLOCK = 32
"""Definitions compared as one: a block whose bytes differ is compared flag by flag."""

EAGER, LATE = 4, 2
"""marshal formats of a version's blocks: written while its document is fresh from the
parser (the cheaper format 4), or later, after its compile (format 2, which writes no
back-references: format 4 marks objects that something else also references, and a compile
keeps references into its document, so its bytes would differ from a fresh document's)."""

_MISSING: Any = object()


class Split(NamedTuple):
    """A document as the part every flag reads, and one definition per flag."""

    shared: Any
    definitions: dict[str, Any]
    rebuild: Callable[[Any, dict[str, Any], dict[str, Any]], Any]
    """``rebuild(shared, definitions, values)``: a document holding only those flags."""
    values: dict[str, Any] = {}  # noqa: RUF012 - never mutated
    """A second per-flag part compared like ``definitions`` (AppConfig's ``values``)."""
    paths: tuple[str, ...] = ()
    """Where ``definitions`` (then ``values``) lie in a JSON text: ``""`` the document itself,
    a name the object under that key (see :func:`~appflags.formats._json_spans.locate`)."""

    def parts(self) -> dict[str, dict[str, Any]]:
        """The per-flag parts by their path in the text."""
        return dict(zip(self.paths, (self.definitions, self.values), strict=False))


class Blocks(NamedTuple):
    """One per-flag part of a split (its keys in order) and what compares it: marshal's
    bytes for each run of :data:`BLOCK` definitions, or None where marshal cannot write
    one (a YAML timestamp): then each definition is compared on its own."""

    keys: list[str]
    prints: list[bytes] | None

    @classmethod
    def of(cls, part: dict[str, Any], version: int) -> Blocks:
        keys, values = list(part), list(part.values())
        try:
            prints = [
                marshal.dumps(values[start : start + BLOCK], version)
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
    version: int
    """The marshal format of the blocks: only blocks of one format compare."""

    @classmethod
    def of(cls, split: Split, version: int) -> Prints:
        return cls(
            fingerprint(split.shared),
            Blocks.of(split.definitions, version),
            Blocks.of(split.values, version),
            version,
        )


class Text(NamedTuple):
    """A version's JSON text and where its per-flag parts lie in it (None: not located yet:
    a first load leaves that to the first update, which then locates them once)."""

    text: str
    members: dict[str, Members] | None


class Changes(NamedTuple):
    """The flags a new version changed: to compile again, to drop; and whether its flags
    are the previous version's keys in the same order."""

    changed: list[str]
    removed: list[str]
    same_keys: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Incremental:
    """What the next version's compilation starts from."""

    format: str
    clock: Clock
    split: Split
    compiled: Compiled
    """The format's own output for the whole document (before anything wraps it)."""
    base: Compiled | None = None
    """The previous version's ``compiled`` this one was patched from; None: compiled whole."""
    touched: frozenset[str] = frozenset()
    """With ``base``: every key (static, rule, metadata) the patch removed, replaced or
    added; every other key holds the very object it held in ``base``."""
    text: Text | None = None
    """The document's text and where its flags lie in it, when it came as JSON bytes."""
    prints: list[Prints] = dataclasses.field(default_factory=list)
    """Its :class:`Prints`, once written: at once without ``text``, else only when the
    next version's text does not show what changed (a list: filled in later)."""


def compile_incrementally(
    chosen: Format,
    doc: Any,
    clock: Clock,
    previous: Incremental | None,
    text: str | None = None,
) -> Compiled:
    """``chosen.compile(doc, clock)``, reusing ``previous`` for the flags that did not change.

    ``text`` is the JSON text ``doc`` was parsed from, if it was.
    """
    split = split_document(chosen.name, doc)
    if split is None:
        return chosen.compile(doc, clock)
    if not split.paths:
        text = None
    prints: list[Prints] = []
    found: Text | None = None
    patched = None
    if previous is not None and previous.format == chosen.name and previous.clock is clock:
        changes: Changes | None = None
        edited = _edited(previous, split, text) if text is not None else None
        if edited is not None:
            changes, found = edited
        else:
            changes = _compared(previous, split, prints)
        if changes is not None:
            patched = _patch(chosen, clock, previous, split, changes)
    if text is not None and found is None:
        # Located only when the next version comes (see _edited): a first load, on a cold
        # start's path, does not pay for an update that may never come.
        found = Text(text, None)
    if found is None and not prints:  # its successor compares parsed definitions
        prints.append(Prints.of(split, EAGER))
    if patched is not None and previous is not None:
        compiled, touched = patched
        incremental = Incremental(
            chosen.name, clock, split, compiled, previous.compiled, touched, found, prints
        )
    else:
        compiled = chosen.compile(doc, clock)
        incremental = Incremental(chosen.name, clock, split, compiled, text=found, prints=prints)
    return dataclasses.replace(compiled, incremental=incremental)


def _located(split: Split, text: str) -> dict[str, Members] | None:
    """Where the flags of ``split`` lie in ``text``, the text it was parsed from."""
    members = locate(text, split.paths)
    if members is None:
        return None
    for path, part in split.parts().items():
        if len(members[path].starts) != len(part):  # a key repeated: json keeps the last
            return None
    return members


def _edited(previous: Incremental, split: Split, text: str) -> tuple[Changes | None, Text] | None:
    """What changed, from the texts alone (None for the changes: the part every flag reads
    changed, compile whole); None where the texts cannot show it."""
    members = None
    if previous.text is not None and previous.split.paths == split.paths:
        members = previous.text.members or _located(previous.split, previous.text.text)
    if members is None or previous.text is None:
        return None
    parts = split.parts()
    most = int(len(split.definitions) * REBUILD_SHARE) + 1
    found = edit(previous.text.text, members, text, most)
    if found is None or found.members.keys() != parts.keys():
        return None
    for path, part in parts.items():
        if len(found.members[path].starts) != len(part):  # a key repeated: json keeps the last
            return None
    located = Text(text, found.members)
    if fingerprint(previous.split.shared) != fingerprint(split.shared):
        return None, located
    if found.path is None:
        return Changes([], [], True), located
    return _changes(previous.split, split, found), located


def _changes(before: Split, split: Split, found: Edit) -> Changes:
    """The flags that edits of the part at ``found.path`` changed."""
    part, old = split.parts()[found.path or ""], before.parts()[found.path or ""]
    runs = [(list(islice(old, run.start, run.stop)), keys) for run, keys in found.replaced]
    was = [key for keys, _ in runs for key in keys]
    keys = [key for _, now in runs for key in now]
    if found.path == split.paths[0]:  # the definitions
        changed = [
            key
            for key in keys
            if (value := old.get(key, _MISSING)) is _MISSING or _differ(value, part[key])
        ]
        same_keys = all(gone == came for gone, came in runs)
        return Changes(changed, [key for key in was if key not in part], same_keys)
    # The values of flags whose definitions are as they were.
    now = split.definitions
    changed = [
        key
        for key in dict.fromkeys([*was, *keys])
        if key in now
        and (
            (value := old.get(key, _MISSING)) is _MISSING
            or (after := part.get(key, _MISSING)) is _MISSING
            or _differ(value, after)
        )
    ]
    return Changes(changed, [], True)


def _compared(previous: Incremental, split: Split, prints: list[Prints]) -> Changes | None:
    """What changed, from the parsed definitions (None: the part every flag reads changed,
    compile whole). Fills ``prints`` with the new version's."""
    if not previous.prints:  # its text was to tell: write its blocks now
        previous.prints.append(Prints.of(previous.split, LATE))
    old = previous.prints[0]
    new = Prints.of(split, old.version)
    prints.append(new)
    if old.shared != new.shared:
        return None
    before, now = previous.split.definitions, split.definitions
    changed, same_keys = _changed(before, old.definitions, now, new.definitions)
    removed = [] if same_keys else [key for key in before if key not in now]
    if split.values or previous.split.values:
        old_values, values = previous.split.values, split.values
        more, _ = _changed(old_values, old.values, values, new.values)
        more += old_values.keys() - values.keys()
        changed = list(dict.fromkeys([*changed, *(key for key in more if key in now)]))
    return Changes(changed, removed, same_keys)


def _patch(
    chosen: Format, clock: Clock, previous: Incremental, split: Split, changes: Changes
) -> tuple[Compiled, frozenset[str]] | None:
    """The new version's output from the previous one's, and the keys it touched."""
    before, now = previous.split.definitions, split.definitions
    changed, removed, same_keys = changes
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
    # A key kept is replaced in place: a dict that never lost a key copies at memcpy speed
    # (one with holes left by deletions is copied key by key, several times slower).
    for key in old.keys() - new.keys():
        out.pop(key, None)
    out.update(new)
    return out


def split_document(format_name: str, doc: Any) -> Split | None:
    """How a valid document of ``format_name`` splits per flag; None: compile it whole."""
    if format_name == "appconfig":
        if isinstance(doc.get("flags"), dict) and "version" in doc:
            return _split_stored(doc)
        return Split(None, doc, _whole, paths=("",))
    if format_name == "powertools":
        return Split(None, doc, _whole, paths=("",))
    if format_name == "flagd":
        shared = {key: value for key, value in doc.items() if key != "flags"}
        return Split(shared, doc["flags"], _flagd, paths=("flags",))
    return None


def _whole(_shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return definitions


def _split_stored(doc: dict[str, Any]) -> Split:
    flags, values = doc["flags"], doc.get("values") or {}
    # Values without a definition are not compiled, but belong to no flag either: they
    # are compared whole, with the document's other keys.
    # (The keys of both, in the same order, as usual: a pointer comparison a key, json
    # parsing each key's text once.)
    orphans = (
        {}
        if list(values) == list(flags)
        else {key: values[key] for key in values.keys() - flags.keys()}
    )
    shared = {key: value for key, value in doc.items() if key not in ("flags", "values")}
    if "values" not in doc:
        paths: tuple[str, ...] = ("flags",)
    elif isinstance(doc["values"], dict):
        paths = ("flags", "values")
    else:  # not located in the text: the parsed definitions are compared
        paths = ()
    return Split((shared, orphans), flags, _stored, values, paths)


def _stored(shared: Any, definitions: dict[str, Any], values: dict[str, Any]) -> Any:
    head, _ = shared
    some = {key: values[key] for key in definitions if key in values}
    return {**head, "flags": definitions, "values": some}


def _flagd(shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return {**shared, "flags": definitions}
