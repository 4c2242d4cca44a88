"""Deploying flag documents to AWS AppConfig: diff, deploy, wait, status, pull, rollback.

The Python side of ``appflags deploy | diff | pull | status | rollback``::

    from appflags.authoring import AppConfigEnvironment, Document, connect

    env = AppConfigEnvironment.find(connect(), "shop", "prod")
    profile = env.profile("flags")
    plan = env.plan(profile, Document.from_file("flags.json"))
    print("\\n".join(plan.diff.lines()))
    if plan.changed:
        started = env.apply(plan, strategy="AppConfig.Canary10Percent20Minutes")
        env.wait(started.deployment.number)

Every failure is an :class:`AuthoringError` whose message says what failed and what to do.
See docs/deploying.md.
"""

from appflags.authoring._aws import connect
from appflags.authoring._deployments import (
    DEFAULT_STRATEGY,
    Deployment,
    DeploymentEvent,
    HostedVersion,
    Named,
    Profile,
    Strategy,
)
from appflags.authoring._diff import ABSENT, Change, DocumentDiff, FlagChange, diff_documents
from appflags.authoring._document import FEATURE_FLAGS, FREEFORM, Document
from appflags.authoring._environment import AppConfigEnvironment, check_description, check_label
from appflags.authoring._errors import (
    AppConfigError,
    AuthoringError,
    ConflictError,
    DeploymentRunningError,
    NotDeployedError,
    NotFoundError,
    PayloadTooLargeError,
    ProfileMismatchError,
    RolledBackContentError,
    UnreachableError,
    WaitTimeoutError,
)
from appflags.authoring._plan import Deployed, EnvironmentStatus, Plan, Started

__all__ = [
    "ABSENT",
    "DEFAULT_STRATEGY",
    "FEATURE_FLAGS",
    "FREEFORM",
    "AppConfigEnvironment",
    "AppConfigError",
    "AuthoringError",
    "Change",
    "ConflictError",
    "Deployed",
    "Deployment",
    "DeploymentEvent",
    "DeploymentRunningError",
    "Document",
    "DocumentDiff",
    "EnvironmentStatus",
    "FlagChange",
    "HostedVersion",
    "Named",
    "NotDeployedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "Plan",
    "Profile",
    "ProfileMismatchError",
    "RolledBackContentError",
    "Started",
    "Strategy",
    "UnreachableError",
    "WaitTimeoutError",
    "check_description",
    "check_label",
    "connect",
    "diff_documents",
]
