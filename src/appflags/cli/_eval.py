"""``appflags eval``: evaluate one key of a document and print JSON."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from appflags._errors import SchemaError
from appflags._evaluation import ErrorCode
from appflags._flags import Flags
from appflags._overrides import ENVIRONMENT_VARIABLE
from appflags.cli._command import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    add_format_option,
    json_or_text,
    read_document,
)
from appflags.rules import ABSENT

if TYPE_CHECKING:
    import argparse

    from appflags._snapshot import Snapshot
    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``eval``."""
    evaluate = commands.add_parser("eval", help="evaluate one key of a document and print JSON")
    evaluate.add_argument("file", metavar="FILE")
    evaluate.add_argument("key", metavar="KEY", help="flag key, or flag.attribute")
    evaluate.add_argument(
        "--context",
        "-c",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a context attribute (repeatable); VALUE is JSON when it parses, else a string",
    )
    evaluate.add_argument(
        "--default", default=None, help="the caller's default (JSON, else a string)"
    )
    add_format_option(evaluate)
    evaluate.add_argument(
        "--explain",
        action="store_true",
        help="for a multi-variant flag, show each variant's rule, its outcome and the "
        "context values it read",
    )
    evaluate.set_defaults(run=_eval)


def _eval(args: argparse.Namespace) -> int:
    context: dict[str, Any] = {}
    for item in args.context:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"--context expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return EXIT_USAGE
        context[name] = json_or_text(value)
    try:
        document = read_document(args.file, format=args.format)
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    flags = Flags(snapshot=document)  # with APPFLAGS_OVERRIDES laid over it, as from_file
    default = None if args.default is None else json_or_text(args.default)
    result = flags.evaluate(args.key, default, context)
    output: dict[str, Any] = {
        "key": args.key,
        "value": result.value,
        "variant": result.variant,
        "reason": result.reason.value,
        "error_code": result.error_code.value if result.error_code else None,
        "error_message": result.error_message,
    }
    if args.key in flags.overrides:
        output["override"] = True
        print(
            f"{args.key}: answered by an override ({ENVIRONMENT_VARIABLE}), not by {args.file}",
            file=sys.stderr,
        )
    if result.error_code is ErrorCode.FLAG_NOT_FOUND:
        hint = next((m.did_you_mean for m in flags.usage().missing if m.key == args.key), None)
        if hint:
            print(f"{args.key!r} is not in {args.file}: did you mean {hint!r}?", file=sys.stderr)
    if args.explain:
        output["explain"] = _explanation(flags, document, args.key, context)
    print(json.dumps(output, indent=2, default=str))
    # A key the document does not have is a problem (a typo in a script, a flag removed):
    # exit 1, after printing the evaluation (FLAG_NOT_FOUND, the default as its value).
    return EXIT_INVALID if result.error_code is ErrorCode.FLAG_NOT_FOUND else EXIT_OK


def _explanation(flags: Flags, document: Snapshot, key: str, context: dict[str, Any]) -> Any:
    explanation = flags.explain(key, context)
    if explanation is None:
        if key in flags.overrides:
            return "no rules: the value is the same for every context"
        if key in document.rules:
            return (
                f"no explanation yet for the rules of the {document.format} format: "
                "the evaluation above shows the variant and reason they chose"
            )
        if key not in document.static:
            return "no such key in the document"
        return "no rules: the value is the same for every context"
    return [
        {
            "variant": trace.variant,
            "rule": trace.rule,
            "result": {True: "match", False: "no match", None: "unknown"}[trace.result],
            "read": {
                name: "<absent>" if value is ABSENT else value
                for name, value in trace.reads.items()
            },
        }
        for trace in explanation.tried
    ]
