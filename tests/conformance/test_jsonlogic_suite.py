"""JsonLogic's shared tests (jsonlogic.com's ``tests.json``), run as flagd targeting.

Each row ``[rule, data, expected]`` becomes a flagd flag whose targeting checks the rule's
result against ``expected`` (``"pass"`` or ``"fail"``), loaded with ``Flags.from_dict(...,
format="flagd")`` and evaluated through ``AppFlagsProvider`` on the openfeature-sdk API
with ``data`` as the evaluation context. The check is itself JsonLogic: ``===`` for a
scalar; for an array or object, the result is bound by ``some`` and read back element by
element with ``var`` (arrays also by length, counted with ``reduce``; objects by their
string form, so a scalar cannot pass for one).

Rows not run are listed in :data:`NOT_RUN` with the reason; none is a disagreement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext

from appflags import Flags
from appflags.openfeature import AppFlagsProvider

TESTS = Path(__file__).resolve().parent / "jsonlogic" / "tests.json"

FLAGD_OPERATORS = frozenset(
    [
        "var",
        "missing",
        "missing_some",
        "if",
        "==",
        "===",
        "!=",
        "!==",
        ">",
        ">=",
        "<",
        "<=",
        "!",
        "!!",
        "and",
        "or",
        "+",
        "-",
        "*",
        "/",
        "%",
        "min",
        "max",
        "cat",
        "substr",
        "in",
        "merge",
        "map",
        "filter",
        "reduce",
        "all",
        "none",
        "some",
    ]
)
"""The JsonLogic operators flagd's targeting schema accepts (flagd-schemas targeting.json)."""

NOT_RUN = {
    "operator": (
        "uses an operator flagd's targeting schema does not accept ({}); appflags loads "
        "such a flag as flagd does, answering PARSE_ERROR"
    ),
    "data": (
        "its data is {}, not an object: an OpenFeature evaluation context is an object, "
        "so no flagd targeting can see this data"
    ),
}
"""Why a row is not run (filled in per row)."""


def _operators(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set(node) if len(node) == 1 else set()
        for value in node.values():
            found |= _operators(value)
        return found
    if isinstance(node, list):
        found = set()
        for item in node:
            found |= _operators(item)
        return found
    return set()


def _rows() -> list[Any]:
    rows = []
    section = ""
    for index, row in enumerate(json.loads(TESTS.read_text(encoding="utf-8"))):
        if isinstance(row, str):
            section = row
            continue
        rule, data, expected = row
        marks = []
        unknown = sorted(_operators(rule) - FLAGD_OPERATORS)
        if unknown:
            marks.append(pytest.mark.skip(reason=NOT_RUN["operator"].format(", ".join(unknown))))
        elif data is not None and not isinstance(data, dict):
            marks.append(pytest.mark.skip(reason=NOT_RUN["data"].format(type(data).__name__)))
        rows.append(pytest.param(rule, data, expected, id=f"{index}-{section}", marks=marks))
    return rows


def _check(path: str, expected: Any) -> list[Any]:
    """JsonLogic that tests the value at ``path`` (``var`` in ``some``'s scope) is ``expected``."""
    here = {"var": path}
    if isinstance(expected, list):
        count = {"reduce": [here, {"+": [{"var": "accumulator"}, 1]}, 0]}
        checks: list[Any] = [{"===": [count, len(expected)]}]
        if not expected:  # [] is the only falsy value that is none of these
            checks.append({"!": [here]})
            checks += [{"!==": [here, falsy]} for falsy in ("", 0, False, None)]
        for index, item in enumerate(expected):
            checks += _check(f"{path}.{index}" if path else str(index), item)
        return checks
    if isinstance(expected, dict):
        checks = [{"===": [{"cat": [here]}, "[object Object]"]}]
        for key, item in expected.items():
            checks += _check(f"{path}.{key}" if path else key, item)
        return checks
    return [{"===": [here, expected]}]


def _targeting(rule: Any, expected: Any) -> dict[str, Any]:
    if isinstance(expected, list | dict):
        test = {"some": [[rule], {"and": _check("", expected)}]}
    else:
        test = {"===": [rule, expected]}
    return {"if": [test, "pass", "fail"]}


@pytest.fixture(autouse=True)
def _shutdown() -> Any:
    yield
    api.shutdown()


def _flag_checking(rule: Any, expected: Any) -> Flags:
    """A flagd flag "rule" answering "pass" when ``rule`` gives ``expected``, else "fail"."""
    doc = {
        "flags": {
            "rule": {
                "state": "ENABLED",
                "variants": {"pass": "pass", "fail": "fail"},
                "defaultVariant": "fail",
                "targeting": _targeting(rule, expected),
            }
        }
    }
    return Flags.from_dict(doc, format="flagd")


@pytest.mark.parametrize(("rule", "data", "expected"), _rows())
def test_jsonlogic_rule_as_flagd_targeting(rule: Any, data: Any, expected: Any) -> None:
    flags = _flag_checking(rule, expected)
    api.set_provider_and_wait(AppFlagsProvider(flags))
    details = api.get_client().get_string_details(
        "rule", "error", EvaluationContext(None, data or {})
    )
    assert (details.value, details.error_code) == ("pass", None), details


def test_the_check_can_fail() -> None:
    # The harness itself: a wrong expectation of each shape is caught.
    for rule, wrong in [
        ({"+": [1, 1]}, 3),
        ({"+": [1, 1]}, "2"),
        ({"merge": [[1], [2]]}, [1, 3]),
        ({"merge": [[1], [2]]}, [1]),
        ({"merge": [[1], [2]]}, [1, 2, 3]),
        ({"var": "a"}, []),
        ({"var": "o"}, {"k": 2}),
        ({"var": "s"}, {}),
    ]:
        flags = _flag_checking(rule, wrong)
        context = {"a": "", "o": {"k": 1}, "s": "text"}
        assert flags.get_str("rule", "error", context) == "fail", (rule, wrong)
