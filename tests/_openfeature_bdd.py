"""pytest-bdd wiring for OpenFeature's gherkin scenarios (conformance/test_openfeature_spec.py).

A pytest plugin (loaded by tests/conftest.py) rather than a conftest.py next to the test:
mypy checks tests/ as top-level modules, where two conftest.py files would collide.

pytest-bdd turns every gherkin tag (``@booleans``, ``@spec-1.4.7``...) into a pytest
marker, which ``--strict-markers`` rejects unless registered: the tags the feature files
use are registered here. Scenarios that test SDK machinery rather than a provider are
marked skipped with their reason, which docs/openfeature.md also lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONFORMANCE = Path(__file__).resolve().parent / "conformance" / "openfeature"
"""OpenFeature's conformance data, vendored (its README names the source and licence)."""

FEATURES = ("evaluation.feature", "evaluation_v2.feature", "metadata.feature")
"""The gherkin files test_openfeature_spec.py runs."""

EXCLUDED_TAGS = {
    "reason-codes-cached": (
        "optional CACHED reason: AppFlagsProvider evaluates in-process and keeps no "
        "resolution cache"
    ),
    "immutability": (
        "asserts that the SDK's FlagEvaluationDetails is immutable; in the Python SDK it is "
        "a mutable dataclass the provider does not create"
    ),
}
"""Scenario tags excluded from the run, with the reason."""

_TAG = re.compile(r"(?<![\w@])@([\w.-]+)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the feature files' tags as markers."""
    for name in FEATURES:
        for line in (CONFORMANCE / name).read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                for tag in _TAG.findall(line):
                    config.addinivalue_line("markers", f"{tag}: OpenFeature gherkin tag")


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Any:
    """Skip excluded scenarios (with their reason); other tags become plain markers."""
    reason = EXCLUDED_TAGS.get(tag)
    if reason is None:
        return None  # pytest-bdd's default: the tag as a marker
    pytest.mark.skip(reason=f"excluded: {reason}")(function)
    return True
