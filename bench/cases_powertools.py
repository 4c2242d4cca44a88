"""A Powertools flag with 3 rules x 2 conditions: appflags vs Powertools on the same document."""

from __future__ import annotations

from typing import Any

import appflags
from bench._harness import Comparison, call
from bench.cases_static import powertools_flags

DOC: dict[str, Any] = {
    "premium-checkout": {
        "default": False,
        "rules": {
            "gold tier in EU": {
                "when_match": True,
                "conditions": [
                    {"action": "EQUALS", "key": "tier", "value": "gold"},
                    {"action": "IN", "key": "region", "value": ["eu-west-1", "eu-central-1"]},
                ],
            },
            "staff on mobile": {
                "when_match": True,
                "conditions": [
                    {"action": "ENDSWITH", "key": "email", "value": "@example.com"},
                    {"action": "EQUALS", "key": "platform", "value": "ios"},
                ],
            },
            "big spenders": {
                "when_match": True,
                "conditions": [
                    {"action": "KEY_GREATER_THAN_VALUE", "key": "spend", "value": 1000},
                    {"action": "NOT_EQUALS", "key": "country", "value": "XX"},
                ],
            },
        },
    }
}
# The worst case: every rule is tried, the last one matches.
CONTEXT = {
    "tier": "silver",
    "region": "us-east-1",
    "email": "jane@customer.org",
    "platform": "web",
    "spend": 2500,
    "country": "DE",
}


def comparisons() -> list[Comparison]:
    """The 3 x 2 rules comparison (needs aws-lambda-powertools installed); evaluate() on the
    same flag is compared in ``cases_evaluate``, with the same target."""
    try:
        powertools = powertools_flags(DOC)
    except ImportError:
        return []
    flags = appflags.Flags.from_dict(DOC, format="powertools")
    return [
        Comparison(
            "3 rules x 2 conditions vs Powertools",
            "appflags is_enabled",
            call(flags, "is_enabled", "premium-checkout", CONTEXT),
            "Powertools FeatureFlags.evaluate",
            call(powertools, "evaluate", name="premium-checkout", context=CONTEXT, default=False),
            target=10.0,
            direction="at_least",
        )
    ]
