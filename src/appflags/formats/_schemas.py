"""The project's JSON Schemas (top-level ``schemas/``), compiled once.

Two engines check documents against them:

- ``jsonschema-rs`` (compiled, Rust): the default wherever its wheel installed. It
  validates a 1,000-flag flagd document in about a millisecond, where ``jsonschema``
  takes over a second; loading a new version happens on the poll thread, and on Lambda
  during the cold start.
- ``jsonschema`` (pure Python): the reference, and the fallback when ``jsonschema_rs``
  cannot be imported (or ``APPFLAGS_SCHEMA_ENGINE=jsonschema`` asks for it). The test
  suite checks that both give the same problems on every schema test.

Both follow ECMA-262 regular expressions, as JSON Schema specifies (and as the AppConfig
console's validators do): ``$`` matches only at the end and ``\\d`` only ASCII digits.
``jsonschema`` uses Python's ``re``, so the patterns of the project's schemas are
rewritten for it. A user's own ``schema=`` always runs on ``jsonschema`` unchanged, so
what it accepts never depends on what installed.

Problem messages are built here from the keyword broken, never from a document value,
so they are safe to log; the two engines' reports are mapped onto the same wording.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem
from appflags._resources import read_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from jsonschema.protocols import Validator

MAX_PROBLEMS = 50
"""Problems listed per document; past it, the first ones and a count of the rest."""

ENGINES = ("jsonschema-rs", "jsonschema")


def schema_text(name: str) -> str:
    """The text of the project schema ``name`` (e.g. ``"appconfig-retrieved.schema.json"``)."""
    return read_text(f"schemas/{name}", f"schemas/{name}")


def default_engine() -> str:
    """``jsonschema-rs`` when it is installed, else ``jsonschema``.

    ``APPFLAGS_SCHEMA_ENGINE=jsonschema`` forces the reference engine.
    """
    if os.environ.get("APPFLAGS_SCHEMA_ENGINE", "").strip().lower() == "jsonschema":
        return "jsonschema"
    try:
        import jsonschema_rs  # noqa: F401, PLC0415 - optional compiled engine
    except ImportError:
        return "jsonschema"
    return "jsonschema-rs"


class CompiledSchema:
    """A project schema compiled by ``jsonschema-rs``; :func:`problems` accepts it."""

    __slots__ = ("_fallback", "_name", "schema", "validator")

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        import jsonschema_rs  # noqa: PLC0415 - imported when a document is validated

        self._name = name
        self.schema = schema
        self.validator = jsonschema_rs.validator_for(schema, validate_formats=False)

    def problems(self, doc: Any, prefix: tuple[Any, ...]) -> list[Problem]:
        """Every problem in ``doc``; values ``jsonschema-rs`` cannot read go to the reference."""
        try:
            if self.validator.is_valid(doc):
                return []
            return _report(list(self._problems(doc, prefix)))
        except (ValueError, TypeError, OverflowError, LookupError, _Unreadable):
            # Not JSON data as Rust sees it (a non-string key, an integer over 64 bits),
            # or a path it cannot spell (an empty key): the reference engine decides,
            # with the same messages.
            return problems(project_validator(self._name, "jsonschema"), doc, prefix)

    def _problems(self, doc: Any, prefix: tuple[Any, ...]) -> Iterator[Problem]:
        for error in self.validator.iter_errors(doc):
            # jsonschema-rs drops empty keys from instance paths: check the path leads to
            # the instance reported (invalid documents only, so the cost is no concern).
            if _walk(doc, error.instance_path) != error.instance:
                raise _Unreadable
            parts = (*prefix, *error.instance_path)
            path = error.schema_path
            kind = error.kind.name
            if kind == "propertyNames":
                # The instance is the offending key itself: point at it.
                inner = error.kind.as_dict()["error"]
                message = self._describe(path, inner)  # the outer path ends at the keyword
                yield Problem(json_path((*parts, inner.instance)), f"key {message}")
                continue
            if kind == "falseSchema" and path and path[-1] == "items" and parts:
                # ``items: false`` after ``prefixItems``: one problem for the array, as
                # the reference reports it, not one per extra item.
                parts = parts[:-1]
            yield Problem(json_path(parts), self._describe(path, error))

    def _describe(self, schema_path: list[str | int], error: Any) -> str:
        kind = error.kind.name
        keyword = schema_path[-1] if schema_path else None
        if kind == "required":
            return _required(error.kind.as_dict()["property"])
        if kind == "additionalProperties":
            return _additional(error.kind.as_dict()["unexpected"])
        if kind == "falseSchema":
            return describe("items", False, None) if keyword == "items" else "is not allowed"
        return describe(str(keyword), _walk(self.schema, schema_path), error.instance)


@functools.cache
def project_validator(name: str, engine: str | None = None) -> Validator | CompiledSchema:
    """A compiled validator for the project schema ``name``; built once per process.

    ``engine`` is one of :data:`ENGINES`; by default, :func:`default_engine`.
    """
    schema = json.loads(schema_text(name))
    if (engine or default_engine()) == "jsonschema-rs":
        return CompiledSchema(name, schema)
    return compile_schema(_ecma_patterns(schema))


def compile_schema(schema: dict[str, Any]) -> Validator:
    """Check ``schema`` itself and compile it into a ``jsonschema`` validator (draft from
    ``$schema``): the engine of users' own schemas.

    Local ``$ref``s are inlined first when the schema is not recursive: jsonschema
    resolves a reference on every visit, which made a 1,000-flag document take three
    times as long to validate.
    """
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - loaded when first needed
    from jsonschema.validators import validator_for  # noqa: PLC0415

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
        target = _walk(root, ref[2:].split("/"), pointer=True)
        return _inline_refs(target, root, depth + 1)
    return {key: _inline_refs(value, root, depth) for key, value in node.items()}


class _Recursive(Exception):  # noqa: N818 - internal signal, never escapes
    pass


class _Unreadable(Exception):  # noqa: N818 - internal signal, never escapes
    pass


def _walk(node: Any, path: Iterable[str | int], *, pointer: bool = False) -> Any:
    for part in path:
        if pointer and isinstance(part, str):
            part = part.replace("~1", "/").replace("~0", "~")  # noqa: PLW2901 - decoded
        node = node[int(part) if isinstance(node, list) else part]
    return node


_DATA_KEYWORDS = frozenset(("const", "enum", "default", "examples"))
_ORIGINAL_PATTERNS: dict[str, str] = {}
"""Python spelling -> the schema's own ECMA-262 spelling (for messages)."""


def _ecma_patterns(node: Any) -> Any:
    """``node`` with every ``pattern`` and ``patternProperties`` regex spelled for Python's
    ``re`` so that it means what ECMA-262 says it means."""
    if isinstance(node, list):
        return [_ecma_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DATA_KEYWORDS:
            out[key] = value
        elif key == "pattern" and isinstance(value, str):
            out[key] = _python_regex(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {_python_regex(k): _ecma_patterns(v) for k, v in value.items()}
        else:
            out[key] = _ecma_patterns(value)
    return out


def _python_regex(pattern: str) -> str:
    # ECMA-262 without the u flag: ``\d``, ``\w``, ``\s`` and ``\b`` are ASCII (re.ASCII);
    # ``$`` outside a class is the end of input only (``\Z``; Python's ``$`` also matches
    # before a final newline, so "beta\n" would pass as a flag key).
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    python = "(?a)" + "".join(out)
    _ORIGINAL_PATTERNS[python] = pattern
    re.compile(python)
    return python


def json_path(parts: Any) -> str:
    """``["flags", "beta", 0]`` -> ``$.flags.beta[0]``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def problems(
    validator: Validator | CompiledSchema, doc: Any, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    """Every schema violation in ``doc``, with messages that never quote document values.

    The messages are safe to log: they name the path and the rule broken, not the value
    found there (flag values may be sensitive). Past :data:`MAX_PROBLEMS`, the first ones
    (by path) and a count of the rest.
    """
    if isinstance(validator, CompiledSchema):
        return validator.problems(doc, prefix)
    return _report(_reference_problems(validator, doc, prefix))


def _reference_problems(
    validator: Validator, doc: Any, prefix: tuple[Any, ...]
) -> Iterator[Problem]:
    for error in validator.iter_errors(doc):
        parts = (*prefix, *error.absolute_path)
        message = _describe_reference(error)
        if "propertyNames" in error.absolute_schema_path:
            # The instance is the offending key itself: point at it.
            parts, message = (*parts, error.instance), f"key {message}"
        yield Problem(json_path(parts), message)


def _report(found: Iterable[Problem]) -> list[Problem]:
    unique = sorted(set(found), key=lambda p: (p.path, p.message))
    if len(unique) <= MAX_PROBLEMS:
        return unique
    rest = len(unique) - MAX_PROBLEMS
    return [*unique[:MAX_PROBLEMS], Problem("$", f"and {rest} more problems (not listed)")]


def _describe_reference(error: Any) -> str:
    kind = error.validator
    if kind in ("required", "dependentRequired"):  # these name properties, never values
        return str(error.message)
    if kind == "additionalProperties" and error.validator_value is False:
        return _additional(_extras(error.instance, error.schema))
    if kind is None:  # a false subschema
        return "is not allowed"
    return describe(kind, error.validator_value, error.instance)


def _extras(instance: Any, schema: dict[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [
        key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _required(name: str) -> str:
    return f"{name!r} is a required property"  # jsonschema's wording


def _additional(extras: Iterable[str]) -> str:
    names = sorted(extras)
    verb = "was" if len(names) == 1 else "were"
    return (
        f"Additional properties are not allowed ({', '.join(map(repr, names))} {verb} unexpected)"
    )


_TEMPLATES = {
    "enum": "must be one of {or_}",
    "const": "must be {json}",
    "pattern": "does not match pattern {repr}",
    "maxProperties": "has more than {value} properties",
    "oneOf": "matches none of the allowed shapes",
    "anyOf": "matches none of the allowed shapes",
}


def describe(kind: str, expected: Any, instance: Any) -> str:
    """The message for breaking keyword ``kind`` (whose schema value is ``expected``)."""
    if kind == "type":
        return f"expected {_or(expected)}, got {json_type(instance)}"
    if kind == "pattern":
        expected = _ORIGINAL_PATTERNS.get(expected, expected)
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
