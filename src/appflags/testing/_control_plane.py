"""The AppConfig control plane's state and rules, for :class:`LocalAppConfig`.

Applications, environments, configuration profiles, hosted configuration versions,
deployment strategies and deployments, kept in memory. Each operation takes and returns
the API's own member names (``{"Name": ..., "Description": ...}``); the HTTP side
(:mod:`appflags.testing._control_routes`) turns requests into those and back. A refused
request raises :class:`ApiError` with the AWS error code.

Deployments advance with the injected clock (times ``time_scale``), computed whenever
one is read: no thread. docs/local-appconfig.md says what follows AWS's documentation
and what is assumed.
"""

from __future__ import annotations

import json
import random
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from appflags._errors import SchemaError
from appflags.formats._schemas import compile_schema, problems
from appflags.testing._rollout import (
    PREDEFINED,
    RUNNING,
    DeploymentState,
    GrowthType,
    Progress,
    Strategy,
    bucket,
    progress,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from appflags._errors import Problem

FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
FREEFORM = "AWS.Freeform"
HOSTED = "hosted"
DEFAULT_MAX_CONFIGURATION_SIZE = 2 * 1024 * 1024
"""The hosted store's size quota the local server applies by default (2 MB; in AWS an
adjustable account quota)."""
REVERT_WINDOW = timedelta(hours=72)


class ApiError(Exception):
    """A refused request: the HTTP status, AWS's error code and the error's members."""

    def __init__(self, status: int, code: str, message: str, **members: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.members: dict[str, Any] = {"Message": message, **members}


def bad_request(message: str, found: Iterable[Problem] = ()) -> ApiError:
    """``BadRequestException``; with ``found``, the ``InvalidConfiguration`` details."""
    details = [
        {"Location": p.path, "Reason": p.message, "Type": "InvalidConfiguration"} for p in found
    ]
    if not details:
        return ApiError(400, "BadRequestException", message)
    return ApiError(
        400,
        "BadRequestException",
        message,
        Reason="InvalidConfiguration",
        Details={"InvalidConfiguration": details},
    )


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(
        404, "ResourceNotFoundException", f"{what} {ident} not found", ResourceName=what
    )


def conflict(message: str) -> ApiError:
    return ApiError(409, "ConflictException", message)


@dataclass(eq=False)
class Version:
    """A hosted configuration version (immutable once created)."""

    application_id: str
    profile_id: str
    number: int
    content: bytes
    content_type: str
    description: str | None = None
    label: str | None = None
    served: bytes | None = None
    """What ``GetLatestConfiguration`` answers when it is not ``content`` (feature flags)."""

    def summary(self) -> dict[str, Any]:
        return _members(
            ApplicationId=self.application_id,
            ConfigurationProfileId=self.profile_id,
            VersionNumber=self.number,
            Description=self.description,
            ContentType=self.content_type,
            VersionLabel=self.label,
        )


@dataclass(eq=False)
class Profile:
    application_id: str
    id: str
    name: str
    type: str
    description: str | None = None
    validators: list[dict[str, str]] = field(default_factory=list)
    retrieval_role_arn: str | None = None
    kms_key_identifier: str | None = None
    owner: str | None = None
    """Set when a file owns the profile (``watch_file``): control-plane writes are refused."""
    versions: dict[int, Version] = field(default_factory=dict)
    latest_number: int = 0

    def wire(self) -> dict[str, Any]:
        return _members(
            ApplicationId=self.application_id,
            Id=self.id,
            Name=self.name,
            Description=self.description,
            LocationUri=HOSTED,
            RetrievalRoleArn=self.retrieval_role_arn,
            Validators=self.validators or None,
            Type=self.type,
            KmsKeyIdentifier=self.kms_key_identifier,
        )


@dataclass(eq=False)
class Deployment:
    application_id: str
    environment_id: str
    number: int
    strategy: Strategy
    profile: Profile
    version: Version
    previous: Version | None
    """What every target was served when this deployment started."""
    started_at: datetime
    description: str | None = None
    kms_key_identifier: str | None = None
    stopped_at: datetime | None = None
    stop: DeploymentState | None = None
    """``ROLLED_BACK`` or ``REVERTED`` once stopped."""


@dataclass(eq=False)
class Environment:
    application_id: str
    id: str
    name: str
    description: str | None = None
    monitors: list[dict[str, str]] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)


@dataclass(eq=False)
class Application:
    id: str
    name: str
    description: str | None = None
    environments: dict[str, Environment] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return _members(Id=self.id, Name=self.name, Description=self.description)


class ControlPlane:
    """Every control-plane resource of one :class:`LocalAppConfig`, behind one lock.

    ``served(profile_type, content, content_type)`` checks a new version as AWS does
    when it is created (raising :class:`~appflags.SchemaError`) and returns what
    ``GetLatestConfiguration`` serves of it when that is not the content itself.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        served: Callable[[str, bytes, str], bytes | None],
        *,
        time_scale: float = 1.0,
        max_configuration_size: int = DEFAULT_MAX_CONFIGURATION_SIZE,
        seed: int | None = None,
    ) -> None:
        self._clock = clock
        self._served = served
        self.time_scale = time_scale
        self.max_configuration_size = max_configuration_size
        self.seed = random.SystemRandom().getrandbits(64) if seed is None else seed
        self._ids = random.Random(seed)  # noqa: S311 - resource IDs, not secrets
        self.lock = threading.RLock()
        self.applications: dict[str, Application] = {}
        self.strategies: dict[str, Strategy] = {s.id: s for s in PREDEFINED}

    # -- applications, environments, profiles ------------------------------------------

    def create_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = Application(self._new_id(), p["Name"], p.get("Description"))
            self.applications[app.id] = app
            return app.wire()

    def get_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._app(p).wire()

    def list_applications(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return _page([a.wire() for a in self.applications.values()], p)

    def update_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = self._app(p)
            app.name = p.get("Name", app.name)
            app.description = p.get("Description", app.description)
            return app.wire()

    def delete_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = self._app(p)
            if app.environments or app.profiles:
                raise bad_request(
                    f"Application {app.id} still has environments or configuration profiles; "
                    "delete them first"
                )
            del self.applications[app.id]
            return {}

    def create_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = self._app(p)
            env = Environment(
                app.id, self._new_id(), p["Name"], p.get("Description"), p.get("Monitors", [])
            )
            app.environments[env.id] = env
            return self._environment_wire(env)

    def get_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._environment_wire(self._env(p))

    def list_environments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            envs = self._app(p).environments.values()
            return _page([self._environment_wire(e) for e in envs], p)

    def update_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            env.name = p.get("Name", env.name)
            env.description = p.get("Description", env.description)
            env.monitors = p.get("Monitors", env.monitors)
            return self._environment_wire(env)

    def delete_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            running = self._running(env)
            if running is not None:
                raise conflict(f"Deployment {running.number} is in progress in {env.id}")
            del self.applications[env.application_id].environments[env.id]
            return {}

    def create_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = self._app(p)
            if p["LocationUri"] != HOSTED:
                raise bad_request(
                    "LocalAppConfig hosts configurations itself: LocationUri must be 'hosted'"
                )
            kind = p.get("Type", FREEFORM)
            if kind not in (FEATURE_FLAGS, FREEFORM):
                raise bad_request(f"Type must be {FEATURE_FLAGS} or {FREEFORM}")
            profile = Profile(
                app.id,
                self._new_id(),
                p["Name"],
                kind,
                p.get("Description"),
                _validators(p.get("Validators", [])),
                p.get("RetrievalRoleArn"),
                p.get("KmsKeyIdentifier"),
            )
            app.profiles[profile.id] = profile
            return profile.wire()

    def get_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._profile(p).wire()

    def list_configuration_profiles(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            kind = p.get("Type")
            items = [
                _members(
                    ApplicationId=prof.application_id,
                    Id=prof.id,
                    Name=prof.name,
                    LocationUri=HOSTED,
                    ValidatorTypes=[v["Type"] for v in prof.validators] or None,
                    Type=prof.type,
                )
                for prof in self._app(p).profiles.values()
                if kind is None or prof.type == kind
            ]
            return _page(items, p)

    def update_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            profile.name = p.get("Name", profile.name)
            profile.description = p.get("Description", profile.description)
            profile.retrieval_role_arn = p.get("RetrievalRoleArn", profile.retrieval_role_arn)
            if "Validators" in p:
                profile.validators = _validators(p["Validators"])
            if "KmsKeyIdentifier" in p:
                profile.kms_key_identifier = p["KmsKeyIdentifier"] or None
            return profile.wire()

    def delete_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            app = self.applications[profile.application_id]
            for env in app.environments.values():
                running = self._running(env)
                if running is not None and running.profile is profile:
                    raise conflict(f"Deployment {running.number} of {profile.id} is in progress")
            del app.profiles[profile.id]
            return {}

    # -- hosted configuration versions ----------------------------------------------

    def create_hosted_configuration_version(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            if profile.owner is not None:
                raise bad_request(
                    f"Configuration profile {profile.id} is served from the file "
                    f"{profile.owner}; edit that file instead"
                )
            latest = p.get("LatestVersionNumber")
            if latest is not None and latest != profile.latest_number:
                raise conflict(
                    f"LatestVersionNumber {latest} is not the latest version of "
                    f"{profile.id} ({profile.latest_number})"
                )
            try:
                version = self.add_version(
                    profile,
                    p["Content"],
                    p["ContentType"],
                    p.get("VersionLabel"),
                    p.get("Description"),
                )
            except SchemaError as error:
                raise bad_request(
                    f"Configuration is not valid: {error.problems[0]}", error.problems
                ) from None
            return {**version.summary(), "Content": version.content}

    def add_version(
        self,
        profile: Profile,
        content: bytes,
        content_type: str,
        label: str | None = None,
        description: str | None = None,
    ) -> Version:
        """Check and store a new version of ``profile`` (the caller holds the lock).

        Raises :class:`~appflags.SchemaError` for a feature-flag document AWS would refuse,
        :class:`ApiError` past the size quota.
        """
        if len(content) > self.max_configuration_size:
            raise ApiError(
                413,
                "PayloadTooLargeException",
                f"The configuration is {len(content)} bytes; the hosted configuration store "
                f"takes at most {self.max_configuration_size} bytes",
                Measure="KILOBYTES",
                Limit=self.max_configuration_size / 1024,
                Size=len(content) / 1024,
            )
        served = self._served(profile.type, content, content_type)
        number = profile.latest_number + 1
        version = Version(
            profile.application_id,
            profile.id,
            number,
            content,
            content_type,
            description,
            label,
            served,
        )
        profile.versions[number] = version
        profile.latest_number = number
        return version

    def get_hosted_configuration_version(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            version = self._version(p)
            return {**version.summary(), "Content": version.content}

    def list_hosted_configuration_versions(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            label = p.get("VersionLabel")
            versions = sorted(self._profile(p).versions.values(), key=lambda v: -v.number)
            items = [v.summary() for v in versions if label is None or _label_matches(label, v)]
            return _page(items, p)

    def delete_hosted_configuration_version(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            version = self._version(p)
            profile = self._profile(p)
            del profile.versions[version.number]
            return {}

    # -- deployment strategies ------------------------------------------------------

    def create_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            strategy = Strategy(
                self._new_id(),
                p["Name"],
                p["DeploymentDurationInMinutes"],
                p["GrowthFactor"],
                p.get("FinalBakeTimeInMinutes", 0),
                GrowthType(p.get("GrowthType", "LINEAR")),
                p.get("Description", ""),
                p.get("ReplicateTo", "NONE"),
            )
            self.strategies[strategy.id] = strategy
            return _strategy_wire(strategy)

    def get_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return _strategy_wire(self._strategy(p["DeploymentStrategyId"]))

    def list_deployment_strategies(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return _page([_strategy_wire(s) for s in self.strategies.values()], p)

    def update_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            old = self._strategy(p["DeploymentStrategyId"], changing=True)
            new = Strategy(
                old.id,
                old.name,
                p.get("DeploymentDurationInMinutes", old.duration_minutes),
                p.get("GrowthFactor", old.growth_factor),
                p.get("FinalBakeTimeInMinutes", old.final_bake_minutes),
                GrowthType(p.get("GrowthType", old.growth_type)),
                p.get("Description", old.description),
                old.replicate_to,
            )
            self.strategies[new.id] = new
            return _strategy_wire(new)

    def delete_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            del self.strategies[self._strategy(p["DeploymentStrategyId"], changing=True).id]
            return {}

    # -- deployments ----------------------------------------------------------------

    def start_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            profile = self._profile(p)
            strategy = self._strategy(p["DeploymentStrategyId"])
            text = p["ConfigurationVersion"]
            version = profile.versions.get(int(text)) if text.isdigit() else None
            if version is None:
                raise not_found("HostedConfigurationVersion", text)
            latest = p.get("LatestDeploymentNumber")
            current = env.deployments[-1].number if env.deployments else 0
            if latest is not None and latest != current:
                raise conflict(
                    f"LatestDeploymentNumber {latest} is not the latest deployment number "
                    f"of environment {env.id} ({current}): another deployment started"
                )
            running = self._running(env)
            if running is not None:
                raise conflict(
                    f"Deployment {running.number} is already in progress in environment "
                    f"{env.id} (configuration profile {running.profile.id}, version "
                    f"{running.version.number}); wait for it or stop it"
                )
            _validate(profile, version)
            if p.get("DynamicExtensionParameters"):
                raise bad_request(
                    "DynamicExtensionParameters: no extension with a PRE_START_DEPLOYMENT "
                    "action is associated (LocalAppConfig runs no extensions)"
                )
            deployment = self.deploy(env, profile, version, strategy, p.get("Description"))
            deployment.kms_key_identifier = p.get("KmsKeyIdentifier")
            return self._deployment_wire(deployment)

    def deploy(
        self,
        env: Environment,
        profile: Profile,
        version: Version,
        strategy: Strategy,
        description: str | None = None,
    ) -> Deployment:
        """Record a new deployment that starts now (the caller holds the lock)."""
        number = env.deployments[-1].number + 1 if env.deployments else 1
        deployment = Deployment(
            env.application_id,
            env.id,
            number,
            strategy,
            profile,
            version,
            self.settled(env, profile),
            self._clock(),
            description,
        )
        env.deployments.append(deployment)
        return deployment

    def get_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._deployment_wire(self._deployment(p))

    def list_deployments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = []
            for d in reversed(self._env(p).deployments):
                wire = self._deployment_wire(d)
                items.append({k: wire[k] for k in _SUMMARY if k in wire})
            return _page(items, p)

    def stop_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            deployment = self._deployment(p)
            now = self._clock()
            state = self.progress(deployment, now).state
            if state in RUNNING:
                deployment.stop = DeploymentState.ROLLED_BACK
            elif state is DeploymentState.COMPLETE and p.get("AllowRevert"):
                env = self._env(p)
                later = [
                    d
                    for d in env.deployments
                    if d.number > deployment.number and d.profile is deployment.profile
                ]
                completed = deployment.started_at + timedelta(
                    seconds=(self.progress(deployment, now).completed_offset or 0) / self.time_scale
                )
                if later:
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
            elif state is DeploymentState.COMPLETE:
                raise bad_request(
                    f"Deployment {deployment.number} is COMPLETE: only a DEPLOYING or BAKING "
                    "deployment can be stopped, or a COMPLETE one reverted with AllowRevert"
                )
            else:
                raise bad_request(f"Deployment {deployment.number} is already {state.value}")
            deployment.stopped_at = now
            wire = self._deployment_wire(deployment)
            if deployment.stop is DeploymentState.ROLLED_BACK:
                # The call is accepted (202) while the rollback runs; reads after it see
                # ROLLED_BACK.
                wire["State"] = DeploymentState.ROLLING_BACK.value
                wire["EventLog"] = wire["EventLog"][1:]
            return wire

    # -- the shortcuts of LocalAppConfig (put, watch_file) and the data plane ---------

    def find(
        self, application: str, environment: str, profile: str
    ) -> tuple[Environment, Profile] | None:
        """The environment and profile named by the data plane's identifiers (ID or name)."""
        app = _named(self.applications, application)
        if app is None:
            return None
        env = _named(app.environments, environment)
        found = _named(app.profiles, profile)
        return None if env is None or found is None else (env, found)

    def ensure(
        self, application: str, environment: str, profile: str, kind: str
    ) -> tuple[Environment, Profile]:
        """The environment and profile by these names, created as needed (``kind`` for a
        new profile); ``ValueError`` when the profile exists with another type."""
        app = _named(self.applications, application)
        if app is None:
            app = Application(self._new_id(), application)
            self.applications[app.id] = app
        env = _named(app.environments, environment)
        if env is None:
            env = Environment(app.id, self._new_id(), environment)
            app.environments[env.id] = env
        found = _named(app.profiles, profile)
        if found is None:
            found = Profile(app.id, self._new_id(), profile, kind)
            app.profiles[found.id] = found
        elif found.type != kind:
            raise ValueError(
                f"profile {application}/{profile} is {found.type}; a profile's type cannot change"
            )
        return env, found

    def deploy_now(self, env: Environment, profile: Profile, version: Version) -> Deployment:
        """Deploy ``version`` to every target at once (``LocalAppConfig.put``): a deployment
        recorded with ``AppConfig.AllAtOnce`` and no bake, ``COMPLETE`` from its start."""
        running = self._running(env)
        if running is not None:
            raise ValueError(
                f"deployment {running.number} (profile {running.profile.name}) is in progress "
                f"in environment {env.name}: AppConfig would refuse another; stop it or let it end"
            )
        return self.deploy(env, profile, version, IMMEDIATE, "LocalAppConfig.put")

    # -- what the data plane serves -------------------------------------------------

    def progress(self, deployment: Deployment, now: datetime) -> Progress:
        """How far ``deployment`` has come at ``now`` (its stop freezes it)."""
        at = deployment.stopped_at or now
        elapsed = (at - deployment.started_at).total_seconds() * self.time_scale
        found = progress(deployment.strategy, elapsed)
        if deployment.stop is not None:
            return Progress(deployment.stop, found.percentage, found.events, found.completed_offset)
        return found

    def settled(self, env: Environment, profile: Profile) -> Version | None:
        """What every target of ``profile`` in ``env`` is served outside a rollout."""
        now = self._clock()
        for d in reversed(env.deployments):
            if d.profile is profile:
                state = self.progress(d, now).state
                if state in (DeploymentState.ROLLED_BACK, DeploymentState.REVERTED):
                    return d.previous
                return d.version if state not in RUNNING else d.previous
        return None

    def serve(self, env: Environment, profile: Profile, target: str) -> Version | None:
        """The version ``target`` gets now: a rollout in progress splits targets by bucket."""
        now = self._clock()
        for d in reversed(env.deployments):
            if d.profile is not profile:
                continue
            found = self.progress(d, now)
            if found.state in (DeploymentState.ROLLED_BACK, DeploymentState.REVERTED):
                return d.previous
            if found.state is not DeploymentState.DEPLOYING:
                return d.version
            key = f"{d.application_id}/{d.environment_id}/{d.number}"
            return d.version if bucket(self.seed, key, target) < found.percentage else d.previous
        return None

    # -- lookups (the caller holds the lock) ------------------------------------------

    def _new_id(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(self._ids.choice(alphabet) for _ in range(7))

    def _app(self, p: Mapping[str, Any]) -> Application:
        app = self.applications.get(p["ApplicationId"])
        if app is None:
            raise not_found("Application", p["ApplicationId"])
        return app

    def _env(self, p: Mapping[str, Any]) -> Environment:
        env = self._app(p).environments.get(p["EnvironmentId"])
        if env is None:
            raise not_found("Environment", p["EnvironmentId"])
        return env

    def _profile(self, p: Mapping[str, Any]) -> Profile:
        profile = self._app(p).profiles.get(p["ConfigurationProfileId"])
        if profile is None:
            raise not_found("ConfigurationProfile", p["ConfigurationProfileId"])
        return profile

    def _version(self, p: Mapping[str, Any]) -> Version:
        version = self._profile(p).versions.get(p["VersionNumber"])
        if version is None:
            raise not_found("HostedConfigurationVersion", p["VersionNumber"])
        return version

    def _strategy(self, ident: str, *, changing: bool = False) -> Strategy:
        strategy = self.strategies.get(ident)
        if strategy is None:
            raise not_found("DeploymentStrategy", ident)
        if changing and strategy.predefined:
            raise bad_request(f"{ident} is predefined by AppConfig and cannot be changed")
        return strategy

    def _deployment(self, p: Mapping[str, Any]) -> Deployment:
        for d in self._env(p).deployments:
            if d.number == p["DeploymentNumber"]:
                return d
        raise not_found("Deployment", p["DeploymentNumber"])

    def _running(self, env: Environment) -> Deployment | None:
        now = self._clock()
        for d in env.deployments:
            if self.progress(d, now).state in RUNNING:
                return d
        return None

    def _environment_wire(self, env: Environment) -> dict[str, Any]:
        state = "READY_FOR_DEPLOYMENT"
        if env.deployments:
            last = self.progress(env.deployments[-1], self._clock()).state
            if last in RUNNING:
                state = "DEPLOYING"
            elif last is not DeploymentState.COMPLETE:
                state = last.value
        return _members(
            ApplicationId=env.application_id,
            Id=env.id,
            Name=env.name,
            Description=env.description,
            State=state,
            Monitors=env.monitors,
        )

    def _deployment_wire(self, d: Deployment) -> dict[str, Any]:
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
        return _members(
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


_SUMMARY = (
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


def _named(resources: Mapping[str, Any], ident: str) -> Any:
    """The resource with this ID, else the first one with this name."""
    found = resources.get(ident)
    if found is None:
        found = next((r for r in resources.values() if r.name == ident), None)
    return found


def _members(**members: Any) -> dict[str, Any]:
    """The members that have a value: AWS leaves unset ones out."""
    return {k: v for k, v in members.items() if v is not None}


def _strategy_wire(s: Strategy) -> dict[str, Any]:
    return _members(
        Id=s.id,
        Name=s.name,
        Description=s.description or None,
        DeploymentDurationInMinutes=s.duration_minutes,
        GrowthType=s.growth_type.value,
        GrowthFactor=s.growth_factor,
        FinalBakeTimeInMinutes=s.final_bake_minutes,
        ReplicateTo=s.replicate_to,
    )


def _page(items: list[dict[str, Any]], p: Mapping[str, Any]) -> dict[str, Any]:
    """One page of ``items``: ``MaxResults`` (default 50) from ``NextToken`` on."""
    token = p.get("NextToken")
    start = 0
    if token is not None:
        if not token.isdigit() or int(token) > len(items):
            raise bad_request("NextToken is not valid")
        start = int(token)
    size = p.get("MaxResults", 50)
    page: dict[str, Any] = {"Items": items[start : start + size]}
    if start + size < len(items):
        page["NextToken"] = str(start + size)
    return page


def _label_matches(pattern: str, version: Version) -> bool:
    # ListHostedConfigurationVersions' VersionLabel: an exact label, or a prefix ending
    # in "*" (the API reference's "v2*").
    label = version.label or ""
    return label.startswith(pattern[:-1]) if pattern.endswith("*") else label == pattern


def _validators(validators: list[dict[str, str]]) -> list[dict[str, str]]:
    for v in validators:
        if v["Type"] != "JSON_SCHEMA":
            raise bad_request(
                f"{v['Type']} validators cannot run in LocalAppConfig; use JSON_SCHEMA"
            )
        try:
            compile_schema(json.loads(v["Content"]))
        except Exception as error:  # noqa: BLE001 - any failure means "not a usable schema"
            raise bad_request(
                f"The JSON_SCHEMA validator is not a valid JSON Schema: {error}"
            ) from None
    return list(validators)


def _validate(profile: Profile, version: Version) -> None:
    """Run the profile's validators on ``version``, as AWS does at ``StartDeployment``."""
    if not profile.validators:
        return
    try:
        doc = _parse(version.content, version.content_type)
    except ValueError as error:
        raise bad_request(f"Configuration failed validation: {error}") from None
    for validator in profile.validators:
        found = problems(compile_schema(json.loads(validator["Content"])), doc)
        if found:
            raise bad_request(f"Configuration failed validation: {found[0]}", found)


def _parse(content: bytes, content_type: str) -> Any:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind in ("application/x-yaml", "application/yaml", "text/yaml"):
        try:
            import yaml  # noqa: PLC0415 - only for YAML configurations

            return yaml.safe_load(content)
        except ImportError:
            raise ValueError("YAML needs PyYAML (pip install 'appflags[yaml]')") from None
        except yaml.YAMLError:
            raise ValueError(f"the {kind} content is not YAML") from None
    try:
        return json.loads(content)
    except ValueError:
        raise ValueError(f"the {kind} content is not JSON, which a JSON Schema needs") from None
