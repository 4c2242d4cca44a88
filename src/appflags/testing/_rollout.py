"""Deployment strategies and the progress of a deployment over time: pure functions.

How a deployment advances is computed from its strategy and the time elapsed since it
started, whenever someone asks (``GetDeployment``, a poll of the data plane); nothing
runs in the background. See docs/local-appconfig.md for what AWS documents and what is
assumed here.
"""

from __future__ import annotations

import enum
import hashlib
import math
from dataclasses import dataclass

BUCKETS = 100
"""A rollout target falls in one bucket 0-99 per deployment."""


class GrowthType(str, enum.Enum):
    """How a strategy's percentage grows: ``LINEAR`` or ``EXPONENTIAL``."""

    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class DeploymentState(str, enum.Enum):
    """A deployment's ``State``, as the AppConfig API names it."""

    VALIDATING = "VALIDATING"
    DEPLOYING = "DEPLOYING"
    BAKING = "BAKING"
    COMPLETE = "COMPLETE"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"
    REVERTED = "REVERTED"


RUNNING = frozenset((DeploymentState.VALIDATING, DeploymentState.DEPLOYING, DeploymentState.BAKING))
"""States in which a deployment holds its environment: no other may start there."""


@dataclass(frozen=True)
class Strategy:
    """A deployment strategy's parameters (what a deployment copies when it starts)."""

    id: str
    name: str
    duration_minutes: int
    growth_factor: float
    final_bake_minutes: int
    growth_type: GrowthType = GrowthType.LINEAR
    description: str = ""
    replicate_to: str = "NONE"

    @property
    def predefined(self) -> bool:
        """Whether AWS defines it (``AppConfig.*``): it can be neither changed nor deleted."""
        return self.id.startswith("AppConfig.")


PREDEFINED: tuple[Strategy, ...] = (
    Strategy(
        "AppConfig.Linear20PercentEvery6Minutes",
        "AppConfig.Linear20PercentEvery6Minutes",
        30,
        20.0,
        30,
        GrowthType.LINEAR,
        "AWS recommended: 20% of targets every 6 minutes over 30 minutes, 30-minute bake",
    ),
    Strategy(
        "AppConfig.Canary10Percent20Minutes",
        "AppConfig.Canary10Percent20Minutes",
        20,
        10.0,
        10,
        GrowthType.EXPONENTIAL,
        "AWS recommended: exponential growth from 10% over 20 minutes, 10-minute bake",
    ),
    Strategy(
        "AppConfig.AllAtOnce",
        "AppConfig.AllAtOnce",
        0,
        100.0,
        10,
        GrowthType.LINEAR,
        "Quick: all targets at once, 10-minute bake",
    ),
    Strategy(
        "AppConfig.Linear50PercentEvery30Seconds",
        "AppConfig.Linear50PercentEvery30Seconds",
        1,
        50.0,
        1,
        GrowthType.LINEAR,
        "Testing/demonstration: half of the targets every 30 seconds, 1-minute bake",
    ),
)


def steps(strategy: Strategy) -> list[tuple[float, float]]:
    """The strategy's steps: ``(seconds after the start, percentage reached)``, in order.

    LINEAR grows by the factor at evenly spaced steps; EXPONENTIAL follows AWS's
    ``G*(2^N)`` (10%, 20%, 40%, 80%, 100% for a factor of 10). The steps share the
    duration evenly and the last one reaches 100% when the duration ends, as AWS's
    timeline shows (a 10-hour, 20% linear deployment: 20% at 2 h ... 100% at 10 h).
    A zero duration reaches 100% at once.
    """
    factor = strategy.growth_factor
    percents: list[float] = []
    if strategy.growth_type is GrowthType.LINEAR:
        count = math.ceil(100 / factor)
        percents = [min(100.0, factor * k) for k in range(1, count + 1)]
    else:
        value = factor
        while value < 100:
            percents.append(value)
            value *= 2
        percents.append(100.0)
    total = strategy.duration_minutes * 60
    # total * k / n, not k times an interval: the last step lands exactly on the end.
    return [(total * (k + 1) / len(percents), p) for k, p in enumerate(percents)]


@dataclass(frozen=True)
class Event:
    """One entry of a deployment's ``EventLog``."""

    type: str
    triggered_by: str
    description: str
    offset: float
    """Seconds after the start, on the deployment's own (scaled) time."""


@dataclass(frozen=True)
class Progress:
    """Where a deployment stands at one moment."""

    state: DeploymentState
    percentage: float
    events: tuple[Event, ...]
    """Oldest first."""
    completed_offset: float | None
    """When it reached ``COMPLETE`` (seconds after the start), if it did."""


def progress(strategy: Strategy, elapsed: float) -> Progress:
    """The progress of a deployment with ``strategy``, ``elapsed`` seconds after its start."""
    events = [Event("DEPLOYMENT_STARTED", "USER", "Deployment started", 0.0)]
    percentage = 0.0
    reached = steps(strategy)
    for offset, percent in reached:
        if offset > elapsed:
            return Progress(DeploymentState.DEPLOYING, percentage, tuple(events), None)
        percentage = percent
        events.append(
            Event(
                "PERCENTAGE_UPDATED",
                "APPCONFIG",
                f"Configuration available to {percent:.2f}% of clients",
                offset,
            )
        )
    full = float(strategy.duration_minutes * 60)
    done = full + strategy.final_bake_minutes * 60
    if strategy.final_bake_minutes:
        events.append(Event("BAKE_TIME_STARTED", "APPCONFIG", "Deployment bake time started", full))
        if elapsed < done:
            return Progress(DeploymentState.BAKING, percentage, tuple(events), None)
    events.append(Event("DEPLOYMENT_COMPLETED", "APPCONFIG", "Deployment completed", done))
    return Progress(DeploymentState.COMPLETE, percentage, tuple(events), done)


def bucket(seed: int, deployment: str, target: str) -> int:
    """The bucket (0-99) of ``target`` in ``deployment``: fixed for the whole deployment.

    A target gets the new version once the deployment's percentage is above its bucket.
    The hash of ``seed``, the deployment and the target decides, so a seeded server
    buckets the same targets the same way on every run.
    """
    digest = hashlib.sha256(f"{seed}\0{deployment}\0{target}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS
