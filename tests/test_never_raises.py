"""Properties at the public API (issue 13): lookups never raise, constructors fail early.

Lookups get arbitrary keys (not only strings), contexts (not only mappings) and defaults,
over documents of every format. Constructors get arbitrary parameters: each either builds
or raises ``ValueError``/``TypeError`` before it starts a thread or sends a request.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support import UNREACHABLE
from appflags import ErrorCode, Evaluation, Flags, Reason
from appflags.testing import LocalAppConfig

# -- documents of every format -----------------------------------------------------------

RETRIEVAL = {
    "beta": {"enabled": True, "color": "red", "limit": 3, "ratio": 0.5, "tags": ["a", "b"]},
    "off": {"enabled": False},
}
STORED = {
    "version": "1",
    "flags": {
        "beta": {"name": "Beta", "attributes": {"color": {"constraints": {"type": "string"}}}},
        "ui": {"name": "UI", "attributes": {"dark": {"constraints": {"type": "boolean"}}}},
        "off": {"name": "Off", "attributes": {"color": {"constraints": {"type": "string"}}}},
    },
    "values": {
        "beta": {"enabled": True, "color": "red"},
        "off": {"enabled": False, "color": "blue"},
        "ui": {
            "_variants": [
                {
                    "name": "qa",
                    "enabled": True,
                    "rule": '(ends_with $email "@qa.example.com")',
                    "attributeValues": {"dark": True},
                },
                {
                    "name": "old",
                    "enabled": True,
                    "rule": "(and (gt $age 30) (lt $since 2024-01-01T00:00:00Z))",
                    "attributeValues": {"dark": False},
                },
                {
                    "name": "fans",
                    "enabled": True,
                    "rule": (
                        '(or (in $tier ["gold", "silver"]) (matches in::$name pattern::"^a.*"))'
                    ),
                    "attributeValues": {"dark": True},
                },
                {
                    "name": "some",
                    "enabled": True,
                    "rule": "(split pct::50 by::$userId)",
                    "attributeValues": {"dark": True},
                },
                {"name": "default", "enabled": False, "attributeValues": {"dark": False}},
            ]
        },
    },
}
POWERTOOLS = {
    "premium": {
        "default": False,
        "rules": {
            "gold customers": {
                "when_match": True,
                "conditions": [
                    {"action": "EQUALS", "key": "tier", "value": "gold"},
                    {"action": "KEY_GREATER_THAN_VALUE", "key": "age", "value": 30},
                ],
            },
            "some": {
                "when_match": True,
                "conditions": [
                    {
                        "action": "MODULO_RANGE",
                        "key": "userId",
                        "value": {"BASE": 10, "START": 0, "END": 4},
                    },
                    {
                        "action": "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
                        "key": "CURRENT_DAY_OF_WEEK",
                        "value": {"DAYS": ["MONDAY"]},
                    },
                ],
            },
        },
    },
    "banner": {"default": {"color": "red"}, "boolean_type": False},
    "plain": {"default": True},
}
FLAGD = {
    "flags": {
        "new": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {
                "if": [
                    {"ends_with": [{"var": "email"}, "@example.com"]},
                    "on",
                    {"if": [{"sem_ver": [{"var": "version"}, ">=", "1.2.0"]}, "on", "off"]},
                ]
            },
        },
        "split": {
            "state": "ENABLED",
            "variants": {"a": "a", "b": "b"},
            "defaultVariant": "a",
            "targeting": {"fractional": [{"var": "userId"}, ["a", 50], ["b", 50]]},
        },
        "num": {
            "state": "ENABLED",
            "variants": {"low": 1, "high": 2.5},
            "defaultVariant": "low",
            "targeting": {"if": [{">": [{"var": "age"}, 30]}, "high", "low"]},
        },
        "killed": {"state": "DISABLED", "variants": {"on": True}, "defaultVariant": "on"},
    }
}
PLAIN = {"cfg": {"x": 1, "y": [1, 2], "z": {"deep": None}}, "name": "shop", "on": True}

DOCUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "appconfig-retrieval": (RETRIEVAL, "appconfig"),
    "appconfig-stored": (STORED, "appconfig"),
    "powertools": (POWERTOOLS, "powertools"),
    "flagd": (FLAGD, "flagd"),
    "json": (PLAIN, "json"),
}


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def flags(request: pytest.FixtureRequest) -> Flags:
    doc, format_name = DOCUMENTS[request.param]
    loaded = Flags.from_dict(doc, format=format_name)
    # Each document answers real flags, so lookups reach the format's code, not only misses.
    assert any(loaded.evaluate(k, None, {}).error_code is None for k in KNOWN_KEYS)
    return loaded


def _keys_of(doc: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield prefix + key
            yield from _keys_of(value, prefix + key + ".")


KNOWN_KEYS = sorted(
    {k for doc, _ in DOCUMENTS.values() for k in _keys_of(doc)}
    | {"ui.dark", "ui._variant"}
    | set(FLAGD["flags"])
)

# -- arbitrary values --------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities included
    st.text(max_size=20),
    st.binary(max_size=10),
    st.datetimes(),
    st.datetimes(timezones=st.just(timezone.utc)),
    st.dates(),
    st.complex_numbers(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=12,
)
keys = st.one_of(
    st.sampled_from(KNOWN_KEYS),
    st.sampled_from(KNOWN_KEYS).map(lambda k: k + "."),
    st.text(max_size=20),
    st.none(),
    st.integers(),
    st.floats(),
    st.binary(max_size=10),
    st.tuples(st.text(max_size=5)),
    st.tuples(st.lists(st.integers(), max_size=2)),  # unhashable inside a tuple
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sets(st.integers(), max_size=2),
)
CONTEXT_NAMES = ["email", "age", "since", "tier", "name", "userId", "version", "targetingKey"]
contexts = st.one_of(
    st.none(),
    st.dictionaries(
        st.one_of(st.sampled_from(CONTEXT_NAMES), st.text(max_size=8)), values, max_size=6
    ),
    st.dictionaries(
        st.one_of(st.none(), st.integers(), st.binary(max_size=4), st.tuples(st.integers())),
        values,
        max_size=3,
    ),
    values,  # not a mapping at all
)
defaults = values


def _is_default(value: Any, default: Any) -> bool:
    """The caller's default, or an equal one of the same type that evaluate() shared."""
    return value is default or (type(value) is type(default) and value == default)


def _check_evaluation(result: Evaluation, default: Any) -> None:
    assert isinstance(result, Evaluation)
    if result.error_code is not None:
        assert result.reason is Reason.ERROR
        assert _is_default(result.value, default)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys, context=contexts, default=defaults)
def test_no_exception_escapes_a_lookup(flags: Flags, key: Any, context: Any, default: Any) -> None:
    enabled = flags.is_enabled(key, context, default=default)
    assert enabled is default or enabled is True or enabled is False
    for lookup in (flags.get_bool, flags.get_str, flags.get_int, flags.get_float):
        lookup(key, default, context)
    answer = flags.get_object(key, default, context)
    if answer is not default:
        assert type(answer) in (dict, list)
    _check_evaluation(flags.evaluate(key, default, context), default)
    features = flags.enabled_features(context)
    assert all(type(k) is str for k in features)
    assert flags.metadata(key) is not None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys, default=defaults)
def test_keys_that_are_not_strings_answer_the_default_with_an_error_code(
    flags: Flags, key: Any, default: Any
) -> None:
    """Whatever the type of the key, the typed lookups answer the caller's default."""
    if isinstance(key, str):
        return
    assert flags.is_enabled(key, default=default) is default
    assert flags.get_str(key, default) is default  # type: ignore[arg-type]  # any default
    assert flags.get_object(key, default) is default
    result = flags.evaluate(key, default)
    assert _is_default(result.value, default)
    assert result.error_code is ErrorCode.FLAG_NOT_FOUND
    assert result.error_message is not None
    assert "keys are strings" in result.error_message


@pytest.mark.parametrize("key", [None, 1, 2.5, b"beta", ("beta",), ["beta"], {"beta": 1}])
def test_each_kind_of_bad_key_on_flags_with_disabled_flags(key: Any) -> None:
    # Disabled AppConfig flags made non-string keys raise AttributeError/TypeError.
    flags = Flags.from_dict(RETRIEVAL)
    assert flags.is_enabled(key, default=True) is True
    assert flags.get_int(key, 7) == 7
    assert flags.get_float(key, 7.5) == 7.5
    result = flags.evaluate(key, "d", {"userId": "u"})
    assert (result.value, result.reason, result.error_code) == (
        "d",
        Reason.ERROR,
        ErrorCode.FLAG_NOT_FOUND,
    )
    assert flags.metadata(key) == {}


class _RaisingHash:
    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class _RaisingEq:
    """Hashed as ``like``, so that a dict holding ``like`` compares it, and then raises."""

    def __init__(self, like: str) -> None:
        self.like = like

    def __hash__(self) -> int:
        return hash(self.like)

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no ==")


class _RaisingHashStr(str):
    __slots__ = ()

    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class _RaisingEqStr(str):
    __slots__ = ()

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no ==")


@pytest.mark.parametrize("track_usage", [False, True])
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_keys_whose_hash_or_equality_raises_answer_the_default(
    name: str, track_usage: bool
) -> None:
    doc, format_name = DOCUMENTS[name]
    flags = Flags.from_dict(doc, format=format_name, track_usage=track_usage)
    # Every known key once as a plain lookup (so that the usage counts and the memo hold
    # it), then as keys that collide with it and raise when compared or hashed.
    odd: list[Any] = [_RaisingHash()]
    for known in [*KNOWN_KEYS, "nope", "off.color", "killed.x"]:
        flags.evaluate(known, "d", {})
        flags.is_enabled(known)
        odd += [_RaisingEq(known), _RaisingHashStr(known), _RaisingEqStr(known)]
    for key in odd:
        assert flags.is_enabled(key, {}, default=True) in (True, False)
        assert type(flags.get_str(key, "d", {})) is str
        assert type(flags.get_int(key, 7, {})) is int
        assert type(flags.get_float(key, 7.5, {})) is float
        assert type(flags.get_object(key, [1], {})) in (dict, list)
        for _ in range(2):  # the second through evaluate's memo
            _check_evaluation(flags.evaluate(key, "d", {}), "d")
        assert flags.metadata(key) is not None
    assert flags.usage() is not None


# -- constructors ------------------------------------------------------------------------

numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(),  # NaN, infinities, negatives, huge
    st.sampled_from([0, 0.0, -1, 1e12, math.inf, -math.inf, math.nan, 86400, 86401, 3600]),
    st.text(max_size=4),
    st.just([1]),
    st.just(object()),
)
small_waits = st.one_of(numbers, st.sampled_from([0, 0.0, 0.01]))
formats = st.one_of(
    st.sampled_from(["auto", "appconfig", "powertools", "flagd", "json"]),
    st.sampled_from(["xml", "", "JSON", "yaml"]),
    st.none(),
    st.integers(),
)
clocks = st.one_of(st.none(), st.just(lambda: datetime.now(timezone.utc)), st.integers(), st.text())
schemas = st.one_of(
    st.none(),
    st.just({"type": "object"}),
    st.just({"type": 12}),  # not a valid JSON Schema
    st.integers(),
    st.just(["a"]),
)


AGENT = ("shop", "prod", "missing")


def _pollers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("appflags-poller[")}


def _builds_or_raises_early(build: Any, server: LocalAppConfig | None = None) -> None:
    before_threads = _pollers()
    before_calls = server.calls() if server is not None else 0
    try:
        built = build()
    except (ValueError, TypeError):
        assert _pollers() <= before_threads, "a thread started before the error"
        if server is not None:
            assert server.calls() == before_calls, "a request was sent before the error"
        return
    assert isinstance(built, Flags)
    built.close()


@pytest.fixture(scope="module")
def idle_server() -> Iterator[LocalAppConfig]:
    """A server with no profile deployed: a poll that happens ends at once with a 404."""
    with LocalAppConfig(poll_interval=1) as local:
        yield local


@settings(max_examples=150)
@given(
    doc=st.one_of(st.sampled_from([d for d, _ in DOCUMENTS.values()]), values),
    format_name=formats,
    schema=schemas,
    clock=clocks,
)
def test_from_dict_builds_or_raises_value_or_type_error(
    doc: Any, format_name: Any, schema: Any, clock: Any
) -> None:
    _builds_or_raises_early(
        lambda: Flags.from_dict(doc, format=format_name, schema=schema, clock=clock)
    )


@settings(max_examples=100)
@given(watch=numbers, format_name=formats, clock=clocks)
def test_from_file_builds_or_raises_value_or_type_error(
    tmp_path_factory: pytest.TempPathFactory, watch: Any, format_name: Any, clock: Any
) -> None:
    path = tmp_path_factory.mktemp("doc") / "flags.json"
    path.write_text(json.dumps(RETRIEVAL))
    _builds_or_raises_early(
        lambda: Flags.from_file(path, watch=watch, format=format_name, clock=clock)
    )


@settings(max_examples=100)
@given(
    names=st.one_of(
        st.just(("shop", "prod", "missing")),
        st.tuples(
            st.one_of(st.text(max_size=130), st.none(), st.integers()),
            st.just("prod"),
            st.just("p"),
        ),
    ),
    params=st.fixed_dictionaries(
        {
            "poll_interval": numbers,
            "wait": small_waits,
            "format": formats,
            "clock": clocks,
            "max_bytes": numbers,
            "schema": schemas,
        }
    ),
)
def test_from_appconfig_builds_or_raises_before_any_request(
    idle_server: LocalAppConfig, names: Any, params: dict[str, Any]
) -> None:
    client = idle_server.client()
    _builds_or_raises_early(
        lambda: Flags.from_appconfig(*names, client=client, **params), idle_server
    )


@settings(max_examples=100)
@given(
    url=st.one_of(st.none(), st.integers(), st.just("file:///x"), st.just("")),
    params=st.fixed_dictionaries(
        {
            "poll_interval": numbers,
            "timeout": numbers,
            "wait": small_waits,
            "format": formats,
            "token": st.one_of(st.none(), st.text(max_size=5), st.integers()),
            "max_bytes": numbers,
        }
    ),
)
def test_from_agent_builds_or_raises_before_any_request(
    idle_server: LocalAppConfig, url: Any, params: dict[str, Any]
) -> None:
    where = url if url is not None else idle_server.endpoint_url
    _builds_or_raises_early(
        lambda: Flags.from_agent("shop", "prod", "missing", url=where, **params), idle_server
    )


NONSENSE_SECONDS = [math.nan, math.inf, -math.inf, 1e12, -1, "5", None, True, [1]]


@pytest.mark.parametrize("value", NONSENSE_SECONDS)
@pytest.mark.parametrize(
    ("build", "name"),
    [
        (
            lambda server, path, v: Flags.from_agent(
                *AGENT, url=server.endpoint_url, poll_interval=v
            ),
            "poll_interval",
        ),
        (
            lambda server, path, v: Flags.from_agent(*AGENT, url=server.endpoint_url, timeout=v),
            "timeout",
        ),
        (lambda server, path, v: Flags.from_agent(*AGENT, url=server.endpoint_url, wait=v), "wait"),
        (
            lambda server, path, v: Flags.from_appconfig(*AGENT, client=server.client(), wait=v),
            "wait",
        ),
        (lambda server, path, v: Flags.from_file(path, watch=v), "watch"),
    ],
)
def test_nonsense_seconds_are_refused_before_anything_starts(
    idle_server: LocalAppConfig, tmp_path: Path, build: Any, name: str, value: Any
) -> None:
    if value is None and name in ("watch", "poll_interval"):
        return  # None means "not watching" / the default there
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(RETRIEVAL))
    before_threads, before_calls = _pollers(), idle_server.calls()
    with pytest.raises((ValueError, TypeError), match=f"^{name} must be "):
        build(idle_server, path, value)
    assert _pollers() <= before_threads
    assert idle_server.calls() == before_calls


@pytest.mark.parametrize("value", [0, 0.0, -5])
def test_zero_or_negative_periods_are_refused(tmp_path: Path, value: float) -> None:
    # They used to poll 20 times a second.
    with pytest.raises(ValueError, match=r"^poll_interval must be above 0 to 86400 seconds"):
        Flags.from_agent(*AGENT, url=UNREACHABLE, poll_interval=value)
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(RETRIEVAL))
    with pytest.raises(ValueError, match=r"^watch must be above 0 to 86400 seconds"):
        Flags.from_file(path, watch=value)
    Flags.from_agent(*AGENT, url=UNREACHABLE, wait=0).close()  # 0 is fine for wait


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_bytes": 0}, ValueError, "max_bytes must be at least 1"),
        ({"max_bytes": "1"}, TypeError, "max_bytes must be an int"),
        ({"clock": 5}, TypeError, "clock must be a callable"),
        ({"backup": 5}, TypeError, "backup must be a path"),
        ({"schema": {"type": 12}}, ValueError, "schema is not a valid JSON Schema"),
        ({"schema": 5}, TypeError, "schema must be a mapping, a path or None"),
        ({"token": 5}, TypeError, "token must be a string or None"),
        ({"url": 5}, TypeError, "url must be a string"),
    ],
)
def test_other_nonsense_parameters_name_themselves(
    idle_server: LocalAppConfig, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    options = {"url": idle_server.endpoint_url, **kwargs}
    before = idle_server.calls()
    with pytest.raises(error, match=f"^{message}"):
        Flags.from_agent(*AGENT, **options)
    assert idle_server.calls() == before


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, "5", None])
def test_refresh_and_close_check_their_timeout(value: Any) -> None:
    flags = Flags.from_dict(RETRIEVAL)
    with pytest.raises((ValueError, TypeError), match=r"^timeout must be "):
        flags.refresh(timeout=value)
    with pytest.raises((ValueError, TypeError), match=r"^timeout must be "):
        flags.close(timeout=value)
    flags.close(timeout=0)
