"""``appflags pull``: the deployed content of a profile, as stored."""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from appflags.authoring import AuthoringError
from appflags.cli._command import EXIT_INVALID, EXIT_OK
from appflags.cli._control_plane import add_location_options, complain, open_environment

if TYPE_CHECKING:
    import argparse

    from appflags.cli._command import Commands


def register(commands: Commands) -> None:
    """Add ``pull``."""
    pull = commands.add_parser(
        "pull",
        help="print (or save) the deployed content of a profile, ready to edit and deploy",
        description="The content of the profile's last COMPLETE deployment in the "
        "environment, byte for byte as stored (for a feature-flag profile, the document "
        "with version, flags and values).",
    )
    add_location_options(pull, profile=True)
    pull.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: stdout)")
    pull.set_defaults(run=_pull)


def _pull(args: argparse.Namespace) -> int:
    try:
        env = open_environment(args)
        profile = env.profile(args.profile)
        deployed = env.pull(profile)
        content = deployed.version.content
        if args.output is None:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
        else:
            _write(Path(args.output), content)
    except (AuthoringError, OSError) as exc:
        complain(exc, args)
        return EXIT_INVALID
    print(
        f"version {deployed.version.number} ({deployed.version.content_type}), deployed by "
        f"deployment {deployed.deployment.number}"
        + (f", written to {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    return EXIT_OK


def _write(path: Path, content: bytes) -> None:
    """Replace ``path`` whole: a reader never sees half a document. It keeps the mode of
    the file it replaces; a new file gets the umask's (not ``mkstemp``'s owner-only)."""
    # Failures name FILE, not the temporary file beside it.
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(path.parent))
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        Path(temp).chmod(mode)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
