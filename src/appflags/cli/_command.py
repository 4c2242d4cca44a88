"""What every ``appflags`` command shares: exit codes, the parser it joins, argument types.

A command group is a module with a ``register(commands)`` function that adds its
subcommands to ``commands`` (the top parser's subparsers), each with ``set_defaults(run=...)``:
a function from the parsed arguments to an exit code. Output for people and pipes goes to
stdout, complaints to stderr; an exception a command lets through is printed as one line
(``appflags: error: ...``) with exit code 1.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from appflags._snapshot import Snapshot
from appflags._updates import as_schema_error
from appflags.formats import FORMATS, load, load_schema
from appflags.sources import FileSource

if TYPE_CHECKING:
    from typing import TypeAlias

    # What add_subparsers() returns: argparse has no public name for it.
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK = 0
EXIT_INVALID = 1  # a problem: an invalid or unreadable document, a missing key, ...
EXIT_USAGE = 2


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """``--format``: which document format to read (``auto`` detects it)."""
    parser.add_argument("--format", choices=["auto", *FORMATS], default="auto")


def read_document(path: str, *, format: str, schema: str | None = None) -> Snapshot:  # noqa: A002
    """The flag document at ``path``, read and checked as ``Flags.from_file`` reads it.

    Raises as ``from_file`` does: ``OSError`` when it cannot be read, ``ValueError`` for an
    unusable ``schema``, :class:`SchemaError` naming the file for an invalid document.
    """
    fetched = FileSource(path).read()
    validator = load_schema(schema)
    try:
        name, compiled = load(
            fetched.content or b"",
            fetched.content_type,
            format=format,
            schema=validator,
            duplicate_keys="refuse",  # a local file: its author can fix a key defined twice
        )
    except Exception as exc:  # noqa: BLE001 - whatever fails, the caller gets a SchemaError
        raise as_schema_error(exc).with_source(path) from None
    return Snapshot.of(compiled, format=name)


def port(text: str) -> int:
    """A TCP port, 0-65535 (0: any free port)."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a TCP port (0-65535; 0: any free port)")
    return number


def poll_interval(text: str) -> float:
    """Seconds between polls, 0-86400."""
    seconds = float(text)
    if not 0 <= seconds <= 86400:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not 0-86400 seconds")
    return seconds


def identifier(text: str) -> str:
    """An application, environment or configuration profile identifier."""
    # AppConfig's ApplicationIdentifier, EnvironmentIdentifier and
    # ConfigurationProfileIdentifier: 1-128 characters.
    if not 1 <= len(text) <= 128 or text != text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r}: 1-128 characters, without leading or trailing spaces"
        )
    return text


def json_or_text(text: str) -> Any:
    """``text`` read as JSON when it is JSON (NaN and Infinity are not), else the text."""
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return text


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # NaN, Infinity: read as text
