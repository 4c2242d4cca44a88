"""What usage tracking and overrides cost a lookup (issue 16)."""

from __future__ import annotations

import appflags
from bench._harness import Comparison, call

DOC = {
    "new-checkout": {"enabled": True, "button_color": "green"},
    "dark-mode": {"enabled": False},
}


def comparisons() -> list[Comparison]:
    """track_usage=True against the same lookup untracked; overrides active against none."""
    plain = appflags.Flags.from_dict(DOC)
    tracked = appflags.Flags.from_dict(DOC, track_usage=True)
    overridden = appflags.Flags.from_dict(DOC)
    overridden.override({"dark-mode": True})
    return [
        Comparison(
            "track_usage: is_enabled",
            "is_enabled, track_usage=True",
            call(tracked, "is_enabled", "new-checkout"),
            "is_enabled, untracked",
            call(plain, "is_enabled", "new-checkout"),
            target=10.0,
            direction="at_most",
            note="the price of counting every answer per variant and reason: a tracked "
            "lookup goes through evaluate() and one dict update. Flags built without "
            "track_usage keep the class's own lookups and pay nothing.",
        ),
        Comparison(
            "overrides: is_enabled",
            "is_enabled, an override active",
            call(overridden, "is_enabled", "new-checkout"),
            "is_enabled, no override",
            call(plain, "is_enabled", "new-checkout"),
            target=1.3,
            direction="at_most",
            note="overrides are laid over the snapshot when they change, so a lookup "
            "reads the same dicts either way: the ratio is 1 within noise.",
        ),
    ]
