"""Provider events, subscribed through the OpenFeature SDK while LocalAppConfig deploys new
versions and injects failures (real boto3 over real HTTP)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode, ProviderFatalError, ProviderNotReadyError
from openfeature.provider import ProviderStatus
from openfeature.provider.in_memory_provider import InMemoryProvider

from _support import APP, wait_for
from appflags import Flags, State
from appflags.openfeature import AppFlagsProvider
from appflags.testing import Fault, LocalAppConfig


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
    server.put(*APP, flagd("hello"), version_label="v1")
    events = Events("events")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client)
    api.set_provider_and_wait(provider, "events")
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"

    # A new version: the keys whose answers (or metadata) changed, nothing else.
    server.put(*APP, flagd("bonjour", owner="mobile"), version_label="v2")
    changed = events.wait(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert changed.flags_changed == ["banner", "dark-mode"]
    assert changed.metadata == {"version": "v2"}
    assert events.client.get_string_value("banner", "") == "bonjour"
    assert events.client.get_boolean_details("dark-mode", True).flag_metadata == {
        "owner": "mobile",
        "version": "v2",
    }

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
    broken["flags"]["banner"]["state"] = "ON"  # flagd's schema rejects the document
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
    server.put(*APP, flagd("hello"))
    server.inject(Fault.SERVER_ERROR, times=-1, call="StartConfigurationSession")
    events = Events("late")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=0.5)
    started = time.monotonic()
    with pytest.raises(ProviderNotReadyError) as failed:
        api.set_provider_and_wait(provider, "late")
    assert time.monotonic() - started < 3  # the wait is bounded
    # The error names its cause, as the SDK's PROVIDER_ERROR event does.
    assert "StartConfigurationSession: InternalServerException (HTTP 500)" in str(failed.value)
    error = events.wait(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code == ErrorCode.PROVIDER_NOT_READY
    assert "InternalServerException" in (error.message or "")
    assert events.status() is ProviderStatus.ERROR
    assert (
        events.client.get_string_details("banner", "dflt").error_code
        == ErrorCode.PROVIDER_NOT_READY
    )

    server.clear_faults()
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"
    assert ProviderEvent.PROVIDER_CONFIGURATION_CHANGED not in events.names()


def test_a_profile_that_does_not_exist_is_fatal(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    events = Events("missing")
    # The profile does not exist: StartConfigurationSession answers 404. No retry can
    # fix that, so initialize fails at once (well within wait) with PROVIDER_FATAL.
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=30)
    started = time.monotonic()
    with pytest.raises(ProviderFatalError) as failed:
        api.set_provider_and_wait(provider, "missing")
    assert time.monotonic() - started < 10
    assert "ResourceNotFoundException (HTTP 404, ConfigurationProfile)" in str(failed.value)
    assert "appconfigdata:shop/prod/flags" in str(failed.value)
    error = events.wait(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code == ErrorCode.PROVIDER_FATAL
    assert events.status() is ProviderStatus.FATAL
    details = events.client.get_string_details("banner", "dflt")
    assert (details.value, details.error_code) == ("dflt", ErrorCode.PROVIDER_FATAL)
    assert provider.flags.refresh() is False  # its own flags stopped polling

    # Once the profile exists, registering the provider again starts afresh.
    server.put(*APP, flagd("hello"))
    api.set_provider_and_wait(provider, "missing")
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"


def test_a_404_for_nothing_deployed_yet_is_not_fatal(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    # AWS's ResourceNotFoundException names the missing resource's type; "Configuration"
    # (or "Deployment") may only mean the service started before its first deployment.
    server.put(*APP, flagd("hello"), version_label="v1")
    server.inject(Fault.NOT_FOUND, times=-1)
    events = Events("undeployed")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=1)
    with pytest.raises(ProviderNotReadyError):
        api.set_provider_and_wait(provider, "undeployed")
    assert events.status() is ProviderStatus.ERROR
    server.clear_faults()
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.client.get_string_value("banner", "") == "hello"


def test_shutdown_leaves_flags_it_does_not_own(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"), version_label="v1")
    with Flags.from_appconfig(*APP, client=client) as mine:
        provider = AppFlagsProvider(mine)
        api.set_provider_and_wait(provider, "borrowed")
        api.shutdown()
        assert mine.refresh() is True  # still polling
        emitted: list[Any] = []
        provider.attach(lambda _provider, event, _details: emitted.append(event))
        server.put(*APP, flagd("again"), version_label="v2")
        assert wait_for(lambda: mine.version == "v2")
        assert mine.get_str("banner", "") == "again"
        assert emitted == []  # the provider no longer listens to them

        # Registered again, it listens again (and leaves the flags open).
        events = Events("borrowed")
        api.set_provider_and_wait(provider, "borrowed")
        server.put(*APP, flagd("third"))
        assert events.wait(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED).flags_changed == ["banner"]
        # The first event may be the catch-up for v2 (seen while not listening): wait for v3.
        assert wait_for(lambda: events.client.get_string_value("banner", "") == "third")
        assert provider.flags is mine


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
    server.put(*APP, flagd("hello"))
    server.inject(Fault.SERVER_ERROR, times=-1, call="StartConfigurationSession")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=30)
    events = Events("waiting")
    api.set_provider(provider, "waiting")  # initialize runs on the SDK's thread
    assert events.status() is ProviderStatus.NOT_READY
    server.clear_faults()
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.names() == [ProviderEvent.PROVIDER_READY]  # once, from initialize returning
    assert events.client.get_string_value("banner", "") == "hello"


# ------------------------------------------------------- status follows Flags.state


def test_a_cold_start_from_a_backup_is_stale(
    server: LocalAppConfig, client: Any, tmp_path: Path, sdk: None
) -> None:
    backup = tmp_path / "flags.backup"
    server.put(*APP, flagd("saved"))
    with Flags.from_appconfig(*APP, client=client, backup=backup) as earlier:
        assert earlier.get_str("banner", "") == "saved"  # and saved to the backup

    # AppConfig is down at the next start: the backup answers, and the flags are STALE.
    server.inject(Fault.SERVER_ERROR, times=-1, call="StartConfigurationSession")
    events = Events("cold")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, backup=backup)
    api.set_provider_and_wait(provider, "cold")
    assert provider.flags.state is State.STALE
    stale = events.wait(ProviderEvent.PROVIDER_STALE)
    assert events.status() is ProviderStatus.STALE
    assert "appconfigdata:shop/prod/flags" in (stale.message or "")
    assert events.client.get_string_value("banner", "") == "saved"

    server.clear_faults()
    events.wait(ProviderEvent.PROVIDER_READY, count=2)
    assert events.status() is ProviderStatus.READY
    assert events.names() == [
        ProviderEvent.PROVIDER_READY,  # the SDK's, when initialize returned
        ProviderEvent.PROVIDER_STALE,
        ProviderEvent.PROVIDER_READY,
    ]


def test_a_failed_poll_while_the_sdk_records_ready_leaves_the_status_stale(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    class FailsAsInitializeReturns(AppFlagsProvider):
        def initialize(self, evaluation_context: Any) -> None:
            super().initialize(evaluation_context)
            # initialize has decided READY; a poll fails before the SDK records it.
            server.inject(Fault.SERVER_ERROR, times=-1)
            assert self.flags.refresh()
            assert self.flags.state is State.STALE

    server.put(*APP, flagd("hello"))
    events = Events("race")
    provider = FailsAsInitializeReturns(Flags.from_appconfig(*APP, client=client, wait=0))
    try:
        api.set_provider_and_wait(provider, "race")
        events.wait(ProviderEvent.PROVIDER_STALE)
        assert wait_for(lambda: events.status() is ProviderStatus.STALE)
        time.sleep(0.2)  # nothing may put it back to READY while the flags are STALE
        assert events.status() is ProviderStatus.STALE
        assert events.names() == [ProviderEvent.PROVIDER_READY, ProviderEvent.PROVIDER_STALE]
    finally:
        provider.flags.close()


def test_the_stale_message_names_the_source(tmp_path: Path, sdk: None) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(flagd("hello")))
    with Flags.from_file(path, watch=0.1) as flags:
        events = Events("file")
        api.set_provider_and_wait(AppFlagsProvider(flags), "file")
        path.unlink()
        stale = events.wait(ProviderEvent.PROVIDER_STALE)
        message = stale.message or ""
        assert f"file:{path}" in message
        assert "AppConfig" not in message
        assert events.client.get_string_value("banner", "") == "hello"


def test_the_stale_message_of_a_bootstrap_names_it(server: LocalAppConfig, sdk: None) -> None:
    # The first session is slow: the bootstrap= document answers meanwhile, STALE. The
    # message must say that, not that a backup file was restored (there is none).
    server.put(*APP, flagd("deployed"))
    server.slow_seconds = 2
    server.inject(Fault.SLOW, call="StartConfigurationSession")
    events = Events("bootstrap")
    provider = AppFlagsProvider.from_appconfig(
        *APP, client=server.client(), bootstrap=flagd("bundled")
    )
    api.set_provider_and_wait(provider, "bootstrap")
    message = events.wait(ProviderEvent.PROVIDER_STALE).message or ""
    assert "bootstrap" in message
    assert "backup" not in message
    assert "appconfigdata:shop/prod/flags" in message
    events.wait(ProviderEvent.PROVIDER_READY, count=2)
    assert events.client.get_string_value("banner", "") == "deployed"


# ------------------------------------------------------------- shutdown and re-use


def test_an_owned_provider_registered_again_polls_again(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"))
    events = Events("again")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client)
    first = provider.flags
    api.set_provider_and_wait(provider, "again")
    api.set_provider_and_wait(InMemoryProvider({}), "again")  # shuts the provider down
    assert wait_for(lambda: first.refresh() is False)  # its flags are closed

    api.set_provider_and_wait(provider, "again")
    assert provider.flags is not first  # spec 2.5.2: initialised afresh
    assert events.status() is ProviderStatus.READY
    assert events.client.get_string_value("banner", "") == "hello"
    server.put(*APP, flagd("bonjour"))
    changed = events.wait(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert changed.flags_changed == ["banner"]
    assert events.client.get_string_value("banner", "") == "bonjour"


def test_closed_flags_the_application_owns_fail_initialize(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    server.put(*APP, flagd("hello"))
    flags = Flags.from_appconfig(*APP, client=client)
    flags.close()
    events = Events("closed")
    with pytest.raises(ProviderFatalError, match="were closed"):
        api.set_provider_and_wait(AppFlagsProvider(flags), "closed")
    assert events.status() is ProviderStatus.FATAL
    assert flags.refresh() is False  # not reopened behind the application's back


def test_a_rejected_first_document_is_named_as_the_cause(
    server: LocalAppConfig, client: Any, sdk: None
) -> None:
    # The poll succeeded but the only version deployed cannot be read: initialize must
    # say so, not that no poll finished.
    server.put(*APP, b'{"flags": {"banner": ')
    events = Events("first-rejected")
    provider = AppFlagsProvider.from_appconfig(*APP, client=client, wait=0.5)
    with pytest.raises(ProviderNotReadyError) as failed:
        api.set_provider_and_wait(provider, "first-rejected")
    message = str(failed.value)
    assert "no poll finished yet" not in message
    assert "rejected" in message
    assert "appconfigdata:shop/prod/flags" in message
    assert "rejected" in (events.wait(ProviderEvent.PROVIDER_ERROR).message or "")

    server.put(*APP, flagd("fixed"))
    events.wait(ProviderEvent.PROVIDER_READY)
    assert events.client.get_string_value("banner", "") == "fixed"
