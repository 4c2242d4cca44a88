"""docs/performance.md and its SVG chart, from one run's results."""

from __future__ import annotations

import math
from datetime import date
from html import escape

from bench._harness import Figure, Result

_HEADER = """# Performance

Measured by `python -m bench --write` in one process, one run ({day}, {machine}). Each
figure is the best of 7 repeats; every compared pair first checks that both sides give
the same answer, and its repeats alternate (subject, baseline, subject...), so that a burst
of load on the machine falls on both sides alike. Lookup-sized calls, on both sides of
every comparison and in the per-call figures, are timed as the bare call statement
(`flags.is_enabled("beta", context)`, `ff.evaluate(name=..., context=..., default=...)`,
`.value` included where a side reads it), not through a `lambda`, whose own call (~0.1 us)
would be added to both sides alike and squeeze every ratio towards 1; only the loading
rows, which last milliseconds, still call through a function. These machines are noisy:
read ratios, not absolute times. The test suite never asserts timings; CI runs
`python -m bench --quick`, which fails only if answers differ or a ratio misses its target
by an order of magnitude.

![ns per call, appflags vs baseline](performance.svg)

## Ratios

| comparison | appflags | ns/op | baseline | ns/op | ratio | target | met |
|---|---|---:|---|---:|---:|---|---|
"""


def markdown(results: list[Result], figures: list[Figure], machine: str) -> str:
    """The whole docs/performance.md page."""
    lines = [_HEADER.format(day=date.today().isoformat(), machine=machine)]  # noqa: DTZ011
    for r in results:
        c = r.comparison
        target = (
            f"<= {c.target:g}x cost" if c.direction == "at_most" else f">= {c.target:g}x faster"
        )
        lines.append(
            f"| {c.group} | {c.subject_name} | {r.subject_ns:,.0f} | {c.baseline_name} | "
            f"{r.baseline_ns:,.0f} | {r.ratio:.2f} | {target} | {'yes' if r.met else '**no**'} |\n"
        )
    lines.append(
        "\n## Other figures\n\n| figure | value | target | met | note |\n|---|---:|---|---|---|\n"
    )
    for f in figures:
        lines.append(
            f"| {f.name} | {f.value:,.2f} {f.unit} | {f.target} | "
            f"{'yes' if f.met else '**no**'} | {f.note} |\n"
        )
    missed = [r for r in results if not r.met] + [f for f in figures if not f.met]
    lines.append("\n## Targets not met in this run\n\n")
    if not missed:
        lines.append("None.\n")
    for item in missed:
        name, note = (
            (item.comparison.group, item.comparison.note)
            if isinstance(item, Result)
            else (item.name, item.note)
        )
        lines.append(f"- {name}" + (f": {note}" if note else "") + "\n")
    lines.append(_COST)
    return "".join(lines)


_COST = """
## What the loading, import, cold-start and memory rows measure

- **Loading** is `appflags.formats.load` on the bytes of a generated document (parse,
  validate against the project schema and the format's own checks, compile), against
  `json.loads` of the same bytes. Validation runs on `jsonschema-rs` where its wheel is
  installed (the pure-Python `jsonschema` is the fallback, ~100x slower on these
  documents); what is left is mostly compiling: one answer object per flag and
  attribute, and closures per rule.
- **Incremental compile**: a new version with one flag changed in 10,000, compiled from
  the previous version's result, against compiling it whole. Parsing and validation stay
  whole-document and are not in either figure.
- **Import** runs `import appflags` in a fresh interpreter against importing Powertools'
  `feature_flags` utility, timed inside each child, the two taking turns, medians of 9
  runs; `-X importtime` figures beside them, and the standard library `import appflags`
  needs, imported alone (its floor).
- **Cold start** runs a fresh interpreter that builds the flags and answers one lookup,
  timed from starting the child to its first answer (the child reads the machine's
  monotonic clock there, so its shutdown, which Lambda never waits for, is not counted):
  `from_appconfig` and `from_agent` against `LocalAppConfig` serving a one-flag
  Powertools document, Powertools' `AppConfigStore` + `FeatureFlags.evaluate` reading
  the same profile from the same server through a boto3 client
  (`StartConfigurationSession` then `GetLatestConfiguration` on both sides). Two floors
  run beside them: botocore's own import and `create_client` (no request), which both
  AppConfigData sides pay, and a bare `urllib.request` + `json.loads` of the Agent URL.
  Every child takes its turn (round-robin) and each figure is the median of 9 runs, so
  that the machine's load falls on each alike. Every child of the import and
  cold-start rows, on both sides, runs once untimed first and may write bytecode caches
  (`PYTHONDONTWRITEBYTECODE` is dropped): installed packages ship their `.pyc` files,
  and an editable checkout would otherwise recompile appflags' sources in every child,
  a cost no installed library pays.
- **Memory** is what `tracemalloc` sees grow while `Flags.from_dict` builds the flags
  (snapshot, compiled rules, the values they keep).

## Polling cost

AppConfig prices every `GetLatestConfiguration` call. appflags makes exactly one per
interval per process (the measured figure above) and none on the lookup path:

| interval | calls per process per day | 1,000 processes per day |
|---:|---:|---:|
| 15 s | 5,760 | 5,760,000 |
| 45 s | 1,920 | 1,920,000 |
| 60 s | 1,440 | 1,440,000 |
| 300 s | 288 | 288,000 |

With the AppConfig Agent on each host (`Flags.from_agent`), only the Agent calls AppConfig:
N processes on a host cost one process's calls, and each process polls the Agent locally
for free. For 1,000 processes on 50 hosts at 45 s, that is 96,000 calls a day instead of
1,920,000.
"""


def svg_chart(results: list[Result]) -> str:
    """A horizontal bar chart of ns/op, subject vs baseline, per comparison (plain SVG)."""
    width, bar, gap, left = 760, 14, 18, 260
    height = 40 + len(results) * (2 * bar + gap)
    # Log scale: lookups take ~100 ns and loading a document milliseconds.
    values = [v for r in results for v in (r.subject_ns, r.baseline_ns)] or [1.0]
    low = math.log10(min(values)) - 0.3
    scale = (width - left - 150) / max(math.log10(max(values)) - low, 1e-9)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="18" font-size="13">ns per call, log scale (shorter is faster); '
        "blue: appflags, grey: baseline</text>",
    ]
    y = 34
    for r in results:
        c = r.comparison
        parts.append(f'<text x="10" y="{y + bar}">{escape(c.group)}</text>')
        for value, color, label in (
            (r.subject_ns, "#2b6cb0", c.subject_name),
            (r.baseline_ns, "#a0aec0", c.baseline_name),
        ):
            w = max(1.0, (math.log10(value) - low) * scale)
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{y + bar - 3}">{value:,.0f} '
                f"({escape(label)})</text>"
            )
            y += bar
        y += gap
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
