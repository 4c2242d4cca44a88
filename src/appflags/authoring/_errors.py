"""What can go wrong while deploying, and what each failure carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appflags.authoring._deployments import Deployment


class AuthoringError(Exception):
    """A step of deploy, diff, pull, status or rollback could not be done.

    The message is written for people: it names what failed and what to do.
    """


class NotFoundError(AuthoringError):
    """An application, environment, profile, strategy, version or deployment that does not
    exist. ``kind`` says which (``"application"``, ...); ``name`` is what was asked for."""

    def __init__(self, kind: str, name: str, message: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(message)


class ProfileMismatchError(AuthoringError):
    """The document does not fit the configuration profile: a feature-flag document for a
    freeform profile, or the reverse, or a profile whose content is not hosted by AppConfig."""


class DeploymentRunningError(AuthoringError):
    """Another deployment is running in the environment; AppConfig runs one at a time.

    ``deployment`` is the running one.
    """

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        super().__init__(
            f"deployment {deployment.describe()} is running in this environment: "
            "AppConfig runs one deployment per environment at a time"
        )


class RolledBackContentError(AuthoringError):
    """The document is what the profile's latest deployment rolled back or reverted.

    Deploying it again needs ``force=True`` (``--force``): a pipeline must not silently
    redeploy what someone just rolled back. ``deployment`` is that deployment.
    """

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        super().__init__(
            f"this content was {deployment.state.lower().replace('_', ' ')} "
            f"by deployment {deployment.number} (version {deployment.version}); "
            "deploy it again only on purpose (--force, or force=True)"
        )


class ConflictError(AuthoringError):
    """Someone else changed the profile or the environment meanwhile (AppConfig's
    ``ConflictException``): a new hosted version or a new deployment appeared between
    reading and writing. Nothing was overwritten; run the command again."""


class PayloadTooLargeError(AuthoringError):
    """The document is larger than the hosted configuration store takes.

    ``size`` and ``limit`` are what AppConfig reported, in ``measure`` (``"KILOBYTES"``).
    """

    def __init__(self, size: float | None, limit: float | None, measure: str | None) -> None:
        self.size = size
        self.limit = limit
        self.measure = measure
        unit = {"KILOBYTES": "KB"}.get(measure or "", measure or "")
        said = (
            f"{size:g} {unit}, over the quota of {limit:g} {unit}"
            if size is not None and limit is not None
            else "over the quota"
        )
        super().__init__(
            f"the document is too large for AppConfig's hosted store: {said} "
            "(a quota you can ask AWS to raise: Service Quotas, 'AWS AppConfig')"
        )


class AppConfigError(AuthoringError):
    """AppConfig refused a request or kept failing after retries. ``code`` is AppConfig's
    error code (``"BadRequestException"``, ``"ThrottlingException"``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class UnreachableError(AuthoringError):
    """AppConfig could not be asked: no credentials, no region, or no connection."""


class WaitTimeoutError(AuthoringError):
    """Waiting ended before the deployment got there; the deployment itself continues.

    ``deployment`` is its state when waiting stopped.
    """

    def __init__(self, deployment: Deployment, seconds: float) -> None:
        self.deployment = deployment
        self.seconds = seconds
        super().__init__(
            f"deployment {deployment.number} is still {deployment.state} at "
            f"{deployment.percentage:g}% after {seconds:g} s of waiting; it continues"
        )


class NotDeployedError(AuthoringError):
    """A hosted configuration version was created but its deployment did not start.

    ``version`` is the version created (deploy it with ``deploy_version``, or
    ``appflags deploy --version N``); the cause is chained as ``__cause__``.
    """

    def __init__(self, version: int, cause: AuthoringError) -> None:
        self.version = version
        super().__init__(
            f"hosted configuration version {version} was created but not deployed: {cause}"
        )
