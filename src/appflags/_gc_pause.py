"""Loading a document without the cyclic garbage collector walking the heap meanwhile.

Compiling a document allocates a few container objects per flag (answers, closures,
cells, tuples), nearly all of which live as long as the flags do. CPython's cyclic
collector counts those allocations and, every few hundred, walks the young objects; every
tenth of those passes walks older ones, and now and then it walks the whole heap: the
application's objects, the document being compiled and the previous version's compiled
flags. The more flags, the more passes and the bigger the heap each one walks, so a
10,000-flag load spent a third of its time in the collector (``gc.callbacks`` measured
6 full passes and 841 ms of 2.1 s for 10,000 flagd flags; none find garbage, since
compiling makes no reference cycles that outlive it).

:func:`paused` turns the collector off for the duration of a load and back on after it,
then runs one young-generation pass itself, so the load pays for walking its own new
objects once (instead of leaving that pass to whichever thread allocates next) and no
older generation is walked on its behalf. Reference counting still frees everything that
is not in a cycle while the collector is off.

The collector's switch is process-wide, so:

- it is turned back on only if it was on when the first of the loads running at once
  started (an application that disabled it keeps it disabled), and only when the last
  of those loads ends (a counter under a lock: loads on several threads nest);
- an application that calls ``gc.disable()`` on another thread while a load runs will
  find the collector on again when the load ends, and one that calls ``gc.enable()``
  meanwhile only makes that load slower. Applications that manage the collector
  themselves rarely do so while a feature-flag document is being polled in;
- other threads' reference cycles wait for the collector until the load ends (a load
  of 10,000 flags takes a few hundred milliseconds): memory, never correctness;
- a process forked while another thread loads (a pre-forking server replacing a worker)
  has no thread left to end that load: the child starts with no load running, the
  collector as the first load found it, and a fresh lock.

Only on CPython: other interpreters (PyPy) collect differently, and their
``gc.collect`` is no young pass; there a load leaves the collector alone.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_CPYTHON = sys.implementation.name == "cpython"
_lock = threading.Lock()
_loads = 0  # loads running now, on any thread
_resume = False  # whether the first of them found the collector on


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off while the block runs; as it was found once it has ended."""
    global _loads, _resume  # noqa: PLW0603 - one switch for the whole process
    if not _CPYTHON:
        yield
        return
    with _lock:
        if _loads == 0:
            _resume = gc.isenabled()
            gc.disable()
        _loads += 1
    try:
        yield
    finally:
        with _lock:
            _loads -= 1
            resume = _loads == 0 and _resume
            if resume:
                _resume = False
                gc.enable()
        if resume:
            gc.collect(0)  # the young pass this load deferred, paid by the load itself


def _forked() -> None:
    # Only the thread that called fork() runs in the child, and it is not loading: the
    # loads counted were other threads', which the child does not have.
    global _lock, _loads, _resume  # noqa: PLW0603 - the child's own, see the docstring
    _lock = threading.Lock()
    if _loads and _resume:
        gc.enable()
    _loads, _resume = 0, False


if _CPYTHON and hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)
