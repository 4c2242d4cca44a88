"""Multi-variant flags answered by the AppConfig Agent for each lookup's context.

The Agent evaluates a multi-variant flag per request, from the caller's context sent as
``Context: key=value`` headers; the polled answer (no context) only ever carries the
variant the empty context gets. ``Flags.from_agent`` therefore compiles every flag whose
polled answer carries ``"_variant"`` into rules (``callable(context) -> Resolved``) that
ask the Agent for those flags (``?flag=A&flag=B``, one request) with the lookup's
context, and remember the answers per context in a bounded TTL cache. The rest of the
snapshot, and every other lookup, stays in memory.

These rules are the only lookups in appflags that may do I/O, and only on a cache miss:

- ``blocking`` (the default): a miss waits for the Agent at most ``budget`` seconds
  (50 ms) from when its request started, then answers the polled answer; a late answer
  still fills the cache.
- ``background``: a miss answers the polled answer at once and fetches in the background
  for the next lookup of that context (for event-loop code).

A context that cannot travel safely, or cannot be a cache key, is never sent: that lookup
answers the polled answer. Failed requests are cached too, so each context costs at most
one Agent request per TTL whatever the Agent does. Every polled answer given in place of
the context's own (a context not sent, a missed budget, a failure) says so with reason
``STALE``: it is the empty context's variant, not necessarily this context's.

The Agent sends attribute values, never the flag's attribute declarations: an attribute
is known once the polled answer or an Agent answer (this version, any context) carried
it. A known attribute the chosen variant does not set answers the caller's default with
no error, as in-process; an attribute no answer ever carried (a typo) answers
``FLAG_NOT_FOUND``, and the lookup counts it as missing (a ``STALE`` fallback answers
the caller's default for it instead: the Agent might have known it).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache

from appflags._checks import check_names, check_optional_str, check_seconds
from appflags._evaluation import ErrorCode, Reason
from appflags._log import logger
from appflags._model import USE_DEFAULT, Compiled, Resolved, Rule
from appflags.sources._base import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from concurrent.futures import Future, ThreadPoolExecutor

MODES = ("blocking", "background", "off")
VARIANT_KEY = "_variant"
DEFAULT_BUDGET = 0.05
DEFAULT_CACHE_SIZE = 4096
MAX_PENDING = 64
"""Agent requests waiting or in flight per snapshot; past it a miss answers the polled
answer without asking (and asks on a later lookup)."""
WORKERS = 3
"""Concurrent Agent requests per ``Flags`` (the Agent's own default MAX_CONNECTIONS)."""

# What would change the meaning of a Context header: its separators, anything that
# could end or fold a header line, and whitespace a reader may trim.
_UNSAFE = re.compile(r"[,=\x00-\x1f\x7f]|^\s|\s$")
MAX_CONTEXT_CHARS = 8192
"""The longest ``Context`` header sent (``name=value`` pairs and commas); a longer context
is not sent. Also bounds what a lookup spends checking a context (a cache lookup hashes its
plain values first, as any dict key would: a str's hash is computed once and kept)."""
_NAMES_KEPT = 1024
"""Context attribute names remembered as safe (checked once each, up to this many)."""

Pairs = tuple[tuple[str, str], ...]
CacheKey = tuple[str, Pairs]


# The fork generation: a child process rebuilds locks and threads it did not inherit.
_FORKS = [0]


def _forked() -> None:
    _FORKS[0] += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def header_text(value: Any) -> str | None:
    """A context value as the text the Agent receives, or ``None`` if it cannot be sent.

    Strings go as they are, booleans as ``true``/``false``, numbers as JSON text. A value
    of any other type, a non-finite number, an int too long to write as text, or text
    containing ``,``, ``=``, control
    characters or surrounding whitespace cannot travel in a ``Context`` header.
    """
    kind = type(value)
    if kind is str:
        text: str = value
    elif kind is bool:
        text = "true" if value else "false"
    elif kind is int:
        try:
            text = str(value)
        except ValueError:  # more digits than Python writes as text (4,300 by default)
            return None
    elif kind is float:
        if not math.isfinite(value):
            return None
        text = repr(value)
    else:
        return None
    return None if _UNSAFE.search(text) else text


@dataclasses.dataclass(frozen=True, slots=True)
class VariantOptions:
    """How ``Flags.from_agent`` answers multi-variant flags per context."""

    mode: str = "blocking"
    budget: float = DEFAULT_BUDGET
    cache_size: int = DEFAULT_CACHE_SIZE
    ttl: float = 5.0
    context_keys: frozenset[str] | None = None
    entity_id: str | None = "targetingKey"

    @classmethod
    def build(
        cls,
        *,
        mode: str,
        budget: float,
        cache_size: int,
        ttl: float | None,
        poll_interval: float,
        context_keys: Iterable[str] | None,
        entity_id: str | None,
    ) -> VariantOptions:
        """Checked options; ``ttl`` defaults to, and may not exceed, ``poll_interval``."""
        if not isinstance(mode, str):
            raise TypeError(f"variants mode must be one of {MODES}, got {mode!r}")
        if mode not in MODES:
            raise ValueError(f"variants must be one of {MODES}, got {mode!r}")
        # A lookup may wait this long: finite and at most a day, like every other wait.
        budget = check_seconds("variant_budget", budget, zero=True)
        if isinstance(cache_size, bool) or not isinstance(cache_size, int):
            raise TypeError(f"variant_cache_size must be a positive int, got {cache_size!r}")
        if cache_size < 1:
            raise ValueError(f"variant_cache_size must be a positive int, got {cache_size!r}")
        if ttl is not None:
            check_seconds("variant_ttl", ttl, zero=False)
        chosen = poll_interval if ttl is None else ttl
        if not 0 < chosen <= poll_interval:
            raise ValueError(
                f"variant_ttl must be > 0 and at most poll_interval ({poll_interval:g} s), "
                f"got {ttl!r}"
            )
        keys = check_names("context_keys", context_keys)
        check_optional_str("entity_id", entity_id)
        return cls(mode, budget, cache_size, chosen, keys, entity_id)


@dataclasses.dataclass(frozen=True, slots=True)
class _Answer:
    """One flag's answer: a ``Resolved`` per key, and what its other attributes answer."""

    by_key: dict[str, Resolved]
    other: Resolved


def _answer(flag: str, value: Mapping[str, Any], reason: Reason) -> _Answer:
    """The keys of one flag's answer in the retrieval form (``enabled``, attributes,
    ``_variant``), as ``formats._appconfig`` compiles it."""
    variant = value.get(VARIANT_KEY)
    variant = variant if isinstance(variant, str) else None
    enabled = value.get("enabled") is True
    flag_reason = reason if enabled else Reason.DISABLED
    by_key = {flag: Resolved(enabled, variant, flag_reason)}
    if variant is not None:
        by_key[f"{flag}.{VARIANT_KEY}"] = Resolved(variant, variant, flag_reason)
    for attribute, attribute_value in value.items():
        if attribute not in ("enabled", VARIANT_KEY):
            answer = attribute_value if enabled else USE_DEFAULT
            by_key[f"{flag}.{attribute}"] = Resolved(answer, variant, flag_reason)
    # An attribute the chosen variant does not set answers the caller's default.
    other = Resolved(USE_DEFAULT, variant, flag_reason if not enabled else Reason.DEFAULT)
    return _Answer(by_key, other)


def _polled(flag: str, static: dict[str, Resolved]) -> _Answer:
    prefix = f"{flag}."
    keys = [k for k in static if k == flag or k.startswith(prefix)]
    by_key = {k: static.pop(k) for k in keys}
    top = by_key[flag]
    enabled = top.value is True
    other = Resolved(USE_DEFAULT, top.variant, Reason.DEFAULT if enabled else Reason.DISABLED)
    return _Answer(by_key, other)


def _stale(answer: _Answer) -> _Answer:
    """``answer`` given in place of a context's own: every reason ``STALE``, no error code
    (the values are the empty context's variant, not the caller's default)."""
    by_key = {k: r._replace(reason=Reason.STALE) for k, r in answer.by_key.items()}
    return _Answer(by_key, answer.other._replace(reason=Reason.STALE))


NOT_FOUND = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)
"""An attribute of a multi-variant flag that no answer ever carried (a typo)."""


class AgentVariants:
    """Per-context answers of the Agent's multi-variant flags, for one ``Flags``.

    ``fetch_flags(flags, context_header, entity_id)`` asks the Agent for some flags in
    one request and returns their answers (raising :class:`SourceError`); :meth:`compile`
    turns a compiled polled answer into one whose multi-variant flags ask it per context.
    """

    def __init__(
        self,
        fetch_flags: Callable[
            [Sequence[str], str | None, str | None], Mapping[str, Mapping[str, Any]]
        ],
        options: VariantOptions,
        *,
        name: str = "agent",
    ) -> None:
        self.options = options
        self._fetch_flags = fetch_flags
        self._name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._generation = _FORKS[0]
        self._closed = False
        self._last_error: str | None = None
        self._version: str | None = None
        self._current: _Answers | None = None
        self._names: set[str] = set()
        self.fallbacks = 0
        """Lookups answered ``STALE`` in place of their context's own answer (a context
        not sent, a missed budget, a failure): plain increments on the lookup path, exact
        on one thread (concurrent lookups may, rarely, lose a count)."""

    def compile(self, format_name: str, compiled: Compiled) -> Compiled:
        """``compiled`` with each flag that carries ``"_variant"`` answered per context."""
        if self.options.mode == "off" or format_name != "appconfig":
            return compiled
        flags = [
            flag
            for flag in compiled.features
            if (top := compiled.static.get(flag)) is not None and top.variant is not None
        ]
        if not flags:
            return compiled
        static = dict(compiled.static)
        polled = {flag: _polled(flag, static) for flag in flags}
        answers = _Answers(self, polled)
        self._current = answers
        rules = VariantRules(compiled.rules, answers)
        for flag, answer in polled.items():
            for key in answer.by_key:
                rules[key] = answers.rule(flag, key)
        return dataclasses.replace(
            compiled,
            static=static,
            rules=rules,
            disabled=compiled.disabled.difference(flags),
        )

    def version_seen(self, version: str | None) -> None:
        """A poll's version label: a new one empties the cache even when the polled answer
        (the empty context's) is unchanged, since another context's variant may not be."""
        if version == self._version:
            return
        self._version = version
        current = self._current
        if current is not None:
            current.clear()

    def close(self) -> None:
        """Stop asking the Agent: a context already cached keeps its answer until it
        expires, every other lookup answers the polled answer."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    # -- called by the per-snapshot caches ----------------------------------------------

    def cache_key(self, flag: str, context: Mapping[str, Any]) -> CacheKey | None:
        """``(flag, sorted (name, text) pairs)``, or ``None`` when the context cannot go.

        On every lookup the memo does not answer (see :meth:`_Answers.rule`): kept lean.
        """
        allowed = self.options.context_keys
        names = self._names
        unsafe = _UNSAFE.search
        pairs = []
        room = MAX_CONTEXT_CHARS + 1  # the first pair has no comma before it
        for name, value in context.items():
            if value is None or (allowed is not None and name not in allowed):
                continue
            if name not in names:
                if type(name) is not str or not 0 < len(name) < room or unsafe(name):
                    return None
                if len(names) < _NAMES_KEPT:
                    names.add(name)
            if type(value) is str:
                room -= len(name) + len(value) + 2
                if room < 0 or unsafe(value):
                    return None
                pairs.append((name, value))
            else:
                text = header_text(value)
                if text is None:
                    return None
                room -= len(name) + len(text) + 2
                if room < 0:
                    return None
                pairs.append((name, text))
        pairs.sort()
        return flag, tuple(pairs)

    def submit(self, job: Callable[[], None]) -> Future[None] | None:
        """Run ``job`` on a worker thread; ``None`` once closed."""
        if self._generation != _FORKS[0]:
            # A forked child: the parent's lock and threads are not ours.
            self._lock = threading.Lock()
            self._executor = None
            self._generation = _FORKS[0]
        with self._lock:
            if self._closed:
                return None
            if self._executor is None:
                # Imported here: most processes never ask the Agent for a variant.
                from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

                self._executor = ThreadPoolExecutor(
                    max_workers=WORKERS, thread_name_prefix="appflags-agent-variants"
                )
            return self._executor.submit(job)

    def fetch(self, flags: Sequence[str], pairs: Pairs) -> dict[str, _Answer] | None:
        """Ask the Agent for ``flags`` for one context, in one request; ``None`` when it
        could not answer."""
        header = ",".join(f"{name}={text}" for name, text in pairs) or None
        entity = self.options.entity_id
        entity_id = next((text for name, text in pairs if name == entity), None)
        if header is not None and not header.isascii():
            try:
                header.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate has no UTF-8: not sent, not logged
                return None
        try:
            values = self._fetch_flags(flags, header, entity_id)
        except SourceError as exc:
            # Logged when the failure starts or changes; never the context.
            if str(exc) != self._last_error:
                self._last_error = str(exc)
                logger.warning("appflags.agent_variant_failed", source=self._name, error=str(exc))
            return None
        self._last_error = None
        return {
            flag: _answer(flag, value, Reason.TARGETING_MATCH) for flag, value in values.items()
        }


class _Answers:
    """One snapshot's cache of Agent answers, keyed by context.

    A miss asks the Agent for every multi-variant flag at once (``?flag=A&flag=B``), so
    ``enabled_features`` or a page that reads several such flags costs one request, and
    one budget, per new context.

    Two levels. The cache proper (``_cache``, LRU and TTL, under the lock) is keyed by the
    ``(name, text)`` pairs sent, so contexts that send the same header share one request.
    In front of it, ``_memo`` maps the context itself to the same entries, read without a
    lock on every lookup (a hit): its key is built by C code, not by checking and writing
    out every value (see :meth:`rule`). Both hold ``(expires, answers)`` entries, on the
    monotonic clock.
    """

    def __init__(self, owner: AgentVariants, polled: dict[str, _Answer]) -> None:
        options = owner.options
        self.flags = frozenset(polled)
        self._asked = tuple(sorted(polled))
        self._owner = owner
        self._polled = self.polled = polled
        self._stale = {flag: _stale(answer) for flag, answer in polled.items()}
        self.known = frozenset(key for answer in polled.values() for key in answer.by_key)
        """Every key of these flags an answer carried so far (copied on write)."""
        self._blocking = options.mode == "blocking"
        self._budget = options.budget
        self._ttl = options.ttl
        self._size = options.cache_size
        allowed = options.context_keys
        self._keys = None if allowed is None else tuple(allowed)
        self._cache: TTLCache[Pairs, _Entry] = TTLCache(options.cache_size, options.ttl)
        self._memo: dict[Any, _Entry] = {}
        self._pending: dict[Pairs, tuple[Future[None], float]] = {}
        self._lock = threading.Lock()
        self._generation = _FORKS[0]
        self._epoch = 0

    def rule(self, flag: str, key: str) -> Rule:
        """The rule answering ``key`` (the flag or one of its attributes) per context.

        A hit is one dict read: the memo key is the context's names and values (or, with
        ``context_keys``, the allowed attributes' values) beside each value's exact type,
        so ``1``, ``1.0``, ``True`` and ``"1"`` never share an entry. Only contexts whose
        every value is ``None``, a ``str``, ``bool``, ``int`` or ``float`` are looked up
        or memoised (exact types: their hash and equality are the builtin ones), never
        with a float zero (``0.0 == -0.0``, sent as different text), so equal memo keys
        always send the same header. Anything else (other types, NaN, odd mappings) takes
        the slow path, which behaves as it always did.
        """
        stale = self._stale[flag]
        keys = self._keys
        answers_of = self
        owner = self._owner
        clock = time.monotonic
        plain = _PLAIN.issuperset

        def agent_variant(context: Mapping[str, Any]) -> Resolved:
            try:
                # Only values of plain types are hashed: never a caller's own __hash__,
                # nor a big tuple the slow path refuses at a glance.
                if keys is not None:
                    values = tuple(map(context.get, keys))
                    types = tuple(map(type, values))
                    memo_key: Any = (values, types) if plain(types) else None
                elif len(context) <= _MEMO_ATTRIBUTES:
                    values = tuple(context.values())
                    types = tuple(map(type, values))
                    memo_key = (tuple(context), values, types) if plain(types) else None
                else:  # huge: not worth a key (the slow path bounds what it spends)
                    memo_key = None
                entry = answers_of._memo.get(memo_key)
            except Exception:  # noqa: BLE001 - odd mappings: the slow path decides
                memo_key = entry = None
            if entry is not None and entry[0] > clock():
                found = entry[1]
                answer = (None if found is None else found.get(flag)) or stale
            else:
                answer = answers_of._answer(flag, context, memo_key)
            resolved = answer.by_key.get(key)
            if answer is stale:
                owner.fallbacks += 1
                # Not this context's answer: an attribute it lacks may be this context's.
                return resolved if resolved is not None else answer.other
            if resolved is not None:
                return resolved
            return answer.other if key in answers_of.known else NOT_FOUND

        return agent_variant

    def _answer(self, flag: str, context: Mapping[str, Any], memo_key: Any) -> _Answer:
        """A memo miss: the cache proper, or the Agent; the polled answer when the context
        has nothing to send, its ``STALE`` twin when the Agent did not answer for it."""
        # The pairs come from the very values in the memo key, so that a context changed
        # meanwhile by another thread cannot file one context's answer under another's key.
        seen = None if memo_key is None else self._seen(memo_key)
        if seen is None:
            memo_key = None
        else:
            context = seen
        key = self._owner.cache_key(flag, context)
        if key is None:
            return self._stale[flag]  # not sendable: the empty context's answer, said so
        if not key[1]:
            return self._polled[flag]  # nothing to send: the empty context's answer it is
        if self._generation != _FORKS[0]:
            self._after_fork()
        pairs = key[1]
        with self._lock:
            entry = self._cache.get(pairs)
            if entry is not None and entry[0] > time.monotonic():
                self._remember(memo_key, entry)
                return self._found(flag, entry)
            pending = self._pending.get(pairs) or self._start(pairs)
        if pending is None or not self._blocking or not _waited(*pending):
            return self._stale[flag]
        with self._lock:
            entry = self._cache.get(pairs)
            if entry is None:
                return self._stale[flag]  # still in flight: the budget ran out
            self._remember(memo_key, entry)
        return self._found(flag, entry)

    def _found(self, flag: str, entry: _Entry) -> _Answer:
        """``flag``'s answer in a cached entry; its ``STALE`` twin when the Agent failed."""
        answers = entry[1]
        found = None if answers is None else answers.get(flag)
        return self._stale[flag] if found is None else found

    def _seen(self, memo_key: Any) -> dict[Any, Any] | None:
        """The context (its allowed attributes) a memo key was built from, or ``None`` when
        that key may not be memoised."""
        try:
            if self._keys is None:
                names, values, _ = memo_key
                # Names and values are two reads of the context: if it changed in between
                # (another thread), they may not pair up, and the key may not be kept.
                if len(names) != len(values):
                    return None
                seen = dict(zip(names, values, strict=True))
            else:
                pairs = zip(self._keys, memo_key[0], strict=True)
                seen = {name: value for name, value in pairs if value is not None}
        except Exception:  # noqa: BLE001 - odd values: not memoised, the context decides
            return None
        return seen if _memoisable(seen) else None

    def _remember(self, memo_key: Any, entry: _Entry) -> None:
        """File ``entry`` in the memo too (the caller holds the lock)."""
        if memo_key is None:
            return
        memo = self._memo
        if len(memo) >= self._size:
            # Bounded: start afresh. The cache proper keeps the answers (LRU), so this
            # costs each context one slow lookup, not one more Agent request.
            memo = self._memo = {}
        memo[memo_key] = entry

    def _start(self, pairs: Pairs) -> tuple[Future[None], float] | None:
        """Ask the Agent in the background (the caller holds the lock)."""
        if len(self._pending) >= MAX_PENDING:
            return None
        # Submitted under the lock, so the job's own bookkeeping (which takes the lock)
        # always finds its pending entry.
        epoch = self._epoch
        future = self._owner.submit(lambda: self._fetch(pairs, epoch))
        if future is None:
            return None
        pending = self._pending[pairs] = (future, time.monotonic() + self._budget)
        return pending

    def _fetch(self, pairs: Pairs, epoch: int) -> None:
        answer = None
        try:
            answer = self._owner.fetch(self._asked, pairs)
        finally:
            # Whatever happened, the request's slot is freed and its answer (None for a
            # failure) cached: a stuck pending entry would stop this context for good,
            # and MAX_PENDING of them every other context too.
            with self._lock:
                if answer is not None:
                    carried = {k for found in answer.values() for k in found.by_key}
                    if not carried <= self.known:
                        self.known = self.known | carried
                if epoch == self._epoch:  # else asked before a new version: not kept
                    cache = self._cache
                    if len(cache) >= self._size and pairs not in cache:
                        # Full: the cache proper drops its least recently used context.
                        # The memo may hold it: it starts afresh, so that no more than
                        # cache_size contexts' answers are ever kept.
                        self._memo = {}
                    cache[pairs] = (time.monotonic() + self._ttl, answer)
                    self._pending.pop(pairs, None)

    def clear(self) -> None:
        """Forget every answer (a new version arrived)."""
        with self._lock:
            self._epoch += 1
            self._cache.clear()
            self._memo = {}
            self._pending = {}

    def _after_fork(self) -> None:
        # The parent's lock may have been held at fork(), and its requests are not ours.
        # Answers already cached stay good.
        self._lock = threading.Lock()
        self._pending = {}
        self._generation = _FORKS[0]


def _waited(future: Future[None], deadline: float) -> bool:
    """Wait for a request until ``deadline``; whether it did not fail meanwhile.

    Every lookup waiting for one request shares its budget: a slow Agent costs
    enabled_features (or a burst of lookups of one context) one budget, not one each.
    """
    remaining = deadline - time.monotonic()
    if remaining > 0:
        try:
            future.result(timeout=remaining)
        except Exception:  # noqa: BLE001 - a timeout, or cancelled by close(): polled answer
            return False
    return True


_Entry = tuple[float, "dict[str, _Answer] | None"]
"""A cached answer: when it expires (``time.monotonic()``), and the answers (``None``
when the Agent could not answer)."""
_MEMO_ATTRIBUTES = MAX_CONTEXT_CHARS // 3 + 1
"""More attributes than any sendable context has without ``None`` values: the memo key
of a larger context is not built (the slow path bounds what it spends)."""
_PLAIN = frozenset((type(None), str, bool, int, float))


def _memoisable(context: Mapping[str, Any]) -> bool:
    """Whether equal memo keys of ``context`` always send the same text: exact plain
    types, and no float zero (``-0.0 == 0.0``)."""
    for value in context.values():
        kind = type(value)
        if kind not in _PLAIN or (kind is float and not value):
            return False
    return True


class VariantRules(dict[str, Rule]):
    """Rules that also answer attributes of multi-variant flags the polled answer lacks.

    The polled answer shows only the empty context's variant, whose attributes may differ
    from (or be absent next to) another variant's: ``flag.attr`` for any attribute of a
    multi-variant flag asks the Agent too.
    """

    __slots__ = ("_answers", "_made")

    def __init__(self, rules: Mapping[str, Rule], answers: _Answers) -> None:
        super().__init__(rules)
        self._answers = answers
        self._made: dict[str, Rule] = {}
        """Rules made on demand, kept (up to ``_NAMES_KEPT``) for the next lookup."""

    def in_memory(self) -> tuple[dict[str, Rule], dict[str, Resolved], frozenset[str]]:
        """What these rules answer without the Agent: the other rules, the multi-variant
        flags' polled answers as static answers, and those of them that are disabled (for
        a ``bootstrap=`` document, which never asks the Agent)."""
        polled = self._answers.polled
        rules = {k: rule for k, rule in self.items() if k.partition(".")[0] not in polled}
        static = {k: r for answer in polled.values() for k, r in answer.by_key.items()}
        off = frozenset(
            flag for flag, answer in polled.items() if answer.by_key[flag].value is not True
        )
        return rules, static, off

    def get(self, key: str, default: Any = None) -> Any:
        rule = dict.get(self, key)
        if rule is not None:
            return rule
        try:
            rule = self._made.get(key)
        except TypeError:  # an unhashable key names no flag
            return default
        if rule is not None:
            return rule
        if self._attribute(key):
            rule = self._answers.rule(str.partition(key, ".")[0], key)
            if len(self._made) < _NAMES_KEPT:
                self._made[key] = rule
            return rule
        return default

    def __contains__(self, key: object) -> bool:
        try:
            return dict.__contains__(self, key) or self._attribute(key)
        except TypeError:  # an unhashable key names no flag
            return False

    def _attribute(self, key: object) -> bool:
        """Whether ``key`` names an attribute of a multi-variant flag (a key that is not
        a ``str`` names none: lookups take any key and never raise)."""
        if not isinstance(key, str):
            return False
        flag, dot, _ = key.partition(".")
        return bool(dot) and flag in self._answers.flags
