"""Where each flag lies in a JSON document's text, and which flags an edit of that text touched.

A new version of a flag document is usually the previous one with one region edited. Both
texts then share a prefix and a suffix, found at C speed (slice equality, halving), and a
flag whose text lies wholly in either is byte-identical, so parsed alike, without looking
at its parsed value at all. Only the members of the per-flag object between the two are
read again, with ``json``'s own C scanner.

The argument, for a per-flag object ``O`` (a ``{`` ... ``}`` whose members are the flags):

* The new text up to the prefix's end is the old one, and the text before a position
  decides the parser's state there: the last old member of ``O`` whose key starts in the
  prefix (or ``O``'s ``{``, if none does) starts a member of the new ``O`` too, and every
  member before it is the same member, with the same key and value text.
* From there the new text is scanned member by member (the real scanner: strings with
  their escapes, nested values), until a member starts, in the suffix, at an old member's
  start shifted by the length difference. From there both texts are the same
  text in the same parse state (inside ``O``, before a key, with the same containers
  open: those before ``O`` lie in the prefix), so every later member, ``O``'s closing brace
  and everything after it parse alike. The scan may also end at ``O``'s closing brace, if
  that brace is the old one shifted, in the suffix.
* So the new document is the old one with the scanned members in place of the old ones
  they replaced. The parsed ``O`` has as many keys as the text has members (no key
  repeated, which ``json`` would resolve to the last), checked by the caller.

Anything else (a change outside every per-flag object or across two of them, a member that
does not scan, a scan that never meets the old text again) gives None: the caller then
compares parsed definitions instead.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# json's C scanners (untyped): a string from after its quote, a value; each with its end.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]  # untyped
_scan_value: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # untyped

_SCAN_ERRORS = (ValueError, StopIteration, IndexError)


CHUNK = 64
"""Offsets kept in one list: shifting the offsets after an edit costs one number a chunk."""


Piece = tuple[int, int, int] | list[int]
"""A part of :meth:`Offsets.rebuilt`'s result."""


class Offsets:
    """Ascending offsets into a text, in chunks, each with the amount added to its numbers:
    the offsets after an edit move by the length it added at the cost of one number a chunk
    (shifting 10,000 numbers one by one would cost more than everything else an edit does).
    """

    __slots__ = ("chunks", "counts", "firsts", "shifts")

    def __init__(
        self, chunks: list[list[int]], shifts: list[int], firsts: list[int], counts: list[int]
    ) -> None:
        self.chunks = chunks
        """Non-empty, each ascending."""
        self.shifts = shifts
        """Added to every number of the chunk at the same index."""
        self.firsts = firsts
        """Each chunk's first offset (its first number plus its shift)."""
        self.counts = counts
        """How many offsets come before each chunk, then how many there are in all."""

    @classmethod
    def of(cls, offsets: list[int]) -> Offsets:
        chunks = [offsets[start : start + CHUNK] for start in range(0, len(offsets), CHUNK)]
        return cls.chunked(chunks, [0] * len(chunks))

    @classmethod
    def chunked(cls, chunks: list[list[int]], shifts: list[int]) -> Offsets:
        firsts = [chunk[0] + shift for chunk, shift in zip(chunks, shifts, strict=True)]
        counts = [0, *accumulate(map(len, chunks))]
        return cls(chunks, shifts, firsts, counts)

    def __len__(self) -> int:
        return self.counts[-1]

    def last_at_most(self, at: int) -> int:
        """The index of the last offset at most ``at``; -1 if none is."""
        j = bisect_right(self.firsts, at) - 1
        if j < 0:
            return -1
        return self.counts[j] + bisect_right(self.chunks[j], at - self.shifts[j]) - 1

    def find(self, offset: int) -> int:
        """The index of ``offset``; -1 if it is not one of them."""
        j = bisect_right(self.firsts, offset) - 1
        if j < 0:
            return -1
        chunk, wanted = self.chunks[j], offset - self.shifts[j]
        k = bisect_left(chunk, wanted)
        return self.counts[j] + k if k < len(chunk) and chunk[k] == wanted else -1

    def at(self, index: int) -> int:
        """The offset at ``index``."""
        j = bisect_right(self.counts, index) - 1
        return self.chunks[j][index - self.counts[j]] + self.shifts[j]

    def shifted(self, by: int) -> Offsets:
        return Offsets(
            self.chunks,
            [shift + by for shift in self.shifts],
            [first + by for first in self.firsts],
            self.counts,
        )

    def rebuilt(self, pieces: list[Piece]) -> Offsets:
        """New offsets, in order, from ``pieces``: runs of these, ``(start, stop, by)`` (the
        offsets ``[start, stop)``, each moved by ``by``), and lists of new offsets."""
        chunks: list[list[int]] = []
        shifts: list[int] = []
        loose: list[int] = []

        def settle() -> None:
            chunks.extend(loose[at : at + CHUNK] for at in range(0, len(loose), CHUNK))
            shifts.extend([0] * ((len(loose) + CHUNK - 1) // CHUNK))
            loose.clear()

        for piece in pieces:
            if isinstance(piece, list):
                loose += piece
                continue
            start, stop, by = piece
            j, k = self._chunk_of(start)
            while start < stop:
                chunk = self.chunks[j]
                end = min(len(chunk), k + stop - start)
                if k == 0 and end == len(chunk):  # a whole chunk: moved by its shift alone
                    if loose:
                        settle()
                    chunks.append(chunk)
                    shifts.append(self.shifts[j] + by)
                else:
                    moved = self.shifts[j] + by
                    loose += [number + moved for number in chunk[k:end]]
                start += end - k
                j, k = j + 1, 0
        settle()
        if len(chunks) > 2 * (sum(map(len, chunks)) // CHUNK) + 8:  # edits left many small
            flat = [
                number + shift
                for chunk, shift in zip(chunks, shifts, strict=True)
                for number in chunk
            ]
            return Offsets.of(flat)
        return Offsets.chunked(chunks, shifts)

    def _chunk_of(self, index: int) -> tuple[int, int]:
        """The chunk holding offset ``index``, and its place there (past the end: the
        number of chunks, 0)."""
        if index >= len(self):
            return len(self.chunks), 0
        j = bisect_right(self.counts, index) - 1
        return j, index - self.counts[j]


class Members(NamedTuple):
    """One per-flag object in a document's text: where its braces and its members are."""

    open: int
    """Index of its ``{``."""
    close: int
    """Index of its ``}``."""
    starts: Offsets
    """Index of each member's key (its opening quote), in order."""

    def shifted(self, by: int) -> Members:
        return Members(self.open + by, self.close + by, self.starts.shifted(by))


class Edit(NamedTuple):
    """What changed from one text to the next, as seen by :func:`edit`."""

    members: dict[str, Members]
    """The new text's per-flag objects."""
    path: str | None
    """The per-flag object holding the edits; None: no member of any was edited."""
    replaced: list[tuple[range, list[str]]]
    """Each run of its old members (their indices) that an edit replaced, with the keys
    of the members that replaced them, in order."""


def locate(text: str, paths: tuple[str, ...]) -> dict[str, Members] | None:
    """The per-flag objects of ``text``: ``""`` names the document itself, another name the
    object under that key of the document. None if one is missing or not an object, or a
    key of the document appears twice (``json`` keeps the last)."""
    try:
        start = _skip(text, 0)
        if paths == ("",):
            return {"": _members(text, start)}
        found = _nested(text, start, paths)
    except _SCAN_ERRORS:
        return None
    return found if found is not None and len(found) == len(paths) else None


def _nested(text: str, start: int, paths: tuple[str, ...]) -> dict[str, Members] | None:
    """The objects under the keys ``paths`` of the object at ``start``."""
    if text[start] != "{":
        return None
    found = {}
    keys: set[str] = set()
    pos = _skip(text, start + 1)
    while text[pos] != "}":
        key, pos = scanstring(text, pos + 1)
        if key in keys:
            return None
        keys.add(key)
        pos = _colon(text, pos)
        if key in paths:
            members = found[key] = _members(text, pos)
            pos = members.close + 1
        else:
            _, pos = _scan_value(text, pos)
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        elif text[pos] != "}":
            return None
    return found


def _skip(text: str, pos: int) -> int:
    """Past the JSON whitespace at ``pos``."""
    return _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]  # "*" always matches


def _colon(text: str, pos: int) -> int:
    """Past the ``:`` after a key (and the whitespace around it)."""
    if text[pos] != ":":
        pos = _skip(text, pos)
        if text[pos] != ":":
            raise ValueError(pos)
    pos += 1
    if text[pos] in " \t\n\r":
        pos = _skip(text, pos)
    return pos


def _members(text: str, open_: int) -> Members:
    """Every member of the object whose ``{`` is at ``open_``."""
    if text[open_] != "{":
        raise ValueError(open_)
    starts: list[int] = []
    pos = _skip(text, open_ + 1)
    if text[pos] != "}":
        while True:
            if text[pos] != '"':
                raise ValueError(pos)
            starts.append(pos)
            _, pos = scanstring(text, pos + 1)
            _, pos = _scan_value(text, _colon(text, pos))
            if text[pos] != ",":
                pos = _skip(text, pos)
                if text[pos] == "}":
                    break
                if text[pos] != ",":
                    raise ValueError(pos)
            pos += 1
            if text[pos] != '"':
                pos = _skip(text, pos)
    return Members(open_, pos, Offsets.of(starts))


def common_prefix(old: str, new: str) -> int:
    """The length of the longest common prefix of ``old`` and ``new``."""
    return _common(old, new, min(len(old), len(new)), lambda text, start, stop: text[start:stop])


def common_suffix(old: str, new: str, limit: int) -> int:
    """The length of the longest common suffix of ``old`` and ``new``, at most ``limit``."""
    return _common(
        old,
        new,
        limit,
        lambda text, start, stop: text[len(text) - stop : len(text) - start],
    )


def _common(old: str, new: str, limit: int, part: Callable[[str, int, int], str]) -> int:
    """How far (at most ``limit``) ``part(old, 0, n) == part(new, 0, n)`` holds.

    Compared a slice at a time, each slice twice as long as the last up to
    :data:`_LONGEST`, then by halving the slice that differs. Slices that fit in the
    processor's caches compare several times faster than halving the whole text, which
    copies megabytes at each step.
    """
    low, step = 0, _SHORTEST
    while low < limit:
        high = min(low + step, limit)
        if part(old, low, high) != part(new, low, high):
            break
        low, step = high, min(step * 2, _LONGEST)
    else:
        return limit
    high = min(low + step, limit) - 1  # the first difference lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if part(old, low, middle) == part(new, low, middle):
            low = middle
        else:
            high = middle - 1
    return low


_SHORTEST, _LONGEST = 1 << 12, 1 << 15
"""Characters compared at once by :func:`_common`: the first slice, the longest."""


def edit(old: str, members: dict[str, Members], new: str, most: int) -> Edit | None:
    """The new text's per-flag objects from the old text's, and the members edits
    replaced; None where that cannot be shown (see the module's docstring), or more than
    ``most`` members were scanned."""
    if old == new:
        return Edit(members, None, [])
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    by = len(new) - len(old)
    old_tail, new_tail = len(old) - suffix, len(new) - suffix  # where the suffix starts
    # The per-flag object whose braces enclose every edit.
    path = next(
        (
            name
            for name, found in members.items()
            if found.open < prefix and found.close >= old_tail
        ),
        None,
    )
    if path is None:
        return None
    out: dict[str, Members] = {}
    for name, found in members.items():
        if name == path:
            continue
        if found.close < prefix:
            out[name] = found
        elif found.open >= old_tail:
            out[name] = found.shifted(by)
        else:  # pragma: no cover - per-flag objects never overlap one another
            return None
    target = members[path]
    scan = _Rescan(old, new, target, by, most)
    try:
        done = scan.run(prefix, new_tail)
    except _SCAN_ERRORS:
        return None
    if not done:
        return None
    out[path] = Members(target.open, target.close + by, target.starts.rebuilt(scan.pieces))
    return Edit(out, path, scan.replaced)


class _Rescan:
    """The new text's members of one per-flag object, read from the old one's.

    From the last old member that starts in the prefix, the new members are scanned one
    by one; after each, the text that follows is tried against the old members the scan
    may have reached (as many members replaced as scanned, one more or one fewer): where
    it repeats a run of them byte for byte, up to the next member's key (or the object's
    closing brace), those members are the old ones, moved, and are skipped whole (runs
    found by doubling, then halving, at C speed). The scan ends at a member that starts,
    in the suffix, at an old member's start shifted by the length difference, or at the
    old closing brace, shifted."""

    def __init__(self, old: str, new: str, target: Members, by: int, most: int) -> None:
        self.old, self.new, self.target, self.by, self.most = old, new, target, by, most
        self.count = len(target.starts)
        self.pieces: list[Piece] = []
        self.replaced: list[tuple[range, list[str]]] = []
        self.done = 0  # old members before this one are accounted for
        self.starts: list[int] = []  # scanned since then
        self.keys: list[str] = []
        self.scanned = 0

    def run(self, prefix: int, new_tail: int) -> bool:
        """Whether the scan met the old text again (``pieces``, ``replaced`` then hold
        the new offsets and what the edits replaced)."""
        new, target, starts = self.new, self.target, self.target.starts
        # The text before a member's key decides the state there (inside the object,
        # before a key): the old one's, up to the end of the prefix.
        first = starts.last_at_most(prefix)
        if first < 0:
            first, pos = 0, _skip(new, target.open + 1)
        else:
            pos = _skip(new, starts.at(first))  # spacing may have been added before it
        self.pieces.append((0, first, 0))
        self.done = first
        while True:
            if new[pos] == "}":
                # The object ends here: the old one's closing brace, shifted, in the suffix.
                if pos >= new_tail and pos - self.by == target.close:
                    self._settle(self.count, self.count, 0)
                    return True
                return False
            if pos >= new_tail:
                # A member starting in the suffix where an old one started: the rest is
                # the old text, read in the same state.
                resumed = starts.find(pos - self.by)
                if resumed >= self.done:
                    self._settle(resumed, self.count, self.by)
                    return True
            if self.starts and (moved := self._realign(pos)) is not None:
                pos = moved
                continue
            if self.scanned >= self.most or new[pos] != '"':
                return False
            self.scanned += 1
            self.starts.append(pos)
            key, pos = scanstring(new, pos + 1)
            self.keys.append(key)
            _, pos = _scan_value(new, _colon(new, pos))
            pos = _skip(new, pos)
            if new[pos] == ",":
                pos = _skip(new, pos + 1)
            elif new[pos] != "}":
                return False

    def _settle(self, resumed: int, stop: int, by: int) -> None:
        """The old members ``[done, resumed)`` were replaced by those scanned since; the
        old members ``[resumed, stop)`` follow, moved by ``by``."""
        self.replaced.append((range(self.done, resumed), self.keys))
        self.pieces += [self.starts, (resumed, stop, by)]
        self.done, self.starts, self.keys = stop, [], []

    def _realign(self, pos: int) -> int | None:
        """Where the scan goes on if the text at ``pos`` repeats old members; None if not."""
        guess = self.done + len(self.starts)
        for candidate in (guess, guess - 1, guess + 1):
            if self.done <= candidate < self.count:
                same = self._same_run(candidate, pos)
                if same:
                    start = self.target.starts.at(candidate)
                    self._settle(candidate, candidate + same, pos - start)
                    return (
                        pos
                        + self._end(candidate + same)
                        - start
                        - (
                            candidate + same == self.count  # back onto the closing brace
                        )
                    )
        return None

    def _end(self, index: int) -> int:
        """Where old members before ``index`` end: the next one's key, or past the brace."""
        if index < self.count:
            return self.target.starts.at(index)
        return self.target.close + 1

    def _same_run(self, index: int, pos: int) -> int:
        """How many old members from ``index`` the new text repeats from ``pos``."""
        start = self.target.starts.at(index)

        def same(low: int, high: int) -> bool:  # members [low, high), [index, low) known
            begin, end = self._end(low), self._end(high)
            at = pos + begin - start
            return self.old[begin:end] == self.new[at : at + end - begin]

        good, step = index, 1
        while good < self.count:
            ahead = min(good + step, self.count)
            if not same(good, ahead):
                break
            good, step = ahead, step * 2
        else:
            return self.count - index
        high = ahead - 1  # members [good, ahead) hold a difference
        while good < high:
            middle = (good + high + 1) // 2
            if same(good, middle):
                good = middle
            else:
                high = middle - 1
        return good - index
