"""Timing and comparison primitives shared by every benchmark module."""

from __future__ import annotations

import timeit
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One call, timed as the statement ``target.method(*args, **kwargs).then`` itself.

    ``timeit.Timer(lambda: ...)`` times the lambda too: ~0.1 us of call overhead on every
    side, a fifth of a fast lookup. A ``Call`` is timed as a statement whose names are
    bound to the objects given (no wrapper around it), the way a caller writes the call;
    every micro comparison gives both sides as ``Call`` objects. Calling it makes the call
    once (for the answer check). ``then`` reads an attribute of the result (``"value"``) and is
    part of the timed statement.
    """

    target: object
    method: str | None
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    then: str = ""

    def __call__(self) -> object:
        function: Any = self.target if self.method is None else getattr(self.target, self.method)
        result = function(*self.args, **self.kwargs)
        return getattr(result, self.then) if self.then else result

    def timer(self) -> timeit.Timer:
        """A timer of the bare statement (names bound as the statement's globals)."""
        names: dict[str, Any] = {"_target": self.target}
        parts = []
        for index, value in enumerate(self.args):
            names[f"_a{index}"] = value
            parts.append(f"_a{index}")
        for name, value in self.kwargs.items():
            names[f"_k_{name}"] = value
            parts.append(f"{name}=_k_{name}")
        called = "_target" if self.method is None else f"_target.{self.method}"
        statement = f"{called}({', '.join(parts)})" + (f".{self.then}" if self.then else "")
        return timeit.Timer(statement, globals=names)


def call(target: object, method: str | None, *args: Any, **kwargs: Any) -> Call:
    """``Call(target, method, args, kwargs)``: ``call(flags, "is_enabled", "beta")``."""
    return Call(target, method, args, kwargs)


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
    """A :class:`Call` for micro benchmarks (timed without a wrapper), else any callable."""
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


def _timer(timed: Callable[[], object]) -> tuple[timeit.Timer, int]:
    """A timer for ``timed`` and the number of calls that take it about 0.2 s."""
    timer = timed.timer() if isinstance(timed, Call) else timeit.Timer(timed)
    number, elapsed = timer.autorange()
    return timer, max(1, int(number * 0.2 / max(elapsed, 1e-9)))


def best_ns(timed: Callable[[], object], *, repeat: int, budget: float) -> float:
    """Best-of-``repeat`` nanoseconds per call, each repeat lasting about ``budget`` s."""
    timer, number = _timer(timed)
    number = max(1, int(number * budget / 0.2))
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


def measure(comparison: Comparison, *, repeat: int, budget: float) -> Result:
    """Check both sides give the same answer, then time them interleaved.

    Each repeat times the subject, then the baseline: on a shared machine a burst of
    load falls on both sides alike instead of inflating whichever side it met.
    """
    subject_answer, baseline_answer = comparison.subject(), comparison.baseline()
    if comparison.same_answer and subject_answer != baseline_answer:
        raise AssertionError(
            f"{comparison.group}: {comparison.subject_name} answered {subject_answer!r} but "
            f"{comparison.baseline_name} answered {baseline_answer!r}"
        )
    subject, subject_number = _timer(comparison.subject)
    baseline, baseline_number = _timer(comparison.baseline)
    subject_number = max(1, int(subject_number * budget / 0.2))
    baseline_number = max(1, int(baseline_number * budget / 0.2))
    subject_s, baseline_s = [], []
    for _ in range(repeat):
        subject_s.append(subject.timeit(subject_number) / subject_number)
        baseline_s.append(baseline.timeit(baseline_number) / baseline_number)
    return Result(comparison, min(subject_s) * 1e9, min(baseline_s) * 1e9)


@dataclass(frozen=True)
class Figure:
    """A measured quantity that is not a ratio (compile time, memory, calls)."""

    name: str
    value: float
    unit: str
    target: str
    met: bool
    note: str = ""
