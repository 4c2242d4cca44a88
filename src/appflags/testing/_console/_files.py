"""The files ``appflags serve`` was started with: each validated, served and written back.

A :class:`ServedFile` is the source of truth of one profile. A version of it is served
only once it validates exactly as ``Flags`` validates it (``appflags validate`` agrees),
whether the change came from an editor or from the console; a change that does not
validate is refused with its message and the last good version keeps being served. The
console writes JSON files only (atomically, keeping key order, two-space indent), and
only when the caller saw the file as it is now: its ``etag``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags._flags import Flags
from appflags.formats import detect, parse
from appflags.sources.file import content_type_of

if TYPE_CHECKING:
    from collections.abc import Callable

JSON = "application/json"
HISTORY = 50
"""Versions kept per file for the console's history and diffs (the oldest go first)."""


class Conflict(Exception):  # noqa: N818 - an answer, not a failure
    """The file changed since the caller read it (another tab, an editor)."""


class ReadOnly(Exception):  # noqa: N818 - an answer, not a failure
    """The file is YAML or Ion: the console does not write it (it would lose comments)."""


@dataclass(frozen=True)
class Revision:
    """One version of a file that was served."""

    number: int
    """The profile's version number on the server."""
    at: datetime
    content: bytes
    origin: str
    """``start``, ``file`` (changed on disk) or ``console``."""


@dataclass(frozen=True)
class Loaded:
    """A file's content as validated: its document, format and etag."""

    content: bytes
    doc: Any
    format: str
    etag: str


def etag_of(content: bytes) -> str:
    """The tag a writer must send back: it changes whenever the bytes do."""
    return hashlib.sha256(content).hexdigest()[:20]


def validate(content: bytes, content_type: str) -> tuple[Any, str]:
    """The document and its format name; :class:`SchemaError` as ``Flags`` raises it."""
    repeated: list[Problem] = []
    doc = parse(content, content_type, duplicates=repeated)
    if repeated:
        # AWS would read the last definition of each: a mistake to fix, not to serve.
        raise SchemaError(repeated)
    if not isinstance(doc, dict):
        raise SchemaError([Problem("$", "a flag document is an object")])
    Flags.from_dict(doc)
    return doc, detect(doc).name


def dump(doc: Any) -> bytes:
    """``doc`` as the console writes JSON: key order kept, two-space indent, final newline."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class ServedFile:
    """One file served as one profile (``publish`` deploys a version, returns its number).

    ``check()`` (called often) serves what changed on disk; ``write()`` serves and writes
    what the console was asked for. Both validate first.
    """

    read_only_note = (
        "This file is YAML or Ion: shown read-only, so that no comment is lost. Edit it in "
        "your editor; each valid save is served as a new version."
    )

    def __init__(
        self, path: Path, key: tuple[str, str, str], publish: Callable[[bytes, str], int]
    ) -> None:
        self.path = path
        self.key = key
        """(application, environment, profile)."""
        self.profile = key[2]
        self.content_type = content_type_of(path)
        self.editable = self.content_type == JSON
        self._publish = publish
        self._lock = threading.Lock()
        self._served: Loaded | None = None
        self._seen: tuple[int, int, int] | None = None
        self._refused: bytes | None = None
        self.problem: str | None = None
        """Why the file as it is on disk is not served (``None``: it is)."""
        self.history: list[Revision] = []
        self.start: Loaded | None = None

    def load(self) -> Loaded:
        """Validate and serve the file as it is: raises ``OSError`` or :class:`SchemaError`."""
        with self._lock:
            content = self.path.read_bytes()
            try:
                loaded = self._validated(content)
            except SchemaError as exc:
                raise exc.with_source(str(self.path)) from None
            self._serve(loaded, "start")
            self.start = loaded
            return loaded

    @property
    def served(self) -> Loaded:
        """The version served now."""
        if self._served is None:
            raise RuntimeError(f"{self.path} was never loaded")
        return self._served

    def check(self) -> str | None:
        """Serve the file if it changed on disk; returns what happened, for people."""
        with self._lock:
            return self._check()

    def write(self, etag: str, edit: Callable[[Any], Any]) -> Loaded:
        """Apply ``edit`` to the document the caller saw (``etag``), validate, serve, write.

        Raises :class:`Conflict` when the file is not what the caller saw,
        :class:`ReadOnly` for YAML and Ion files, :class:`SchemaError` for an edit
        ``Flags`` refuses (nothing is written or served then), and whatever ``edit`` raises.
        """
        if not self.editable:
            raise ReadOnly(f"{self.path.name} is read-only here: edit it in your editor")
        with self._lock:
            self._check()
            current = self.served
            if self.problem is not None:
                raise Conflict(f"{self.path.name} is not served as it is on disk: {self.problem}")
            if etag != current.etag:
                raise Conflict(
                    f"{self.path.name} changed since you loaded it (in another tab or on "
                    "disk): reload to see it, then edit again"
                )
            # The edit gets a copy: nothing of the served document changes if it fails.
            doc = edit(json.loads(current.content))
            content = dump(doc)
            loaded = self._validated(content)
            if loaded.format != current.format:
                raise SchemaError([Problem("$", f"the edit makes this a {loaded.format} document")])
            # Written beside the file before it is served: a file that cannot be written
            # (a read-only folder, a full disk) is not served either.
            try:
                staged = _staged(self.path, content)
            except OSError as exc:
                raise Conflict(
                    f"cannot write {self.path.name}: {exc.strerror or exc}; nothing was "
                    "written or served"
                ) from None
            try:
                try:
                    self._serve(loaded, "console")
                except SchemaError:
                    raise
                except ValueError as exc:  # the server refused to deploy (a deployment runs)
                    raise Conflict(f"not deployed, nothing written: {exc}") from None
                # Readers see the old file or the new, never half of one.
                staged.replace(self.path)
            finally:
                staged.unlink(missing_ok=True)  # nothing there once it replaced the file
            self._seen = _stamp(self.path)
            return loaded

    # -- the caller holds self._lock -----------------------------------------------

    def _check(self) -> str | None:
        try:
            seen = _stamp(self.path)
            if seen == self._seen:
                return None
            content = self.path.read_bytes()
        except OSError as exc:
            self._seen = None
            return self._trouble(f"cannot read it: {exc.strerror or exc}")
        self._seen = seen
        if content == self.served.content:
            self.problem = None  # an invalid save undone, or a refused deploy undone
        if content in (self.served.content, self._refused):
            return None
        try:
            self._serve(self._validated(content), "file")
        except SchemaError as exc:
            self._refused = content
            problem = exc.with_source(str(self.path))
            return self._trouble(f"change not served, it is invalid\n{problem}")
        except ValueError as exc:  # the server would not deploy it now (a deployment runs)
            self._seen = None  # tried again on the next check
            return self._trouble(f"change not deployed yet: {exc}")
        return f"{self.path}: served as version {self.history[-1].number}"

    def _trouble(self, problem: str) -> str | None:
        """Record why the file is not served; what to say, once per new problem."""
        said, self.problem = self.problem, problem
        if said == problem:
            return None
        return f"{self.path}: {problem}\nstill serving version {self.history[-1].number}"

    def _validated(self, content: bytes) -> Loaded:
        doc, name = validate(content, self.content_type)
        return Loaded(content, doc, name, etag_of(content))

    def _serve(self, loaded: Loaded, origin: str) -> None:
        number = self._publish(loaded.content, self.content_type)
        self._served = loaded
        self._refused = None
        self.problem = None
        self.history.append(Revision(number, datetime.now(timezone.utc), loaded.content, origin))
        del self.history[:-HISTORY]


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _staged(path: Path, content: bytes) -> Path:
    """A new file beside ``path`` holding ``content`` (synced, with ``path``'s mode), to
    replace ``path`` with."""
    mode = path.stat().st_mode & 0o777
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(mode)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


class DeployedProfile:
    """A profile created and deployed through the control plane, shown read-only.

    It has no file: it changes by deploying a new version (``appflags deploy``, boto3's
    ``appconfig`` client), and the console shows the version deployed to everyone.
    """

    editable = False
    start: Loaded | None = None
    read_only_note = (
        "Deployed through the control plane: shown read-only. Change it by deploying a new "
        "version (appflags deploy, or boto3's appconfig client)."
    )

    def __init__(self, key: tuple[str, str, str], content: bytes, content_type: str) -> None:
        self.key = key
        self.profile = "/".join(key)
        self.path = f"deployed through the control plane ({self.profile})"
        self.content_type = content_type
        self.history: list[Revision] = []
        self.problem: str | None = None
        try:
            doc, name = validate(content, content_type)
        except SchemaError as exc:
            doc, name = {}, "json"
            self.problem = f"not a flag document appflags reads: {exc}"
        self.served = Loaded(content, doc, name, etag_of(content))
