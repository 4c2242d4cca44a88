"""The condition actions of Powertools for AWS Lambda ``feature_flags``, as one table.

Each action is one test ``test(found, value)`` of the context's value for the condition's
key and the condition's value, in :data:`ACTIONS_BY_NAME` (the model: Flagsmith's
``MATCHERS_BY_OPERATOR``). A flag's rules compile to one small function that loops over
each rule's ``(test, key, value)`` triples and answers exactly what Powertools answers for
the same context and time:

- a key missing from the context never satisfies a condition, not even a negative one
  (``NOT_EQUALS``, ``NOT_IN``...);
- a comparison that raises (``"5" > 3``, ``STARTSWITH`` on a number) is a non-match, and
  so is a context whose ``get`` raises (where Powertools raises);
- the ``SCHEDULE_*`` actions ignore the context and read the clock, in the condition's
  ``TIMEZONE`` resolved the way Powertools resolves it (``dateutil.tz.gettz``, whose zone
  data also decides daylight saving time; ``zoneinfo`` can disagree with it, e.g. past
  the last transition a zone file lists).

Everything that Powertools recomputes per call (time zones, parsed datetimes, ``HH:MM``
splits, day names, a list's members) is prepared here once per document.
"""

# Every test takes (found, value) and every preparation (value, clock), so that one table
# drives them all; each uses only what its action needs.
# ruff: noqa: ARG001

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from dateutil.tz import gettz

if TYPE_CHECKING:
    from appflags._clock import Clock

Context = Mapping[str, Any]

RuleSpec = tuple[Sequence[Mapping[str, Any]], Any]
"""A rule as it is compiled: its validated conditions, and what it answers when they hold."""

SCHEDULE_KEYS = {
    "SCHEDULE_BETWEEN_TIME_RANGE": "CURRENT_TIME",
    "SCHEDULE_BETWEEN_DATETIME_RANGE": "CURRENT_DATETIME",
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK": "CURRENT_DAY_OF_WEEK",
}
"""The only ``key`` each time-based action accepts (the context is not consulted)."""

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
"""Day names in ``datetime.weekday()`` order."""

_MISSING: Any = object()
"""What a key missing from the context reads as: it satisfies no condition."""
_EMPTY: dict[str, Any] = {}
"""What a context whose ``get`` cannot be looked up reads as."""
_NEVER: Any = object()
"""What a value that can never hold prepares to (a zone or datetime Powertools fails on)."""
# Values whose equality agrees with their hash, so a frozenset answers ``in`` exactly like
# the list Powertools scans. A str-valued Enum, for one, does not (it hashes its name).
_PLAIN = frozenset((str, int, float, bool, type(None)))


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


# ----------------------------------------------------------------------- context tests
# Each receives the context's value (never a missing one) and the prepared value; a test
# that raises makes its rule a non-match.


def _starts_with(found: Any, value: Any) -> Any:
    return found.startswith(value)


def _ends_with(found: Any, value: Any) -> Any:
    return found.endswith(value)


def _value_not_in_key(found: Any, value: Any) -> bool:
    return value not in found


def _key_in(found: Any, members: tuple[Any, Any]) -> bool:
    fast, items = members
    return found in fast if type(found) in _PLAIN else found in items


def _key_not_in(found: Any, members: tuple[Any, Any]) -> bool:
    fast, items = members
    return not (found in fast if type(found) in _PLAIN else found in items)


def _all_in_value(found: Any, members: tuple[Any, Any]) -> bool:
    fast, items = members
    return isinstance(found, list) and all(
        item in fast if type(item) in _PLAIN else item in items for item in found
    )


def _any_in_value(found: Any, members: tuple[Any, Any]) -> bool:
    fast, items = members
    return isinstance(found, list) and any(
        item in fast if type(item) in _PLAIN else item in items for item in found
    )


def _none_in_value(found: Any, members: tuple[Any, Any]) -> bool:
    fast, items = members
    return isinstance(found, list) and not any(
        item in fast if type(item) in _PLAIN else item in items for item in found
    )


def _in_modulo_range(found: Any, bounds: tuple[Any, Any, Any]) -> bool:
    base, start, end = bounds
    return bool(start <= found % base <= end)  # "abc" % 7, None % 7: raises, a non-match


# -------------------------------------------------------------------------- clock tests
# Each ignores ``found`` and reads the clock its prepared value holds; a broken clock
# raises, and its rule is a non-match: it never breaks a lookup.


def _in_time_range(found: Any, window: tuple[Clock, tzinfo, int, int]) -> bool:
    clock, zone, start, end = window
    now = clock().astimezone(zone)
    minute = now.hour * 60 + now.minute
    if end < start:  # crosses midnight
        return minute >= start or minute <= end
    return start <= minute <= end


def _in_datetime_range(found: Any, window: tuple[Clock, tzinfo, datetime, datetime]) -> bool:
    clock, zone, start, end = window
    # Same tzinfo object on both sides: Python compares wall-clock times, as Powertools
    # does (its bounds and "now" share one gettz result).
    return start <= clock().astimezone(zone) <= end


def _on_days(found: Any, days: tuple[Clock, tzinfo, frozenset[int]]) -> bool:
    clock, zone, wanted = days
    return clock().astimezone(zone).weekday() in wanted


# --------------------------------------------------------- values, once per document


def _members(value: Any, clock: Clock) -> tuple[Any, Any]:
    """``(fast, items)``: a frozenset standing in for the list when every member is a plain
    scalar (else the value itself), and the value Powertools scans."""
    if type(value) is list and all(type(item) in _PLAIN for item in value):
        return frozenset(value), value
    return value, value


def _modulo_bounds(value: Any, clock: Clock) -> tuple[Any, Any, Any]:
    return value.get("BASE", 1), value.get("START", 1), value.get("END", 1)


def _zone_or_utc(value: Any) -> tzinfo | None:
    # Powertools falls back to UTC only when gettz answers None; an error stays an error.
    try:
        zone = gettz(value.get("TIMEZONE", "UTC"))
    except Exception:  # noqa: BLE001
        return None
    return zone if zone is not None else gettz("UTC")


def _time_window(value: Any, clock: Clock) -> Any:
    zone = _zone_or_utc(value)
    if zone is None:
        return _NEVER
    start_hour, start_minute = value["START"].split(":")
    end_hour, end_minute = value["END"].split(":")
    # Powertools compares today's START and END (with the current seconds) to now, on the
    # same wall clock: that is a comparison of minutes since midnight.
    start = int(start_hour) * 60 + int(start_minute)
    end = int(end_hour) * 60 + int(end_minute)
    return clock, zone, start, end


def _datetime_window(value: Any, clock: Clock) -> Any:
    try:
        zone = gettz(value.get("TIMEZONE", "UTC"))
        start = datetime.fromisoformat(value["START"]).replace(tzinfo=zone)
        end = datetime.fromisoformat(value["END"]).replace(tzinfo=zone)
    except Exception:  # noqa: BLE001 - what fails in Powertools on every call fails here once
        return _NEVER
    if zone is None:
        return _NEVER  # naive bounds never compare with an aware "now" in Powertools
    return clock, zone, start, end


def _weekdays(value: Any, clock: Clock) -> Any:
    zone = _zone_or_utc(value)
    if zone is None:
        return _NEVER
    # Powertools' day enum also admits "DAYS" itself: accepted, and never a weekday.
    days = value.get("DAYS", [])
    # weekday() rather than strftime("%A"): the same names under the C locale Python starts
    # with, and no locale dependence or formatting on the lookup path.
    return clock, zone, frozenset(index for index, name in enumerate(WEEKDAYS) if name in days)


# ------------------------------------------------------------------------------ table


class Action(NamedTuple):
    """How one action is tested, and how its value is prepared once per document."""

    test: Callable[[Any, Any], Any]
    """``test(found, prepared value)``: truthy when the condition holds."""
    prepare: Callable[[Any, Clock], Any] | None = None
    """The document's value to what ``test`` receives; ``None``: the value as it is."""
    reads_clock: bool = False
    """The action ignores the context (``test`` receives ``None`` as ``found``)."""


ACTIONS_BY_NAME: dict[str, Action] = {
    "EQUALS": Action(operator.eq),
    "NOT_EQUALS": Action(operator.ne),
    "KEY_GREATER_THAN_VALUE": Action(operator.gt),
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": Action(operator.ge),
    "KEY_LESS_THAN_VALUE": Action(operator.lt),
    "KEY_LESS_THAN_OR_EQUAL_VALUE": Action(operator.le),
    "STARTSWITH": Action(_starts_with),
    "ENDSWITH": Action(_ends_with),
    "IN": Action(_key_in, _members),
    "NOT_IN": Action(_key_not_in, _members),
    "KEY_IN_VALUE": Action(_key_in, _members),
    "KEY_NOT_IN_VALUE": Action(_key_not_in, _members),
    "VALUE_IN_KEY": Action(operator.contains),
    "VALUE_NOT_IN_KEY": Action(_value_not_in_key),
    "ALL_IN_VALUE": Action(_all_in_value, _members),
    "ANY_IN_VALUE": Action(_any_in_value, _members),
    "NONE_IN_VALUE": Action(_none_in_value, _members),
    "SCHEDULE_BETWEEN_TIME_RANGE": Action(_in_time_range, _time_window, reads_clock=True),
    "SCHEDULE_BETWEEN_DATETIME_RANGE": Action(
        _in_datetime_range, _datetime_window, reads_clock=True
    ),
    "SCHEDULE_BETWEEN_DAYS_OF_WEEK": Action(_on_days, _weekdays, reads_clock=True),
    "MODULO_RANGE": Action(_in_modulo_range, _modulo_bounds),
}
"""Every action Powertools accepts, in its own order."""

ACTIONS = tuple(ACTIONS_BY_NAME)
"""Every action's name, in Powertools' order."""

Condition = tuple[Callable[[Any, Any], Any], str, Any]
"""A compiled condition on the context: ``(test, key, prepared value)``."""


def _never(found: Any, value: Any) -> bool:
    return False


def compile_rule(
    conditions: Sequence[Mapping[str, Any]], clock: Clock
) -> tuple[tuple[Condition, ...], tuple[tuple[Callable[[Any, Any], Any], Any], ...]]:
    """A rule's validated conditions as ``(test, key, value)`` triples on the context, and
    ``(test, value)`` pairs on the clock."""
    on_context: list[Condition] = []
    on_clock: list[tuple[Callable[[Any, Any], Any], Any]] = []
    for condition in conditions:
        action = ACTIONS_BY_NAME.get(condition["action"])
        if action is None:  # validation rejects it: never reached from a valid document
            on_clock.append((_never, None))
            continue
        value = condition["value"]
        if action.prepare is not None:
            value = action.prepare(value, clock)
        test = _never if value is _NEVER else action.test
        if action.reads_clock:
            on_clock.append((test, value))
        else:
            on_context.append((test, condition["key"], value))
    return tuple(on_context), tuple(on_clock)


def compile_rules(
    rules: Sequence[RuleSpec], fallback: Any, clock: Clock
) -> Callable[[Context], Any]:
    """A flag's rules as one function of the context: the answer of the first rule, in
    order, whose conditions all hold, else ``fallback``. A condition whose test raises is a
    non-match of its rule, and so is one on a context whose ``get`` cannot be read.

    A rule's conditions on the clock are tried after those on the context: all must hold
    and none has side effects, so the order changes no answer, and a rule without any
    (the usual) pays nothing for them.
    """
    compiled = tuple((*compile_rule(conditions, clock), answer) for conditions, answer in rules)

    def first_match(context: Context) -> Any:
        get: Callable[[str, Any], Any]
        try:
            get = context.get
        except Exception:  # noqa: BLE001 - a property that raises: no key can be read, and
            get = _EMPTY.get  # it reads as empty: each condition on it fails, the clock's hold
        for on_context, on_clock, answer in compiled:
            try:
                for test, key, value in on_context:
                    found = get(key, _MISSING)
                    if found is _MISSING or not test(found, value):
                        break
                else:
                    if not on_clock or all(test(None, value) for test, value in on_clock):
                        return answer
            except Exception:  # noqa: BLE001, S112 - an operand error is a non-match, as in Powertools
                continue
        return fallback

    return first_match


def all_hold(conditions: Sequence[Mapping[str, Any]], clock: Clock) -> Callable[[Context], bool]:
    """Whether a rule's conditions all hold for a context (for explaining a flag)."""
    rule: Callable[[Context], bool] = compile_rules(((conditions, True),), False, clock)
    return rule
