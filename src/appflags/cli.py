"""The ``appflags`` command: validate, eval, refs, serve, demo.

Exit codes: 0 success; 1 the document is invalid (or cannot be read), or ``refs`` found
a key the code uses that the document lacks; 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from appflags._errors import SchemaError
from appflags._evaluation import ErrorCode
from appflags._flags import Change, Flags
from appflags._overrides import ENVIRONMENT_VARIABLE
from appflags._refs import (
    Reference,
    UnreadableSource,
    document_flags,
    flag_of,
    known,
    python_files,
    references_in_file,
)
from appflags._resources import read_text
from appflags.formats import FORMATS, load_schema
from appflags.rules import ABSENT, explain

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
DEMO_NAMES = ("demo", "local", "flags")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the command never prints a traceback
        print(f"appflags: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return code


def run() -> None:
    """The ``appflags`` console script: :func:`main` as a program.

    A program owns its logging: the command's output is for people and for pipes
    (``eval`` and ``refs --json`` print JSON on stdout), so log events go to stderr.
    """
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    sys.exit(main())


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0-65535; 0: any free port)")
    return port


def _poll_interval(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds <= 86400:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not 0-86400 seconds")
    return seconds


def _identifier(text: str) -> str:
    # AppConfig's ApplicationIdentifier, EnvironmentIdentifier and
    # ConfigurationProfileIdentifier: 1-128 characters.
    if not 1 <= len(text) <= 128 or text != text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r}: 1-128 characters, without leading or trailing spaces"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appflags",
        description="Fast, resilient feature flags from AWS AppConfig.",
        epilog="Exit codes: 0 ok; 1 a problem (invalid or unreadable document or schema, "
        "a key eval does not find, a port serve cannot open); 2 usage error.",
    )
    commands = parser.add_subparsers(title="commands")
    formats = ["auto", *FORMATS]

    validate = commands.add_parser(
        "validate", help="check flag documents; print every problem with its path"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="JSON or YAML flag documents")
    validate.add_argument("--format", choices=formats, default="auto")
    validate.add_argument("--schema", metavar="FILE", help="your own JSON Schema to check too")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (flags that load but cannot work as written) as errors",
    )
    validate.set_defaults(run=_validate)

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
    evaluate.add_argument("--format", choices=formats, default="auto")
    evaluate.add_argument(
        "--explain",
        action="store_true",
        help="for a multi-variant flag, show each variant's rule, its outcome and the "
        "context values it read",
    )
    evaluate.set_defaults(run=_eval)

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
    refs.add_argument("--format", choices=formats, default="auto")
    refs.add_argument("--json", action="store_true", help="print JSON with file and line")
    refs.set_defaults(run=_refs)

    serve = commands.add_parser(
        "serve", help="serve a file over the AppConfigData protocol (picks up edits)"
    )
    serve.add_argument("file", metavar="FILE")
    serve.add_argument(
        "--port", type=_port, default=2773, help="0-65535 (0: any free port); default: %(default)s"
    )
    serve.add_argument("--application", type=_identifier, default="local")
    serve.add_argument("--environment", type=_identifier, default="local")
    serve.add_argument("--profile", type=_identifier, default="flags")
    serve.add_argument(
        "--poll-interval",
        type=_poll_interval,
        default=15,
        help="seconds each session must wait between polls, 0-86400 "
        "(default: %(default)s, AWS's minimum)",
    )
    serve.add_argument(
        "--profile-type",
        choices=["auto", "AWS.AppConfig.FeatureFlags", "AWS.Freeform"],
        default="auto",
        help="auto: a stored feature-flag document makes a feature-flag profile",
    )
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo", help="watch flags change live through a local AppConfigData server"
    )
    demo.set_defaults(run=_demo)
    return parser


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return text


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # NaN, Infinity: read as text


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
            flags = Flags.from_file(name, format=args.format, schema=args.schema)
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
            snapshot = flags._document
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


def _eval(args: argparse.Namespace) -> int:
    context: dict[str, Any] = {}
    for item in args.context:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"--context expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return EXIT_USAGE
        context[name] = _json_or_text(value)
    try:
        flags = Flags.from_file(args.file, format=args.format)
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    default = None if args.default is None else _json_or_text(args.default)
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
    if args.explain:
        output["explain"] = _explanation(flags, args.key, context)
    print(json.dumps(output, indent=2, default=str))
    # A key the document does not have is a problem (a typo in a script, a flag removed):
    # exit 1, after printing the evaluation (FLAG_NOT_FOUND, the default as its value).
    return EXIT_INVALID if result.error_code is ErrorCode.FLAG_NOT_FOUND else EXIT_OK


def _refs(args: argparse.Namespace) -> int:
    try:
        snapshot = Flags.from_file(args.document, format=args.format)._document
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
            "missing": as_json(missing),
            "unused": unused,
        }
        print(json.dumps(report, indent=2))
    else:
        keys = sorted({ref.key for ref in found})
        print(f"{len(found)} lookups of {len(keys)} keys; {args.document}: {len(flags)} flags")
        for ref in missing:
            print(f"{ref.file}:{ref.line}: {ref.key!r} is not in {args.document}")
        for flag in unused:
            print(f"{args.document}: flag {flag!r} is not used by the code scanned")
    return EXIT_INVALID if missing else EXIT_OK


def _explanation(flags: Flags, key: str, context: dict[str, Any]) -> Any:
    explanation = explain(flags, key, context)
    if explanation is None:
        snapshot = flags._snapshot
        if key in snapshot.rules:
            return (
                f"no explanation yet for the rules of the {snapshot.format} format: "
                "the evaluation above shows the variant and reason they chose"
            )
        if key not in snapshot.static:
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


def _serve(args: argparse.Namespace) -> int:
    from appflags.testing import LocalAppConfig  # noqa: PLC0415 - only this command needs it

    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return EXIT_INVALID
    server = LocalAppConfig(port=args.port, poll_interval=args.poll_interval)
    profile_type = None if args.profile_type == "auto" else args.profile_type
    server.watch_file(
        args.application, args.environment, args.profile, path, profile_type=profile_type
    )
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    with server:
        print(f"Serving {path} over the AppConfigData protocol at {server.endpoint_url}")
        print(
            f"  Flags.from_appconfig({args.application!r}, {args.environment!r}, "
            f"{args.profile!r}, endpoint_url={server.endpoint_url!r}, region_name='us-east-1')"
        )
        print("Edits to the file are served as new versions. Ctrl-C stops.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")
    return EXIT_OK


def _demo(_args: argparse.Namespace) -> int:
    from appflags.testing import LocalAppConfig  # noqa: PLC0415

    workdir = Path(tempfile.mkdtemp(prefix="appflags-demo-"))
    flags_file = workdir / "flags.json"
    flags_file.write_text(read_text("_data/flags.json", "examples/flags.json"), encoding="utf-8")
    context = {"user_id": "u-42", "tier": "gold"}
    # AWS polls every 60 s by default, 15 s at the least; the demo asks the local server for
    # 1 s explicitly to keep the tour short.
    with LocalAppConfig(poll_interval=1) as server:
        server.watch_file(*DEMO_NAMES, flags_file)
        print(f"1. Local AppConfigData server at {server.endpoint_url}, serving {flags_file}")
        arrived = threading.Event()
        with Flags.from_appconfig(*DEMO_NAMES, client=server.client(), wait=5) as flags:
            print(
                f"2. Flags.from_appconfig{DEMO_NAMES}: state={flags.state.value}, "
                f"version={flags.version}"
            )
            _show(flags, context)

            def changed(change: Change) -> None:
                if change.changed_keys:
                    print(
                        f"   on_change: version {change.version}, "
                        f"changed keys {sorted(change.changed_keys)}"
                    )
                    arrived.set()

            flags.on_change(changed)
            doc = json.loads(flags_file.read_text(encoding="utf-8"))
            doc["dark-mode"] = {"enabled": True, "theme": "midnight"}
            doc["new-checkout"]["button_color"] = "purple"
            flags_file.write_text(json.dumps(doc, indent=2), encoding="utf-8")
            print(
                "3. Edited the file (dark-mode on, button_color purple); waiting for the next poll"
            )
            started = time.monotonic()
            if not arrived.wait(30):
                print("   the change did not arrive within 30 s")
                return EXIT_INVALID
            print(
                f"4. Arrived after {time.monotonic() - started:.1f} s, without restarting anything:"
            )
            _show(flags, context)
            calls = server.calls("GetLatestConfiguration")
            print(f"5. GetLatestConfiguration calls so far: {calls}; lookups made none.")
    shutil.rmtree(workdir, ignore_errors=True)
    print("Done. Next: `appflags serve FILE` to point your own app at a local file.")
    return EXIT_OK


def _show(flags: Flags, context: dict[str, Any]) -> None:
    checkout = flags.is_enabled("new-checkout", context)
    color = flags.get_str("new-checkout.button_color", "blue", context)
    dark = flags.evaluate("dark-mode", False, context)
    print(f"   is_enabled('new-checkout') = {checkout}")
    print(f"   get_str('new-checkout.button_color', 'blue') = {color!r}")
    print(f"   evaluate('dark-mode', False) = {dark.value} (reason {dark.reason.value})")
    print(f"   enabled_features() = {flags.enabled_features(context)}")


if __name__ == "__main__":
    run()
