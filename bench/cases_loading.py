"""Loading a document (parse + validate + compile) per format against json.loads of the
same bytes; Powertools' own parse + validate; 10,000 flags; incremental compile; memory."""

from __future__ import annotations

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
    from appflags.formats import load

    return lambda: load(data, "application/json", format=fmt, max_bytes=len(data))[0]


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
                note=_LIMITS.get(fmt, ""),
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
            note=_LIMITS["powertools"],
        )
    )
    return out


_LIMITS = {
    "flagd": "what limits it: keying each flag's compiled targeting by its definition (a "
    "reload of unchanged flags compiles no rule; a first load compiles every rule: see "
    "validate and compile apart below, cold compile included)",
    "appconfig": "what limits it: building one answer object per flag and attribute",
    "powertools": "what limits it: one closure per condition and per flag (so that a lookup "
    "parses nothing), and the collector's one pass over them at the end of the load",
}


def _once(call: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


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
    from appflags.formats._incremental import compile_incrementally

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
        )
    )
    chosen = _formats()[fmt]
    doc = make(SMALL)
    validate = _once(lambda: chosen.validate(doc), repeat)
    compile_ = _once(lambda: chosen.compile(doc, _clock.utc_now), repeat)
    note = f"validate {validate * 1e3:.1f} ms, compile {compile_ * 1e3:.1f} ms"
    if fmt == "flagd":  # compiled targeting is cached per flag definition: a first load
        from appflags.formats import _flagd

        def cold() -> None:
            _flagd._RULES.clear()
            chosen.compile(doc, _clock.utc_now)

        note += f" ({_once(cold, repeat) * 1e3:.1f} ms with no rule cached: a first load)"
    out.append(
        Figure(
            f"{SMALL:,} flags: {name}: validate, compile",
            validate * 1e3,
            "ms",
            "-",
            True,
            note=note,
        )
    )
    first, second = make(LARGE), make(LARGE, changed=5)
    previous = compile_incrementally(chosen, first, _clock.utc_now, None).incremental
    whole = _once(lambda: chosen.compile(second, _clock.utc_now), repeat)
    patched = _once(lambda: compile_incrementally(chosen, second, _clock.utc_now, previous), repeat)
    out.append(
        Figure(
            f"compile {LARGE:,} flags, one changed: {name}",
            patched / whole * 100,
            "% of whole",
            "<= 5",
            patched / whole <= 0.05,
            note=f"{patched * 1e3:.1f} ms vs {whole * 1e3:.1f} ms whole; what limits it: "
            "marshalling every definition once (32 to a C call) to compare it with the last "
            "version's" + _INCREMENTAL_LIMITS.get(fmt if fmt != "appconfig" else name, ""),
        )
    )
    out += [_memory(name, fmt, make, count) for count in (SMALL, LARGE)]
    return out


_INCREMENTAL_LIMITS = {
    "appconfig stored, 10% multi-variant": " (its definitions hold constraints that only "
    "validation reads: large to compare, cheap to compile)",
    "flagd": " (the whole compile reuses the previous version's compiled targeting, cached "
    "by definition, so it costs little more than reading every definition too)",
}


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


def _forget_compiled_rules() -> None:
    """Empty the caches that let a reload reuse compiled rules (flagd targeting, AppConfig
    rule texts and multi-variant flags), so that memory counts the rules a load holds."""
    from appflags.formats import _appconfig_document, _flagd

    _flagd._RULES.clear()
    _appconfig_document.compiled_rule.cache_clear()
    _appconfig_document._flag_rules.cache_clear()
