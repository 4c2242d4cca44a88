"""A parameter of the wrong type is a ``TypeError`` naming it, raised where it is given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from _support import UNREACHABLE
from appflags import Flags, VariantOptions


def _agent(**kwargs: Any) -> Flags:
    return Flags.from_agent("a", "e", "p", url=UNREACHABLE, wait=0, **kwargs)


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "bootstrap=5": (lambda: _agent(bootstrap=5), "bootstrap"),
    "bootstrap=5 (appconfig)": (
        lambda: Flags.from_appconfig("a", "e", "p", region_name="eu-west-1", bootstrap=5),  # type: ignore[arg-type]  # wrong on purpose
        "bootstrap",
    ),
    "track_usage='no'": (lambda: Flags.from_dict({}, track_usage="no"), "track_usage"),  # type: ignore[arg-type]  # wrong on purpose
    "track_usage=1 (agent)": (lambda: _agent(track_usage=1), "track_usage"),
    "variant_ttl='5'": (lambda: _agent(variant_ttl="5"), "variant_ttl"),
    "VariantOptions(ttl='5')": (lambda: _agent(variants=VariantOptions(ttl="5")), "ttl"),  # type: ignore[arg-type]  # wrong on purpose
    "VariantOptions(mode=5)": (lambda: _agent(variants=VariantOptions(mode=5)), "mode"),  # type: ignore[arg-type]  # wrong on purpose
    "VariantOptions(cache_size='5')": (
        lambda: _agent(variants=VariantOptions(cache_size="5")),  # type: ignore[arg-type]  # wrong on purpose
        "cache_size",
    ),
    "context_keys=5": (lambda: _agent(context_keys=5), "context_keys"),
    "context_keys=[5]": (lambda: _agent(context_keys=[5]), "context_keys"),
    "context_keys='email'": (lambda: _agent(context_keys="email"), "context_keys"),
    "entity_id=5": (lambda: _agent(entity_id=5), "entity_id"),
    "on_change(5)": (lambda: Flags.from_dict({}).on_change(5), "callback"),  # type: ignore[arg-type]  # wrong on purpose
    "usage(reset='yes')": (lambda: Flags.from_dict({}).usage(reset="yes"), "reset"),  # type: ignore[arg-type]  # wrong on purpose
    "wait_ready('5')": (lambda: Flags.from_dict({}).wait_ready("5"), "timeout"),  # type: ignore[arg-type]  # wrong on purpose
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # variant_ttl= is deprecated
def test_a_wrong_type_is_a_type_error_naming_the_parameter(case: str) -> None:
    build, name = CASES[case]
    with pytest.raises(TypeError, match=name):
        build()
