"""flagd-testbed's gherkin scenarios, run against AppFlagsProvider on the openfeature-sdk API.

The feature files and flag files are vendored in ``tests/conformance/flagd_testbed/``
(open-feature/flagd-testbed, release 3.9.0; see its README.md). Each scenario loads its
flag file with ``Flags.from_dict(doc, format=FlagdFormat(...))`` and evaluates through
``api.get_client()``, exactly as an OpenFeature application would:

- ``Given an evaluator``: the in-process evaluator suite's ``testkit-flags.json``;
- ``Given a stable flagd provider``: every file of ``flags/`` merged, as the testbed's
  launchpad builds ``allFlags.json`` (files named ``selector-*`` left out); the
  ``selector`` option names one of those files instead, as flagd's file mode reads it.

A scenario (or an Examples block) tagged ``@fractional-v1``/``-v2``/``-v3`` runs with that
bucketing (``FlagdFormat(fractional=...)``); everything else runs with the default.
Scenarios not run are listed, with the reason, in ``tests/_flagd_testbed_bdd.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from pytest_bdd import given, parsers, scenarios, then, when

from _flagd_testbed_bdd import EVALUATOR_FEATURES, PROVIDER_FEATURES, SKIPPED, TESTBED
from appflags import Flags
from appflags.formats import FlagdFormat
from appflags.openfeature import AppFlagsProvider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from openfeature.flag_evaluation import FlagEvaluationDetails

scenarios(*(str(path) for path in (*EVALUATOR_FEATURES, *PROVIDER_FEATURES)))

_WORLD: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _fresh_world(request: pytest.FixtureRequest) -> Iterator[None]:
    for tag, reason in SKIPPED.items():
        if request.node.get_closest_marker(tag) is not None:
            pytest.skip(reason)
    _WORLD.clear()
    _WORLD.update(attributes={}, targeting_key=None, options={}, node=request.node)
    yield
    _WORLD.clear()
    api.shutdown()


def _read(relative: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((TESTBED / relative).read_text(encoding="utf-8"))
    return doc


def _merge(into: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    # The testbed's launchpad deep-merges its flag files into allFlags.json.
    for key, value in doc.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key] = _merge(dict(into[key]), value)
        else:
            into[key] = value
    return into


def all_flags() -> dict[str, Any]:
    """The testbed's combined flag file (``flags/allFlags.json`` in its container)."""
    combined: dict[str, Any] = {}
    for path in sorted((TESTBED / "flags").glob("*.json")):
        if not path.name.startswith("selector-"):
            combined = _merge(combined, _read(f"flags/{path.name}"))
    return combined


def _fractional_version() -> str | None:
    node = _WORLD["node"]
    for version in ("v1", "v2", "v3"):
        if node.get_closest_marker(f"fractional-{version}") is not None:
            return version
    return None


def _use(doc: dict[str, Any]) -> None:
    version = _fractional_version()
    flagd = FlagdFormat() if version is None else FlagdFormat(fractional=version)
    flags = Flags.from_dict(doc, format=flagd)
    api.set_provider_and_wait(AppFlagsProvider(flags))


# ----------------------------------------------------------------------- providers


@given("an evaluator")
def an_evaluator() -> None:
    _use(_read("evaluator/flags/testkit-flags.json"))


@given(parsers.parse('an option "{name}" of type "{kind}" with value "{value}"'))
def an_option(name: str, kind: str, value: str) -> None:
    # "cache": appflags keeps no resolution cache, "disabled" is what it always does.
    _WORLD["options"][name] = value


@given(parsers.re(r"a (?:stable|metadata) flagd provider"))
def a_flagd_provider() -> None:
    selector = _WORLD["options"].get("selector")
    if selector is None or selector == "flags/allFlags.json":
        _use(all_flags())
    else:
        _use(_read(selector.replace("rawflags/", "flags/", 1)))


# -------------------------------------------------------------------------- values


def _typed(kind: str, text: str) -> Any:
    kind = kind.lower()
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "object":
        return json.loads(text.replace('\\"', '"'))
    return text


@given(
    parsers.re(
        r'an? (?P<kind>Boolean|String|Integer|Float|Object)-flag with key "(?P<key>[^"]*)" '
        r'and a (?:default|fallback) value "(?P<default>.*)"'
    )
)
def a_flag(kind: str, key: str, default: str) -> None:
    _WORLD.update(kind=kind, key=key, default=_typed(kind, default))


@given(
    parsers.re(
        r'a context containing a key "(?P<key>[^"]*)", with type "(?P<kind>[^"]*)" '
        r'and with value "(?P<value>.*)"'
    )
)
def a_context_value(key: str, kind: str, value: str) -> None:
    _WORLD["attributes"][key] = _typed(kind, value)


@given(
    parsers.re(
        r'a context containing a nested property with outer key "(?P<outer>[^"]*)" '
        r'and inner key "(?P<inner>[^"]*)", with value "(?P<value>.*)"'
    )
)
def a_nested_context_value(outer: str, inner: str, value: str) -> None:
    _WORLD["attributes"].setdefault(outer, {})[inner] = value


@given(parsers.re(r'a context containing a targeting key with value "(?P<value>.*)"'))
def a_targeting_key(value: str) -> None:
    _WORLD["targeting_key"] = value


@when("the flag was evaluated with details")
def evaluated_with_details() -> None:
    context = EvaluationContext(_WORLD["targeting_key"], dict(_WORLD["attributes"]))
    method = getattr(api.get_client(), f"get_{_WORLD['kind'].lower()}_details")
    _WORLD["details"] = method(_WORLD["key"], _WORLD["default"], context)


def _details() -> FlagEvaluationDetails[Any]:
    details: FlagEvaluationDetails[Any] = _WORLD["details"]
    return details


# -------------------------------------------------------------------------- checks


@then(parsers.re(r'the resolved details value should be "(?P<value>.*)"'))
def resolved_value(value: str) -> None:
    expected = _typed(_WORLD["kind"], value)
    actual = _details().value
    assert actual == expected, _details()
    assert type(actual) is type(expected), _details()


@then(parsers.re(r'the reason should be "(?P<reason>[^"]*)"'))
def reason_is(reason: str) -> None:
    assert _details().reason == reason, _details()


@then(parsers.re(r'the error-code should be "(?P<code>[^"]*)"'))
def error_code_is(code: str) -> None:
    assert _details().error_code == (code or None), _details()


@then("the resolved metadata should contain")
def metadata_contains(datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["key", "metadata_type", "value"]
    metadata = _details().flag_metadata
    for key, kind, value in rows:
        expected = _typed(kind, value)
        assert metadata[key] == expected, metadata
        assert type(metadata[key]) is type(expected), metadata


@then("the resolved metadata is empty")
def metadata_is_empty() -> None:
    assert dict(_details().flag_metadata) == {}
