"""evaluate(): its cost over is_enabled for the same key, and against Powertools."""

from __future__ import annotations

from typing import Any

import appflags
from bench import cases_powertools
from bench._harness import Call, Comparison, call
from bench.cases_static import CONTEXT, powertools_flags

DOC = {
    "new-checkout": {
        "enabled": True,
        "button_color": "green",
        "max_items": 25,
        "regions": ["eu-west-1", "eu-central-1", "us-east-1"],
    },
    "dark-mode": {"enabled": False},
}
POWERTOOLS_VALUES: dict[str, Any] = {
    "new-checkout": {"default": True},
    "checkout-regions": {
        "default": ["eu-west-1", "eu-central-1", "us-east-1"],
        "boolean_type": False,
    },
}
SHARED_NOTE = (
    "what limits it: a shared answer is two dict subscripts (the default's type, then the "
    "key) and a type check on top of is_enabled's own method call"
)


def comparisons() -> list[Comparison]:
    """evaluate() over is_enabled, shared and unshared answers; evaluate() vs Powertools."""
    flags = appflags.Flags.from_dict(DOC)
    rules = appflags.Flags.from_dict(cases_powertools.DOC, format="powertools")
    rule_context = cases_powertools.CONTEXT

    def over_is_enabled(
        group: str, key: str, default: Any, target: float, note: str = SHARED_NOTE
    ) -> Comparison:
        return Comparison(
            f"evaluate vs is_enabled: {group}",
            "appflags evaluate",
            Call(flags, "evaluate", (key, default), then="value"),
            "appflags is_enabled (same key)",
            call(flags, "is_enabled", key),
            target=target,
            direction="at_most",
            same_answer=False,
            note=note,
        )

    out = [
        over_is_enabled("static flag", "new-checkout", False, 4.0),
        over_is_enabled("missing key", "no-such-flag", False, 4.0),
        over_is_enabled("type mismatch", "new-checkout.button_color", 0, 4.0),
        over_is_enabled(
            "array attribute",
            "new-checkout.regions",
            None,
            8.0,
            note="what limits it: the caller gets its own copy of the list, built per call",
        ),
        Comparison(
            "evaluate vs is_enabled: 3 rules x 2 conditions",
            "appflags evaluate",
            Call(rules, "evaluate", ("premium-checkout", False, rule_context), then="value"),
            "appflags is_enabled (same key, same context)",
            call(rules, "is_enabled", "premium-checkout", rule_context),
            target=8.0,
            direction="at_most",
        ),
    ]
    try:
        static_pt = powertools_flags(POWERTOOLS_VALUES)
        rules_pt = powertools_flags(cases_powertools.DOC)
    except ImportError:
        return out
    values = appflags.Flags.from_dict(POWERTOOLS_VALUES, format="powertools")
    out += [
        Comparison(
            "evaluate vs Powertools: static flag",
            "appflags evaluate",
            Call(values, "evaluate", ("new-checkout", False, CONTEXT), then="value"),
            "Powertools FeatureFlags.evaluate",
            call(static_pt, "evaluate", name="new-checkout", context=CONTEXT, default=False),
            target=15.0,
            direction="at_least",
            note="what limits it: evaluate() on a shared answer is a method call, two dict "
            "subscripts and a type check (~0.19 us with .value, ~1.2x is_enabled); a bare "
            "3-argument method returning its argument costs ~0.07 us with .value timed the "
            "same way. Powertools' in-memory best case is ~1.7 us on a quiet machine, so 15x "
            "would need ~0.11 us, less than is_enabled itself (~0.15 us): out of reach of a "
            "Python method call",
        ),
        Comparison(
            "evaluate vs Powertools: 3 rules x 2 conditions",
            "appflags evaluate",
            Call(rules, "evaluate", ("premium-checkout", False, rule_context), then="value"),
            "Powertools FeatureFlags.evaluate",
            call(
                rules_pt, "evaluate", name="premium-checkout", context=rule_context, default=False
            ),
            target=10.0,
            direction="at_least",
            note="what limits it: the rules, one loop over each rule's (test, key, value) "
            "triples (four context reads and four tests before the third rule matches); "
            "the lookup around them (~0.3 us) and evaluate()'s memo (~0.1 us: two dict "
            "subscripts, then the answer kept per Resolved)",
        ),
        Comparison(
            "evaluate vs Powertools: value flag (list)",
            "appflags evaluate",
            Call(values, "evaluate", ("checkout-regions", None, CONTEXT), then="value"),
            "Powertools FeatureFlags.evaluate",
            call(static_pt, "evaluate", name="checkout-regions", context=CONTEXT, default=[]),
            target=5.0,
            direction="at_least",
            note="what limits it: the caller gets its own copy of the list and so a new "
            "Evaluation per call (Powertools hands out the list it holds): ~0.58 us against "
            "~2.4 us; 5x would need ~0.47 us. The lookup itself is ~0.19 us (as a static "
            "flag's); the rest is the list's copy and the named tuple built from it and the "
            "kept fields (tuple.__new__, the cheapest way measured), and the call making them",
        ),
    ]
    return out
