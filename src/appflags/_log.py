"""The library's one logger. The library never configures logging."""

from __future__ import annotations

from typing import Any


class _Logger:
    """``structlog.get_logger("appflags")``, imported on the first event.

    structlog (with the stdlib ``logging`` and ``asyncio`` it imports) costs more to
    import than the rest of appflags, and most processes log only when something
    changes: it loads when the first event is logged.
    """

    __slots__ = ("_real",)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set on the instance: _real before it is set, and
        # every logging method.
        if name == "_real":
            import structlog  # noqa: PLC0415 - see the docstring

            self._real = structlog.get_logger("appflags")
            return self._real
        return getattr(self._real, name)


logger: Any = _Logger()
