"""Timing and comparison primitives shared by every benchmark module."""

from __future__ import annotations

import timeit
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """``subject`` timed against ``baseline`` on the same input, answers checked first.

    ``target`` is the ratio subject/baseline the project aims for: ``at_most`` means the
    subject may cost up to ``target`` times the baseline (e.g. 2.5 for "within 2.5x of a
    dict lookup"); ``at_least`` means the baseline must cost at least ``target`` times the
    subject (e.g. 10 for "10x faster than Powertools").
    """

    group: str
    subject_name: str
    subject: Callable[[], object]
    baseline_name: str
    baseline: Callable[[], object]
    target: float
    direction: str  # "at_most" or "at_least"
    same_answer: bool = True
    note: str = ""


@dataclass(frozen=True)
class Result:
    """One comparison measured."""

    comparison: Comparison
    subject_ns: float
    baseline_ns: float

    @property
    def ratio(self) -> float:
        """subject/baseline for ``at_most`` targets, baseline/subject for ``at_least``."""
        if self.comparison.direction == "at_most":
            return self.subject_ns / self.baseline_ns
        return self.baseline_ns / self.subject_ns

    @property
    def met(self) -> bool:
        """Whether the target ratio was reached in this run."""
        if self.comparison.direction == "at_most":
            return self.ratio <= self.comparison.target
        return self.ratio >= self.comparison.target

    @property
    def collapsed(self) -> bool:
        """Missed by an order of magnitude: what the CI guard fails on (noise-proof)."""
        if self.comparison.direction == "at_most":
            return self.ratio > self.comparison.target * 10
        return self.ratio < self.comparison.target / 10


def best_ns(call: Callable[[], object], *, repeat: int, budget: float) -> float:
    """Best-of-``repeat`` nanoseconds per call, each repeat lasting about ``budget`` s."""
    timer = timeit.Timer(call)
    number, elapsed = timer.autorange()
    number = max(1, int(number * budget / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


def measure(comparison: Comparison, *, repeat: int, budget: float) -> Result:
    """Check both sides give the same answer, then time them interleaved."""
    subject_answer, baseline_answer = comparison.subject(), comparison.baseline()
    if comparison.same_answer and subject_answer != baseline_answer:
        raise AssertionError(
            f"{comparison.group}: {comparison.subject_name} answered {subject_answer!r} but "
            f"{comparison.baseline_name} answered {baseline_answer!r}"
        )
    subject_ns = best_ns(comparison.subject, repeat=repeat, budget=budget)
    baseline_ns = best_ns(comparison.baseline, repeat=repeat, budget=budget)
    return Result(comparison, subject_ns, baseline_ns)


@dataclass(frozen=True)
class Figure:
    """A measured quantity that is not a ratio (compile time, memory, calls)."""

    name: str
    value: float
    unit: str
    target: str
    met: bool
    note: str = ""
