"""The ``appflags`` command: validate, eval, refs, serve, demo.

Exit codes: 0 success; 1 the document is invalid (or cannot be read), or ``refs`` found
a key the code uses that the document lacks; 2 usage error.

Each command group is a module of this package with a ``register`` function (see
``_command``); adding one is that module plus its line in ``COMMAND_GROUPS``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import structlog

from appflags.cli import (
    _demo,
    _deploy,
    _diff,
    _eval,
    _pull,
    _refs,
    _rollback,
    _serve,
    _status,
    _validate,
)
from appflags.cli._command import EXIT_INVALID, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from appflags.cli._command import Commands

# In the order ``appflags --help`` lists them.
COMMAND_GROUPS: tuple[Callable[[Commands], None], ...] = (
    _validate.register,
    _eval.register,
    _refs.register,
    _serve.register,
    _demo.register,
    _deploy.register,
    _diff.register,
    _pull.register,
    _status.register,
    _rollback.register,
)


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appflags",
        description="Fast, resilient feature flags from AWS AppConfig.",
        epilog="Exit codes: 0 ok; 1 a problem (invalid or unreadable document or schema, "
        "a key eval does not find, a port serve cannot open); 2 usage error.",
    )
    commands = parser.add_subparsers(title="commands")
    for register in COMMAND_GROUPS:
        register(commands)
    return parser
