"""``format="auto"``: which flag format a document is, decided by its shape alone.

Detection never validates: it looks for a format's *marker*, so that a document with a
mistake is still recognised as the flag document it was meant to be, and then validated
as one (its mistakes reported), rather than quietly read as plain configuration.

- ``flagd``: a ``flags`` object in which some flag is an object with ``state``,
  ``variants`` or ``defaultVariant`` (or a ``$schema`` pointing at flagd.dev);
- ``appconfig`` (retrieval form): every top-level value is an object and some carry
  ``enabled``;
- ``powertools``: every top-level value is an object and some carry ``default``
  (and none ``enabled``);
- ``appconfig`` (stored document): only ``version``, ``flags`` and ``values`` keys.

Anything else, the empty object included, has no flag shape: it is plain ``json``.
"""

from __future__ import annotations

from typing import Any

FLAGD_MARKERS = frozenset(("state", "variants", "defaultVariant"))
STORED_KEYS = frozenset(("version", "flags", "values"))
"""The top-level keys of AppConfig's stored feature-flag document."""
_FLAGD_SCHEMA_MARK = "flagd.dev/schema"


def flag_shape(doc: Any) -> str | None:
    """The flag format ``doc`` has the shape of, or ``None`` (plain configuration)."""
    if not isinstance(doc, dict) or not doc:
        return None
    if _is_flagd(doc):
        return "flagd"
    values = doc.values()
    if all(isinstance(v, dict) for v in values):
        if any("enabled" in v for v in values):
            return "appconfig"
        if any("default" in v for v in values):
            return "powertools"
    if is_stored_document(doc):
        return "appconfig"
    return None


def is_retrieval_shape(doc: Any) -> bool:
    """AppConfig's retrieval form: every value an object, some with ``enabled``.

    A retrieval form may name its flags ``flags`` or ``values``; this tells it apart from
    the stored document, whose top-level values hold flags, not ``enabled``.
    """
    return (
        isinstance(doc, dict)
        and bool(doc)
        and all(isinstance(v, dict) for v in doc.values())
        and any("enabled" in v for v in doc.values())
    )


def is_stored_document(doc: Any) -> bool:
    """AppConfig's stored document (what users create and AppConfig keeps): only
    ``version``, ``flags`` and ``values`` keys, and not the retrieval form (which may name
    its flags ``flags``, ``values`` or ``version``). The one check of it: formats, the
    incremental compile and ``LocalAppConfig`` all ask here."""
    return (
        isinstance(doc, dict)
        and bool(doc)
        and doc.keys() <= STORED_KEYS
        and not is_retrieval_shape(doc)
    )


def _is_flagd(doc: dict[str, Any]) -> bool:
    schema = doc.get("$schema")
    if isinstance(schema, str) and _FLAGD_SCHEMA_MARK in schema:
        return True
    flags = doc.get("flags")
    return isinstance(flags, dict) and any(
        isinstance(flag, dict) and not FLAGD_MARKERS.isdisjoint(flag) for flag in flags.values()
    )
