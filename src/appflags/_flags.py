"""The ``Flags`` facade: constructors, lookups (inherited from ``_lookups``) and the
public face of the update side it holds (``_updates``)."""

from __future__ import annotations

import json
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appflags import _gc_pause
from appflags._checks import (
    check_bool,
    check_bootstrap,
    check_callable,
    check_clock,
    check_format,
    check_names,
    check_optional_str,
    check_path,
    check_positive_int,
    check_seconds,
)
from appflags._errors import Problem, SchemaError
from appflags._evaluation import EvaluationWithMetadata
from appflags._lookups import Lookups, tracked_lookups
from appflags._overrides import Override, plain_overrides
from appflags._snapshot import NOT_READY, Snapshot
from appflags._updates import Change, Listener, Updates, as_schema_error
from appflags._usage import UsageRecorder
from appflags._variant_options import UNSET, VariantOptions, chosen_options, variant_answers
from appflags.formats import (
    MAX_DOCUMENT_BYTES,
    Clock,
    Format,
    compile_document,
    finite_int,
    load_schema,
    utc_now,
)
from appflags.sources import AgentSource, AppConfigDataSource, FileSource, Source
from appflags.sources.agent import default_agent_url

if TYPE_CHECKING:
    import os
    from datetime import datetime
    from types import TracebackType

    from mypy_boto3_appconfigdata import AppConfigDataClient

    from appflags._bootstrap import Bootstrap
    from appflags._state import State, Status
    from appflags._usage_report import Usage
    from appflags.rules import Explanation
    from appflags.sources._agent_variants import AgentVariants

__all__ = ["Change", "EvaluationWithMetadata", "Flags", "Override"]

DEFAULT_POLL_INTERVAL = 15.0
MAX_WAIT = 3600.0
"""The longest ``wait=`` for the first configuration (an hour)."""


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
        poll: bool = True,
    ) -> None:
        """Prefer the ``from_*`` constructors; this one wires a source by hand.

        ``poll=False``: ``source`` only names where the flags come from (status, logs,
        metrics); nothing polls it (an unwatched file, read by the caller)."""
        _check_options(
            format=format,
            clock=clock,
            wait=wait,
            max_bytes=max_bytes,
            backup=backup,
            bootstrap=bootstrap,
            track_usage=track_usage,
        )
        check_seconds("interval", interval, zero=False)
        check_bool("poll", poll)
        usage = self._usage = UsageRecorder(clock or utc_now)
        self._track_usage = track_usage
        if track_usage:
            # This instance's lookups only: every other Flags keeps the class's own.
            vars(self).update(tracked_lookups(self, usage))
        self._updates = Updates(
            _serving(self),
            snapshot=snapshot,
            format=format,
            schema=load_schema(schema),
            clock=clock or utc_now,
            max_bytes=max_bytes,
            interval=interval,
            usage=usage,
            source=source,
            variants=variants,
            backup=backup,
            bootstrap=bootstrap,
        )
        if source is not None and poll:
            self._updates.attach(source, wait)

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
        _check_options(
            format=format,
            clock=clock,
            wait=wait,
            max_bytes=max_bytes,
            backup=backup,
            bootstrap=bootstrap,
            track_usage=track_usage,
        )
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
        variants: VariantOptions | str | None = None,  # str: deprecated
        variant_budget: float = UNSET,
        variant_cache_size: int = UNSET,
        variant_ttl: float | None = UNSET,
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
        answers are cached per context (emptied when a new version arrives), as
        ``variants=VariantOptions(...)`` says (see :class:`appflags.VariantOptions`).
        These are the only lookups that may do I/O, and only on a cache miss:

        - ``mode="blocking"`` (default): a miss waits at most ``budget`` seconds (50 ms)
          for the Agent, then answers the polled answer;
        - ``mode="background"``: a miss answers the polled answer at once and fetches
          for the next lookup of that context (for asyncio and other event-loop code);
        - ``mode="off"``: every lookup answers the polled answer, in memory.

        Deprecated, until the next release (with a ``DeprecationWarning``): the mode as a
        string (``variants="off"``), and ``variant_budget``, ``variant_cache_size`` and
        ``variant_ttl``.

        Context values go as text (booleans and numbers as JSON text); a value of another
        type or containing ``,``, ``=`` or control characters is never sent, and that
        lookup answers the polled answer. ``context_keys`` limits which attributes leave
        the process (default: all); the attribute named by ``entity_id`` (the OpenFeature
        targeting key by default) also goes as ``Entity-Id``, so a gradual deployment
        keeps one caller on one version. Context values are never logged.

        >>> flags = Flags.from_agent("shop", "prod", "flags")
        >>> flags.get_bool("ui_refresh.dark_mode_support", False, {"email": "j@example.org"})
        """
        _check_options(
            format=format,
            clock=clock,
            wait=wait,
            max_bytes=max_bytes,
            backup=backup,
            bootstrap=bootstrap,
            track_usage=track_usage,
        )
        check_names("context_keys", context_keys)
        check_optional_str("entity_id", entity_id)
        chosen = chosen_options(variants, variant_budget, variant_cache_size, variant_ttl)
        source = AgentSource(
            application,
            environment,
            profile,
            url=default_agent_url() if url is None else url,
            interval=poll_interval,
            timeout=timeout,
            token=token,
        )
        answers = variant_answers(source, chosen, poll_interval, context_keys, entity_id)
        return cls(
            source=source,
            format=format,
            schema=schema,
            clock=clock,
            wait=wait,
            interval=poll_interval,
            max_bytes=max_bytes,
            backup=backup,
            variants=answers,
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
        _check_options(format=format, clock=clock, track_usage=track_usage)
        check_path("path", path, optional=False)
        interval = DEFAULT_POLL_INTERVAL
        if watch is not None:
            interval = check_seconds("watch", watch, zero=False)
        file_source = FileSource(path, interval=interval)
        fetched = file_source.read()
        flags = cls(
            source=file_source,
            poll=False,  # not yet: the file is read now, and watched once it was accepted
            format=format,
            schema=schema,
            clock=clock,
            interval=interval,
            track_usage=track_usage,
        )
        try:
            flags._updates.load_file(fetched.content or b"", fetched.content_type)
        except Exception as exc:  # noqa: BLE001 - whatever fails, the caller gets a SchemaError
            raise as_schema_error(exc).with_source(str(path)) from None
        if watch is not None:
            flags._updates.attach(file_source, wait=0)
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
        _check_options(format=format, clock=clock, track_usage=track_usage)
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
        return self._updates.state

    def status(self) -> Status:
        """Where the answers come from and how current they are, in one immutable reading:
        state and since when, the last error, version, source (``"appconfig"``, ``"agent"``,
        ``"file"``, ``"dict"``, ``"backup"``, ``"bootstrap"``), overrides, last update and
        whether closed. See :class:`appflags.Status`.

        >>> Flags.from_dict({"beta": {"enabled": True}}).status().source
        'dict'
        """
        return self._updates.status()

    @property
    def last_updated(self) -> datetime | None:
        """When a poll last confirmed that the flags answering are the latest deployed.

        The ``clock``'s time of the last good poll (a new version accepted, or "unchanged");
        ``None`` before the first one, and for :meth:`from_dict` flags. A failed poll or a
        rejected version leaves it as it was, so its age says how stale ``STALE`` flags are.
        Lookups never read the clock: this is recorded by the poller.
        """
        return self._updates.last_updated

    @property
    def version(self) -> str | None:
        """The version of the flags answering now, as their source names it.

        ``from_appconfig``: the ``Version-Label`` AppConfig sent with them, ``None`` when
        the version has no label (labels are optional in AppConfig). ``from_agent``: the
        Agent's ``Configuration-Version`` header. ``from_file``/``from_dict``: ``None``.
        """
        return self._snapshot.version

    @property
    def clock(self) -> Clock:
        """The clock this ``Flags`` reads (``clock=``, else UTC now): rules that compare
        times, :attr:`last_updated`, :meth:`status` and :meth:`usage` use it."""
        return self._updates.clock

    def usage(self, *, reset: bool = False) -> Usage:
        """What the code looked up since this ``Flags`` was built (or last reset).

        Always: the keys looked up that the document lacks (typos, flags deleted too
        early), with counts, the first and last time seen, the version they were missing
        from and a close key the document has ("did you mean"); lookups given a context
        that is not a mapping or a default of the wrong type (``misuses``); each is also
        logged once, as ``appflags.missing_key`` / ``appflags.misused_lookup``, from the
        poller thread. With ``track_usage=True``: per key, how many lookups got each
        variant and reason. Also the failed polls and the time of the last successful one.
        See :class:`appflags.Usage`.

        ``reset=True`` returns the report and starts every count afresh (``since`` is
        then now): for a periodic report of what happened since the last one. The OTel
        counters read these counts, so they restart too.

        >>> flags = Flags.from_dict({"beta": {"enabled": True}})
        >>> flags.is_enabled("bta")
        False
        >>> missing = flags.usage().missing[0]
        >>> missing.key, missing.count, missing.did_you_mean
        ('bta', 1, 'beta')
        """
        check_bool("reset", reset)
        return self._updates.usage_report(tracking=self._track_usage, reset=reset)

    def explain(self, key: str, context: Mapping[str, Any] | None = None) -> Explanation | None:
        """Why ``context`` gets its answer for ``key``: the variant rules tried, in order,
        with the context keys each read (see :func:`appflags.rules.explain`).

        ``None`` when ``key`` is not decided by variant rules (a static flag, an unknown
        key, flagd targeting). Never raises, does no I/O and never logs the context.
        """
        try:
            rule = self._snapshot.rules.get(key)
        except Exception:  # noqa: BLE001 - an unhashable key (or one whose hash or == raises)
            return None
        if rule is None:
            return None
        # Imported here: the rule compilers load with the first document that has rules.
        from appflags.rules._explain import explain_rule  # noqa: PLC0415

        return explain_rule(rule, key, context)

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
        return self._updates.add_override(plain_overrides(values))

    def clear_overrides(self) -> None:
        """Remove every override of this ``Flags``, ``APPFLAGS_OVERRIDES`` included."""
        self._updates.clear_overrides()

    @property
    def overrides(self) -> Mapping[str, Any]:
        """The keys answered by overrides now, and their values (a read-only copy)."""
        return MappingProxyType(dict(self._updates.overrides))

    # -------------------------------------------------------------------- listeners

    def on_change(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(change)`` on new flags or a new state; returns an unsubscribe.

        Callbacks run on the poller thread; one that raises is logged and never stops
        polling or the other callbacks.
        """
        check_callable("callback", callback)
        return self._updates.on_change(callback)

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
        return self._updates.refresh(timeout)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Block up to ``timeout`` seconds until flags answer; whether they do.

        ``True`` once flags are served from AppConfig (or the Agent, or a file), a
        ``backup=`` file or a ``bootstrap=`` document (``state`` is ``READY`` or
        ``STALE``), at once if they already are; ``False`` on timeout, and after
        :meth:`close` (which releases every waiter at once). Lookups never need it (they
        answer defaults until then); use it where a start-up must not go on without flags.

        >>> flags = Flags.from_appconfig("shop", "prod", "flags", wait=0)
        >>> if not flags.wait_ready(5):
        ...     log.warning("serving defaults: no flags yet")
        """
        check_seconds("timeout", timeout, zero=True)
        return self._updates.wait_ready(timeout)

    async def wait_ready_async(self, timeout: float = 10.0) -> bool:
        """:meth:`wait_ready` for asyncio code: awaits, never blocking the event loop.

        The poller thread wakes the loop (``call_soon_threadsafe``) when flags arrive or
        the flags close; no thread waits on the loop's behalf.

        >>> flags = Flags.from_agent("shop", "prod", "flags", wait=0)
        >>> ready = await flags.wait_ready_async(5)
        """
        check_seconds("timeout", timeout, zero=True)
        import asyncio  # noqa: PLC0415 - only asyncio code pays for it
        import contextlib  # noqa: PLC0415

        updates = self._updates
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            # RuntimeError: the loop closed meanwhile, and nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, woken)

        forget = updates.when_ready(wake)
        try:
            await asyncio.wait_for(woken, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            forget()
        return updates.is_ready()

    def close(self, timeout: float = 5.0) -> None:
        """Stop polling and release connections. Idempotent; lookups keep answering.

        ``timeout`` (0 to 86400 s) bounds the wait for a request in flight. Threads
        waiting in :meth:`refresh` or :meth:`wait_ready` return at once (``False``), and
        :meth:`status` says ``closed``.
        """
        check_seconds("timeout", timeout, zero=True)
        self._updates.close(timeout)

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
        source = self._updates.source_name or "static"
        return f"<Flags {source} state={self.state.value} version={self.version!r}>"


def _serving(flags: Flags) -> Callable[[Snapshot], None]:
    """How the update side hands ``flags`` each new snapshot, without keeping it alive."""
    held = weakref.ref(flags)

    def serve(snapshot: Snapshot) -> None:
        target = held()
        if target is not None:
            target._snapshot = snapshot  # what every lookup reads, swapped whole

    return serve


def _plain(doc: Mapping[str, Any]) -> Any:
    """A JSON round trip: the snapshot never shares objects the caller can mutate."""
    try:
        return json.loads(json.dumps(doc, allow_nan=False), parse_int=finite_int)
    except RecursionError:
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None
    except (TypeError, ValueError) as exc:
        where, what = _not_json_at(doc, "$") or ("$", str(exc))
        raise SchemaError([Problem(where, f"not JSON data: {what}")]) from None


def _resolve(future: Any) -> None:
    """Complete a waiter's future, unless it was cancelled (timed out) meanwhile."""
    if not future.done():
        future.set_result(None)


def _check_options(
    *,
    format: object,  # noqa: A002 - the public API's name for it
    clock: object,
    wait: object = 0.0,
    max_bytes: object = MAX_DOCUMENT_BYTES,
    backup: object = None,
    bootstrap: object = None,
    track_usage: object = False,
) -> None:
    """The parameters every constructor shares, checked before anything starts."""
    check_format(format)
    check_clock(clock)
    check_seconds("wait", wait, zero=True, maximum=MAX_WAIT)
    check_positive_int("max_bytes", max_bytes)
    check_path("backup", backup)
    check_bootstrap(bootstrap)
    check_bool("track_usage", track_usage)


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
