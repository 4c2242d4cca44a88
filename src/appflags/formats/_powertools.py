"""``powertools``: the feature-flag schema of Powertools for AWS Lambda (Python).

The document Powertools' ``feature_flags`` utility reads from a freeform AppConfig
profile, unchanged::

    {"premium": {"default": false,
                 "rules": {"gold tier": {"when_match": true,
                                         "conditions": [{"action": "EQUALS",
                                                         "key": "tier", "value": "gold"}]}}},
     "banner": {"default": {"color": "blue"}, "boolean_type": false}}

The flag name is the key. A boolean flag (``boolean_type`` absent or truthy) answers
boolean lookups; a non-boolean flag's value answers the typed lookup of its type. Rules
are tried in document order and the first whose conditions all match answers its
``when_match`` (``TARGETING_MATCH``, variant = the rule name); otherwise the flag's
``default`` answers (``DEFAULT``). A flag without rules is ``STATIC`` and costs one dict
lookup. Validation accepts and rejects exactly what Powertools' ``SchemaValidator`` does,
with the JSON path of every problem.
"""

from __future__ import annotations

import json
import marshal
from functools import partial
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem
from appflags._evaluation import Reason
from appflags.formats._base import Clock, Compiled, Resolved
from appflags.formats._detect import flag_shape
from appflags.formats._schemas import json_path, problems, project_validator

if TYPE_CHECKING:
    from appflags.formats._base import Rule
    from appflags.rules._explain import Variant
    from appflags.rules._powertools_actions import RuleSpec

# The condition actions (and dateutil with them) load with the first flag that has rules:
# most Powertools documents are plain switches, which a cold start answers without them.

SCHEMA = "powertools.schema.json"


class PowertoolsFormat:
    """Powertools for AWS Lambda ``feature_flags`` documents."""

    name = "powertools"

    def detect(self, doc: Any) -> bool:
        """Every top-level value an object, some with ``default`` and none with ``enabled``.

        AppConfig's retrieval form (``{"flag": {"enabled": true}}``) is told apart by
        ``enabled``; see :mod:`appflags.formats._detect`.
        """
        return flag_shape(doc) == self.name

    def validate(self, doc: Any) -> list[Problem]:
        """Powertools' schema rules: the project schema, then what JSON Schema cannot say."""
        found = problems(project_validator(SCHEMA), doc)
        if isinstance(doc, dict):
            found += _semantic_problems(doc)
        return sorted(found, key=lambda p: p.path)

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        """Every flag to a static answer or a function of the context over its rules."""
        static: dict[str, Resolved] = {}
        ruled: dict[str, Any] = {}
        for name, feature in doc.items():
            if feature.get("rules"):
                ruled[name] = feature
            else:
                static[name] = Resolved(feature["default"], None, Reason.STATIC)
        # Every flag, in document order, as Powertools' get_enabled_features considers them:
        # enabled_features() keeps those answering True (a non-boolean flag can, too), and
        # the compat FeatureFlags those answering any truthy value, as Powertools does.
        return Compiled(
            static=static, rules=_compile_rules(ruled, clock) if ruled else {}, features=tuple(doc)
        )


def _compile_rules(ruled: dict[str, Any], clock: Clock) -> dict[str, Rule]:
    """The flags that have rules, each to a function of the context."""
    from appflags.rules._explain import register  # noqa: PLC0415 - see the imports
    from appflags.rules._powertools_actions import compile_rules  # noqa: PLC0415

    rules: dict[str, Rule] = {}
    match, fallback = Reason.TARGETING_MATCH, Reason.DEFAULT
    for name, feature in ruled.items():
        flag_rules = feature["rules"]
        # Powertools tests truthiness, so "boolean_type": 0 makes a non-boolean flag.
        boolean = bool(feature.get("boolean_type", True))
        specs: list[RuleSpec] = [
            (
                rule["conditions"],
                # A non-boolean rule may omit when_match: Powertools then answers None.
                Resolved(
                    bool(rule.get("when_match")) if boolean else rule.get("when_match"),
                    rule_name,
                    match,
                ),
            )
            for rule_name, rule in flag_rules.items()
        ]
        default = Resolved(feature["default"], None, fallback)
        rules[name] = rule = compile_rules(specs, default, clock)
        # For `appflags eval --explain`: the rules, compiled again one by one and worked
        # into variants only when an explanation is asked for.
        register(rule, name, partial(_variants, _packed(flag_rules), clock))
    return rules


def _packed(flag_rules: dict[str, Any]) -> bytes | dict[str, Any]:
    """A flag's rules kept for explaining them: one compact ``marshal`` string rather
    than the document's objects (a sixth of their memory); the rules themselves where
    marshal cannot write them."""
    try:
        return marshal.dumps(flag_rules, 2)
    except ValueError:
        return flag_rules


def _variants(packed: bytes | dict[str, Any], clock: Clock) -> tuple[Variant, ...]:
    """A flag's rules as :mod:`~appflags.rules._explain` variants, then its default."""
    from appflags.rules._explain import Variant  # noqa: PLC0415 - see the imports
    from appflags.rules._powertools_actions import all_hold  # noqa: PLC0415

    flag_rules = marshal.loads(packed) if isinstance(packed, bytes) else packed  # noqa: S302 - our own bytes
    return (
        *(
            Variant(
                rule_name,
                json.dumps(rule["conditions"]),
                all_hold(rule["conditions"], clock),
                Reason.TARGETING_MATCH,
            )
            for rule_name, rule in flag_rules.items()
        ),
        Variant("(default)", None, None, Reason.DEFAULT),
    )


def _semantic_problems(doc: dict[str, Any]) -> list[Problem]:
    """The checks Powertools makes that JSON Schema cannot express.

    Only shapes the schema accepts are examined here; anything else already has a problem.
    """
    if not any(isinstance(feature, dict) and feature.get("rules") for feature in doc.values()):
        return []  # plain switches: no condition to check, no actions to load
    from appflags.rules._powertools_actions import SCHEDULE_KEYS  # noqa: PLC0415 - see the imports

    found: list[Problem] = []
    for name, feature in doc.items():
        flag_rules = feature.get("rules") if isinstance(feature, dict) else None
        if not isinstance(flag_rules, dict):
            continue
        for rule_name, rule in flag_rules.items():
            conditions = rule.get("conditions") if isinstance(rule, dict) else None
            if not isinstance(conditions, list):
                continue
            for index, condition in enumerate(conditions):
                if not isinstance(condition, dict):
                    continue
                value = condition.get("value")
                action = condition.get("action")
                if not isinstance(value, dict) or not isinstance(action, str):
                    continue
                where = (name, "rules", rule_name, "conditions", index, "value")
                if action in SCHEDULE_KEYS:
                    found += _time_zone_problems(value, where)
                if action == "SCHEDULE_BETWEEN_DATETIME_RANGE":
                    found += _datetime_problems(value, where)
                elif action == "MODULO_RANGE":
                    found += _modulo_problems(value, where)
    return found


def _time_zone_problems(value: dict[str, Any], where: tuple[Any, ...]) -> list[Problem]:
    # Powertools validates `TIMEZONE or "UTC"`; a non-string is the schema's business.
    from appflags.rules._powertools_actions import time_zone  # noqa: PLC0415 - see the imports

    zone = value.get("TIMEZONE") or "UTC"
    if isinstance(zone, str) and time_zone(zone) is None:
        return [Problem(json_path((*where, "TIMEZONE")), "is not a known IANA time zone")]
    return []


def _datetime_problems(value: dict[str, Any], where: tuple[Any, ...]) -> list[Problem]:
    from appflags.rules._powertools_actions import parse_local_datetime  # noqa: PLC0415

    found = []
    for bound in ("START", "END"):
        text = value.get(bound)
        if not isinstance(text, str):
            continue
        parsed = parse_local_datetime(text)
        if parsed is None:
            message = "must be an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)"
        elif parsed.tzinfo is not None:
            message = "must not carry a UTC offset or Z: the zone comes from TIMEZONE"
        else:
            continue
        found.append(Problem(json_path((*where, bound)), message))
    return found


def _modulo_problems(value: dict[str, Any], where: tuple[Any, ...]) -> list[Problem]:
    numbers = {}
    found = []
    for part in ("BASE", "START", "END"):
        number = value.get(part)
        # The schema's "integer" admits 5.0; Powertools (isinstance int) does not.
        if isinstance(number, float):
            found.append(Problem(json_path((*where, part)), "must be an integer, not a float"))
        elif isinstance(number, int):
            numbers[part] = number
    if len(numbers) == 3 and not (0 <= numbers["START"] <= numbers["END"] <= numbers["BASE"] - 1):
        found.append(Problem(json_path(where), "must satisfy 0 <= START <= END <= BASE - 1"))
    return found
