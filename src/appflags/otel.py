"""OpenTelemetry metrics for :class:`~appflags.Flags` (``pip install 'appflags[otel]'``).

>>> from appflags.otel import instrument
>>> flags = Flags.from_appconfig("shop", "prod", "flags", track_usage=True)
>>> stop = instrument(flags)   # the global MeterProvider, or meter_provider=...

Every instrument is *observable*: its value is read from :meth:`Flags.usage` and the
flags' state when the metrics are collected (by your exporter's reader), so lookups pay
nothing for it. Attributes follow OpenTelemetry's feature-flag conventions
(``feature_flag.key``, ``feature_flag.result.variant``, ``feature_flag.result.reason``,
``error.type``, ``feature_flag.provider.name``, ``feature_flag.version``); context values
never become attributes. ``appflags.source`` names the profile (``appconfigdata:app/env/
profile``, ``agent:...``, ``file:...``, or ``static``).

Instruments (meter ``appflags``):

- ``appflags.evaluations`` (counter): lookups per key, variant, reason and error type;
  needs ``track_usage=True``.
- ``appflags.missing_keys`` (counter): lookups of keys the document lacks, per key.
- ``appflags.poll.failures`` (counter): failed polls.
- ``appflags.data.age`` (gauge, seconds): time since a poll last succeeded.
- ``appflags.state`` (gauge): 1 for the current state (``appflags.state`` attribute:
  ``NOT_READY``, ``READY``, ``STALE``), 0 for the others, with the version served.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from appflags._extras import require_extra

require_extra("opentelemetry.metrics", "otel")

from opentelemetry import metrics  # noqa: E402 - after the check naming the extra
from opentelemetry.metrics import CallbackOptions, Observation  # noqa: E402

from appflags._flags import Flags  # noqa: E402
from appflags._log import logger  # noqa: E402
from appflags._state import State  # noqa: E402
from appflags._usage import safe_now  # noqa: E402
from appflags._version import __version__  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["instrument"]

METER_NAME = "appflags"
PROVIDER_NAME = "appflags"


class _Instruments:
    """One set of instruments per meter provider, observing every instrumented Flags."""

    def __init__(self, provider: metrics.MeterProvider) -> None:
        # Each Flags observed, with how many instrument() calls have not stopped yet.
        self.flags: weakref.WeakKeyDictionary[Flags, int] = weakref.WeakKeyDictionary()
        meter = provider.get_meter(METER_NAME, __version__)
        meter.create_observable_counter(
            "appflags.evaluations",
            callbacks=[self._evaluations],
            unit="{evaluation}",
            description="Flag lookups per key, variant, reason and error type "
            "(Flags built with track_usage=True)",
        )
        meter.create_observable_counter(
            "appflags.missing_keys",
            callbacks=[self._missing],
            unit="{lookup}",
            description="Lookups of keys the flag document does not have",
        )
        meter.create_observable_counter(
            "appflags.poll.failures",
            callbacks=[self._failures],
            unit="{poll}",
            description="Polls of the flag source that failed",
        )
        meter.create_observable_gauge(
            "appflags.data.age",
            callbacks=[self._age],
            unit="s",
            description="Seconds since a poll of the flag source last succeeded",
        )
        meter.create_observable_gauge(
            "appflags.state",
            callbacks=[self._state],
            unit="1",
            description="1 for the flags' current state, 0 for the others",
        )

    def _each(self) -> Iterator[tuple[Flags, dict[str, Any]]]:
        return (
            (f, {"appflags.source": f.status().source_name or "static"}) for f in list(self.flags)
        )

    def _observe(
        self, read: Callable[[Flags, dict[str, Any]], Iterable[Observation]]
    ) -> list[Observation]:
        # Each Flags is read on its own: one failing must not take the others' metrics
        # down (the SDK drops everything a callback yields once it raises).
        found: list[Observation] = []
        for flags, base in self._each():
            try:
                found.extend(read(flags, base))
            except Exception as exc:  # noqa: BLE001 - collection must go on for the others
                logger.error(
                    "appflags.metrics_failed", source=base["appflags.source"], error=repr(exc)
                )
        return found

    def _evaluations(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._observe(self._evaluations_of)

    @staticmethod
    def _evaluations_of(flags: Flags, base: dict[str, Any]) -> Iterator[Observation]:
        for counted in flags.usage().evaluations:
            attributes = {
                **base,
                "feature_flag.key": counted.key,
                "feature_flag.provider.name": PROVIDER_NAME,
                "feature_flag.result.reason": counted.reason.value.lower(),
            }
            if counted.variant is not None:
                attributes["feature_flag.result.variant"] = counted.variant
            if counted.error_code is not None:
                attributes["error.type"] = counted.error_code.value.lower()
            yield Observation(counted.count, attributes)

    def _missing(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._observe(
            lambda flags, base: (
                Observation(m.count, {**base, "feature_flag.key": m.key})
                for m in flags.usage().missing
            )
        )

    def _failures(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._observe(lambda flags, base: [Observation(flags.usage().failed_polls, base)])

    def _age(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._observe(self._age_of)

    @staticmethod
    def _age_of(flags: Flags, base: dict[str, Any]) -> Iterator[Observation]:
        last = flags.usage().last_fetched
        if last is not None:
            yield Observation((safe_now(flags.clock) - last).total_seconds(), base)

    def _state(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._observe(self._state_of)

    @staticmethod
    def _state_of(flags: Flags, base: dict[str, Any]) -> Iterator[Observation]:
        status = flags.status()  # one reading: state and version of the same moment
        current, version = status.state, status.version
        for state in State:
            attributes = {**base, "appflags.state": state.value}
            if version is not None:
                attributes["feature_flag.version"] = version
            yield Observation(1 if state is current else 0, attributes)


_lock = threading.Lock()
_registry: dict[int, tuple[metrics.MeterProvider, _Instruments]] = {}


def instrument(
    flags: Flags, *, meter_provider: metrics.MeterProvider | None = None
) -> Callable[[], None]:
    """Export ``flags``' usage and poll health through OpenTelemetry metrics.

    ``meter_provider`` defaults to the global one. Instruments are created once per
    provider and observe every ``Flags`` instrumented with it (told apart by the
    ``appflags.source`` attribute); a ``Flags`` is held weakly. Returns a function that
    stops observing ``flags``, unless another ``instrument(flags)`` call has not been
    stopped (each call is stopped by its own function; calling it again does nothing).

    Raises ``TypeError`` when ``flags`` is not a :class:`~appflags.Flags` (an OpenFeature
    provider, say: instrument the ``Flags`` it serves) or ``meter_provider`` is not an
    OpenTelemetry ``MeterProvider``; nothing is registered then.
    """
    if not isinstance(flags, Flags):
        hint = " (instrument the Flags it serves)" if hasattr(flags, "get_metadata") else ""
        raise TypeError(f"flags must be an appflags.Flags{hint}, got {type(flags).__name__}")
    if meter_provider is not None and not isinstance(meter_provider, metrics.MeterProvider):
        raise TypeError(
            "meter_provider must be an opentelemetry MeterProvider, "
            f"got {type(meter_provider).__name__}"
        )
    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    with _lock:
        entry = _registry.get(id(provider))
        if entry is None or entry[0] is not provider:
            entry = (provider, _Instruments(provider))
            _registry[id(provider)] = entry
        instruments = entry[1]
        instruments.flags[flags] = instruments.flags.get(flags, 0) + 1
    held = weakref.ref(flags)  # the returned function must not keep the flags alive
    stopped = False

    def stop() -> None:
        nonlocal stopped
        target = held()
        with _lock:
            if stopped or target is None:
                return
            stopped = True
            # Another instrument() call for the same flags keeps observing them.
            left = instruments.flags.pop(target, 1) - 1
            if left:
                instruments.flags[target] = left

    return stop
