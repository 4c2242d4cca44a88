"""``Flags.from_agent(variants=VariantOptions(...))``, and the keywords it replaces, which
keep working for one release with a ``DeprecationWarning``."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest

from _support import APP, variant_requests
from appflags import Flags, VariantOptions
from appflags.testing import LocalAppConfig

QA = {"email": "jane@qa-testers.mycompany.com"}
STORED: dict[str, Any] = {
    "version": "1",
    "flags": {"ui_refresh": {"name": "UI Refresh", "attributes": {"theme": {}}}},
    "values": {
        "ui_refresh": {
            "_variants": [
                {
                    "name": "QA",
                    "enabled": True,
                    "rule": '(ends_with $email "qa-testers.mycompany.com")',
                    "attributeValues": {"theme": "night"},
                },
                {"name": "Default Variant", "enabled": False},
            ]
        }
    },
}


def test_options_are_immutable_with_the_old_defaults() -> None:
    options = VariantOptions()
    assert (options.mode, options.budget, options.cache_size, options.ttl) == (
        "blocking",
        0.05,
        4096,
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.mode = "off"  # type: ignore[misc]  # the point: it cannot be set


def test_the_options_object_decides_how_variants_are_answered(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling warns of nothing
        blocking = VariantOptions(budget=10)
        with Flags.from_agent(*APP, url=server.endpoint_url, variants=blocking) as flags:
            assert flags.get_str("ui_refresh.theme", "day", QA) == "night"
        assert len(variant_requests(server)) == 1
        off = VariantOptions(mode="off")
        with Flags.from_agent(*APP, url=server.endpoint_url, variants=off) as flags:
            assert flags.get_str("ui_refresh.theme", "day", QA) == "day"  # the polled answer
        assert len(variant_requests(server)) == 1


def test_the_old_keywords_still_work_and_name_their_replacement(server: LocalAppConfig) -> None:
    server.put(*APP, STORED)
    with pytest.warns(DeprecationWarning, match=r"variants=appflags\.VariantOptions") as caught:
        flags = Flags.from_agent(*APP, url=server.endpoint_url, variants="off", variant_ttl=1)
    with flags:
        assert flags.get_str("ui_refresh.theme", "day", QA) == "day"
    assert "variant_ttl=" in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the caller's line
    with pytest.warns(DeprecationWarning, match="variant_budget="):
        Flags.from_agent(*APP, url=server.endpoint_url, variant_budget=10).close()


def test_the_options_are_checked_like_the_keywords_were() -> None:
    with pytest.raises(ValueError, match="variants"):
        Flags.from_agent(*APP, variants=VariantOptions(mode="sometimes"), wait=0)
    with pytest.raises(ValueError, match="variant_ttl"):
        Flags.from_agent(*APP, poll_interval=5, variants=VariantOptions(ttl=6), wait=0)
    with pytest.raises(ValueError, match="variant_budget"):
        Flags.from_agent(*APP, variants=VariantOptions(budget=float("nan")), wait=0)
    with pytest.raises(TypeError, match="not both"):
        Flags.from_agent(*APP, variants=VariantOptions(), variant_budget=1.0, wait=0)


def test_an_empty_mode_string_is_refused_not_taken_as_blocking() -> None:
    with (
        pytest.warns(DeprecationWarning, match="variants="),
        pytest.raises(ValueError, match="one of"),
    ):
        Flags.from_agent(*APP, variants="", wait=0)
