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
    """A flag document is invalid. ``problems`` lists every problem with its JSON path.

    ``format`` names the format the document was validated as (``None`` when it could not
    be parsed); ``note`` says, under ``format="auto"``, why that format was chosen and that
    ``format="json"`` reads the document as plain configuration instead.
    """

    def __init__(
        self,
        problems: list[Problem],
        *,
        format: str | None = None,  # noqa: A002 - the public API's name for it
        note: str | None = None,
    ) -> None:
        self.problems = list(problems)
        self.format = format
        self.note = note
        count = len(self.problems)
        kind = f"{format} document" if format else "flag document"
        header = f"invalid {kind} ({count} problem{'s' if count != 1 else ''})"
        lines = [header, *(f"  {p}" for p in self.problems)]
        if note:
            lines.append(note)
        super().__init__("\n".join(lines))

    def with_source(self, source: str) -> SchemaError:
        """The same error with every problem attributed to ``source`` (a file name)."""
        return SchemaError(
            [Problem(p.path, p.message, source) for p in self.problems],
            format=self.format,
            note=self.note,
        )
