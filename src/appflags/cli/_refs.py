"""``appflags refs``: the flag keys Python code looks up, against a flag document."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from appflags._errors import SchemaError
from appflags._refs import (
    Reference,
    UnreadableSource,
    document_flags,
    flag_of,
    known,
    python_files,
    references_in_file,
)
from appflags._usage import suggest
from appflags.cli._command import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    add_format_option,
    read_document,
)

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``refs``."""
    refs = commands.add_parser(
        "refs",
        help="find the flag keys Python code looks up; report missing and unused flags",
        description="Scan Python sources for lookups with literal keys (is_enabled, get_*, "
        "evaluate, Powertools' evaluate(name=...), OpenFeature's get_*_value/_details) and "
        "compare them with a flag document. Exit 1 when the code uses a key the document "
        "lacks.",
    )
    refs.add_argument("paths", nargs="+", metavar="PATH", help="Python files or directories")
    refs.add_argument(
        "--document", "-d", required=True, metavar="FILE", help="the flag document to check"
    )
    add_format_option(refs)
    refs.add_argument("--json", action="store_true", help="print JSON with file and line")
    refs.set_defaults(run=_refs)


def _refs(args: argparse.Namespace) -> int:
    try:
        snapshot = read_document(args.document, format=args.format)
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"{args.document}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
    absent = [path for path in args.paths if not os.path.lexists(path)]
    if absent:
        # A mistyped path would otherwise scan nothing and pass a CI gate forever.
        for path in absent:
            print(f"{path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    found: list[Reference] = []
    for path in python_files(args.paths):
        try:
            found.extend(references_in_file(path))
        except UnreadableSource as exc:
            print(f"{path}: skipped ({exc})", file=sys.stderr)
    flags = document_flags(snapshot)
    missing = [ref for ref in found if not known(snapshot, ref.key)]
    keys = [*snapshot.static, *snapshot.rules]
    hints = {ref.key: suggest(ref.key, keys) for ref in missing}
    used = {flag_of(ref.key, flags) for ref in found}
    unused = [flag for flag in flags if flag not in used]
    if args.json:

        def as_json(refs: list[Reference]) -> list[dict[str, Any]]:
            return [
                {"key": r.key, "file": r.file, "line": r.line, "method": r.method} for r in refs
            ]

        report = {
            "document": args.document,
            "references": as_json(found),
            "missing": [
                {**entry, "did_you_mean": hints[entry["key"]]} for entry in as_json(missing)
            ],
            "unused": unused,
        }
        print(json.dumps(report, indent=2))
    else:
        keys = sorted({ref.key for ref in found})
        print(f"{len(found)} lookups of {len(keys)} keys; {args.document}: {len(flags)} flags")
        for ref in missing:
            hint = hints[ref.key]
            also = f" (did you mean {hint!r}?)" if hint else ""
            print(f"{ref.file}:{ref.line}: {ref.key!r} is not in {args.document}{also}")
        for flag in unused:
            print(f"{args.document}: flag {flag!r} is not used by the code scanned")
    return EXIT_INVALID if missing else EXIT_OK
