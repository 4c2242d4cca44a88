"""pytest-bdd wiring for flagd-testbed's scenarios (tests/conformance/test_flagd_testbed.py).

A pytest plugin (loaded by tests/conftest.py), like ``_openfeature_bdd``: it registers the
tags the vendored feature files use as markers, which ``--strict-markers`` requires.

:data:`SKIPPED` is the one place that lists testbed scenarios not run (by tag), with the
reason. A scenario whose answer disagrees with appflags is a failure, never a skip: the
only scenarios listed are those that need a running flagd server (none of the vendored
files has one) and those the testbed itself retires and contradicts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTBED = Path(__file__).resolve().parent / "conformance" / "flagd_testbed"
"""flagd-testbed's files, vendored at a pinned release (see its README.md)."""

EVALUATOR_FEATURES = tuple(sorted((TESTBED / "evaluator" / "gherkin").glob("*.feature")))
"""The in-process evaluator suite (``evaluator/gherkin``, flags in ``evaluator/flags``)."""

PROVIDER_FEATURES = tuple(
    TESTBED / "gherkin" / name
    for name in ("targeting.feature", "evaluation.feature", "disabled.feature", "metadata.feature")
)
"""The evaluation scenarios of the provider suite (``gherkin``, flags in ``flags``)."""

SKIPPED: dict[str, str] = {
    "deprecated": (
        "gherkin/evaluation.feature's '@no-default @deprecated' outline: the testbed marks it "
        "deprecated ('@no-default-variant should be used instead'), and it expects "
        "FLAG_NOT_FOUND for the very flags and contexts for which the @no-default-variant "
        "outline that replaces it (run, and passing) expects the code default with DEFAULT"
    ),
}
"""Gherkin tag -> why scenarios with that tag are not run."""

_TAG = re.compile(r"(?<![\w@])@([\w.-]+)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the feature files' tags as markers."""
    for path in (*EVALUATOR_FEATURES, *PROVIDER_FEATURES):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("@"):
                for tag in _TAG.findall(line):
                    config.addinivalue_line("markers", f"{tag}: flagd-testbed gherkin tag")
