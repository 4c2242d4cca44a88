"""What tests share: documents, names and helpers (imported as ``_support``: pytest puts
tests/ on sys.path). Shared documents are read-only: a test that needs another builds its
own from them (``{**PREMIUM, ...}``)."""

from __future__ import annotations

import copy
import json
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import time_machine
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags as PowertoolsFlags
from aws_lambda_powertools.utilities.feature_flags import StoreProvider
from botocore.config import Config
from hypothesis import strategies as st

from appflags import Flags, State

if TYPE_CHECKING:
    import pytest

    from appflags.testing import AgentRequest, LocalAppConfig

# ------------------------------------------------------------------ names and settings

APP = ("shop", "prod", "flags")
"""Application, environment and profile of the configuration most tests serve."""

UNREACHABLE = "http://127.0.0.1:9"
"""The discard port: nothing listens, a connection is refused at once."""

FAST_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1, read_timeout=1
)
"""One attempt per call and short timeouts: injected faults surface at once instead of
waiting out botocore's retry backoff."""

# ------------------------------------------------------------------------ documents

GOLD_CONDITION = {"action": "EQUALS", "key": "tier", "value": "gold"}
GOLD_RULE = {"when_match": True, "conditions": [GOLD_CONDITION]}
PREMIUM = {"premium": {"default": False, "rules": {"gold": GOLD_RULE}}}
"""The Powertools "gold" document: ``premium`` is on for ``{"tier": "gold"}`` (rule
``gold``), off for any other context."""


def json_values(max_leaves: int) -> st.SearchStrategy[Any]:
    """JSON values: scalars (finite floats), and lists and objects of them."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=3), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def flagd_bucket(digest: int, buckets: list[tuple[str, int]]) -> str:
    """flagd's documented choice of a variant from a 32-bit hash of the bucketing value:
    ``digest * total weight >> 32``, then the weights in order (the reference the tests
    hold appflags' ``fractional`` to)."""
    total = sum(weight for _, weight in buckets)
    bucket = (digest * total) >> 32
    end = 0
    for variant, weight in buckets:
        end += weight
        if bucket < end:
            return variant
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- waiting


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def reaches(flags: Flags, state: State, timeout: float = 5.0) -> bool:
    """Whether ``flags.state`` becomes ``state`` within ``timeout`` seconds."""
    return wait_for(lambda: flags.state is state, timeout)


def variant_requests(server: LocalAppConfig) -> list[AgentRequest]:
    """The per-flag Agent requests ``server`` received (polls ask for no flag)."""
    return [c.agent for c in server.log if c.agent is not None and c.agent.flags]


def proxies_to_a_closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every proxy variable names a closed local port, and none is bypassed: a request
    that goes through a proxy fails (stands in for a proxy meant for outbound traffic)."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, UNREACHABLE)


# ------------------------------------------------------- Powertools' own answers

POWERTOOLS_CONTEXT_ACTIONS = [
    "EQUALS",
    "NOT_EQUALS",
    "KEY_GREATER_THAN_VALUE",
    "KEY_GREATER_THAN_OR_EQUAL_VALUE",
    "KEY_LESS_THAN_VALUE",
    "KEY_LESS_THAN_OR_EQUAL_VALUE",
    "STARTSWITH",
    "ENDSWITH",
    "IN",
    "NOT_IN",
    "KEY_IN_VALUE",
    "KEY_NOT_IN_VALUE",
    "VALUE_IN_KEY",
    "VALUE_NOT_IN_KEY",
]
"""Powertools' actions that compare a context value with the condition's value, but for
the three below (the time-based ones read the clock instead)."""
POWERTOOLS_LIST_ACTIONS = ["ALL_IN_VALUE", "ANY_IN_VALUE", "NONE_IN_VALUE"]
"""Powertools' actions that compare a context list with the condition's list."""


class _Store(StoreProvider):
    """Powertools' store interface over a document in memory."""

    def __init__(self, document: Any) -> None:
        self._document = document

    @property
    def get_raw_configuration(self) -> Any:
        return self._document

    def get_configuration(self) -> Any:
        return self._document


def _powertools(doc: Any) -> PowertoolsFlags:
    return PowertoolsFlags(store=_Store(copy.deepcopy(doc)))


def frozen(now: datetime) -> Any:
    """Powertools' clock stopped at ``now``.

    The destination is given as naive UTC: for an aware one, time-machine also sets the TZ
    environment variable, which changes what Powertools' gettz makes of a falsy TIMEZONE.
    """
    return time_machine.travel(now.astimezone(timezone.utc).replace(tzinfo=None), tick=False)


def powertools_evaluate(
    doc: Any, name: str, context: dict[str, Any] | None, default: Any, now: datetime
) -> Any:
    """What Powertools' own ``FeatureFlags.evaluate`` answers, at ``now``."""
    with warnings.catch_warnings(), frozen(now):
        warnings.simplefilter("ignore")  # Powertools warns on every operand error
        return _powertools(doc).evaluate(name=name, context=context, default=default)


def powertools_enabled(doc: Any, context: dict[str, Any] | None, now: datetime) -> list[str]:
    """What Powertools' own ``get_enabled_features`` answers, at ``now``."""
    with warnings.catch_warnings(), frozen(now):
        warnings.simplefilter("ignore")
        return _powertools(doc).get_enabled_features(context=context)


def powertools_rejects(doc: Any) -> bool:
    """Whether Powertools' own schema validation rejects ``doc``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _powertools(doc).get_configuration()
        except Exception:  # SchemaValidationError, or TypeError for some shapes
            return True
    return False


def same(ours: Any, theirs: Any) -> bool:
    """Equal and of the same JSON type (``True`` is not ``1``)."""
    return json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)
