"""The format protocol, and the vocabulary every format compiles into (``appflags._model``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from appflags._clock import Clock
from appflags._model import USE_DEFAULT, Compiled, Context, Resolved, Rule

if TYPE_CHECKING:
    from appflags._errors import Problem

__all__ = ["USE_DEFAULT", "Clock", "Compiled", "Context", "Format", "Resolved", "Rule"]


class Format(Protocol):
    """A flag document format: detection, validation, compilation."""

    name: str

    def detect(self, doc: Any) -> bool:
        """Whether ``doc`` looks like this format (used by ``format="auto"``)."""
        ...

    def validate(self, doc: Any) -> list[Problem]:
        """Every problem in ``doc``, each with its JSON path; empty when valid."""
        ...

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        """Compile a valid ``doc``. Called only after :meth:`validate` found nothing."""
        ...
