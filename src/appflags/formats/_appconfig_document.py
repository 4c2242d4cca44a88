"""The stored AppConfig feature-flag document: ``{"version": "1", "flags": ..., "values": ...}``.

Validation adds to the JSON Schema what AppConfig checks when a version is created:
attribute values against their constraints, variants (the default last and rule-less,
names unique) and rule syntax. Compilation turns basic flags into static answers and
multi-variant flags into closures that try each variant's compiled rule in order.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from datetime import date
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem
from appflags._evaluation import Reason
from appflags._log import logger
from appflags.formats._base import USE_DEFAULT, Compiled, Resolved, Rule
from appflags.formats._schemas import json_type

if TYPE_CHECKING:
    from collections.abc import Mapping

    from appflags.rules._appconfig_compiler import Predicate
    from appflags.rules._appconfig_parser import Expr

# The rule language (parser, compiler, re2, the split's arithmetic) loads with the first
# multi-variant flag: a document of basic flags, what a cold start mostly reads, never
# needs it.

_VALUE_META = frozenset(("enabled", "_createdAt", "_updatedAt", "_variants"))
VARIANT_KEY = "_variant"
"""``flag._variant`` answers the name of the variant that answered ``flag``."""


# ---------------------------------------------------------------------------- validate


def document_problems(doc: dict[str, Any]) -> list[Problem]:
    """AppConfig's checks beyond the schema, for a document the schema accepted."""
    found: list[Problem] = []
    flags: dict[str, Any] = doc.get("flags", {})
    values: dict[str, Any] = doc.get("values", {})
    for name, definition in flags.items():
        found += _definition_problems(f"$.flags.{name}", definition)
    for name, value in values.items():
        path = f"$.values.{name}"
        if name not in flags:
            found.append(Problem(path, f"flag {name!r} has a value but no definition in $.flags"))
            continue
        attributes = _Attributes(name, flags[name].get("attributes", {}))
        variants = value.get("_variants")
        enforce_required = variants is None and value.get("enabled", False)
        found += attributes.problems(
            _attribute_values(value), path, enforce_required=enforce_required
        )
        if variants is not None:
            found += _variant_problems(name, attributes, variants, f"{path}._variants")
    return sorted(found, key=lambda p: p.path)


def _definition_problems(path: str, definition: dict[str, Any]) -> list[Problem]:
    found = []
    when = definition.get("_deprecation", {}).get("date")
    if when is not None and _date(when) is None:
        found.append(Problem(f"{path}._deprecation.date", "must be a date, YYYY-MM-DD"))
    for attribute, spec in definition.get("attributes", {}).items():
        constraints = spec.get("constraints")
        if constraints is not None:
            found += _constraint_problems(constraints, f"{path}.attributes.{attribute}.constraints")
    return found


def _constraint_problems(constraints: dict[str, Any], path: str) -> list[Problem]:
    found = []
    pattern = constraints.get("pattern")
    if pattern is not None:
        try:
            _pattern(pattern)
        except re.error as exc:
            found.append(Problem(f"{path}.pattern", f"invalid regular expression: {exc.msg}"))
    low, high = constraints.get("minimum"), constraints.get("maximum")
    if low is not None and high is not None and low > high:
        found.append(Problem(path, "minimum is greater than maximum"))
    if "elements" in constraints:
        found += _constraint_problems(constraints["elements"], f"{path}.elements")
    return found


class _Attributes:
    """A flag's attribute definitions, checking attribute values against them."""

    def __init__(self, flag: str, definitions: dict[str, Any]) -> None:
        self.flag = flag
        self.definitions = definitions

    def problems(
        self, values: dict[str, Any], path: str, *, enforce_required: bool
    ) -> list[Problem]:
        found = []
        for attribute, value in values.items():
            spec = self.definitions.get(attribute)
            where = f"$.flags.{self.flag}.attributes.{attribute}"
            if spec is None:
                found.append(
                    Problem(
                        f"{path}.{attribute}",
                        f"attribute {attribute!r} is not defined in $.flags.{self.flag}.attributes",
                    )
                )
            elif "constraints" in spec:
                found += _value_problems(
                    value, spec["constraints"], f"{path}.{attribute}", f"{where}.constraints"
                )
        if enforce_required:
            for attribute, spec in self.definitions.items():
                if spec.get("constraints", {}).get("required") and attribute not in values:
                    found.append(Problem(path, f"required attribute {attribute!r} is missing"))
        return found


def _value_problems(
    value: Any, constraints: dict[str, Any], path: str, where: str
) -> list[Problem]:
    """A value against its constraints. Messages name the rule broken, never the value."""
    kind, found = constraints["type"], json_type(value)
    if kind != found:
        return [Problem(path, f"expected {kind} ({where}), got {found}")]
    problem = _CHECKS[kind](value, constraints, where) if kind in _CHECKS else None
    if problem is not None:
        return [Problem(path, problem)]
    if kind == "array" and "elements" in constraints:
        problems = []
        for index, item in enumerate(value):
            problems += _value_problems(
                item, constraints["elements"], f"{path}[{index}]", f"{where}.elements"
            )
        return problems
    return []


def _number_problem(value: float, constraints: dict[str, Any], where: str) -> str | None:
    low, high = constraints.get("minimum"), constraints.get("maximum")
    if low is not None and value < low:
        return f"is less than the minimum {low} ({where})"
    if high is not None and value > high:
        return f"is greater than the maximum {high} ({where})"
    return None


def _string_problem(value: str, constraints: dict[str, Any], where: str) -> str | None:
    pattern = constraints.get("pattern")
    try:
        if pattern is not None and not _pattern(pattern).search(value):
            return f"does not match the pattern {pattern!r} ({where})"
    except re.error:
        pass  # reported once, at the constraint's definition

    allowed = constraints.get("enum")
    # AppConfig's enum may list integers for a string attribute; they match their text.
    if allowed is not None and value not in {str(a) for a in allowed}:
        return f"is not one of the {len(allowed)} values of {where}.enum"
    return None


_CHECKS: dict[str, Any] = {"number": _number_problem, "string": _string_problem}


def _variant_problems(
    flag: str, attributes: _Attributes, variants: list[dict[str, Any]], path: str
) -> list[Problem]:
    found = []
    seen: dict[str, int] = {}
    last = len(variants) - 1
    for index, variant in enumerate(variants):
        here = f"{path}[{index}]"
        name = variant["name"]
        if name in seen:
            found.append(
                Problem(
                    f"{here}.name", f"variant name {name!r} is already used by {path}[{seen[name]}]"
                )
            )
        seen.setdefault(name, index)
        rule = variant.get("rule")
        if index == last:
            if _has_rule(rule):
                found.append(
                    Problem(
                        f"{here}.rule", "the last variant is the default variant: it has no rule"
                    )
                )
        elif rule is None:
            found.append(Problem(here, "only the last variant (the default) may omit its rule"))
        else:
            from appflags.rules._appconfig_parser import RuleSyntaxError  # noqa: PLC0415

            try:
                compiled_rule(rule, flag)
            except RuleSyntaxError as exc:
                found.append(Problem(f"{here}.rule", f"invalid rule: {exc.render(rule)}"))
        found += attributes.problems(
            variant.get("attributeValues", {}),
            f"{here}.attributeValues",
            enforce_required=variant["enabled"],
        )
    return found


def _has_rule(rule: str | None) -> bool:
    # An empty rule on the default variant is what some editors save for "no rule".
    return rule is not None and rule.strip() != ""


def _attribute_values(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in _VALUE_META}


def _date(text: str) -> date | None:
    # The pattern first: from 3.11 fromisoformat also reads ten characters as an ISO week
    # date ("2024-W20-3"), which 3.10 refuses; the document takes YYYY-MM-DD on every version.
    if re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2024-02-30
        return None


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=4096)
def compiled_rule(text: str, flag: str) -> tuple[Expr, Predicate]:
    """Parse and compile a rule once; reused by validation, compilation and new versions.

    Compiled predicates are pure functions of the context, so sharing them is safe.
    """
    from appflags.rules._appconfig_compiler import compile_expr  # noqa: PLC0415 - see above
    from appflags.rules._appconfig_parser import parse_rule  # noqa: PLC0415

    expr = parse_rule(text)
    return expr, compile_expr(expr, flag=flag)


# ----------------------------------------------------------------------------- compile


def compile_document(doc: dict[str, Any]) -> Compiled:
    """Compile a stored document that :func:`document_problems` accepted."""
    flags: dict[str, Any] = doc.get("flags", {})
    values: dict[str, Any] = doc.get("values", {})
    static: dict[str, Resolved] = {}
    rules: dict[str, Rule] = {}
    disabled: set[str] = set()
    for name, definition in flags.items():
        value = values.get(name, {})
        deprecation = definition.get("_deprecation") or {}
        if "_variants" not in value and not value.get("enabled", False):
            disabled.add(name)
        if "_variants" in value or deprecation.get("status") == "planned":
            spec = json.dumps([name, definition, value], sort_keys=True, separators=(",", ":"))
            rules.update(_flag_rules(spec))
        else:
            _compile_basic(name, list(definition.get("attributes", {})), value, static)
    return Compiled(static=static, rules=rules, features=tuple(flags), disabled=frozenset(disabled))


@functools.lru_cache(maxsize=1024)
def _flag_rules(spec: str) -> tuple[tuple[str, Rule], ...]:
    """The rules of one multi-variant or deprecated flag, by its JSON text.

    A new version of a profile mostly repeats its flags: the same text gives back the same
    closures, so unchanged flags are neither recompiled nor reported as changed.
    """
    name, definition, value = json.loads(spec)
    attributes = list(definition.get("attributes", {}))
    deprecation = definition.get("_deprecation") or {}
    notice = _Notice(name, deprecation.get("date"))
    planned = deprecation.get("status") == "planned"
    rules: dict[str, Rule] = {}
    if "_variants" in value:
        _compile_variants(name, attributes, value["_variants"], rules, notice if planned else None)
    else:
        # A deprecated basic flag: its keys take rules that check one slot and then answer
        # as before, so other flags keep their static speed and the log happens once.
        static: dict[str, Resolved] = {}
        _compile_basic(name, attributes, value, static)
        rules = {key: _noticed(notice, _constant(answer)) for key, answer in static.items()}
    return tuple(rules.items())


def _compile_basic(
    name: str, attributes: list[str], value: dict[str, Any], static: dict[str, Resolved]
) -> None:
    # A value without "enabled" (or a flag without a value) is off: the safe reading.
    enabled = value.get("enabled", False)
    static[name] = Resolved(enabled, None, Reason.STATIC if enabled else Reason.DISABLED)
    for attribute in dict.fromkeys([*attributes, *_attribute_values(value)]):
        key = f"{name}.{attribute}"
        if not enabled:
            static[key] = Resolved(USE_DEFAULT, None, Reason.DISABLED)
        elif attribute in value:
            static[key] = Resolved(value[attribute], None, Reason.STATIC)
        else:  # defined without a value: the caller's default, and no error
            static[key] = Resolved(USE_DEFAULT, None, Reason.DEFAULT)


def _compile_variants(
    name: str,
    attributes: list[str],
    variants: list[dict[str, Any]],
    rules: dict[str, Rule],
    notice: _Notice | None,
) -> None:
    from appflags.rules._appconfig_compiler import rests_on_split  # noqa: PLC0415 - see above
    from appflags.rules._explain import Variant, register  # noqa: PLC0415

    compiled: list[Variant] = []
    last = len(variants) - 1
    for index, variant in enumerate(variants):
        if index == last:
            compiled.append(Variant(variant["name"], None, None, Reason.DEFAULT))
            continue
        expr, predicate = compiled_rule(variant["rule"], name)
        reason = Reason.SPLIT if rests_on_split(expr) else Reason.TARGETING_MATCH
        compiled.append(Variant(variant["name"], variant["rule"], predicate, reason))
    explained = tuple(compiled)
    predicates = tuple(v.predicate for v in compiled if v.predicate is not None)

    variant_key = f"{name}.{VARIANT_KEY}"
    answers: dict[str, list[Resolved]] = {name: [], variant_key: []}
    names = [*attributes, *(a for v in variants for a in v.get("attributeValues", {}))]
    for attribute in dict.fromkeys(names):
        answers[f"{name}.{attribute}"] = []
    for chosen, spec in zip(compiled, variants, strict=True):
        enabled, values = spec["enabled"], spec.get("attributeValues", {})
        for key, per_variant in answers.items():
            if key == name:
                answer: Any = enabled
            elif key == variant_key:
                answer = chosen.name
            else:
                attribute = key[len(name) + 1 :]
                # A disabled variant answers like a disabled flag: no attribute values.
                answer = values[attribute] if enabled and attribute in values else USE_DEFAULT
            per_variant.append(Resolved(answer, chosen.name, chosen.reason))
    for key, per_variant in answers.items():
        rule = _choose(tuple(zip(predicates, per_variant[:-1], strict=True)), per_variant[-1])
        if notice is not None:
            rule = _noticed(notice, rule)
        rules[key] = rule
        register(rule, name, explained)


def _choose(tried: tuple[tuple[Predicate, Resolved], ...], default: Resolved) -> Rule:
    """The first variant whose rule is true answers; the default variant otherwise."""

    def choose(context: Mapping[str, Any]) -> Resolved:
        for predicate, answer in tried:
            if predicate(context) is True:
                return answer
        return default

    return choose


# -------------------------------------------------------------------------- deprecation

_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


class _Notice:
    """Logs once per flag key per process that a flag planned for deprecation was used."""

    __slots__ = ("date", "done", "flag")

    def __init__(self, flag: str, when: str | None) -> None:
        self.flag = flag
        self.date = when
        self.done = False

    def __call__(self) -> None:
        self.done = True
        with _WARNED_LOCK:
            if self.flag in _WARNED:
                return
            _WARNED.add(self.flag)
        logger.warning("appflags.flag_deprecated", flag=self.flag, date=self.date)


def _constant(answer: Resolved) -> Rule:
    return lambda _context: answer


def _noticed(notice: _Notice, inner: Rule) -> Rule:
    """``inner``, after telling ``notice`` on the first call."""

    def rule(context: Mapping[str, Any]) -> Resolved:
        if not notice.done:
            notice()
        return inner(context)

    return rule
