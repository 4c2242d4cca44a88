"""``appflags.compat.powertools``: code written for Powertools runs unchanged on appflags."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore as PowertoolsStore
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags as PowertoolsFlags
from structlog.testing import capture_logs

from _support import PREMIUM
from appflags import Flags, SchemaError
from appflags.compat.powertools import (
    AppConfigExtensionStore,
    AppConfigStore,
    ConfigurationStoreError,
    FeatureFlags,
    PowertoolsUserWarning,
    SchemaValidationError,
    StoreProvider,
)
from appflags.testing import Fault, LocalAppConfig

if TYPE_CHECKING:
    from mypy_boto3_appconfigdata import AppConfigDataClient

FEATURES = {
    **PREMIUM,
    "banner": {
        "default": {"color": "blue"},
        "boolean_type": False,
        "rules": {
            "dutch": {
                "when_match": {"color": "orange"},
                "conditions": [{"action": "IN", "key": "country", "value": ["NL", "BE"]}],
            }
        },
    },
    "ten_percent": {
        "default": False,
        "rules": {
            "bucket": {
                "when_match": True,
                "conditions": [
                    {
                        "action": "MODULO_RANGE",
                        "key": "user_id",
                        "value": {"BASE": 10, "START": 0, "END": 0},
                    }
                ],
            }
        },
    },
    "always": {"default": True},
}
# Powertools users often keep the flags under a key of a larger document (an "envelope").
PROFILE = {"features": FEATURES, "other_settings": {"timeout": 3}}
APP: dict[str, Any] = {"environment": "prod", "application": "shop", "name": "features"}


def handler(feature_flags_class: Any, store_class: Any, client: Any, event: dict[str, Any]) -> Any:
    """Lambda code as the Powertools documentation writes it; the classes are swapped in."""
    app_config = store_class(**APP, max_age=120, envelope="features", boto3_client=client)
    feature_flags = feature_flags_class(store=app_config)
    try:
        return {
            "premium": feature_flags.evaluate(name="premium", context=event, default=False),
            "banner": feature_flags.evaluate(name="banner", context=event, default={}),
            "missing": feature_flags.evaluate(name="missing", context=event, default="fallback"),
            "enabled": feature_flags.get_enabled_features(context=event),
        }
    finally:
        if isinstance(app_config, AppConfigStore):
            app_config.close()


@pytest.mark.parametrize(
    "event",
    [
        {"tier": "gold", "country": "NL", "user_id": 10},
        {"tier": "silver", "country": "US", "user_id": 7},
        {},
    ],
)
def test_one_line_import_change_gives_the_same_answers(
    server: LocalAppConfig, client: AppConfigDataClient, event: dict[str, Any]
) -> None:
    server.put("shop", "prod", "features", PROFILE)
    expected = handler(PowertoolsFlags, PowertoolsStore, client, event)
    assert handler(FeatureFlags, AppConfigStore, client, event) == expected


@pytest.fixture
def store(server: LocalAppConfig, client: AppConfigDataClient) -> Iterator[AppConfigStore]:
    server.put("shop", "prod", "features", PROFILE)
    app_config = AppConfigStore(**APP, envelope="features", boto3_client=client)
    yield app_config
    app_config.close()


def test_store_fetches_nothing_until_the_first_lookup(
    server: LocalAppConfig, store: AppConfigStore
) -> None:
    feature_flags = FeatureFlags(store=store)
    assert server.calls() == 0
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    assert server.calls("GetLatestConfiguration") == 1


def test_last_good_flags_survive_a_bad_deployment_and_an_outage(
    server: LocalAppConfig, store: AppConfigStore
) -> None:
    feature_flags = FeatureFlags(store=store)
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    broken = {"features": {"premium": {"default": "yes"}}}
    server.put("shop", "prod", "features", broken)
    server.inject(Fault.SERVER_ERROR)
    # max_age=5 asks AppConfig for its 15 s minimum: the next poll may come no sooner.
    assert store.flags.refresh(timeout=20)  # the outage
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    assert store.flags.refresh(timeout=5)  # a new session at once: the bad deployment
    assert server.calls("StartConfigurationSession") == 2
    # Powertools would answer the default during the outage, then raise SchemaValidationError.
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    enabled = feature_flags.get_enabled_features(context={"tier": "gold"})
    assert enabled == ["premium", "banner", "always"]
    assert store.flags.state.value == "STALE"


def test_missing_profile_answers_defaults(server: LocalAppConfig, client: Any) -> None:
    app_config = AppConfigStore(**APP, boto3_client=client, wait=1.0)
    try:
        feature_flags = FeatureFlags(app_config)
        assert feature_flags.evaluate(name="premium", default=True) is True
        assert feature_flags.get_enabled_features() == []
    finally:
        app_config.close()


# ------------------------------------------------------------------ over a Flags


@pytest.fixture
def feature_flags() -> FeatureFlags:
    return FeatureFlags(Flags.from_dict(FEATURES))


def test_boolean_flags(feature_flags: FeatureFlags) -> None:
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    assert feature_flags.evaluate(name="premium", context={"tier": "free"}, default=True) is False
    assert feature_flags.evaluate(name="premium", default=True) is False  # context=None
    assert feature_flags.evaluate(name="always", default=False) is True


def test_non_boolean_value_answers_whatever_the_default_type(feature_flags: FeatureFlags) -> None:
    nl = {"country": "NL"}
    assert feature_flags.evaluate(name="banner", context=nl, default=False) == {"color": "orange"}
    assert feature_flags.evaluate(name="banner", default="x") == {"color": "blue"}


def test_missing_flag_answers_the_default(feature_flags: FeatureFlags) -> None:
    assert feature_flags.evaluate(name="nope", default={"a": 1}) == {"a": 1}
    assert feature_flags.evaluate(name="nope", default=None) is None


def test_enabled_features(feature_flags: FeatureFlags) -> None:
    # As in Powertools, a non-boolean flag with a truthy value ("banner") counts as enabled.
    context = {"tier": "gold", "user_id": 20}
    expected = ["premium", "banner", "ten_percent", "always"]
    assert feature_flags.get_enabled_features(context=context) == expected
    assert feature_flags.get_enabled_features() == ["banner", "always"]
    empty_banner = FeatureFlags.from_dict({"banner": {"default": {}, "boolean_type": False}})
    assert empty_banner.get_enabled_features() == []


def test_keyword_and_convenience_constructors() -> None:
    flags = Flags.from_dict(FEATURES)
    assert FeatureFlags(flags=flags).flags is flags
    assert FeatureFlags(store=flags).flags is flags
    from_dict = FeatureFlags.from_dict(FEATURES)
    assert from_dict.evaluate(name="premium", context={"tier": "gold"}, default=False) is True
    with pytest.raises(SchemaError):
        FeatureFlags.from_dict({"premium": {"default": "yes"}})


@pytest.mark.parametrize(
    "arguments", [{}, {"store": Flags.from_dict(FEATURES), "flags": Flags.from_dict(FEATURES)}]
)
def test_exactly_one_source_is_required(arguments: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        FeatureFlags(**arguments)


def test_a_store_without_get_configuration_is_refused() -> None:
    with pytest.raises(TypeError, match="get_configuration"):
        FeatureFlags(store=object())  # type: ignore[arg-type]


COMPARES = {
    "f": {
        "default": False,
        "rules": {
            "r": {
                "when_match": True,
                "conditions": [{"action": "KEY_GREATER_THAN_VALUE", "key": "n", "value": 3}],
            }
        },
    }
}


def test_a_failing_comparison_warns_naming_the_condition_never_a_value() -> None:
    feature_flags = FeatureFlags.from_dict(COMPARES)
    with pytest.warns(PowertoolsUserWarning) as records:
        assert feature_flags.evaluate(name="f", context={"n": "secret"}, default=True) is False
    [record] = records
    message = str(record.message)
    assert message == (
        "Failed to evaluate feature flag condition: feature=f, rule=r, key=n, "
        "action=KEY_GREATER_THAN_VALUE, exception_type=TypeError"
    )
    assert record.filename == __file__  # points at the caller's evaluate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Missing key, valid comparisons: no warning; warnings as errors: same answer.
        assert feature_flags.evaluate(name="f", context={}, default=True) is False
        assert feature_flags.evaluate(name="f", context={"n": 5}, default=False) is True
        assert feature_flags.evaluate(name="f", context={"n": "x"}, default=True) is False


def test_the_handler_registered_for_the_exception_decides_and_may_raise(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put("shop", "prod", "features", {"features": COMPARES})
    app_config = AppConfigStore(**APP, envelope="features", boto3_client=client)
    feature_flags = FeatureFlags(store=app_config)
    calls: list[Exception] = []

    @feature_flags.validation_exception_handler([KeyError, TypeError])
    def on_error(exc: Exception) -> bool:
        calls.append(exc)
        return True

    try:
        with pytest.warns(PowertoolsUserWarning):
            assert feature_flags.evaluate(name="f", context={"n": "text"}, default=False) is True
        assert [type(c) for c in calls] == [TypeError]
        with pytest.warns(PowertoolsUserWarning):
            assert feature_flags.get_enabled_features(context={"n": "text"}) == ["f"]

        @feature_flags.validation_exception_handler(Exception)  # a base class: replaces none
        def fail(exc: Exception) -> bool:
            raise RuntimeError("handler failed") from exc

        with pytest.warns(PowertoolsUserWarning):  # TypeError's own handler still wins
            assert feature_flags.evaluate(name="f", context={"n": "text"}, default=False)
        raising = FeatureFlags(store=app_config)
        raising.validation_exception_handler(Exception)(fail)
        with pytest.warns(PowertoolsUserWarning), pytest.raises(RuntimeError, match="handler"):
            raising.evaluate(name="f", context={"n": "text"}, default=False)
        # An override answers first, as in every Flags: no comparison, no handler.
        with app_config.flags.override({"f": False}):
            assert feature_flags.evaluate(name="f", context={"n": "text"}, default=True) is False
    finally:
        app_config.close()


def test_get_configuration_returns_the_document_served(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put("shop", "prod", "features", PROFILE)
    app_config = AppConfigStore(**APP, envelope="features", boto3_client=client)
    try:
        document = FeatureFlags(store=app_config).get_configuration()
        assert document == FEATURES
        document["premium"]["default"] = True  # a copy: the flags are not changed
        assert app_config.get_configuration() == FEATURES
        server.put("shop", "prod", "features", {"features": {"premium": "not a flag"}})
        app_config.flags.refresh()
        assert app_config.get_configuration() == FEATURES  # the invalid one is not served
    finally:
        app_config.close()
    assert FeatureFlags.from_dict(FEATURES).get_configuration() == FEATURES


def test_get_configuration_of_a_store_validates_and_lets_store_errors_through() -> None:
    store = ChangingStore(FEATURES)
    feature_flags = FeatureFlags(store)
    assert feature_flags.get_configuration() is store.document
    store.document = {"premium": {"default": "yes"}}
    with pytest.raises(SchemaValidationError, match="premium"):
        feature_flags.get_configuration()
    store.error = ConfigurationStoreError("down")
    with pytest.raises(ConfigurationStoreError, match="down"):
        feature_flags.get_configuration()


def test_get_configuration_validates_a_document_a_lookup_already_rejected() -> None:
    store = ChangingStore(FEATURES)
    feature_flags = FeatureFlags(store)
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False)
    store.document = {"premium": {"default": "yes"}}
    # The lookup keeps the last good flags; the invalid document is still invalid after it.
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False)
    with pytest.raises(SchemaValidationError, match="premium"):
        feature_flags.get_configuration()
    store.document = None  # never a document, even before any lookup
    with pytest.raises(SchemaValidationError):
        FeatureFlags(ChangingStore(None)).get_configuration()
    with pytest.raises(SchemaValidationError):
        feature_flags.get_configuration()


def test_over_a_flags_there_is_no_document_for_handlers_or_get_configuration(
    feature_flags: FeatureFlags,
) -> None:
    with pytest.raises(ConfigurationStoreError, match="no document"):
        feature_flags.get_configuration()
    with pytest.raises(TypeError, match="needs the document"):
        feature_flags.validation_exception_handler(ValueError)


# ---------------------------------------------------- over a Powertools-style store


class ChangingStore(StoreProvider):
    """A custom store, as Powertools users write them: returns the current document."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.error: Exception | None = None

    def get_configuration(self) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        return self.document  # type: ignore[no-any-return]


def test_custom_store_is_compiled_once_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    custom = ChangingStore(FEATURES)
    feature_flags = FeatureFlags(store=custom)
    compiled: list[Any] = []
    original = Flags.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Flags], /, document: Any, **options: Any) -> Flags:
        compiled.append(document)
        return original(cls, document, **options)  # type: ignore[no-any-return]

    monkeypatch.setattr(Flags, "from_dict", classmethod(counting))
    for _ in range(3):
        assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False)
    assert len(compiled) == 1
    custom.document = {"premium": {"default": True}}
    assert feature_flags.evaluate(name="premium", context={"tier": "free"}, default=False) is True
    assert len(compiled) == 2


def test_custom_store_failures_keep_the_last_good_flags() -> None:
    custom = ChangingStore({"premium": {"default": True}})
    feature_flags = FeatureFlags(custom)
    assert feature_flags.evaluate(name="premium", default=False) is True
    custom.document = {"premium": {"default": "not a boolean"}}
    assert feature_flags.evaluate(name="premium", default=False) is True
    custom.error = RuntimeError("store down")
    assert feature_flags.evaluate(name="premium", default=False) is True
    assert feature_flags.get_enabled_features() == ["premium"]


def test_a_store_document_whose_comparison_raises_is_served_never_raised() -> None:
    class Touchy(dict[str, Any]):
        def __eq__(self, other: object) -> bool:
            raise ValueError("no comparing")

        __hash__ = None  # as dict's: unhashable

    custom = ChangingStore(Touchy(FEATURES))
    feature_flags = FeatureFlags(custom)
    for _ in range(2):
        assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False)
    custom.document = Touchy({"premium": {"default": False}})
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=True) is False
    assert feature_flags.get_configuration() is custom.document


def test_custom_store_that_never_delivered_answers_defaults() -> None:
    custom = ChangingStore({"premium": {"default": None}})
    feature_flags = FeatureFlags(custom)
    assert feature_flags.evaluate(name="premium", default="d") == "d"
    assert feature_flags.get_enabled_features() == []


def test_powertools_own_store_object_works_too(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put("shop", "prod", "features", PROFILE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        powertools_store = PowertoolsStore(**APP, envelope="features", boto3_client=client)
    feature_flags = FeatureFlags(store=powertools_store)
    assert feature_flags.evaluate(name="premium", context={"tier": "gold"}, default=False) is True


def test_a_failing_store_is_logged_once_not_per_lookup() -> None:
    class BrokenStore:
        def get_configuration(self) -> dict[str, object]:
            raise ConnectionError("store down")

    flags = FeatureFlags(store=BrokenStore())
    with capture_logs() as logs:
        for _ in range(50):
            assert flags.evaluate(name="beta", context={}, default=True) is True
    assert [e["event"] for e in logs].count("appflags.store_failed") == 1


# ------------------------------------------------------------- the Lambda extension


def test_extension_store_reads_the_extension_and_passes_the_context(
    server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = {
        "version": "1",
        "flags": {"ui_refresh": {"name": "UI Refresh"}},
        "values": {
            "ui_refresh": {
                "_variants": [
                    {"name": "QA", "enabled": True, "rule": '(ends_with $email "@qa.example")'},
                    {"name": "Default Variant", "enabled": False},
                ]
            }
        },
    }
    server.put("shop", "dev", "features", stored)
    monkeypatch.delenv("APPFLAGS_AGENT_URL", raising=False)
    monkeypatch.setenv("AWS_APPCONFIG_EXTENSION_HTTP_PORT", str(urlsplit(server.endpoint_url).port))
    # A generous budget: this test is about what is sent, not how fast (CI machines are loaded).
    store = AppConfigExtensionStore(
        "dev", "shop", "features", max_age=60, format="appconfig", variant_budget=10.0
    )
    try:
        feature_flags = FeatureFlags(store=store)
        qa = {"email": "jane@qa.example", "targetingKey": "u-1"}
        assert feature_flags.evaluate(name="ui_refresh", context=qa, default=False) is True
        assert (
            feature_flags.evaluate(
                name="ui_refresh", context={"email": "x@example.org"}, default=False
            )
            is False
        )
        requests = [c.agent for c in server.log if c.agent is not None and c.agent.flags]
        assert [(r.context, r.entity_id) for r in requests] == [
            ({"email": "jane@qa.example", "targetingKey": "u-1"}, "u-1"),
            ({"email": "x@example.org"}, None),
        ]
    finally:
        store.close()


def test_extension_store_refuses_a_bad_agent_url_when_built_never_on_a_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPFLAGS_AGENT_URL", "localhost:2772")
    with pytest.raises(ValueError, match="APPFLAGS_AGENT_URL"):
        AppConfigExtensionStore("dev", "shop", "features")


# --------------------------------------- issue 13 §3: the drop-in never raises from evaluate


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"environment": "has spaces\n" * 20}, ValueError),  # over 128 characters
        ({"environment": ""}, ValueError),
        ({"max_age": None}, TypeError),
        ({"max_age": float("nan")}, ValueError),
        ({"max_age": -1}, ValueError),
    ],
    ids=["long-name", "empty-name", "max-age-none", "max-age-nan", "max-age-negative"],
)
def test_a_bad_store_is_refused_at_construction(
    client: AppConfigDataClient, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        AppConfigStore(**{**APP, **kwargs}, boto3_client=client)


def test_no_region_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # read by neither boto3 nor botocore
    with pytest.raises(ValueError, match="no AWS region") as err:
        AppConfigStore(**APP)
    assert "set AWS_DEFAULT_REGION (boto3 does not read AWS_REGION)" in str(err.value)
