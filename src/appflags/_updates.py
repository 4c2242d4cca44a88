"""What keeps a :class:`~appflags.Flags` current: the update side, held by the ``Flags``.

:class:`Updates` accepts or rejects each version a source fetches (compiling it, saving
it to the backup), serves backups and bootstraps at a cold start, lays overrides over what
it accepted, keeps the state machine and the :class:`~appflags.Status` behind one lock,
tells listeners (each isolated from the others), and owns the poller. Lookups never come
here: they read the snapshot this object hands to the ``Flags`` (``serve``).
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from appflags._bootstrap import Bootstrap, as_stale, read_bootstrap
from appflags._errors import Problem, SchemaError
from appflags._log import logger
from appflags._overrides import Layers, Override
from appflags._poller import Poller
from appflags._snapshot import Snapshot
from appflags._state import AnswerSource, State, Status, StatusError
from appflags._usage import safe_now
from appflags.formats import FORMAT_NAMES, load
from appflags.sources import AgentSource, AppConfigDataSource, FileSource, SourceError

if TYPE_CHECKING:
    from datetime import datetime

    from jsonschema.protocols import Validator

    from appflags._backup import Backup
    from appflags._usage import UsageRecorder
    from appflags._usage_report import Usage
    from appflags.formats import Clock, Format
    from appflags.sources import Fetched, Source
    from appflags.sources._agent_variants import AgentVariants

Listener = Callable[["Change"], object]


@dataclass(frozen=True, slots=True)
class Change:
    """What ``on_change`` listeners receive: new flags, a new state, or both.

    ``changed_keys`` are the keys whose answers may differ from the previous snapshot
    (empty when only the state changed).
    """

    state: State
    previous_state: State
    version: str | None
    changed_keys: frozenset[str]


class Updates:
    """The update side of one ``Flags``; ``serve(snapshot)`` hands it what lookups read.

    Two snapshots: ``accepted``, the last document accepted (fetched, restored from the
    backup, bootstrapped or given), and ``served``, the same with the overrides laid over
    it. Everything that changes either, the state or the status holds ``_lock``.
    """

    def __init__(
        self,
        serve: Callable[[Snapshot], object],
        *,
        snapshot: Snapshot,
        format: str | Format,  # noqa: A002 - the public API's name for it
        schema: Validator | None,
        clock: Clock,
        max_bytes: int,
        interval: float,
        usage: UsageRecorder,
        source: Source | None = None,
        variants: AgentVariants | None = None,
        backup: str | os.PathLike[str] | None = None,
        bootstrap: Bootstrap | None = None,
    ) -> None:
        """``snapshot``: a document given in memory (``from_dict``), else ``NOT_READY``."""
        self._serve = serve
        self._lock = threading.Lock()  # guards listeners, state, status and overrides
        self.accepted = self.served = snapshot
        self._origin: AnswerSource | None = "dict" if snapshot.ready else None
        self._format = format
        self._schema = schema
        self.clock = clock
        self._max_bytes = max_bytes
        self._interval = interval
        self.usage = usage
        self._variants = variants
        self._layers = Layers()
        self._listeners: list[Listener] = []
        self._source = source
        self._poller: Poller | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._backup: Backup | None = None
        self.state = State.READY if snapshot.ready else State.NOT_READY
        self._ready = threading.Event()
        """Set once flags answer (fetched, backup, bootstrap, file, dict) or once closed."""
        self._on_ready: list[Callable[[], object]] = []
        if snapshot.ready:
            self._ready.set()
        self._since = safe_now(clock)
        self._poll_error: str | None = None
        self._rejected: str | None = None  # why the latest version fetched was rejected
        self._rejected_digest: str | None = None
        self.closed = False
        self.failed_polls = 0
        self.last_fetched: datetime | None = None
        self.last_updated: datetime | None = None
        with self._lock:
            self._publish(snapshot)
        if backup is not None:
            self.restore_backup(backup)
        if bootstrap is not None:
            self.load_bootstrap(bootstrap)

    # ------------------------------------------------------------------- status

    @property
    def source_name(self) -> str | None:
        """What logs call the source (never a secret); ``None`` for static flags."""
        return self._source.name if self._source is not None else None

    def status(self) -> Status:
        with self._lock:
            if self._poll_error is not None:
                error: StatusError | None = StatusError("poll_failed", self._poll_error)
            elif self._rejected is not None:
                error = StatusError("rejected", self._rejected)
            else:
                error = None
            return Status(
                state=self.state,
                since=self._since,
                last_error=error,
                version=self.served.version,
                digest=self.served.digest,
                source=self._origin,
                source_name=self.source_name,
                overrides=bool(self._layers.merged),
                last_updated=self.last_updated,
                closed=self.closed,
            )

    def usage_report(self, *, tracking: bool, reset: bool) -> Usage:
        """The usage report, with suggestions from the document answering; ``reset``:
        the counts start afresh after it."""
        fallbacks = self._variants.fallbacks if self._variants is not None else 0
        report = self.usage.report(
            tracking=tracking,
            failed_polls=self.failed_polls,
            last_fetched=self.last_fetched,
            known=_known_keys(self.accepted),
            fallbacks=fallbacks,
        )
        if reset:
            self.usage.reset()
            self.usage.reset_fallbacks(fallbacks)
        return report

    # ---------------------------------------------------------------- overrides

    @property
    def overrides(self) -> dict[str, Any]:
        return self._layers.merged

    def add_override(self, values: Mapping[str, Any]) -> Override:
        layer = Override(values, self._end_override)
        with self._lock:
            self._layers.add(layer)
            self._publish(self.accepted)
        return layer

    def clear_overrides(self) -> None:
        with self._lock:
            self._layers.clear()
            self._publish(self.accepted)

    def _end_override(self, layer: Override) -> None:
        with self._lock:
            if self._layers.remove(layer):
                self._publish(self.accepted)

    def _publish(self, document: Snapshot, origin: AnswerSource | None = None) -> None:
        """Serve ``document``, with the overrides laid over it. Called under ``_lock``."""
        self.accepted = document
        if origin is not None:
            self._origin = origin
        self.served = self._layers.lay_over(document, self.source_name)
        self._serve(self.served)

    # --------------------------------------------------------- cold start, files

    def restore_backup(self, path: str | os.PathLike[str]) -> None:
        """Save each accepted version at ``path``; serve what it holds until a fetch."""
        from appflags._backup import Backup  # noqa: PLC0415 - only with backup=: see digest()

        backup = self._backup = Backup(path)
        if self.accepted.ready:
            return
        saved = backup.load()
        if saved is None:
            return
        try:
            # The format the backup was accepted as, unless the caller names one.
            recorded = saved.format if self._format == "auto" else None
            recorded = recorded if recorded in FORMAT_NAMES else None
            snapshot = self.compile(saved.content, saved.content_type, saved.version, recorded)
        except Exception as exc:  # noqa: BLE001 - a bad backup never stops a start
            logger.warning(
                "appflags.backup_ignored",
                path=str(backup.path),
                reason="invalid document",
                problems=problems(exc),
            )
            return
        with self._lock:
            self._publish(snapshot, "backup")
            # Served, but not known to be current until AppConfig answers.
            self._change_state(State.STALE)
        logger.info("appflags.backup_loaded", path=str(backup.path), version=saved.version)

    def load_bootstrap(self, bootstrap: Bootstrap) -> None:
        # Read and validated even when a backup answers, so that a broken bootstrap
        # fails where it is written (a deploy), not on the day AppConfig is down.
        where = "bootstrap" if isinstance(bootstrap, Mapping) else str(bootstrap)
        content, content_type = read_bootstrap(bootstrap)
        try:
            document = as_stale(self.compile(content, content_type, None))
        except SchemaError as exc:
            raise exc.with_source(where) from None
        if self.accepted.ready:  # a valid backup: what AppConfig last served wins
            return
        with self._lock:
            self._publish(document, "bootstrap")
            # Answers, but none has come from AppConfig yet: STALE until the first fetch.
            self._change_state(State.STALE)
        logger.info("appflags.bootstrap_loaded", source=self.source_name, bootstrap=where)

    def load_file(self, content: bytes, content_type: str | None) -> None:
        """Accept a file read before any poll: raises when it cannot be read."""
        snapshot = self.compile(content, content_type, None, local=True)
        with self._lock:
            self._publish(snapshot, "file")
            self._change_state(State.READY)
            self.last_updated = safe_now(self.clock)

    def compile(
        self,
        content: bytes,
        content_type: str | None,
        version: str | None,
        format: str | None = None,  # noqa: A002 - a backup's recorded format
        *,
        local: bool | None = None,
    ) -> Snapshot:
        # Under "auto" each document's shape decides its format, so a deliberate change of
        # format is taken; a document with no flag shape is read as the format being served
        # (see choose_format), so a typo that removed every marker is still rejected.
        current = self.accepted
        name, compiled = load(
            content,
            content_type,
            format=format or self._format,
            schema=self._schema,
            clock=self.clock,
            max_bytes=self._max_bytes,
            # Flags whose definitions did not change keep their compiled rules.
            incremental=True,
            previous=current.incremental,
            current=current.format if current.ready else None,
            # A local file with a key defined twice is refused (its author can fix it); a
            # fetched version is read as AWS reads it, the last definition winning.
            duplicate_keys="refuse" if _is_local(self._source, local=local) else "warn",
        )
        if self._variants is not None:
            compiled = self._variants.compile(name, compiled)
        if (
            current.ready
            and current.format != name
            and (current.static or current.rules)
            and (compiled.static or compiled.rules)  # the empty document fixes no format
        ):
            logger.warning(
                "appflags.format_changed",
                source=self.source_name,
                previous=current.format,
                format=name,
                version=version,
            )
        # The pieces an incremental compile did not touch come from the current snapshot.
        return Snapshot.of(
            compiled, format=name, version=version, digest=digest(content), previous=current
        )

    # ----------------------------------------------------------------- polling

    def attach(self, source: Source, wait: float) -> None:
        """Poll ``source`` from now on; block up to ``wait`` s for the first poll."""
        with self._lock:
            self._source = source
        self._poller = self._start_poller(source)
        _LIVE.add(self)
        if wait > 0:
            self._poller.wait_first(wait)

    def _start_poller(self, source: Source) -> Poller:
        poller = Poller(
            source,
            self._on_fetched,
            self._on_error,
            interval=self._interval,
            name=f"appflags-poller[{source.name}]",
            on_late=self._on_late,
        )
        poller.start()
        # Dropped without close(): the poller stops as the Flags (and so this object) is
        # collected, not at its next wake-up (which would first send one more request).
        finalizer = self._finalizer
        if finalizer is not None:
            finalizer.detach()
        self._finalizer = weakref.finalize(self, poller.stop, 0.0)
        return poller

    def refresh(self, timeout: float) -> bool:
        if self._poller is None or self.closed:
            return False
        return self._poller.refresh(timeout)

    def close(self, timeout: float) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._wake_ready_waiters()  # no flags can come any more
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._poller is not None:
            self._poller.stop(timeout)
        if self._source is not None:
            self._source.close()
        if self._variants is not None:
            self._variants.close()

    def after_fork_in_child(self) -> None:
        # The parent's poller thread does not exist here, and its locks may have been held
        # at the moment of fork(): rebuild them, drop the parent's session and sockets,
        # and poll again on a thread of our own. The inherited snapshot keeps answering.
        self._lock = threading.Lock()
        if self.closed or self._source is None:
            return
        self._source.reset()
        self._poller = self._start_poller(self._source)

    def _on_fetched(self, fetched: Fetched) -> None:
        if self.closed:  # a poll in flight at close(): no update comes after it
            return
        source = self.source_name
        self.last_fetched = safe_now(self.clock)
        try:
            self._accept(fetched, source)
        finally:
            # After serving what came: a key the new document has is no missing key.
            self._log_usage()

    def _accept(self, fetched: Fetched, source: str | None) -> None:
        if self._poll_error is not None:
            with self._lock:
                self._poll_error = None
            logger.info("appflags.recovered", source=source)
        if fetched.content is None:
            # Empty body: the session already holds what we last received. Nothing to parse.
            # With nothing loaded (the first version was rejected) there is nothing to serve.
            if self.accepted.ready:
                with self._lock:
                    if self._rejected is None:
                        self.last_updated = self.last_fetched
                    self._set_state(State.READY if self._rejected is None else State.STALE)
            return
        fetched_digest = digest(fetched.content)
        if fetched_digest == self.accepted.digest:
            with self._lock:
                self._rejected = self._rejected_digest = None
                self.last_updated = self.last_fetched
                relabel = fetched.version != self.accepted.version
                if relabel:
                    # The same bytes deployed again under a new version (a redeploy, a
                    # rollback after a rejected version): serve them under the new label,
                    # with fresh memos since every answer in them names its version.
                    self._publish(replace(self.accepted, version=fetched.version))
                self._origin = self._kind()  # a restored backup too: the source confirmed it
            if relabel:
                logger.info("appflags.loaded", source=source, version=fetched.version)
                self._save(fetched, self.accepted.format)
            with self._lock:
                self._set_state(State.READY)
            return
        if fetched_digest == self._rejected_digest:
            # The same bad bytes again (the Agent answers whole documents): same verdict.
            self._reject(self._rejected or "rejected")
            return
        try:
            new = self.compile(fetched.content, fetched.content_type, fetched.version)
        except Exception as exc:  # noqa: BLE001 - any failure to read a version rejects it
            # A version read whole but unusable is rejected, never "poll failed": the
            # session and its token are kept (the bad bytes are not fetched again, and
            # each fetch is priced), and the last good flags keep serving.
            self._rejected_digest = fetched_digest
            found = problems(exc)
            logger.error(
                "appflags.rejected",
                source=source,
                version=fetched.version,
                format=getattr(exc, "format", None),
                problems=found,
                note=getattr(exc, "note", None),
                keeping=self.accepted.version if self.accepted.ready else None,
            )
            which = (
                "the latest version" if fetched.version is None else f"version {fetched.version}"
            )
            self._reject(f"{which} was rejected: {'; '.join(found)}")
            return
        with self._lock:
            if self.closed:  # closed while compiling
                return
            old = self.accepted
            if self._origin == "bootstrap":
                # Keys looked up while the (maybe smaller) bootstrap answered that this
                # document has were never the code's mistake.
                self.usage.found(_has(new))
            self._publish(new, self._kind())
            self._rejected = self._rejected_digest = None  # if it comes back, it is news again
            self.last_updated = self.last_fetched
        logger.info("appflags.loaded", source=source, version=fetched.version, format=new.format)
        if new.warnings:
            # Once per version: these flags answer with an error code until it is fixed.
            logger.warning(
                "appflags.flags_with_errors",
                source=source,
                version=fetched.version,
                problems=[str(p) for p in new.warnings],
            )
        self._save(fetched, new.format)
        with self._lock:
            self._set_state(State.READY, changed=new.changed_keys(old))

    def _kind(self) -> AnswerSource:
        if isinstance(self._source, AppConfigDataSource):
            return "appconfig"
        if isinstance(self._source, AgentSource):
            return "agent"
        return "file"

    def _save(self, fetched: Fetched, format: str | None) -> None:  # noqa: A002
        if self._backup is not None and fetched.content is not None:
            self._backup.save(fetched.content, fetched.content_type, fetched.version, format)

    def _on_late(self, late: float) -> None:
        # The process was frozen (Lambda between invocations, a suspended host): nothing
        # kept the flags current meanwhile. STALE until the poll that follows succeeds.
        if self.closed or not self.accepted.ready:
            return
        logger.info("appflags.late", source=self.source_name, seconds=round(late, 1))
        with self._lock:
            self._set_state(State.STALE)

    def _reject(self, why: str) -> None:
        with self._lock:
            if self.closed:  # closed while compiling the version rejected
                return
            self._rejected = why
            if self.accepted.ready:
                self._set_state(State.STALE)

    def _log_usage(self) -> None:
        """Log new missing keys and misuses once each (from the poller thread only)."""
        if self._origin == "bootstrap":
            return  # a bootstrap may be a smaller document: the first fetch decides
        document = self.accepted
        self.usage.log_new_missing(
            self.source_name, has=_has(document), known=_known_keys(document)
        )

    def _on_error(self, exc: Exception) -> None:
        if self.closed:  # e.g. the connection close() shut under a poll in flight
            return
        self.failed_polls += 1
        self._log_usage()
        description = str(exc) if isinstance(exc, SourceError) else type(exc).__name__
        if description != self._poll_error:
            with self._lock:
                self._poll_error = description
            logger.warning("appflags.poll_failed", source=self.source_name, error=description)
        if self.accepted.ready:
            with self._lock:
                self._set_state(State.STALE)

    # ---------------------------------------------------------- state, listeners

    def on_change(self, callback: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _change_state(self, state: State) -> None:
        """The state at a cold start (no listener can have seen the previous one)."""
        if state is not self.state:
            self.state = state
            self._since = safe_now(self.clock)
            if state is not State.NOT_READY:
                self._wake_ready_waiters()

    # ------------------------------------------------------------- waiting ready

    def is_ready(self) -> bool:
        """Whether flags answer (``READY`` or ``STALE``) and the flags are not closed."""
        return self.state is not State.NOT_READY and not self.closed

    def wait_ready(self, timeout: float) -> bool:
        """Block up to ``timeout`` s until :meth:`is_ready`, or until closed."""
        self._ready.wait(timeout)
        return self.is_ready()

    def when_ready(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback()`` once flags answer or the flags close (at once if either
        happened already); returns a function that forgets it. ``callback`` runs on
        whichever thread made the change, under the lock: it must only hand over (as
        ``loop.call_soon_threadsafe`` does)."""
        with self._lock:
            if not self._ready.is_set():
                self._on_ready.append(callback)
                return lambda: self._forget_ready_waiter(callback)
        callback()
        return lambda: None

    def _forget_ready_waiter(self, callback: Callable[[], object]) -> None:
        with self._lock:
            if callback in self._on_ready:
                self._on_ready.remove(callback)

    def _wake_ready_waiters(self) -> None:
        """Called under ``_lock``."""
        self._ready.set()
        waiters, self._on_ready = self._on_ready, []
        for callback in waiters:
            try:
                callback()
            except Exception:  # noqa: BLE001 - one waiter must not stop the others
                logger.exception("appflags.ready_waiter_failed", waiter=repr(callback))

    def _set_state(self, state: State, changed: frozenset[str] = frozenset()) -> None:
        """Called under ``_lock``, which it releases while listeners run."""
        previous = self.state
        if previous is state and not changed:
            return
        self._change_state(state)
        listeners = list(self._listeners)
        change = Change(state, previous, self.served.version, changed)
        self._lock.release()
        try:
            if previous is not state:
                logger.info(
                    "appflags.state",
                    source=self.source_name,
                    previous=previous.value,
                    state=state.value,
                )
            for listener in listeners:
                try:
                    listener(change)
                except Exception:  # noqa: BLE001 - one bad listener must not break the rest
                    logger.exception("appflags.listener_failed", listener=repr(listener))
        finally:
            self._lock.acquire()


_LIVE: weakref.WeakSet[Updates] = weakref.WeakSet()
"""Updates with a poller, held weakly: for fork() and interpreter exit, never kept alive."""


def _restart_pollers_in_child() -> None:
    for updates in list(_LIVE):
        updates.after_fork_in_child()


def _close_all_at_exit() -> None:
    for updates in list(_LIVE):
        updates.close(timeout=1.0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_pollers_in_child)
atexit.register(_close_all_at_exit)


def _has(document: Snapshot) -> Callable[[str], bool]:
    """Whether a lookup of a key finds something in ``document`` (not the default)."""

    def has(key: str) -> bool:
        # rules.keys(): the Agent's variant rules answer any attribute of a multi-variant
        # flag on demand, typos included; only the rules the document itself names count.
        if key in document.static or key in document.rules.keys():  # noqa: SIM118 - see above
            return True
        flag, dot, _ = key.rpartition(".")
        return bool(dot) and flag in document.disabled

    return has


def _known_keys(document: Snapshot) -> Iterator[str]:
    """The keys ``document`` answers (lazily: read only when a suggestion is wanted)."""
    yield from document.static
    yield from document.rules


def _is_local(source: object, *, local: bool | None) -> bool:
    return local if local is not None else isinstance(source, FileSource)


def digest(content: bytes) -> str:
    # hashlib (OpenSSL's, ~2 ms) and the backup's pathlib and base64 load with the first
    # document, not with `import appflags`: a cold start pays them once either way, an
    # import that builds no flags (a CLI's --help, a test collecting) never.
    import hashlib  # noqa: PLC0415

    return hashlib.sha256(content).hexdigest()


def as_schema_error(exc: Exception) -> SchemaError:
    """Any failure to parse, validate or compile a document, as a :class:`SchemaError`."""
    if isinstance(exc, SchemaError):
        return exc
    # A bug in a parser or compiler: name the exception, not its message, which may
    # quote the document.
    return SchemaError([Problem("$", f"the document could not be read ({type(exc).__name__})")])


def problems(exc: Exception) -> list[str]:
    """What a log says about a rejected version: its problems, never its content."""
    return [str(p) for p in as_schema_error(exc).problems]
