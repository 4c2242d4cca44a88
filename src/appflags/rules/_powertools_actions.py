"""The condition actions of Powertools for AWS Lambda ``feature_flags``, as closures.

Each condition ``{"action", "key", "value"}`` compiles once into a function of the context
that answers exactly what Powertools' comparator answers for the same context and time:

- a key missing from the context never satisfies a condition, not even a negative one
  (``NOT_EQUALS``, ``NOT_IN``...);
- a comparison that raises (``"5" > 3``, ``STARTSWITH`` on a number) is a non-match, and
  so is a context whose ``get`` raises (where Powertools raises);
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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from dateutil.tz import gettz

if TYPE_CHECKING:
    from appflags._clock import Clock
    from appflags.formats._base import Context

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
        try:
            found = context.get(key, _MISSING)
            if found is _MISSING:
                return False
            present = found in members if type(found) in _PLAIN else found in value
        except Exception:  # noqa: BLE001
            return False
        return present

    return condition


def _key_not_in(key: str, value: Any, clock: Clock) -> Condition:
    members = _members(value)

    def condition(context: Context) -> bool:
        try:
            found = context.get(key, _MISSING)
            if found is _MISSING:
                return False
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
            try:
                found = context.get(key, _MISSING)
                if not isinstance(found, list):
                    return False
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


# ------------------------------------------------------------- a flag's rules, fused

# A flag's rules compile to one function whose source spells out its conditions: a rule
# then costs no call per condition, and the context's ``get`` is looked up once. The
# commonest actions are written inline, as the expressions below (what their closures
# compute, without the call); every other action calls its closure. The source names a
# condition's key {k}, value {v}, and the value's frozenset stand-in {m} (see _members);
# M is the sentinel a missing key reads as, which equals no JSON value.
_INLINE = {
    "EQUALS": "get({k}, M) == {v}",
    "NOT_EQUALS": "(f := get({k}, M)) is not M and f != {v}",
    "KEY_GREATER_THAN_VALUE": "(f := get({k}, M)) is not M and f > {v}",
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": "(f := get({k}, M)) is not M and f >= {v}",
    "KEY_LESS_THAN_VALUE": "(f := get({k}, M)) is not M and f < {v}",
    "KEY_LESS_THAN_OR_EQUAL_VALUE": "(f := get({k}, M)) is not M and f <= {v}",
    "STARTSWITH": "(f := get({k}, M)) is not M and f.startswith({v})",
    "ENDSWITH": "(f := get({k}, M)) is not M and f.endswith({v})",
    "IN": "(f := get({k}, M)) is not M and (f in {m} if type(f) in PLAIN else f in {v})",
    "NOT_IN": "(f := get({k}, M)) is not M and not (f in {m} if type(f) in PLAIN else f in {v})",
}
_INLINE["KEY_IN_VALUE"] = _INLINE["IN"]
_INLINE["KEY_NOT_IN_VALUE"] = _INLINE["NOT_IN"]

Shape = tuple[tuple[str | None, ...], ...]
"""A flag's rules as the fused function's source sees them: per rule, each condition's
inline expression, or ``None`` for a condition that calls its closure."""

RuleSpec = tuple[Sequence[Mapping[str, Any]], Any]
"""A rule as it is fused: its validated conditions, and what it answers when they hold."""

_MAKERS: dict[Shape, Callable[..., Callable[[Context], Any]]] = {}
"""Each shape's compiled source, shared by every flag of that shape in the process."""
_MAKERS_KEPT = 256


def shape_of(rules: Sequence[RuleSpec]) -> Shape:
    """The shape of a flag's rules: flags of one shape share one compiled source."""
    return tuple(
        tuple([_INLINE.get(condition["action"]) for condition in conditions])
        for conditions, _answer in rules
    )


def compiled_shape(shape: Shape) -> bool:
    """Whether a flag of ``shape`` fuses without compiling source."""
    return shape in _MAKERS


def fuse(shape: Shape, rules: Sequence[RuleSpec], fallback: Any, clock: Clock) -> Any:
    """A flag's rules as one function of the context: the answer of the first rule, in
    order, whose conditions all hold, else ``fallback``; the same answers as the rules'
    closures tried one by one (a condition that raises is a non-match of its rule).

    The source is made once per shape (see :func:`_maker`) and holds only the names it
    makes up (``k0_1``, ``v0_1``, ``a0``...): every key, value and answer reaches the
    function as an argument of its maker, never as source text.
    """
    maker = _MAKERS.get(shape)
    if maker is None:
        if len(_MAKERS) >= _MAKERS_KEPT:
            _MAKERS.clear()
        maker = _MAKERS[shape] = _maker(shape)
    arguments: list[Any] = []
    for conditions, answer in rules:
        for condition in conditions:
            action, key, value = condition["action"], condition["key"], condition["value"]
            inline = _INLINE.get(action)
            if inline is None:
                arguments.append(compile_condition(action, key, value, clock))
            elif "{m}" in inline:
                arguments += (key, value, _members(value))
            else:
                arguments += (key, value)
        arguments.append(answer)
    arguments.append(fallback)
    return maker(*arguments)


def _maker(shape: Shape) -> Callable[..., Callable[[Context], Any]]:
    """Compile the function that makes a flag's fused rules of ``shape``.

    For a rule ``EQUALS`` then ``IN``, followed by a rule of one ``MODULO_RANGE``::

        def make(k0_0, v0_0, k0_1, v0_1, m0_1, a0, c1_0, a1, fallback):
            def fused(context):
                try:
                    get = context.get
                except Exception:
                    get = None
                try:
                    if (get(k0_0, M) == v0_0) and ((f := get(k0_1, M)) is not M and ...):
                        return a0
                except Exception:
                    pass
                try:
                    if (c1_0(context)):
                        return a1
                except Exception:
                    pass
                return fallback
            return fused
    """
    names: list[str] = []
    lines = [
        "    def fused(context):",
        "        try:",
        "            get = context.get",
        "        except Exception:",
        # No key can be read: each condition on the context is then a non-match (its
        # get call raises in its rule's try), as in the closures; the clock's still hold.
        "            get = None",
    ]
    for index, kinds in enumerate(shape):
        tests = []
        for position, inline in enumerate(kinds):
            k, v, m, c = (f"{letter}{index}_{position}" for letter in "kvmc")
            if inline is None:
                names.append(c)
                tests.append(f"({c}(context))")
                continue
            names += (k, v, m) if "{m}" in inline else (k, v)
            tests.append(f"({inline.format(k=k, v=v, m=m)})")
        names.append(f"a{index}")
        lines += [
            "        try:",
            # No conditions (the schema requires one) holds, as in the closures' loop.
            f"            if {' and '.join(tests) or 'True'}:",
            f"                return a{index}",
            "        except Exception:",
            "            pass",
        ]
    source = "\n".join(
        [
            f"def make({', '.join([*names, 'fallback'])}):",
            *lines,
            "        return fallback",
            "    return fused",
        ]
    )
    namespace: dict[str, Any] = {"M": _MISSING, "PLAIN": _PLAIN}
    # Our own source (made-up names, fixed expressions): nothing of the document in it.
    exec(compile(source, "<appflags: fused powertools rules>", "exec"), namespace)  # noqa: S102
    make: Callable[..., Callable[[Context], Any]] = namespace["make"]
    return make
