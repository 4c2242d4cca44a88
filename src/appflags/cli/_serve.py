"""``appflags serve``: a flag file over the AppConfigData protocol, edits and all."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from appflags._errors import Problem, SchemaError
from appflags.cli._command import EXIT_INVALID, EXIT_OK, identifier, poll_interval, port

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``serve``."""
    serve = commands.add_parser(
        "serve", help="serve a file over the AppConfigData protocol (picks up edits)"
    )
    serve.add_argument("file", metavar="FILE")
    serve.add_argument(
        "--port", type=port, default=2773, help="0-65535 (0: any free port); default: %(default)s"
    )
    serve.add_argument("--application", type=identifier, default="local")
    serve.add_argument("--environment", type=identifier, default="local")
    serve.add_argument("--profile", type=identifier, default="flags")
    serve.add_argument(
        "--poll-interval",
        type=poll_interval,
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


def _serve(args: argparse.Namespace) -> int:
    from appflags.testing import LocalAppConfig  # noqa: PLC0415 - only this command needs it

    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return EXIT_INVALID
    repeated = _repeated_keys(path)
    if repeated:
        # AWS would read the last definition of each: a mistake to fix, not to serve.
        print(f"{path}: invalid ({len(repeated)} problems)", file=sys.stderr)
        for problem in repeated:
            print(f"  {problem}", file=sys.stderr)
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


def _repeated_keys(path: Path) -> list[Problem]:
    """The keys the file defines twice (none when it does not parse: served as it is)."""
    from appflags.formats import parse  # noqa: PLC0415 - only this command needs it
    from appflags.sources.file import content_type_of  # noqa: PLC0415

    found: list[Problem] = []
    try:
        parse(path.read_bytes(), content_type_of(path), duplicates=found)
    except (OSError, SchemaError):
        return []
    return found
