"""How each format's document splits into a part every flag reads and one part per flag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from appflags.formats._detect import is_stored_document

if TYPE_CHECKING:
    from collections.abc import Callable


class Split(NamedTuple):
    """A document as the part every flag reads, and one definition per flag."""

    shared: Any
    """Compared whole: when it changes, every flag is compiled again."""
    definitions: dict[str, Any]
    rebuild: Callable[[Any, dict[str, Any], dict[str, Any]], Any]
    """``rebuild(shared, definitions, values)``: a document holding only those flags."""
    values: dict[str, Any] = {}  # noqa: RUF012 - never mutated
    """A second per-flag part compared like ``definitions`` (AppConfig's ``values``)."""


def split_document(format_name: str, doc: Any) -> Split | None:
    """How a valid document of ``format_name`` splits per flag; None: compile it whole."""
    if format_name == "appconfig":
        if is_stored_document(doc):
            return _split_stored(doc)
        return Split(None, doc, _whole)
    if format_name == "powertools":
        return Split(None, doc, _whole)
    if format_name == "flagd":
        shared = {key: value for key, value in doc.items() if key != "flags"}
        return Split(shared, doc["flags"], _flagd)
    return None


def _whole(_shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return definitions


def _split_stored(doc: dict[str, Any]) -> Split:
    flags, values = doc.get("flags") or {}, doc.get("values") or {}
    # Values without a definition are not compiled, but belong to no flag either: they
    # are compared whole, with the document's other keys.
    # (The keys of both, in the same order, as usual: a pointer comparison a key, json
    # parsing each key's text once.)
    orphans = (
        {}
        if list(values) == list(flags)
        else {key: values[key] for key in values.keys() - flags.keys()}
    )
    shared = {key: value for key, value in doc.items() if key not in ("flags", "values")}
    return Split((shared, orphans), flags, _stored, values)


def _stored(shared: Any, definitions: dict[str, Any], values: dict[str, Any]) -> Any:
    head, _ = shared
    some = {key: values[key] for key in definitions if key in values}
    return {**head, "flags": definitions, "values": some}


def _flagd(shared: Any, definitions: dict[str, Any], _values: dict[str, Any]) -> Any:
    return {**shared, "flags": definitions}
