"""``appflags serve``: flag files over the AppConfigData protocol, edits and all, and
with ``--ui`` a console to see, edit and evaluate them in the browser."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from appflags._errors import SchemaError
from appflags.cli._command import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    identifier,
    poll_interval,
    port,
)

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands
    from appflags.testing._console import Console

CHECK_EVERY = 0.2
"""Seconds between two looks at the files for changes made in an editor."""


def register(commands: Commands) -> None:
    """Add ``serve``."""
    serve = commands.add_parser(
        "serve",
        help="serve files over the AppConfigData protocol (picks up edits); --ui: a console",
    )
    serve.add_argument(
        "files", nargs="+", metavar="FILE", help="one profile per file, named after its stem"
    )
    serve.add_argument(
        "--port", type=port, default=2773, help="0-65535 (0: any free port); default: %(default)s"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: %(default)s, this machine only)",
    )
    serve.add_argument("--application", type=identifier, default="local")
    serve.add_argument("--environment", type=identifier, default="local")
    serve.add_argument(
        "--profile", type=identifier, default=None, help="the profile's name (one FILE only)"
    )
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
    serve.add_argument(
        "--ui",
        action="store_true",
        help="also serve a console at http://HOST:PORT/ui/ to see, edit and evaluate flags",
    )
    serve.set_defaults(run=_serve)


def _profiles(args: argparse.Namespace) -> dict[str, Path] | str:
    """Each profile's file, or what is wrong with the files given."""
    paths = [Path(name) for name in args.files]
    if args.profile is not None:
        if len(paths) > 1:
            return "--profile names the profile of one FILE; with several, each is its stem"
        return {args.profile: paths[0]}
    found: dict[str, Path] = {}
    for path in paths:
        name = path.stem
        if name in found:
            return f"{found[name]} and {path} would both be profile {name!r}: rename one"
        try:
            identifier(name)
        except Exception:  # noqa: BLE001 - argparse's own error type, with its message
            return f"{path}: its stem {name!r} is not a profile name (1-128 characters)"
        found[name] = path
    return found


def _serve(args: argparse.Namespace) -> int:
    from appflags.testing import LocalAppConfig  # noqa: PLC0415 - only this command needs it
    from appflags.testing._console._requests import is_loopback  # noqa: PLC0415

    profiles = _profiles(args)
    if isinstance(profiles, str):
        print(profiles, file=sys.stderr)
        return EXIT_USAGE
    try:
        server = LocalAppConfig(host=args.host, port=args.port, poll_interval=args.poll_interval)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    problem = _load(args, server.console, profiles)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    with server:
        _announce(args, server.endpoint_url, profiles)
        if args.ui:
            server.console.enable()
            print(f"Console: {server.console.url}", flush=True)
        if not is_loopback(args.host):
            print(
                f"warning: listening on {args.host}, not only on this machine: anyone who can "
                "reach it can read the flags (and, with --ui, open the console)",
                file=sys.stderr,
            )
        print("Edits to the files are served as new versions. Ctrl-C stops.", flush=True)
        stop = threading.Event()
        try:
            while not stop.wait(CHECK_EVERY):
                server.console.check_files()
        except KeyboardInterrupt:
            print("stopped")
    return EXIT_OK


def _load(args: argparse.Namespace, console: Console, profiles: dict[str, Path]) -> str | None:
    """Validate and serve each file; what is wrong with the first that cannot be."""
    console.report = _report
    profile_type = None if args.profile_type == "auto" else args.profile_type
    for profile, path in profiles.items():
        if not path.is_file():
            return f"{path}: no such file"
        try:
            console.add_file(
                args.application, args.environment, profile, path, profile_type=profile_type
            )
        except SchemaError as exc:
            return f"{path}: not served, it is invalid\n{exc}"
        except (OSError, ValueError) as exc:
            return f"{path}: not served: {getattr(exc, 'strerror', None) or exc}"
    return None


def _announce(args: argparse.Namespace, endpoint: str, profiles: dict[str, Path]) -> None:
    names = ", ".join(f"{path} as {profile!r}" for profile, path in profiles.items())
    print(f"Serving {names} over the AppConfigData protocol at {endpoint}", flush=True)
    for profile in profiles:
        print(
            f"  Flags.from_appconfig({args.application!r}, {args.environment!r}, "
            f"{profile!r}, endpoint_url={endpoint!r}, region_name='us-east-1')",
            flush=True,
        )


def _report(message: str, problem: bool) -> None:  # noqa: FBT001 - Console.report's signature
    print(message, file=sys.stderr if problem else sys.stdout, flush=True)
