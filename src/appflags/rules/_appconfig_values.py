"""How context values meet rule constants: text, numbers, booleans and timestamps.

The AppConfig Agent receives every context value as text (``Context: age=70`` headers), so
rules written for it compare text with numbers and timestamps. appflags does the same:
a context value is converted to the type of the constant it meets, and a value that does
not convert makes the comparison *unknown* (see ``docs/rules.md``). Each converter returns
``None`` for "does not convert"; ``None`` is never a converted value.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"-?\d+")

# W3C date-time note (YYYY-MM, YYYY-MM-DD, ...Thh:mmTZD, ...Thh:mm:ssTZD, fractions) plus
# Ion's spelling with a trailing ``T`` after a year or a month (``2024T``, ``2024-01T``).
_TIMESTAMP = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})?"
    r")?)?)?"
    r"(?P<t>T)?"
)
MAX_TEXT_NUMBER = 400
"""Longer numeric text is not converted: ``int()`` on huge digit strings is slow."""


def as_text(value: Any) -> str | None:
    """A context value as text, as the Agent would see it in a ``Context`` header."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def as_number(value: Any) -> int | float | None:
    """A context value as a number: ints and floats, or decimal text such as ``"70"``.

    Booleans are not numbers here (``True`` is not 1).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT_NUMBER and _NUMBER.fullmatch(value):
        return int(value) if _INTEGER.fullmatch(value) else float(value)
    return None


def as_bool(value: Any) -> bool | None:
    """A context value as a boolean: ``True``/``False``, or the text ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value == "true":
            return True
        if value == "false":
            return False
    return None


def as_timestamp(value: Any) -> datetime | None:
    """A context value as an aware ``datetime``: a datetime, a date, or timestamp text.

    Naive datetimes and text without an offset are taken as UTC; a date is midnight UTC.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        return parse_timestamp(value, require_offset=False)
    return None


def parse_timestamp(text: str, *, require_offset: bool) -> datetime | None:
    """Timestamp text (W3C date-time note, Ion's forms) as an aware datetime, else None.

    Partial timestamps mean the start of their period: ``2024-01`` is 2024-01-01T00:00Z.
    With ``require_offset`` a time of day must carry ``Z`` or ``±hh:mm`` (as in Ion and the
    W3C note); without it, a missing offset means UTC. ``-00:00`` (unknown offset) is UTC.
    """
    match = _TIMESTAMP.fullmatch(text) if len(text) <= 40 else None
    if match is None:
        return None
    parts = match.groupdict()
    has_time = parts["hour"] is not None
    if (
        (parts["month"] is None and parts["t"] is None)  # a bare year is an integer
        or (has_time and parts["t"] is not None)
        or (has_time and parts["offset"] is None and require_offset)
    ):
        return None
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=_offset(parts["offset"]),
        )
    except ValueError:
        return None  # out-of-range fields: month 13, day 31 in April, hour 24


def _offset(text: str | None) -> timezone:
    if text is None or text in ("Z", "+00:00", "-00:00"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
