"""Powertools' handling of a comparison that raises, for ``appflags.compat.powertools`` only.

A :class:`appflags.Flags` decides that a condition whose comparison raises (``"5" > 3``,
``STARTSWITH`` on a number) does not match, silently: a lookup never raises, logs or calls
back. Powertools' ``FeatureFlags`` also warns (``PowertoolsUserWarning``, naming the
condition but no value) and calls a registered ``validation_exception_handler``, whose
answer becomes the condition's. The compat ``FeatureFlags`` does the same by walking a
flag's rules as Powertools does: appflags' compiled conditions decide every match, and on
a non-match Powertools' own comparison is run on the same operands, only to learn whether
Powertools would have seen an exception, and which.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appflags.rules._powertools_actions import all_hold

if TYPE_CHECKING:
    from appflags._clock import Clock

Condition = Callable[[Mapping[str, Any]], bool]
"""One compiled condition: whether the context (and the clock) satisfies it."""


def _list_context(action: str) -> Callable[[Any, Any], object]:
    def compare(found: Any, value: Any) -> object:
        if not isinstance(found, list):
            # Powertools' exception type: the handler registered for it must be the one called.
            raise ValueError(f"{action}: the context value is not a list")  # noqa: TRY004
        return [key in value for key in found]

    return compare


def _modulo(found: Any, value: Any) -> object:
    return value.get("START", 1) <= found % value.get("BASE", 1) <= value.get("END", 1)


# Powertools' comparison per action (context value, condition value), run only to see
# whether it raises. The SCHEDULE_* actions compare the clock, never the context: absent.
_COMPARISONS: dict[str, Callable[[Any, Any], object]] = {
    "EQUALS": operator.eq,
    "NOT_EQUALS": operator.ne,
    "KEY_GREATER_THAN_VALUE": operator.gt,
    "KEY_GREATER_THAN_OR_EQUAL_VALUE": operator.ge,
    "KEY_LESS_THAN_VALUE": operator.lt,
    "KEY_LESS_THAN_OR_EQUAL_VALUE": operator.le,
    "STARTSWITH": lambda found, value: found.startswith(value),
    "ENDSWITH": lambda found, value: found.endswith(value),
    "IN": lambda found, value: found in value,
    "NOT_IN": lambda found, value: found in value,
    "KEY_IN_VALUE": lambda found, value: found in value,
    "KEY_NOT_IN_VALUE": lambda found, value: found in value,
    "VALUE_IN_KEY": lambda found, value: value in found,
    "VALUE_NOT_IN_KEY": lambda found, value: value in found,
    "ALL_IN_VALUE": _list_context("ALL_IN_VALUE"),
    "ANY_IN_VALUE": _list_context("ANY_IN_VALUE"),
    "NONE_IN_VALUE": _list_context("NONE_IN_VALUE"),
    "MODULO_RANGE": _modulo,
}


@dataclass(frozen=True, slots=True)
class Failure:
    """A comparison that raised: where, and the exception Powertools' comparison raised."""

    feature: str
    rule: str
    key: str
    action: str
    error: Exception
    key_present: bool


OnFailure = Callable[[Failure], bool]
"""Told of a comparison that raised; answers whether the condition matches."""


@dataclass(frozen=True, slots=True)
class _Condition:
    key: str
    action: str
    value: Any
    matches: Condition
    compare: Callable[[Any, Any], object] | None


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    when_match: Any
    conditions: tuple[_Condition, ...]


@dataclass(frozen=True, slots=True)
class _Feature:
    default: Any
    boolean: bool
    rules: tuple[_Rule, ...]


class CheckedDocument:
    """One valid Powertools document, walked as Powertools walks it."""

    def __init__(self, document: Mapping[str, Any], clock: Clock) -> None:
        """Compile ``document``'s conditions (it was validated already)."""
        self.document = document
        self._features: dict[str, _Feature] = {}
        for name, feature in document.items():
            rules = tuple(
                _Rule(
                    rule_name,
                    rule.get("when_match"),
                    tuple(
                        _Condition(
                            c["key"],
                            c["action"],
                            c.get("value"),
                            all_hold([c], clock),
                            _COMPARISONS.get(c["action"]),
                        )
                        for c in rule.get("conditions") or ()
                    ),
                )
                for rule_name, rule in (feature.get("rules") or {}).items()
            )
            self._features[name] = _Feature(
                feature.get("default"), feature.get("boolean_type", True), rules
            )
        # Only flags with a comparison that can raise need the walk.
        self.fallible = frozenset(
            name
            for name, feature in self._features.items()
            if any(c.compare is not None for r in feature.rules for c in r.conditions)
        )

    def value(self, name: str, context: Mapping[str, Any], on_failure: OnFailure) -> Any:
        """The flag's value for ``context`` as Powertools computes it (a copy)."""
        feature = self._features[name]
        for rule in feature.rules:
            if self._matches(name, rule, context, on_failure):
                value = rule.when_match
                return bool(value) if feature.boolean else copy.deepcopy(value)
        value = feature.default
        return bool(value) if feature.boolean else copy.deepcopy(value)

    @staticmethod
    def _matches(name: str, rule: _Rule, context: Mapping[str, Any], on_failure: OnFailure) -> bool:
        if not rule.conditions:
            return False  # Powertools: a rule without conditions never matches
        for condition in rule.conditions:
            if condition.matches(context):
                continue
            failure = _failure(name, rule.name, condition, context)
            if failure is None or not on_failure(failure):
                return False
        return True


def _failure(
    feature: str, rule: str, condition: _Condition, context: Mapping[str, Any]
) -> Failure | None:
    if condition.compare is None:
        return None
    try:
        present = condition.key in context
        found = context.get(condition.key)
    except Exception:  # noqa: BLE001 - a context that cannot be read: a plain non-match
        return None
    try:
        condition.compare(found, condition.value)
    except Exception as exc:  # noqa: BLE001 - the exception is what Powertools reports
        return Failure(feature, rule, condition.key, condition.action, exc, present)
    return None
