"""The compiled engine (jsonschema-rs) and the reference (jsonschema) report the same problems.

Every document the schema tests use, and generated near misses of the valid ones, is
checked against every project schema by both engines: same verdict, same paths, same
messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_draft04 import BROKEN, FLAGD_VALID, ONLY_APPFLAGS, POWERTOOLS_VALID, near_misses

from _openfeature_bdd import CONFORMANCE
from appflags import Flags, SchemaError
from appflags.formats._schemas import MAX_PROBLEMS, problems, project_validator

pytest.importorskip("jsonschema_rs")

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = sorted(p.name for p in (ROOT / "schemas").glob("*.schema.json"))
EXAMPLES = [json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "examples").glob("*.json")]
CONFORMANCE_DOCS = [
    json.loads(p.read_text(encoding="utf-8")) for p in sorted(CONFORMANCE.glob("*.json"))
]
APPCONFIG_VALID = [doc for doc in EXAMPLES if "flags" not in doc or "version" in doc]
CORPUS = [
    *EXAMPLES,
    *CONFORMANCE_DOCS,
    *POWERTOOLS_VALID,
    *FLAGD_VALID,
    *(doc for _, doc in BROKEN),
    *(doc for _, doc in ONLY_APPFLAGS),
    # Regular expressions: ECMA-262 semantics in both engines.
    {"beta\n": {"enabled": True}},
    {"b\u0663": {"enabled": True}},
    {"Beta": {"enabled": True}, "gamma": {"enabled": "yes"}},
    {"version": "1", "flags": {"f": {"name": "line\n"}}},
    {"f": {"default": True, "rules": {}}, "g": {"default": 1, "boolean_type": False}},
    [],
    None,
    "flags",
]


def both(schema: str, doc: Any) -> tuple[list[str], list[str]]:
    compiled = problems(project_validator(schema, "jsonschema-rs"), doc)
    reference = problems(project_validator(schema, "jsonschema"), doc)
    return [str(p) for p in compiled], [str(p) for p in reference]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_both_engines_report_the_same_problems(schema: str, index: int) -> None:
    compiled, reference = both(schema, CORPUS[index])
    assert compiled == reference


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_compiled_engine_is_the_default_and_not_the_reference(schema: str) -> None:
    assert type(project_validator(schema)) is type(project_validator(schema, "jsonschema-rs"))
    assert type(project_validator(schema)) is not type(project_validator(schema, "jsonschema"))


_SEEDS = {
    "powertools.schema.json": POWERTOOLS_VALID,
    "flagd.schema.json": FLAGD_VALID,
    "appconfig-featureflags.schema.json": APPCONFIG_VALID,
    "appconfig-retrieved.schema.json": APPCONFIG_VALID,
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), schema=st.sampled_from(sorted(_SEEDS)))
def test_near_misses_get_the_same_problems_from_both_engines(data: Any, schema: str) -> None:
    doc = data.draw(near_misses(_SEEDS[schema]))
    compiled, reference = both(schema, doc)
    assert compiled == reference


def test_values_rust_cannot_read_are_judged_by_the_reference() -> None:
    # A Powertools value over 64 bits: valid JSON, beyond what jsonschema-rs reads.
    doc = {"f": {"default": 2**70, "boolean_type": False}}
    assert both("powertools.schema.json", doc) == ([], [])


def test_past_the_cap_the_report_lists_the_first_problems_and_a_count() -> None:
    doc = {f"f{i:03}": {"enabled": "yes"} for i in range(MAX_PROBLEMS + 20)}
    with pytest.raises(SchemaError) as caught:
        Flags.from_dict(doc, format="appconfig")
    listed = caught.value.problems
    assert len(listed) == MAX_PROBLEMS + 1
    assert listed[0].path == "$.f000.enabled"
    assert listed[MAX_PROBLEMS - 1].path == f"$.f{MAX_PROBLEMS - 1:03}.enabled"
    assert (listed[-1].path, listed[-1].message) == ("$", "and 20 more problems (not listed)")
