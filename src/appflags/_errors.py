"""Errors raised where a caller hands in a document directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document, and where it is.

    ``path`` is a JSON path (``$.flags.beta.attributes``); ``source`` names the file when
    the document came from one.
    """

    path: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.source else self.path
        return f"{where}: {self.message}"


class SchemaError(ValueError):
    """A flag document is invalid. ``problems`` lists every problem with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"invalid flag document ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))

    def with_source(self, source: str) -> SchemaError:
        """The same error with every problem attributed to ``source`` (a file name)."""
        return SchemaError([Problem(p.path, p.message, source) for p in self.problems])
