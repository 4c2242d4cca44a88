"""The configuration profiles LocalAppConfig holds: what is stored and what is served.

A profile is put (or watched in a file) as a version: the bytes and content type as given.
A feature-flag profile stores the full document (``version``, ``flags``, ``values``),
validated as AWS validates it when a version is created, and serves its retrieval form;
a freeform profile serves the bytes put.

The profiles live in the control plane (``_control_plane``): a put creates what it needs
there and deploys at once, and what a target is served follows the deployments, a
gradual rollout included.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags.formats._appconfig import STORED_SCHEMA
from appflags.formats._appconfig_document import document_problems
from appflags.formats._detect import is_stored_document
from appflags.formats._schemas import problems, project_validator
from appflags.testing._control_model import NOT_JSON_BODY, ApiError, Version

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from appflags.testing._control_model import Environment, Profile
    from appflags.testing._control_plane import ControlPlane

__all__ = ["NOT_JSON_BODY", "Version"]  # the data plane's names for them

JSON = "application/json"
"""The keys of a stored feature-flag document, and the only ones it may have."""
_VALUE_META = frozenset(("enabled", "_createdAt", "_updatedAt", "_variants"))

Key = tuple[str, str, str]
"""(application, environment, profile)."""


class ProfileType(str, enum.Enum):
    """A configuration profile's type: what ``GetLatestConfiguration`` serves of a version."""

    FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
    """Stores the full feature-flag document, validated when put, and serves its
    retrieval form: values only, a disabled flag as ``{"enabled": false}``."""
    FREEFORM = "AWS.Freeform"
    """Serves the bytes and content type put, verbatim."""


@dataclass
class _Watch:
    path: Path
    content_type: str
    stamp: tuple[int, int] | None = None


class Profiles:
    """Every profile's deployed versions, kept by the control plane.

    A profile exists once it has been put or watched (or created through the control
    plane); a watched one is re-read when its file changes, on the next look at it.
    """

    def __init__(self, plane: ControlPlane) -> None:
        self._plane = plane
        self._watches: dict[Key, _Watch] = {}

    def put(
        self,
        key: Key,
        data: bytes,
        content_type: str,
        label: str | None,
        chosen: ProfileType | None,
        *,
        owner: str | None = None,
    ) -> Version:
        """Deploy a new version at once (ending any watch of the profile); ``owner`` names
        the file that owns the profile (the console's), which refuses deployments.

        Raises ``ValueError`` for a type the profile does not have, or a deployment
        running in the environment, and :class:`SchemaError` for a feature-flag document
        AWS would refuse.
        """
        with self._plane.lock:
            self._watches.pop(key, None)
            return self._deploy(key, data, content_type, label, chosen, owner=owner)

    def watch(self, key: Key, path: Path, content_type: str, chosen: ProfileType | None) -> None:
        """Serve the file at ``path``: every change is deployed as a new version."""
        with self._plane.lock:
            self._forget(key)
            if chosen is not None:
                self._plane.ensure(*key, chosen.value)[1].owner = str(path)
            self._watches[key] = _Watch(path, content_type)
            self._refresh(key)

    def delete(self, key: Key) -> None:
        """Forget the profile and any watch of it."""
        with self._plane.lock:
            self._watches.pop(key, None)
            self._plane.forget(*key)

    def exists(self, key: Key) -> bool:
        """Whether the profile was put, watched or created (it may have nothing deployed)."""
        with self._plane.lock:
            return key in self._watches or self._plane.find(*key) is not None

    def type_of(self, key: Key) -> ProfileType:
        """The profile's type (``KeyError`` for a profile never put or watched)."""
        with self._plane.lock:
            found = self._plane.find(*key)
            if found is None:
                raise KeyError(key)
            return ProfileType(found[1].type)

    def current(self, key: Key, target: str | None = None) -> Version | None:
        """The version ``target`` is served now, a watched file read anew if it changed."""
        with self._plane.lock:
            self._refresh(key)
            found = self._plane.find(*key)
            return None if found is None else self._plane.timeline.serve(*found, target)

    def deployed(self, key: Key) -> bool:
        """Whether anything was ever deployed of the profile to the environment."""
        with self._plane.lock:
            self._refresh(key)
            found = self._plane.find(*key)
            return found is not None and _deployed(*found)

    # -- the caller holds the control plane's lock ------------------------------------

    def _deploy(
        self,
        key: Key,
        data: bytes,
        content_type: str,
        label: str | None,
        chosen: ProfileType | None,
        *,
        owner: str | None,
    ) -> Version:
        found = self._plane.find(*key)
        known = found[1].type if found is not None else None
        kind = chosen.value if chosen is not None else known
        env, profile = self._plane.ensure(*key, kind or _inferred_type(data, content_type).value)
        try:
            version = self._plane.add_version(profile, data, content_type, label)
        except ApiError as refused:
            raise ValueError(str(refused)) from None
        self._plane.deploy_now(env, profile, version)
        profile.owner = owner
        return version

    def _forget(self, key: Key) -> None:
        """Serve nothing of the profile in the environment until the next deployment."""
        found = self._plane.find(*key)
        if found is not None:
            env, profile = found
            env.deployments = [d for d in env.deployments if d.profile is not profile]

    def _refresh(self, key: Key) -> None:
        watch = self._watches.get(key)
        if watch is None:
            return
        try:
            # stat before reading: an edit landing during the read is seen next time.
            stat = watch.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp == watch.stamp:
                return
            content = watch.path.read_bytes()
        except OSError:
            watch.stamp = None
            self._forget(key)
            return
        watch.stamp = stamp
        try:
            self._deploy(key, content, watch.content_type, None, None, owner=str(watch.path))
        except ValueError:
            return  # AWS would not have created this version: the last valid one stays


def _deployed(env: Environment, profile: Profile) -> bool:
    return any(d.profile is profile for d in env.deployments)


def served(kind: str, data: bytes, content_type: str) -> bytes | None:
    """What ``GetLatestConfiguration`` answers for a new version of a ``kind`` profile
    (``None``: the bytes put); :class:`SchemaError` for a document AWS would refuse."""
    return _served(ProfileType(kind), data, content_type)


def profile_key(application: str, environment: str, profile: str) -> Key:
    """The profile's key; ``ValueError`` for identifiers AWS would not accept."""
    # AWS accepts no other identifiers, so no client could ever ask for such a profile.
    for what, value in (
        ("application", application),
        ("environment", environment),
        ("profile", profile),
    ):
        if not isinstance(value, str) or not 1 <= len(value) <= 128:
            raise ValueError(f"{what} must be a string of 1 to 128 characters, got {value!r}")
    return (application, environment, profile)


def as_profile_type(value: ProfileType | str | None) -> ProfileType | None:
    """``value`` as a :class:`ProfileType` (``None``: not given)."""
    if value is None or isinstance(value, ProfileType):
        return value
    try:
        return ProfileType(value)
    except ValueError:
        kinds = ", ".join(repr(k.value) for k in ProfileType)
        raise ValueError(f"profile_type must be one of {kinds}, got {value!r}") from None


def check_label(label: str) -> None:
    """``ValueError`` unless ``label`` is a version label AWS accepts."""
    # AppConfig's VersionLabel: 1-64 characters, at least one of them not a digit.
    check_header("version_label", label)
    if len(label) > 64 or label.isdigit():
        raise ValueError(
            f"version_label must be 1 to 64 characters, not all digits (as in AWS), got {label!r}"
        )


def check_header(what: str, value: str) -> None:
    """``ValueError`` unless ``value`` can travel as an HTTP header."""
    # Sent as an HTTP header (Content-Type, Version-Label), which carries ASCII only.
    if not isinstance(value, str) or not value or not (value.isascii() and value.isprintable()):
        raise ValueError(f"{what} must be a non-empty printable ASCII string, got {value!r}")


def _json_document(data: bytes, content_type: str) -> Any:
    if content_type.split(";", maxsplit=1)[0].strip().lower() != JSON:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _inferred_type(data: bytes, content_type: str) -> ProfileType:
    doc = _json_document(data, content_type)
    if is_stored_document(doc) and "version" in doc:
        return ProfileType.FEATURE_FLAGS
    return ProfileType.FREEFORM


def _served(kind: ProfileType, data: bytes, content_type: str) -> bytes | None:
    """What GetLatestConfiguration answers for a new version (``None``: the bytes put).

    Raises :class:`SchemaError` for a feature-flag document AWS would refuse.
    """
    if kind is ProfileType.FREEFORM:
        return None
    doc = _json_document(data, content_type)
    if not isinstance(doc, dict):
        raise SchemaError([Problem("$", f"a feature-flag profile takes a JSON object as {JSON}")])
    found = problems(project_validator(STORED_SCHEMA), doc) or document_problems(doc)
    if found:
        raise SchemaError(found)
    return json.dumps(retrieval_form(doc)).encode("utf-8")


def retrieval_form(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What ``GetLatestConfiguration`` returns for a valid stored feature-flag document.

    Values only: no definitions, constraints, ``version`` or timestamps; a disabled flag is
    ``{"enabled": false}`` without attributes. AWS says SDK callers get no variant data; for
    a multi-variant flag the local server serves its default (last) variant's values,
    without ``_variant`` (an assumption: AWS does not document what it serves). A flag
    defined without a value is served disabled.
    """
    values: Mapping[str, Any] = doc.get("values", {})
    served: dict[str, Any] = {}
    for name in doc.get("flags", {}):
        value: Mapping[str, Any] = values.get(name, {})
        variants = value.get("_variants")
        if variants:
            default = variants[-1]
            enabled = default.get("enabled", False)
            attributes = dict(default.get("attributeValues", {}))
        else:
            enabled = value.get("enabled", False)
            attributes = {k: v for k, v in value.items() if k not in _VALUE_META}
        served[name] = {"enabled": True, **attributes} if enabled else {"enabled": False}
    return served
