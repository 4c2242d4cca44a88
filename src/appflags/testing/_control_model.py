"""The AppConfig control plane's resources, errors and shared helpers.

The resources :class:`~appflags.testing._control_plane.ControlPlane` keeps, each able to
answer in the API's own member names, the :class:`ApiError` a refused request raises,
and the checks that do not depend on time (validators, pagination).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from appflags.formats._schemas import compile_schema, problems

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from appflags._errors import Problem
    from appflags.testing._rollout import DeploymentState, Strategy

FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
FREEFORM = "AWS.Freeform"
HOSTED = "hosted"
JSON = "application/json"
DEFAULT_MAX_CONFIGURATION_SIZE = 2 * 1024 * 1024
"""The hosted store's size quota the local server applies by default (2 MB; in AWS an
adjustable account quota)."""
NOT_JSON_BODY = b"<html>oops"
"""What :attr:`Fault.NOT_JSON` answers: a body that is not JSON."""


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

    def not_json(self) -> Version:
        """This version as :attr:`Fault.NOT_JSON` answers it: a body that is not JSON."""
        label = f"{self.label or self.number}-not-json"
        return Version(
            self.application_id, self.profile_id, self.number, NOT_JSON_BODY, JSON, label=label
        )

    def summary(self) -> dict[str, Any]:
        return members(
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
        return members(
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
        return members(Id=self.id, Name=self.name, Description=self.description)


def named(resources: Mapping[str, Any], ident: str) -> Any:
    """The resource with this ID, else the first one with this name."""
    found = resources.get(ident)
    if found is None:
        found = next((r for r in resources.values() if r.name == ident), None)
    return found


def members(**members: Any) -> dict[str, Any]:
    """The members that have a value: AWS leaves unset ones out."""
    return {k: v for k, v in members.items() if v is not None}


def strategy_wire(s: Strategy) -> dict[str, Any]:
    return members(
        Id=s.id,
        Name=s.name,
        Description=s.description or None,
        DeploymentDurationInMinutes=s.duration_minutes,
        GrowthType=s.growth_type.value,
        GrowthFactor=s.growth_factor,
        FinalBakeTimeInMinutes=s.final_bake_minutes,
        ReplicateTo=s.replicate_to,
    )


def page(items: list[dict[str, Any]], p: Mapping[str, Any]) -> dict[str, Any]:
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


def label_matches(pattern: str, version: Version) -> bool:
    # ListHostedConfigurationVersions' VersionLabel: an exact label, or a prefix ending
    # in "*" (the API reference's "v2*").
    label = version.label or ""
    return label.startswith(pattern[:-1]) if pattern.endswith("*") else label == pattern


def checked_validators(validators: list[dict[str, str]]) -> list[dict[str, str]]:
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


def run_validators(profile: Profile, version: Version) -> None:
    """Run the profile's validators on ``version``, as AWS does at ``StartDeployment``."""
    if not profile.validators:
        return
    try:
        doc = parse_content(version.content, version.content_type)
    except ValueError as error:
        raise bad_request(f"Configuration failed validation: {error}") from None
    for validator in profile.validators:
        found = problems(compile_schema(json.loads(validator["Content"])), doc)
        if found:
            raise bad_request(f"Configuration failed validation: {found[0]}", found)


def parse_content(content: bytes, content_type: str) -> Any:
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
