"""How deployments stand over time, and which version each target is served.

A deployment's state, percentage and event log are computed from its strategy and the
time since it started (the server's clock, times ``time_scale``) whenever they are read:
nothing runs in the background.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from appflags.testing._control_model import (
    HOSTED,
    Deployment,
    Environment,
    Profile,
    Version,
    bad_request,
    members,
)
from appflags.testing._rollout import RUNNING, DeploymentState, Progress, Strategy, bucket, progress

if TYPE_CHECKING:
    from collections.abc import Callable

REVERT_WINDOW = timedelta(hours=72)


class Timeline:
    """Deployments read at the clock's time; ``time_scale`` makes them pass faster."""

    def __init__(self, clock: Callable[[], datetime], time_scale: float, seed: int) -> None:
        self._clock = clock
        self.time_scale = time_scale
        self.seed = seed

    def progress(self, deployment: Deployment, now: datetime) -> Progress:
        """How far ``deployment`` has come at ``now`` (its stop freezes it)."""
        at = deployment.stopped_at or now
        elapsed = (at - deployment.started_at).total_seconds() * self.time_scale
        found = progress(deployment.strategy, elapsed)
        if deployment.stop is not None:
            return Progress(deployment.stop, found.percentage, found.events, found.completed_offset)
        return found

    def serve(self, env: Environment, profile: Profile, target: str | None) -> Version | None:
        """The version ``target`` is served now (``None``: nothing deployed yet).

        While a deployment is ``DEPLOYING``, a target gets its version once the percentage
        is above the target's bucket, else the version served before it started; without
        a ``target``, always the latter.
        """
        for d in reversed(env.deployments):
            if d.profile is not profile:
                continue
            found = self.progress(d, self._clock())
            if found.state in (DeploymentState.ROLLED_BACK, DeploymentState.REVERTED):
                return d.previous
            if found.state is not DeploymentState.DEPLOYING:
                return d.version
            if target is None:
                return d.previous
            key = f"{d.application_id}/{d.environment_id}/{d.number}"
            return d.version if bucket(self.seed, key, target) < found.percentage else d.previous
        return None

    def running(self, env: Environment) -> Deployment | None:
        now = self._clock()
        for d in env.deployments:
            if self.progress(d, now).state in RUNNING:
                return d
        return None

    def stop(
        self, env: Environment, deployment: Deployment, *, allow_revert: bool | None
    ) -> dict[str, Any]:
        """``StopDeployment``: roll a running deployment back, or revert a complete one."""
        now = self._clock()
        found = self.progress(deployment, now)
        if found.state in RUNNING:
            deployment.stop = DeploymentState.ROLLED_BACK
        elif found.state is DeploymentState.COMPLETE and allow_revert:
            completed = deployment.started_at + timedelta(
                seconds=(found.completed_offset or 0) / self.time_scale
            )
            if any(
                d.number > deployment.number and d.profile is deployment.profile
                for d in env.deployments
            ):
                raise bad_request(
                    f"Deployment {deployment.number} is not the latest deployment of "
                    f"{deployment.profile.id}: only that one can be reverted"
                )
            if now - completed > REVERT_WINDOW:
                raise bad_request(
                    f"Deployment {deployment.number} completed more than 72 hours ago "
                    "and can no longer be reverted; start a new deployment"
                )
            deployment.stop = DeploymentState.REVERTED
        elif found.state is DeploymentState.COMPLETE:
            raise bad_request(
                f"Deployment {deployment.number} is COMPLETE: only a DEPLOYING or BAKING "
                "deployment can be stopped, or a COMPLETE one reverted with AllowRevert"
            )
        else:
            raise bad_request(f"Deployment {deployment.number} is already {found.state.value}")
        deployment.stopped_at = now
        wire = self.deployment_wire(deployment)
        if deployment.stop is DeploymentState.ROLLED_BACK:
            # The call is accepted (202) while the rollback runs; reads after it see
            # ROLLED_BACK.
            wire["State"] = DeploymentState.ROLLING_BACK.value
            wire["EventLog"] = wire["EventLog"][1:]
        return wire

    def environment_wire(self, env: Environment) -> dict[str, Any]:
        state = "READY_FOR_DEPLOYMENT"
        if env.deployments:
            last = self.progress(env.deployments[-1], self._clock()).state
            if last in RUNNING:
                state = "DEPLOYING"
            elif last is not DeploymentState.COMPLETE:
                state = last.value
        return members(
            ApplicationId=env.application_id,
            Id=env.id,
            Name=env.name,
            Description=env.description,
            State=state,
            Monitors=env.monitors,
        )

    def deployment_wire(self, d: Deployment) -> dict[str, Any]:
        found = self.progress(d, self._clock())
        scale = self.time_scale
        events = [
            {
                "EventType": e.type,
                "TriggeredBy": e.triggered_by,
                "Description": e.description,
                "OccurredAt": d.started_at + timedelta(seconds=e.offset / scale),
            }
            for e in found.events
        ]
        if d.stop is not None and d.stopped_at is not None:
            stop_events = (
                [("ROLLBACK_STARTED", "Rollback started by the user")]
                if d.stop is DeploymentState.ROLLED_BACK
                else []
            )
            stop_events.append(
                ("ROLLBACK_COMPLETED", "Rollback completed")
                if d.stop is DeploymentState.ROLLED_BACK
                else ("REVERT_COMPLETED", "Configuration reverted to the previous version")
            )
            for kind, text in stop_events:
                events.append(
                    {
                        "EventType": kind,
                        "TriggeredBy": "USER" if kind != "ROLLBACK_COMPLETED" else "APPCONFIG",
                        "Description": text,
                        "OccurredAt": d.stopped_at,
                    }
                )
        completed = None
        if found.completed_offset is not None:
            completed = d.started_at + timedelta(seconds=found.completed_offset / scale)
        elif d.stop is DeploymentState.ROLLED_BACK:
            completed = d.stopped_at
        s = d.strategy
        return members(
            ApplicationId=d.application_id,
            EnvironmentId=d.environment_id,
            DeploymentStrategyId=s.id,
            ConfigurationProfileId=d.profile.id,
            DeploymentNumber=d.number,
            ConfigurationName=d.profile.name,
            ConfigurationLocationUri=HOSTED,
            ConfigurationVersion=str(d.version.number),
            Description=d.description,
            DeploymentDurationInMinutes=s.duration_minutes,
            GrowthType=s.growth_type.value,
            GrowthFactor=s.growth_factor,
            FinalBakeTimeInMinutes=s.final_bake_minutes,
            State=found.state.value,
            EventLog=events[::-1],
            PercentageComplete=found.percentage,
            StartedAt=d.started_at,
            CompletedAt=completed,
            KmsKeyIdentifier=d.kms_key_identifier,
            VersionLabel=d.version.label,
        )


SUMMARY = (
    "DeploymentNumber",
    "ConfigurationName",
    "ConfigurationVersion",
    "DeploymentDurationInMinutes",
    "GrowthType",
    "GrowthFactor",
    "FinalBakeTimeInMinutes",
    "State",
    "PercentageComplete",
    "StartedAt",
    "CompletedAt",
    "VersionLabel",
)


IMMEDIATE = Strategy(
    "AppConfig.AllAtOnce", "AppConfig.AllAtOnce", 0, 100.0, 0, description="LocalAppConfig.put"
)
