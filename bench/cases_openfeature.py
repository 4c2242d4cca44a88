"""Through an OpenFeature client: AppFlagsProvider vs the SDK's InMemoryProvider, and
flagd-format targeting in-process: appflags vs the flagd provider's JsonLogic path."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import appflags
from bench._harness import Call, Comparison, call

FLAGD_DOC: dict[str, Any] = {
    "flags": {
        "new-checkout": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "on",
        },
        "button-color": {
            "state": "ENABLED",
            "variants": {"red": "red", "blue": "blue", "green": "green"},
            "defaultVariant": "red",
            "targeting": {
                "if": [
                    {"ends_with": [{"var": "email"}, "@example.com"]},
                    "blue",
                    {"in": [{"var": "tier"}, ["gold", "platinum"]]},
                    "green",
                    None,
                ]
            },
        },
    }
}


def comparisons() -> list[Comparison]:
    """OpenFeature comparisons (need openfeature-sdk; the flagd one needs its provider)."""
    try:
        from openfeature import api
        from openfeature.evaluation_context import EvaluationContext
        from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

        from appflags.openfeature import AppFlagsProvider
    except ImportError:
        return []
    flags = appflags.Flags.from_dict(FLAGD_DOC)
    api.set_provider_and_wait(AppFlagsProvider(flags), domain="bench-appflags")
    memory = InMemoryProvider({"new-checkout": InMemoryFlag("on", {"on": True, "off": False})})
    api.set_provider_and_wait(memory, domain="bench-memory")
    ours, theirs = api.get_client("bench-appflags"), api.get_client("bench-memory")
    context = EvaluationContext("user-42", {"tier": "gold", "email": "jo@shop.org"})
    out = [
        Comparison(
            "OpenFeature client, static flag",
            "AppFlagsProvider",
            call(ours, "get_boolean_value", "new-checkout", False, context),
            "InMemoryProvider",
            call(theirs, "get_boolean_value", "new-checkout", False, context),
            target=1.1,
            direction="at_most",
        )
    ]
    flagd = _flagd_provider()
    if flagd is not None:
        provider = AppFlagsProvider(flags)
        out.append(
            Comparison(
                "flagd targeting in-process",
                "AppFlagsProvider (compiled)",
                Call(
                    provider, "resolve_string_details", ("button-color", "x", context), then="value"
                ),
                "flagd provider (JsonLogic)",
                Call(flagd, "resolve_string_details", ("button-color", "x", context), then="value"),
                target=3.0,
                direction="at_least",
            )
        )
    return out


def _flagd_provider() -> Any:
    try:
        from openfeature.contrib.provider.flagd import FlagdProvider
        from openfeature.contrib.provider.flagd.config import ResolverType
    except ImportError:
        return None
    path = Path(tempfile.mkdtemp(prefix="appflags-bench-")) / "flags.json"
    path.write_text(json.dumps(FLAGD_DOC), encoding="utf-8")
    provider = FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=str(path))
    provider.initialize(None)  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if provider.resolve_string_details("button-color", "x").value != "x":
            return provider
        time.sleep(0.05)
    return None
