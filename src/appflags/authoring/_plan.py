"""What the workflow makes of the control plane: what is deployed, the plan for a
document, a deployment started, an environment's status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from appflags.authoring._deployments import Deployment, HostedVersion, Profile
    from appflags.authoring._diff import DocumentDiff
    from appflags.authoring._document import Document


@dataclass(frozen=True)
class Deployed:
    """What is deployed: the last ``COMPLETE`` deployment of a profile, and its version."""

    deployment: Deployment
    version: HostedVersion
    content: Any
    """The version's content parsed (``None`` when appflags cannot read it)."""


@dataclass(frozen=True)
class Plan:
    """What deploying a document would do, worked out without changing anything.

    ``changed`` is false when the document equals what is deployed (as parsed JSON, so
    formatting and key order do not count). ``running`` is a deployment running in the
    environment now; ``in_flight`` says it is already deploying this very document to this
    profile. ``latest_version`` and ``latest_deployment`` are the locks the writes use.
    """

    profile: Profile
    document: Document
    deployed: Deployed | None
    diff: DocumentDiff
    changed: bool
    running: Deployment | None
    in_flight: bool
    latest_version: int | None
    latest_deployment: int | None
    upload: bytes
    content_type: str


@dataclass(frozen=True)
class Started:
    """A deployment under way: ``deployment`` as started, ``version`` the hosted version
    it deploys, ``created`` whether this call created that version, ``joined`` whether it
    was already deploying the same document (nothing new was started)."""

    deployment: Deployment
    version: int
    created: bool
    joined: bool = False


@dataclass(frozen=True)
class EnvironmentStatus:
    """Deployments running in an environment, and the last completed one per profile."""

    running: tuple[Deployment, ...]
    completed: tuple[Deployment, ...]
    strategies: Mapping[str, str]
    """Deployment strategy names by ID."""
