"""``appflags rollback``: stop a running deployment, or revert a completed one."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from appflags.authoring import AuthoringError, WaitTimeoutError
from appflags.cli._command import EXIT_INVALID, EXIT_OK
from appflags.cli._control_plane import (
    EXIT_INTERRUPTED,
    EXIT_WAIT_TIMEOUT,
    add_location_options,
    add_poll_option,
    complain,
    open_environment,
    seconds_option,
)

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``rollback``."""
    rollback = commands.add_parser(
        "rollback",
        help="stop the running deployment (ROLLED_BACK); --revert also reverts a COMPLETE one",
        description="Stop a deployment with StopDeployment: a DEPLOYING or BAKING one ends "
        "ROLLED_BACK and every target goes back to the previous version at its next poll. "
        "With --revert, a COMPLETE deployment is reverted to the previous version "
        "(REVERTED; AppConfig allows it up to 72 hours after it completed).",
    )
    add_location_options(rollback, profile=None)
    rollback.add_argument(
        "--deployment",
        type=int,
        metavar="N",
        help="the deployment to stop (default: the one running; with --revert, the newest)",
    )
    rollback.add_argument(
        "--revert", action="store_true", help="also revert a COMPLETE deployment (AllowRevert)"
    )
    rollback.add_argument(
        "--wait-timeout",
        type=seconds_option(0, 86400),
        default=600,
        metavar="SECONDS",
        help="how long to wait for the rollback to finish (default: %(default)s)",
    )
    add_poll_option(rollback)
    rollback.set_defaults(run=_rollback)


def _rollback(args: argparse.Namespace) -> int:
    try:
        env = open_environment(args)
        stopped = env.stop(args.deployment, revert=args.revert)
        print(f"Stopping deployment {stopped.describe()}.")
        final = env.wait(
            stopped.number, until="ended", timeout=args.wait_timeout, interval=args.poll_interval
        )
    except WaitTimeoutError as exc:
        complain(exc, args)
        return EXIT_WAIT_TIMEOUT
    except KeyboardInterrupt:
        print("Stopped waiting; the rollback continues.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AuthoringError as exc:
        complain(exc, args)
        return EXIT_INVALID
    print(
        f"Deployment {final.number} is {final.state}: targets get the previous version "
        "at their next poll."
    )
    return EXIT_OK
