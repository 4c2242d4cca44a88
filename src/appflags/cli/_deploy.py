"""``appflags deploy``: validate, diff, create a hosted version, deploy it, wait."""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

from appflags._errors import SchemaError
from appflags.authoring import (
    DEFAULT_STRATEGY,
    AuthoringError,
    Deployment,
    DeploymentRunningError,
    Document,
    NotDeployedError,
    WaitTimeoutError,
    check_description,
    check_label,
)
from appflags.cli._command import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from appflags.cli._control_plane import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_ROLLED_BACK,
    EXIT_WAIT_TIMEOUT,
    add_location_options,
    add_poll_option,
    complain,
    key_values,
    open_environment,
    print_invalid,
    seconds_option,
)

if TYPE_CHECKING:
    from appflags.authoring import AppConfigEnvironment, Plan, Profile, Strategy
    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``deploy``."""
    deploy = commands.add_parser(
        "deploy",
        help="deploy a flag document to AppConfig: diff, new version, deployment, wait",
        description="Validate FILE as Flags loads it, show what changes against what is "
        "deployed, create a hosted configuration version and deploy it; then wait until "
        "every target has it. Nothing changed: nothing is created (exit 0).",
        epilog=EXIT_CODES_HELP,
    )
    deploy.add_argument("file", nargs="?", metavar="FILE", help="JSON or YAML flag document")
    deploy.add_argument(
        "--version",
        type=int,
        metavar="N",
        help="deploy the existing hosted configuration version N instead of a FILE",
    )
    add_location_options(deploy, profile=True)
    deploy.add_argument(
        "--strategy",
        default=DEFAULT_STRATEGY,
        metavar="NAME|ID",
        help="deployment strategy (default: %(default)s; e.g. "
        "AppConfig.Canary10Percent20Minutes, or your own by name or ID)",
    )
    deploy.add_argument("--description", type=_description, metavar="TEXT", help="ASCII")
    deploy.add_argument(
        "--label", type=_label, metavar="VERSION_LABEL", help="the version's label (not all digits)"
    )
    waiting = deploy.add_mutually_exclusive_group()
    waiting.add_argument("--no-wait", action="store_true", help="start the deployment and exit")
    waiting.add_argument(
        "--wait-bake",
        action="store_true",
        help="wait through the bake time until COMPLETE (default: until 100%% of targets)",
    )
    deploy.add_argument(
        "--wait-timeout",
        type=seconds_option(0, 86400),
        metavar="SECONDS",
        help="stop waiting after this long (exit 5; the deployment continues)",
    )
    deploy.add_argument(
        "--wait-for-running",
        action="store_true",
        help="when another deployment is running in the environment, wait for it to end first",
    )
    add_poll_option(deploy)
    deploy.add_argument(
        "--force",
        action="store_true",
        help="deploy even what the latest deployment rolled back or reverted",
    )
    deploy.add_argument(
        "--dry-run", action="store_true", help="validate and diff; create and deploy nothing"
    )
    deploy.add_argument("--kms-key", metavar="ID", help="KMS key (ID, alias or ARN)")
    deploy.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="deployment tag"
    )
    deploy.add_argument(
        "--extension-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a dynamic extension parameter for PRE_START_DEPLOYMENT extensions",
    )
    deploy.set_defaults(run=_deploy)


def _description(text: str) -> str:
    try:
        return check_description(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _label(text: str) -> str:
    try:
        return check_label(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _deploy(args: argparse.Namespace) -> int:  # noqa: PLR0911, PLR0912 - the steps in order, each with its exit
    if (args.file is None) == (args.version is None):
        print("appflags deploy: give a FILE or --version N (one of them)", file=sys.stderr)
        return EXIT_USAGE
    if args.version is not None and args.label is not None:
        print(
            "appflags deploy: --label names a new version; --version deploys an existing one",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        tags = key_values("--tag", args.tag)
        parameters = key_values("--extension-param", args.extension_param)
    except argparse.ArgumentTypeError as exc:
        print(f"appflags deploy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    document = None
    if args.file is not None:
        document = _read(args)
        if document is None:
            return EXIT_INVALID
    try:
        env = open_environment(args)
        profile = env.profile(args.profile)
        if document is None:
            try:
                document = env.version_document(profile, args.version)
            except SchemaError as exc:
                print_invalid(f"version {args.version}", exc)
                return EXIT_INVALID
        strategy = env.strategy(args.strategy)  # a typo fails every run, not only changes
        plan = _plan(env, profile, document, args)
        if plan is None:
            return EXIT_OK
        if args.dry_run:
            _print_dry_run(plan, strategy, args)
            return EXIT_OK
        started = env.apply(
            plan,
            strategy=strategy.id,
            version=args.version,
            description=args.description,
            label=args.label,
            kms_key=args.kms_key,
            tags=tags,
            extension_parameters=parameters,
        )
        if started.joined:
            print(f"Deployment {started.deployment.describe()} is already deploying this.")
        else:
            if started.created:
                print(f"Created hosted configuration version {started.version}.")
            print(
                f"Started deployment {started.deployment.number} of version {started.version} "
                f"with {strategy.describe()}."
            )
        if args.no_wait:
            print(_follow(args, started.deployment.number))
            return EXIT_OK
        return _wait(env, started.deployment.number, args)
    except NotDeployedError as exc:
        complain(exc, args)
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        return EXIT_INVALID
    except DeploymentRunningError as exc:
        complain(exc, args)
        print("  wait for it (--wait-for-running) or stop it (appflags rollback)", file=sys.stderr)
        return EXIT_INVALID
    except WaitTimeoutError as exc:  # waiting for the running deployment (--wait-for-running)
        complain(exc, args)
        return EXIT_WAIT_TIMEOUT
    except (AuthoringError, OSError) as exc:
        complain(exc, args)
        return EXIT_INVALID


def _read(args: argparse.Namespace) -> Document | None:
    """FILE checked as Flags loads it; ``None`` (problems printed) when it is not valid."""
    try:
        document = Document.from_file(args.file)
    except SchemaError as exc:
        print_invalid(args.file, exc)
        return None
    except OSError as exc:
        complain(exc, args)
        return None
    for warning in document.warnings:
        print(f"  warning: {warning}", file=sys.stderr)
    return document


def _print_dry_run(plan: Plan, strategy: Strategy, args: argparse.Namespace) -> None:
    if args.version is not None:
        what = f"deploy hosted version {args.version}"
    else:
        size = f"{len(plan.upload)} bytes, {plan.content_type}"
        what = f"create a hosted version ({size}) and deploy it"
    print(f"Dry run: would {what} with {strategy.describe()}; nothing was created.")
    if plan.running is not None and not plan.in_flight:
        print(f"Note: deployment {plan.running.describe()} is running now.")


def _plan(
    env: AppConfigEnvironment, profile: Profile, document: Document, args: argparse.Namespace
) -> Plan | None:
    """The plan, printed; ``None`` when nothing changed (said so)."""
    plan = env.plan(profile, document, force=args.force)
    if (
        plan.running is not None
        and not plan.in_flight
        and args.wait_for_running
        and not args.dry_run
    ):
        print(f"Waiting for deployment {plan.running.describe()} to end...")
        try:
            env.wait(
                plan.running.number,
                until="ended",
                timeout=args.wait_timeout,
                interval=args.poll_interval,
            )
        except KeyboardInterrupt:
            print(
                f"Stopped waiting for deployment {plan.running.number}; nothing was created.",
                file=sys.stderr,
            )
            raise
        plan = env.plan(profile, document, force=args.force)
    target = f"{env.application.name}/{env.environment.name}/{profile.name} ({profile.type})"
    if plan.deployed is None:
        print(f"{document.source} -> {target}: nothing deployed yet")
    else:
        deployed = plan.deployed.deployment
        print(
            f"{document.source} -> {target}: deployed is version {deployed.version} "
            f"(deployment {deployed.number})"
        )
    for line in plan.diff.lines():
        print(line)
    if not plan.changed:
        print("No changes: nothing to deploy.")
        return None
    print(plan.diff.summary() if plan.diff else "The document changed outside its flags.")
    return plan


def _wait(env: AppConfigEnvironment, number: int, args: argparse.Namespace) -> int:
    progress = Progress(sys.stdout)
    try:
        final = env.wait(
            number,
            until="complete" if args.wait_bake else "reached",
            timeout=args.wait_timeout,
            interval=args.poll_interval,
            on_update=progress,
        )
    except WaitTimeoutError as exc:
        progress.close()
        complain(exc, args)
        print(f"  {_follow(args, number)}", file=sys.stderr)
        return EXIT_WAIT_TIMEOUT
    except KeyboardInterrupt:
        progress.close()
        print(
            f"Stopped waiting; deployment {number} continues. To stop it: appflags rollback "
            f"--application {args.application} --environment {args.environment} "
            f"--deployment {number}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    progress.close()
    if final.undone:
        reason = final.reason()
        print(
            f"Deployment {number} ended {final.state}"
            + (f": {reason}" if reason else "")
            + ". Targets keep the version they had before.",
            file=sys.stderr,
        )
        return EXIT_ROLLED_BACK
    if final.state == "COMPLETE":
        print(f"Deployment {number} is COMPLETE.")
    else:
        print(
            f"Deployment {number} reached 100% of targets; it is {final.state} "
            f"({final.bake_minutes or 0} min bake: a rollback is still possible until COMPLETE)."
        )
    return EXIT_OK


def _follow(args: argparse.Namespace, number: int) -> str:
    return (
        f"Follow deployment {number} with: appflags status --application {args.application} "
        f"--environment {args.environment}"
    )


class Progress:
    """Shows each poll of a deployment: one rewritten line on a terminal, otherwise one
    plain line per change of state or percentage."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last: tuple[str, float] | None = None
        self._drawn = False

    def __call__(self, deployment: Deployment) -> None:
        line = describe(deployment)
        if self.tty:
            width = shutil.get_terminal_size().columns - 1
            self.stream.write("\r" + line[:width].ljust(width))
            self.stream.flush()
            self._drawn = True
        elif (deployment.state, deployment.percentage) != self._last:
            print(line, file=self.stream, flush=True)
        self._last = (deployment.state, deployment.percentage)

    def close(self) -> None:
        """End the rewritten line."""
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False


def describe(deployment: Deployment, now: datetime | None = None) -> str:
    """``deployment 7: DEPLOYING 40% (about 12 min left)``."""
    now = now or datetime.now(timezone.utc)
    left = None
    if deployment.state == "DEPLOYING" and deployment.started_at and deployment.duration_minutes:
        left = deployment.duration_minutes * 60 - (now - deployment.started_at).total_seconds()
    elif deployment.state == "BAKING" and deployment.bake_minutes:
        baking = [e.occurred_at for e in deployment.events if e.type == "BAKE_TIME_STARTED"]
        if baking and baking[0] is not None:
            left = deployment.bake_minutes * 60 - (now - baking[0]).total_seconds()
    said = f" (about {max(1, round(left / 60))} min left)" if left is not None and left > 0 else ""
    return f"deployment {deployment.number}: {deployment.state} {deployment.percentage:g}%{said}"
