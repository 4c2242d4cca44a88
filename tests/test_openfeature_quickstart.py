"""docs/openfeature.md's quick start, run as written against LocalAppConfig.

boto3 reads ``AWS_ENDPOINT_URL_APPCONFIGDATA``, so the snippets' own
``AppFlagsProvider.from_appconfig("shop", "prod", "flags")`` talks to the local server
over real HTTP, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus

from appflags.testing import Fault, LocalAppConfig

DOCS = Path(__file__).resolve().parents[1] / "docs" / "openfeature.md"

FLAGS: dict[str, Any] = {
    "flags": {
        "new-checkout": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "on", None]},
        }
    }
}


def snippet(containing: str) -> str:
    blocks = [
        block
        for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
        if containing in block
    ]
    assert len(blocks) == 1, f"{len(blocks)} python blocks in {DOCS.name} contain {containing!r}"
    return str(blocks[0])


def run(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - the docs' own example
    return namespace


@pytest.fixture
def appconfig(server: LocalAppConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAppConfig]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", server.endpoint_url)
    server.put("shop", "prod", "flags", FLAGS)
    yield server
    api.shutdown()
    api.clear_hooks()
    api.set_evaluation_context(EvaluationContext())


def test_the_quick_start_answers_from_the_first_evaluation(appconfig: LocalAppConfig) -> None:
    answers = run(snippet("api.set_provider_and_wait(AppFlagsProvider.from_appconfig("))
    assert answers["enabled"] is True
    assert answers["client"].get_provider_status() is ProviderStatus.READY


def test_without_waiting_the_first_evaluations_answer_defaults(
    appconfig: LocalAppConfig,
) -> None:
    # What the docs warn about: set_provider returns before initialize has finished.
    appconfig.slow_seconds = 1.0
    appconfig.inject(Fault.SLOW)
    gold = EvaluationContext("user-42", {"tier": "gold"})
    namespace = run(snippet("api.set_provider(AppFlagsProvider.from_appconfig("))
    # The snippet itself waited for PROVIDER_READY: from then on, the flags answer.
    assert namespace["ready"].is_set()
    assert api.get_client().get_boolean_value("new-checkout", False, gold) is True

    api.shutdown()
    appconfig.inject(Fault.SLOW)
    code = snippet("api.set_provider(AppFlagsProvider.from_appconfig(")
    run(code.replace("ready.wait(10)", "pass"))  # the same, without waiting
    early = api.get_client().get_boolean_details("new-checkout", False, gold)
    assert (early.value, early.reason, early.error_code) == (
        False,
        Reason.ERROR,
        ErrorCode.PROVIDER_NOT_READY,
    )
