"""Powertools' own feature-flag tests, run against ``appflags.compat.powertools``.

While the vendored modules are imported, the names they import from Powertools are
appflags' instead (see ``SUBSTITUTED``): ``FeatureFlags`` is the compat one, and
``SchemaValidator`` validates with appflags. Everything else stays Powertools': its
stores (``AppConfigStore`` over a stubbed boto3 client, or with ``AppConfigProvider.get``
mocked), its exceptions and its schema constants. ``mocker`` is a small stand-in for
pytest-mock's fixture (``patch`` only, all these tests use). Time-based tests freeze
Powertools' clock (``comparators._get_now_from_timezone``); appflags reads that same
function as its clock here, so both see the frozen time.

Every test that does not pass is listed in ``KNOWN_DIFFERENCES`` with its reason, and
marked there: strict xfail (a test that starts passing fails the suite until it is
removed from the list) or skip (a test that cannot run here at all).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aws_lambda_powertools.utilities import feature_flags as powertools_flags
from aws_lambda_powertools.utilities.feature_flags import comparators
from aws_lambda_powertools.utilities.feature_flags import feature_flags as powertools_module
from aws_lambda_powertools.utilities.feature_flags import schema as powertools_schema
from aws_lambda_powertools.utilities.feature_flags.exceptions import (
    SchemaValidationError as PowertoolsSchemaValidationError,
)

from appflags.compat import powertools as compat

HERE = Path(__file__).parent

STORE_FAILURE = (
    "store-failure difference: an unreachable store answers the last good flags or the "
    "default and logs once (docs/migrating-from-powertools.md), where Powertools raises "
    "StoreClientError from evaluate"
)
PRIVATE_API = "tests a private method of Powertools' FeatureFlags, which appflags does not have"
WORDING = (
    "wording: appflags rejects this too, naming the problem and its JSON path in its own words"
)

# Schema tests that expect Powertools' message (``pytest.raises(..., match=...)``): appflags
# rejects each of these documents too, with its own message.
WORDED_DIFFERENTLY = [
    "test_a_validate_time_condition_between_datetime_range_invalid_condition_value",
    "test_validate_all_in_value_condition_invalid_value",
    "test_validate_any_in_value_condition_invalid_value",
    "test_validate_condition_invalid_condition_action",
    "test_validate_condition_invalid_condition_key",
    "test_validate_condition_invalid_condition_type",
    "test_validate_condition_missing_condition_value",
    "test_validate_condition_none_condition_value",
    "test_validate_modulo_range_condition_end_greater_than_equal_to_base",
    "test_validate_modulo_range_condition_invalid_value",
    "test_validate_modulo_range_condition_missing_parameter",
    "test_validate_modulo_range_condition_non_integer_parameters",
    "test_validate_modulo_range_condition_start_greater_than_end",
    "test_validate_modulo_range_condition_start_less_than_zero",
    "test_validate_none_in_value_condition_invalid_value",
    "test_validate_rule_invalid_rule_name",
    "test_validate_rule_invalid_rule_type",
    "test_validate_rule_invalid_when_match_type_boolean_feature_is_not_set",
    "test_validate_rule_invalid_when_match_type_boolean_feature_is_set",
    "test_validate_time_condition_between_datetime_range_including_timezone",
    "test_validate_time_condition_between_datetime_range_invalid_condition_key",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_invalid_end_time_type",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_invalid_end_time_value",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_invalid_start_time_type",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_invalid_start_time_value",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_no_end_time",
    "test_validate_time_condition_between_datetime_range_invalid_condition_value_no_start_time",
    "test_validate_time_condition_between_days_range_invalid_condition_key",
    "test_validate_time_condition_between_days_range_invalid_condition_type",
    "test_validate_time_condition_between_days_range_invalid_condition_value",
    "test_validate_time_condition_between_days_range_invalid_timezone",
    "test_validate_time_condition_between_time_range_invalid_condition_key",
    "test_validate_time_condition_between_time_range_invalid_condition_value",
    "test_validate_time_condition_between_time_range_invalid_condition_value_invalid_end_time_type",
    "test_validate_time_condition_between_time_range_invalid_condition_value_invalid_end_time_value",
    "test_validate_time_condition_between_time_range_invalid_condition_value_invalid_start_time_type",
    "test_validate_time_condition_between_time_range_invalid_condition_value_invalid_start_time_value",
    "test_validate_time_condition_between_time_range_invalid_condition_value_no_end_time",
    "test_validate_time_condition_between_time_range_invalid_condition_value_no_start_time",
    "test_validate_time_condition_between_time_range_invalid_timezone",
]

# Every vendored test that does not pass against appflags, with why: (node id suffix,
# "xfail" or "skip", reason).
KNOWN_DIFFERENCES: list[tuple[str, str, str]] = [
    *(
        (f"_boto3/test_schema_validation.py::{name}", "xfail", WORDING)
        for name in WORDED_DIFFERENTLY
    ),
    (
        "_boto3/test_schema_validation.py::test_validate_rule_boolean_feature_is_set",
        "xfail",
        "Powertools' RulesValidator.validate_rule checks the rule's own fields only; the rule "
        "given has 'conditions' as an object and a numeric key, which appflags, validating "
        "the whole document, rejects (as Powertools' SchemaValidator does)",
    ),
    *(
        (f"_boto3/test_feature_flags.py::{name}", "xfail", PRIVATE_API)
        for name in (
            "test_match_by_action_no_matching_action",
            "test_match_by_action_attribute_error",
            "test_is_rule_matched_no_matches",
        )
    ),
    (
        "_boto3/test_feature_flags.py::test_get_feature_toggle_propagates_access_denied_error",
        "xfail",
        STORE_FAILURE,
    ),
    (
        "test_comparator_warnings.py::test_warning_excludes_exception_message",
        "xfail",
        "replaces an entry of Powertools' private RULE_ACTION_MAPPING, which appflags' "
        "compiled conditions do not read",
    ),
    (
        "test_comparator_warnings.py::test_comparator_warning_in_fresh_process",
        "skip",
        "runs Powertools itself in a subprocess from Powertools' repository checkout "
        "(imports tests.functional...), outside this conftest",
    ),
]


# ----------------------------------------------------------------- substitution


class SchemaValidator:
    """Powertools' ``SchemaValidator`` interface, validating with appflags."""

    def __init__(self, schema: Any, logger: object = None) -> None:
        self.schema = schema

    def validate(self) -> None:
        try:
            compat.FeatureFlags.from_dict(self.schema)
        except (compat.SchemaValidationError, TypeError) as exc:
            raise PowertoolsSchemaValidationError(str(exc)) from exc


def _validate(document: Any) -> None:
    SchemaValidator(document).validate()


def _one_rule(rule_name: str, rule: Any, *, boolean_feature: bool = True) -> dict[str, Any]:
    return {
        "feature": {"default": False, "boolean_type": boolean_feature, "rules": {rule_name: rule}}
    }


class ConditionsValidator:
    """Powertools' per-condition checks, answered by validating a document holding the
    condition (so appflags checks all of it, where each Powertools method checks a part)."""

    @staticmethod
    def validate_condition(condition: Any, rule_name: str) -> None:
        _validate(_one_rule(rule_name, {"when_match": True, "conditions": [condition]}))

    validate_condition_action = validate_condition_key = validate_condition_value = (
        validate_condition
    )


class RulesValidator:
    """Powertools' per-rule checks, answered by validating a document holding the rule."""

    @staticmethod
    def validate_rule(
        rule: Any, rule_name: str, feature_name: str, boolean_feature: bool = True
    ) -> None:
        _validate(_one_rule(rule_name, rule, boolean_feature=boolean_feature))

    @staticmethod
    def validate_rule_name(rule_name: str, feature_name: str) -> None:
        condition = {"action": "EQUALS", "key": "k", "value": "v"}
        _validate(_one_rule(rule_name, {"when_match": True, "conditions": [condition]}))


def _powertools_now() -> datetime.datetime:
    # The clock Powertools' tests freeze (a mock ignores the zone asked for).
    now: datetime.datetime = comparators._get_now_from_timezone(datetime.timezone.utc)
    return now


class FeatureFlags(compat.FeatureFlags):
    """The compat ``FeatureFlags``, reading the clock Powertools' tests freeze."""

    def __init__(self, store: Any, logger: object = None) -> None:
        super().__init__(store, logger, clock=_powertools_now)


SUBSTITUTED: list[tuple[object, str, object]] = [
    (powertools_flags, "FeatureFlags", FeatureFlags),
    (powertools_module, "FeatureFlags", FeatureFlags),
    (powertools_flags, "SchemaValidator", SchemaValidator),
    (powertools_schema, "SchemaValidator", SchemaValidator),
    (powertools_schema, "ConditionsValidator", ConditionsValidator),
    (powertools_schema, "RulesValidator", RulesValidator),
]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """Import each vendored module with appflags' names in place of Powertools'."""
    if not isinstance(collector, pytest.Module):
        return (yield)
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in SUBSTITUTED]
    try:
        for owner, name, replacement in SUBSTITUTED:
            setattr(owner, name, replacement)
        return (yield)
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the known differences (``test_known_differences.py`` checks each names a test)."""
    known = {suffix: (kind, reason) for suffix, kind, reason in KNOWN_DIFFERENCES}
    for item in items:
        if not item.path.is_relative_to(HERE):
            continue
        relative = item.path.relative_to(HERE).as_posix()
        base = f"{relative}::{item.originalname}"  # type: ignore[attr-defined] # a Function
        for suffix in (f"{relative}::{item.name}", base):
            if suffix in known:
                kind, reason = known[suffix]
                marker = pytest.mark.skip if kind == "skip" else pytest.mark.xfail
                item.add_marker(marker(reason=reason))
                break


# ------------------------------------------------------------------------ mocker


class Mocker:
    """``patch`` of pytest-mock's ``mocker``: undone when the test ends."""

    def __init__(self) -> None:
        self._patches: list[Any] = []

    def patch(self, target: str, *args: Any, **kwargs: Any) -> Any:
        patcher = mock.patch(target, *args, **kwargs)
        started = patcher.start()
        self._patches.append(patcher)
        return started

    def stop(self) -> None:
        for patcher in reversed(self._patches):
            patcher.stop()


@pytest.fixture
def mocker() -> Iterator[Mocker]:
    """The vendored tests' ``mocker``."""
    mocker = Mocker()
    yield mocker
    mocker.stop()
