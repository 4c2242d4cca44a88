"""AppFlagsProvider's resolvers, context mapping and import isolation."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import ProviderStatus

from appflags import Flags
from appflags.openfeature import AppFlagsProvider
from openfeature import api

DOC: dict[str, Any] = {
    "metadata": {"flagSetId": "shop"},
    "flags": {
        "dark-mode": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "targetingKey"}, "user-1"]}, "on", None]},
            "metadata": {"owner": "web", "ticket": 42},
        },
        "greeting": {
            "state": "ENABLED",
            "variants": {"formal": "Good day", "casual": "Hi"},
            "defaultVariant": "casual",
            "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "formal", None]},
        },
        "page-size": {
            "state": "ENABLED",
            "variants": {"small": 10, "large": 50},
            "defaultVariant": "small",
        },
        "ratio": {
            "state": "ENABLED",
            "variants": {"some": 0.25, "all": 1},
            "defaultVariant": "all",
        },
        "theme": {
            "state": "ENABLED",
            "variants": {"light": {"bg": "white", "accents": ["blue"]}},
            "defaultVariant": "light",
        },
        "one": {"state": "ENABLED", "variants": {"one": 1, "two": 2}, "defaultVariant": "one"},
        "retired": {"state": "DISABLED", "variants": {"on": True}, "defaultVariant": "on"},
    },
}


@pytest.fixture
def provider() -> AppFlagsProvider:
    return AppFlagsProvider(Flags.from_dict(DOC))


@pytest.fixture
def sdk() -> Iterator[None]:
    yield
    api.shutdown()


def details(
    provider: AppFlagsProvider,
    kind: str,
    key: str,
    default: Any,
    context: EvaluationContext | None = None,
) -> FlagResolutionDetails[Any]:
    sync: FlagResolutionDetails[Any] = getattr(provider, f"resolve_{kind}_details")(
        key, default, context
    )
    asynchronous: FlagResolutionDetails[Any] = asyncio.run(
        getattr(provider, f"resolve_{kind}_details_async")(key, default, context)
    )
    assert asynchronous == sync  # the async resolvers answer exactly what the sync ones do
    return sync


@pytest.mark.parametrize(
    ("kind", "key", "default", "context", "value", "variant", "reason"),
    [
        (
            "boolean",
            "dark-mode",
            False,
            EvaluationContext("user-1"),
            True,
            "on",
            Reason.TARGETING_MATCH,
        ),
        ("boolean", "dark-mode", True, EvaluationContext("user-2"), False, "off", Reason.DEFAULT),
        (
            "string",
            "greeting",
            "",
            EvaluationContext(None, {"tier": "gold"}),
            "Good day",
            "formal",
            Reason.TARGETING_MATCH,
        ),
        ("string", "greeting", "", None, "Hi", "casual", Reason.DEFAULT),
        ("integer", "page-size", 0, None, 10, "small", Reason.STATIC),
        ("float", "ratio", 0.0, None, 1.0, "all", Reason.STATIC),
        ("float", "ratio", 0, None, 1.0, "all", Reason.STATIC),
        ("object", "theme", {}, None, {"bg": "white", "accents": ["blue"]}, "light", Reason.STATIC),
        (
            "object",
            "theme",
            None,
            None,
            {"bg": "white", "accents": ["blue"]},
            "light",
            Reason.STATIC,
        ),
    ],
)
def test_resolvers_report_value_variant_and_reason(
    provider: AppFlagsProvider,
    *,
    kind: str,
    key: str,
    default: Any,
    context: EvaluationContext | None,
    value: Any,
    variant: str,
    reason: Reason,
) -> None:
    result = details(provider, kind, key, default, context)
    assert (result.value, result.variant, result.reason) == (value, variant, reason)
    assert type(result.value) is type(value)
    assert result.error_code is None
    assert result.error_message is None


@pytest.mark.parametrize(
    ("kind", "key", "default", "code"),
    [
        ("boolean", "one", False, ErrorCode.TYPE_MISMATCH),  # 1 is no True
        ("integer", "dark-mode", 0, ErrorCode.TYPE_MISMATCH),  # True is no 1
        ("float", "dark-mode", 0.0, ErrorCode.TYPE_MISMATCH),
        ("string", "page-size", "", ErrorCode.TYPE_MISMATCH),
        ("object", "greeting", {}, ErrorCode.TYPE_MISMATCH),
        ("object", "greeting", None, ErrorCode.TYPE_MISMATCH),
        ("boolean", "nope", True, ErrorCode.FLAG_NOT_FOUND),
        ("integer", "nope", 7, ErrorCode.FLAG_NOT_FOUND),
    ],
)
def test_errors_answer_the_default_with_a_code(
    provider: AppFlagsProvider, kind: str, key: str, default: Any, code: ErrorCode
) -> None:
    result = details(provider, kind, key, default)
    assert result.value is default
    assert (result.reason, result.error_code) == (Reason.ERROR, code)
    assert result.error_message


def test_disabled_flags_answer_the_default(provider: AppFlagsProvider) -> None:
    result = details(provider, "boolean", "retired", False)
    assert (result.value, result.reason, result.error_code) == (False, Reason.DISABLED, None)


def test_flag_metadata_is_reported_truthfully(provider: AppFlagsProvider) -> None:
    assert dict(details(provider, "boolean", "dark-mode", False).flag_metadata) == {
        "flagSetId": "shop",
        "owner": "web",
        "ticket": 42,
    }
    assert dict(details(provider, "integer", "page-size", 0).flag_metadata) == {"flagSetId": "shop"}
    assert dict(details(provider, "integer", "nope", 0).flag_metadata) == {}


def test_objects_are_copies_the_caller_may_change(provider: AppFlagsProvider) -> None:
    first = details(provider, "object", "theme", {})
    first.value["accents"].append("red")
    assert details(provider, "object", "theme", {}).value == {"bg": "white", "accents": ["blue"]}


def test_targeting_key_and_attributes_become_the_rule_context() -> None:
    seen: list[Any] = []

    class Recorder(Flags):
        def evaluate(self, key: str, default: Any, context: Any = None) -> Any:
            seen.append(context)
            return super().evaluate(key, default, context)

    flags = Recorder.from_dict(DOC)
    AppFlagsProvider(flags).resolve_boolean_details(
        "dark-mode", False, EvaluationContext("user-1", {"tier": "gold", "targetingKey": "spoofed"})
    )
    AppFlagsProvider(flags).resolve_boolean_details(
        "dark-mode", False, EvaluationContext(None, {"a": 1})
    )
    AppFlagsProvider(flags).resolve_boolean_details("dark-mode", False, None)
    AppFlagsProvider(flags, targeting_key_as="user_id").resolve_boolean_details(
        "dark-mode", False, EvaluationContext("user-9")
    )
    assert seen == [
        {"tier": "gold", "targetingKey": "user-1"},  # the targeting key wins over an attribute
        {"a": 1},
        None,
        {"user_id": "user-9"},
    ]


def test_not_ready_flags_answer_provider_not_ready() -> None:
    result = AppFlagsProvider(Flags()).resolve_string_details("greeting", "hello")
    assert (result.value, result.reason, result.error_code) == (
        "hello",
        Reason.ERROR,
        ErrorCode.PROVIDER_NOT_READY,
    )


def test_resolvers_never_raise(provider: AppFlagsProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(provider.flags, "evaluate", broken)
    for kind, default in (
        ("boolean", True),
        ("string", "s"),
        ("integer", 1),
        ("float", 1.5),
        ("object", {}),
    ):
        result = details(provider, kind, "greeting", default)
        assert (result.value, result.reason, result.error_code) == (
            default,
            Reason.ERROR,
            ErrorCode.GENERAL,
        )


def test_through_the_sdk_client(provider: AppFlagsProvider, sdk: None) -> None:
    api.set_provider_and_wait(provider, "provider-test")
    client = api.get_client("provider-test")
    assert client.get_provider_status() is ProviderStatus.READY
    assert client.get_boolean_value("dark-mode", False, EvaluationContext("user-1")) is True
    assert client.get_integer_value("page-size", 0) == 10
    assert client.get_float_value("ratio", 0.0) == 1.0
    assert (
        client.get_string_value("greeting", "", EvaluationContext(None, {"tier": "gold"}))
        == "Good day"
    )
    assert client.get_object_value("theme", {}) == {"bg": "white", "accents": ["blue"]}
    mismatch = client.get_integer_details("dark-mode", 5)
    assert (mismatch.value, mismatch.error_code) == (5, ErrorCode.TYPE_MISMATCH)
    assert api.get_provider_metadata("provider-test").name == "appflags"


def test_importing_appflags_never_imports_openfeature() -> None:
    code = (
        "import sys, appflags, appflags.formats, appflags.testing\n"
        "doc = {'flags': {'f': {'state': 'ENABLED', 'variants': {'a': 1}}}}\n"
        "appflags.Flags.from_dict(doc).evaluate('f', 0)\n"
        "leaked = [m for m in sys.modules if m.split('.')[0] == 'openfeature']\n"
        "assert not leaked, leaked\n"
        "from appflags.openfeature import AppFlagsProvider\n"
        "assert 'openfeature' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
