"""The project's JSON Schemas (top-level ``schemas/``), compiled once."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from appflags._errors import Problem
from appflags._resources import read_text

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


def schema_text(name: str) -> str:
    """The text of the project schema ``name`` (e.g. ``"appconfig-retrieved.schema.json"``)."""
    return read_text(f"schemas/{name}", f"schemas/{name}")


@functools.cache
def project_validator(name: str) -> Validator:
    """A compiled validator for the project schema ``name``; built once per process."""
    return compile_schema(json.loads(schema_text(name)))


def compile_schema(schema: dict[str, Any]) -> Validator:
    """Check ``schema`` itself and compile it into a validator (draft from ``$schema``).

    Local ``$ref``s are inlined first when the schema is not recursive: jsonschema
    resolves a reference on every visit, which made a 1,000-flag document take three
    times as long to validate.
    """
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    try:
        inlined = _inline_refs(schema, schema, depth=0)
    except (_Recursive, KeyError, TypeError):
        inlined = schema  # recursive or unusual references: let jsonschema resolve them
    validator: Validator = cls(inlined)
    return validator


_MAX_INLINE_DEPTH = 32


def _inline_refs(node: Any, root: dict[str, Any], depth: int) -> Any:
    if depth > _MAX_INLINE_DEPTH:
        raise _Recursive
    if isinstance(node, list):
        return [_inline_refs(item, root, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and len(node) == 1:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _inline_refs(target, root, depth + 1)
    return {key: _inline_refs(value, root, depth) for key, value in node.items()}


class _Recursive(Exception):  # noqa: N818 - internal signal, never escapes
    pass


def json_path(parts: Any) -> str:
    """``["flags", "beta", 0]`` -> ``$.flags.beta[0]``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def problems(validator: Validator, doc: Any, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    """Every schema violation in ``doc``, with messages that never quote document values.

    The messages are safe to log: they name the path and the rule broken, not the value
    found there (flag values may be sensitive).
    """
    found = []
    for error in validator.iter_errors(doc):
        parts = (*prefix, *error.absolute_path)
        message = _describe(error.validator, error.validator_value, error)
        if "propertyNames" in error.absolute_schema_path:
            # The instance is the offending key itself: point at it.
            parts, message = (*parts, error.instance), f"key {message}"
        found.append(Problem(json_path(parts), message))
    return sorted(found, key=lambda p: p.path)


_VERBATIM = frozenset(("required", "additionalProperties", "dependentRequired", "propertyNames"))
_TEMPLATES = {
    "enum": "must be one of {or_}",
    "const": "must be {json}",
    "pattern": "does not match pattern {repr}",
    "maxProperties": "has more than {value} properties",
    "oneOf": "matches none of the allowed shapes",
    "anyOf": "matches none of the allowed shapes",
}


def _describe(kind: Any, expected: Any, error: Any) -> str:
    if kind == "type":
        return f"expected {_or(expected)}, got {json_type(error.instance)}"
    if kind in _VERBATIM:  # these messages name properties, never values
        return str(error.message)
    template = _TEMPLATES.get(kind, "violates {kind} {json}")
    return template.format(
        kind=kind,
        value=expected,
        repr=repr(expected),
        or_=_or(expected),
        json=json.dumps(expected, default=str)[:80],
    )


def _or(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(json.dumps(e) if not isinstance(e, str) else e for e in expected)
    return str(expected)


def json_type(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value (``number`` for ints and floats)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
