"""OpenFeature's official gherkin scenarios, run against AppFlagsProvider.

The feature files and flag definitions are vendored in ``tests/conformance/openfeature/``
(copies of open-feature/spec's ``specification/assets/gherkin``; ``test-flags.json`` holds
the same flags in the flagd format, which the provider loads; its README names the commit).

Excluded scenarios are marked skipped with their reason (tests/_openfeature_bdd.py; and
docs/openfeature.md lists them).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ProviderFatalError, ProviderNotReadyError
from openfeature.flag_evaluation import FlagEvaluationDetails, FlagEvaluationOptions
from openfeature.hook import Hook, HookContext, HookHints
from openfeature.provider import ProviderStatus
from pytest_bdd import given, parsers, scenarios, then, when

from _openfeature_bdd import CONFORMANCE, FEATURES
from _support import wait_for
from appflags import Flags, State
from appflags.openfeature import AppFlagsProvider
from appflags.testing import Fault

if TYPE_CHECKING:
    from collections.abc import Iterator

    from openfeature.client import OpenFeatureClient

scenarios(*(str(CONFORMANCE / name) for name in FEATURES))


_WORLD: dict[str, Any] = {}
"""What the steps of the running scenario share."""


@pytest.fixture(autouse=True)
def _fresh_world() -> Iterator[None]:
    _WORLD.clear()
    _WORLD.update(context={}, targeting_key=None)
    yield
    _WORLD.clear()
    api.shutdown()  # providers shut down, handlers and hooks cleared


def _client() -> OpenFeatureClient:
    return api.get_client()


# ------------------------------------------------------------------------ values


def _unescape(text: str) -> str:
    # Gherkin tables keep \" as written; the JSON inside them needs plain quotes.
    return text.replace('\\"', '"')


def _typed(kind: str, text: str) -> Any:
    kind = kind.lower()
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "object":
        return json.loads(_unescape(text))
    return text


def _evaluate(kind: str, key: str, default: Any, **options: Any) -> FlagEvaluationDetails[Any]:
    context = EvaluationContext(_WORLD["targeting_key"], dict(_WORLD["context"]))
    method = getattr(_client(), f"get_{kind.lower()}_details")
    details: FlagEvaluationDetails[Any] = method(key, default, context, **options)
    return details


# ---------------------------------------------------------------------- providers


@pytest.fixture
def stable_flags() -> Flags:
    """The conformance flags, in the flagd format, from the vendored test-flags.json."""
    return Flags.from_file(CONFORMANCE / "test-flags.json", format="flagd")


@given(parsers.re(r"a (?P<status>stable|not ready|error|fatal|stale) provider"))
def a_provider(status: str, request: pytest.FixtureRequest) -> None:
    if status == "stable":
        api.set_provider_and_wait(AppFlagsProvider(request.getfixturevalue("stable_flags")))
    elif status == "not ready":
        # Flags that never load: initialize is still waiting, so the status is NOT_READY.
        api.set_provider(AppFlagsProvider(Flags(), wait=60))
    elif status == "error":
        # Nothing loads within the bounded wait: initialize fails, the status is ERROR.
        with pytest.raises(ProviderNotReadyError):
            api.set_provider_and_wait(AppFlagsProvider(Flags(), wait=0))
    elif status == "stale":
        server = request.getfixturevalue("server")
        doc = json.loads((CONFORMANCE / "test-flags.json").read_text(encoding="utf-8"))
        server.put("conformance", "test", "flags", doc)
        provider = AppFlagsProvider.from_appconfig(
            "conformance", "test", "flags", client=request.getfixturevalue("client")
        )
        api.set_provider_and_wait(provider)
        server.inject(Fault.SERVER_ERROR, times=-1)
        assert wait_for(lambda: provider.flags.state is State.STALE)
        assert wait_for(lambda: _client().get_provider_status() is ProviderStatus.STALE)
    else:
        # AppConfig answers 404 for a profile that does not exist: no retry can fix that.
        provider = AppFlagsProvider.from_appconfig(
            "conformance", "test", "missing", client=request.getfixturevalue("client")
        )
        with pytest.raises(ProviderFatalError):
            api.set_provider_and_wait(provider)


@then(parsers.parse('the provider status should be "{status}"'))
def provider_status(status: str) -> None:
    assert _client().get_provider_status() == ProviderStatus(status)


# ------------------------------------------------------- evaluation_v2 / metadata


@given(
    parsers.re(
        r'an? (?P<kind>\w+)-flag with key "(?P<key>[^"]*)" and a fallback value "(?P<default>.*)"'
    )
)
def a_flag(kind: str, key: str, default: str) -> None:
    _WORLD.update(kind=kind, key=key, default=_typed(kind, default))


@given(
    parsers.re(
        r'a context containing a key "(?P<key>[^"]*)", with type "(?P<kind>\w+)" '
        r'and with value "(?P<value>[^"]*)"'
    )
)
def a_context_value(key: str, kind: str, value: str) -> None:
    _WORLD["context"][key] = _typed(kind, value)


@given(parsers.parse('a context containing a key "{key}" with null value'))
def a_null_context_value(key: str) -> None:
    _WORLD["context"][key] = None


@when("the flag was evaluated with details")
def evaluated_with_details() -> None:
    _WORLD["details"] = _evaluate(_WORLD["kind"], _WORLD["key"], _WORLD["default"])


@when("the flag was evaluated with details asynchronously")
def evaluated_asynchronously() -> None:
    method = getattr(_client(), f"get_{_WORLD['kind'].lower()}_details_async")
    context = EvaluationContext(_WORLD["targeting_key"], dict(_WORLD["context"]))
    started = time.monotonic()
    _WORLD["details"] = asyncio.run(method(_WORLD["key"], _WORLD["default"], context))
    _WORLD["elapsed"] = time.monotonic() - started


@then("the evaluation should complete without blocking")
def completed_without_blocking() -> None:
    assert isinstance(_WORLD["details"], FlagEvaluationDetails)
    assert _WORLD["elapsed"] < 1.0  # in-process: no I/O, nothing to wait for


@then(parsers.re(r'the resolved details value should be "(?P<value>.*)"'))
def resolved_value(value: str) -> None:
    assert _WORLD["details"].value == _typed(_WORLD["kind"], value)


@then(parsers.re(r'the reason should be "(?P<reason>[^"]*)"'))
def reason_is(reason: str) -> None:
    assert _WORLD["details"].reason == reason


@then(parsers.re(r'the error-code should be "(?P<code>[^"]*)"'))
def error_code_is(code: str) -> None:
    error_code = _WORLD["details"].error_code
    assert (error_code or "") == code


@then(parsers.re(r'the flag key should be "(?P<key>[^"]*)"'))
def flag_key_is(key: str) -> None:
    assert _WORLD["details"].flag_key == key


@then(parsers.re(r'the variant should be "(?P<variant>[^"]*)"$'))
def variant_is(variant: str) -> None:
    assert _WORLD["details"].variant == variant


@then("the resolved metadata should contain")
def metadata_contains(datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["key", "metadata_type", "value"]
    metadata = _WORLD["details"].flag_metadata
    for key, kind, value in rows:
        expected = _typed(kind, value)
        assert metadata[key] == expected
        assert type(metadata[key]) is type(expected)


@then("the resolved metadata is empty")
def metadata_is_empty() -> None:
    assert dict(_WORLD["details"].flag_metadata) == {}


class _Recorder(Hook):
    def __init__(self, name: str, calls: list[tuple[str, str]]) -> None:
        self.name, self.calls = name, calls

    def before(self, hook_context: HookContext, hints: HookHints) -> EvaluationContext | None:
        self.calls.append(("before", self.name))
        return None

    def after(
        self, hook_context: HookContext, details: FlagEvaluationDetails[Any], hints: HookHints
    ) -> None:
        self.calls.append(("after", self.name))


@given("evaluation options containing specific hooks")
def options_with_hooks() -> None:
    calls: list[tuple[str, str]] = []
    _WORLD["calls"] = calls
    _WORLD["options"] = FlagEvaluationOptions(hooks=[_Recorder("1", calls), _Recorder("2", calls)])


@when("the flag was evaluated with details using the evaluation options")
def evaluated_with_options() -> None:
    _WORLD["details"] = _evaluate(
        _WORLD["kind"],
        _WORLD["key"],
        _WORLD["default"],
        flag_evaluation_options=_WORLD["options"],
    )


@then("the specified hooks should execute during evaluation")
def hooks_executed() -> None:
    assert set(_WORLD["calls"]) == {
        ("before", "1"),
        ("before", "2"),
        ("after", "1"),
        ("after", "2"),
    }
    assert _WORLD["details"].value is True


@then("the hook order should be maintained")
def hook_order() -> None:
    # Before hooks run in order, after hooks in reverse order (spec 4.4.2).
    assert _WORLD["calls"] == [("before", "1"), ("before", "2"), ("after", "2"), ("after", "1")]


# ---------------------------------------------- the classic (deprecated) evaluation feature


@when(
    parsers.re(
        r'an? (?P<kind>boolean|string|integer|float) flag with key "(?P<key>[^"]*)" '
        r'is evaluated with default value "?(?P<default>[^"]*)"?$'
    )
)
def classic_value(kind: str, key: str, default: str) -> None:
    _WORLD.update(kind=kind, key=key, details=_evaluate(kind, key, _typed(kind, default)))


@when(
    parsers.re(
        r'an? (?P<kind>boolean|string|integer|float) flag with key "(?P<key>[^"]*)" '
        r'is evaluated with details and default value "?(?P<default>[^"]*)"?$'
    )
)
def classic_details(kind: str, key: str, default: str) -> None:
    _WORLD.update(kind=kind, key=key, details=_evaluate(kind, key, _typed(kind, default)))


@when(
    parsers.re(
        r'an object flag with key "(?P<key>[^"]*)" is evaluated '
        r"(?:with details and )?(?:with )?a null default value"
    )
)
def classic_object(key: str) -> None:
    _WORLD.update(kind="object", key=key, details=_evaluate("object", key, None))


@then(
    parsers.re(
        r'the resolved (?P<kind>boolean|string|integer|float) value should be "?(?P<value>[^"]*)"?$'
    )
)
def classic_resolved(kind: str, value: str) -> None:
    assert _WORLD["details"].value == _typed(kind, value)
    assert _WORLD["details"].error_code is None


@then(
    parsers.re(
        r"the resolved (?P<kind>boolean|string|integer|float) details value should be "
        r'"?(?P<value>[^",]*)"?, the variant should be "(?P<variant>[^"]*)", '
        r'and the reason should be "(?P<reason>[^"]*)"'
    )
)
def classic_resolved_details(kind: str, value: str, variant: str, reason: str) -> None:
    details = _WORLD["details"]
    assert (details.value, details.variant, details.reason) == (
        _typed(kind, value),
        variant,
        reason,
    )


@then(
    parsers.re(
        r"the resolved object (?:details )?value should be contain fields "
        r'"(?P<f1>[^"]*)", "(?P<f2>[^"]*)", and "(?P<f3>[^"]*)", with values '
        r'"(?P<v1>[^"]*)", "(?P<v2>[^"]*)" and (?P<v3>\d+), respectively'
    )
)
def classic_object_fields(*, f1: str, f2: str, f3: str, v1: str, v2: str, v3: str) -> None:
    value = _WORLD["details"].value
    assert value[f1] is _typed("boolean", v1)
    assert value[f2] == v2
    assert value[f3] == int(v3)


@then(
    parsers.re(
        r'the variant should be "(?P<variant>[^"]*)", and the reason should be "(?P<reason>[^"]*)"'
    )
)
def classic_variant_and_reason(variant: str, reason: str) -> None:
    assert (_WORLD["details"].variant, _WORLD["details"].reason) == (variant, reason)


@when(
    parsers.re(
        r'context contains keys "(?P<k1>[^"]*)", "(?P<k2>[^"]*)", "(?P<k3>[^"]*)", "(?P<k4>[^"]*)" '
        r'with values "(?P<v1>[^"]*)", "(?P<v2>[^"]*)", (?P<v3>\d+), "(?P<v4>[^"]*)"'
    )
)
def classic_context(
    *, k1: str, k2: str, k3: str, k4: str, v1: str, v2: str, v3: str, v4: str
) -> None:
    # The typed values the other SDKs' step definitions use: string, string, int, boolean.
    _WORLD["context"].update({k1: v1, k2: v2, k3: int(v3), k4: _typed("boolean", v4)})


@when(
    parsers.re(
        r'a flag with key "(?P<key>[^"]*)" is evaluated with default value "(?P<default>[^"]*)"'
    )
)
def classic_context_flag(key: str, default: str) -> None:
    _WORLD.update(
        kind="string", key=key, default=default, details=_evaluate("string", key, default)
    )


@then(parsers.re(r'the resolved string response should be "(?P<value>[^"]*)"'))
def classic_string_response(value: str) -> None:
    assert _WORLD["details"].value == value


@then(parsers.re(r'the resolved flag value is "(?P<value>[^"]*)" when the context is empty'))
def classic_empty_context(value: str) -> None:
    _WORLD["context"] = {}
    assert _evaluate("string", _WORLD["key"], _WORLD["default"]).value == value


@when(
    parsers.re(
        r'a non-existent string flag with key "(?P<key>[^"]*)" is evaluated with details '
        r'and a fallback value "(?P<default>[^"]*)"'
    )
)
def classic_missing(key: str, default: str) -> None:
    _WORLD.update(
        kind="string", key=key, default=default, details=_evaluate("string", key, default)
    )


@when(
    parsers.re(
        r'a string flag with key "(?P<key>[^"]*)" is evaluated as an integer, with details '
        r"and a fallback value (?P<default>\d+)"
    )
)
def classic_wrong_type(key: str, default: str) -> None:
    _WORLD.update(
        kind="integer",
        key=key,
        default=int(default),
        details=_evaluate("integer", key, int(default)),
    )


@then(parsers.re(r"the default (?P<kind>string|integer) value should be returned"))
def classic_default_returned(kind: str) -> None:
    assert _WORLD["details"].value == _WORLD["default"]


@then(
    parsers.re(
        r"the reason should indicate an error and the error code should indicate "
        r'an? (?:missing flag|type mismatch) with "(?P<code>[^"]*)"'
    )
)
def classic_error(code: str) -> None:
    assert _WORLD["details"].reason == "ERROR"
    assert _WORLD["details"].error_code == code
