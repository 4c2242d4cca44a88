"""An OpenFeature provider over :class:`appflags.Flags` (``pip install appflags[openfeature]``).

::

    from openfeature import api
    from openfeature.evaluation_context import EvaluationContext
    from appflags.openfeature import AppFlagsProvider

    api.set_provider_and_wait(AppFlagsProvider.from_appconfig("shop", "prod", "flags"))
    client = api.get_client()
    client.get_boolean_value("new-checkout", False, EvaluationContext("user-42", {"tier": "gold"}))

Register it with ``api.set_provider_and_wait``: since openfeature-sdk 0.10,
``api.set_provider`` runs ``initialize`` on a background thread and returns at once, so
evaluations made right after it answer their defaults with ``PROVIDER_NOT_READY`` until
the flags have loaded (a ``PROVIDER_READY`` handler tells when).

Every resolver maps onto :meth:`Flags.evaluate`: the flag key is the lookup key, the
evaluation context becomes the rule context (its attributes as they are, its targeting
key under ``targetingKey``), and the answer's variant, reason and error code are reported
as they are. ``flag_metadata`` is a plain ``dict`` (the flag's metadata in the document,
plus ``version``: the version label of the flags that answered). Resolvers never raise
and never do I/O.

The SDK's provider status follows ``Flags.state``: ``READY`` once flags are loaded (and
again on recovery), ``STALE`` while polls fail, a rejected document leaves the last good
flags serving, or a cold start serves a ``backup=`` file or a ``bootstrap=`` document;
``ERROR`` when ``initialize`` finds nothing loaded in time, ``FATAL`` when AppConfig says
the application, environment or profile does not exist.
``PROVIDER_CONFIGURATION_CHANGED`` carries the keys whose answers may have changed.

Importing :mod:`appflags` alone never imports OpenFeature; this module does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from appflags._extras import require_extra

require_extra("openfeature.provider", "openfeature")

# The imports below follow the check that names the extra to install.
from openfeature.event import ProviderEventDetails  # noqa: E402
from openfeature.exception import (  # noqa: E402
    ErrorCode,
    ProviderFatalError,
    ProviderNotReadyError,
)
from openfeature.flag_evaluation import FlagResolutionDetails, Reason  # noqa: E402
from openfeature.provider import AbstractProvider, Metadata, ProviderStatus  # noqa: E402

from appflags._checks import check_seconds  # noqa: E402
from appflags._evaluation import ErrorCode as AppErrorCode  # noqa: E402
from appflags._evaluation import Evaluation  # noqa: E402
from appflags._evaluation import Reason as AppReason  # noqa: E402
from appflags._flags import MAX_WAIT, Change, Flags  # noqa: E402
from appflags._state import State  # noqa: E402

if TYPE_CHECKING:
    from openfeature.evaluation_context import EvaluationContext
    from openfeature.flag_evaluation import FlagValueType
    from openfeature.hook import Hook
    from openfeature.track import TrackingEventDetails

__all__ = ["AppFlagsProvider"]

T = TypeVar("T")
ObjectValue = Sequence["FlagValueType"] | Mapping[str, "FlagValueType"]

TARGETING_KEY = "targetingKey"
"""The context key an OpenFeature targeting key is passed under (as flagd does)."""

NAME = "appflags"
"""The provider name reported to the SDK (and its telemetry) unless ``name=`` says otherwise."""

_REASONS: dict[AppReason, Reason] = {reason: Reason(reason.value) for reason in AppReason}
_ERRORS: dict[AppErrorCode | None, ErrorCode | None] = {
    None: None,
    **{code: ErrorCode(code.value) for code in AppErrorCode},
}
_STATUSES = {State.READY: ProviderStatus.READY, State.STALE: ProviderStatus.STALE}

# Typed stand-ins for a caller's default of another type (``None``...), so that Flags
# checks the type the resolver promises. Each is an object no flag value can be (``is``).
_INT_PROBE = int("-7418529630741852963074185296307")
_FLOAT_PROBE = float("-7.418529630741852e-301")
_STR_PROBE = "".join(("\x00appflags", "-default"))

_SDK_SETTLE_SECONDS = 5.0
"""How long the provider waits for the SDK to record the outcome of ``initialize``."""


class AppFlagsProvider(AbstractProvider):
    """OpenFeature provider answering from an :class:`appflags.Flags`.

    ``AppFlagsProvider(flags)`` serves flags the application built and owns: ``shutdown``
    detaches from them and leaves them running, and ``initialize`` fails with
    ``PROVIDER_FATAL`` if the application has closed them. :meth:`from_appconfig` builds
    and owns its own :class:`~appflags.Flags`: ``shutdown`` closes them, and registering
    the provider again builds fresh ones.

    ``initialize`` waits up to ``wait`` seconds for the first configuration; when none
    arrived it fails with ``PROVIDER_NOT_READY`` naming the last poll's error (the SDK
    then reports ``PROVIDER_ERROR``) and the provider announces ``PROVIDER_READY`` as soon
    as flags load. When AppConfig answers that the application, environment or profile
    does not exist (``ResourceNotFoundException`` naming one of those), it fails at once
    with ``PROVIDER_FATAL``; a 404 for a ``Deployment`` or ``Configuration`` (nothing
    deployed yet) is an ordinary ``PROVIDER_NOT_READY``, and polling goes on.
    ``targeting_key_as`` names the context key the targeting key is
    passed under; ``name`` is the provider name the SDK reports (events, telemetry).

    >>> api.set_provider_and_wait(AppFlagsProvider(flags), "checkout")
    """

    def __init__(
        self,
        flags: Flags,
        *,
        wait: float = 5.0,
        targeting_key_as: str = TARGETING_KEY,
        name: str = NAME,
    ) -> None:
        _check_options(wait, targeting_key_as, name)
        super().__init__()
        self._flags = flags
        self._rebuild: Callable[[], Flags] | None = None  # set when the provider owns them
        self._wait = wait
        self._targeting_key_as = targeting_key_as
        self._metadata = Metadata(name=name)
        self._lock = threading.Lock()  # orders event emission against initialize/shutdown
        self._loaded = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._generation = 0  # bumped by initialize and shutdown: older work gives up
        self._announcing = False
        self._told: ProviderStatus | None = None
        """The status the SDK was last told (by the SDK itself after initialize, or us)."""
        self._pending: set[str] = set()
        """Keys changed after initialize decided, before the SDK recorded its outcome."""
        self._metadata_cache: tuple[str | None, dict[str, tuple[Mapping[str, Any], dict[str, Any]]]]
        self._metadata_cache = (None, {})

    @classmethod
    def from_appconfig(
        cls,
        application: str,
        environment: str,
        profile: str,
        *,
        wait: float = 5.0,
        targeting_key_as: str = TARGETING_KEY,
        name: str = NAME,
        **options: Any,
    ) -> AppFlagsProvider:
        """A provider owning :meth:`Flags.from_appconfig` flags; ``options`` go to it.

        Building it never blocks: ``initialize`` (run by ``api.set_provider_and_wait``)
        does the bounded wait for the first configuration. ``shutdown`` closes the flags;
        registered again, the provider builds new ones with the same options.

        >>> api.set_provider_and_wait(AppFlagsProvider.from_appconfig("shop", "prod", "flags"))
        """
        _check_options(wait, targeting_key_as, name)  # before any Flags start polling

        def build() -> Flags:
            return Flags.from_appconfig(application, environment, profile, wait=0, **options)

        provider = cls(build(), wait=wait, targeting_key_as=targeting_key_as, name=name)
        provider._rebuild = build
        return provider

    @property
    def flags(self) -> Flags:
        """The flags this provider answers from (new ones after an owned provider restarts)."""
        return self._flags

    # ------------------------------------------------------------------ life cycle

    def get_metadata(self) -> Metadata:
        """The provider's own metadata: its ``name`` (``appflags`` unless given)."""
        return self._metadata

    def get_provider_hooks(self) -> list[Hook]:
        """No hooks: the provider needs none."""
        return []

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Subscribe to the flags and wait (bounded) for the first configuration.

        Raises :class:`~openfeature.exception.ProviderNotReadyError` (naming the last
        poll's error) when no flags loaded within ``wait`` seconds: the provider keeps
        listening and reports ``PROVIDER_READY`` when they do. Raises
        :class:`~openfeature.exception.ProviderFatalError` when AppConfig answered that
        the application, environment or profile does not exist, or when the flags of an
        application-owned provider were closed. Flags that are ``STALE`` (a cold start
        from a backup) initialize, and ``PROVIDER_STALE`` follows the SDK's ready.
        """
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._announcing = False
            self._told = None
            flags = self._usable_flags()
            self._loaded.clear()
            if self._unsubscribe is None:
                self._unsubscribe = flags.on_change(self._on_change)
        # Checked after subscribing, so flags arriving in between are not missed.
        deadline = time.monotonic() + self._wait
        while flags.state is State.NOT_READY and generation == self._generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or _not_found(flags):
                break
            self._loaded.wait(min(remaining, 0.05))
        with self._lock:
            state = flags.state
            if state is State.NOT_READY and _not_found(flags):
                told = ProviderStatus.FATAL
                self._stop_listening()
            else:
                # What the SDK records when initialize returns (READY, even for STALE
                # flags: _follow_state corrects it) or raises.
                told = ProviderStatus.ERROR if state is State.NOT_READY else ProviderStatus.READY
                self._pending.clear()
            self._told = told
        if told is ProviderStatus.FATAL:
            if self._rebuild is not None:
                flags.close()  # polling cannot help; registering again starts afresh
            raise ProviderFatalError(
                f"{_source(flags)}: {_last_error(flags)}: AppConfig has no such "
                "application, environment or configuration profile"
            )
        self._announce_once_recorded(generation, told)
        if state is State.NOT_READY:
            cause = _last_error(flags) or _first_rejected(flags) or "no poll finished yet"
            raise ProviderNotReadyError(
                f"no flags loaded from {_source(flags)} within {self._wait:g} s ({cause}); "
                "the provider reports PROVIDER_READY when they arrive"
            )

    def shutdown(self) -> None:
        """Stop listening to the flags; close them only if this provider built them.

        The provider returns to its uninitialised state: an owned provider registered
        again builds new flags.
        """
        with self._lock:
            self._generation += 1
            self._stop_listening()
            self._told = None
            self._loaded.set()  # an initialize still waiting gives up now
            flags = self._flags
        if self._rebuild is not None:
            flags.close()

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: EvaluationContext | None = None,
        tracking_event_details: TrackingEventDetails | None = None,
    ) -> None:
        """Accepted and ignored: appflags records no tracking events (``client.track``)."""

    def _usable_flags(self) -> Flags:
        # Under the lock. Closed flags with a source no longer poll: an owned provider
        # replaces them, flags the application owns cannot be revived here.
        flags = self._flags
        if not _closed(flags):
            return flags
        if self._rebuild is None:
            self._told = ProviderStatus.FATAL
            raise ProviderFatalError(
                f"the Flags this provider answers from ({_source(flags)}) were closed; "
                "give the provider open Flags, or use AppFlagsProvider.from_appconfig"
            )
        self._flags = self._rebuild()
        return self._flags

    def _stop_listening(self) -> None:
        # Under the lock.
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        self._announcing = False
        self._pending.clear()
        if unsubscribe is not None:
            unsubscribe()

    def _announce_once_recorded(self, generation: int, expected: ProviderStatus) -> None:
        """Start announcing once the SDK has recorded ``expected`` for ``initialize``.

        The SDK sets READY (or ERROR) itself after ``initialize`` returns (or raises):
        an event emitted before that would be overwritten, so changes in between are held
        and reconciled here, against the flags' state at that moment.
        """
        if self._sdk_status() is None:
            self._start_announcing(generation)
            return

        def settle() -> None:
            deadline = time.monotonic() + _SDK_SETTLE_SECONDS
            while generation == self._generation and time.monotonic() < deadline:
                if self._sdk_status() is expected:
                    break
                time.sleep(0.002)
            self._start_announcing(generation)

        threading.Thread(target=settle, name="appflags-openfeature-settle", daemon=True).start()

    def _sdk_status(self) -> ProviderStatus | None:
        # The SDK attaches its registry's dispatch method before initialize; the registry
        # also keeps the status it recorded for each provider.
        registry = getattr(getattr(self, "_on_emit", None), "__self__", None)
        status = getattr(registry, "get_provider_status", None)
        if not callable(status):
            return None
        recorded = status(self)
        return recorded if isinstance(recorded, ProviderStatus) else None

    def _start_announcing(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._unsubscribe is None:
                return
            self._announcing = True
            self._follow_state()
            if self._pending:
                changed, self._pending = sorted(self._pending), set()
                self.emit_provider_configuration_changed(
                    ProviderEventDetails(flags_changed=changed, metadata=self._event_metadata())
                )

    def _on_change(self, change: Change) -> None:
        # Runs on the flags' poller thread.
        if change.state is not State.NOT_READY:
            self._loaded.set()
        with self._lock:
            changed = change.changed_keys if change.previous_state is not State.NOT_READY else ()
            if not self._announcing:
                if self._told is not None:
                    self._pending.update(changed)
                return
            self._follow_state()
            if changed:
                self.emit_provider_configuration_changed(
                    ProviderEventDetails(
                        flags_changed=sorted(changed), metadata=self._event_metadata()
                    )
                )

    def _follow_state(self) -> None:
        # Under the lock: tell the SDK the flags' state when it was told something else.
        flags = self._flags
        status = _STATUSES.get(flags.state)
        if status is None or status is self._told:
            return
        self._told = status
        if status is ProviderStatus.READY:
            self.emit_provider_ready(ProviderEventDetails(metadata=self._event_metadata()))
        else:
            self.emit_provider_stale(
                ProviderEventDetails(message=_stale_message(flags), metadata=self._event_metadata())
            )

    def _event_metadata(self) -> dict[str, bool | str | int | float]:
        version = self._flags.version
        return {} if version is None else {"version": version}

    # ------------------------------------------------------------------- resolvers

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,  # noqa: FBT001 - the OpenFeature SDK's signature
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """The boolean flag ``flag_key``; never another type (``1`` is no ``True``)."""
        if default_value is True or default_value is False:
            return self._resolve(flag_key, default_value, evaluation_context)
        return self._resolve(flag_key, default_value, evaluation_context, _BOOLEAN)

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """The string flag ``flag_key``; never another type."""
        if type(default_value) is str:
            return self._resolve(flag_key, default_value, evaluation_context)
        return self._resolve(flag_key, default_value, evaluation_context, _STR_PROBE)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """The integer flag ``flag_key``; a boolean never answers (``True`` is no ``1``)."""
        if type(default_value) is int:
            return self._resolve(flag_key, default_value, evaluation_context)
        return self._resolve(flag_key, default_value, evaluation_context, _INT_PROBE)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """The number flag ``flag_key`` as a float (an integer answers as well)."""
        if type(default_value) is float:
            return self._resolve(flag_key, default_value, evaluation_context)
        if type(default_value) is int:
            # An int default must not ask for an int: answer it as the float it stands for.
            return self._resolve(flag_key, float(default_value), evaluation_context)
        return self._resolve(flag_key, default_value, evaluation_context, _FLOAT_PROBE)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        """The object (or list) flag ``flag_key``, as a copy the caller may change."""
        if type(default_value) in (dict, list):
            return self._resolve(flag_key, default_value, evaluation_context)
        # A default of another kind (None, a read-only mapping) would not tell Flags to
        # expect an object: ask with a fresh probe and hand back the caller's default.
        return self._resolve(flag_key, default_value, evaluation_context, {})

    def _resolve(
        self,
        flag_key: str,
        default_value: T,
        evaluation_context: EvaluationContext | None,
        probe: Any = None,
    ) -> FlagResolutionDetails[T]:
        try:
            context = self._context(evaluation_context)
            flags = self._flags
            evaluation, metadata = self._evaluate(flags, flag_key, default_value, context, probe)
            version = evaluation.version
            # A plain copy of the flag's metadata, with the version label unless the
            # document set one: it copies, pickles and serialises, and changing it
            # changes nothing in the flags.
            # (A key that is no string names no flag: Flags said so, and it may not hash.)
            plain = self._plain_metadata(metadata, flag_key, version)
            if plain is not None:
                flag_metadata = plain.copy()
            elif version is not None:
                flag_metadata = {"version": version}
            else:
                flag_metadata = {}
            # Positional: half the cost of keywords on this path (value, error_code,
            # error_message, reason, variant, flag_metadata).
            return FlagResolutionDetails(
                evaluation.value,
                _ERRORS[evaluation.error_code],
                evaluation.error_message,
                _REASONS[evaluation.reason],
                evaluation.variant,
                flag_metadata,
            )
        except Exception as exc:  # noqa: BLE001 - a resolver never raises (spec 2.3.x)
            return FlagResolutionDetails(
                value=default_value,
                error_code=ErrorCode.GENERAL,
                error_message=f"evaluation failed: {type(exc).__name__}",
                reason=Reason.ERROR,
            )

    def _evaluate(
        self,
        flags: Flags,
        key: str,
        default: Any,
        context: Mapping[str, Any] | None,
        probe: Any = None,
    ) -> tuple[Evaluation, Mapping[str, Any]]:
        """The evaluation and the flag's metadata, read from one version of the flags."""
        if probe is None:
            return flags.evaluate_with_metadata(key, default, context)
        if probe is _BOOLEAN:
            return _evaluate_boolean(flags, key, default, context)
        evaluation, metadata = flags.evaluate_with_metadata(key, probe, context)
        if evaluation.value is probe:
            evaluation = _with_value(evaluation, default)
        return evaluation, metadata

    def _plain_metadata(
        self, metadata: Mapping[str, Any], key: str, version: str | None
    ) -> dict[str, Any] | None:
        """The flag's metadata with ``version`` as a plain dict, built once per version.

        ``None`` when the document gives the flag none. The cache holds one version's
        flags (a lookup of a missing key adds nothing), replaced whole when it changes.
        """
        if not metadata:
            return None
        cached_version, cache = self._metadata_cache
        if cached_version != version:
            cache = {}
            self._metadata_cache = (version, cache)
        kept = cache.get(key)
        if kept is not None and kept[0] is metadata:
            return kept[1]
        plain = dict(metadata)  # scalars only (the flagd schema): a full copy
        if version is not None and "version" not in plain:
            plain["version"] = version
        cache[key] = (metadata, plain)
        return plain

    def _context(self, evaluation_context: EvaluationContext | None) -> Mapping[str, Any] | None:
        if evaluation_context is None:
            return None
        attributes = evaluation_context.attributes
        targeting_key = evaluation_context.targeting_key
        if targeting_key is None:
            return attributes
        return {**attributes, self._targeting_key_as: targeting_key}


def _check_options(wait: object, targeting_key_as: object, name: object) -> None:
    check_seconds("wait", wait, zero=True, maximum=MAX_WAIT)
    for option, value in (("targeting_key_as", targeting_key_as), ("name", name)):
        if not isinstance(value, str):
            raise TypeError(f"{option} must be a str, got {value!r}")


_BOOLEAN: Any = object()
"""Marks a boolean resolution whose default is not a boolean."""


def _evaluate_boolean(
    flags: Flags, key: str, default: Any, context: Mapping[str, Any] | None
) -> tuple[Evaluation, Mapping[str, Any]]:
    # bool has only two objects, so no probe can tell the caller's default from an answer:
    # ask with both; when the answers differ, the default answered.
    for _ in range(3):
        as_false, metadata = flags.evaluate_with_metadata(key, False, context)
        if as_false.value is not False:
            return as_false, metadata
        as_true, again = flags.evaluate_with_metadata(key, True, context)
        if again is metadata and as_true.version == as_false.version:
            break  # both from the same version: their verdict holds
    if as_true.value is True:
        return _with_value(as_false, default), metadata
    return as_false, metadata


def _with_value(evaluation: Evaluation, value: Any) -> Evaluation:
    return Evaluation(
        value,
        evaluation.variant,
        evaluation.reason,
        evaluation.error_code,
        evaluation.error_message,
        evaluation.version,
    )


# What the provider says about the flags' health comes from Flags.status() alone.


def _source(flags: Flags) -> str:
    return flags.status().source_name or "static flags"


def _last_error(flags: Flags) -> str | None:
    """The last poll's failure, if the last poll failed."""
    error = flags.status().last_error
    return error.message if error is not None and error.kind == "poll_failed" else None


_NO_SUCH_IDENTIFIER = tuple(
    f"ResourceNotFoundException (HTTP 404, {kind})"
    for kind in ("Application", "Environment", "ConfigurationProfile")
)
"""404s that name a wrong identifier. A 404 for a ``Deployment`` or ``Configuration``
may only mean nothing is deployed yet: that one is retried, never fatal."""


def _not_found(flags: Flags) -> bool:
    """Whether AppConfig said the application, environment or profile does not exist."""
    error = _last_error(flags)
    return error is not None and error.endswith(_NO_SUCH_IDENTIFIER)


def _first_rejected(flags: Flags) -> str | None:
    """Why nothing loaded when the polls succeed: the document read was rejected."""
    error = flags.status().last_error
    if error is not None and error.kind == "rejected":
        return "its document was rejected, see the appflags.rejected log event"
    return None


def _closed(flags: Flags) -> bool:
    """Closed flags that had a source: they will never poll again."""
    status = flags.status()
    return status.closed and status.source_name is not None


def _stale_message(flags: Flags) -> str:
    status = flags.status()
    source, error = status.source_name or "static flags", status.last_error
    if error is not None and error.kind == "poll_failed":
        return f"{source} cannot be polled ({error.message}); serving the last good flags"
    if error is not None:
        return f"the latest document from {source} was rejected; serving the last good flags"
    if status.source == "bootstrap":
        return f"serving the bootstrap= flags until {source} answers"
    if status.source == "backup":
        return f"serving flags restored from the backup file until {source} answers"
    # A wake-up long overdue (a frozen process): the next poll tells whether they still are.
    return f"the flags from {source} may be out of date: a poll was overdue"
