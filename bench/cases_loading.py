"""Loading a document (parse + validate + compile) per format against json.loads of the
same bytes; Powertools' own parse + validate; 10,000 flags; incremental compile; memory."""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench._harness import Comparison, Figure

SMALL, LARGE = 1_000, 10_000


def retrieved(count: int, changed: int | None = None) -> dict[str, Any]:
    """The retrieval form: values only, a few attributes per flag."""
    doc = {
        f"flag-{i}": {"enabled": i % 2 == 0, "color": "red", "limit": i, "ratio": i / 10}
        for i in range(count)
    }
    if changed is not None:
        doc[f"flag-{changed}"]["color"] = "blue"
    return doc


def stored(count: int, changed: int | None = None) -> dict[str, Any]:
    """The stored document: definitions with constraints, values, 10% multi-variant."""
    flags: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for i in range(count):
        key = f"flag-{i}"
        flags[key] = {
            "name": f"Flag {i}",
            "attributes": {
                "color": {"constraints": {"type": "string", "enum": ["red", "blue"]}},
                "limit": {"constraints": {"type": "number", "minimum": 0}},
            },
        }
        if i % 10 == 0:
            values[key] = {
                "_variants": [
                    {
                        "name": "gold",
                        "enabled": True,
                        "rule": f'(eq $tier "gold-{i}")',
                        "attributeValues": {"color": "blue", "limit": i},
                    },
                    {"name": "default", "enabled": False},
                ]
            }
        else:
            values[key] = {"enabled": i % 2 == 0, "color": "red", "limit": i}
    if changed is not None:  # a basic flag (not a multiple of 10) gets a new limit
        values[f"flag-{changed}"]["limit"] = 7
    return {"version": "1", "flags": flags, "values": values}


def powertools(count: int, changed: int | None = None) -> dict[str, Any]:
    """Powertools: each flag with one rule of two conditions."""
    doc: dict[str, Any] = {
        f"flag-{i}": {
            "default": False,
            "rules": {
                "gold in eu": {
                    "when_match": True,
                    "conditions": [
                        {"action": "EQUALS", "key": "tier", "value": "gold"},
                        {"action": "IN", "key": "region", "value": ["eu-west-1", f"r-{i}"]},
                    ],
                }
            },
        }
        for i in range(count)
    }
    if changed is not None:
        doc[f"flag-{changed}"]["default"] = True
    return doc


def flagd(count: int, changed: int | None = None) -> dict[str, Any]:
    """flagd: JsonLogic targeting with a fractional split on every flag."""
    doc: dict[str, Any] = {
        "flags": {
            f"flag-{i}": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {
                    "if": [
                        {"in": [{"var": "tier"}, ["gold", f"t-{i}"]]},
                        {"fractional": [{"var": "user"}, ["on", 50], ["off", 50]]},
                        "off",
                    ]
                },
            }
            for i in range(count)
        }
    }
    if changed is not None:
        doc["flags"][f"flag-{changed}"]["defaultVariant"] = "on"
    return doc


DOCUMENTS: dict[str, tuple[Callable[..., dict[str, Any]], str, float]] = {
    "appconfig retrieval form": (retrieved, "appconfig", 12.0),
    "appconfig stored, 10% multi-variant": (stored, "appconfig", 12.0),
    "powertools, 2-condition rules": (powertools, "powertools", 12.0),
    "flagd, JsonLogic + fractional": (flagd, "flagd", 25.0),
}


def _load(data: bytes, fmt: str) -> Callable[[], object]:
    """A first load of ``data`` as a ``Flags`` makes it: the rule caches are emptied inside
    the timed call, so no rule comes from an earlier call's compile (see
    :func:`_forget_compiled_rules`), and the load keeps what the next version's
    incremental compile starts from (its definitions marshalled in blocks)."""
    from appflags.formats import load

    def first() -> object:
        _forget_compiled_rules()
        return load(data, "application/json", format=fmt, max_bytes=len(data), incremental=True)[0]

    return first


def _reload(data: bytes, fmt: str) -> Callable[[], object]:
    """A load of ``data`` again: every rule it compiles is already in the caches."""
    from appflags.formats import load

    return lambda: load(
        data, "application/json", format=fmt, max_bytes=len(data), incremental=True
    )[0]


def _clear_cost(data: bytes, fmt: str) -> str:
    """What emptying the caches adds to a timed first load: the clear itself, and freeing
    the rules the previous call compiled (timing ``json.loads`` frees its previous result
    alike, inside the timed loop)."""
    _reload(data, fmt)()
    started = time.perf_counter()
    _forget_compiled_rules()
    return (
        "; each timed call first empties the rule caches (a first load, no rule "
        f"compiled by an earlier call): {(time.perf_counter() - started) * 1e3:.1f} ms here, "
        "mostly freeing the previous call's rules, as the json.loads side frees its result"
    )


def comparisons() -> list[Comparison]:
    """Loading 1,000 flags against json.loads of the same bytes; and against Powertools."""
    out = []
    for name, (make, fmt, target) in DOCUMENTS.items():
        data = json.dumps(make(SMALL)).encode()
        out.append(
            Comparison(
                f"load {SMALL:,} flags: {name}",
                "appflags parse + validate + compile",
                _load(data, fmt),
                "json.loads of the same bytes",
                lambda data=data: json.loads(data),  # type: ignore[misc]
                target=target,
                direction="at_most",
                same_answer=False,
                note=_LIMITS.get(name, _LIMITS.get(fmt, "")) + _clear_cost(data, fmt),
            )
        )
    try:
        from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator
    except ImportError:
        return out
    data = json.dumps(powertools(SMALL)).encode()

    def powertools_load() -> object:
        SchemaValidator(schema=json.loads(data)).validate()
        return None

    out.append(
        Comparison(
            f"load {SMALL:,} flags vs Powertools parse + validate",
            "appflags parse + validate + compile",
            _load(data, "powertools"),
            "Powertools json.loads + SchemaValidator",
            powertools_load,
            target=1.5,
            direction="at_most",
            same_answer=False,
            note=_LIMITS["powertools"] + _clear_cost(data, "powertools"),
        )
    )
    return out


_LIMITS = {
    "flagd": "what limits it: compiling every flag's JsonLogic targeting and fractional "
    "split, a few closures per operation (a first load finds no rule cached; the reload "
    "figure shows what the cache saves)",
    "appconfig": "what limits it: building one answer object per flag and attribute",
    "appconfig stored, 10% multi-variant": "what limits it: parsing and compiling each "
    "multi-variant flag's rules (a first load finds none cached: compare the compile and "
    "reload figures below), then one answer object per flag and attribute",
    "powertools": "what limits it: one function per flag over its rules' (test, key, "
    "value) triples, and the collector's one pass over them at the end of the load",
}


def _once(call: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` calls, the cyclic collector off as ``timeit`` has it for the
    comparisons: with it on, ``json.loads`` of 10,000 flags ran full passes over this
    process's heap (2x its time, 8x at 1,000 flags after the 10,000-flag documents) while
    ``load`` pauses the collector itself, which flattered every ratio to it."""
    was = gc.isenabled()
    gc.disable()
    try:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - started)
        return best
    finally:
        if was:
            gc.enable()


def figures(*, quick: bool) -> list[Figure]:
    """10,000 flags, validate vs compile, incremental compile, memory."""
    repeat = 1 if quick else 3
    out: list[Figure] = []
    for name, (make, fmt, target) in DOCUMENTS.items():
        out += _format_figures(name, make, fmt, target, repeat)
    return out


def _format_figures(
    name: str, make: Callable[..., dict[str, Any]], fmt: str, target: float, repeat: int
) -> list[Figure]:
    from appflags import _clock
    from appflags.formats import _formats

    out: list[Figure] = []
    ratios = {}
    for count in (SMALL, LARGE):
        data = json.dumps(make(count)).encode()
        ratios[count] = _once(_load(data, fmt), repeat) / _once(
            lambda data=data: json.loads(data),  # type: ignore[misc]
            repeat,
        )
    small, large = ratios[SMALL], ratios[LARGE]
    out.append(
        Figure(
            f"load {LARGE:,} flags: {name}, x json.loads",
            large,
            "x",
            f"<= the 1,000-flag ratio ({small:.1f}x here), <= {target:g}",
            large <= max(small * 1.1, small + 1) and large <= target,
            note="first loads, 1,000 and 10,000 flags: the rule caches emptied in each timed "
            "call; " + _LIMITS.get(name, _LIMITS.get(fmt, "")),
        )
    )
    chosen = _formats()[fmt]
    doc = make(SMALL)

    def compile_first(doc: dict[str, Any] = doc) -> None:
        _forget_compiled_rules()  # a first compile: no rule already in a cache
        chosen.compile(doc, _clock.utc_now)

    validate = _once(lambda: chosen.validate(doc), repeat)
    compile_ = _once(compile_first, repeat)
    out.append(
        Figure(
            f"{SMALL:,} flags: {name}: validate, compile",
            validate * 1e3,
            "ms",
            "-",
            True,
            note=f"validate {validate * 1e3:.1f} ms, compile {compile_ * 1e3:.1f} ms "
            "(a first compile: the rule caches emptied before each)",
        )
    )
    data = json.dumps(doc).encode()
    _forget_compiled_rules()
    _reload(data, fmt)()
    if _cached_rules():  # this format keeps compiled rules for a reload: show what it saves
        warm = _once(_reload(data, fmt), repeat)
        warm_compile = _once(lambda: chosen.compile(doc, _clock.utc_now), repeat)
        baseline = _once(lambda: json.loads(data), repeat)
        out.append(
            Figure(
                f"reload {SMALL:,} flags with unchanged rules (caches warm): {name}, x json.loads",
                warm / baseline,
                "x",
                "- (informational: not a load)",
                True,
                note=f"{warm * 1e3:.1f} ms, compile {warm_compile * 1e3:.1f} ms against "
                f"{compile_ * 1e3:.1f} ms first: every rule found in the caches, as when a "
                "new version repeats a flag's definition",
            )
        )
    out.append(incremental_figure(name, make, fmt, repeat))
    out += [_memory(name, fmt, make, count) for count in (SMALL, LARGE)]
    return out


def incremental_figure(
    name: str, make: Callable[..., dict[str, Any]], fmt: str, repeat: int
) -> Figure:
    """One changed flag in 10,000, compiled from the previous version against compiled whole
    (:func:`incremental_figures` runs these rows alone)."""
    from appflags import _clock
    from appflags.formats import _formats
    from appflags.formats._incremental import compile_incrementally

    chosen = _formats()[fmt]
    # Both versions parsed from bytes, as a poll gets them, and each timed call given what a
    # poll has: the document parsed from them (a copy parsed for each call: a compile that
    # keeps references into its document changes the reference counts marshal writes, so a
    # document compiled once no longer marshals as a fresh one does). Each side's document
    # and result are freed after the timed calls, alike: freeing 10,000 parsed definitions
    # costs several times what patching one does, and belongs with parsing them (a poll
    # frees each version's document once, whichever way it compiled it, when the next
    # version replaces it).
    first = json.dumps(make(LARGE))
    second = json.dumps(make(LARGE, changed=5))
    previous = compile_incrementally(chosen, json.loads(first), _clock.utc_now, None).incremental
    fresh = [json.loads(second) for _ in range(2 * repeat)]
    kept: list[object] = []

    def whole_first() -> None:
        _forget_compiled_rules()  # what compiling it whole costs: no rule already cached
        doc = fresh.pop()
        kept.append((doc, chosen.compile(doc, _clock.utc_now)))

    def patched_first() -> None:
        doc = fresh.pop()
        kept.append((doc, compile_incrementally(chosen, doc, _clock.utc_now, previous)))

    whole = _once(whole_first, repeat)
    kept.clear()
    patched = _once(patched_first, repeat)
    kept.clear()
    return Figure(
        f"compile {LARGE:,} flags, one changed: {name}",
        patched / whole * 100,
        "% of whole",
        "<= 20",
        patched / whole <= 0.20,
        note=f"{patched * 1e3:.1f} ms vs {whole * 1e3:.1f} ms whole (a first compile, rule "
        "caches emptied), given what a poll has: the new version's parsed document; what "
        "limits it: marshalling its definitions in blocks of 32 and comparing the blocks' "
        "bytes (C speed), then copying the snapshot's tables of answers to patch them",
    )


def incremental_figures(*, quick: bool = False) -> list[Figure]:
    """The incremental compile rows alone, for every format."""
    repeat = 1 if quick else 3
    return [
        incremental_figure(name, make, fmt, repeat) for name, (make, fmt, _) in DOCUMENTS.items()
    ]


def _memory(name: str, fmt: str, make: Callable[..., dict[str, Any]], count: int) -> Figure:
    from appflags import Flags

    data = json.dumps(make(count)).encode()
    _forget_compiled_rules()  # a first load: its rules are not already in a cache
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    flags = Flags.from_dict(json.loads(data), format=fmt)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del flags
    return Figure(
        f"memory, {count:,} flags: {name}",
        grown / 2**20,
        "MiB",
        "-",
        True,
        note=f"{grown / count:,.0f} bytes a flag (snapshot, compiled rules, document kept)",
    )


def _cached_rules() -> int:
    """How many compiled rules the caches of :func:`_forget_compiled_rules` hold."""
    from appflags.formats import _appconfig_document, _flagd

    return (
        len(_flagd._RULES)
        + _appconfig_document.compiled_rule.cache_info().currsize
        + _appconfig_document._flag_rules.cache_info().currsize
    )


def _forget_compiled_rules() -> None:
    """Empty the caches that let a reload reuse compiled rules (flagd targeting, AppConfig
    rule texts and multi-variant flags): what
    follows is a first load, which compiles every rule, and memory counts the rules a load
    holds. A new version that repeats a flag's definition finds its rules there; a load of
    new definitions (a first load, a cold start) does not, so a bench that kept them would
    time a reload, not a load."""
    from appflags.formats import _appconfig_document, _flagd

    _flagd._RULES.clear()
    _appconfig_document.compiled_rule.cache_clear()
    _appconfig_document._flag_rules.cache_clear()
