"""The ``Flags`` facade: constructors, snapshot swaps, polling and listeners.

The lookups it inherits live in ``_lookups``."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appflags import _gc_pause
from appflags._backup import Backup
from appflags._bootstrap import Bootstrap, as_stale, read_bootstrap
from appflags._checks import (
    check_clock,
    check_format,
    check_optional_str,
    check_path,
    check_positive_int,
    check_seconds,
)
from appflags._errors import Problem, SchemaError
from appflags._log import logger
from appflags._lookups import Lookups, tracked_lookups
from appflags._overrides import ENVIRONMENT_VARIABLE, from_environment, overlay, plain_overrides
from appflags._poller import Poller
from appflags._snapshot import NOT_READY, Snapshot
from appflags._state import State
from appflags._usage import UsageRecorder, safe_now
from appflags.formats import (
    FORMAT_NAMES,
    MAX_DOCUMENT_BYTES,
    Clock,
    Format,
    compile_document,
    finite_int,
    load,
    load_schema,
    utc_now,
)
from appflags.sources import (
    AgentSource,
    AppConfigDataSource,
    Fetched,
    FileSource,
    Source,
    SourceError,
)
from appflags.sources.agent import default_agent_url

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType

    from mypy_boto3_appconfigdata import AppConfigDataClient

    from appflags._usage_report import Usage
    from appflags.sources._agent_variants import AgentVariants

Listener = Callable[["Change"], object]

DEFAULT_POLL_INTERVAL = 15.0
MAX_WAIT = 3600.0
"""The longest ``wait=`` for the first configuration (an hour)."""


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


class Flags(Lookups):
    """Feature flags from AWS AppConfig, answered in-process.

    Build one with :meth:`from_appconfig`, :meth:`from_file` or :meth:`from_dict`, keep it
    for the life of the process, and ask it questions on any thread::

        flags = Flags.from_appconfig("shop", "prod", "flags")
        if flags.is_enabled("new-checkout", {"tier": "gold"}):
            ...
        color = flags.get_str("new-checkout.button_color", "blue")

    Lookups never raise, never block and never do I/O: they read the current immutable
    snapshot, which a background thread replaces when a new version arrives. The one
    exception: :meth:`from_agent` answers multi-variant flags per context by asking the
    Agent on a cache miss (bounded by a time budget, or never waiting in background mode).
    """

    def __init__(
        self,
        *,
        source: Source | None = None,
        snapshot: Snapshot = NOT_READY,
        format: str | Format = "auto",  # noqa: A002 - the public API's name for it
        schema: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        wait: float = 5.0,
        interval: float = DEFAULT_POLL_INTERVAL,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        backup: str | os.PathLike[str] | None = None,
        variants: AgentVariants | None = None,
        bootstrap: Bootstrap | None = None,
        track_usage: bool = False,
    ) -> None:
        """Prefer the ``from_*`` constructors; this one wires a source by hand."""
        _check_options(format=format, clock=clock, wait=wait, max_bytes=max_bytes, backup=backup)
        check_seconds("interval", interval, zero=False)
        self._variants = variants
        self._lock = threading.Lock()  # guards listeners, state and overrides, never lookups
        self._document = self._snapshot = snapshot
        self._overrides: dict[str, Any] = {}
        self._layers: list[Override] = []
        self._format = format
        self._schema = load_schema(schema)
        self._clock = clock or utc_now
        self._recorder = self._usage = UsageRecorder(self._clock)
        self._track_usage = track_usage
        if track_usage:
            # This instance's lookups only: every other Flags keeps the class's own.
            vars(self).update(tracked_lookups(self, self._recorder))
        self._failed_polls = 0
        self._last_fetched: datetime | None = None
        self._max_bytes = max_bytes
        self._state = State.READY if snapshot.ready else State.NOT_READY
        self._listeners: list[Listener] = []
        self._source = source
        self._environment_overrides = _environment_overrides()
        if self._environment_overrides:
            self._apply_overrides()
        self._rejected_digest: str | None = None
        self._serving_latest = True
        self._last_error: str | None = None
        self._closed = False
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._last_updated: datetime | None = None
        self._interval = interval
        self._backup = Backup(backup) if backup is not None else None
        if self._backup is not None and not snapshot.ready:
            self._restore_backup(self._backup)
        if bootstrap is not None:
            self._load_bootstrap(bootstrap)
        self._poller: Poller | None = None
        if source is not None:
            self._attach(source, wait)

    def _attach(self, source: Source, wait: float) -> None:
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
        # Dropped without close(): the poller stops as the Flags is collected, not at its
        # next wake-up (which would first send one more request for nobody).
        finalizer = self._finalizer
        if finalizer is not None:
            finalizer.detach()
        self._finalizer = weakref.finalize(self, poller.stop, 0.0)
        return poller

    def _restore_backup(self, backup: Backup) -> None:
        saved = backup.load()
        if saved is None:
            return
        try:
            # The format the backup was accepted as, unless the caller names one.
            recorded = saved.format if self._format == "auto" else None
            recorded = recorded if recorded in FORMAT_NAMES else None
            snapshot = self._compile(saved.content, saved.content_type, saved.version, recorded)
        except Exception as exc:  # noqa: BLE001 - a bad backup never stops a start
            logger.warning(
                "appflags.backup_ignored",
                path=str(backup.path),
                reason="invalid document",
                problems=_problems(exc),
            )
            return
        self._publish(snapshot)
        # Served, but not known to be current until AppConfig answers.
        self._state = State.STALE
        logger.info("appflags.backup_loaded", path=str(backup.path), version=saved.version)

    def _load_bootstrap(self, bootstrap: Bootstrap) -> None:
        # Read and validated even when a backup answers, so that a broken bootstrap
        # fails where it is written (a deploy), not on the day AppConfig is down.
        where = "bootstrap" if isinstance(bootstrap, Mapping) else str(bootstrap)
        content, content_type = read_bootstrap(bootstrap)
        try:
            document = as_stale(self._compile(content, content_type, None))
        except SchemaError as exc:
            raise exc.with_source(where) from None
        if self._document.ready:  # a valid backup: what AppConfig last served wins
            return
        self._publish(document)
        # Answers, but none has come from AppConfig yet: STALE until the first fetch.
        self._state = State.STALE
        logger.info("appflags.bootstrap_loaded", source=self._source_name, bootstrap=where)

    def _compile(
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
        current = self._document
        name, compiled = load(
            content,
            content_type,
            format=format or self._format,
            schema=self._schema,
            clock=self._clock,
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
                source=self._source_name,
                previous=current.format,
                format=name,
                version=version,
            )
        # The pieces an incremental compile did not touch come from the current snapshot.
        return Snapshot.of(
            compiled, format=name, version=version, digest=_digest(content), previous=current
        )

    def _after_fork_in_child(self) -> None:
        # The parent's poller thread does not exist here, and its locks may have been held
        # at the moment of fork(): rebuild them, drop the parent's session and sockets,
        # and poll again on a thread of our own. The inherited snapshot keeps answering.
        self._lock = threading.Lock()
        if self._closed or self._source is None:
            return
        self._source.reset()
        self._poller = self._start_poller(self._source)

    # ----------------------------------------------------------------- constructors

    @classmethod
    def from_appconfig(
        cls,
        application: str,
        environment: str,
        profile: str,
        *,
        client: AppConfigDataClient | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: int | None = None,
        wait: float = 5.0,
        format: str | Format = "auto",  # noqa: A002
        schema: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        backup: str | os.PathLike[str] | None = None,
        bootstrap: Bootstrap | None = None,
        clock: Clock | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        track_usage: bool = False,
    ) -> Flags:
        """Flags polled in the background through the AppConfigData API.

        ``client`` is a ready boto3 ``appconfigdata`` client, used as given; without one,
        a botocore client (what ``boto3.client`` returns, built without importing boto3)
        comes from a private botocore session with ``region_name``/``endpoint_url``, the
        default credential chain and the usual AWS configuration (environment, profile).
        ``poll_interval`` (15-86400 s) is sent as ``RequiredMinimumPollIntervalInSeconds``;
        the pace itself follows each response's ``NextPollIntervalInSeconds``. Blocks at
        most ``wait`` seconds for the first configuration (0: not at all), then returns
        anyway; until flags arrive, ``state`` is ``NOT_READY`` and lookups answer their
        defaults. With ``backup=PATH`` each accepted version is saved there, and a cold
        start serves the saved flags (``STALE``) until AppConfig answers.

        Every parameter is checked here, before a thread starts or a request is sent: a
        value of the wrong type is a ``TypeError``, one out of range (``wait`` is 0 to
        3600 s, ``max_bytes`` at least 1; NaN and infinities never) a ``ValueError``
        whose message names the parameter and its range. ``format`` is ``"auto"``,
        ``"appconfig"``, ``"powertools"``, ``"flagd"`` or ``"json"``.

        ``bootstrap`` (a document, a path to one, or a packaged resource such as
        ``importlib.resources.files("myapp") / "flags.json"``) answers until the first
        configuration is fetched, with state ``STALE`` and reason ``STALE``, and never
        after it. A valid backup wins over it. It is validated here: an invalid one raises
        :class:`SchemaError`, an unreadable one ``OSError``.

        ``track_usage=True`` (every constructor takes it) counts each lookup's answer per
        key, variant and reason for :meth:`usage`; lookups then cost about one
        ``evaluate`` more. Missing keys are counted either way.

        >>> flags = Flags.from_appconfig("shop", "prod", "flags", region_name="eu-west-1")
        """
        _check_options(format=format, clock=clock, wait=wait, max_bytes=max_bytes, backup=backup)
        check_optional_str("region_name", region_name)
        check_optional_str("endpoint_url", endpoint_url)
        if client is not None and not hasattr(client, "get_latest_configuration"):
            raise TypeError(f"client must be a boto3 'appconfigdata' client, got {client!r}")
        source = AppConfigDataSource(
            application,
            environment,
            profile,
            client=client,
            region_name=region_name,
            endpoint_url=endpoint_url,
            poll_interval=poll_interval,
            clock=clock or utc_now,
        )
        return cls(
            source=source,
            format=format,
            schema=schema,
            clock=clock,
            wait=wait,
            interval=float(poll_interval or DEFAULT_POLL_INTERVAL),
            max_bytes=max_bytes,
            backup=backup,
            bootstrap=bootstrap,
            track_usage=track_usage,
        )

    @classmethod
    def from_agent(
        cls,
        application: str,
        environment: str,
        profile: str,
        *,
        url: str | None = None,
        poll_interval: float = 5.0,
        timeout: float = 3.0,
        token: str | None = None,
        wait: float = 5.0,
        format: str | Format = "auto",  # noqa: A002
        schema: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        backup: str | os.PathLike[str] | None = None,
        bootstrap: Bootstrap | None = None,
        clock: Clock | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        variants: str = "blocking",
        variant_budget: float = 0.05,
        variant_cache_size: int = 4096,
        variant_ttl: float | None = None,
        context_keys: Iterable[str] | None = None,
        entity_id: str | None = "targetingKey",
        track_usage: bool = False,
    ) -> Flags:
        """Flags polled from the AppConfig Agent or the AppConfig Lambda extension.

        The Agent does the AppConfig polling for every process on the host, so each
        process only makes a local HTTP call every ``poll_interval`` seconds (AWS does not
        price those). ``url`` defaults to ``$APPFLAGS_AGENT_URL``, else
        ``http://localhost:$AWS_APPCONFIG_EXTENSION_HTTP_PORT`` (the Lambda extension's
        setting), else ``http://localhost:2772``. ``token`` is the Agent's access token,
        sent as ``Authorization: Bearer``. States, validation, ``backup``, ``bootstrap``
        and ``track_usage`` behave as with :meth:`from_appconfig`. ``poll_interval`` is
        above 0 to 86400 s and ``timeout`` (per request) above 0 to 300 s, checked here
        like every other parameter.

        **Multi-variant flags are answered per lookup context.** A flag whose polled
        answer carries ``"_variant"`` is asked of the Agent (all such flags in one request,
        ``?flag=A&flag=B``) with the lookup's context as a ``Context`` header, and the
        answers are cached per context for ``variant_ttl`` seconds (default and maximum:
        ``poll_interval``; at most ``variant_cache_size`` contexts; emptied when a new
        version arrives).
        These are the only lookups that may do I/O, and only on a cache miss:

        - ``variants="blocking"`` (default): a miss waits at most ``variant_budget``
          seconds (50 ms) for the Agent, then answers the polled answer;
        - ``variants="background"``: a miss answers the polled answer at once and fetches
          for the next lookup of that context (for asyncio and other event-loop code);
        - ``variants="off"``: every lookup answers the polled answer, in memory.

        Context values go as text (booleans and numbers as JSON text); a value of another
        type or containing ``,``, ``=`` or control characters is never sent, and that
        lookup answers the polled answer. ``context_keys`` limits which attributes leave
        the process (default: all); the attribute named by ``entity_id`` (the OpenFeature
        targeting key by default) also goes as ``Entity-Id``, so a gradual deployment
        keeps one caller on one version. Context values are never logged.

        >>> flags = Flags.from_agent("shop", "prod", "flags")
        >>> flags.get_bool("ui_refresh.dark_mode_support", False, {"email": "j@example.org"})
        """
        _check_options(format=format, clock=clock, wait=wait, max_bytes=max_bytes, backup=backup)
        source = AgentSource(
            application,
            environment,
            profile,
            url=default_agent_url() if url is None else url,
            interval=poll_interval,
            timeout=timeout,
            token=token,
        )
        # Only from_agent answers variants per context (with cachetools' caches).
        from appflags.sources._agent_variants import AgentVariants, VariantOptions  # noqa: PLC0415

        options = VariantOptions.build(
            mode=variants,
            budget=variant_budget,
            cache_size=variant_cache_size,
            ttl=variant_ttl,
            poll_interval=poll_interval,
            context_keys=context_keys,
            entity_id=entity_id,
        )
        variant_answers = AgentVariants(source.fetch_flags, options, name=source.name)
        source.on_version = variant_answers.version_seen
        return cls(
            source=source,
            format=format,
            schema=schema,
            clock=clock,
            wait=wait,
            interval=poll_interval,
            max_bytes=max_bytes,
            backup=backup,
            variants=variant_answers,
            bootstrap=bootstrap,
            track_usage=track_usage,
        )

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        watch: float | None = None,
        format: str | Format = "auto",  # noqa: A002
        schema: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        track_usage: bool = False,
    ) -> Flags:
        """Flags from a local JSON (or YAML) file.

        The file is read and validated now: a missing or invalid file raises
        (:class:`SchemaError` names the file and the JSON path of every problem). With
        ``watch=seconds`` (above 0 to 86400) the file is checked that often and reloaded
        when it changes; a later invalid edit is rejected and the last good flags keep
        answering.
        """
        _check_options(format=format, clock=clock)
        check_path("path", path, optional=False)
        interval = DEFAULT_POLL_INTERVAL
        if watch is not None:
            interval = check_seconds("watch", watch, zero=False)
        file_source = FileSource(path, interval=interval)
        fetched = file_source.read()
        flags = cls(
            format=format,
            schema=schema,
            clock=clock,
            interval=interval,
            track_usage=track_usage,
        )
        try:
            flags._publish(
                flags._compile(fetched.content or b"", fetched.content_type, None, local=True)
            )
        except Exception as exc:  # noqa: BLE001 - whatever fails, the caller gets a SchemaError
            raise _as_schema_error(exc).with_source(str(path)) from None
        flags._state = State.READY
        flags._last_updated = safe_now(flags._clock)
        if watch is not None:
            flags._attach(file_source, wait=0)
        return flags

    @classmethod
    def from_dict(
        cls,
        doc: Mapping[str, Any],
        *,
        format: str | Format = "auto",  # noqa: A002
        schema: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        track_usage: bool = False,
    ) -> Flags:
        """Flags from a document already in memory (tests, config files, fixtures).

        Raises :class:`SchemaError` listing every problem with its JSON path.

        >>> Flags.from_dict({"beta": {"enabled": True}}).is_enabled("beta")
        True
        """
        _check_options(format=format, clock=clock)
        validator = load_schema(schema)
        with _gc_pause.paused():  # copying the document too (see appflags._gc_pause)
            name, compiled = compile_document(
                _plain(doc), format=format, schema=validator, clock=clock or utc_now
            )
        return cls(
            snapshot=Snapshot.of(compiled, format=name), clock=clock, track_usage=track_usage
        )

    # -------------------------------------------------------------------- life cycle

    @property
    def state(self) -> State:
        """``NOT_READY`` (no flags yet), ``READY`` (fresh) or ``STALE`` (last good flags)."""
        return self._state

    @property
    def last_updated(self) -> datetime | None:
        """When a poll last confirmed that the flags answering are the latest deployed.

        The ``clock``'s time of the last good poll (a new version accepted, or "unchanged");
        ``None`` before the first one, and for :meth:`from_dict` flags. A failed poll or a
        rejected version leaves it as it was, so its age says how stale ``STALE`` flags are.
        Lookups never read the clock: this is recorded by the poller.
        """
        return self._last_updated

    @property
    def version(self) -> str | None:
        """The version of the flags answering now, as their source names it.

        ``from_appconfig``: the ``Version-Label`` AppConfig sent with them, ``None`` when
        the version has no label (labels are optional in AppConfig). ``from_agent``: the
        Agent's ``Configuration-Version`` header. ``from_file``/``from_dict``: ``None``.
        """
        return self._snapshot.version

    def usage(self) -> Usage:
        """What the code looked up since this ``Flags`` was built.

        Always: the keys looked up that the document lacks (typos, flags deleted too
        early), with counts and the first time seen; each is also logged once, as
        ``appflags.missing_key``, from the poller thread. With ``track_usage=True``: per
        key, how many lookups got each variant and reason. Also the failed polls and the
        time of the last successful one. See :class:`appflags.Usage`.

        >>> flags = Flags.from_dict({"beta": {"enabled": True}})
        >>> flags.is_enabled("bta")
        False
        >>> missing = flags.usage().missing[0]
        >>> missing.key, missing.count
        ('bta', 1)
        """
        return self._recorder.report(
            tracking=self._track_usage,
            failed_polls=self._failed_polls,
            last_fetched=self._last_fetched,
        )

    # --------------------------------------------------------------------- overrides

    def override(self, values: Mapping[str, Any]) -> Override:
        """Answer the keys of ``values`` from it instead of the document, from now on.

        For tests and incident switches. Keys are lookup keys exactly (``"beta"``,
        ``"beta.color"``); ``evaluate`` reports them with variant ``"override"`` and
        reason ``STATIC``. The overrides belong to this ``Flags`` (every thread sees them)
        and last until the ``with`` block ends, :meth:`Override.end` or
        :meth:`clear_overrides`; a later override of the same key wins. Lookups cost the
        same with or without overrides.

        >>> flags = Flags.from_dict({"beta": {"enabled": False}})
        >>> with flags.override({"beta": True, "checkout.color": "red"}):
        ...     flags.is_enabled("beta"), flags.get_str("checkout.color", "blue")
        (True, 'red')
        >>> flags.is_enabled("beta")
        False

        Raises ``TypeError``/``ValueError`` when ``values`` is not a mapping of string
        keys to JSON data.
        """
        layer = Override(self, plain_overrides(values))
        with self._lock:
            self._layers.append(layer)
            self._apply_overrides()
        return layer

    def clear_overrides(self) -> None:
        """Remove every override of this ``Flags``, ``APPFLAGS_OVERRIDES`` included."""
        with self._lock:
            self._layers.clear()
            self._environment_overrides = {}
            self._apply_overrides()

    @property
    def overrides(self) -> Mapping[str, Any]:
        """The keys answered by overrides now, and their values (a read-only copy)."""
        return MappingProxyType(dict(self._overrides))

    def _end_override(self, layer: Override) -> None:
        with self._lock:
            if layer in self._layers:
                self._layers.remove(layer)
                self._apply_overrides()

    def _apply_overrides(self) -> None:
        # Called with self._lock held (or before any other thread knows this Flags).
        merged: dict[str, Any] = dict(self._environment_overrides)
        for layer in self._layers:
            merged.update(layer.values)
        was_active = bool(self._overrides)
        self._overrides = merged
        self._snapshot = overlay(self._document, merged)
        if merged and not was_active:
            logger.warning(
                "appflags.overrides_active",
                source=self._source_name,
                keys=sorted(merged),
                from_environment=sorted(self._environment_overrides),
            )

    def _publish(self, document: Snapshot) -> None:
        """Serve a new document, with the current overrides laid over it."""
        with self._lock:
            self._document = document
            self._snapshot = overlay(document, self._overrides)

    # -------------------------------------------------------------------- listeners

    def on_change(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(change)`` on new flags or a new state; returns an unsubscribe.

        Callbacks run on the poller thread; one that raises is logged and never stops
        polling or the other callbacks.
        """
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def refresh(self, timeout: float = 10.0) -> bool:
        """Poll as soon as AppConfig allows rather than at the next scheduled time.

        Returns whether that poll finished within ``timeout`` seconds. AppConfig refuses a
        ``GetLatestConfiguration`` sooner than the interval it announced, so the poll
        happens at the earliest moment the service allows (at once for a new session or
        the Agent), never earlier: ``refresh()`` never costs an extra call, and calls made
        while waiting share the one poll. The next scheduled poll then counts from it.
        Refreshing changes no state by itself. Returns ``False`` for flags that have no
        source (``from_dict``) and after :meth:`close`.
        """
        check_seconds("timeout", timeout, zero=True)
        if self._poller is None or self._closed:
            return False
        return self._poller.refresh(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop polling and release connections. Idempotent; lookups keep answering.

        ``timeout`` (0 to 86400 s) bounds the wait for a request in flight.
        """
        check_seconds("timeout", timeout, zero=True)
        if self._closed:
            return
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._poller is not None:
            self._poller.stop(timeout)
        if self._source is not None:
            self._source.close()
        if self._variants is not None:
            self._variants.close()

    def __enter__(self) -> Flags:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        source = self._source_name or "static"
        return f"<Flags {source} state={self._state.value} version={self.version!r}>"

    # ------------------------------------------------------------- poller callbacks

    @property
    def _source_name(self) -> str | None:
        """What logs call the source (never a secret); ``None`` for static flags."""
        return self._source.name if self._source is not None else None

    def _on_fetched(self, fetched: Fetched) -> None:
        source = self._source_name
        self._last_fetched = safe_now(self._clock)
        self._recorder.log_new_missing(source)
        if self._last_error is not None:
            self._last_error = None
            logger.info("appflags.recovered", source=source)
        if fetched.content is None:
            # Empty body: the session already holds what we last received. Nothing to parse.
            # With nothing loaded (the first version was rejected) there is nothing to serve.
            if self._document.ready:
                if self._serving_latest:
                    self._last_updated = self._last_fetched
                self._set_state(State.READY if self._serving_latest else State.STALE)
            return
        digest = _digest(fetched.content)
        if digest == self._document.digest:
            self._serving_latest = True
            self._rejected_digest = None
            self._last_updated = self._last_fetched
            if fetched.version != self._document.version:
                # The same bytes deployed again under a new version (a redeploy, a
                # rollback after a rejected version): serve them under the new label,
                # with fresh memos since every answer in them names its version.
                self._publish(replace(self._document, version=fetched.version))
                logger.info("appflags.loaded", source=source, version=fetched.version)
                if self._backup is not None:
                    self._backup.save(
                        fetched.content,
                        fetched.content_type,
                        fetched.version,
                        self._document.format,
                    )
            self._set_state(State.READY)
            return
        if digest == self._rejected_digest:
            # The same bad bytes again (the Agent answers whole documents): same verdict.
            self._reject()
            return
        try:
            new = self._compile(fetched.content, fetched.content_type, fetched.version)
        except Exception as exc:  # noqa: BLE001 - any failure to read a version rejects it
            # A version read whole but unusable is rejected, never "poll failed": the
            # session and its token are kept (the bad bytes are not fetched again, and
            # each fetch is priced), and the last good flags keep serving.
            self._rejected_digest = digest
            logger.error(
                "appflags.rejected",
                source=source,
                version=fetched.version,
                format=getattr(exc, "format", None),
                problems=_problems(exc),
                note=getattr(exc, "note", None),
                keeping=self._document.version if self._document.ready else None,
            )
            self._reject()
            return
        old = self._document
        self._publish(new)
        self._serving_latest = True
        self._rejected_digest = None  # if it comes back, it is news again
        self._last_updated = self._last_fetched
        logger.info("appflags.loaded", source=source, version=fetched.version, format=new.format)
        if new.warnings:
            # Once per version: these flags answer with an error code until it is fixed.
            logger.warning(
                "appflags.flags_with_errors",
                source=source,
                version=fetched.version,
                problems=[str(p) for p in new.warnings],
            )
        if self._backup is not None:
            self._backup.save(fetched.content, fetched.content_type, fetched.version, new.format)
        self._set_state(State.READY, changed=new.changed_keys(old))

    def _on_late(self, late: float) -> None:
        # The process was frozen (Lambda between invocations, a suspended host): nothing
        # kept the flags current meanwhile. STALE until the poll that follows succeeds.
        if self._closed or not self._document.ready:
            return
        logger.info("appflags.late", source=self._source_name, seconds=round(late, 1))
        self._set_state(State.STALE)

    def _reject(self) -> None:
        self._serving_latest = False
        if self._document.ready:
            self._set_state(State.STALE)

    def _on_error(self, exc: Exception) -> None:
        self._failed_polls += 1
        self._recorder.log_new_missing(self._source_name)
        description = str(exc) if isinstance(exc, SourceError) else type(exc).__name__
        if description != self._last_error:
            self._last_error = description
            logger.warning("appflags.poll_failed", source=self._source_name, error=description)
        if self._document.ready:
            self._set_state(State.STALE)

    def _set_state(self, state: State, changed: frozenset[str] = frozenset()) -> None:
        with self._lock:
            previous = self._state
            if previous is state and not changed:
                return
            self._state = state
            listeners = list(self._listeners)
        if previous is not state:
            logger.info(
                "appflags.state",
                source=self._source_name,
                previous=previous.value,
                state=state.value,
            )
        change = Change(state, previous, self._snapshot.version, changed)
        for listener in listeners:
            try:
                listener(change)
            except Exception:  # noqa: BLE001 - one bad listener must not break the rest
                logger.exception("appflags.listener_failed", listener=repr(listener))


class Override:
    """Overrides made by :meth:`Flags.override`: a context manager that ends them.

    Without ``with`` they last until :meth:`end` or :meth:`Flags.clear_overrides`.
    """

    __slots__ = ("_flags", "values")

    def __init__(self, flags: Flags, values: Mapping[str, Any]) -> None:
        self._flags = flags
        self.values: Mapping[str, Any] = MappingProxyType(dict(values))
        """The keys this override answers, and their values."""

    def end(self) -> None:
        """Stop answering these keys from the override. Idempotent."""
        self._flags._end_override(self)

    def __enter__(self) -> Override:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def __repr__(self) -> str:
        return f"<Override keys={sorted(self.values)}>"


_LIVE: weakref.WeakSet[Flags] = weakref.WeakSet()
"""Flags with a poller, held weakly: for fork() and interpreter exit, never kept alive."""


def _restart_pollers_in_child() -> None:
    for flags in list(_LIVE):
        flags._after_fork_in_child()


def _close_all_at_exit() -> None:
    for flags in list(_LIVE):
        flags.close(timeout=1.0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_pollers_in_child)
atexit.register(_close_all_at_exit)


def _environment_overrides() -> dict[str, Any]:
    try:
        return from_environment() or {}
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        # A developer setting: say so loudly, but never fail to build the flags for it
        # (TypeError: an empty key; RecursionError: JSON nested too deep to read).
        logger.error("appflags.overrides_ignored", variable=ENVIRONMENT_VARIABLE, error=str(exc))
        return {}


def _is_local(source: object, *, local: bool | None) -> bool:
    return local if local is not None else isinstance(source, FileSource)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _as_schema_error(exc: Exception) -> SchemaError:
    """Any failure to parse, validate or compile a document, as a :class:`SchemaError`."""
    if isinstance(exc, SchemaError):
        return exc
    # A bug in a parser or compiler: name the exception, not its message, which may
    # quote the document.
    return SchemaError([Problem("$", f"the document could not be read ({type(exc).__name__})")])


def _problems(exc: Exception) -> list[str]:
    """What a log says about a rejected version: its problems, never its content."""
    return [str(p) for p in _as_schema_error(exc).problems]


def _plain(doc: Mapping[str, Any]) -> Any:
    """A JSON round trip: the snapshot never shares objects the caller can mutate."""
    try:
        return json.loads(json.dumps(doc, allow_nan=False), parse_int=finite_int)
    except RecursionError:
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None
    except (TypeError, ValueError) as exc:
        where, what = _not_json_at(doc, "$") or ("$", str(exc))
        raise SchemaError([Problem(where, f"not JSON data: {what}")]) from None


def _check_options(
    *,
    format: object,  # noqa: A002 - the public API's name for it
    clock: object,
    wait: object = 0.0,
    max_bytes: object = MAX_DOCUMENT_BYTES,
    backup: object = None,
) -> None:
    """The parameters every constructor shares, checked before anything starts."""
    check_format(format)
    check_clock(clock)
    check_seconds("wait", wait, zero=True, maximum=MAX_WAIT)
    check_positive_int("max_bytes", max_bytes)
    check_path("backup", backup)


def _not_json_at(value: Any, path: str) -> tuple[str, str] | None:
    """Where the first value JSON cannot hold is, and what it is (never the value itself)."""
    if isinstance(value, (int, float)) and not abs(value) <= sys.float_info.max:  # NaN too
        return path, "NaN, infinities and numbers too large for a 64-bit number are not JSON"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"a key of type {type(key).__name__} (JSON keys are strings)"
            found = _not_json_at(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _not_json_at(item, f"{path}[{index}]")
            if found:
                return found
    elif not isinstance(value, (str, int, float, type(None))):
        return path, f"a value of type {type(value).__name__}"
    return None
