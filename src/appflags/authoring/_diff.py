"""A flag-level diff of two parsed documents: the flags added, removed and changed, and in
each changed flag what changed (``enabled``, an attribute, a variant, a rule, the order
of variants or rules). Built on the documents' structure, never on their text.

Each format maps a flag to named *facets* (``enabled``, ``attribute color``,
``variant gold``, ``rule admins``...); two versions of a flag differ in the facets whose
values differ as JSON (so ``1`` and ``true`` differ, as they do to a flag lookup).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appflags.formats._detect import flag_shape, is_retrieval_shape

ABSENT: Any = type("Absent", (), {"__repr__": lambda _self: "ABSENT"})()
"""A facet a version does not have (a flag's ``before`` when it was added)."""

_ORDER = " order"
Facets = dict[str, dict[str, Any]]
_SHORT = 60


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


@dataclass(frozen=True)
class Change:
    """One facet of a flag (or of the document) that differs: ``what`` names it
    (``"enabled"``, ``"attribute color"``, ``"variant gold"``, ``"rule admins"``,
    ``"variant order"``); ``before``/``after`` are its values, :data:`ABSENT` where a
    version lacks it."""

    what: str
    before: Any = ABSENT
    after: Any = ABSENT

    def __str__(self) -> str:  # noqa: PLR0911 - one wording per kind of change
        if self.what.endswith(_ORDER):
            things = self.what[: -len(_ORDER)] + "s"
            return f"{things} reordered: {', '.join(self.before)} -> {', '.join(self.after)}"
        if self.before is ABSENT:
            return f"{self.what} added: {_short(self.after)}"
        if self.after is ABSENT:
            return f"{self.what} removed"
        if isinstance(self.before, dict) and isinstance(self.after, dict):
            keys = sorted(
                k
                for k in self.before.keys() | self.after.keys()
                if _json(self.before.get(k, None)) != _json(self.after.get(k, None))
                or (k in self.before) != (k in self.after)
            )
            if len(keys) < len(self.before.keys() | self.after.keys()):
                # Some of its parts stayed: name those that changed (a variant's rule).
                return f"{self.what} changed: {', '.join(keys)}"
            return f"{self.what} changed"
        if isinstance(self.before, (dict, list)) or isinstance(self.after, (dict, list)):
            return f"{self.what} changed"
        return f"{self.what}: {_short(self.before)} -> {_short(self.after)}"


@dataclass(frozen=True)
class FlagChange:
    """A flag present in both documents whose definition changed."""

    key: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class DocumentDiff:
    """What deploying ``after`` over ``before`` changes, flag by flag.

    ``added`` and ``removed`` are flag keys; ``changed`` the flags that differ, each with its
    changes; ``document`` the changes outside any flag (the format itself, a stored
    document's ``version``, flagd's shared ``$evaluators``). False when nothing differs.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[FlagChange, ...] = ()
    document: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.document)

    def summary(self) -> str:
        """One line: ``3 flags: 1 added, 1 removed, 1 changed`` (``no changes``)."""
        if not self:
            return "no changes"
        parts = [
            f"{count} {word}"
            for count, word in (
                (len(self.added), "added"),
                (len(self.removed), "removed"),
                (len(self.changed), "changed"),
            )
            if count
        ]
        if not parts:
            return "no flag changed; the document did"
        total = len(self.added) + len(self.removed) + len(self.changed)
        return f"{total} flag{'' if total == 1 else 's'}: " + ", ".join(parts)

    def lines(self) -> list[str]:
        """The diff for people: ``+ key``, ``- key``, ``~ key`` and its changes indented."""
        out = [f"  document: {change}" for change in self.document]
        out += [f"+ {key}" for key in self.added]
        out += [f"- {key}" for key in self.removed]
        for flag in self.changed:
            out.append(f"~ {flag.key}")
            out += [f"    {change}" for change in flag.changes]
        return out


def diff_documents(before: Any, after: Any) -> DocumentDiff:
    """The flag-level diff from document ``before`` to document ``after`` (parsed JSON or
    YAML; ``before`` is ``None`` when nothing was deployed)."""
    before_format: str | None = None
    before_flags: Facets = {}
    before_doc: dict[str, Any] = {}
    if before is not None:
        before_format = _format_of(before)
        before_flags, before_doc = _facets(before_format, before)
    after_format = _format_of(after)
    after_flags, after_doc = _facets(after_format, after)
    # With nothing deployed the flags say it all: no document-level noise (its version).
    document = list(_changes(before_doc, after_doc)) if before is not None else []
    if before is not None and before_format != after_format:
        document.insert(0, Change("format", before_format, after_format))
    changed = tuple(
        FlagChange(key, changes)
        for key in after_flags
        if key in before_flags and (changes := tuple(_changes(before_flags[key], after_flags[key])))
    )
    return DocumentDiff(
        added=tuple(key for key in after_flags if key not in before_flags),
        removed=tuple(key for key in before_flags if key not in after_flags),
        changed=changed,
        document=tuple(document),
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    found = []
    for what in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(what, ABSENT), after.get(what, ABSENT)
        if what.endswith(_ORDER):
            # The order among the names both versions have: an added or removed variant
            # is reported as such, not as a reordering.
            common = set(old if old is not ABSENT else ()) & set(new if new is not ABSENT else ())
            old = [n for n in (old if old is not ABSENT else ()) if n in common]
            new = [n for n in (new if new is not ABSENT else ()) if n in common]
            if old != new:
                found.append(Change(what, old, new))
        elif old is ABSENT or new is ABSENT or _json(old) != _json(new):
            found.append(Change(what, old, new))
    return found


def _format_of(doc: Any) -> str:
    shape = flag_shape(doc)
    if shape == "appconfig" and not is_retrieval_shape(doc):
        return "appconfig"
    if shape == "appconfig":
        return "appconfig (retrieval form)"
    return shape or "json"


def _facets(format_name: str, doc: Any) -> tuple[Facets, dict[str, Any]]:
    """Each flag's facets, and the document's own (outside any flag)."""
    if not isinstance(doc, dict):
        return {}, {"content": doc}
    if format_name == "appconfig":
        return _appconfig(doc)
    if format_name == "flagd":
        return _flagd(doc)
    flags: Facets = {}
    for key, value in doc.items():
        if format_name == "powertools" and isinstance(value, dict):
            flags[key] = _powertools(value)
        elif format_name.startswith("appconfig") and isinstance(value, dict):
            flags[key] = {_attribute(name): v for name, v in value.items()}
        else:
            flags[key] = _leaves(value)
    return flags, {}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _attribute(name: str) -> str:
    return name if name == "enabled" or name.startswith("_") else f"attribute {name}"


def _appconfig(doc: dict[str, Any]) -> tuple[Facets, dict[str, Any]]:
    definitions = _object(doc.get("flags"))
    values = _object(doc.get("values"))
    flags: Facets = {}
    for key in [*definitions, *(k for k in values if k not in definitions)]:
        facets: dict[str, Any] = {}
        definition = definitions.get(key)
        if isinstance(definition, dict):
            for name, value in definition.items():
                if name == "attributes" and isinstance(value, dict):
                    for attribute, constraints in value.items():
                        facets[f"attribute {attribute} (definition)"] = constraints
                else:
                    facets[name] = value
        elif key in definitions:
            facets["definition"] = definition
        value = values.get(key, ABSENT)
        if isinstance(value, dict):
            for name, item in value.items():
                if name == "_variants" and isinstance(item, list):
                    facets.update(_named("variant", item))
                else:
                    facets[_attribute(name)] = item
        elif value is not ABSENT:
            facets["values"] = value
        flags[key] = facets
    rest = {k: v for k, v in doc.items() if k not in ("flags", "values")}
    return flags, rest


def _named(kind: str, items: list[Any]) -> dict[str, Any]:
    """Variants or rules (a list, first match wins): each by its name, and their order."""
    facets: dict[str, Any] = {}
    names = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        label = name if isinstance(name, str) else f"#{index + 1}"
        facets[f"{kind} {label}"] = (
            {k: v for k, v in item.items() if k != "name"} if isinstance(item, dict) else item
        )
        names.append(label)
    facets[f"{kind}{_ORDER}"] = names
    return facets


def _powertools(feature: dict[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    for name, value in feature.items():
        if name == "rules" and isinstance(value, dict):
            facets.update({f"rule {rule}": body for rule, body in value.items()})
            # Powertools tries rules in the document's order: the order is behaviour.
            facets[f"rule{_ORDER}"] = list(value)
        else:
            facets[name] = value
    return facets


def _flagd(doc: dict[str, Any]) -> tuple[Facets, dict[str, Any]]:
    flags: Facets = {}
    raw = _object(doc.get("flags"))
    for key, flag in raw.items():
        facets: dict[str, Any] = {}
        if isinstance(flag, dict):
            for name, value in flag.items():
                if name == "variants" and isinstance(value, dict):
                    facets.update({f"variant {v}": body for v, body in value.items()})
                else:
                    facets[name] = value
        else:
            facets["definition"] = flag
        flags[key] = facets
    rest: dict[str, Any] = {}
    for name, value in doc.items():
        if name == "flags":
            continue
        if name == "$evaluators" and isinstance(value, dict):
            rest.update({f"$evaluators.{k}": v for k, v in value.items()})
        else:
            rest[name] = value
    return flags, rest


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Plain JSON: every leaf by its dotted path under the top-level key."""
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return found
    return {path or "value": value}
