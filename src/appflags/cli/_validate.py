"""``appflags validate``: check flag documents, every problem with its path."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from appflags._errors import SchemaError
from appflags.cli._command import EXIT_INVALID, EXIT_OK, add_format_option, read_document
from appflags.formats import load_schema

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``validate``."""
    validate = commands.add_parser(
        "validate", help="check flag documents; print every problem with its path"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="JSON or YAML flag documents")
    add_format_option(validate)
    validate.add_argument("--schema", metavar="FILE", help="your own JSON Schema to check too")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (flags that load but cannot work as written) as errors",
    )
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    if args.schema is not None:
        # The schema's own problems, once, as the schema's: not as every document's.
        try:
            load_schema(args.schema)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return EXIT_INVALID
    code = EXIT_OK
    for name in args.files:
        try:
            snapshot = read_document(name, format=args.format, schema=args.schema)
        except SchemaError as exc:
            code = EXIT_INVALID
            _print_invalid(name, exc)
        except OSError as exc:
            code = EXIT_INVALID
            print(f"{name}: {exc.strerror or exc}")
        except ValueError as exc:
            code = EXIT_INVALID
            print(f"{name}: {exc}")
        else:
            if snapshot.format == "json":
                count, noun = len(snapshot.static), "key"
            elif snapshot.format == "flagd":
                # features holds flagd's boolean flags alone; each flag, whatever its
                # type, is either a static answer or a rule, under its own key.
                count, noun = len(snapshot.static.keys() | snapshot.rules.keys()), "flag"
            else:
                count, noun = len(snapshot.features), "flag"
            warnings = snapshot.warnings
            if warnings and args.strict:
                code = EXIT_INVALID
            verdict = "invalid" if warnings and args.strict else "ok"
            noted = (
                f", {len(warnings)} warning{'' if len(warnings) == 1 else 's'}" if warnings else ""
            )
            print(
                f"{name}: {verdict} ({snapshot.format} format, "
                f"{count} {noun}{'' if count == 1 else 's'}{noted})"
            )
            for warning in warnings:
                print(f"  warning: {warning}")
    return code


def _print_invalid(name: str, exc: SchemaError) -> None:
    count = len(exc.problems)
    kind = f"invalid {exc.format} document" if exc.format else "invalid"
    print(f"{name}: {kind} ({count} problem{'' if count == 1 else 's'})")
    for problem in exc.problems:
        print(f"  {problem}")
    if exc.note:
        print(f"  {exc.note} (--format json)")
