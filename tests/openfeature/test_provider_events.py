"""Provider events, subscribed through the OpenFeature SDK while LocalAppConfig deploys new
versions and injects failures (real boto3 over real HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode, ProviderNotReadyError
from openfeature.provider import ProviderStatus

from _support import wait_for
from appflags import Flags
from appflags.openfeature import AppFlagsProvider
from appflags.testing import Fault, LocalAppConfig
from openfeature import api

APP = ("shop", "prod", "flags")


def flagd(banner: str, owner: str = "web") -> dict[str, Any]:
    return {
        "flags": {
            "banner": {"state": "ENABLED", "variants": {"v": banner}, "defaultVariant": "v"},
            "dark-mode": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "metadata": {"owner": owner},
            },
            "page-size": {"state": "ENABLED", "variants": {"n": 10}, "defaultVariant": "n"},
            "beta": {  # targeted, and the same in every version
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {
                    "if": [{"in": [{"var": "targetingKey"}, ["u-1", "u-2"]]}, "on", None]
                },
            },
        }
    }


class Events:
    """Every event the SDK delivers from AppFlagsProvider to one client's handlers, in order.

    Handlers added before a provider is bound also see the SDK's default (no-op) provider
    announce itself; those events are not the provider's and are left out.
    """

    def __init__(self, domain: str) -> None:
        self.client = api.get_client(domain)
        self.seen: list[tuple[ProviderEvent, EventDetails]] = []
        self._lock = threading.Lock()
        for event in ProviderEvent:
            self.client.add_handler(event, self._recorder(event))

    def _recorder(self, event: ProviderEvent) -> Any:
        def record(details: EventDetails) -> None:
            if details.provider_name != "appflags":
                return
            with self._lock:
                self.seen.append((event, details))

        return record

    def names(self) -> list[ProviderEvent]:
        with self._lock:
            return [event for event, _ in self.seen]

    def wait(self, event: ProviderEvent, count: int = 1, timeout: float = 10.0) -> EventDetails:
        assert wait_for(lambda: self.names().count(event) >= count, timeout), self.names()
        with self._lock:
            return [details for seen, details in self.seen if seen is event][count - 1]

    def status(self) -> ProviderStatus:
        return self.client.get_provider_status()


@pytest.fixture
def sdk() -> Iterator[None]:
    yield
    api.shutdown()


def test_ready_changed_stale_and_ready_again(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"))
    events = Events("events")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client)
    api.set_provider_and_wait(provider, "events")
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"

    # A new version: the keys whose answers (or metadata) changed, nothing else.
    server.put(*APP, flagd("bonjour", owner="mobile"))
    changed = events.wait(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert changed.flags_changed == ["banner", "dark-mode"]
    assert changed.metadata == {"version": "2"}
    assert events.client.get_string_value("banner", "") == "bonjour"
    assert events.client.get_boolean_details("dark-mode", True).flag_metadata == {"owner": "mobile"}

    # AppConfig fails: the last good flags keep answering, and the provider says so.
    server.inject(Fault.SERVER_ERROR, times=-1)
    events.wait(ProviderEvent.PROVIDER_STALE)
    assert events.status() is ProviderStatus.STALE
    assert events.client.get_string_value("banner", "") == "bonjour"

    # It recovers: READY again, and no spurious configuration change.
    server.clear_faults()
    events.wait(ProviderEvent.PROVIDER_READY, count=2)
    assert events.status() is ProviderStatus.READY
    assert events.names() == [
        ProviderEvent.PROVIDER_READY,
        ProviderEvent.PROVIDER_CONFIGURATION_CHANGED,
        ProviderEvent.PROVIDER_STALE,
        ProviderEvent.PROVIDER_READY,
    ]


def test_a_rejected_document_is_stale_until_a_good_one(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"))
    events = Events("rejected")
    api.set_provider_and_wait(AppFlagsProvider.from_appconfig(*APP, client=client), "rejected")
    broken = flagd("oops")
    broken["flags"]["banner"]["defaultVariant"] = "missing"
    server.put(*APP, broken)
    events.wait(ProviderEvent.PROVIDER_STALE)
    assert events.client.get_string_value("banner", "") == "hello"
    server.put(*APP, flagd("fixed"))
    events.wait(ProviderEvent.PROVIDER_READY, count=2)
    assert events.wait(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED).flags_changed == ["banner"]
    assert events.client.get_string_value("banner", "") == "fixed"


def test_error_when_nothing_loads_then_ready(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    events = Events("late")
    # The profile does not exist yet: StartConfigurationSession answers 404.
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=0.3)
    started = time.monotonic()
    with pytest.raises(ProviderNotReadyError):
        api.set_provider_and_wait(provider, "late")
    assert time.monotonic() - started < 3  # the wait is bounded
    error = events.wait(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code == ErrorCode.PROVIDER_NOT_READY
    assert events.status() is ProviderStatus.ERROR
    assert (
        events.client.get_string_details("banner", "dflt").error_code
        == ErrorCode.PROVIDER_NOT_READY
    )

    server.put(*APP, flagd("hello"))
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"
    assert ProviderEvent.PROVIDER_CONFIGURATION_CHANGED not in events.names()


def test_shutdown_leaves_flags_it_does_not_own(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"))
    with Flags.from_appconfig(*APP, client=client) as mine:
        provider = AppFlagsProvider(mine)
        api.set_provider_and_wait(provider, "borrowed")
        api.shutdown()
        assert mine.refresh() is True  # still polling
        emitted: list[Any] = []
        provider.attach(lambda _provider, event, _details: emitted.append(event))
        server.put(*APP, flagd("again"))
        assert wait_for(lambda: mine.version == "2")
        assert mine.get_str("banner", "") == "again"
        assert emitted == []  # the provider no longer listens to them


def test_shutdown_closes_flags_it_owns(server: LocalAppConfig, client: Any, sdk: None) -> None:
    server.put(*APP, flagd("hello"))
    provider = AppFlagsProvider.from_appconfig(*APP, client=client)
    api.set_provider_and_wait(provider, "owned")
    api.shutdown()
    assert provider.flags.refresh() is False  # closed: no more polling
    calls = server.calls("GetLatestConfiguration")
    time.sleep(1.5)  # more than one poll interval
    assert server.calls("GetLatestConfiguration") == calls
    assert provider.flags.get_str("banner", "") == "hello"  # lookups keep answering


def test_not_ready_while_initialize_waits(server: LocalAppConfig, client: Any, sdk: None) -> None:
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=30)
    events = Events("waiting")
    api.set_provider(provider, "waiting")  # initialize runs on the SDK's thread
    assert events.status() is ProviderStatus.NOT_READY
    server.put(*APP, flagd("hello"))
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.names() == [ProviderEvent.PROVIDER_READY]  # once, from initialize returning
    assert events.client.get_string_value("banner", "") == "hello"
