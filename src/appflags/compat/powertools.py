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
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from appflags._clock import utc_now
from appflags._errors import SchemaError
from appflags._evaluation import Reason
from appflags._flags import Flags
from appflags._log import logger
from appflags.compat._conditions import CheckedDocument, Failure
from appflags.compat._stores import (
    AppConfigExtensionStore,
    AppConfigStore,
    ConfigurationStoreError,
    StoreFlags,
    StoreProvider,
)

if TYPE_CHECKING:
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


try:  # Powertools' own class when it is installed, so that filters written for it apply
    from aws_lambda_powertools.warnings import PowertoolsUserWarning
except ImportError:

    class PowertoolsUserWarning(UserWarning):  # type: ignore[no-redef] # Powertools absent
        """Warned when a condition's comparison fails (Powertools' category, by name)."""


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
        self._store_flags: StoreFlags | None = None
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
            self._store_flags = StoreFlags(given, clock)
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
