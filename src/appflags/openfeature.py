"""An OpenFeature provider over :class:`appflags.Flags` (``pip install appflags[openfeature]``).

::

    from openfeature import api
    from appflags.openfeature import AppFlagsProvider

    api.set_provider(AppFlagsProvider.from_appconfig("shop", "prod", "flags"))
    client = api.get_client()
    client.get_boolean_value("new-checkout", False, EvaluationContext("user-42", {"tier": "gold"}))

Every resolver maps onto :meth:`Flags.evaluate`: the flag key is the lookup key, the
evaluation context becomes the rule context (its attributes as they are, its targeting
key under ``targetingKey``), and the answer's variant, reason, error code and the flag's
metadata are reported as they are. Resolvers never raise and never do I/O.

Events follow the state of the flags: ``PROVIDER_READY`` once flags are loaded (and again
on recovery), ``PROVIDER_CONFIGURATION_CHANGED`` with the keys whose answers may have
changed, ``PROVIDER_STALE`` while polls fail or a rejected document leaves the last good
flags serving, and ``PROVIDER_ERROR`` when ``initialize`` finds nothing loaded in time.

Importing :mod:`appflags` alone never imports OpenFeature; this module does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ProviderNotReadyError
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, Metadata

from appflags._evaluation import ErrorCode as AppErrorCode
from appflags._evaluation import Reason as AppReason
from appflags._flags import Change, Flags
from appflags._state import State

if TYPE_CHECKING:
    from openfeature.evaluation_context import EvaluationContext
    from openfeature.flag_evaluation import FlagValueType
    from openfeature.hook import Hook

__all__ = ["AppFlagsProvider"]

T = TypeVar("T")
ObjectValue = Sequence["FlagValueType"] | Mapping[str, "FlagValueType"]

TARGETING_KEY = "targetingKey"
"""The context key an OpenFeature targeting key is passed under (as flagd does)."""

_METADATA = Metadata(name="appflags")
_REASONS: dict[AppReason, Reason] = {reason: Reason(reason.value) for reason in AppReason}
_ERRORS: dict[AppErrorCode | None, ErrorCode | None] = {
    None: None,
    **{code: ErrorCode(code.value) for code in AppErrorCode},
}


class AppFlagsProvider(AbstractProvider):
    """OpenFeature provider answering from an :class:`appflags.Flags`.

    ``AppFlagsProvider(flags)`` serves flags the application built and owns: ``shutdown``
    detaches from them and leaves them running. :meth:`from_appconfig` builds and owns its
    own :class:`~appflags.Flags`, which ``shutdown`` closes.

    ``initialize`` waits up to ``wait`` seconds for the first configuration; when none
    arrived it fails with ``PROVIDER_NOT_READY`` (the SDK then reports ``PROVIDER_ERROR``)
    and the provider announces ``PROVIDER_READY`` as soon as flags load.
    ``targeting_key_as`` names the context key the targeting key is passed under.
    """

    def __init__(
        self,
        flags: Flags,
        *,
        wait: float = 5.0,
        targeting_key_as: str = TARGETING_KEY,
    ) -> None:
        super().__init__()
        self._flags = flags
        self._wait = wait
        self._targeting_key_as = targeting_key_as
        self._owns_flags = False
        self._lock = threading.Lock()  # orders event emission against initialize/shutdown
        self._loaded = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._announcing = False

    @classmethod
    def from_appconfig(
        cls,
        application: str,
        environment: str,
        profile: str,
        *,
        wait: float = 5.0,
        targeting_key_as: str = TARGETING_KEY,
        **options: Any,
    ) -> AppFlagsProvider:
        """A provider owning :meth:`Flags.from_appconfig` flags; ``options`` go to it.

        Building it never blocks: ``initialize`` (run by ``api.set_provider``) does the
        bounded wait for the first configuration.

        >>> api.set_provider(AppFlagsProvider.from_appconfig("shop", "prod", "flags"))
        """
        flags = Flags.from_appconfig(application, environment, profile, wait=0, **options)
        provider = cls(flags, wait=wait, targeting_key_as=targeting_key_as)
        provider._owns_flags = True
        return provider

    @property
    def flags(self) -> Flags:
        """The flags this provider answers from."""
        return self._flags

    # ------------------------------------------------------------------ life cycle

    def get_metadata(self) -> Metadata:
        """The provider's name, ``appflags``."""
        return _METADATA

    def get_provider_hooks(self) -> list[Hook]:
        """No hooks: the provider needs none."""
        return []

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Subscribe to the flags and wait (bounded) for the first configuration.

        Raises :class:`~openfeature.exception.ProviderNotReadyError` when no flags loaded
        within ``wait`` seconds; the provider keeps listening and reports
        ``PROVIDER_READY`` when they do.
        """
        with self._lock:
            self._announcing = False  # the SDK announces the outcome of initialize itself
            self._loaded.clear()
            if self._unsubscribe is None:
                self._unsubscribe = self._flags.on_change(self._on_change)
        # Checked after subscribing, so flags arriving in between are not missed.
        if self._flags.state is State.NOT_READY:
            self._loaded.wait(self._wait)
        with self._lock:
            self._announcing = True
            state = self._flags.state
        if state is State.NOT_READY:
            raise ProviderNotReadyError(
                f"no flags loaded within {self._wait:g} s; "
                "the provider reports PROVIDER_READY when they arrive"
            )

    def shutdown(self) -> None:
        """Stop listening to the flags; close them only if this provider built them."""
        with self._lock:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            self._announcing = False
            self._loaded.set()  # an initialize still waiting gives up now
        if unsubscribe is not None:
            unsubscribe()
        if self._owns_flags:
            self._flags.close()

    def _on_change(self, change: Change) -> None:
        # Runs on the flags' poller thread.
        if change.state is not State.NOT_READY:
            self._loaded.set()
        with self._lock:
            if not self._announcing:
                return
            self._announce(change)

    def _announce(self, change: Change) -> None:
        state, previous, version = change.state, change.previous_state, change.version
        metadata: dict[str, bool | str | int | float] = {}
        if version is not None:
            metadata["version"] = version
        if state is State.READY and previous is not State.READY:
            self.emit_provider_ready(ProviderEventDetails(metadata=metadata))
        elif state is State.STALE and previous is not State.STALE:
            message = (
                "AppConfig cannot be polled or its latest document was rejected; "
                "serving the last good flags"
            )
            self.emit_provider_stale(ProviderEventDetails(message=message, metadata=metadata))
        if change.changed_keys and previous is not State.NOT_READY:
            details = ProviderEventDetails(
                flags_changed=sorted(change.changed_keys), metadata=metadata
            )
            self.emit_provider_configuration_changed(details)

    # ------------------------------------------------------------------- resolvers

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,  # noqa: FBT001 - the OpenFeature SDK's signature
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """The boolean flag ``flag_key``; never another type (``1`` is no ``True``)."""
        return self._resolve(flag_key, default_value, evaluation_context)

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """The string flag ``flag_key``."""
        return self._resolve(flag_key, default_value, evaluation_context)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """The integer flag ``flag_key``; a boolean never answers (``True`` is no ``1``)."""
        return self._resolve(flag_key, default_value, evaluation_context)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """The number flag ``flag_key`` as a float (an integer answers as well)."""
        if type(default_value) is int:
            default_value = float(default_value)  # an int default must not ask for an int
        return self._resolve(flag_key, default_value, evaluation_context)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        """The object (or list) flag ``flag_key``, as a copy the caller may change."""
        if isinstance(default_value, dict | list):
            return self._resolve(flag_key, default_value, evaluation_context)
        # A default of another kind (None, a read-only mapping) would not tell Flags to
        # expect an object: ask with a probe and hand back the caller's default instead.
        probe: dict[str, Any] = {}
        details: FlagResolutionDetails[Any] = self._resolve(flag_key, probe, evaluation_context)
        if details.value is probe:
            details.value = default_value
        return details

    def _resolve(
        self, flag_key: str, default_value: T, evaluation_context: EvaluationContext | None
    ) -> FlagResolutionDetails[T]:
        flags = self._flags
        try:
            evaluation = flags.evaluate(flag_key, default_value, self._context(evaluation_context))
            # Positional: half the cost of keywords on this path (value, error_code,
            # error_message, reason, variant, flag_metadata).
            return FlagResolutionDetails(
                evaluation.value,
                _ERRORS[evaluation.error_code],
                evaluation.error_message,
                _REASONS[evaluation.reason],
                evaluation.variant,
                flags.metadata(flag_key),
            )
        except Exception as exc:  # noqa: BLE001 - a resolver never raises (spec 2.3.x)
            return FlagResolutionDetails(
                value=default_value,
                error_code=ErrorCode.GENERAL,
                error_message=f"evaluation failed: {type(exc).__name__}",
                reason=Reason.ERROR,
            )

    def _context(self, evaluation_context: EvaluationContext | None) -> Mapping[str, Any] | None:
        if evaluation_context is None:
            return None
        attributes = evaluation_context.attributes
        targeting_key = evaluation_context.targeting_key
        if targeting_key is None:
            return attributes
        return {**attributes, self._targeting_key_as: targeting_key}
