"""The library's one logger. The library never configures logging."""

from __future__ import annotations

from typing import Any

from appflags import _gc_pause


class _Logger:
    """``structlog.get_logger("appflags")``, imported on the first event.

    structlog (with the stdlib ``logging`` and ``asyncio`` it imports) costs more to
    import than the rest of appflags, and most processes log only when something
    changes: it loads when the first event is logged.

    That first event is usually the first version loaded, during a cold start: the
    import runs with the cyclic collector paused (see :mod:`appflags._gc_pause`). Its
    ~8,000 module-level objects live as long as the process, and counting them used to
    set off a full collection in the middle of the import, walking the whole heap (boto3's
    included: ~40 ms on a loaded 2-core machine) to find nothing.
    """

    __slots__ = ("_real",)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set on the instance: _real before it is set, and
        # every logging method.
        if name == "_real":
            with _gc_pause.paused():
                import structlog  # noqa: PLC0415 - see the docstring

            self._real = structlog.get_logger("appflags")
            return self._real
        return getattr(self._real, name)


logger: Any = _Logger()
