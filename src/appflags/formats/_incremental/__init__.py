"""Incremental compilation: a new version recompiles only the flags whose definitions changed.

Parsing and validation stay whole-document. Compilation then finds the flags whose
definitions changed since the previous version and compiles them alone. Unchanged flags
keep their compiled rules, the very same objects, so comparing snapshots names exactly the
flags that changed. Memos of answers belong to a snapshot, never to a compiled rule, so an
answer always names the version that gave it.

Three steps, one module each:

* **split** (:mod:`._split`): a format says how its document splits into a part every
  flag's compilation reads (compared whole: when it changes, everything is recompiled)
  and one definition per flag, and how to build a document of a few flags back;
* **compare** (:mod:`._compare`): the parsed definitions are compared by value and by
  type (dict equality takes ``1`` for ``true`` and ``1.0`` for ``1``, which would keep
  rules answering the old types). They are marshalled in blocks (one C call a block); a
  block whose bytes did not change is skipped whole, and only the flags of a block that
  did are compared one by one;
* **patch** (:mod:`._patch`): the changed flags are compiled alone and replace their keys
  in a copy of the previous version's tables.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from appflags._model import Incremental
from appflags.formats._incremental._compare import Prints, compare
from appflags.formats._incremental._patch import REBUILD_SHARE, patch
from appflags.formats._incremental._split import Split, split_document

if TYPE_CHECKING:
    from appflags._clock import Clock
    from appflags._model import Compiled
    from appflags.formats._base import Format

__all__ = ["REBUILD_SHARE", "Checkpoint", "compile_incrementally", "split_document"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint(Incremental):
    """An :class:`~appflags._model.Incremental` record with what the next version's
    compilation starts from: the format and clock it was compiled with, its split and
    the prints of that split."""

    format: str
    clock: Clock
    split: Split
    prints: Prints


def compile_incrementally(
    chosen: Format, doc: Any, clock: Clock, previous: Incremental | None
) -> Compiled:
    """``chosen.compile(doc, clock)``, reusing ``previous`` for the flags that did not change."""
    split = split_document(chosen.name, doc)
    if split is None:
        return chosen.compile(doc, clock)
    prints = Prints.of(split)  # before compiling: see Prints
    patched = _patched(chosen, clock, previous, split, prints)
    if patched is None:
        made = Checkpoint(
            chosen.compile(doc, clock), format=chosen.name, clock=clock, split=split, prints=prints
        )
    else:
        compiled, base, touched = patched
        made = Checkpoint(
            compiled, base, touched, format=chosen.name, clock=clock, split=split, prints=prints
        )
    return dataclasses.replace(made.compiled, incremental=made)


def _patched(
    chosen: Format, clock: Clock, previous: Incremental | None, split: Split, prints: Prints
) -> tuple[Compiled, Compiled, frozenset[str]] | None:
    """The new version's output patched from ``previous``'s, the output it was patched
    from, and the keys the patch touched; None: compile it whole."""
    if (
        not isinstance(previous, Checkpoint)
        or previous.format != chosen.name
        or previous.clock is not clock
    ):
        return None
    changes = compare(previous.split, previous.prints, split, prints)
    if changes is None:  # the part every flag reads changed
        return None
    base = previous.compiled
    made = patch(chosen, clock, before=previous.split, base=base, split=split, changes=changes)
    return None if made is None else (made[0], base, made[1])
