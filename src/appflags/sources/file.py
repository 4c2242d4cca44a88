"""A local file as a source: reloads when its size or modification time changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appflags.sources._base import Fetched, SourceError

if TYPE_CHECKING:
    import os
    from pathlib import Path


class FileSource:
    """Reads ``path`` whenever it changed since the last read.

    Editors and deploy tools that replace the file atomically (write a temp file, then
    rename) are handled: the check is on the path, not on an open file handle.
    """

    def __init__(self, path: str | os.PathLike[str], *, interval: float = 5.0) -> None:
        from pathlib import Path  # noqa: PLC0415 - pathlib: see _resources

        self.path = Path(path)
        self.interval = interval
        self.name = f"file:{self.path}"
        self._seen: tuple[int, int, int] | None = None

    def fetch(self) -> Fetched:
        """The file's bytes if it changed, else an unchanged result."""
        try:
            return self.read()
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror}", code="OSError") from None

    def read(self) -> Fetched:
        """Like :meth:`fetch`, but raises the ``OSError`` itself."""
        stat = self.path.stat()
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if seen == self._seen:
            return Fetched(None, next_poll=self.interval)
        content = self.path.read_bytes()
        self._seen = seen
        return Fetched(content, content_type_of(self.path), None, self.interval)

    def reset(self) -> None:
        """Read the file again on the next poll."""
        self._seen = None

    def close(self) -> None:
        """Nothing to release."""


def content_type_of(path: Path) -> str:
    """The content type a file's name implies (JSON unless it says otherwise)."""
    if path.suffix in (".yaml", ".yml"):
        return "application/x-yaml"
    # The Agent's local development files are named like
    # ``app:env:profile.application%ion%type=AWS.AppConfig.FeatureFlags``.
    if "application%ion" in path.name or path.suffix == ".ion":
        return "application/ion"
    return "application/json"
