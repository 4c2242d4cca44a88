"""Flag documents in each format's own terms: the rows the console lists, and its edits.

An edit is a function from a document (a fresh copy) to the edited document; it raises
:class:`EditError` for a request that makes no sense (a flag that does not exist, a value
that is not JSON). Whether the edited document is valid is not decided here: the file
validates it as ``Flags`` does before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags.formats import parse
from appflags.formats._detect import is_stored_document

if TYPE_CHECKING:
    from collections.abc import Mapping

JSON = "application/json"


class EditError(ValueError):
    """An edit request that cannot be applied, with the JSON path it is about."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class FlagRow:
    """One flag as the console lists it."""

    key: str
    enabled: str
    """``on``, ``off``, or what decides it (``per variant``, a flagd default variant)."""
    types: dict[str, str]
    """Each attribute's (or the flag value's) type."""
    variants: int
    rules: bool
    definition: Any
    """What "edit as JSON" shows and takes back for this flag."""
    toggles: bool
    """Whether the flag has one on/off switch the console can flip."""


def kind_of(doc: Any, fmt: str) -> str:
    """The document's kind in the console's words: the format, and for AppConfig its form."""
    if fmt == "appconfig":
        return "appconfig-stored" if is_stored_document(doc) else "appconfig-values"
    return fmt


KIND_NOTES = {
    "appconfig-stored": "AWS AppConfig feature flags (stored document: definitions, "
    "constraints, values, multi-variant flags)",
    "appconfig-values": "AWS AppConfig feature flags (values, as GetLatestConfiguration "
    "returns them)",
    "powertools": "Powertools for AWS Lambda feature flags (default, rules, conditions)",
    "flagd": "OpenFeature flagd flag definitions (state, variants, defaultVariant, targeting)",
    "json": "plain JSON configuration: keys and values, no rules",
}


def rows(doc: Any, fmt: str) -> list[FlagRow]:
    """The flags of ``doc`` (a valid document of format ``fmt``), in document order."""
    kind = kind_of(doc, fmt)
    return [_ROWS[kind](doc, key) for key in flag_keys(doc, kind)]


def flag_keys(doc: Any, kind: str) -> list[str]:
    """The document's flag keys (top-level keys for ``json``)."""
    if kind == "appconfig-stored":
        return list(doc.get("flags", {}))
    if kind == "flagd":
        return list(doc.get("flags", {}))
    return list(doc)


def attribute_keys(doc: Any, kind: str, key: str) -> list[str]:
    """``flag.attribute`` keys a lookup can ask for besides the flag itself."""
    if kind == "appconfig-stored":
        return [f"{key}.{name}" for name in doc["flags"][key].get("attributes", {})]
    if kind == "appconfig-values":
        return [f"{key}.{name}" for name in doc[key] if name != "enabled"]
    return []


def type_name(value: Any) -> str:
    """A JSON type's name."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def _stored_row(doc: Any, key: str) -> FlagRow:
    flag = doc["flags"][key]
    value = doc.get("values", {}).get(key, {})
    types = {
        name: spec.get("constraints", {}).get("type", "any")
        for name, spec in flag.get("attributes", {}).items()
    }
    variants = value.get("_variants") or []
    enabled = "per variant" if variants else "on" if value.get("enabled") else "off"
    rules = any("rule" in variant for variant in variants)
    definition = {"flag": flag, "value": value}
    return FlagRow(key, enabled, types, len(variants), rules, definition, not variants)


def _values_row(doc: Any, key: str) -> FlagRow:
    value = doc[key]
    types = {name: type_name(item) for name, item in value.items() if name != "enabled"}
    enabled = "on" if value.get("enabled") else "off"
    return FlagRow(key, enabled, types, 0, False, value, True)


def _powertools_row(doc: Any, key: str) -> FlagRow:
    flag = doc[key]
    default = flag.get("default")
    boolean = flag.get("boolean_type", True)
    enabled = ("on" if default else "off") if boolean else "value"
    rules = bool(flag.get("rules"))
    toggles = isinstance(default, bool)
    return FlagRow(key, enabled, {"value": type_name(default)}, 0, rules, flag, toggles)


def _flagd_row(doc: Any, key: str) -> FlagRow:
    flag = doc["flags"][key]
    variants: Mapping[str, Any] = flag.get("variants", {})
    state = flag.get("state")
    default = flag.get("defaultVariant")
    if state != "ENABLED":
        enabled = "off (DISABLED)"
    elif default is None:
        enabled = "on (no default variant)"
    else:
        enabled = f"on, default {default}"
    types = sorted({type_name(value) for value in variants.values()})
    rules = bool(flag.get("targeting"))
    return FlagRow(key, enabled, {"value": "/".join(types)}, len(variants), rules, flag, True)


def _json_row(doc: Any, key: str) -> FlagRow:
    value = doc[key]
    return FlagRow(key, "", {"value": type_name(value)}, 0, False, value, False)


_ROWS: dict[str, Callable[[Any, str], FlagRow]] = {
    "appconfig-stored": _stored_row,
    "appconfig-values": _values_row,
    "powertools": _powertools_row,
    "flagd": _flagd_row,
    "json": _json_row,
}


# -- edits ----------------------------------------------------------------------------


Edit = Callable[[Any], Any]
_EditFunction = Callable[[Any, str, str, "Mapping[str, str]"], Any]


def edit_for(kind: str, op: str, key: str, form: Mapping[str, str]) -> Edit:
    """The edit ``op`` asks for on flag ``key`` of a ``kind`` document, with the form's
    fields; it raises :class:`EditError` for fields it cannot use (nothing is written)."""
    if not key:
        raise EditError("which flag? the request names none", "flag")
    function = _EDITS.get((op, kind)) or _EDITS.get((op, _ANY))
    if function is None:
        raise EditError(f"no edit {op!r} for a {kind} document", "op")
    return lambda doc: function(doc, kind, key, form)


def parse_json(text: str, field: str) -> Any:
    """``text`` read as a JSON document is (:func:`appflags.formats.parse`: no NaN, no
    number past a float's range, no repeated key), or an :class:`EditError` naming the
    field and the problem (a syntax error's line and column)."""
    repeated: list[Problem] = []
    try:
        value = parse(text.encode(), JSON, duplicates=repeated)
    except SchemaError as exc:
        raise EditError(f"{field}: {exc.problems[0].message}", field) from None
    if repeated:
        where = repeated[0].path.replace("$", field, 1)
        raise EditError(f"{where}: {repeated[0].message}", field)
    return value


def _flags_of(doc: Any, kind: str) -> dict[str, Any]:
    if kind in ("appconfig-stored", "flagd"):
        found = doc.setdefault("flags", {})
        if not isinstance(found, dict):
            raise EditError("the document's flags are not an object", "$.flags")
        return found
    return doc  # type: ignore[no-any-return] # the document is a JSON object


def _path(kind: str, key: str) -> str:
    where = "$.flags" if kind in ("appconfig-stored", "flagd") else "$"
    return f"{where}[{json.dumps(key)}]"


def _existing(doc: Any, kind: str, key: str) -> Any:
    flags = _flags_of(doc, kind)
    if key not in flags:
        raise EditError(f"no flag {key!r} in the document", _path(kind, key))
    return flags[key]


def _toggle(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:  # noqa: ARG001
    flag = _existing(doc, kind, key)
    if kind == "appconfig-stored":
        value = doc.setdefault("values", {}).setdefault(key, {})
        if value.get("_variants"):
            raise EditError(
                "a multi-variant flag is on or off per variant: edit its variants",
                f"$.values[{json.dumps(key)}]._variants",
            )
        value["enabled"] = not value.get("enabled", False)
    elif kind == "appconfig-values":
        flag["enabled"] = not flag.get("enabled", False)
    elif kind == "powertools":
        if not isinstance(flag.get("default"), bool):
            raise EditError(
                "its default is not a boolean: edit its definition",
                f"{_path(kind, key)}.default",
            )
        flag["default"] = not flag["default"]
    elif kind == "flagd":
        flag["state"] = "DISABLED" if flag.get("state") == "ENABLED" else "ENABLED"
    else:
        raise EditError("plain JSON has no flags to toggle: edit the value", _path(kind, key))
    return doc


def _set_definition(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:
    definition = parse_json(form.get("definition", ""), "definition")
    _existing(doc, kind, key)
    if kind == "appconfig-stored":
        if not isinstance(definition, dict) or set(definition) != {"flag", "value"}:
            raise EditError(
                'a stored flag\'s definition is {"flag": {...}, "value": {...}}', "definition"
            )
        doc["flags"][key] = definition["flag"]
        doc.setdefault("values", {})[key] = definition["value"]
    else:
        _flags_of(doc, kind)[key] = definition
    return doc


_NEW_FLAG = {
    "appconfig-values": {"enabled": False},
    "powertools": {"default": False},
    "flagd": {
        "state": "ENABLED",
        "variants": {"on": True, "off": False},
        "defaultVariant": "off",
    },
    "json": False,
}


def _add(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:  # noqa: ARG001
    flags = _flags_of(doc, kind)
    if key in flags:
        raise EditError(f"a flag {key!r} exists already", _path(kind, key))
    if kind == "appconfig-stored":
        flags[key] = {"name": key}
        doc.setdefault("values", {})[key] = {"enabled": False}
    else:
        flags[key] = json.loads(json.dumps(_NEW_FLAG[kind]))
    return doc


def _delete(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:  # noqa: ARG001
    _existing(doc, kind, key)
    del _flags_of(doc, kind)[key]
    if kind == "appconfig-stored":
        doc.get("values", {}).pop(key, None)
    return doc


def _set_attributes(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:
    flag = _existing(doc, kind, key)
    if kind == "appconfig-stored":
        specs = flag.get("attributes", {})
        value = doc.setdefault("values", {}).setdefault(key, {})
        if value.get("_variants"):
            raise EditError(
                "a multi-variant flag's attribute values are its variants': edit its variants",
                f"$.values[{json.dumps(key)}]._variants",
            )
        types = {name: spec.get("constraints", {}).get("type") for name, spec in specs.items()}
        target = value
    else:
        types = {name: type_name(item) for name, item in flag.items() if name != "enabled"}
        target = flag
    for field, text in form.items():
        if not field.startswith("attr:"):
            continue
        name = field[len("attr:") :]
        if name not in types:
            raise EditError(f"flag {key!r} has no attribute {name!r}", field)
        if text == "" and kind == "appconfig-stored" and types[name] != "string":
            target.pop(name, None)  # an optional attribute left empty: no value
        elif types[name] == "string":
            target[name] = text
        else:
            target[name] = parse_json(text, f"attribute {name}")
    return doc


def _set_variants(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:
    variants = parse_json(form.get("variants", ""), "variants")
    _existing(doc, kind, key)
    if not isinstance(variants, list):
        raise EditError("variants are a JSON array of variants", "variants")
    value = doc.setdefault("values", {}).setdefault(key, {})
    if variants:
        value.pop("enabled", None)
        for name in [name for name in value if not name.startswith("_")]:
            del value[name]  # attribute values live in the variants now
        value["_variants"] = variants
    else:
        value.pop("_variants", None)
        value.setdefault("enabled", False)
    return doc


def _set_default_variant(doc: Any, kind: str, key: str, form: Mapping[str, str]) -> Any:
    variant = form.get("variant", "")
    flag = _existing(doc, kind, key)
    if variant == "":
        flag.pop("defaultVariant", None)
    else:
        flag["defaultVariant"] = variant
    return doc


_ANY = "*"
_EDITS: dict[tuple[str, str], _EditFunction] = {
    ("toggle", _ANY): _toggle,
    ("add", _ANY): _add,
    ("delete", _ANY): _delete,
    ("definition", _ANY): _set_definition,
    ("attributes", "appconfig-stored"): _set_attributes,
    ("attributes", "appconfig-values"): _set_attributes,
    ("variants", "appconfig-stored"): _set_variants,
    ("default-variant", "flagd"): _set_default_variant,
}
"""Each edit, by (operation, document kind); ``*``: any kind."""
