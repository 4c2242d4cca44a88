"""Flags.from_agent answers multi-variant flags per lookup context, through the Agent."""

from __future__ import annotations

import copy
import http.server
import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support import APP, proxies_to_a_closed_port, variant_requests, wait_for
from appflags import ErrorCode, Flags, Reason, State, VariantOptions
from appflags.sources._agent_variants import (
    MAX_PENDING,
    AgentVariants,
    header_text,
)
from appflags.sources._agent_variants import VariantOptions as CheckedOptions
from appflags.sources.agent import default_agent_url
from appflags.testing import Fault, LocalAppConfig
from appflags.testing._agent import parse_context

QA = {"email": "jane@qa-testers.mycompany.com"}
BETA: dict[str, Any] = {"email": "joe@example.org", "opted_in_to_beta": True, "age": 42}

# AWS's ui_refresh example, and a basic flag next to it.
STORED: dict[str, Any] = {
    "version": "1",
    "flags": {
        "ui_refresh": {
            "name": "UI Refresh",
            "attributes": {
                "dark_mode_support": {"constraints": {"type": "boolean"}},
                "theme": {"constraints": {"type": "string"}},
            },
        },
        "checkout": {"name": "Checkout", "attributes": {"color": {}}},
    },
    "values": {
        "ui_refresh": {
            "_variants": [
                {
                    "name": "QA",
                    "enabled": True,
                    "rule": '(ends_with $email "qa-testers.mycompany.com")',
                    "attributeValues": {"dark_mode_support": True, "theme": "night"},
                },
                {
                    "name": "Beta Testers",
                    "enabled": True,
                    "rule": "(and (eq $opted_in_to_beta true) (gt $age 30))",
                    "attributeValues": {"dark_mode_support": False},
                },
                {"name": "Default Variant", "enabled": False},
            ]
        },
        "checkout": {"enabled": True, "color": "red"},
    },
}


@pytest.fixture
def stored(server: LocalAppConfig) -> LocalAppConfig:
    server.put(*APP, STORED)
    return server


@pytest.fixture
def flags(stored: LocalAppConfig) -> Iterator[Flags]:
    # A long poll interval: no poll lands between a test's steps. A generous budget:
    # on a loaded machine the first lookup still gets the Agent's answer.
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as agent_flags:
        assert agent_flags.state is State.READY
        yield agent_flags


def test_variants_are_answered_per_context(flags: Flags) -> None:
    assert flags.is_enabled("ui_refresh", QA) is True
    assert flags.get_bool("ui_refresh.dark_mode_support", False, QA) is True
    assert flags.get_str("ui_refresh.theme", "day", QA) == "night"
    assert flags.get_str("ui_refresh._variant", "", BETA) == "Beta Testers"
    # Beta Testers sets no theme: the caller's default, no error.
    beta_theme = flags.evaluate("ui_refresh.theme", "day", BETA)
    assert (beta_theme.value, beta_theme.variant, beta_theme.error_code) == (
        "day",
        "Beta Testers",
        None,
    )
    evaluation = flags.evaluate("ui_refresh", False, QA)
    assert (evaluation.value, evaluation.variant) == (True, "QA")
    assert evaluation.reason is Reason.TARGETING_MATCH
    # No context: the Agent's empty-context answer (the default variant, disabled).
    assert flags.is_enabled("ui_refresh", {"email": "x@example.org"}) is False
    assert flags.get_str("ui_refresh._variant", "", {}) == "Default Variant"
    assert flags.enabled_features(QA) == ["ui_refresh", "checkout"]
    assert flags.enabled_features({}) == ["checkout"]


def test_at_most_one_agent_request_per_flag_and_context_per_ttl(
    stored: LocalAppConfig,
) -> None:
    with Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(ttl=2, budget=10),
    ) as flags:
        for _ in range(20):
            assert flags.get_bool("ui_refresh.dark_mode_support", False, QA) is True
            assert flags.is_enabled("ui_refresh", dict(QA)) is True
            assert flags.get_str("ui_refresh._variant", "", BETA) == "Beta Testers"
            assert flags.get_str("checkout.color", "", QA) == "red"  # in memory
        requests = variant_requests(stored)
        assert sorted(r.context["email"] for r in requests) == sorted([BETA["email"], QA["email"]])
        assert {r.flags for r in requests} == {("ui_refresh",)}
        time.sleep(2.1)  # past the TTL: the next lookup asks again, once
        for _ in range(5):
            assert flags.get_bool("ui_refresh.dark_mode_support", False, QA) is True
        assert len(variant_requests(stored)) == 3


def test_a_new_version_gets_a_fresh_cache(stored: LocalAppConfig) -> None:
    # TTL = poll interval = 60 s: only a new version can change a cached answer here.
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        assert flags.get_str("ui_refresh.theme", "", QA) == "night"
        # Only a variant the empty context does not get changes: the polled answer is
        # the same bytes, and the new version label alone empties the cache.
        changed = copy.deepcopy(STORED)
        changed["values"]["ui_refresh"]["_variants"][0]["attributeValues"]["theme"] = "dusk"
        stored.put(*APP, changed)
        assert flags.get_str("ui_refresh.theme", "", QA) == "night"  # cached
        assert flags.refresh()
        assert flags.get_str("ui_refresh.theme", "", QA) == "dusk"
        # A new polled answer is a new snapshot, with a cache of its own.
        changed["values"]["checkout"]["color"] = "blue"
        changed["values"]["ui_refresh"]["_variants"][0]["attributeValues"]["theme"] = "noon"
        stored.put(*APP, changed)
        assert flags.refresh()
        assert flags.get_str("checkout.color", "", QA) == "blue"
        assert flags.get_str("ui_refresh.theme", "", QA) == "noon"
        assert len(variant_requests(stored)) == 3


def test_background_mode_answers_at_once_and_fetches_for_next_time(
    stored: LocalAppConfig,
) -> None:
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(mode="background")
    ) as flags:
        # The first lookup of a context never waits: it answers the polled answer.
        assert flags.get_bool("ui_refresh.dark_mode_support", False, QA) is False
        assert wait_for(lambda: flags.get_bool("ui_refresh.dark_mode_support", False, QA))
        assert len(variant_requests(stored)) == 1


@pytest.mark.parametrize(
    "context",
    [
        {"email": "a,b@qa-testers.mycompany.com"},
        {"email": "x=y@qa-testers.mycompany.com"},
        {"email": "jane@qa-testers.mycompany.com\r\nX-Evil: 1"},
        {"email": " jane@qa-testers.mycompany.com"},
        {"email": "jane@qa-testers.mycompany.com", "tags": ["a"]},
        {"email": "jane@qa-testers.mycompany.com", "score": float("nan")},
        {"email": "jane@qa-testers.mycompany.com", "a=b": "1"},
        # Past what a Context header may carry (8,192 characters), and an int that
        # Python refuses to write as text (more than 4,300 digits).
        {"email": "j" * 20_000 + "@qa-testers.mycompany.com"},
        {"email": "jane@qa-testers.mycompany.com", **{f"k{i:04}": "v" * 8 for i in range(2_000)}},
        {"email": "jane@qa-testers.mycompany.com", "n": 10**5000},
    ],
    ids=["comma", "equals", "newline", "space", "list", "nan", "name", "long", "wide", "bigint"],
)
def test_unsafe_contexts_are_not_sent(
    flags: Flags, stored: LocalAppConfig, context: dict[str, Any]
) -> None:
    assert flags.get_bool("ui_refresh.dark_mode_support", True, context) is True  # default
    assert flags.get_str("ui_refresh._variant", "", context) == "Default Variant"
    assert variant_requests(stored) == []


def test_one_request_per_context_answers_every_multi_variant_flag(
    server: LocalAppConfig,
) -> None:
    # enabled_features (or a page reading several such flags) for a new context waits on
    # one request and one budget, not one per flag.
    document = copy.deepcopy(STORED)
    for name in ("ui_b", "ui_c"):
        document["flags"][name] = document["flags"]["ui_refresh"]
        document["values"][name] = document["values"]["ui_refresh"]
    server.put(*APP, document)
    with Flags.from_agent(
        *APP, url=server.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        assert sorted(flags.enabled_features(QA)) == ["checkout", "ui_b", "ui_c", "ui_refresh"]
        assert flags.get_str("ui_c._variant", "", BETA) == "Beta Testers"
        assert flags.get_str("ui_b.theme", "", BETA) == ""
        assert flags.is_enabled("ui_refresh", BETA) is True
    assert [(r.flags, r.context["email"]) for r in variant_requests(server)] == [
        (("ui_b", "ui_c", "ui_refresh"), QA["email"]),
        (("ui_b", "ui_c", "ui_refresh"), BETA["email"]),
    ]


def test_non_ascii_context_values_reach_the_agent_as_written(server: LocalAppConfig) -> None:
    document = copy.deepcopy(STORED)
    document["values"]["ui_refresh"]["_variants"][0]["rule"] = '(eq $name "José Ñandú")'
    server.put(*APP, document)
    context = {"name": "José Ñandú", "targetingKey": "ü-42"}
    with Flags.from_agent(
        *APP, url=server.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        assert flags.get_str("ui_refresh._variant", "", context) == "QA"
    (request,) = variant_requests(server)
    assert (request.context, request.entity_id) == (context, "ü-42")


def test_contexts_that_cannot_be_encoded_never_stop_other_contexts(
    flags: Flags, stored: LocalAppConfig
) -> None:
    # A lone surrogate (json.loads makes one of "\\ud800") cannot be sent as UTF-8. More
    # such contexts than there are request slots must leave the slots free for others.
    for i in range(MAX_PENDING + 1):
        lonely = {"email": f"u{i}\ud800@qa-testers.mycompany.com"}
        assert flags.get_str("ui_refresh._variant", "", lonely) == "Default Variant"
    assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    assert [r.context for r in variant_requests(stored)] == [QA]


def test_values_go_as_text_and_context_keys_limit_what_leaves(
    stored: LocalAppConfig,
) -> None:
    context = {**BETA, "password": "hunter2", "nothing": None, "targetingKey": "u-42"}
    with Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        context_keys={"email", "opted_in_to_beta", "age", "targetingKey"},
    ) as flags:
        assert flags.get_str("ui_refresh._variant", "", context) == "Beta Testers"
    (request,) = variant_requests(stored)
    assert request.context == {
        "age": "42",
        "email": BETA["email"],
        "opted_in_to_beta": "true",
        "targetingKey": "u-42",
    }
    assert request.entity_id == "u-42"


def test_entity_id_can_name_another_attribute(stored: LocalAppConfig) -> None:
    with Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        entity_id="email",
    ) as flags:
        assert flags.is_enabled("ui_refresh", QA) is True
    (request,) = variant_requests(stored)
    assert request.entity_id == QA["email"]


def test_the_access_token_goes_as_a_bearer_header(stored: LocalAppConfig) -> None:
    stored.agent_token = "s3cr3t"
    with Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        token="s3cr3t",
    ) as flags:
        assert flags.state is State.READY
        assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    assert all(c.agent.authorization == "Bearer s3cr3t" for c in stored.log if c.agent)


def test_agent_failures_answer_the_polled_answer_and_are_cached(
    flags: Flags, stored: LocalAppConfig
) -> None:
    stored.inject(Fault.SERVER_ERROR, call="Agent")
    for _ in range(3):
        assert flags.get_str("ui_refresh._variant", "", QA) == "Default Variant"
    assert len(variant_requests(stored)) == 1
    assert flags.get_str("ui_refresh._variant", "", BETA) == "Beta Testers"


def test_closed_or_off_flags_answer_in_memory(stored: LocalAppConfig) -> None:
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, variants=VariantOptions(mode="off")
    ) as flags:
        assert flags.get_str("ui_refresh._variant", "", QA) == "Default Variant"
    flags = Flags.from_agent(*APP, url=stored.endpoint_url, variants=VariantOptions(budget=10))
    flags.close()
    assert flags.get_str("ui_refresh._variant", "", QA) == "Default Variant"
    assert variant_requests(stored) == []


def test_invalid_variant_options_are_refused() -> None:
    with pytest.raises(ValueError, match="variants"):
        Flags.from_agent(*APP, variants=VariantOptions(mode="sometimes"), wait=0)
    with pytest.raises(ValueError, match="variant_ttl"):
        Flags.from_agent(*APP, poll_interval=5, variants=VariantOptions(ttl=6), wait=0)
    with pytest.raises(ValueError, match="variant_cache_size"):
        Flags.from_agent(*APP, variants=VariantOptions(cache_size=0), wait=0)
    for unbounded in (float("inf"), float("nan"), -1.0):  # a lookup must stay bounded
        with pytest.raises(ValueError, match="variant_budget"):
            Flags.from_agent(*APP, variants=VariantOptions(budget=unbounded), wait=0)


def test_default_url_honours_appflags_and_lambda_extension_variables(
    stored: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = urlsplit(stored.endpoint_url).port
    for name in ("APPFLAGS_AGENT_URL", "AWS_APPCONFIG_EXTENSION_HTTP_PORT", "HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert default_agent_url() == "http://localhost:2772"
    # The Agent's HTTP_PORT usually names the application's own port in a container.
    monkeypatch.setenv("HTTP_PORT", str(port))
    assert default_agent_url() == "http://localhost:2772"
    monkeypatch.setenv("AWS_APPCONFIG_EXTENSION_HTTP_PORT", str(port))
    assert default_agent_url() == f"http://localhost:{port}"
    with Flags.from_agent(*APP, poll_interval=60) as flags:
        assert flags.state is State.READY
    monkeypatch.setenv("AWS_APPCONFIG_EXTENSION_HTTP_PORT", "1")
    monkeypatch.setenv("APPFLAGS_AGENT_URL", stored.endpoint_url)
    assert default_agent_url() == stored.endpoint_url
    with Flags.from_agent(*APP, poll_interval=60, variants=VariantOptions(budget=10)) as flags:
        assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    monkeypatch.delenv("APPFLAGS_AGENT_URL")
    monkeypatch.setenv("AWS_APPCONFIG_EXTENSION_HTTP_PORT", "http")
    with pytest.raises(ValueError, match="AWS_APPCONFIG_EXTENSION_HTTP_PORT"):
        default_agent_url()
    # A URL without its scheme names the variable it came from.
    monkeypatch.setenv("APPFLAGS_AGENT_URL", "localhost:2772")
    with pytest.raises(ValueError, match="APPFLAGS_AGENT_URL"):
        Flags.from_agent(*APP, wait=0)


_VALUES = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=4))
def test_a_context_is_sent_only_as_headers_that_read_back_the_same(
    context: dict[str, Any],
) -> None:
    variants = AgentVariants(lambda *_: {}, CheckedOptions())
    key = variants.cache_key("flag", context)
    if key is None:
        # Refused: something in it could not travel as it is.
        assert any(
            header_text(value) is None or header_text(name) is None or not name
            for name, value in context.items()
            if value is not None
        )
        return
    _, pairs = key
    header = ",".join(f"{name}={text}" for name, text in pairs)
    # What the Agent (here LocalAppConfig's reader) gets back is exactly what was meant.
    assert parse_context([header]) == dict(pairs)
    assert dict(pairs) == {n: header_text(v) for n, v in context.items() if v is not None}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_asks_the_agent_on_threads_of_its_own(
    flags: Flags, stored: LocalAppConfig, tmp_path: Path
) -> None:
    # The parent's worker has answered once and sits idle: a child that reused the
    # parent's pool would queue its request behind a thread it does not have.
    assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    report = tmp_path / "child.json"
    pid = os.fork()
    if pid == 0:
        try:
            result = {
                "cached": flags.get_str("ui_refresh._variant", "", QA),
                "asked": flags.get_str("ui_refresh._variant", "", BETA),
            }
            report.write_text(json.dumps(result))
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert json.loads(report.read_text()) == {"cached": "QA", "asked": "Beta Testers"}
    assert [r.context["email"] for r in variant_requests(stored)] == [QA["email"], BETA["email"]]


@pytest.mark.parametrize(
    "key", [None, 1, 2.5, b"ui_refresh.theme", ("ui_refresh",), ["x"], {"x": 1}]
)
def test_keys_that_are_not_strings_answer_the_default_beside_multi_variant_flags(
    flags: Flags, key: Any
) -> None:
    # The rules of multi-variant flags also answer attributes the polled answer lacks:
    # a key that is no string names none of them, and never raises.
    assert flags.is_enabled(key, QA, default=True) is True
    assert flags.get_str(key, "d", QA) == "d"
    assert flags.get_int(key, 7, QA) == 7
    assert flags.get_object(key, [1], QA) == [1]
    for _ in range(2):  # the second through evaluate's memo
        result = flags.evaluate(key, "d", QA)
        assert (result.value, result.error_code) == ("d", ErrorCode.FLAG_NOT_FOUND)


def test_closed_flags_keep_cached_answers_until_they_expire_and_ask_no_more(
    stored: LocalAppConfig,
) -> None:
    flags = Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10, ttl=2),
    )
    assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    flags.close()
    # Closed flags keep answering from their last snapshot (docs/operations.md): the
    # context already answered keeps its answer (from the memo too), until its TTL...
    for _ in range(2):
        assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    assert flags.get_str("ui_refresh._variant", "", BETA) == "Default Variant"
    time.sleep(2.1)
    # ... and then answers the polled answer, as every new context does: no request.
    assert flags.get_str("ui_refresh._variant", "", QA) == "Default Variant"
    assert [r.context["email"] for r in variant_requests(stored)] == [QA["email"]]


def test_variant_requests_ignore_proxy_settings(
    stored: LocalAppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Per-context requests go to the Agent directly, as polls do: a closed port stands in
    # for a proxy meant for the application's outbound traffic.
    proxies_to_a_closed_port(monkeypatch)
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        assert flags.state is State.READY
        assert flags.get_str("ui_refresh._variant", "", QA) == "QA"
    assert len(variant_requests(stored)) == 1


class _RedirectsVariantRequests(http.server.BaseHTTPRequestHandler):
    """Relays polls to ``target`` and answers every per-flag request with a redirect there."""

    target = ""
    redirected: list[tuple[str, str | None]]

    def do_GET(self) -> None:
        if "?" in self.path:
            self.redirected.append((self.path, self.headers.get("Authorization")))
            self.send_response(302)
            self.send_header("Location", self.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        relay = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        headers = {"Authorization": self.headers.get("Authorization", "")}
        request = urllib.request.Request(self.target + self.path, headers=headers)  # noqa: S310 - the local server
        with relay.open(request, timeout=5) as answer:
            body = answer.read()
            self.send_response(answer.status)
            for name in ("Content-Type", "Configuration-Version"):
                if answer.headers.get(name):
                    self.send_header(name, answer.headers[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - hook's signature
        """Quiet."""


def test_a_redirected_variant_request_is_a_failure_and_the_token_stays(
    stored: LocalAppConfig,
) -> None:
    # A per-context request answered with a redirect is not followed (its Authorization
    # header would go wherever Location points): the lookup answers the polled answer.
    stored.agent_token = "s3cr3t"
    redirected: list[tuple[str, str | None]] = []
    handler = type(
        "Redirects",
        (_RedirectsVariantRequests,),
        {"target": stored.endpoint_url, "redirected": redirected},
    )
    redirector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=redirector.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}"
        with Flags.from_agent(
            *APP, url=url, poll_interval=60, variants=VariantOptions(budget=10), token="s3cr3t"
        ) as flags:
            assert flags.state is State.READY
            assert flags.get_str("checkout.color", "", QA) == "red"  # polled through the relay
            assert flags.get_str("ui_refresh._variant", "", QA) == "Default Variant"
        assert [path.split("?")[1] for path, _ in redirected] == ["flag=ui_refresh"]
        assert variant_requests(stored) == []  # the redirect's target was never asked
    finally:
        redirector.shutdown()
        redirector.server_close()


# ---------------------------------------------- fallbacks say so; typos are not found


def test_a_context_the_agent_cannot_carry_answers_the_polled_variant_as_stale(
    flags: Flags, stored: LocalAppConfig
) -> None:
    # A list cannot travel in a Context header: the empty context's variant answers, and
    # says it is not this context's own (in-process this context gets "QA").
    context = {**QA, "groups": ["admins"]}
    answer = flags.evaluate("ui_refresh", True, context)
    assert (answer.value, answer.variant, answer.reason, answer.error_code) == (
        False,
        "Default Variant",
        Reason.STALE,
        None,
    )
    assert flags.evaluate("ui_refresh._variant", "", context).reason is Reason.STALE
    assert variant_requests(stored) == []
    # A context with nothing to send is the empty context: its answer is the real one.
    assert flags.evaluate("ui_refresh", True, {}).reason is Reason.DISABLED


def test_an_agent_failure_or_a_missed_budget_answers_stale(stored: LocalAppConfig) -> None:
    with Flags.from_agent(
        *APP,
        url=stored.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        track_usage=True,
    ) as flags:
        stored.inject(Fault.SERVER_ERROR, call="Agent")
        failed = flags.evaluate("ui_refresh.dark_mode_support", True, QA)
        assert (failed.value, failed.variant, failed.reason, failed.error_code) == (
            True,  # the empty context's variant is disabled: the caller's default
            "Default Variant",
            Reason.STALE,
            None,
        )
        assert flags.evaluate("ui_refresh", True, QA).reason is Reason.STALE  # cached failure
        counted = {(e.key, e.reason) for e in flags.usage().evaluations}
        assert ("ui_refresh", Reason.STALE) in counted
        assert flags.usage(reset=True).agent_fallbacks == 2  # both lookups
        assert flags.usage().agent_fallbacks == 0
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(budget=0)
    ) as flags:
        # No budget at all: the first lookup of a context cannot have the Agent's answer.
        assert flags.evaluate("ui_refresh", True, BETA).reason is Reason.STALE
    with Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(mode="background")
    ) as flags:
        assert flags.evaluate("ui_refresh", True, QA).reason is Reason.STALE
        wait_for(lambda: flags.evaluate("ui_refresh", True, QA).reason is Reason.TARGETING_MATCH)


def test_a_typo_in_an_attribute_is_not_found_whatever_the_source(
    stored: LocalAppConfig,
) -> None:
    # The same stored document served by one LocalAppConfig to both: as a freeform
    # profile through AppConfigData (evaluated in-process: AppConfig serves no variants of
    # a feature-flag profile) and through the Agent route (evaluated by the "Agent").
    stored.put("shop", "prod", "flags-freeform", STORED, profile_type="AWS.Freeform")
    in_process = Flags.from_appconfig(
        "shop", "prod", "flags-freeform", client=stored.client(), poll_interval=60
    )
    agent = Flags.from_agent(
        *APP, url=stored.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    )
    with in_process, agent:
        for context in (QA, BETA, {}, None):
            answers = [
                flags.evaluate("ui_refresh.drak", True, context) for flags in (in_process, agent)
            ]
            assert [(a.value, a.reason, a.error_code) for a in answers] == 2 * [
                (True, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)
            ]
            assert [
                flags.get_bool("ui_refresh.drak", True, context) for flags in (in_process, agent)
            ] == [True, True]
            assert [
                flags.get_str("ui_refresh.drak", "d", context) for flags in (in_process, agent)
            ] == ["d", "d"]
            assert [
                flags.is_enabled("ui_refresh.drak", context) for flags in (in_process, agent)
            ] == [False, False]
            # A declared attribute the variant sets answers alike too.
            assert (
                len(
                    {
                        flags.get_bool("ui_refresh.dark_mode_support", False, context)
                        for flags in (in_process, agent)
                    }
                )
                == 1
            )
        for flags in (in_process, agent):
            assert [(m.key, m.count) for m in flags.usage().missing] == [("ui_refresh.drak", 16)]
