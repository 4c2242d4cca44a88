"""What the control plane describes: named resources, hosted versions and deployments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

VALIDATING = "VALIDATING"
DEPLOYING = "DEPLOYING"
BAKING = "BAKING"
COMPLETE = "COMPLETE"
ROLLING_BACK = "ROLLING_BACK"
ROLLED_BACK = "ROLLED_BACK"
REVERTED = "REVERTED"

RUNNING_STATES = frozenset((VALIDATING, DEPLOYING, BAKING, ROLLING_BACK))
"""States of a deployment still under way: AppConfig runs one per environment at a time."""
UNDONE_STATES = frozenset((ROLLED_BACK, REVERTED))
"""States of a deployment whose configuration was taken back."""

DEFAULT_STRATEGY = "AppConfig.AllAtOnce"


@dataclass(frozen=True)
class Named:
    """An application or an environment: its ID and its name."""

    id: str
    name: str


@dataclass(frozen=True)
class Profile:
    """A configuration profile: ID, name, ``type`` (``AWS.AppConfig.FeatureFlags`` or
    ``AWS.Freeform``) and where its content lives (``location``: ``"hosted"`` for
    AppConfig's hosted store)."""

    id: str
    name: str
    type: str
    location: str

    @property
    def hosted(self) -> bool:
        """Whether AppConfig hosts the content (the only kind appflags deploys)."""
        return self.location == "hosted"


@dataclass(frozen=True)
class Strategy:
    """A deployment strategy: how fast a deployment grows and how long it bakes."""

    id: str
    name: str
    duration_minutes: int
    growth_type: str
    growth_factor: float
    bake_minutes: int

    def describe(self) -> str:
        """``AppConfig.Canary10Percent20Minutes (EXPONENTIAL 10% over 20 min, bake 10 min)``."""
        return (
            f"{self.name} ({self.growth_type} {self.growth_factor:g}% over "
            f"{self.duration_minutes} min, bake {self.bake_minutes} min)"
        )


@dataclass(frozen=True)
class HostedVersion:
    """A hosted configuration version: its number, content as stored, and labels."""

    number: int
    content: bytes
    content_type: str
    label: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class DeploymentEvent:
    """One entry of a deployment's event log."""

    type: str
    triggered_by: str
    description: str
    occurred_at: datetime | None


@dataclass(frozen=True)
class Deployment:
    """A deployment of one configuration profile's version to one environment.

    ``state`` is AppConfig's (``DEPLOYING``, ``BAKING``, ``COMPLETE``, ``ROLLED_BACK``...);
    ``percentage`` how much of the targets have the new version. ``events`` is the event
    log (only from ``GetDeployment``, ``StartDeployment`` and ``StopDeployment``).
    """

    number: int
    state: str
    percentage: float
    version: str
    profile_id: str | None = None
    profile_name: str | None = None
    version_label: str | None = None
    strategy_id: str | None = None
    duration_minutes: int | None = None
    bake_minutes: int | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    description: str | None = None
    events: tuple[DeploymentEvent, ...] = ()

    @classmethod
    def from_response(cls, item: Mapping[str, Any]) -> Deployment:
        """From a ``GetDeployment``/``StartDeployment`` answer or a ``ListDeployments``
        item."""
        return cls(
            number=int(item["DeploymentNumber"]),
            state=str(item.get("State", "")),
            percentage=float(item.get("PercentageComplete", 0.0)),
            version=str(item.get("ConfigurationVersion", "")),
            profile_id=item.get("ConfigurationProfileId"),
            profile_name=item.get("ConfigurationName"),
            version_label=item.get("VersionLabel"),
            strategy_id=item.get("DeploymentStrategyId"),
            duration_minutes=item.get("DeploymentDurationInMinutes"),
            bake_minutes=item.get("FinalBakeTimeInMinutes"),
            started_at=item.get("StartedAt"),
            completed_at=item.get("CompletedAt"),
            description=item.get("Description"),
            events=tuple(
                DeploymentEvent(
                    str(event.get("EventType", "")),
                    str(event.get("TriggeredBy", "")),
                    str(event.get("Description", "")),
                    event.get("OccurredAt"),
                )
                for event in item.get("EventLog", ())
            ),
        )

    @property
    def running(self) -> bool:
        """Still under way (validating, deploying, baking or rolling back)."""
        return self.state in RUNNING_STATES

    @property
    def undone(self) -> bool:
        """Rolled back or reverted."""
        return self.state in UNDONE_STATES

    def reached(self, *, bake: bool = False) -> bool:
        """Whether every target has the version (``BAKING`` or ``COMPLETE``; with ``bake``,
        ``COMPLETE`` only)."""
        return self.state == COMPLETE or (self.state == BAKING and not bake)

    def matches(self, profile: Profile) -> bool:
        """Whether this deploys ``profile`` (by ID; by name where AppConfig gave no ID)."""
        if self.profile_id is not None:
            return self.profile_id == profile.id
        return self.profile_name == profile.name

    def describe(self) -> str:
        """``7 (profile flags, version 3 "v1.2", DEPLOYING 40%)``."""
        label = f' "{self.version_label}"' if self.version_label else ""
        name = self.profile_name or self.profile_id
        profile = f"profile {name}, " if name else ""
        return (
            f"{self.number} ({profile}version {self.version}{label}, "
            f"{self.state} {self.percentage:g}%)"
        )

    def reason(self) -> str | None:
        """Why it was rolled back or reverted, from the event log (``None`` if not said)."""
        for kinds in (("ROLLBACK_STARTED",), ("REVERT_COMPLETED", "ROLLBACK_COMPLETED")):
            for event in self.events:
                if event.type in kinds:
                    by = f" (triggered by {event.triggered_by})" if event.triggered_by else ""
                    return f"{event.description or event.type}{by}"
        return None
