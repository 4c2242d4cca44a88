"""The library's one logger. The library never configures logging.

Events go to the stdlib logger ``appflags`` (with a ``NullHandler``, so an application
that configured no logging sees nothing, and one that configured the root logger sees
them), as Python's logging HOWTO asks of libraries. When the application has configured
structlog (``structlog.is_configured()``), the same events go through
``structlog.get_logger("appflags")`` as key-values instead. An application that never
imported structlog cannot have configured it, so appflags never imports it.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "exception": 40}


def _text(event: str, fields: dict[str, Any]) -> str:
    parts = [event]
    for key, value in fields.items():
        shown = str(value)
        if not shown or any(c.isspace() or c in "='\"" for c in shown):
            shown = repr(shown)
        parts.append(f"{key}={shown}")
    return " ".join(parts)


class _Logger:
    """Has the method names of a logger (``logger.info("appflags.loaded", source=...)``);
    each call chooses structlog or the stdlib at the time of the event (events are rare:
    state changes, not lookups)."""

    __slots__ = ("_reserved", "_stdlib")

    def __init__(self) -> None:
        self._stdlib: logging.Logger | None = None
        self._reserved: frozenset[str] = frozenset()

    def _logger(self) -> logging.Logger:
        if self._stdlib is None:
            import logging  # noqa: PLC0415 - most processes never log an event of ours

            stdlib = logging.getLogger("appflags")
            if not any(isinstance(h, logging.NullHandler) for h in stdlib.handlers):
                stdlib.addHandler(logging.NullHandler())
            # A record refuses extra= fields named like its own attributes.
            self._reserved = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
            self._stdlib = stdlib
        return self._stdlib

    def _emit(self, method: str, event: str, fields: dict[str, Any]) -> None:
        # The application's handler, filter or structlog processor may fail. An event is
        # a report, never a step of the work: it must not stop a version from loading, a
        # poll, a lookup or a listener (the stdlib's own handlers swallow their errors in
        # handleError the same way).
        with contextlib.suppress(Exception):
            self._send(method, event, fields)

    def _send(self, method: str, event: str, fields: dict[str, Any]) -> None:
        structlog = sys.modules.get("structlog")
        if structlog is not None and structlog.is_configured():
            if method == "exception":
                fields.setdefault("exc_info", True)
            getattr(structlog.get_logger("appflags"), method)(event, **fields)
            return
        stdlib = self._logger()
        level = _LEVELS[method]
        if stdlib.isEnabledFor(level):
            # The fields go on the record too (``record.source``, ...) for structured
            # handlers; the message carries them for plain ones.
            reserved = self._reserved
            extra = {f"appflags_{k}" if k in reserved else k: v for k, v in fields.items()}
            extra["event"] = event
            stdlib.log(
                level, "%s", _text(event, fields), exc_info=method == "exception", extra=extra
            )

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._emit("exception", event, fields)


logger = _Logger()
