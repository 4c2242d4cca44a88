"""``appflags status``: deployments running in an environment, and the last completed ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appflags.authoring import AuthoringError
from appflags.cli._command import EXIT_INVALID, EXIT_OK
from appflags.cli._control_plane import add_location_options, complain, open_environment

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from datetime import datetime

    from appflags.authoring import Deployment
    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``status``."""
    status = commands.add_parser(
        "status",
        help="deployments in progress, and the last completed one per profile",
    )
    add_location_options(status, profile=False)
    status.set_defaults(run=_status)


def _status(args: argparse.Namespace) -> int:
    try:
        env = open_environment(args)
        profile = env.profile(args.profile) if args.profile else None
        found = env.status(profile)
    except AuthoringError as exc:
        complain(exc, args)
        return EXIT_INVALID
    where = f"{env.application.name}/{env.environment.name}"
    if found.running:
        print(f"In progress in {where}:")
        for deployment in found.running:
            print(_line(deployment, found.strategies))
    else:
        print(f"No deployment in progress in {where}.")
    if found.completed:
        print("Last completed:")
        for deployment in found.completed:
            print(_line(deployment, found.strategies))
    else:
        print("No completed deployment" + (f" of profile {profile.name}." if profile else "."))
    return EXIT_OK


def _line(deployment: Deployment, strategies: Mapping[str, str]) -> str:
    label = f' "{deployment.version_label}"' if deployment.version_label else ""
    strategy = strategies.get(deployment.strategy_id or "", deployment.strategy_id or "?")
    parts = [
        f"  deployment {deployment.number}",
        f"profile {deployment.profile_name or deployment.profile_id}",
        f"version {deployment.version}{label}",
        f"strategy {strategy}",
        f"{deployment.state} {deployment.percentage:g}%",
        f"started {_when(deployment.started_at)}",
    ]
    if deployment.completed_at is not None:
        parts.append(f"completed {_when(deployment.completed_at)}")
    return "  ".join(parts)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else "?"
