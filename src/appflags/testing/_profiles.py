"""The configuration profiles LocalAppConfig holds: what is stored and what is served.

A profile is put (or watched in a file) as a version: the bytes and content type as given.
A feature-flag profile stores the full document (``version``, ``flags``, ``values``),
validated as AWS validates it when a version is created, and serves its retrieval form;
a freeform profile serves the bytes put.
"""

from __future__ import annotations

import enum
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags.formats._appconfig import STORED_SCHEMA
from appflags.formats._appconfig_document import document_problems
from appflags.formats._detect import is_stored_document
from appflags.formats._schemas import problems, project_validator

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

JSON = "application/json"
NOT_JSON_BODY = b"<html>oops"
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


@dataclass(eq=False)
class Version:
    """One deployed version of a profile."""

    # Compared by identity: a new put() is a new deployment even when label and bytes repeat.
    label: str | None
    content: bytes
    """As put: for a feature-flag profile, the stored document (the Agent route reads it)."""
    content_type: str
    number: int = 0
    """The hosted configuration version number: 1, 2, ... per profile."""
    served: bytes | None = None
    """What ``GetLatestConfiguration`` answers when it is not ``content``."""

    def not_json(self) -> Version:
        """This version as :attr:`Fault.NOT_JSON` answers it: a body that is not JSON."""
        return Version(f"{self.label or self.number}-not-json", NOT_JSON_BODY, JSON)


@dataclass
class _Watch:
    path: Path
    content_type: str
    stamp: tuple[int, int] | None = None


class Profiles:
    """Every profile's type and deployed version, behind one lock.

    A profile exists once it has been put or watched; a watched one is re-read when its
    file changes, on the next look at it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[Key, Version] = {}
        self._types: dict[Key, ProfileType] = {}
        self._deployments: dict[Key, int] = {}
        self._watches: dict[Key, _Watch] = {}

    def put(
        self,
        key: Key,
        data: bytes,
        content_type: str,
        label: str | None,
        chosen: ProfileType | None,
    ) -> Version:
        """Deploy a new version (ending any watch of the profile).

        Raises ``ValueError`` for a type the profile does not have, and
        :class:`SchemaError` for a feature-flag document AWS would refuse.
        """
        with self._lock:
            kind = self._type_of(key, chosen, data, content_type)
            served = _served(kind, data, content_type)
            self._watches.pop(key, None)
            self._types[key] = kind
            return self._deploy(key, data, content_type, label, served)

    def watch(self, key: Key, path: Path, content_type: str, chosen: ProfileType | None) -> None:
        """Serve the file at ``path``: every change is deployed as a new version."""
        with self._lock:
            self._versions.pop(key, None)
            if chosen is not None:
                self._types[key] = chosen
            self._watches[key] = _Watch(path, content_type)
            self._refresh(key)

    def delete(self, key: Key) -> None:
        """Forget the profile and any watch of it."""
        with self._lock:
            self._versions.pop(key, None)
            self._watches.pop(key, None)
            self._types.pop(key, None)

    def exists(self, key: Key) -> bool:
        """Whether the profile was put or watched (it may have no valid version)."""
        with self._lock:
            return key in self._types or key in self._watches

    def type_of(self, key: Key) -> ProfileType:
        """The profile's type (``KeyError`` for a profile never put or watched)."""
        with self._lock:
            return self._types[key]

    def current(self, key: Key) -> Version | None:
        """The profile's deployed version, its watched file read anew if it changed."""
        with self._lock:
            self._refresh(key)
            return self._versions.get(key)

    # -- the caller holds self._lock ------------------------------------------------

    def _deploy(
        self, key: Key, content: bytes, content_type: str, label: str | None, served: bytes | None
    ) -> Version:
        count = self._deployments.get(key, 0) + 1
        self._deployments[key] = count
        version = Version(label, content, content_type, count, served)
        self._versions[key] = version
        return version

    def _type_of(
        self, key: Key, chosen: ProfileType | None, data: bytes, content_type: str
    ) -> ProfileType:
        """The profile's type: fixed once known, as AWS fixes it when a profile is created."""
        known = self._types.get(key)
        if known is not None and chosen is not None and chosen is not known:
            raise ValueError(
                f"profile {'/'.join(key)} is {known.value}; a profile's type cannot change"
            )
        return known or chosen or _inferred_type(data, content_type)

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
            self._versions.pop(key, None)
            return
        watch.stamp = stamp
        try:
            kind = self._type_of(key, None, content, watch.content_type)
            served = _served(kind, content, watch.content_type)
        except ValueError:
            return  # AWS would not have created this version: the last valid one stays
        self._types[key] = kind
        self._deploy(key, content, watch.content_type, None, served)


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
