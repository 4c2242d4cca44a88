"""LocalAppConfig's Agent route: per-request variants, flag=, the access token."""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest

from _support import APP
from appflags.testing import AgentRequest, LocalAppConfig

PATH = "/applications/shop/environments/prod/configurations/flags"

# AWS's ui_refresh example ("Creating multi-variant feature flags"), plus a basic flag.
STORED: dict[str, Any] = {
    "version": "1",
    "flags": {
        "ui_refresh": {
            "name": "UI Refresh",
            "attributes": {"dark_mode_support": {"constraints": {"type": "boolean"}}},
        },
        "checkout": {"name": "Checkout", "attributes": {"color": {}}},
        "old": {"name": "Old"},
    },
    "values": {
        "ui_refresh": {
            "_variants": [
                {
                    "name": "QA",
                    "enabled": True,
                    "rule": '(ends_with $email "qa-testers.mycompany.com")',
                    "attributeValues": {"dark_mode_support": True},
                },
                {
                    "name": "Beta Testers",
                    "enabled": True,
                    "rule": '(and (exists key::"opted_in_to_beta") (gt $age 30))',
                    "attributeValues": {"dark_mode_support": False},
                },
                {"name": "Default Variant", "enabled": False},
            ]
        },
        "checkout": {"enabled": True, "color": "red"},
        "old": {"enabled": False},
    },
}


def get(
    server: LocalAppConfig,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[int, dict[str, str], Any]:
    """One GET to the Agent route with raw headers (a name may repeat)."""
    netloc = urlsplit(server.endpoint_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=5)
    try:
        connection.putrequest("GET", PATH + query)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), json.loads(body)
    finally:
        connection.close()


def test_variants_follow_each_requests_context_headers(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    status, headers, body = get(server)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Configuration-Version"] == "1"
    assert body == {
        "ui_refresh": {"_variant": "Default Variant", "enabled": False},
        "checkout": {"enabled": True, "color": "red"},
        "old": {"enabled": False},
    }
    qa = [("Context", "email=jane@qa-testers.mycompany.com")]
    assert get(server, headers=qa)[2]["ui_refresh"] == {
        "_variant": "QA",
        "enabled": True,
        "dark_mode_support": True,
    }
    # Several Context headers, and comma-separated pairs in one, mean the same; the
    # text "42" is compared as a number, as the Agent receives every value as text.
    beta = {"_variant": "Beta Testers", "enabled": True, "dark_mode_support": False}
    two_headers = [("Context", "opted_in_to_beta=true"), ("Context", "age=42")]
    assert get(server, headers=two_headers)[2]["ui_refresh"] == beta
    assert (
        get(server, headers=[("Context", "opted_in_to_beta=true, age=42")])[2]["ui_refresh"] == beta
    )
    young = [("Context", "opted_in_to_beta=true,age=9")]
    assert get(server, headers=young)[2]["ui_refresh"]["_variant"] == "Default Variant"


def test_flag_parameters_keep_only_those_flags(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    qa = [("Context", "email=a@qa-testers.mycompany.com")]
    status, _, body = get(server, "?flag=ui_refresh", qa)
    assert status == 200
    assert body == {"ui_refresh": {"_variant": "QA", "enabled": True, "dark_mode_support": True}}
    assert list(get(server, "?flag=old&flag=checkout")[2]) == ["old", "checkout"]
    status, _, body = get(server, "?flag=nope")
    assert status == 400
    assert "nope" in body["Message"]


def test_requests_are_recorded_with_flags_context_and_entity_id(
    server: LocalAppConfig,
) -> None:
    server.put(*APP, STORED)
    get(server, "?flag=ui_refresh", [("Context", "a=1,b=x y"), ("Entity-Id", "u-42")])
    (call,) = server.log
    assert call.operation == "Agent"
    assert call.agent == AgentRequest(("ui_refresh",), {"a": "1", "b": "x y"}, "u-42", None)


def test_the_path_names_the_profile_percent_encoded(server: LocalAppConfig) -> None:
    server.put("my shop", "prod", "flags", {"beta": {"enabled": True}})
    netloc = urlsplit(server.endpoint_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=5)
    try:
        connection.request("GET", "/applications/my%20shop/environments/prod/configurations/flags")
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"beta": {"enabled": True}})
    finally:
        connection.close()


def test_a_context_pair_without_equals_is_a_bad_request(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    status, _, _ = get(server, headers=[("Context", "email")])
    assert status == 400


def test_retrieval_form_is_filtered_and_freeform_served_verbatim(
    server: LocalAppConfig,
) -> None:
    server.put(*APP, {"beta": {"enabled": True}, "gamma": {"enabled": False}})
    assert get(server, "?flag=gamma")[2] == {"gamma": {"enabled": False}}
    server.put(*APP, b'{"limits": [1, 2]}')
    status, _, body = get(server, headers=[("Context", "a=1")])
    assert (status, body) == (200, {"limits": [1, 2]})
    assert get(server, "?flag=limits")[0] == 400


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong", 401), ("s3cr3t", 401), ("Bearer s3cr3t", 200)],
)
def test_access_token_is_checked_when_configured(
    server: LocalAppConfig, authorization: str | None, status: int
) -> None:
    server.put(*APP, STORED)
    server.agent_token = "s3cr3t"
    headers = [("Authorization", authorization)] if authorization else []
    assert get(server, headers=headers)[0] == status
