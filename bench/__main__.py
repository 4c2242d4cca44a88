"""Run every benchmark, print a table, and (with --write) update docs/performance.md.

python -m bench            # full run, a few seconds per comparison
python -m bench --quick    # CI guard: fails only if answers differ or a ratio collapses
python -m bench --write    # also rewrite docs/performance.md and its chart
python -m bench --only loading   # only the cases_*.py modules whose name contains "loading"
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys
from pathlib import Path

from bench._harness import Comparison, Figure, Result, measure
from bench._report import markdown, svg_chart

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("cases_"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit 1 if an answer differs or a ratio collapses (10x off)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (CI)")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument(
        "--only", default="", metavar="TEXT", help="run only modules whose name contains TEXT"
    )
    args = parser.parse_args(argv)
    repeat, budget = (3, 0.02) if args.quick else (7, 0.2)

    results: list[Result] = []
    figures: list[Figure] = []
    if args.write and args.only:
        parser.error("--write needs every module: drop --only")
    for name in _modules():
        if args.only not in name:
            continue
        module = importlib.import_module(f"bench.{name}")
        comparisons: list[Comparison] = (
            module.comparisons() if hasattr(module, "comparisons") else []
        )
        for comparison in comparisons:
            result = measure(comparison, repeat=repeat, budget=budget)
            results.append(result)
            print(_row(result), flush=True)
        if hasattr(module, "figures"):
            for figure in module.figures(quick=args.quick):
                figures.append(figure)
                mark = "ok " if figure.met else "MISS"
                print(
                    f"{mark} {figure.name}: {figure.value:,.2f} {figure.unit} "
                    f"(target {figure.target}) {figure.note}",
                    flush=True,
                )

    if args.write:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        machine = (
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load} at the end"
        )
        (ROOT / "docs" / "performance.md").write_text(
            markdown(results, figures, machine), encoding="utf-8"
        )
        (ROOT / "docs" / "performance.svg").write_text(svg_chart(results), encoding="utf-8")
        print("wrote docs/performance.md and docs/performance.svg")
    collapsed = [r for r in results if r.collapsed]
    for result in collapsed:
        print(f"COLLAPSED: {result.comparison.group} ratio {result.ratio:.2f}", file=sys.stderr)
    return 1 if collapsed else 0


def _row(result: Result) -> str:
    c = result.comparison
    word = "x cost of" if c.direction == "at_most" else "x faster than"
    mark = "ok " if result.met else "MISS"
    return (
        f"{mark} {c.group}: {c.subject_name} {result.subject_ns:,.0f} ns, "
        f"{c.baseline_name} {result.baseline_ns:,.0f} ns -> {result.ratio:.2f}{word} baseline "
        f"(target {'<=' if c.direction == 'at_most' else '>='} {c.target:g})"
    )


if __name__ == "__main__":
    sys.exit(main())
