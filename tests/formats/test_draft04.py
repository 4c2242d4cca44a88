"""The draft-04 AppConfig validators: committed as generated, valid, small, never stricter.

AWS AppConfig's inline JSON Schema validators take draft-04 only. The files under
``schemas/appconfig-validators/`` are translations of the project's 2020-12 schemas
(``tools/draft04.py``) that may accept more than the source, never less.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator
from test_flagd_format import DOC as FLAGD_DOC
from test_flagd_format import EDGE_CASES as FLAGD_EDGE_CASES
from test_powertools_format import DOC as POWERTOOLS_DOC
from test_powertools_side_by_side import CASES as POWERTOOLS_CASES
from test_powertools_side_by_side import INVALID as POWERTOOLS_INVALID
from tools.draft04 import (
    DRAFT04,
    MAX_VALIDATOR_CHARS,
    OUTPUT_FOLDER,
    SOURCES,
    main,
    output_name,
    render,
    to_draft04,
)

from _openfeature_bdd import CONFORMANCE
from appflags import Flags, SchemaError

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
FORMATS = {"powertools": "powertools.schema.json", "flagd": "flagd.schema.json"}


def source_schema(fmt: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / FORMATS[fmt]).read_text(encoding="utf-8"))
    return schema


def committed_text(fmt: str) -> str:
    return (SCHEMAS / OUTPUT_FOLDER / output_name(FORMATS[fmt])).read_text(encoding="utf-8")


SOURCE = {fmt: Draft202012Validator(source_schema(fmt)) for fmt in FORMATS}
DRAFT_04 = {fmt: Draft4Validator(json.loads(committed_text(fmt))) for fmt in FORMATS}


def unique(docs: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for doc in docs:
        seen.setdefault(json.dumps(doc, sort_keys=True), doc)
    return list(seen.values())


# ------------------------------------------------------------------ valid documents

POWERTOOLS_VALID = unique(
    [
        json.loads((ROOT / "examples" / "flags-powertools.json").read_text(encoding="utf-8")),
        POWERTOOLS_DOC,
        *(case.doc for case in POWERTOOLS_CASES),
        {},
        # From tests/formats/test_powertools_format.py (built inside its tests).
        {
            "zero": {"default": "text", "boolean_type": 0},
            "yes": {"default": True, "boolean_type": "y"},
        },
        {
            "f": {
                "default": "d",
                "boolean_type": False,
                "rules": {"r": {"conditions": [{"action": "EQUALS", "key": "a", "value": 1}]}},
            }
        },
        # Falsy "rules" and TIMEZONE, which Powertools reads as "none" and "UTC".
        {"f": {"default": True, "rules": None}, "g": {"default": False, "rules": []}},
        {
            "f": {
                "default": False,
                "rules": {
                    "r": {
                        "when_match": True,
                        "conditions": [
                            {
                                "action": "SCHEDULE_BETWEEN_TIME_RANGE",
                                "key": "CURRENT_TIME",
                                "value": {"START": "09:00", "END": "17:30", "TIMEZONE": ""},
                            }
                        ],
                    }
                },
            }
        },
    ]
)

FLAGD_VALID = unique(
    [
        FLAGD_DOC,
        FLAGD_EDGE_CASES,
        {"flags": {}},
        # From tests/formats/test_flagd_format.py (built inside its tests).
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": {"a": "A", "b": "B"},
                    "targeting": {"$ref": "split"},
                }
            },
            "$evaluators": {"split": {"fractional": [{"var": "user"}, ["a", 1], ["b"]]}},
        },
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": {"1": "one", "true": "yes", "null": "none"},
                    "defaultVariant": "1",
                    "targeting": {"if": [{"missing_some": [1, ["a", "b"]]}, 1, {"var": "v"}]},
                }
            }
        },
    ]
)


def conformance_flags() -> Any:
    return json.loads((CONFORMANCE / "test-flags.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the committed files


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_committed_file_is_what_the_converter_writes_now(fmt: str) -> None:
    expected = render(source_schema(fmt), FORMATS[fmt])
    assert committed_text(fmt) == expected, "run: python -m appflags.formats._draft04"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_committed_file_is_a_minified_draft04_schema_appconfig_takes(fmt: str) -> None:
    text = committed_text(fmt)
    schema = json.loads(text)
    Draft4Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT04
    assert len(text) <= MAX_VALIDATOR_CHARS
    assert text.count("\n") == 1
    assert text.endswith("\n")


def test_the_generator_writes_every_validator(tmp_path: Path) -> None:
    for source in SOURCES:
        (tmp_path / source).write_text((SCHEMAS / source).read_text(encoding="utf-8"))
    assert main([str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / OUTPUT_FOLDER).iterdir())
    assert written == ["flagd.draft-04.json", "powertools.draft-04.json"]
    for fmt, source in FORMATS.items():
        assert (tmp_path / OUTPUT_FOLDER / output_name(source)).read_text() == committed_text(fmt)
    assert main([str(tmp_path / "nowhere")]) == 2


# ---------------------------------------------------------------- accepted documents


@pytest.mark.parametrize(
    ("fmt", "doc"),
    [
        *(("powertools", doc) for doc in POWERTOOLS_VALID),
        *(("flagd", doc) for doc in FLAGD_VALID),
    ],
)
def test_accepts_every_valid_document(fmt: str, doc: Any) -> None:
    assert SOURCE[fmt].is_valid(doc)
    assert list(DRAFT_04[fmt].iter_errors(doc)) == []


def test_accepts_the_openfeature_conformance_flags() -> None:
    doc = conformance_flags()
    assert SOURCE["flagd"].is_valid(doc)
    assert list(DRAFT_04["flagd"].iter_errors(doc)) == []


@pytest.mark.parametrize(
    "doc", [doc for _, doc, _ in POWERTOOLS_INVALID], ids=[i for i, _, _ in POWERTOOLS_INVALID]
)
def test_powertools_documents_the_source_schema_accepts_pass(doc: Any) -> None:
    # Powertools rejects all of these; some only through checks made in code.
    if SOURCE["powertools"].is_valid(doc):
        assert DRAFT_04["powertools"].is_valid(doc)


def flag(**fields: Any) -> dict[str, Any]:
    return {"flags": {"f": {"state": "ENABLED", "variants": {"a": "A", "b": "B"}, **fields}}}


def schedule(action: str, key: str, value: Any) -> dict[str, Any]:
    condition = {"action": action, "key": key, "value": value}
    return {
        "f": {"default": False, "rules": {"r": {"when_match": True, "conditions": [condition]}}}
    }


# Listed in docs/schemas.md as the checks only `appflags validate` makes.
ONLY_APPFLAGS = [
    (
        "powertools",
        schedule(
            "SCHEDULE_BETWEEN_TIME_RANGE",
            "CURRENT_TIME",
            {"START": "09:00", "END": "17:00", "TIMEZONE": "Mars/Olympus"},
        ),
    ),
    (
        "powertools",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            {"START": "soon", "END": "2024-12-24T23:59:59"},
        ),
    ),
    (
        "powertools",
        schedule(
            "SCHEDULE_BETWEEN_DATETIME_RANGE",
            "CURRENT_DATETIME",
            {"START": "2024-12-24T18:00:00Z", "END": "2024-12-24T23:59:59"},
        ),
    ),
    ("powertools", schedule("MODULO_RANGE", "user_id", {"BASE": 10.0, "START": 0, "END": 4})),
    ("powertools", schedule("MODULO_RANGE", "user_id", {"BASE": 10, "START": 5, "END": 2})),
]


@pytest.mark.parametrize(("fmt", "doc"), ONLY_APPFLAGS)
def test_what_only_appflags_validate_rejects(fmt: str, doc: Any) -> None:
    assert DRAFT_04[fmt].is_valid(doc)
    with pytest.raises(SchemaError):
        Flags.from_dict(doc, format=fmt)


# flagd loads these and answers at evaluation (the caller's default with an error code, or
# the default variant); so does appflags (docs/openfeature.md), and so may the validator.
FLAGD_LOADS = [
    flag(defaultVariant="c"),
    flag(targeting={"if": [{"==": [{"var": "k"}, 1]}, "a", "c"]}),
    flag(targeting={"fractional": [["a", 50], ["c", 50]]}),
    flag(targeting={"fractional": [["a", 0], ["b", 0]]}),
    flag(targeting={"$ref": "missing"}),
    {**flag(targeting={"$ref": "loop"}), "$evaluators": {"loop": {"$ref": "loop"}}},
    flag(targeting={"if": [{"sem_ver": [{"var": "v"}, ">=", "two"]}, "a", "b"]}),
]


@pytest.mark.parametrize("doc", FLAGD_LOADS)
def test_flagd_documents_whose_rules_cannot_work_load_as_in_flagd(doc: Any) -> None:
    assert DRAFT_04["flagd"].is_valid(doc)
    evaluation = Flags.from_dict(doc, format="flagd").evaluate("f", "default", {"k": 1})
    assert evaluation.value in ("default", "A")


# ---------------------------------------------------------------- rejected documents

BROKEN = [
    ("powertools", []),
    ("powertools", {"f": True}),
    ("powertools", {"f": {"rules": {}}}),
    ("powertools", {"f": {"default": "yes"}}),
    ("powertools", {"f": {"default": None, "boolean_type": False}}),
    ("powertools", {"f": {"default": True, "rules": {"r": {"when_match": True}}}}),
    (
        "powertools",
        {
            "f": {
                "default": True,
                "rules": {
                    "r": {
                        "when_match": "yes",
                        "conditions": [{"action": "EQUALS", "key": "a", "value": 1}],
                    }
                },
            }
        },
    ),
    ("powertools", schedule("CONTAINS", "a", 1)),
    ("powertools", schedule("EQUALS", "", 1)),
    ("powertools", schedule("ANY_IN_VALUE", "a", "x")),
    (
        "powertools",
        schedule("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", {"START": "9:00", "END": "17:00"}),
    ),
    (
        "powertools",
        schedule("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", {"DAYS": ["monday"]}),
    ),
    ("powertools", schedule("MODULO_RANGE", "a", {"BASE": "10", "START": 0, "END": 1})),
    ("flagd", {}),
    ("flagd", {"flags": [], "metadata": {}}),
    ("flagd", {"flags": {"f": []}}),
    ("flagd", {"flags": {"f": {"state": "ENABLED"}}}),
    ("flagd", {"flags": {"": {"state": "ENABLED", "variants": {"a": 1}}}}),
    ("flagd", flag(state="ON")),
    ("flagd", flag(variants={"a": True, "b": "B"})),
    ("flagd", flag(defaultVariant=1)),
    ("flagd", flag(targeting={"nope": []})),
    ("flagd", flag(targeting={"==": [1]})),
    ("flagd", flag(targeting={"fractional": [["a", -1]]})),
    ("flagd", flag(metadata={"owner": ["x"]})),
]


@pytest.mark.parametrize(("fmt", "doc"), BROKEN)
def test_structurally_broken_documents_are_rejected(fmt: str, doc: Any) -> None:
    assert not SOURCE[fmt].is_valid(doc)
    assert not DRAFT_04[fmt].is_valid(doc)


# ------------------------------------------------------------------ generated documents

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 5.0, 2.5, 2147483648]),
    st.sampled_from(["", "a", "b", "x", "on", "09:00", "25:00", "MONDAY", "UTC"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", ""]), inner)
    ),
    max_leaves=6,
)
# Values that are valid somewhere in one of the formats: mutations that stay valid.
_NEAR = st.sampled_from(
    [
        *("ENABLED", "DISABLED", "CURRENT_TIME", "CURRENT_DATETIME", "CURRENT_DAY_OF_WEEK"),
        *("EQUALS", "IN", "ANY_IN_VALUE", "MODULO_RANGE", "SCHEDULE_BETWEEN_TIME_RANGE"),
        *("SCHEDULE_BETWEEN_DATETIME_RANGE", "SCHEDULE_BETWEEN_DAYS_OF_WEEK"),
        ["a", 50],
        {"var": "k"},
        {"$ref": "e"},
        {"START": "09:00", "END": "10:00"},
        {"BASE": 10, "START": 0, "END": 4},
        {"DAYS": ["MONDAY"]},
    ]
)
_NEW_KEYS = st.sampled_from(["", "x", "default", "boolean_type", "rules", "TIMEZONE", "metadata"])


def slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a document."""
    found: list[tuple[Any, Any]] = []
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        found.append((node, key))
        if isinstance(child, dict | list):
            found.extend(slots(child))
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_floats(node: Any) -> Any:
    """``node`` with every integer written as a float (``10`` -> ``10.0``)."""
    if isinstance(node, dict):
        return {key: as_floats(value) for key, value in node.items()}
    if isinstance(node, list):
        return [as_floats(value) for value in node]
    return float(node) if _is_int(node) else node


@st.composite
def near_misses(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A valid document with up to three edits, each making it valid or not."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 3))):
        places = slots(doc)
        if not places:
            break
        edit = draw(st.sampled_from(["replace", "replace", "delete", "add", "float"]))
        numbers = [(c, k) for c, k in places if _is_int(c[k])]
        if edit == "float" and numbers:
            container, key = draw(st.sampled_from(numbers))
            container[key] = float(container[key])  # 10 -> 10.0: drafts differ on "integer"
            continue
        container, key = draw(st.sampled_from(places))
        value = copy.deepcopy(draw(st.one_of(_NEAR, _JSON)))  # later edits must not leak
        if edit == "delete" and isinstance(container, dict):
            del container[key]
        elif edit == "add" and isinstance(container[key], dict):
            container[key][draw(_NEW_KEYS)] = value
        elif edit == "add" and isinstance(container[key], list):
            container[key].append(value)
        else:
            container[key] = value
    return doc


@pytest.mark.parametrize(
    ("fmt", "doc"),
    [
        *(("powertools", doc) for doc in POWERTOOLS_VALID),
        *(("flagd", doc) for doc in FLAGD_VALID),
    ],
)
def test_whole_floats_count_as_integers_as_in_the_source(fmt: str, doc: Any) -> None:
    # Draft-04 validators may reject 10.0 where the source's "integer" accepts it.
    floats = as_floats(doc)
    assert DRAFT_04[fmt].is_valid(floats) == SOURCE[fmt].is_valid(floats)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=near_misses(POWERTOOLS_VALID))
def test_powertools_never_stricter_than_the_source(doc: Any) -> None:
    if SOURCE["powertools"].is_valid(doc):
        assert DRAFT_04["powertools"].is_valid(doc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=near_misses(FLAGD_VALID))
def test_flagd_never_stricter_than_the_source(doc: Any) -> None:
    if SOURCE["flagd"].is_valid(doc):
        assert DRAFT_04["flagd"].is_valid(doc)


# ------------------------------------------------------------------ the converter

_DEFS = {
    # Draft-04 cannot say "names match ^a"; negated, the loosening must not become a rejection.
    "odd": {"propertyNames": {"pattern": "^a"}},
    "tree": {"type": ["array", "integer"], "items": {"$ref": "#/$defs/tree"}},
}

# (2020-12 schema, whether draft-04 can say exactly the same)
KEYWORDS: list[tuple[dict[str, Any], bool]] = [
    ({"const": 5}, True),
    ({"const": 1, "enum": [1, 2]}, True),
    ({"enum": [1, 1.0, True, [], {}]}, True),
    ({"type": "integer", "exclusiveMinimum": 0, "maximum": 3}, True),
    ({"type": ["integer", "string"], "multipleOf": 2}, True),
    ({"minimum": 3, "exclusiveMinimum": 1, "exclusiveMaximum": 5, "maximum": 5}, True),
    ({"minItems": 2.0, "format": "email"}, True),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"maxProperties": 0}}, True),
    ({"if": {"type": "array"}, "then": {"minItems": 2}}, True),
    ({"if": {"type": "array"}, "else": {"type": "object"}}, True),
    ({"prefixItems": [{"type": "string"}, {"type": "number"}], "items": False}, True),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "boolean"}}, True),
    ({"items": False}, True),
    ({"contains": {"type": "string"}}, True),
    ({"contains": {"type": "string"}, "minContains": 0}, True),
    ({"contains": {"const": 1}, "minContains": 2}, False),
    ({"contains": {"const": 1}, "maxContains": 1}, False),
    ({"not": {"contains": {"const": 1}, "maxContains": 1}}, False),
    ({"propertyNames": {"minLength": 1}, "additionalProperties": {"type": "integer"}}, True),
    ({"propertyNames": False}, True),
    ({"propertyNames": {"pattern": "^a"}}, False),
    ({"not": {"propertyNames": {"pattern": "^a"}}}, False),
    ({"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"a": {"maxProperties": 2}}}, True),
    ({"properties": {"a": True}, "unevaluatedProperties": False}, False),
    ({"not": {"prefixItems": [True], "unevaluatedItems": False}}, False),
    ({"oneOf": [{"type": "number"}, {"const": 1}]}, True),
    ({"oneOf": [{"propertyNames": {"pattern": "^a"}}, {"required": ["a"]}]}, False),
    ({"not": {"oneOf": [{"propertyNames": {"pattern": "^a"}}, {"required": ["a"]}]}}, False),
    (
        {
            "$defs": _DEFS,
            "not": {"$ref": "#/$defs/odd"},
            "properties": {"a": {"$ref": "#/$defs/odd"}},
        },
        False,
    ),
    ({"$defs": _DEFS, "if": {"$ref": "#/$defs/odd"}, "then": {"required": ["b"]}}, False),
    ({"$defs": _DEFS, "$ref": "#/$defs/tree", "maxItems": 2}, True),
    (
        {
            "type": ["array", "number"],
            "items": {"$ref": "#"},
            "not": {"items": {"$ref": "#"}, "minItems": 2},
        },
        True,
    ),
]
_INSTANCES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from([0, 1, 1.0, 2, 2.5, 3, 5, 5.0, -1]),
        st.sampled_from(["", "a", "b", "ab", "ba", "x@y"]),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "", "ab", "ba"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize(("schema", "exact"), KEYWORDS, ids=[str(s) for s, _ in KEYWORDS])
@settings(max_examples=150, deadline=None)
@given(instance=_INSTANCES)
def test_each_keyword_is_translated_soundly(
    schema: dict[str, Any], exact: bool, instance: Any
) -> None:
    translated = to_draft04(schema)  # checks the result against the draft-04 metaschema
    source_ok = Draft202012Validator(schema).is_valid(instance)
    draft04_ok = Draft4Validator(translated).is_valid(instance)
    if source_ok:
        assert draft04_ok
    if exact:
        assert draft04_ok == source_ok


@pytest.mark.parametrize(
    "schema",
    [
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"$ref": "other.json#/$defs/x"},
        {"$ref": "#anchor", "$defs": {"a": {"$anchor": "anchor"}}},
        {"$ref": "#/$defs/missing"},
        {"$dynamicRef": "#node"},
        {"properties": {"a": {"$id": "https://example.com/a", "$ref": "#"}}},
    ],
)
def test_what_cannot_be_translated_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\$"):
        to_draft04(schema)
