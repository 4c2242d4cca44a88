"""The stores of the Powertools drop-in (``AppConfigStore``, ``AppConfigExtensionStore``)
and the flags compiled from any Powertools-style store; ``appflags.compat.powertools``
re-exports the public ones."""

from __future__ import annotations

import json
import math
import threading
from typing import TYPE_CHECKING, Any, Protocol

import boto3
import jmespath

from appflags._clock import utc_now
from appflags._errors import SchemaError
from appflags._flags import Flags
from appflags._log import logger
from appflags.compat._conditions import CheckedDocument
from appflags.compat._sources import EnvelopeSource, RecordingSource
from appflags.sources import AgentSource, AppConfigDataSource, Source
from appflags.sources._agent_variants import AgentVariants, VariantOptions
from appflags.sources.agent import default_agent_url
from appflags.sources.appconfigdata import (
    DEFAULT_CLIENT_CONFIG,
    MAX_POLL_INTERVAL,
    check_identifier,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    from botocore.config import Config

    from appflags.formats import Clock


class ConfigurationStoreError(Exception):
    """Raised by ``get_configuration()`` when there is no document to return; never by
    ``evaluate``: a store failure answers the last good flags, or the default."""


class StoreProvider(Protocol):
    """A Powertools-style store: anything whose ``get_configuration()`` returns the document."""

    def get_configuration(self) -> dict[str, Any]:
        """The feature-flag document (Powertools' schema)."""
        ...


class AppConfigStore:
    """An AppConfig profile, polled in the background by appflags.

    Takes Powertools' ``AppConfigStore`` arguments:

    - ``max_age`` becomes the minimum poll interval asked of AppConfig (at least 15 s,
      AppConfig's floor); the actual pace follows AppConfig's ``NextPollIntervalInSeconds``.
      With ``use_extension=True`` it is how often the local extension is read (at least 1 s).
    - ``envelope``/``jmespath_options``: a JMESPath expression picking the flags out of a
      larger document, applied once per new version (Powertools' own JMESPath functions,
      such as ``powertools_json``, are not available).
    - ``sdk_config``/``boto_config``, ``boto3_session``, ``boto3_client``: as in Powertools;
      a config is merged over appflags' own retry and timeout defaults.
    - ``logger`` is accepted and ignored: appflags logs through ``structlog`` ("appflags").

    The arguments are checked here, as Powertools does when it builds its client: a name
    AppConfig would refuse, a ``max_age`` that is not a number of seconds, or no AWS region
    raise ``ValueError``/``TypeError`` now, never from ``evaluate``. Nothing is fetched
    until the first lookup, as in Powertools; the first lookup then waits at most ``wait``
    seconds for AppConfig. ``backup`` is appflags' last-known-good file for cold starts
    during an outage.
    """

    def __init__(  # noqa: PLR0917 - Powertools' positional signature, kept for drop-in use
        self,
        environment: str,
        application: str,
        name: str,
        max_age: int = 5,
        sdk_config: Config | None = None,
        envelope: str | None = "",
        jmespath_options: dict[str, Any] | None = None,
        logger: object = None,
        boto_config: Config | None = None,
        boto3_session: boto3.session.Session | None = None,
        boto3_client: Any = None,
        use_extension: bool = False,  # noqa: FBT001, FBT002 - Powertools' signature
        *,
        wait: float = 5.0,
        backup: str | os.PathLike[str] | None = None,
    ) -> None:
        """Describe the profile and check it; the first lookup starts polling it."""
        if isinstance(max_age, bool) or not isinstance(max_age, (int, float)):
            raise TypeError(f"max_age must be a number of seconds, got {max_age!r}")
        if not math.isfinite(max_age) or max_age < 0:
            raise ValueError(f"max_age must be a finite number of seconds >= 0, got {max_age!r}")
        check_identifier("environment", environment)
        check_identifier("application", application)
        check_identifier("profile", name)
        self.environment = environment
        self.application = application
        self.name = name
        self.cache_seconds = max_age
        self.envelope = envelope
        # Compiled now: a bad expression fails at construction, not on a poll.
        self._envelope = jmespath.compile(envelope) if envelope else None
        self._jmespath_options = jmespath.Options(**jmespath_options) if jmespath_options else None
        self._config = sdk_config or boto_config
        self._session = boto3_session
        self._client = boto3_client
        self._use_extension = use_extension
        self._wait = wait
        self._backup = backup
        self._format = "powertools"
        # Read now: a bad port setting raises here, never from the first lookup.
        self._agent_url = default_agent_url() if use_extension else None
        self._variant_options: VariantOptions | None = None
        self._flags: Flags | None = None
        self._recorder: RecordingSource | None = None
        self._lock = threading.Lock()
        if not use_extension and boto3_client is None:
            self._check_region()

    def _check_region(self) -> None:
        # What building the client at the first lookup would find out, found out now.
        session = self._session or boto3.session.Session()
        region = session.region_name or getattr(self._config, "region_name", None)
        if not region:
            raise ValueError(
                "no AWS region for AppConfig: set AWS_DEFAULT_REGION (boto3 does not read "
                "AWS_REGION), or pass boto_config=Config(region_name=...), boto3_session= or "
                "boto3_client="
            )

    @property
    def flags(self) -> Flags:
        """The :class:`appflags.Flags` behind this store (polling starts on first access)."""
        flags = self._flags
        if flags is None:
            with self._lock:
                if self._flags is None:
                    self._flags = self._start()
                flags = self._flags
        return flags

    def close(self) -> None:
        """Stop polling (idempotent)."""
        if self._flags is not None:
            self._flags.close()

    def get_configuration(self) -> dict[str, Any]:
        """The document the flags are answered from now (a copy), as Powertools' store API.

        Starts polling when nothing did yet. Raises :class:`ConfigurationStoreError` when no
        document is being served (none fetched yet; AppConfig unreachable since start) or
        the one served came from a backup rather than a fetch.
        """
        served = self.served_document()
        if served is None:
            raise ConfigurationStoreError(
                f"no document fetched for {self.application}/{self.environment}/{self.name}"
            )
        return json.loads(json.dumps(served))  # type: ignore[no-any-return] # a JSON object

    def served_document(self) -> dict[str, Any] | None:
        """The fetched document the flags answer from now, or ``None``."""
        flags = self.flags
        recorder = self._recorder
        if recorder is None or self._format != "powertools":
            return None
        return recorder.document(flags.status().digest)

    def _start(self) -> Flags:
        source: Source
        variants = None
        if self._use_extension:
            interval = max(float(self.cache_seconds), 1.0)
            agent = AgentSource(
                self.application,
                self.environment,
                self.name,
                url=self._agent_url or default_agent_url(),
                interval=interval,
            )
            options = self._variant_options or VariantOptions(ttl=interval)
            variants = AgentVariants(agent.fetch_flags, options, name=agent.name)
            agent.on_version = variants.version_seen
            source = agent
        else:
            # AppConfig refuses a RequiredMinimumPollIntervalInSeconds under 15 s.
            minimum = min(max(int(self.cache_seconds), 15), MAX_POLL_INTERVAL)
            interval = float(minimum)
            source = AppConfigDataSource(
                self.application,
                self.environment,
                self.name,
                client=self._appconfigdata_client(),
                poll_interval=minimum,
            )
        if self._envelope is not None:
            source = EnvelopeSource(source, self._envelope, self._jmespath_options)
        self._recorder = source = RecordingSource(source)
        return Flags(
            source=source,
            format=self._format,
            wait=self._wait,
            interval=interval,
            backup=self._backup,
            variants=variants,
        )

    def _appconfigdata_client(self) -> Any:
        if self._client is not None:
            return self._client
        if self._session is None and self._config is None:
            return None  # the source builds its own, with appflags' defaults
        config = DEFAULT_CLIENT_CONFIG.merge(self._config) if self._config else None
        session = self._session or boto3.session.Session()
        return session.client("appconfigdata", config=config or DEFAULT_CLIENT_CONFIG)


class AppConfigExtensionStore(AppConfigStore):
    """Powertools' ``AppConfigExtensionStore``: the AppConfig Lambda extension on localhost.

    The extension's URL follows ``$APPFLAGS_AGENT_URL``, else
    ``$AWS_APPCONFIG_EXTENSION_HTTP_PORT``, else port 2772. With ``format="appconfig"``
    (a native ``AWS.AppConfig.FeatureFlags`` profile), multi-variant flags are answered
    per ``evaluate(context=...)`` by the extension, as with :meth:`appflags.Flags.from_agent`
    (``variants``, ``variant_budget``, ``context_keys`` and ``entity_id`` mean the same
    there); Powertools
    documents have no variants and are answered in-process.
    """

    def __init__(  # noqa: PLR0917 - Powertools' positional signature
        self,
        environment: str,
        application: str,
        name: str,
        max_age: int = 5,
        envelope: str | None = "",
        jmespath_options: dict[str, Any] | None = None,
        logger: object = None,
        *,
        wait: float = 5.0,
        backup: str | os.PathLike[str] | None = None,
        format: str = "powertools",  # noqa: A002 - the name Flags uses
        variants: str = "blocking",
        context_keys: Iterable[str] | None = None,
        entity_id: str | None = "targetingKey",
        variant_budget: float = 0.05,
    ) -> None:
        """Describe the profile; the first lookup starts reading it from the extension."""
        super().__init__(
            environment,
            application,
            name,
            max_age,
            envelope=envelope,
            jmespath_options=jmespath_options,
            use_extension=True,
            wait=wait,
            backup=backup,
        )
        self._format = format
        # Checked now: the first lookup, which starts the store, must not raise.
        self._variant_options = VariantOptions.build(
            mode=variants,
            budget=variant_budget,
            cache_size=4096,
            ttl=None,
            poll_interval=max(float(max_age), 1.0),
            context_keys=context_keys,
            entity_id=entity_id,
        )


_NOTHING: Any = object()
"""No document yet (``None`` is a document a store may return, and an invalid one)."""


class StoreFlags:
    """Flags compiled from what a Powertools-style store returns, recompiled only on change.

    Powertools' stores hand back the same cached object until it expires, so identity (then
    equality) spots a new document. A store error or an invalid document keeps the last
    good flags, each logged once.
    """

    def __init__(self, store: StoreProvider, clock: Clock | None) -> None:
        self._store = store
        self._clock = clock
        self._document: Any = _NOTHING  # the last document the store returned
        self._valid = False  # whether it compiled
        self._flags: Flags | None = None
        self._checked: CheckedDocument | None = None
        self._failing: str | None = None

    def configuration(self) -> dict[str, Any]:
        """Powertools' ``get_configuration()``: the store's document, validated.

        Raises what the store raises, and ``SchemaValidationError`` for an invalid document.
        """
        document = self._store.get_configuration()
        if not (self._valid and self._same(document)):
            Flags.from_dict(document, format="powertools", clock=self._clock)  # validates
        return document

    def _same(self, document: Any) -> bool:
        """Whether ``document`` is the last one the store returned (one whose ``==``
        raises is new each time: compiled again, never raised from a lookup)."""
        try:
            return document is self._document or bool(document == self._document)
        except Exception:  # noqa: BLE001 - any object may come back from a custom store
            return False

    def checked(self) -> CheckedDocument | None:
        """The served document, compiled for Powertools' condition walk."""
        return self._checked

    def current(self) -> Flags | None:
        try:
            document = self._store.get_configuration()
        except Exception as exc:  # noqa: BLE001 - a store outage serves the last good flags
            # Every lookup asks the store: log when the failure starts or changes, not per call.
            error = type(exc).__name__
            if error != self._failing:
                self._failing = error
                logger.warning("appflags.store_failed", error=error)
            return self._flags
        self._failing = None
        if self._same(document):
            return self._flags
        self._document = document
        try:
            self._flags = Flags.from_dict(document, format="powertools", clock=self._clock)
            self._checked = CheckedDocument(document, self._clock or utc_now)
            self._valid = True
        except SchemaError as exc:
            self._valid = False
            logger.error(
                "appflags.rejected", source="store", problems=[str(p) for p in exc.problems]
            )
        return self._flags
