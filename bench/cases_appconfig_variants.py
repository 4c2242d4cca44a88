"""AppConfig multi-variant flags: a lookup through three variant rules (AWS's ui_refresh)."""

from __future__ import annotations

from typing import Any

import appflags
from bench._harness import Figure, best_ns, call

TARGET_US = 2.0

UI_REFRESH: dict[str, Any] = {
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
                {
                    "name": "Beta Testers",
                    "enabled": True,
                    "rule": '(exists key::"opted_in_to_beta")',
                    "attributeValues": {"dark_mode_support": True},
                },
                {
                    "name": "Sample Population",
                    "enabled": True,
                    "rule": "(split pct::10 by::$email)",
                    "attributeValues": {"dark_mode_support": False},
                },
                {"name": "Default Variant", "enabled": False},
            ]
        }
    },
}

CASES = {
    "first variant matches": {"email": "jane@qa-testers.mycompany.com"},
    "second variant matches": {"email": "jane@example.org", "opted_in_to_beta": "true"},
    "all three rules tried (split), default answers": {"email": "jane@example.org"},
}

NOTES = {
    "all three rules tried (split), default answers": "what limits it: the split's "
    "SHA-256 of seed and value (~0.5 us with CPython's built-in hash, ~1.6 us through "
    "OpenSSL) on top of trying the two rules before it",
}


def figures(*, quick: bool) -> list[Figure]:
    """Cost of ``is_enabled`` and of an attribute lookup on a 3-variant flag."""
    flags = appflags.Flags.from_dict(UI_REFRESH)
    repeat, budget = (3, 0.02) if quick else (7, 0.2)
    out = []
    for label, context in CASES.items():
        lookup = call(flags, "is_enabled", "ui_refresh", context)
        flag_us = best_ns(lookup, repeat=repeat, budget=budget) / 1000
        out.append(
            Figure(
                f"3-variant flag, is_enabled, {label}",
                flag_us,
                "us",
                f"~1-2 (<= {TARGET_US:g})",
                flag_us <= TARGET_US,
                note=NOTES.get(label, ""),
            )
        )
    context = CASES["all three rules tried (split), default answers"]
    attribute_us = (
        best_ns(
            call(flags, "get_bool", "ui_refresh.dark_mode_support", False, context),
            repeat=repeat,
            budget=budget,
        )
        / 1000
    )
    out.append(
        Figure(
            "3-variant flag, get_bool of an attribute, default answers",
            attribute_us,
            "us",
            f"~1-2 (<= {TARGET_US:g})",
            attribute_us <= TARGET_US,
            note=NOTES["all three rules tried (split), default answers"],
        )
    )
    return out
