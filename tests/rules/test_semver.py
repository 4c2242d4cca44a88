"""flagd's sem_ver operation (flagd-testbed's @semver scenarios, and SemVer 2.0.0 order)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from appflags.rules._jsonlogic import Abort, compile_logic
from appflags.rules._jsonlogic._semver import parse_version

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def sem_ver(version: Any, operator: str, target: str) -> Any:
    node = compile_logic(
        {"sem_ver": [{"var": "version"}, operator, target]},
        flag_key="f",
        evaluators={},
        clock=lambda: NOW,
    )
    return node.fn({"version": version})


@pytest.mark.parametrize(
    ("version", "operator", "target", "expected"),
    [
        # flagd-testbed: equal-greater-lesser-version-flag, major-minor-version-flag
        ("2.0.0", "=", "2.0.0", True),
        ("2.1.0", ">", "2.0.0", True),
        ("1.9.0", "<", "2.0.0", True),
        ("2.0.0-alpha", "<", "2.0.0", True),
        ("3.0.1", "~", "3.0.0", True),
        ("3.1.0", "~", "3.0.0", False),
        ("3.1.0", "^", "3.0.0", True),
        ("4.0.0", "^", "3.0.0", False),
        # semver-v-prefix-flag, semver-partial-version-flag, semver-build-metadata-flag
        ("v1.0.0", "=", "v1.0.0", True),
        ("V1.0.0", "=", "v1.0.0", True),
        ("1.0.0", "=", "v1.0.0", True),
        ("1.0", "^", "1", True),
        ("1", "^", "1", True),
        (1, "^", "1", True),
        ("2.0.0", "^", "1", False),
        ("1.2", ">", "1.1", True),
        ("1.0.0+other", "=", "1.0.0+build", True),
        # SemVer 2.0.0 precedence
        ("1.0.0-alpha", "<", "1.0.0-alpha.1", True),
        ("1.0.0-alpha.1", "<", "1.0.0-alpha.beta", True),
        ("1.0.0-beta.2", "<", "1.0.0-beta.11", True),
        ("1.0.0-rc.1", "<", "1.0.0", True),
        ("1.0.0", "!=", "1.0.1", True),
        ("1.0.0", ">=", "1.0.0", True),
        ("1.0.0", "<=", "0.9.9", False),
    ],
)
def test_compares_like_flagd(version: Any, operator: str, target: str, expected: bool) -> None:
    assert sem_ver(version, operator, target) is expected


@pytest.mark.parametrize(
    "version", ["2.0.0.0", "not-a-version", "01.0.0", "1.2-pre", "", None, True, [1]]
)
def test_a_value_that_is_no_version_aborts(version: Any) -> None:
    with pytest.raises(Abort):
        sem_ver(version, "=", "2.0.0")


def test_an_operator_from_the_context_that_is_unknown_aborts() -> None:
    node = compile_logic(
        {"sem_ver": [{"var": "version"}, {"var": "op"}, "1.0.0"]},
        flag_key="f",
        evaluators={},
        clock=lambda: NOW,
    )
    assert node.fn({"version": "1.0.0", "op": ">="}) is True
    with pytest.raises(Abort):
        node.fn({"version": "1.0.0", "op": "==="})


def test_parsing_is_bounded_and_total() -> None:
    assert parse_version("1" * 5000 + ".0.0") is None  # more digits than int() takes
    assert parse_version("1.2.3-0.a-b.c+build.1") == (1, 2, 3, 0, ((0, 0), (1, "a-b"), (1, "c")))
