"""AppFlagsProvider's resolvers, context mapping and import isolation."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import ProviderStatus

from _support import GOLD_RULE
from appflags import Flags
from appflags.openfeature import AppFlagsProvider
from appflags.testing import LocalAppConfig

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
    assert details(provider, "boolean", "dark-mode", False).flag_metadata == {
        "flagSetId": "shop",
        "owner": "web",
        "ticket": 42,
    }
    assert details(provider, "integer", "page-size", 0).flag_metadata == {"flagSetId": "shop"}
    assert details(provider, "integer", "nope", 0).flag_metadata == {}  # no version label


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


# ------------------------------------------------------------ details as plain data


def test_details_copy_pickle_and_serialise(provider: AppFlagsProvider, sdk: None) -> None:
    api.set_provider_and_wait(provider, "plain")
    client = api.get_client("plain")
    evaluated = client.get_boolean_details("dark-mode", False, EvaluationContext("user-1"))
    resolved = provider.resolve_boolean_details("dark-mode", False, EvaluationContext("user-1"))
    expected = {"flagSetId": "shop", "owner": "web", "ticket": 42}
    for details in (evaluated, resolved):
        assert type(details.flag_metadata) is dict
        assert dataclasses.asdict(details)["flag_metadata"] == expected
        assert copy.deepcopy(details) == details
        assert pickle.loads(pickle.dumps(details)) == details  # noqa: S301 - our own bytes
        assert json.loads(json.dumps(details.flag_metadata)) == expected

    # Each answer has its own copy: changing one changes neither the flags nor the next.
    evaluated.flag_metadata["owner"] = "someone else"  # type: ignore[index]  # a dict at run time
    assert provider.flags.metadata("dark-mode")["owner"] == "web"
    assert client.get_boolean_details("dark-mode", False).flag_metadata == expected


def test_flag_metadata_carries_the_version_label(server: LocalAppConfig, sdk: None) -> None:
    doc = copy.deepcopy(DOC)
    doc["flags"]["page-size"]["metadata"] = {"version": "from-the-document"}
    server.put("shop", "prod", "flags", doc, version_label="v7")
    provider = AppFlagsProvider.from_appconfig("shop", "prod", "flags", client=server.client())
    api.set_provider_and_wait(provider, "versioned")
    client = api.get_client("versioned")
    assert client.get_boolean_details("dark-mode", False).flag_metadata == {
        "flagSetId": "shop",
        "owner": "web",
        "ticket": 42,
        "version": "v7",
    }
    assert client.get_string_details("greeting", "").flag_metadata == {
        "flagSetId": "shop",
        "version": "v7",
    }
    # The document's own version wins over the label.
    assert client.get_integer_details("page-size", 0).flag_metadata["version"] == (
        "from-the-document"
    )
    # What OpenTelemetry's feature_flag.version is read from.
    assert client.get_integer_details("nope", 0).flag_metadata == {"version": "v7"}


# ------------------------------------------------------------------ type checks


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("boolean", "dark-mode", False),
        ("integer", "page-size", 10),
        ("float", "ratio", 1.0),
        ("float", "page-size", 10.0),
        ("string", "greeting", "Hi"),
    ],
)
def test_a_none_default_still_answers_the_resolvers_type(
    provider: AppFlagsProvider, kind: str, key: str, value: Any
) -> None:
    result = details(provider, kind, key, None)
    assert result.value == value
    assert type(result.value) is type(value)
    assert result.error_code is None


@pytest.mark.parametrize(
    ("kind", "key", "default"),
    [
        ("integer", "dark-mode", None),  # True is no integer, whatever the default
        ("integer", "dark-mode", False),
        ("boolean", "one", None),  # 1 is no boolean
        ("boolean", "one", 0),
        ("float", "dark-mode", None),
        ("string", "page-size", None),
        ("object", "page-size", None),
    ],
)
def test_a_default_of_another_type_lets_no_other_type_through(
    provider: AppFlagsProvider, kind: str, key: str, default: Any
) -> None:
    result = details(provider, kind, key, default)
    assert result.value is default
    assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.TYPE_MISMATCH)


def test_a_default_of_another_type_answers_when_the_flag_cannot(
    provider: AppFlagsProvider,
) -> None:
    for kind in ("boolean", "integer", "float", "string", "object"):
        missing = details(provider, kind, "nope", None)
        assert (missing.value, missing.error_code) == (None, ErrorCode.FLAG_NOT_FOUND)
    disabled = details(provider, "boolean", "retired", None)
    assert (disabled.value, disabled.reason, disabled.error_code) == (None, Reason.DISABLED, None)


def test_value_and_metadata_come_from_one_snapshot() -> None:
    old = Flags.from_dict(DOC)
    new_doc = copy.deepcopy(DOC)
    new_doc["flags"]["greeting"]["defaultVariant"] = "formal"
    new_doc["flags"]["greeting"]["metadata"] = {"owner": "new"}
    new = Flags.from_dict(new_doc)

    class SwappedDuringEvaluate(Flags):
        swaps = 1

        def evaluate(self, key: str, default: Any, context: Any = None) -> Any:
            answer = super().evaluate(key, default, context)
            if self.swaps:  # a new version lands right after the value was read
                self.swaps -= 1
                self._snapshot = new._snapshot
            return answer

    flags = SwappedDuringEvaluate.from_dict(DOC)
    result = AppFlagsProvider(flags).resolve_string_details("greeting", "")
    assert (result.value, result.flag_metadata) == (
        "Good day",
        {"flagSetId": "shop", "owner": "new"},
    )
    assert old.get_str("greeting", "") == "Hi"


# ------------------------------------------------------------- metadata, track


def test_each_provider_has_its_own_metadata(sdk: None) -> None:
    first, second = AppFlagsProvider(Flags.from_dict(DOC)), AppFlagsProvider(Flags.from_dict(DOC))
    assert first.get_metadata() is not second.get_metadata()
    first.get_metadata().name = "changed"
    assert second.get_metadata().name == "appflags"
    named = AppFlagsProvider(Flags.from_dict(DOC), name="checkout-flags")
    api.set_provider_and_wait(named, "named")
    assert api.get_provider_metadata("named").name == "checkout-flags"
    assert api.get_client("named").get_boolean_details("dark-mode", True).value is False


def test_track_is_accepted_and_ignored(provider: AppFlagsProvider, sdk: None) -> None:
    api.set_provider_and_wait(provider, "tracking")
    client = api.get_client("tracking")
    client.track("checkout-completed", EvaluationContext("user-1"))
    assert client.get_boolean_value("dark-mode", False, EvaluationContext("user-1")) is True


# --------------------------------------------- the evaluation context reaches the rules

POWERTOOLS_DOC: dict[str, Any] = {
    "premium": {
        "default": False,
        "rules": {
            "gold users": GOLD_RULE,
            "beta testers": {
                "when_match": True,
                "conditions": [{"action": "IN", "key": "user_id", "value": ["u-7", "u-8"]}],
            },
        },
    }
}


def test_the_merged_evaluation_context_reaches_the_rules(sdk: None) -> None:
    # API-level attributes, merged by the SDK with the invocation's targeting key.
    provider = AppFlagsProvider(
        Flags.from_dict(POWERTOOLS_DOC, format="powertools"), targeting_key_as="user_id"
    )
    api.set_provider_and_wait(provider, "contexts")
    client = api.get_client("contexts")
    assert client.get_boolean_value("premium", False) is False
    assert client.get_boolean_value("premium", False, EvaluationContext("u-7")) is True
    assert client.get_boolean_value("premium", False, EvaluationContext("u-1")) is False
    api.set_evaluation_context(EvaluationContext(None, {"tier": "gold"}))
    try:
        gold = client.get_boolean_details("premium", False, EvaluationContext("u-1"))
        assert (gold.value, gold.variant, gold.reason) == (True, "gold users", "TARGETING_MATCH")
    finally:
        api.set_evaluation_context(EvaluationContext())


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"wait": float("nan")}, ValueError),  # used to make initialize wait forever
        ({"wait": float("inf")}, ValueError),
        ({"wait": -1}, ValueError),
        ({"wait": "5"}, TypeError),  # used to fail only in initialize
        ({"wait": None}, TypeError),
        ({"wait": True}, TypeError),
        ({"targeting_key_as": 1}, TypeError),
        ({"name": None}, TypeError),
    ],
)
def test_options_are_checked_when_the_provider_is_built(
    server: LocalAppConfig, options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error), Flags.from_dict(DOC) as flags:
        AppFlagsProvider(flags, **options)
    with pytest.raises(error):
        AppFlagsProvider.from_appconfig("shop", "prod", "flags", client=server.client(), **options)


@pytest.mark.parametrize("key", [None, 1, b"greeting", ["greeting"], {"k": 1}])
@pytest.mark.parametrize("kind", ["boolean", "string", "integer", "float", "object"])
def test_a_key_that_is_no_string_is_not_found(
    provider: AppFlagsProvider, kind: str, key: Any
) -> None:
    # Flags answers FLAG_NOT_FOUND for any key that is no string; the provider must not
    # turn an unhashable one into GENERAL on its way.
    result = details(provider, kind, key, None)
    assert (result.value, result.reason, result.error_code) == (
        None,
        Reason.ERROR,
        ErrorCode.FLAG_NOT_FOUND,
    )
