"""A drop-in for ``aws_lambda_powertools.utilities.feature_flags``, backed by appflags.

Migrating is a one-line import change::

    # from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags
    from appflags.compat.powertools import AppConfigStore, FeatureFlags

    app_config = AppConfigStore(environment="dev", application="shop", name="features")
    feature_flags = FeatureFlags(store=app_config)
    if feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False):
        ...

The same document answers the same way (see ``format="powertools"``), while appflags
polls in the background, honours ``NextPollIntervalInSeconds``, renews its session,
keeps the last good flags through outages and bad deployments, and never raises from
``evaluate``. ``FeatureFlags`` also wraps an existing :class:`appflags.Flags`, and any
Powertools-style store (an object with ``get_configuration()``).
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import boto3
import jmespath

from appflags._clock import utc_now
from appflags._errors import SchemaError
from appflags._evaluation import Reason
from appflags._flags import Flags
from appflags._log import logger
from appflags.compat._conditions import CheckedDocument, Failure
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

    from botocore.config import Config

    from appflags.formats import Clock

__all__ = [
    "AppConfigExtensionStore",
    "AppConfigStore",
    "ConfigurationStoreError",
    "FeatureFlags",
    "PowertoolsUserWarning",
    "SchemaValidationError",
    "StoreProvider",
]

JSONType = Any
"""Any JSON value, as in Powertools' signatures."""

F = TypeVar("F", bound=Callable[..., Any])

SchemaValidationError = SchemaError
"""What Powertools raises for an invalid document. Here only constructors that take a
document directly raise it; ``evaluate`` never does."""


class ConfigurationStoreError(Exception):
    """Raised by ``get_configuration()`` when there is no document to return; never by
    ``evaluate``: a store failure answers the last good flags, or the default."""


try:  # Powertools' own class when it is installed, so that filters written for it apply
    from aws_lambda_powertools.warnings import PowertoolsUserWarning
except ImportError:

    class PowertoolsUserWarning(UserWarning):  # type: ignore[no-redef] # Powertools absent
        """Warned when a condition's comparison fails (Powertools' category, by name)."""


class StoreProvider(Protocol):
    """A Powertools-style store: anything whose ``get_configuration()`` returns the document."""

    def get_configuration(self) -> dict[str, Any]:
        """The feature-flag document (Powertools' schema)."""
        ...


# -------------------------------------------------------------------------- stores


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


class _StoreFlags:
    """Flags compiled from what a Powertools-style store returns, recompiled only on change.

    Powertools' stores hand back the same cached object until it expires, so identity (then
    equality) spots a new document. A store error or an invalid document keeps the last
    good flags, each logged once.
    """

    def __init__(self, store: StoreProvider, clock: Clock | None) -> None:
        self._store = store
        self._clock = clock
        self._document: Any = None
        self._flags: Flags | None = None
        self._checked: CheckedDocument | None = None
        self._failing: str | None = None

    def configuration(self) -> dict[str, Any]:
        """Powertools' ``get_configuration()``: the store's document, validated.

        Raises what the store raises, and ``SchemaValidationError`` for an invalid document.
        """
        document = self._store.get_configuration()
        if document is not self._document and document != self._document:
            Flags.from_dict(document, format="powertools", clock=self._clock)  # validates
        return document

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
        if document is self._document or document == self._document:
            return self._flags
        self._document = document
        try:
            self._flags = Flags.from_dict(document, format="powertools", clock=self._clock)
            self._checked = CheckedDocument(document, self._clock or utc_now)
        except SchemaError as exc:
            logger.error(
                "appflags.rejected", source="store", problems=[str(p) for p in exc.problems]
            )
        return self._flags


# -------------------------------------------------------------------- feature flags


class FeatureFlags:
    """Powertools' ``FeatureFlags``: ``evaluate``, ``get_enabled_features``,
    ``get_configuration`` and ``validation_exception_handler``.

    Give it a compat :class:`AppConfigStore` (``FeatureFlags(store=...)``, as with
    Powertools), any object with a Powertools ``get_configuration()`` (Powertools' own
    stores included), or an :class:`appflags.Flags` (``FeatureFlags(flags)``).
    ``logger`` is accepted and ignored.

    Unlike Powertools, a store failure never raises: an unreachable store or an invalid new
    document leaves the last good flags answering (or the default, before any arrived). As
    in Powertools, a condition whose comparison raises (``"5" > 3``) warns
    :class:`PowertoolsUserWarning` and is answered by the ``validation_exception_handler``
    registered for that exception, if any: ``evaluate`` raises only what such a handler
    raises.
    """

    def __init__(
        self,
        store: Flags | AppConfigStore | StoreProvider | None = None,
        logger: object = None,
        *,
        flags: Flags | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Wrap ``store`` (Powertools' name) or ``flags``: exactly one of them.

        ``clock`` (returns an aware ``datetime``) is the time ``SCHEDULE_*`` conditions read
        for a Powertools-style store's documents (tests); other stores have their own.
        """
        given = flags if flags is not None else store
        if given is None or (flags is not None and store is not None):
            raise TypeError("FeatureFlags needs exactly one of store= or flags=")
        self.store = given
        self._flags: Flags | None = None
        self._store_flags: _StoreFlags | None = None
        self._app_config: AppConfigStore | None = None
        self._document: CheckedDocument | None = None  # from_dict's
        self._start_failed: str | None = None
        self._handlers: dict[type[BaseException], Callable[[Exception], Any]] = {}
        self._app_config_checked: CheckedDocument | None = None
        if isinstance(given, Flags):
            self._flags = given
        elif isinstance(given, AppConfigStore):
            self._app_config = given
        elif callable(getattr(given, "get_configuration", None)):
            self._store_flags = _StoreFlags(given, clock)
        else:
            raise TypeError(
                "store must be an appflags.Flags, an AppConfigStore or have get_configuration()"
            )

    @classmethod
    def from_appconfig(
        cls, application: str, environment: str, profile: str, **options: Any
    ) -> FeatureFlags:
        """Poll an AppConfig profile in Powertools' format; ``options`` go to
        :meth:`appflags.Flags.from_appconfig` (``region_name``, ``wait``, ``backup``...).

        This answers as that ``Flags`` does: for ``get_configuration()`` and
        ``validation_exception_handler``, use ``FeatureFlags(store=AppConfigStore(...))``.
        """
        return cls(
            flags=Flags.from_appconfig(
                application, environment, profile, format="powertools", **options
            )
        )

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], *, clock: Clock | None = None) -> FeatureFlags:
        """Flags from a document in memory (tests, fixtures). Raises ``SchemaError``."""
        feature_flags = cls(flags=Flags.from_dict(document, format="powertools", clock=clock))
        feature_flags._document = CheckedDocument(
            json.loads(json.dumps(document)), clock or utc_now
        )
        return feature_flags

    @property
    def flags(self) -> Flags | None:
        """The :class:`appflags.Flags` answering now (``None`` before a store delivered any)."""
        if self._flags is not None:
            return self._flags
        if self._app_config is not None:
            if self._start_failed is not None:
                return None
            try:
                return self._app_config.flags
            except Exception as exc:  # noqa: BLE001 - evaluate never raises: the default answers
                # The store was checked at construction; whatever still stops it starting
                # is logged once and answered with defaults.
                self._start_failed = type(exc).__name__
                logger.error("appflags.store_failed", error=self._start_failed)
                return None
        return self._store_flags.current() if self._store_flags is not None else None

    def get_configuration(self) -> dict[str, Any]:
        """The feature-flag document, as Powertools' ``get_configuration()``.

        For a Powertools-style store: what the store returns, validated (the store's own
        errors propagate; an invalid document raises ``SchemaValidationError``). For a
        compat :class:`AppConfigStore` or :meth:`from_dict`: a copy of the document the
        flags answer from. Raises :class:`ConfigurationStoreError` when there is none (no
        document fetched yet, or a ``FeatureFlags`` over a ``Flags`` you built, whose
        document appflags does not keep).
        """
        if self._store_flags is not None:
            return self._store_flags.configuration()
        if self._app_config is not None:
            return self._app_config.get_configuration()
        if self._document is not None:
            return json.loads(json.dumps(self._document.document))  # type: ignore[no-any-return] # a JSON object
        raise ConfigurationStoreError(
            "a FeatureFlags over an appflags.Flags has no document to return: "
            "use FeatureFlags(store=AppConfigStore(...)) or FeatureFlags.from_dict(...)"
        )

    def evaluate(
        self, *, name: str, context: dict[str, Any] | None = None, default: JSONType
    ) -> JSONType:
        """The flag's value for ``context``, exactly as Powertools computes it.

        A boolean flag answers ``True``/``False``; a non-boolean flag (``boolean_type:
        false``) answers its JSON value (a copy), whatever the type of ``default``.
        ``default`` answers when the flag does not exist or no flags are available yet.
        """
        flags = self.flags
        if flags is None:
            return default
        context = {} if context is None else context
        checked = self._checked(flags, name) if isinstance(context, Mapping) else None
        if checked is not None:
            return checked.value(name, context, self._failed)
        # default=None: any value answers, as in Powertools (no type check).
        result = flags.evaluate(name, None, context)
        if result.error_code is not None or result.reason is Reason.DISABLED:
            return default
        return result.value

    def get_enabled_features(self, *, context: dict[str, Any] | None = None) -> list[str]:
        """The flags whose value is truthy for ``context``, in document order.

        As in Powertools this includes a non-boolean flag whose value is truthy (a non-empty
        object, say); :meth:`appflags.Flags.enabled_features` lists only flags answering
        ``True``.
        """
        flags = self.flags
        if flags is None:
            return []
        # Every flag of the document, in document order.
        names = flags.flag_names()
        return [name for name in names if self.evaluate(name=name, context=context, default=None)]

    def validation_exception_handler(
        self, exc_class: type[Exception] | list[type[Exception]]
    ) -> Callable[[F], F]:
        """Register a function answering conditions whose comparison raises ``exc_class``.

        As in Powertools: when a condition's comparison raises (``"5" > 3``,
        ``STARTSWITH`` on a number), the handler registered for the exception's class (or
        a base class) is called with the exception and its result decides whether the
        condition matches; an exception the handler raises propagates from ``evaluate``.
        Without a handler the condition does not match. Either way a
        :class:`PowertoolsUserWarning` names the flag, rule, key, action and exception type
        (never a value) when the key was in the context.

        Needs the document: available with a store or :meth:`from_dict`; a ``FeatureFlags``
        over a ``Flags`` you built raises ``TypeError`` here.
        """
        if self._flags is not None and self._document is None:
            raise TypeError(
                "validation_exception_handler needs the document, which a FeatureFlags over "
                "an appflags.Flags does not have: use FeatureFlags(store=AppConfigStore(...)) "
                "or FeatureFlags.from_dict(...)"
            )

        def register(func: F) -> F:
            for cls in exc_class if isinstance(exc_class, list) else [exc_class]:
                self._handlers[cls] = func
            return func

        return register

    def _checked(self, flags: Flags, name: str) -> CheckedDocument | None:
        """The document to walk for ``name``, when a comparison of it can raise."""
        if self._store_flags is not None:
            checked = self._store_flags.checked()
        elif self._app_config is not None:
            checked = self._app_config_document()
        else:
            checked = self._document
        if checked is None or name not in checked.fallible or name in flags.overrides:
            return None
        return checked

    def _app_config_document(self) -> CheckedDocument | None:
        assert self._app_config is not None  # noqa: S101 - only called with one
        served = self._app_config.served_document()
        if served is None:
            return None
        checked = self._app_config_checked
        if checked is None or checked.document is not served:
            checked = CheckedDocument(served, utc_now)
            self._app_config_checked = checked
        return checked

    def _failed(self, failure: Failure) -> bool:
        """A comparison raised: warn as Powertools does, and let a handler decide."""
        if failure.key_present:
            # Warnings as errors: the answer (and the handler) still stand, as in Powertools.
            with contextlib.suppress(PowertoolsUserWarning):
                warnings.warn(
                    f"Failed to evaluate feature flag condition: feature={failure.feature}, "
                    f"rule={failure.rule}, key={failure.key}, action={failure.action}, "
                    f"exception_type={type(failure.error).__name__}",
                    PowertoolsUserWarning,
                    stacklevel=5,  # the caller of evaluate()
                )
        for cls in type(failure.error).__mro__:
            handler = self._handlers.get(cls)
            if handler is not None:
                return bool(handler(failure.error))
        return False
