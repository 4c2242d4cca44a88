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

import random
import string
import threading
from typing import TYPE_CHECKING, Any

from appflags._errors import SchemaError
from appflags.testing._control_model import (
    DEFAULT_MAX_CONFIGURATION_SIZE,
    FEATURE_FLAGS,
    FREEFORM,
    HOSTED,
    ApiError,
    Application,
    Deployment,
    Environment,
    Profile,
    Version,
    bad_request,
    checked_validators,
    conflict,
    label_matches,
    members,
    named,
    not_found,
    page,
    run_validators,
    strategy_wire,
)
from appflags.testing._deployments import IMMEDIATE, SUMMARY, Timeline
from appflags.testing._rollout import PREDEFINED, GrowthType, Strategy
from appflags.testing._tags import Tagging

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime


class ControlPlane(Tagging):
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
        self.max_configuration_size = max_configuration_size
        self.timeline = Timeline(
            clock, time_scale, random.SystemRandom().getrandbits(64) if seed is None else seed
        )
        self._ids = random.Random(seed)  # noqa: S311 - resource IDs, not secrets
        self.lock = threading.RLock()
        self.applications: dict[str, Application] = {}
        self.strategies: dict[str, Strategy] = {s.id: s for s in PREDEFINED}
        self.tags: dict[str, dict[str, str]] = {}

    # -- applications, environments, profiles ------------------------------------------

    def create_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            app = Application(self._new_id(), p["Name"], p.get("Description"))
            self.applications[app.id] = app
            self.tag(f"application/{app.id}", p.get("Tags"))
            return app.wire()

    def get_application(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._app(p).wire()

    def list_applications(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return page([a.wire() for a in self.applications.values()], p)

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
            self.tag(f"application/{app.id}/environment/{env.id}", p.get("Tags"))
            return self.timeline.environment_wire(env)

    def get_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self.timeline.environment_wire(self._env(p))

    def list_environments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            envs = self._app(p).environments.values()
            return page([self.timeline.environment_wire(e) for e in envs], p)

    def update_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            env.name = p.get("Name", env.name)
            env.description = p.get("Description", env.description)
            env.monitors = p.get("Monitors", env.monitors)
            return self.timeline.environment_wire(env)

    def delete_environment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            running = self.timeline.running(env)
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
                checked_validators(p.get("Validators", [])),
                p.get("RetrievalRoleArn"),
                p.get("KmsKeyIdentifier"),
            )
            app.profiles[profile.id] = profile
            self.tag(f"application/{app.id}/configurationprofile/{profile.id}", p.get("Tags"))
            return profile.wire()

    def get_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._profile(p).wire()

    def list_configuration_profiles(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            kind = p.get("Type")
            items = [
                members(
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
            return page(items, p)

    def update_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            profile.name = p.get("Name", profile.name)
            profile.description = p.get("Description", profile.description)
            profile.retrieval_role_arn = p.get("RetrievalRoleArn", profile.retrieval_role_arn)
            if "Validators" in p:
                profile.validators = checked_validators(p["Validators"])
            if "KmsKeyIdentifier" in p:
                profile.kms_key_identifier = p["KmsKeyIdentifier"] or None
            return profile.wire()

    def delete_configuration_profile(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            app = self.applications[profile.application_id]
            for env in app.environments.values():
                running = self.timeline.running(env)
                if running is not None and running.profile is profile:
                    raise conflict(f"Deployment {running.number} of {profile.id} is in progress")
            del app.profiles[profile.id]
            return {}

    # -- hosted configuration versions ----------------------------------------------

    def create_hosted_configuration_version(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            profile = self._profile(p)
            _writable(profile)
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
            items = [v.summary() for v in versions if label is None or label_matches(label, v)]
            return page(items, p)

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
            self.tag(f"deploymentstrategy/{strategy.id}", p.get("Tags"))
            return strategy_wire(strategy)

    def get_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return strategy_wire(self._strategy(p["DeploymentStrategyId"]))

    def list_deployment_strategies(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return page([strategy_wire(s) for s in self.strategies.values()], p)

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
            return strategy_wire(new)

    def delete_deployment_strategy(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            del self.strategies[self._strategy(p["DeploymentStrategyId"], changing=True).id]
            return {}

    # -- deployments ----------------------------------------------------------------

    def start_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            profile = self._profile(p)
            _writable(profile)
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
            running = self.timeline.running(env)
            if running is not None:
                raise conflict(
                    f"Deployment {running.number} is already in progress in environment "
                    f"{env.id} (configuration profile {running.profile.id}, version "
                    f"{running.version.number}); wait for it or stop it"
                )
            run_validators(profile, version)
            if p.get("DynamicExtensionParameters"):
                raise bad_request(
                    "DynamicExtensionParameters: no extension with a PRE_START_DEPLOYMENT "
                    "action is associated (LocalAppConfig runs no extensions)"
                )
            deployment = self.deploy(env, profile, version, strategy, p.get("Description"))
            deployment.kms_key_identifier = p.get("KmsKeyIdentifier")
            where = f"application/{env.application_id}/environment/{env.id}"
            self.tag(f"{where}/deployment/{deployment.number}", p.get("Tags"))
            return self.timeline.deployment_wire(deployment)

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
            self.timeline.serve(env, profile, None),
            self._clock(),
            description,
        )
        env.deployments.append(deployment)
        return deployment

    def get_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self.timeline.deployment_wire(self._deployment(p))

    def list_deployments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = []
            for d in reversed(self._env(p).deployments):
                wire = self.timeline.deployment_wire(d)
                items.append({k: wire[k] for k in SUMMARY if k in wire})
            return page(items, p)

    def stop_deployment(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            env = self._env(p)
            deployment = self._deployment(p)
            # Stopping or reverting a file's deployment would serve what the file does not
            # say (its only deployment reverts to nothing): the file decides, as for deploys.
            _writable(deployment.profile)
            return self.timeline.stop(env, deployment, allow_revert=p.get("AllowRevert"))

    # -- the shortcuts of LocalAppConfig (put, watch_file) and the data plane ---------

    def find(
        self, application: str, environment: str, profile: str
    ) -> tuple[Environment, Profile] | None:
        """The environment and profile named by the data plane's identifiers (ID or name)."""
        app = named(self.applications, application)
        if app is None:
            return None
        env = named(app.environments, environment)
        found = named(app.profiles, profile)
        return None if env is None or found is None else (env, found)

    def ensure(
        self, application: str, environment: str, profile: str, kind: str
    ) -> tuple[Environment, Profile]:
        """The environment and profile by these names, created as needed (``kind`` for a
        new profile); ``ValueError`` when the profile exists with another type."""
        app = named(self.applications, application)
        if app is None:
            app = Application(self._new_id(), application)
            self.applications[app.id] = app
        env = named(app.environments, environment)
        if env is None:
            env = Environment(app.id, self._new_id(), environment)
            app.environments[env.id] = env
        found = named(app.profiles, profile)
        if found is None:
            found = Profile(app.id, self._new_id(), profile, kind)
            app.profiles[found.id] = found
        elif found.type != kind:
            raise ValueError(
                f"profile {application}/{profile} is {found.type}; a profile's type cannot change"
            )
        return env, found

    def forget(self, application: str, environment: str, profile: str) -> None:
        """Delete the profile and its deployments (``LocalAppConfig.delete``)."""
        found = self.find(application, environment, profile)
        if found is None:
            return
        doomed = found[1]
        app = self.applications[doomed.application_id]
        del app.profiles[doomed.id]
        for env in app.environments.values():
            env.deployments = [d for d in env.deployments if d.profile is not doomed]

    def deploy_now(self, env: Environment, profile: Profile, version: Version) -> Deployment:
        """Deploy ``version`` to every target at once (``LocalAppConfig.put``): a deployment
        recorded with ``AppConfig.AllAtOnce`` and no bake, ``COMPLETE`` from its start."""
        running = self.timeline.running(env)
        if running is not None:
            raise ValueError(
                f"deployment {running.number} (profile {running.profile.name}) is in progress "
                f"in environment {env.name}: AppConfig would refuse another; stop it or let it end"
            )
        return self.deploy(env, profile, version, IMMEDIATE, "LocalAppConfig.put")

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


def _writable(profile: Profile) -> None:
    """Refuse to deploy to (or stop, or revert) a profile a watched file owns
    (``watch_file``, ``appflags serve``)."""
    if profile.owner is not None:
        raise bad_request(
            f"Configuration profile {profile.name} ({profile.id}) is served from the file "
            f"{profile.owner}: edit that file to deploy it"
        )
