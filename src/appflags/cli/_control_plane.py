"""What ``deploy``, ``diff``, ``pull``, ``status`` and ``rollback`` share: the options that
say where (application, environment, profile, AWS account and region), the AppConfig
client, and how a failure becomes one line and an exit code."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from appflags.authoring import (
    AppConfigEnvironment,
    AuthoringError,
    NotDeployedError,
    connect,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from appflags._errors import SchemaError

EXIT_ROLLED_BACK = 3
"""The deployment ended ``ROLLED_BACK`` or ``REVERTED``."""
EXIT_CANNOT_COMPARE = 4
"""``diff --exit-code``: unknown names, AppConfig unreachable, an unreadable document."""
EXIT_WAIT_TIMEOUT = 5
"""``--wait-timeout`` passed; the deployment continues."""
EXIT_INTERRUPTED = 130
"""Ctrl-C: waiting stopped; the deployment continues."""

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a problem; 2 usage; 3 the deployment was rolled back or reverted; "
    "4 diff --exit-code could not compare; 5 --wait-timeout passed (the deployment "
    "continues); 130 Ctrl-C (the deployment continues)."
)


def add_location_options(parser: argparse.ArgumentParser, *, profile: bool | None) -> None:
    """``--application``, ``--environment``, ``--profile`` (required when ``profile`` is
    true, optional when false, absent when ``None``) and the AWS options."""
    where = parser.add_argument_group("where")
    where.add_argument("--application", "-a", required=True, metavar="NAME", help="name or ID")
    where.add_argument("--environment", "-e", required=True, metavar="NAME", help="name or ID")
    if profile is not None:
        where.add_argument(
            "--profile",
            "-p",
            required=profile,
            metavar="NAME",
            help="the configuration profile (name or ID)",
        )
    aws = parser.add_argument_group("AWS (boto3's credential chain)")
    aws.add_argument(
        "--aws-profile", metavar="NAME", help="a named AWS profile (AWS_PROFILE otherwise)"
    )
    aws.add_argument(
        "--region", metavar="REGION", help="AWS region (AWS_DEFAULT_REGION or AWS_REGION otherwise)"
    )
    aws.add_argument("--endpoint-url", metavar="URL", help="another AppConfig endpoint")


def add_poll_option(parser: argparse.ArgumentParser) -> None:
    """``--poll-interval``: how often waiting asks AppConfig (``GetDeployment``)."""
    parser.add_argument(
        "--poll-interval",
        type=seconds_option(0.05, 60),
        default=2.0,
        metavar="SECONDS",
        help="how often to ask for the deployment's state while waiting (default: %(default)s)",
    )


def open_environment(args: argparse.Namespace) -> AppConfigEnvironment:
    """The environment the options name, through a client they configure."""
    client = connect(
        aws_profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url
    )
    return AppConfigEnvironment.find(client, args.application, args.environment)


def complain(exc: AuthoringError | OSError | ValueError, args: argparse.Namespace) -> None:
    """Print a failure as one line on stderr (and, for a version created but not deployed,
    the command that deploys it)."""
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        print(f"appflags: {name + ': ' if name else ''}{exc.strerror or exc}", file=sys.stderr)
        return
    print(f"appflags: {exc}", file=sys.stderr)
    if isinstance(exc, NotDeployedError):
        print(
            f"  deploy it with: appflags deploy --version {exc.version} "
            f"--application {args.application} --environment {args.environment} "
            f"--profile {args.profile}",
            file=sys.stderr,
        )


def print_invalid(name: str, exc: SchemaError) -> None:
    """An invalid document, as ``appflags validate`` prints it."""
    count = len(exc.problems)
    kind = f"invalid {exc.format} document" if exc.format else "invalid"
    print(f"{name}: {kind} ({count} problem{'' if count == 1 else 's'})", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    if exc.note:
        print(f"  {exc.note}", file=sys.stderr)


KEY_VALUE_LIMITS = {
    # option: (most items, what a key is, its pattern, least and most value characters):
    # botocore's model for StartDeployment, checked before a version is created.
    "--tag": (50, "1-128 characters", r"[^\n]{1,128}", 0, 256),
    "--extension-param": (10, "ALIAS#NAME", r"[^#\n]{1,96}#[^/#\n]{1,64}", 1, 2048),
}


def key_values(option: str, items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a mapping, within AppConfig's limits for ``option``; raises
    :class:`argparse.ArgumentTypeError`."""
    most, key_is, key_pattern, shortest, longest = KEY_VALUE_LIMITS[option]
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{option} expects KEY=VALUE, got {item!r}")
        if not re.fullmatch(key_pattern, key):
            raise argparse.ArgumentTypeError(f"{option}: a key is {key_is}, got {key!r}")
        if not shortest <= len(value) <= longest:
            raise argparse.ArgumentTypeError(
                f"{option}: a value has {shortest}-{longest} characters, {key}'s has {len(value)}"
            )
        found[key] = value
    if len(found) > most:
        raise argparse.ArgumentTypeError(f"{option}: at most {most}, got {len(found)}")
    return found


def seconds_option(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds from ``low`` to ``high``."""

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not low <= value <= high:  # NaN fails this too
            raise argparse.ArgumentTypeError(f"{text} is not {low:g}-{high:g} seconds")
        return value

    return seconds
