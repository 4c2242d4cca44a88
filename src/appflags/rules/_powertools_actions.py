"""The condition actions of Powertools for AWS Lambda ``feature_flags``, as closures.

Each condition ``{"action", "key", "value"}`` compiles once into a function of the context
that answers exactly what Powertools' comparator answers for the same context and time:

- a key missing from the context never satisfies a condition, not even a negative one
  (``NOT_EQUALS``, ``NOT_IN``...);
- a comparison that raises (``"5" > 3``, ``STARTSWITH`` on a number) is a non-match;
- the ``SCHEDULE_*`` actions ignore the context and read the clock, in the condition's
  ``TIMEZONE`` resolved the way Powertools resolves it (``dateutil.tz.gettz``, whose zone
  data also decides daylight saving time; ``zoneinfo`` can disagree with it, e.g. past
  the last transition a zone file lists).

Everything that Powertools recomputes per call (time zones, parsed datetimes, ``HH:MM``
splits, day names) is computed here once per document.
"""

# Every builder takes (key, value, clock) and every condition takes the context, so that
# one table drives them all; each uses only what its action needs.
# ruff: noqa: ARG001

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from dateutil.tz import gettz

if TYPE_CHECKING:
    from appflags.formats._base import Clock, Context

Condition = Callable[[Mapping[str, Any]], bool]
"""A compiled condition: whether the context (and the clock) satisfies it."""

ACTIONS = (
    "EQUALS",
    "NOT_EQUALS",
    "KEY_GREATER_THAN_VALUE",
    "KEY_GREATER_THAN_OR_EQUAL_VALUE",
    "KEY_LESS_THAN_VALUE",
    "KEY_LESS_THAN_OR_EQUAL_VALUE",
    "STARTSWITH",
    "ENDSWITH",
    "IN",
    "NOT_IN",
    "KEY_IN_VALUE",
    "KEY_NOT_IN_VALUE",
    "VALUE_IN_KEY",
    "VALUE_NOT_IN_KEY",
    "ALL_IN_VALUE",
    "ANY_IN_VALUE",
    "NONE_IN_VALUE",
    "SCHEDULE_BETWEEN_TIME_RANGE",
    "SCHEDULE_BETWEEN_DATETIME_RANGE",
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK",
    "MODULO_RANGE",
)
"""Every action Powertools accepts, in its own order."""

SCHEDULE_KEYS = {
    "SCHEDULE_BETWEEN_TIME_RANGE": "CURRENT_TIME",
    "SCHEDULE_BETWEEN_DATETIME_RANGE": "CURRENT_DATETIME",
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK": "CURRENT_DAY_OF_WEEK",
}
"""The only ``key`` each time-based action accepts (the context is not consulted)."""

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
"""Day names in ``datetime.weekday()`` order."""


_MISSING: Any = object()
# Values whose equality agrees with their hash, so a frozenset answers ``in`` exactly like
# the list Powertools scans. A str-valued Enum, for one, does not (it hashes its name).
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _never(context: Context) -> bool:
    return False


def time_zone(name: Any) -> tzinfo | None:
    """The zone Powertools uses for a ``TIMEZONE`` value; ``None`` when it has none.

    For a falsy value (``null``, ``""``, ``0``...) gettz reads the ``TZ`` environment
    variable (Lambda sets ``:UTC``), else ``/etc/localtime``; a non-string falsy value with
    ``TZ`` unset makes gettz raise, in Powertools on every call, so such a condition never
    matches. Resolving once per document gives Powertools' answer as long as ``TZ`` does
    not change while the document is in use.
    """
    try:
        return gettz(name)
    except Exception:  # noqa: BLE001 - gettz raises assorted errors for non-string input
        return None


def parse_local_datetime(text: str) -> datetime | None:
    """``START``/``END`` of a datetime range as Powertools' validator reads it, or ``None``.

    Powertools accepts what ``datetime.fromisoformat`` accepts (with ``Z`` read as UTC only
    to reject it): the result must carry no offset, the zone comes from ``TIMEZONE``.
    """
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError):
        return None


def compile_condition(action: str, key: str, value: Any, clock: Clock) -> Condition:
    """One validated condition as a closure ``condition(context) -> bool``."""
    build = _BUILDERS.get(action)
    if build is None:
        return _never
    return build(key, value, clock)


# --------------------------------------------------------------------- context actions


def _equals(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            # A missing key reads as a private sentinel, which equals no JSON value.
            if context.get(key, _MISSING) == value:
                return True
        except Exception:  # noqa: BLE001 - an operand error is a non-match, as in Powertools
            return False
        return False

    return condition


def _not_equals(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found != value:
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _compare(test: Callable[[Any, Any], Any]) -> Callable[[str, Any, Clock], Condition]:
    def build(key: str, value: Any, clock: Clock) -> Condition:
        def condition(context: Context) -> bool:
            try:
                found = context.get(key, _MISSING)
                if found is not _MISSING and test(found, value):
                    return True
            except Exception:  # noqa: BLE001
                return False
            return False

        return condition

    return build


# The most used comparisons, written out: a comparison through ``test`` costs one more
# call per condition (a Python one for STARTSWITH/ENDSWITH).
def _greater(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found > value:
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _greater_or_equal(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found >= value:
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _less(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found < value:
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _less_or_equal(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found <= value:
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _starts(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found.startswith(value):
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _ends(key: str, value: Any, clock: Clock) -> Condition:
    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and found.endswith(value):
                return True
        except Exception:  # noqa: BLE001
            return False
        return False

    return condition


def _value_not_in_key(found: Any, value: Any) -> Any:
    return value not in found


def _members(container: Any) -> Any:
    """A frozenset standing in for ``container`` when every member is a plain scalar."""
    if type(container) is list and all(type(item) in _PLAIN for item in container):
        return frozenset(container)
    return container


def _key_in(key: str, value: Any, clock: Clock) -> Condition:
    members = _members(value)

    def condition(context: Context) -> bool:
        found = context.get(key, _MISSING)
        if found is _MISSING:
            return False
        try:
            present = found in members if type(found) in _PLAIN else found in value
        except Exception:  # noqa: BLE001
            return False
        return present

    return condition


def _key_not_in(key: str, value: Any, clock: Clock) -> Condition:
    members = _members(value)

    def condition(context: Context) -> bool:
        found = context.get(key, _MISSING)
        if found is _MISSING:
            return False
        try:
            present = found in members if type(found) in _PLAIN else found in value
        except Exception:  # noqa: BLE001 - NOT_IN on incomparable types is False, not True
            return False
        return not present

    return condition


def _list_test(*, stop_on: bool, answer: bool) -> Callable[[str, Any, Clock], Condition]:
    """ALL/ANY/NONE_IN_VALUE: the context value must be a list (anything else fails).

    The first item whose membership is ``stop_on`` decides ``answer``; when none does, the
    answer is the opposite. ALL stops on an absent item (False), ANY on a present one
    (True), NONE on a present one (False).
    """

    def build(key: str, value: Any, clock: Clock) -> Condition:
        members = _members(value)

        def condition(context: Context) -> bool:
            found = context.get(key, _MISSING)
            if not isinstance(found, list):
                return False
            try:
                for item in found:
                    present = item in members if type(item) in _PLAIN else item in value
                    if present is stop_on:
                        return answer
            except Exception:  # noqa: BLE001
                return False
            return not answer

        return condition

    return build


def _modulo_range(key: str, value: Any, clock: Clock) -> Condition:
    base = value.get("BASE", 1)
    start = value.get("START", 1)
    end = value.get("END", 1)

    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is not _MISSING and start <= found % base <= end:
                return True
        except Exception:  # noqa: BLE001 - "abc" % 7, None % 7: a non-match
            return False
        return False

    return condition


# ------------------------------------------------------------------------ time actions


def _zone_or_utc(value: Any) -> tzinfo | None:
    # Powertools falls back to UTC only when gettz answers None; an error stays an error.
    try:
        zone = gettz(value.get("TIMEZONE", "UTC"))
    except Exception:  # noqa: BLE001
        return None
    return zone if zone is not None else gettz("UTC")


def _time_range(key: str, value: Any, clock: Clock) -> Condition:
    zone = _zone_or_utc(value)
    if zone is None:
        return _never
    start_hour, start_minute = value["START"].split(":")
    end_hour, end_minute = value["END"].split(":")
    start = int(start_hour) * 60 + int(start_minute)
    end = int(end_hour) * 60 + int(end_minute)
    # Powertools compares today's START and END (with the current seconds) to now, on the
    # same wall clock: that is a comparison of minutes since midnight.
    crosses_midnight = end < start

    def condition(context: Context) -> bool:
        try:
            now = clock().astimezone(zone)
        except Exception:  # noqa: BLE001 - a broken clock must not break a lookup
            return False
        minute = now.hour * 60 + now.minute
        if crosses_midnight:
            return minute >= start or minute <= end
        return start <= minute <= end

    return condition


def _datetime_range(key: str, value: Any, clock: Clock) -> Condition:
    try:
        zone = gettz(value.get("TIMEZONE", "UTC"))
        start = datetime.fromisoformat(value["START"]).replace(tzinfo=zone)
        end = datetime.fromisoformat(value["END"]).replace(tzinfo=zone)
    except Exception:  # noqa: BLE001 - what fails in Powertools on every call fails here once
        return _never
    if zone is None:
        return _never  # naive bounds never compare with an aware "now" in Powertools
    now_zone = zone

    def condition(context: Context) -> bool:
        try:
            now = clock().astimezone(now_zone)
        except Exception:  # noqa: BLE001
            return False
        # Same tzinfo object on both sides: Python compares wall-clock times, as Powertools
        # does (its bounds and "now" share one gettz result).
        return start <= now <= end

    return condition


def _days_of_week(key: str, value: Any, clock: Clock) -> Condition:
    zone = _zone_or_utc(value)
    if zone is None:
        return _never
    # Powertools' day enum also admits "DAYS" itself: accepted, and never a weekday.
    days = value.get("DAYS", [])
    # weekday() rather than strftime("%A"): the same names under the C locale Python starts
    # with, and no locale dependence or formatting on the lookup path.
    wanted = frozenset(index for index, name in enumerate(WEEKDAYS) if name in days)

    def condition(context: Context) -> bool:
        try:
            now = clock().astimezone(zone)
        except Exception:  # noqa: BLE001
            return False
        return now.weekday() in wanted

    return condition


_BUILDERS: dict[str, Callable[[str, Any, Clock], Condition]] = {
    "EQUALS": _equals,
    "NOT_EQUALS": _not_equals,
    "KEY_GREATER_THAN_VALUE": _greater,
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": _greater_or_equal,
    "KEY_LESS_THAN_VALUE": _less,
    "KEY_LESS_THAN_OR_EQUAL_VALUE": _less_or_equal,
    "STARTSWITH": _starts,
    "ENDSWITH": _ends,
    "IN": _key_in,
    "NOT_IN": _key_not_in,
    "KEY_IN_VALUE": _key_in,
    "KEY_NOT_IN_VALUE": _key_not_in,
    "VALUE_IN_KEY": _compare(operator.contains),
    "VALUE_NOT_IN_KEY": _compare(_value_not_in_key),
    "ALL_IN_VALUE": _list_test(stop_on=False, answer=False),
    "ANY_IN_VALUE": _list_test(stop_on=True, answer=True),
    "NONE_IN_VALUE": _list_test(stop_on=True, answer=False),
    "SCHEDULE_BETWEEN_TIME_RANGE": _time_range,
    "SCHEDULE_BETWEEN_DATETIME_RANGE": _datetime_range,
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK": _days_of_week,
    "MODULO_RANGE": _modulo_range,
}
