"""One AppConfig environment through the control plane: what is deployed, the plan for a
document, versions, deployments, waiting, stopping."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from appflags.authoring._aws import translated
from appflags.authoring._deployments import (
    COMPLETE,
    DEFAULT_STRATEGY,
    Deployment,
    HostedVersion,
    Named,
    Profile,
    Strategy,
)
from appflags.authoring._diff import diff_documents
from appflags.authoring._document import Document, canonical, stored_content
from appflags.authoring._errors import (
    AuthoringError,
    DeploymentRunningError,
    NotDeployedError,
    NotFoundError,
    ProfileMismatchError,
    RolledBackContentError,
    WaitTimeoutError,
)
from appflags.authoring._plan import Deployed, EnvironmentStatus, Plan, Started

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from mypy_boto3_appconfig import AppConfigClient

_PREDEFINED = re.compile(r"AppConfig\.[A-Za-z0-9]{9,40}")
_SHOWN = 10  # known names listed in an "unknown name" message

Until = Literal["reached", "complete", "ended"]
_Item = TypeVar("_Item", Named, Profile, Strategy)


class AppConfigEnvironment:
    """One environment of one AppConfig application, through the control plane.

    >>> env = AppConfigEnvironment.find(client, "shop", "prod")  # doctest: +SKIP
    >>> plan = env.plan(env.profile("flags"), Document.from_file("flags.json"))  # doctest: +SKIP
    >>> print("\\n".join(plan.diff.lines()))  # doctest: +SKIP

    Names are resolved to IDs through the ``List*`` calls (the control plane takes IDs);
    every failure is an :class:`AuthoringError` that says what failed.
    """

    def __init__(self, client: AppConfigClient, application: Named, environment: Named) -> None:
        self.client = client
        self.application = application
        self.environment = environment

    def __repr__(self) -> str:
        return f"AppConfigEnvironment({self.application.name!r}, {self.environment.name!r})"

    @classmethod
    def find(
        cls, client: AppConfigClient, application: str, environment: str
    ) -> AppConfigEnvironment:
        """The environment ``environment`` of application ``application`` (names or IDs).

        Raises :class:`NotFoundError` naming which one does not exist.
        """
        with translated("ListApplications"):
            apps = [
                Named(item["Id"], item["Name"])
                for page in client.get_paginator("list_applications").paginate()
                for item in page["Items"]
            ]
        app = _one(apps, "application", application, "")
        with translated("ListEnvironments"):
            envs = [
                Named(item["Id"], item["Name"])
                for page in client.get_paginator("list_environments").paginate(ApplicationId=app.id)
                for item in page["Items"]
            ]
        env = _one(envs, "environment", environment, f" in application {app.name!r}")
        return cls(client, app, env)

    # ------------------------------------------------------------------ lookups

    def profiles(self) -> list[Profile]:
        """The application's configuration profiles."""
        with translated("ListConfigurationProfiles"):
            return [
                Profile(item["Id"], item["Name"], item.get("Type", ""), item.get("LocationUri", ""))
                for page in self.client.get_paginator("list_configuration_profiles").paginate(
                    ApplicationId=self.application.id
                )
                for item in page["Items"]
            ]

    def profile(self, name: str) -> Profile:
        """The configuration profile ``name`` (or ID); :class:`NotFoundError` otherwise."""
        where = f" in application {self.application.name!r}"
        return _one(self.profiles(), "configuration profile", name, where)

    def strategies(self) -> list[Strategy]:
        """The deployment strategies (AppConfig's predefined ones and the account's own)."""
        with translated("ListDeploymentStrategies"):
            return [
                _strategy(item)
                for page in self.client.get_paginator("list_deployment_strategies").paginate()
                for item in page["Items"]
            ]

    def strategy(self, name: str = DEFAULT_STRATEGY) -> Strategy:
        """A deployment strategy by name or ID (``AppConfig.Canary10Percent20Minutes``)."""
        known = self.strategies()
        try:
            return _one(known, "deployment strategy", name, "")
        except NotFoundError:
            if not _PREDEFINED.fullmatch(name):
                raise
        # A predefined strategy the list did not show: ask for it by its ID.
        with translated(
            "GetDeploymentStrategy",
            not_found=lambda: NotFoundError(
                "deployment strategy", name, f"unknown deployment strategy {name!r}"
            ),
        ):
            item = self.client.get_deployment_strategy(DeploymentStrategyId=name)
        return _strategy(item)

    def deployments(self) -> Iterator[Deployment]:
        """The environment's deployments, newest first (as ``ListDeployments`` orders them)."""
        pages = self.client.get_paginator("list_deployments").paginate(
            ApplicationId=self.application.id, EnvironmentId=self.environment.id
        )
        with translated("ListDeployments"):
            for page in pages:
                for item in page["Items"]:
                    yield Deployment.from_response(item)

    def deployment(self, number: int) -> Deployment:
        """Deployment ``number``, with its event log."""
        with translated(
            "GetDeployment",
            not_found=lambda: NotFoundError(
                "deployment",
                str(number),
                f"no deployment {number} in environment {self.environment.name!r}",
            ),
        ):
            item = self.client.get_deployment(
                ApplicationId=self.application.id,
                EnvironmentId=self.environment.id,
                DeploymentNumber=number,
            )
        return Deployment.from_response(item)

    def hosted_version(self, profile: Profile, number: int) -> HostedVersion:
        """Hosted configuration version ``number`` of ``profile``, with its content."""
        with translated(
            "GetHostedConfigurationVersion",
            not_found=lambda: NotFoundError(
                "hosted configuration version",
                str(number),
                f"profile {profile.name!r} has no hosted configuration version {number}",
            ),
        ):
            item = self.client.get_hosted_configuration_version(
                ApplicationId=self.application.id,
                ConfigurationProfileId=profile.id,
                VersionNumber=number,
            )
        content = item.get("Content", b"")
        return HostedVersion(
            number=int(item.get("VersionNumber", number)),
            content=content if isinstance(content, bytes) else content.read(),
            content_type=item.get("ContentType", "application/json"),
            label=item.get("VersionLabel"),
            description=item.get("Description"),
        )

    def latest_version(self, profile: Profile) -> int | None:
        """The number of ``profile``'s newest hosted version (``None`` when it has none)."""
        with translated("ListHostedConfigurationVersions"):
            numbers = [
                int(item["VersionNumber"])
                for page in self.client.get_paginator(
                    "list_hosted_configuration_versions"
                ).paginate(ApplicationId=self.application.id, ConfigurationProfileId=profile.id)
                for item in page["Items"]
            ]
        return max(numbers, default=None)

    def deployed(self, profile: Profile) -> Deployed | None:
        """What is deployed of ``profile``: the version of its last ``COMPLETE`` deployment
        (``None`` when nothing was ever completed)."""
        return self._scan(profile).deployed

    def running(self) -> Deployment | None:
        """The deployment running in the environment, if any."""
        for deployment in self.deployments():
            if deployment.running:
                return deployment
        return None

    def status(self, profile: Profile | None = None) -> EnvironmentStatus:
        """The deployments running now and the last completed one of each profile (or of
        ``profile`` alone), with their event logs."""
        wanted = {p.id: p for p in ([profile] if profile else self.profiles())}
        running: list[Deployment] = []
        completed: dict[str, Deployment] = {}
        for deployment in self.deployments():
            mine = [p for p in wanted.values() if deployment.matches(p)]
            if not mine:
                continue
            if deployment.running:
                running.append(deployment)
            elif deployment.state == COMPLETE and mine[0].id not in completed:
                completed[mine[0].id] = deployment
                if len(completed) == len(wanted):
                    break
        names = {s.id: s.name for s in self.strategies()}
        return EnvironmentStatus(
            tuple(self.deployment(d.number) for d in running),
            tuple(self.deployment(d.number) for d in completed.values()),
            names,
        )

    # ------------------------------------------------------------------ planning

    def plan(self, profile: Profile, document: Document, *, force: bool = False) -> Plan:
        """What deploying ``document`` to ``profile`` would do; changes nothing.

        Raises :class:`ProfileMismatchError` when the document does not fit the profile,
        and :class:`RolledBackContentError` when it is what the profile's latest deployment
        rolled back or reverted (unless ``force``).
        """
        if not profile.hosted:
            raise ProfileMismatchError(
                f"profile {profile.name!r} keeps its content at {profile.location!r}, not in "
                "AppConfig's hosted store: appflags deploys hosted profiles only"
            )
        upload, content_type = document.upload_for(profile.type)
        scan = self._scan(profile)
        deployed = scan.deployed
        before = deployed.content if deployed else None
        changed = deployed is None or (
            canonical(before) != canonical(document.content)
            if before is not None
            else deployed.version.content != upload
        )
        running = scan.running
        in_flight = bool(
            running is not None
            and running.matches(profile)
            and running.state != "ROLLING_BACK"
            and self._holds(profile, running, document)
        )
        latest = scan.latest_of_profile
        if (
            changed
            and not force
            and latest is not None
            and latest.undone
            and self._holds(profile, latest, document)
        ):
            raise RolledBackContentError(self.deployment(latest.number))
        return Plan(
            profile=profile,
            document=document,
            deployed=deployed,
            diff=diff_documents(before, document.content),
            changed=changed,
            running=running,
            in_flight=in_flight,
            latest_version=self.latest_version(profile) if changed else None,
            latest_deployment=scan.newest.number if scan.newest else None,
            upload=upload,
            content_type=content_type,
        )

    def version_document(self, profile: Profile, number: int) -> Document:
        """Hosted version ``number`` of ``profile`` as a document (``deploy --version``)."""
        version = self.hosted_version(profile, number)
        return Document.from_bytes(
            version.content, version.content_type, source=f"version {number}"
        )

    # ------------------------------------------------------------------ writing

    def create_version(
        self,
        profile: Profile,
        content: bytes,
        content_type: str,
        *,
        latest_version: int | None,
        description: str | None = None,
        label: str | None = None,
    ) -> int:
        """Store ``content`` as a new hosted version of ``profile``; returns its number.

        ``latest_version`` is the newest version number this caller saw: AppConfig refuses
        the write (:class:`ConflictError`) if another was created since.
        """
        params: dict[str, Any] = {
            "ApplicationId": self.application.id,
            "ConfigurationProfileId": profile.id,
            "Content": content,
            "ContentType": content_type,
        }
        if latest_version is not None:
            params["LatestVersionNumber"] = latest_version
        if description:
            params["Description"] = check_description(description)
        if label:
            params["VersionLabel"] = check_label(label)
        with translated("CreateHostedConfigurationVersion"):
            answer = self.client.create_hosted_configuration_version(**params)
        return int(answer["VersionNumber"])

    def start(
        self,
        profile: Profile,
        version: int,
        *,
        strategy: Strategy,
        latest_deployment: int | None,
        description: str | None = None,
        kms_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        extension_parameters: Mapping[str, str] | None = None,
    ) -> Deployment:
        """Start deploying hosted ``version`` of ``profile`` with ``strategy``.

        ``latest_deployment`` is the newest deployment number this caller saw (AppConfig
        refuses the start if another began since).
        """
        params: dict[str, Any] = {
            "ApplicationId": self.application.id,
            "EnvironmentId": self.environment.id,
            "DeploymentStrategyId": strategy.id,
            "ConfigurationProfileId": profile.id,
            "ConfigurationVersion": str(version),
        }
        if latest_deployment is not None:
            params["LatestDeploymentNumber"] = latest_deployment
        if description:
            params["Description"] = check_description(description)
        if kms_key:
            params["KmsKeyIdentifier"] = kms_key
        if tags:
            params["Tags"] = dict(tags)
        if extension_parameters:
            params["DynamicExtensionParameters"] = dict(extension_parameters)
        with translated("StartDeployment"):
            answer = self.client.start_deployment(**params)
        return Deployment.from_response(answer)

    def apply(
        self,
        plan: Plan,
        *,
        strategy: str = DEFAULT_STRATEGY,
        version: int | None = None,
        description: str | None = None,
        label: str | None = None,
        kms_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        extension_parameters: Mapping[str, str] | None = None,
    ) -> Started:
        """Carry out ``plan``: create the hosted version (or deploy the existing
        ``version``) and start its deployment.

        A deployment already deploying the same document is joined, not repeated. Raises
        :class:`DeploymentRunningError` when another deployment is running, and
        :class:`NotDeployedError` (naming the version) when the version was created but
        the deployment could not start, or Ctrl-C interrupted its start (its
        ``__cause__`` is then the ``KeyboardInterrupt``).
        """
        if plan.in_flight and plan.running is not None:
            return Started(plan.running, int(plan.running.version), created=False, joined=True)
        if plan.running is not None:
            raise DeploymentRunningError(plan.running)
        if description:
            check_description(description)
        if label:
            check_label(label)
        chosen = self.strategy(strategy)
        created = version is None
        if version is None:
            version = self.create_version(
                plan.profile,
                plan.upload,
                plan.content_type,
                latest_version=plan.latest_version,
                description=description,
                label=label,
            )
        try:
            deployment = self.start(
                plan.profile,
                version,
                strategy=chosen,
                latest_deployment=plan.latest_deployment,
                description=description,
                kms_key=kms_key,
                tags=tags,
                extension_parameters=extension_parameters,
            )
        except (AuthoringError, KeyboardInterrupt) as exc:
            if not created:
                raise
            if isinstance(exc, KeyboardInterrupt):
                # The request may have reached AppConfig: say what is known, and where to look.
                raise NotDeployedError(
                    version,
                    AuthoringError(
                        "interrupted before AppConfig answered StartDeployment "
                        "(the deployment may have started: check the status)"
                    ),
                ) from exc
            raise NotDeployedError(version, exc) from exc
        return Started(deployment, version, created=created)

    def wait(
        self,
        number: int,
        *,
        until: Until = "reached",
        timeout: float | None = None,
        interval: float = 2.0,
        on_update: Callable[[Deployment], None] | None = None,
    ) -> Deployment:
        """Poll deployment ``number`` until it gets there, and return it.

        ``until``: ``"reached"`` (every target has the version: ``BAKING`` or
        ``COMPLETE``), ``"complete"`` (through the bake) or ``"ended"`` (no longer running).
        A deployment rolled back or reverted ends every wait. ``on_update`` is called with
        each poll's answer. Raises :class:`WaitTimeoutError` after ``timeout`` seconds;
        the deployment continues either way.
        """
        started = time.monotonic()
        while True:
            deployment = self.deployment(number)
            if on_update is not None:
                on_update(deployment)
            if _arrived(deployment, until):
                return deployment
            waited = time.monotonic() - started
            if timeout is not None and waited + interval > timeout:
                if waited < timeout:
                    time.sleep(max(0.0, timeout - waited))
                    deployment = self.deployment(number)
                    if _arrived(deployment, until):
                        return deployment
                raise WaitTimeoutError(deployment, timeout)
            time.sleep(interval)

    def stop(self, number: int | None = None, *, revert: bool = False) -> Deployment:
        """Stop deployment ``number`` (default: the one running): a ``DEPLOYING`` or
        ``BAKING`` deployment ends ``ROLLED_BACK``. With ``revert``, a ``COMPLETE`` one
        (default: the newest, if it completed) goes back to the previous version,
        ``REVERTED`` (AppConfig allows this up to 72 hours after it completed)."""
        if number is None:
            newest = next(iter(self.deployments()), None)
            if newest is None:
                raise AuthoringError(
                    f"environment {self.environment.name!r} has no deployments to stop"
                )
            if not newest.running and not (revert and newest.state == COMPLETE):
                hint = (
                    f"; --revert (revert=True) reverts deployment {newest.number} "
                    "to the previous version"
                    if newest.state == COMPLETE
                    else ""
                )
                raise AuthoringError(
                    f"no deployment is running in environment {self.environment.name!r} "
                    f"(the newest, {newest.describe()}, ended){hint}"
                )
            number = newest.number
        deployment = self.deployment(number)
        if deployment.state == COMPLETE and not revert:
            raise AuthoringError(
                f"deployment {number} is COMPLETE: only a revert (--revert, revert=True) "
                "takes it back, to the previous version"
            )
        if not deployment.running and deployment.state != COMPLETE:
            raise AuthoringError(f"deployment {number} already ended: {deployment.state}")
        params: dict[str, Any] = {
            "ApplicationId": self.application.id,
            "EnvironmentId": self.environment.id,
            "DeploymentNumber": number,
        }
        if revert:
            params["AllowRevert"] = True
        with translated("StopDeployment"):
            answer = self.client.stop_deployment(**params)
        return Deployment.from_response(answer)

    def pull(self, profile: Profile) -> Deployed:
        """What is deployed of ``profile``, its content as stored (ready to edit and deploy
        back). Raises :class:`NotFoundError` when nothing of it ever completed deploying."""
        deployed = self.deployed(profile)
        if deployed is None:
            raise NotFoundError(
                "deployment",
                profile.name,
                f"nothing of profile {profile.name!r} is deployed in environment "
                f"{self.environment.name!r} (no COMPLETE deployment)",
            )
        return deployed

    # ------------------------------------------------------------------ internals

    def _holds(self, profile: Profile, deployment: Deployment, document: Document) -> bool:
        """Whether ``deployment``'s version has ``document``'s content."""
        if not deployment.version.isdigit():
            return False
        version = self.hosted_version(profile, int(deployment.version))
        content = stored_content(version.content, version.content_type)
        return content is not None and canonical(content) == canonical(document.content)

    def _scan(self, profile: Profile) -> _Scan:
        newest = running = latest = None
        complete: Deployment | None = None
        for deployment in self.deployments():
            newest = newest or deployment
            if deployment.running and running is None:
                running = deployment
            if deployment.matches(profile):
                latest = latest or deployment
                if deployment.state == COMPLETE:
                    complete = deployment
                    break
        deployed = None
        if complete is not None and complete.version.isdigit():
            version = self.hosted_version(profile, int(complete.version))
            content = stored_content(version.content, version.content_type)
            deployed = Deployed(complete, version, content)
        return _Scan(newest, running, latest, deployed)


@dataclass(frozen=True)
class _Scan:
    newest: Deployment | None
    running: Deployment | None
    latest_of_profile: Deployment | None
    deployed: Deployed | None


def _arrived(deployment: Deployment, until: Until) -> bool:
    if not deployment.running:
        return True  # COMPLETE, ROLLED_BACK or REVERTED: nothing more will happen
    return until == "reached" and deployment.reached()


def check_description(text: str) -> str:
    """A description AppConfig takes: ASCII (it travels in an HTTP header), at most 1024
    characters. Raises :class:`ValueError`."""
    if not text.isascii() or not text.isprintable():
        raise ValueError("a description must be printable ASCII: it is sent as an HTTP header")
    if len(text) > 1024:
        raise ValueError(f"a description has at most 1024 characters, this has {len(text)}")
    return text


def check_label(label: str) -> str:
    """A version label AppConfig takes: 1-64 printable ASCII characters, not all digits
    (those would read as version numbers). Raises :class:`ValueError`."""
    if not 1 <= len(label) <= 64:
        raise ValueError(f"a version label has 1-64 characters, {label!r} has {len(label)}")
    if label.isdigit():
        raise ValueError(
            f"a version label cannot be all digits ({label!r} reads as a version number)"
        )
    if not label.isascii() or not label.isprintable():
        raise ValueError("a version label must be printable ASCII: it is sent as an HTTP header")
    return label


def _strategy(item: Mapping[str, Any]) -> Strategy:
    return Strategy(
        id=str(item["Id"]),
        name=str(item.get("Name", item["Id"])),
        duration_minutes=int(item.get("DeploymentDurationInMinutes", 0)),
        growth_type=str(item.get("GrowthType", "LINEAR")),
        growth_factor=float(item.get("GrowthFactor", 100.0)),
        bake_minutes=int(item.get("FinalBakeTimeInMinutes", 0)),
    )


def _one(choices: Iterable[_Item], kind: str, wanted: str, where: str) -> _Item:
    """The item named ``wanted`` (or with that ID) among ``choices``."""
    items = list(choices)
    named = [item for item in items if item.name == wanted]
    if len(named) > 1:
        ids = ", ".join(item.id for item in named)
        raise AuthoringError(
            f"{len(named)} {kind}s are named {wanted!r}{where}: pass the ID ({ids})"
        )
    found = named or [item for item in items if item.id == wanted]
    if found:
        return found[0]
    names = sorted(item.name for item in items)
    known = ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")
    said = f" (there are: {known})" if names else f" (there is no {kind})"
    raise NotFoundError(kind, wanted, f"unknown {kind} {wanted!r}{where}{said}")
