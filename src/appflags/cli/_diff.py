"""``appflags diff``: what deploying a file would change, flag by flag (no writes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appflags._errors import SchemaError
from appflags.authoring import AuthoringError, Document, diff_documents
from appflags.cli._command import EXIT_INVALID, EXIT_OK
from appflags.cli._control_plane import (
    EXIT_CANNOT_COMPARE,
    EXIT_CODES_HELP,
    add_location_options,
    complain,
    open_environment,
    print_invalid,
)

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``diff``."""
    diff = commands.add_parser(
        "diff",
        help="show what deploying FILE would change, flag by flag",
        description="Compare FILE with what is deployed (the version of the profile's last "
        "COMPLETE deployment in the environment): flags added, removed and changed, and "
        "which attributes, variants or rules changed. Reads only.",
        epilog=EXIT_CODES_HELP,
    )
    diff.add_argument("file", metavar="FILE", help="JSON or YAML flag document")
    add_location_options(diff, profile=True)
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when there are differences, 4 when they cannot be compared",
    )
    diff.set_defaults(run=_diff)


def _diff(args: argparse.Namespace) -> int:
    failed = EXIT_CANNOT_COMPARE if args.exit_code else EXIT_INVALID
    try:
        document = Document.from_file(args.file)
    except SchemaError as exc:
        print_invalid(args.file, exc)
        return failed
    except OSError as exc:
        complain(exc, args)
        return failed
    try:
        env = open_environment(args)
        profile = env.profile(args.profile)
        document.upload_for(profile.type)  # a document that does not fit is a problem
        deployed = env.deployed(profile)
    except AuthoringError as exc:
        complain(exc, args)
        return failed
    before = deployed.content if deployed else None
    diff = diff_documents(before, document.content)
    where = f"{env.application.name}/{env.environment.name}/{profile.name}"
    if deployed is None:
        print(f"{where}: nothing deployed yet")
    else:
        print(
            f"{where}: deployed is version {deployed.deployment.version} "
            f"(deployment {deployed.deployment.number})"
        )
    for line in diff.lines():
        print(line)
    changed = deployed is None or bool(diff)
    print(diff.summary() if diff or not changed else "The document changed outside its flags.")
    if not changed:
        print(f"{args.file} is what is deployed.")
    return EXIT_INVALID if args.exit_code and changed else EXIT_OK
