"""JSON Schema draft 2020-12 -> draft-04, for AWS AppConfig's JSON Schema validators.

AppConfig's inline validators take JSON Schema draft-04 only, at most 32,768 characters.
:func:`to_draft04` translates one of the project's draft 2020-12 schemas so that the result
**never rejects a document the source accepts**; it may accept more. Most keywords have an
exact draft-04 equivalent (``const``, ``if``/``then``/``else``, ``prefixItems``,
``dependentRequired``, ``contains``, numeric ``exclusiveMinimum``, ``integer`` for ``5.0``);
the few that have none (``unevaluated*``, most ``propertyNames``, ``maxContains``) are
loosened. Loosening flips to tightening under ``not`` (and in the condition of an ``if``),
so every subschema is translated with a *polarity*: an over-approximation where accepting
more is safe, an under-approximation where it is negated.

``python -m tools.draft04 [SCHEMAS_DIR]`` regenerates the committed validators,
``schemas/appconfig-validators/<format>.draft-04.json``, from a source checkout.
"""

from __future__ import annotations

import json
import operator
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from jsonschema import Draft4Validator, Draft202012Validator

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

DRAFT04 = "http://json-schema.org/draft-04/schema#"
"""The ``$schema`` of every translated schema."""

MAX_VALIDATOR_CHARS = 32_768
"""The most characters AppConfig takes as a JSON Schema validator's content."""

SOURCES = ("powertools.schema.json", "flagd.schema.json")
"""The project schemas that have an AppConfig validator (the freeform formats)."""

OUTPUT_FOLDER = "appconfig-validators"
"""Where, under ``schemas/``, the validators are committed."""

_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_ANNOTATIONS = ("title", "description", "default")  # kept: draft-04 has them too
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_COPIED = ("multipleOf", "minimum", "maximum", "pattern", "uniqueItems")
# Keywords whose value is one subschema, a list of them, or a name -> subschema map.
_ONE = (
    "additionalProperties",
    "propertyNames",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED = ("properties", "patternProperties", "dependentSchemas")
# Keywords that mean the same wherever they stand (unlike additionalProperties, which
# depends on its neighbours properties and patternProperties).
_MERGEABLE = frozenset(("allOf", "anyOf", "oneOf", "not", "enum", "multipleOf", "maxProperties"))
_UNEVALUATED = ("unevaluatedItems", "unevaluatedProperties")
_UNSUPPORTED = ("$dynamicRef", "$recursiveRef")


def _false() -> dict[str, Any]:
    # Draft-04 has no boolean schemas: "not anything" is its `false`.
    return {"not": {}}


def to_draft04(schema: dict[str, Any]) -> dict[str, Any]:
    """Translate a draft 2020-12 ``schema`` into a draft-04 schema that accepts at least as much.

    Every subschema the document reaches through ``$ref`` lands in ``definitions``; ``$defs``
    nobody references are left out. The result passes ``Draft4Validator.check_schema``.

    :raises ValueError: ``schema`` declares another draft, or uses references this
        translation cannot follow (``$dynamicRef``, anchors, other documents, nested ``$id``).
    :raises jsonschema.exceptions.SchemaError: ``schema`` is not a valid 2020-12 schema.
    """
    declared = schema.get("$schema", _DRAFT_2020_12)
    if declared.rstrip("#") != _DRAFT_2020_12:
        raise ValueError(f"expected a draft 2020-12 schema, got $schema {declared!r}")
    Draft202012Validator.check_schema(schema)
    result = _Translation(schema).run()
    Draft4Validator.check_schema(result)
    return result


def render(schema: dict[str, Any], source: str) -> str:
    """The committed text of the AppConfig validator for ``schema`` (read from ``source``).

    Minified, with a note in front of the root ``description`` saying where it comes from,
    since nobody reads a one-line file's provenance anywhere else.
    """
    translated = to_draft04(schema)
    note = (
        f"Generated from {source} by `python -m tools.draft04`: a draft-04 "
        "translation for AWS AppConfig validators that accepts everything the source "
        "accepts; `appflags validate` checks more."
    )
    original = translated.get("description")
    translated["description"] = f"{note} {original}" if original else note
    return json.dumps(translated, ensure_ascii=False, separators=(",", ":")) + "\n"


def output_name(source: str) -> str:
    """``powertools.schema.json`` -> ``powertools.draft-04.json``."""
    return source.removesuffix(".schema.json") + ".draft-04.json"


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``<schemas>/appconfig-validators/*.draft-04.json`` from the project schemas."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) > 1 or any(arg.startswith("-") for arg in args):
        sys.stderr.write("usage: python -m tools.draft04 [SCHEMAS_DIR]\n")
        return 2
    # The checkout's schemas/ by default: an installed wheel is no place to write into.
    folder = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "schemas"
    if not all((folder / source).is_file() for source in SOURCES):
        sys.stderr.write(f"{folder} does not hold {', '.join(SOURCES)}; pass SCHEMAS_DIR\n")
        return 2
    out = folder / OUTPUT_FOLDER
    out.mkdir(exist_ok=True)
    for source in SOURCES:
        schema = json.loads((folder / source).read_text(encoding="utf-8"))
        text = render(schema, source)
        if len(text) > MAX_VALIDATOR_CHARS:
            sys.stderr.write(f"{source}: {len(text)} characters, AppConfig takes at most ")
            sys.stderr.write(f"{MAX_VALIDATOR_CHARS}\n")
            return 1
        target = out / output_name(source)
        target.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {target} ({len(text)} characters)\n")
    return 0


class _Translation:
    """One run of :func:`to_draft04`: the root, and the definitions it has handed out."""

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root
        self._names: dict[tuple[str, bool], str] = {}  # (pointer, over) -> definition name
        self._taken: set[str] = set()
        self._pending: list[tuple[str, bool]] = []
        self._exact: dict[str, bool] = {}

    def run(self) -> dict[str, Any]:
        body = self._schema(self._root, over=True)
        definitions: dict[str, Any] = {}
        while self._pending:
            pointer, over = self._pending.pop(0)
            definitions[self._names[pointer, over]] = self._schema(self._at(pointer), over=over)
        result: dict[str, Any] = {"$schema": DRAFT04, **body}
        if definitions:
            result["definitions"] = definitions
        return result

    # ------------------------------------------------------------------ one schema

    def _schema(self, node: Any, *, over: bool) -> dict[str, Any]:
        """``node`` in draft-04; with ``over`` it may accept more, without it less."""
        if node is True:
            return {}
        if node is False:
            return _false()
        if "$id" in node and node is not self._root:
            raise ValueError("a nested $id changes what references mean; not supported")
        for keyword in _UNSUPPORTED:
            if keyword in node:
                raise ValueError(f"{keyword} has no draft-04 translation")
        if not over and (_lossy_here(node) or not self._exact_choice(node)):
            return _false()  # the safe under-approximation of what draft-04 cannot say

        out: dict[str, Any] = {key: node[key] for key in _ANNOTATIONS if key in node}
        also: list[dict[str, Any]] = []  # further constraints, joined with allOf

        _types(node, out, also)
        _values(node, out, also)
        self._objects(node, out, also, over=over)
        self._arrays(node, out, also, over=over)
        self._logic(node, out, also, over=over)
        return self._joined(node, out, also, over=over)

    def _logic(
        self, node: dict[str, Any], out: dict[str, Any], also: list[Any], *, over: bool
    ) -> None:
        """allOf, anyOf, oneOf, not, if/then/else."""
        for keyword in ("allOf", "anyOf"):
            if keyword in node:
                out[keyword] = [self._schema(sub, over=over) for sub in node[keyword]]
        if "oneOf" in node:
            branches = [self._schema(sub, over=True) for sub in node["oneOf"]]
            if self._exact_choice(node):
                out["oneOf"] = branches
            else:
                # Loosened branches could both match; "at least one" is the sound reading.
                also.append({"anyOf": branches})
        if "not" in node:
            out["not"] = self._schema(node["not"], over=not over)
        if "if" in node:
            # if/then/else is (not IF or THEN) and (IF or ELSE); the negated IF flips polarity.
            condition = node["if"]
            if "then" in node:
                negated = {"not": self._schema(condition, over=not over)}
                also.append({"anyOf": [negated, self._schema(node["then"], over=over)]})
            if "else" in node:
                also.append(
                    {
                        "anyOf": [
                            self._schema(condition, over=over),
                            self._schema(node["else"], over=over),
                        ]
                    }
                )

    def _joined(
        self, node: dict[str, Any], out: dict[str, Any], also: list[Any], *, over: bool
    ) -> dict[str, Any]:
        """``out`` with the ``$ref`` and the further constraints of ``node`` added."""
        if "$ref" in node:
            ref = {"$ref": self._ref(node["$ref"], over=over)}
            validating = {key for key in out if key not in _ANNOTATIONS}
            if not validating and not also:
                return ref  # draft-04 ignores a $ref's siblings: leave none behind
            also.insert(0, ref)
        wrapped = []
        for constraint in also:
            # Keywords of one schema all apply, so a constraint can join it directly unless
            # a keyword clashes or it is a $ref (which makes draft-04 ignore its siblings).
            if set(constraint) <= _MERGEABLE and not set(constraint) & set(out):
                out.update(constraint)
            else:
                wrapped.append(constraint)
        if wrapped:
            out["allOf"] = [*out.get("allOf", []), *wrapped]
        return out

    def _objects(
        self, node: dict[str, Any], out: dict[str, Any], also: list[Any], *, over: bool
    ) -> None:
        """Keywords about objects."""
        required = _unique(node.get("required", []))
        if required:
            out["required"] = required  # draft-04 wants at least one name
        for keyword in ("properties", "patternProperties"):
            if keyword in node:
                out[keyword] = {
                    key: self._schema(sub, over=over) for key, sub in node[keyword].items()
                }
        if "additionalProperties" in node:
            extra = node["additionalProperties"]
            out["additionalProperties"] = (
                extra if isinstance(extra, bool) else self._schema(extra, over=over)
            )
        names = _property_names(node)
        if names == "empty":
            out.setdefault("properties", {})[""] = _false()  # the one name shorter than 1
        elif names == "none":
            also.append({"maxProperties": 0})
        dependencies: dict[str, Any] = {
            key: _unique(value) for key, value in node.get("dependentRequired", {}).items() if value
        }
        for key, sub in node.get("dependentSchemas", {}).items():
            translated = self._schema(sub, over=over)
            if key in dependencies:
                translated = {"allOf": [translated, {"required": dependencies[key]}]}
            dependencies[key] = translated
        if dependencies:
            out["dependencies"] = dependencies

    def _arrays(
        self, node: dict[str, Any], out: dict[str, Any], also: list[Any], *, over: bool
    ) -> None:
        """Keywords about arrays."""
        items = node.get("items")
        if "prefixItems" in node:
            out["items"] = [self._schema(sub, over=over) for sub in node["prefixItems"]]
            if items is not None:
                out["additionalItems"] = (
                    items if isinstance(items, bool) else self._schema(items, over=over)
                )
        elif items is not None:
            out["items"] = self._schema(items, over=over)
        if "contains" in node and _contains_needs_one(node):
            # "Some item matches" is "not every item fails"; only arrays are constrained.
            wanted = self._schema(node["contains"], over=over)
            also.append({"not": {"type": "array", "items": {"not": wanted}}})

    # ------------------------------------------------------------------ references

    def _ref(self, ref: str, *, over: bool) -> str:
        """The draft-04 ``$ref`` for source ``ref``, queueing its definition once."""
        pointer = _pointer(ref)
        self._at(pointer)  # fail now on a reference to nothing
        # An exact definition serves both polarities; an approximate one needs its own
        # under-approximation wherever it is negated.
        over = over or self._exact_pointer(pointer)
        if pointer == "" and over:
            return "#"
        key = (pointer, over)
        if key not in self._names:
            base = ".".join(_segments(pointer)) or "root"
            if base.startswith(("$defs.", "definitions.")):
                base = base.split(".", 1)[1]
            if not over:
                base += ".under"
            name, suffix = base, 1
            while name in self._taken:
                suffix += 1
                name = f"{base}-{suffix}"
            self._taken.add(name)
            self._names[key] = name
            self._pending.append(key)
        escaped = self._names[key].replace("~", "~0").replace("/", "~1")
        return "#/definitions/" + quote(escaped, safe="~!$&'()*+,;=:@-._")

    def _at(self, pointer: str) -> Any:
        node: Any = self._root
        for part in _segments(pointer):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ValueError(f"$ref #{pointer} points at nothing")
        return node

    def _exact_pointer(self, pointer: str) -> bool:
        """Whether the schema at ``pointer``, with all it references, translates exactly."""
        if pointer not in self._exact:
            seen: set[str] = set()
            todo = [pointer]
            exact = True
            while todo and exact:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                lossy, refs = _scan(self._at(current))
                exact = not lossy
                todo.extend(refs)
            self._exact[pointer] = exact
        return self._exact[pointer]

    def _exact_node(self, node: Any) -> bool:
        lossy, refs = _scan(node)
        return not lossy and all(self._exact_pointer(ref) for ref in refs)

    def _exact_choice(self, node: dict[str, Any]) -> bool:
        """Whether ``node``'s ``oneOf`` (if any) keeps its meaning: all branches exact."""
        return all(self._exact_node(sub) for sub in node.get("oneOf", ()))


# ---------------------------------------------------------------------- helpers


def _types(node: dict[str, Any], out: dict[str, Any], also: list[Any]) -> None:
    """``type``, with ``integer`` as a whole ``number``."""
    if "type" not in node:
        return
    types = [node["type"]] if isinstance(node["type"], str) else list(node["type"])
    if "integer" in types and "number" not in types:
        # Draft-04 validators may refuse 5.0 as an integer; 2020-12 accepts it.
        whole = {"multipleOf": 1}
        if "multipleOf" in node:
            also.append(whole)
        else:
            out.update(whole)
    types = _unique(["number" if kind == "integer" else kind for kind in types])
    out["type"] = types[0] if len(types) == 1 else types


def _values(node: dict[str, Any], out: dict[str, Any], also: list[Any]) -> None:
    """enum, const, and the keywords about numbers, strings and sizes."""
    if "enum" in node:
        choices = _unique(node["enum"])
        if choices:
            out["enum"] = choices
        else:
            also.append(_false())  # draft-04 wants at least one item
    if "const" in node:
        single = {"enum": [node["const"]]}
        if "enum" in out:
            also.append(single)
        else:
            out.update(single)
    for key in _COPIED:
        if key in node:
            out[key] = node[key]
    for key in _COUNTS:
        if key in node:
            out[key] = int(node[key])  # 2020-12 accepts 2.0 here, draft-04 does not
    for bound, exclusive, stricter in (
        ("minimum", "exclusiveMinimum", operator.ge),
        ("maximum", "exclusiveMaximum", operator.le),
    ):
        # Draft-04's exclusive bounds are flags on minimum/maximum: keep the stricter bound.
        if exclusive in node and (bound not in node or stricter(node[exclusive], node[bound])):
            out[bound], out[exclusive] = node[exclusive], True


def _property_names(node: dict[str, Any]) -> str:
    """How ``propertyNames`` translates: ``absent``, ``empty`` (forbid ""), ``none``, ``lossy``."""
    if "propertyNames" not in node:
        return "absent"
    names = node["propertyNames"]
    if names is True:
        return "absent"
    if names is False:
        return "none"
    checks = {key for key in names if key not in (*_ANNOTATIONS, "$comment")}
    if not checks:
        return "absent"
    if checks == {"minLength"} and names["minLength"] <= 1:
        return "empty" if names["minLength"] == 1 else "absent"
    return "lossy"


def _contains_needs_one(node: dict[str, Any]) -> bool:
    """Whether ``contains`` asks for at least one match (translated exactly or loosened)."""
    return bool(node.get("minContains", 1) >= 1)


def _lossy_here(node: dict[str, Any]) -> bool:
    """Whether ``node`` itself (not its subschemas) uses what draft-04 cannot say exactly."""
    if _property_names(node) == "lossy":
        return True
    if any(node.get(key, True) is not True for key in _UNEVALUATED):
        return True
    return "contains" in node and ("maxContains" in node or node.get("minContains", 1) > 1)


def _scan(node: Any) -> tuple[bool, list[str]]:
    """Whether any subschema of ``node`` is lossy, and the pointers it references."""
    lossy = False
    refs: list[str] = []
    for sub in _subschemas(node):
        lossy = lossy or _lossy_here(sub)
        if isinstance(sub.get("$ref"), str):
            refs.append(_pointer(sub["$ref"]))
    return lossy, refs


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    """``node`` and every object subschema under it, not following references."""
    if not isinstance(node, dict):
        return
    yield node
    for key in _ONE:
        if key in node:
            yield from _subschemas(node[key])
    for key in _MANY:
        for sub in node.get(key, ()):
            yield from _subschemas(sub)
    for key in _NAMED:
        for sub in node.get(key, {}).values():
            yield from _subschemas(sub)


def _pointer(ref: str) -> str:
    """``#/$defs/rule`` -> ``/$defs/rule``; only references inside the document are followed."""
    if not ref.startswith("#") or (len(ref) > 1 and not ref.startswith("#/")):
        raise ValueError(f"$ref {ref!r}: only #/... references inside the document translate")
    return unquote(ref[1:])


def _segments(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _unique(values: list[Any]) -> list[Any]:
    """``values`` without repeats, in JSON Schema's equality (1 == 1.0, True != 1)."""
    kept: list[Any] = []
    for value in values:
        if not any(_same(value, seen) for seen in kept):
            kept.append(value)
    return kept


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


if __name__ == "__main__":
    sys.exit(main())
