"""Flag document formats: parse, detect, validate, compile.

A format knows documents only; it never sees a network or a file.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from appflags import _gc_pause
from appflags._clock import utc_now
from appflags._errors import Problem, SchemaError
from appflags._model import FORMAT_ORDER
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

    from appflags._model import Incremental
    from appflags.formats._flagd import FlagdFormat

    FORMATS: dict[str, Format]

__all__ = [
    "FLAG_FORMATS",
    "FORMATS",
    "FORMAT_NAMES",
    "MAX_DOCUMENT_BYTES",
    "USE_DEFAULT",
    "Clock",
    "Compiled",
    "Context",
    "FlagdFormat",
    "Format",
    "Resolved",
    "Rule",
    "choose_format",
    "compile_document",
    "compile_schema",
    "detect",
    "load",
    "load_schema",
    "parse",
    "utc_now",
]

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Documents larger than this are rejected before parsing (configurable per ``Flags``)."""

FORMAT_NAMES = frozenset(FORMAT_ORDER)
"""The name of every format (``FORMATS``' keys, without importing the formats)."""

_LOADED: dict[str, Format] = {}


def _format(name: str) -> Format:
    """The format called ``name`` (one of ``FORMAT_NAMES``), imported on first use.

    Each format loads alone: reading an AppConfig document never imports flagd's JsonLogic
    nor Powertools' actions (with ``dateutil``), which a cold start would pay for nothing.
    """
    found = _LOADED.get(name)
    if found is not None:
        return found
    made: Format
    if name == "appconfig":
        from appflags.formats._appconfig import AppConfigFormat  # noqa: PLC0415

        made = AppConfigFormat()
    elif name == "flagd":
        from appflags.formats._flagd import FlagdFormat  # noqa: PLC0415

        made = FlagdFormat()
    elif name == "powertools":
        from appflags.formats._powertools import PowertoolsFormat  # noqa: PLC0415

        made = PowertoolsFormat()
    elif name == "json":
        from appflags.formats._json import JsonFormat  # noqa: PLC0415

        made = JsonFormat()
    else:
        raise KeyError(name)
    # Two threads may build one at once: the first one stored is the one every caller gets.
    return _LOADED.setdefault(name, made)


@functools.cache
def _formats() -> dict[str, Format]:
    """``FORMATS``, built on first use: the formats and their rule compilers are most of
    what appflags imports, and ``import appflags`` should not pay for them."""
    return {name: _format(name) for name in FORMAT_ORDER}


def __getattr__(name: str) -> Any:
    if name == "FORMATS":  # every format by name
        return _formats()
    if name == "FlagdFormat":  # the flagd format, with its options (fractional=...)
        from appflags.formats._flagd import FlagdFormat  # noqa: PLC0415

        return FlagdFormat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_JSON_TYPES = ("application/json", "text/json", "text/plain", "application/octet-stream", "")
_YAML_TYPES = ("application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml")


def parse(
    data: bytes,
    content_type: str | None = None,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    duplicates: list[Problem] | None = None,
) -> Any:
    """Bytes to a document; the content type decides the parser. Raises :class:`SchemaError`.

    An object that repeats a key keeps its last value (as AWS reads it); with a
    ``duplicates`` list, each such key is appended to it with its JSON path.
    """
    if len(data) > max_bytes:
        raise SchemaError([Problem("$", f"document is {len(data)} bytes, over {max_bytes}")])
    media = _media(content_type)
    if media in _YAML_TYPES:
        from appflags.formats._yaml import load_yaml  # noqa: PLC0415 - YAML profiles only

        return load_yaml(data, max_bytes, duplicates)
    if media == "application/ion":
        # The AppConfig Agent's local-development form of multi-variant flags.
        from appflags.formats._appconfig_ion import parse_ion  # noqa: PLC0415 - rare

        return parse_ion(data)
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise SchemaError([Problem("$", f"unsupported content type {media!r}")])
    # Finding repeated keys costs a Python call per object: only when asked.
    repeated = None
    if duplicates is not None:
        from appflags.formats._json import DuplicateKeys  # noqa: PLC0415 - see test_imports

        repeated = DuplicateKeys()
    try:
        doc = json.loads(
            data,
            parse_constant=_not_json,
            parse_float=_finite_float,
            parse_int=finite_int,
            object_pairs_hook=repeated,
        )
    except _NotJsonError as exc:
        raise SchemaError([Problem("$", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise SchemaError([Problem("$", "document is nested too deeply")]) from None
    except json.JSONDecodeError as exc:
        # Line and column, never the document text: the message is safe to log.
        where = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise SchemaError([Problem("$", f"not valid JSON: {where}")]) from None
    except ValueError:
        raise SchemaError([Problem("$", "not valid JSON: not UTF-8 text")]) from None
    if repeated is not None and duplicates is not None:
        duplicates.extend(repeated.problems(doc))
    return doc


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


class _NotJsonError(ValueError):
    """What Python's ``json`` reads but JSON (RFC 8259) does not have."""


def _not_json(constant: str) -> Any:
    raise _NotJsonError(f"{constant} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJsonError(f"{text} is too large for a 64-bit number")
    return value


def finite_int(text: str) -> int:
    """A JSON integer a 64-bit float can hold (what other JSON readers, the Agent's
    included, hold numbers in): larger ones are refused, as infinite floats are."""
    if len(text) < 309:  # at most 308 digits: below 1e308, within range
        return int(text)
    value = int(text) if len(text) < 1000 else math.inf  # int() refuses 4,300+ digits
    if abs(value) > sys.float_info.max:
        digits = len(text.lstrip("-"))
        raise _NotJsonError(f"a {digits}-digit integer is too large for a 64-bit number")
    return int(value)


def load_schema(schema: Mapping[str, Any] | str | os.PathLike[str] | None) -> Validator | None:
    """The caller's own JSON Schema (a mapping or a JSON file), checked and compiled.

    Raises :class:`ValueError` naming the schema and its problem (unreadable file, not
    JSON, not a valid JSON Schema), so that it is never mistaken for a problem of the
    documents it checks; :class:`TypeError` for a ``schema`` of another type.
    """
    if schema is None:
        return None
    if isinstance(schema, Mapping):
        where, loaded = "schema", dict(schema)
    elif isinstance(schema, (str, os.PathLike)):
        where = f"schema {os.fspath(schema)}"
        from pathlib import Path  # noqa: PLC0415 - pathlib: see _resources

        try:
            text = Path(schema).read_bytes()
        except OSError as exc:
            raise ValueError(f"{where} cannot be read: {exc.strerror or exc}") from None
        try:
            loaded = json.loads(text, parse_constant=_not_json)
        except RecursionError:
            raise ValueError(f"{where} is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except ValueError as exc:
            raise ValueError(f"{where} is not valid JSON: {exc}") from None
    else:
        raise TypeError(f"schema must be a mapping, a path or None, got {schema!r}")
    if not isinstance(loaded, dict):
        # The value is of the wrong JSON type, but the argument was fine: a ValueError.
        raise ValueError(f"{where} is not a JSON Schema: a schema is a JSON object")  # noqa: TRY004
    try:
        return compile_schema(loaded)
    except Exception as exc:  # noqa: BLE001 - whichever validator library compiles it
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        raise ValueError(f"{where} is not a valid JSON Schema: {message}") from None


def detect(doc: Any) -> Format:
    """The format ``doc`` has the shape of; ``json`` when it has no flag format's shape.

    See :mod:`appflags.formats._detect` for the markers of each format.
    """
    from appflags.formats._detect import flag_shape  # noqa: PLC0415 - with the formats

    return _format(flag_shape(doc) or "json")


FLAG_FORMATS = frozenset(("appconfig", "powertools", "flagd"))
"""The formats with flags (every one but ``json``)."""

_AS_JSON = 'format="json" reads the document as plain configuration'


def choose_format(
    doc: Any,
    format: str | Format,  # noqa: A002 - the public API's name for it
    current: str | None = None,
) -> tuple[Format, str | None]:
    """The format to validate ``doc`` as, and (under ``"auto"``) why it was chosen.

    Under ``"auto"`` the document's shape decides. A non-empty document with no flag shape,
    fetched while flags of format ``current`` are served, is read as ``current``: a mistake
    that removed every marker (each ``enabled`` misspelt) is then rejected, not taken for
    plain configuration. The empty object fixes no format.
    """
    if not isinstance(format, str):  # a format object: FlagdFormat(fractional="v2")
        return format, None
    if format != "auto":
        if format not in FORMAT_NAMES:
            raise ValueError(
                f"unknown format {format!r}; expected 'auto' or one of {sorted(FORMAT_NAMES)}"
            )
        return _format(format), None
    from appflags.formats._detect import flag_shape  # noqa: PLC0415 - with the formats

    shape = flag_shape(doc)
    if shape is not None:
        return _format(shape), f"read as the {shape} format (detected by its shape); {_AS_JSON}"
    if current in FLAG_FORMATS and isinstance(doc, dict) and doc:
        why = f"read as the {current} format, the format of the flags being served"
        return _format(current), f"{why}; {_AS_JSON}"
    return _format("json"), None


def compile_document(
    doc: Any,
    *,
    format: str | Format = "auto",  # noqa: A002 - the public API's name for it
    schema: Validator | None = None,
    clock: Clock = utc_now,
    incremental: bool = False,
    previous: Incremental | None = None,
    current: str | None = None,
) -> tuple[str, Compiled]:
    """Validate and compile ``doc``; returns the format's name and the compiled flags.

    ``format`` is a format's name, ``"auto"``, or a format object (``FlagdFormat(...)``).
    ``schema`` is the caller's own JSON Schema (compiled), checked before the format's
    own rules. ``current`` is the format of the flags a source serves now (see
    :func:`choose_format`). Raises :class:`SchemaError` listing every problem, with the
    format it validated ``doc`` as and, under ``"auto"``, a note saying why.

    With ``incremental``, the result keeps what the next version needs (its
    ``incremental``), and ``previous`` (the last version's) lets flags whose definitions
    did not change keep their compiled rules. Validation is always whole-document.
    """
    with _gc_pause.paused():  # no collector passes meanwhile: see appflags._gc_pause
        chosen, note = choose_format(doc, format, current)
        try:
            found = problems(schema, doc) if schema is not None else []
            found += chosen.validate(doc)
            if found:
                raise SchemaError(found, format=chosen.name, note=note)
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
    current: str | None = None,
    duplicate_keys: str = "warn",
) -> tuple[str, Compiled]:
    """Parse, validate and compile raw bytes fetched from a source (``incremental`` and
    ``previous`` as in :func:`compile_document`).

    An object that defines a key twice reads its last definition, as AWS does, and with
    ``duplicate_keys="warn"`` (the default: what a fetched version gets) each such key is
    reported in the result's ``warnings`` (under ``"$"``) by its JSON path; with
    ``"refuse"`` (local files) the document raises :class:`SchemaError` naming them; with
    ``"last"`` nothing is looked for (a Python call per object saved).

    The cyclic garbage collector is paused meanwhile (see :mod:`appflags._gc_pause`)."""
    duplicates: list[Problem] | None = [] if duplicate_keys != "last" else None
    with _gc_pause.paused():
        doc = parse(data, content_type, max_bytes=max_bytes, duplicates=duplicates)
        if duplicates and duplicate_keys == "refuse":
            raise SchemaError(duplicates)
        loaded = compile_document(
            doc,
            format=format,
            schema=schema,
            clock=clock,
            incremental=incremental,
            previous=previous,
            current=current,
        )
        # The parsed document goes before the collector's pass when nothing compiled
        # keeps it (no incremental compile): that pass then walks the flags alone.
        del doc
    if duplicates:
        name, compiled = loaded
        warned = {**compiled.warnings, "$": tuple(duplicates)}
        loaded = name, dataclasses.replace(compiled, warnings=warned)
    return loaded
