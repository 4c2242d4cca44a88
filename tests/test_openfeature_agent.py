"""AppFlagsProvider over Flags.from_agent: the evaluation context reaches the Agent."""

from __future__ import annotations

from openfeature.evaluation_context import EvaluationContext

from _support import APP
from appflags import Flags, VariantOptions
from appflags.openfeature import AppFlagsProvider
from appflags.testing import LocalAppConfig

STORED = {
    "version": "1",
    "flags": {
        "ui_refresh": {
            "name": "UI Refresh",
            "attributes": {"dark_mode_support": {"constraints": {"type": "boolean"}}},
        }
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
                {"name": "Default Variant", "enabled": False},
            ]
        }
    },
}


def test_agent_variants_per_openfeature_context(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    with Flags.from_agent(
        *APP, url=server.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        provider = AppFlagsProvider(flags)
        context = EvaluationContext(
            targeting_key="u-42", attributes={"email": "jane@qa-testers.mycompany.com"}
        )
        details = provider.resolve_boolean_details("ui_refresh", False, context)
        assert (details.value, details.variant) == (True, "QA")
        attribute = provider.resolve_boolean_details("ui_refresh.dark_mode_support", False, context)
        assert attribute.value is True
        other = EvaluationContext(targeting_key="u-7", attributes={"email": "joe@example.org"})
        assert provider.resolve_boolean_details("ui_refresh", True, other).value is False
    requests = [c.agent for c in server.log if c.agent is not None and c.agent.flags]
    assert [(r.context["email"], r.entity_id) for r in requests] == [
        ("jane@qa-testers.mycompany.com", "u-42"),
        ("joe@example.org", "u-7"),
    ]


def test_an_agent_fallback_reaches_openfeature_as_stale(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    with Flags.from_agent(
        *APP, url=server.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        provider = AppFlagsProvider(flags)
        # A list-valued attribute cannot travel in the Agent's Context header.
        context = EvaluationContext(
            attributes={"email": "jane@qa-testers.mycompany.com", "groups": ["qa"]}
        )
        details = provider.resolve_boolean_details("ui_refresh", True, context)
        assert (details.value, details.variant, details.reason, details.error_code) == (
            False,
            "Default Variant",
            "STALE",
            None,
        )
