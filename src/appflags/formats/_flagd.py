"""``flagd``: OpenFeature's flag-definition format, the one flagd reads.

::

    {"flags": {"new-checkout": {
        "state": "ENABLED",
        "variants": {"on": true, "off": false},
        "defaultVariant": "off",
        "targeting": {"if": [{"ends_with": [{"var": "email"}, "@example.com"]}, "on", null]},
        "metadata": {"owner": "checkout"}}},
     "$evaluators": {...}, "metadata": {"flagSetId": "shop"}}

The flag key is the lookup key; it answers the value of the variant it resolves to, and
``Evaluation.variant`` names that variant. Reasons: ``STATIC`` (no targeting),
``TARGETING_MATCH`` (the targeting chose a variant), ``SPLIT`` (a ``fractional`` chose it),
``DEFAULT`` (the targeting returned ``null``, or failed in a flagd operation: the default
variant answers, or the caller's default when ``defaultVariant`` is ``null`` or absent) and
``DISABLED`` (``state: DISABLED``: the caller's default). A targeting result (or a default
variant) that names no variant answers the caller's default with ``ERROR``/``GENERAL``; a
targeting that cannot be compiled, with ``ERROR``/``PARSE_ERROR``: such flags load, as in
flagd, and are listed in ``Compiled.warnings``.

Targeting is compiled once per document by :mod:`appflags.rules._jsonlogic`, with the
``fractional`` bucketing the format was built with (``FlagdFormat(fractional=...)``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from cachetools import LRUCache

from appflags._errors import Problem
from appflags._evaluation import ErrorCode, Reason
from appflags.formats._base import USE_DEFAULT, Clock, Compiled, Context, Resolved, Rule
from appflags.formats._detect import flag_shape
from appflags.formats._schemas import (
    CompiledSchema,
    compile_schema,
    default_engine,
    json_path,
    problems,
    schema_text,
)
from appflags.rules._jsonlogic import Abort, Misuse, RuleError, compile_logic, is_operation
from appflags.rules._jsonlogic._base import MAX_DEPTH, Path
from appflags.rules._jsonlogic._fractional import VERSIONS as FRACTIONAL_VERSIONS
from appflags.rules._jsonlogic._values import js_string, truthy

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from appflags.rules._jsonlogic._base import Node

SCHEMA = "flagd.schema.json"
"""The project schema flagd documents are validated against (in ``schemas/``)."""
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})

Tail = Callable[[Context], Resolved]
"""A compiled result position of a targeting rule: the answer for a context."""


class FlagdFormat:
    """OpenFeature flag definitions (``state``, ``variants``, ``defaultVariant``, ``targeting``).

    ``fractional`` picks how ``fractional`` buckets subjects: ``"v3"`` (the default, current
    flagd: the CBOR encoding of any bucketing value), ``"v2"`` (flagd 0.11 up to the CBOR
    change: UTF-8 strings only) or ``"v1"`` (flagd before 0.11). Pass an instance where a
    format name goes::

        Flags.from_appconfig("shop", "prod", "flags", format=FlagdFormat(fractional="v2"))

    Detection looks for flagd's markers: a document is ``flagd`` when some flag in its
    ``flags`` object is an object with ``state``, ``variants`` or ``defaultVariant``
    (AWS AppConfig's stored document has none of them), or when its ``$schema`` points at
    flagd.dev. Other keys on a flag (``name``, say) are then validation's business.

    Where flagd draws the line, so does this format: a document whose structure flagd's
    schema rejects (a flag without ``state``, mixed variant types...) is rejected whole;
    a flag whose targeting cannot work loads, and answers as flagd does at evaluation
    (``PARSE_ERROR`` for an unknown operator or ``$ref``, ``GENERAL`` for a result that
    names no variant, the default variant for a flagd operation that cannot apply). Those
    flags are listed in ``Compiled.warnings``.
    """

    name = "flagd"

    def __init__(self, *, fractional: str = FRACTIONAL_VERSIONS[0]) -> None:
        if fractional not in FRACTIONAL_VERSIONS:
            choices = ", ".join(repr(v) for v in FRACTIONAL_VERSIONS)
            raise ValueError(f"unknown fractional version {fractional!r}; expected {choices}")
        self.fractional = fractional

    def __repr__(self) -> str:
        return f"FlagdFormat(fractional={self.fractional!r})"

    def detect(self, doc: Any) -> bool:
        """Whether ``doc`` is a flagd document (see the class docstring for the rule)."""
        return flag_shape(doc) == self.name

    def validate(self, doc: Any) -> list[Problem]:
        """The structural problems flagd's schema finds, each once, with its JSON path.

        Targeting and ``$evaluators`` are checked by compiling them (see ``compile``):
        flagd loads rules its schema would flag, and decides at evaluation.
        """
        found = problems(_structure_validator(), doc)
        if not isinstance(doc, dict):
            return found
        found = [p for p in found if not _inside_a_rule(p.path, doc)]
        precise = _variant_problems(doc)
        # About a set of variants, the schema can only say "matches none of the allowed
        # shapes"; where the check says exactly what is wrong, it speaks instead.
        anchors = {anchor for anchor, _ in precise}
        kept = [p for p in found if not any(_within(p.path, anchor) for anchor in anchors)]
        unique = {(p.path, p.message): p for p in [*kept, *(p for _, p in precise)]}
        return sorted(unique.values(), key=lambda p: p.path)

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        """Static answers for flags without targeting, a closure for each targeted flag."""
        evaluators = doc.get("$evaluators") or {}
        set_metadata = doc.get("metadata") or {}
        static: dict[str, Resolved] = {}
        rules: dict[str, Rule] = {}
        metadata: dict[str, Mapping[str, Any]] = {}
        warnings: dict[str, tuple[Problem, ...]] = {}
        features = []
        flags = doc["flags"]
        _make_room(len(flags))
        shared = _definition_key(evaluators)  # every rule may read them: part of each key
        for key, flag in flags.items():
            variants = flag["variants"]
            if variants and all(type(value) is bool for value in variants.values()):
                features.append(key)
            merged = {**set_metadata, **(flag.get("metadata") or {})}
            if merged:
                metadata[key] = MappingProxyType(merged)
            outcomes = _Outcomes(variants, flag.get("defaultVariant"))
            found: tuple[Problem, ...] = ()
            if outcomes.default is outcomes.error:
                where = json_path(("flags", key, "defaultVariant"))
                found = (Problem(where, _UNKNOWN_DEFAULT),)
            targeting = flag.get("targeting")
            if flag["state"] == "DISABLED":
                static[key] = Resolved(USE_DEFAULT, None, Reason.DISABLED)
            elif targeting is None or targeting == {}:
                static[key] = outcomes.static
            else:
                compiled = _reused_targeting(
                    key,
                    flag,
                    outcomes,
                    evaluators,
                    clock,
                    shared=shared,
                    fractional=self.fractional,
                )
                found += compiled.problems
                if compiled.rule is None:
                    static[key] = _PARSE_ERROR
                else:
                    rules[key] = compiled.rule
            if found:
                warnings[key] = found
        return Compiled(
            static=static,
            rules=rules,
            features=tuple(features),
            metadata=metadata,
            warnings=warnings,
        )


_UNKNOWN_DEFAULT = (
    "names a variant that the flag does not define: "
    "the flag answers the caller's default with GENERAL"
)
_PARSE_ERROR = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.PARSE_ERROR)


@functools.cache
def _structure_validator() -> Validator | CompiledSchema:
    """flagd's document structure: the project schema with rules checked as objects only.

    Rules are compiled instead (and reported as warnings, as flagd logs them); skipping
    their schema also keeps validating a large document cheap.
    """
    schema = json.loads(schema_text(SCHEMA))
    schema["$defs"]["targeting"] = {"type": "object"}
    schema["properties"]["$evaluators"]["additionalProperties"] = {"type": "object"}
    if default_engine() == "jsonschema-rs":
        return CompiledSchema(SCHEMA, schema)
    return compile_schema(schema)


def _inside_a_rule(path: str, doc: dict[str, Any]) -> bool:
    """Whether a schema problem lies within a targeting or an evaluator (not at its root).

    The structure schema never reports one; the full schema does, when ``CompiledSchema``
    hands a document Rust cannot read over to the reference engine.
    """
    evaluators = doc.get("$evaluators")
    names = evaluators if isinstance(evaluators, dict) else ()  # not an object: reported
    anchors = [json_path(("$evaluators", name)) for name in names]
    flags = doc.get("flags")
    if isinstance(flags, dict):
        anchors += [json_path(("flags", key, "targeting")) for key in flags]
    return any(path.startswith((anchor + ".", anchor + "[")) for anchor in anchors)


class _Outcomes:
    """Every answer a flag can give, built once: a lookup returns one of these."""

    def __init__(self, variants: Mapping[str, Any], default_variant: str | None) -> None:
        self.match = {
            name: Resolved(v, name, Reason.TARGETING_MATCH) for name, v in variants.items()
        }
        self.split = {name: Resolved(v, name, Reason.SPLIT) for name, v in variants.items()}
        self.error = Resolved(USE_DEFAULT, None, Reason.ERROR, ErrorCode.GENERAL)
        if default_variant is None:
            self.default = Resolved(USE_DEFAULT, None, Reason.DEFAULT)
            self.static = self.default
        elif default_variant not in variants:
            # flagd loads the flag; resolving to its default variant is a GENERAL error.
            self.default = self.static = self.error
        else:
            value = variants[default_variant]
            self.default = Resolved(value, default_variant, Reason.DEFAULT)
            self.static = Resolved(value, default_variant, Reason.STATIC)

    def pick(self, result: Any, split: bool) -> Resolved:  # noqa: FBT001
        """The answer for a targeting result: a variant name, ``true``/``false``, or null."""
        if result is None:
            return self.default
        table = self.split if split else self.match
        kind = type(result)
        if kind is str:
            return table.get(result, self.error)
        if kind is bool or kind is int or kind is float:
            # flagd reads the result as JSON text: true -> "true", 2 -> "2".
            return table.get(js_string(result), self.error)
        return self.error

    def names(self, result: Any) -> bool:
        """Whether a literal targeting result is null or names one of the variants."""
        return result is None or self.pick(result, split=False) is not self.error


class _Targeting(NamedTuple):
    """A flag's compiled targeting: its rule (``None`` when it cannot be compiled: the
    flag answers ``PARSE_ERROR``) and what is wrong with it, if anything."""

    rule: Rule | None
    problems: tuple[Problem, ...]


_RULES: LRUCache[tuple[str, Clock, str, bytes, bytes], _Targeting] = LRUCache(maxsize=4096)
_RULES_LOCK = threading.Lock()  # several Flags may compile documents on their own threads


def _make_room(flags: int) -> None:
    """Let the cache hold twice the flags of the largest document compiled so far.

    With a fixed bound, a document of more flags than the bound evicted its own rules
    while it was being compiled: every new version (and every ``from_dict``) of it compiled
    every targeting again, and no rule object was kept for unchanged flags. Twice the
    largest document keeps one version's rules and the next one's.
    """
    global _RULES  # noqa: PLW0603 - replaced by a larger cache, never shrunk
    with _RULES_LOCK:
        if 2 * flags > _RULES.maxsize:
            larger: LRUCache[tuple[str, Clock, str, bytes, bytes], _Targeting]
            larger = LRUCache(maxsize=2 * flags)
            larger.update(_RULES)
            _RULES = larger


_RAW_KEY_BYTES = 512
"""A definition whose text is at most this long is its own cache key; past it, its digest."""


def _definition_key(value: Any) -> bytes:
    """What tells two definitions apart, type and key order included, at C speed.

    marshal's format 2 writes each type with its own tag (``true``, ``1`` and ``1.0`` differ,
    and so do ``0.0`` and ``-0.0``) and dict keys in document order, which answers show
    (an object variant is answered with its keys in that order). A value marshal cannot
    write (a YAML timestamp) is told apart by its ``repr``. A long text is kept as its
    SHA-256 digest, so the cache stays small however large the rules.
    """
    try:
        text = b"m" + marshal.dumps(value, 2)
    except ValueError:
        text = b"r" + repr(value).encode()
    return text if len(text) <= _RAW_KEY_BYTES else b"#" + hashlib.sha256(text).digest()


def _reused_targeting(
    key: str,
    flag: Mapping[str, Any],
    outcomes: _Outcomes,
    evaluators: Mapping[str, Any],
    clock: Clock,
    *,
    shared: bytes,
    fractional: str,
) -> _Targeting:
    """The flag's compiled targeting, reused while its definition is unchanged.

    A new version of a document then keeps the very same rule objects for the flags it
    did not touch, so comparing snapshots names exactly the flags that changed (and an
    unchanged flag is not compiled again). ``shared`` is ``_definition_key(evaluators)``,
    worked out once per document.
    """
    used = (flag["targeting"], flag["variants"], flag.get("defaultVariant"))
    cache_key = (key, clock, fractional, _definition_key(used), shared)
    with _RULES_LOCK:
        compiled = _RULES.get(cache_key)
    if compiled is None:
        compiled = _compile_targeting(
            key, flag["targeting"], outcomes, evaluators, clock, fractional=fractional
        )
        with _RULES_LOCK:
            compiled = _RULES.setdefault(cache_key, compiled)
    return compiled


def _compile_targeting(
    key: str,
    targeting: Any,
    outcomes: _Outcomes,
    evaluators: Mapping[str, Any],
    clock: Clock,
    *,
    fractional: str,
) -> _Targeting:
    here: Path = ("flags", key, "targeting")
    if type(targeting) is not dict:
        return _Targeting(None, (Problem(json_path(here), _NOT_A_RULE),))
    misuses: list[Misuse] = []

    def expression(node: Any, path: Path) -> Node:
        return compile_logic(
            node,
            flag_key=key,
            evaluators=evaluators,
            clock=clock,
            path=path,
            fractional=fractional,
            misuses=misuses,
        )

    results = _Results(outcomes, expression, evaluators)
    try:
        tail = results.tail(targeting, here, (), 0)
    except RuleError as exc:
        message = f"{exc.message}: the flag answers the caller's default with PARSE_ERROR"
        return _Targeting(None, (Problem(json_path(exc.path), message),))
    found = [
        *results.problems,
        *(Problem(json_path(m.path), f"{m.message}: {_ALWAYS_NULL}") for m in misuses),
    ]
    default = outcomes.default

    def targeting_rule(context: Context) -> Resolved:
        try:
            return tail(context)
        except Abort:
            return default  # a flagd operation failed: the targeting evaluates to null

    unique = {(p.path, p.message): p for p in found}
    return _Targeting(targeting_rule, tuple(unique.values()))


_NOT_A_RULE = "targeting must be an object: the flag answers the caller's default with PARSE_ERROR"
_ALWAYS_NULL = "it always evaluates to null (the flag's default variant answers)"
_NO_SUCH_VARIANT = (
    "names a variant that the flag does not define: "
    "when chosen, the flag answers the caller's default with GENERAL"
)


class _Results:
    """Compiles a targeting's result positions: the branches of ``if``, through ``$ref``s.

    A result position whose value is a literal answers a precomputed outcome (one that
    names no variant answers ``GENERAL``, and is listed in ``problems``); one whose value
    a ``fractional`` produces answers with ``SPLIT``.
    """

    def __init__(
        self,
        outcomes: _Outcomes,
        expression: Callable[[Any, Path], Node],
        evaluators: Mapping[str, Any],
    ) -> None:
        self.outcomes = outcomes
        self.expression = expression
        self.evaluators = evaluators
        self.problems: list[Problem] = []

    def tail(self, node: Any, path: Path, expanding: tuple[str, ...], depth: int) -> Tail:
        if depth > MAX_DEPTH:
            raise RuleError(path, f"rule is nested deeper than {MAX_DEPTH} levels")
        operator = is_operation(node)
        if operator == "$ref":
            name = node["$ref"]
            if type(name) is str and name in self.evaluators and name not in expanding:
                body, inner = self.evaluators[name], (*expanding, name)
                return self.tail(body, ("$evaluators", name), inner, depth + 1)
            return self.result(self.expression(node, path), split=False, path=path)
        if operator == "if":
            args = node["if"] if type(node["if"]) is list else [node["if"]]
            return self.branches(args, (*path, "if"), expanding, depth)
        if operator == "fractional":
            self.check_buckets(node["fractional"], (*path, "fractional"))
        split = operator == "fractional"
        return self.result(self.expression(node, path), split=split, path=path)

    def result(self, node: Node, *, split: bool, path: Path) -> Tail:
        outcomes = self.outcomes
        if node.constant:
            if not outcomes.names(node.value):
                self.problems.append(Problem(json_path(path), _NO_SUCH_VARIANT))
            answer = outcomes.pick(node.value, split)

            def fixed(_context: Context) -> Resolved:
                return answer

            return fixed
        evaluate, pick = node.fn, outcomes.pick

        def chosen(context: Context) -> Resolved:
            return pick(evaluate(context), split)

        return chosen

    def branches(self, args: list[Any], path: Path, expanding: tuple[str, ...], depth: int) -> Tail:
        def branch(index: int) -> Tail:
            return self.tail(args[index], (*path, index), expanding, depth + 1)

        pairs: list[tuple[Callable[[Any], Any], Tail]] = []
        otherwise: Tail | None = None
        for index in range(0, len(args) - 1, 2):
            condition = self.expression(args[index], (*path, index))
            if condition.constant:
                if truthy(condition.value):
                    otherwise = branch(index + 1)
                    break
                branch(index + 1)  # never taken, but still checked
                continue
            pairs.append((condition.fn, branch(index + 1)))
        if otherwise is None:
            otherwise = branch(len(args) - 1) if len(args) % 2 == 1 else self.default()
        if not pairs:
            return otherwise
        if len(pairs) == 1:
            (test, then), last = pairs[0], otherwise

            def if_else(context: Context) -> Resolved:
                return then(context) if truthy(test(context)) else last(context)

            return if_else
        chain, last = tuple(pairs), otherwise

        def if_chain(context: Context) -> Resolved:
            for test, then in chain:
                if truthy(test(context)):
                    return then(context)
            return last(context)

        return if_chain

    def default(self) -> Tail:
        answer = self.outcomes.default

        def no_branch(_context: Context) -> Resolved:
            return answer

        return no_branch

    def check_buckets(self, args: Any, path: Path) -> None:
        """A literal bucket of a result-position ``fractional`` should name a variant."""
        if type(args) is not list:
            return
        for index, bucket in enumerate(args):
            literal = type(bucket) is list and bucket and is_operation(bucket[0]) is None
            if literal and (type(bucket[0]) in (list, dict) or not self.outcomes.names(bucket[0])):
                self.problems.append(Problem(json_path((*path, index, 0)), _NO_SUCH_VARIANT))


# ------------------------------------------------------------------------ checks


def _variant_problems(doc: dict[str, Any]) -> list[tuple[str, Problem]]:
    """Mixed variant types, said precisely (the schema can only say "no shape matches").

    Each problem comes with its anchor: the part of the document whose schema errors it
    replaces.
    """
    found: list[tuple[str, Problem]] = []
    flags = doc.get("flags")
    if not isinstance(flags, dict):
        return found
    for key, flag in flags.items():
        variants = flag.get("variants") if isinstance(flag, dict) else None
        if not isinstance(variants, dict):
            continue
        kinds = {_kind(value) for value in variants.values()}
        if len(kinds) > 1 or None in kinds:
            where = json_path(("flags", key, "variants"))
            message = "variants must be all booleans, all numbers, all strings or all objects"
            found.append((where, Problem(where, message)))
    return found


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return None


def _within(path: str, anchor: str) -> bool:
    return path == anchor or path.startswith((anchor + ".", anchor + "["))
