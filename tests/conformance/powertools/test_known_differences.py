"""The list of vendored Powertools tests that do not pass names tests that exist."""

from __future__ import annotations

import re

from .conftest import HERE, KNOWN_DIFFERENCES


def test_every_known_difference_names_a_vendored_test() -> None:
    for suffix, kind, reason in KNOWN_DIFFERENCES:
        path, _, name = suffix.partition("::")
        source = (HERE / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), suffix
        assert kind in {"xfail", "skip"}
        assert reason


def test_no_test_is_listed_twice() -> None:
    suffixes = [suffix for suffix, _, _ in KNOWN_DIFFERENCES]
    assert len(suffixes) == len(set(suffixes))
