"""Last-known-good backup: a local copy of the last accepted document.

It lets a cold start serve flags (as ``STALE``) while AppConfig is unreachable.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from appflags._log import logger

_FORMAT_TAG = "appflags-backup/1"


class Saved(NamedTuple):
    """A document read back from the backup file.

    A named tuple: a frozen dataclass costs ~1 ms to define in every cold start.
    """

    content: bytes
    content_type: str | None
    version: str | None
    format: str | None = None
    """The format the document was accepted as (``None`` in backups written before 0.2)."""


class Backup:
    """Reads and writes one backup file; disables itself with one warning if it cannot.

    Writes are atomic (a temporary file in the same directory, then ``os.replace``) and
    private (mode 0600: flag documents may say things about unreleased features). The file
    carries a SHA-256 of the document, so a corrupt or edited backup is ignored.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._disabled = False

    def load(self) -> Saved | None:
        """The saved document, or ``None`` (missing, corrupt or tampered: warned once)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("appflags.backup_unreadable", path=str(self.path), error=exc.strerror)
            return None
        saved, problem = _decode(raw)
        if saved is None:
            logger.warning("appflags.backup_ignored", path=str(self.path), reason=problem)
        return saved

    def save(
        self,
        content: bytes,
        content_type: str | None,
        version: str | None,
        flag_format: str | None = None,
    ) -> None:
        """Write atomically; the first failure disables the backup with one warning.

        ``flag_format`` is the format the document was accepted as: a cold start reads it
        back as that format rather than detecting it again.
        """
        if self._disabled:
            return
        record = {
            "format": _FORMAT_TAG,
            "version": version,
            "content_type": content_type,
            "flag_format": flag_format,
            "sha256": hashlib.sha256(content).hexdigest(),
            "content": base64.b64encode(content).decode("ascii"),
        }
        data = json.dumps(record).encode("utf-8")
        temp: str | None = None
        try:
            import tempfile  # noqa: PLC0415 - only a process with a backup writes one

            # mkstemp creates the file with mode 0600 already.
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(self.path)
            temp = None
        except OSError as exc:
            self._disabled = True
            logger.warning(
                "appflags.backup_disabled", path=str(self.path), error=exc.strerror or str(exc)
            )
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    Path(temp).unlink()


def _decode(raw: bytes) -> tuple[Saved | None, str]:
    try:
        record = json.loads(raw)
        content = base64.b64decode(record["content"], validate=True)
        checksum = record["sha256"]
        tag = record["format"]
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"unreadable: {type(exc).__name__}"
    if tag != _FORMAT_TAG:
        return None, "not an appflags backup"
    if hashlib.sha256(content).hexdigest() != checksum:
        return None, "checksum mismatch"
    flag_format = record.get("flag_format")
    if flag_format is not None and not isinstance(flag_format, str):
        return None, "unreadable: flag_format"
    saved = Saved(content, record.get("content_type"), record.get("version"), flag_format)
    return saved, ""
