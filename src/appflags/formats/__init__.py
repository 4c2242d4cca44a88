"""Flag document formats: parse, detect, validate, compile.

A format knows documents only; it never sees a network or a file.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from appflags._clock import utc_now
from appflags._errors import Problem, SchemaError
from appflags.formats._base import (
    USE_DEFAULT,
    Clock,
    Compiled,
    Context,
    Format,
    Resolved,
    Rule,
)
from appflags.formats._schemas import compile_schema, problems

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from appflags.formats._flagd import FlagdFormat
    from appflags.formats._incremental import Incremental

    FORMATS: dict[str, Format]

__all__ = [
    "FORMATS",
    "MAX_DOCUMENT_BYTES",
    "USE_DEFAULT",
    "Clock",
    "Compiled",
    "Context",
    "FlagdFormat",
    "Format",
    "Resolved",
    "Rule",
    "compile_document",
    "compile_schema",
    "detect",
    "load",
    "parse",
    "utc_now",
]

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Documents larger than this are rejected before parsing (configurable per ``Flags``)."""


@functools.cache
def _formats() -> dict[str, Format]:
    """``FORMATS``, built on first use: the formats and their rule compilers are most of
    what appflags imports, and ``import appflags`` should not pay for them."""
    from appflags.formats._appconfig import AppConfigFormat  # noqa: PLC0415
    from appflags.formats._flagd import FlagdFormat  # noqa: PLC0415
    from appflags.formats._json import JsonFormat  # noqa: PLC0415
    from appflags.formats._powertools import PowertoolsFormat  # noqa: PLC0415

    # Detection order matters: the most specific shape first, ``json`` (any object) last.
    found = (FlagdFormat(), AppConfigFormat(), PowertoolsFormat(), JsonFormat())
    return {f.name: f for f in found}


def __getattr__(name: str) -> Any:
    if name == "FORMATS":  # every format by name, in detection order
        return _formats()
    if name == "FlagdFormat":  # the flagd format, with its options (fractional=...)
        from appflags.formats._flagd import FlagdFormat  # noqa: PLC0415

        return FlagdFormat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_JSON_TYPES = ("application/json", "text/json", "text/plain", "application/octet-stream", "")
_YAML_TYPES = ("application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml")


def parse(
    data: bytes, content_type: str | None = None, *, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Any:
    """Bytes to a document; the content type decides the parser. Raises :class:`SchemaError`."""
    if len(data) > max_bytes:
        raise SchemaError([Problem("$", f"document is {len(data)} bytes, over {max_bytes}")])
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _YAML_TYPES:
        return _parse_yaml(data)
    if media == "application/ion":
        # The AppConfig Agent's local-development form of multi-variant flags.
        from appflags.formats._appconfig_ion import parse_ion  # noqa: PLC0415 - rare

        return parse_ion(data)
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise SchemaError([Problem("$", f"unsupported content type {media!r}")])
    try:
        return json.loads(data)
    except RecursionError:
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None
    except json.JSONDecodeError as exc:
        # Line and column, never the document text: the message is safe to log.
        where = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise SchemaError([Problem("$", f"not valid JSON: {where}")]) from None
    except ValueError:
        raise SchemaError([Problem("$", "not valid JSON: not UTF-8 text")]) from None


def _parse_yaml(data: bytes) -> Any:
    try:
        import yaml  # noqa: PLC0415 - optional extra, imported only for YAML profiles
    except ImportError:
        raise SchemaError(
            [Problem("$", "YAML profile: install the extra with `pip install appflags[yaml]`")]
        ) from None
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise SchemaError([Problem("$", f"not valid YAML{where}")]) from None


def detect(doc: Any) -> Format:
    """The first format, in :data:`FORMATS` order, that recognises ``doc``."""
    formats = _formats()
    for candidate in formats.values():
        if candidate.detect(doc):
            return candidate
    return formats["json"]


def compile_document(
    doc: Any,
    *,
    format: str | Format = "auto",  # noqa: A002 - the public API's name for it
    schema: Validator | None = None,
    clock: Clock = utc_now,
    incremental: bool = False,
    previous: Incremental | None = None,
) -> tuple[str, Compiled]:
    """Validate and compile ``doc``; returns the format's name and the compiled flags.

    ``format`` is a format's name, ``"auto"``, or a format object (``FlagdFormat(...)``).
    ``schema`` is the caller's own JSON Schema (compiled), checked before the format's
    own rules. Raises :class:`SchemaError` listing every problem.

    With ``incremental``, the result keeps what the next version needs (its
    ``incremental``), and ``previous`` (the last version's) lets flags whose definitions
    did not change keep their compiled rules. Validation is always whole-document.
    """
    if not isinstance(format, str):
        chosen = format
    elif format == "auto":
        chosen = detect(doc)
    elif format in _formats():
        chosen = _formats()[format]
    else:
        known = sorted(_formats())
        raise ValueError(f"unknown format {format!r}; expected 'auto' or one of {known}")
    try:
        found = problems(schema, doc) if schema is not None else []
        found += chosen.validate(doc)
        if found:
            raise SchemaError(found)
        if not incremental:
            return chosen.name, chosen.compile(doc, clock)
        from appflags.formats._incremental import compile_incrementally  # noqa: PLC0415

        return chosen.name, compile_incrementally(chosen, doc, clock, previous)
    except RecursionError:
        # Validating or compiling a recursive structure (JsonLogic, rule expressions) costs
        # several stack frames per level: a document nested that deep is refused whole.
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None


def load(
    data: bytes,
    content_type: str | None = None,
    *,
    format: str | Format = "auto",  # noqa: A002
    schema: Validator | None = None,
    clock: Clock = utc_now,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    incremental: bool = False,
    previous: Incremental | None = None,
) -> tuple[str, Compiled]:
    """Parse, validate and compile raw bytes fetched from a source (``incremental`` and
    ``previous`` as in :func:`compile_document`)."""
    doc = parse(data, content_type, max_bytes=max_bytes)
    return compile_document(
        doc,
        format=format,
        schema=schema,
        clock=clock,
        incremental=incremental,
        previous=previous,
    )
