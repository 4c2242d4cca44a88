"""The document to deploy: read and checked exactly as a ``Flags`` loads it, and fitted to
the configuration profile it goes to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appflags._errors import SchemaError
from appflags._updates import as_schema_error
from appflags.authoring._errors import ProfileMismatchError
from appflags.formats import compile_document, parse
from appflags.formats._detect import STORED_KEYS, is_retrieval_shape
from appflags.sources.file import content_type_of

if TYPE_CHECKING:
    import os

    from appflags._errors import Problem

FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
"""The configuration profile type of AppConfig's feature flags."""
FREEFORM = "AWS.Freeform"
"""The configuration profile type of any other configuration (Powertools, flagd, JSON)."""
JSON = "application/json"


@dataclass(frozen=True)
class Document:
    """A flag document, valid as a :class:`~appflags.Flags` would load it.

    ``format`` is the format it was read as (``appconfig``, ``powertools``, ``flagd`` or
    ``json``); ``content`` the parsed document (what diffs compare); ``data`` and
    ``content_type`` its bytes as read; ``warnings`` flags that load but cannot work as
    written (as ``appflags validate`` reports them).
    """

    source: str
    format: str
    content: Any
    data: bytes
    content_type: str
    warnings: tuple[Problem, ...] = ()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Document:
        """Read and check a JSON or YAML file (the content type follows its name, as for
        ``Flags.from_file``).

        Raises :class:`~appflags.SchemaError` naming the file and the JSON path of every
        problem, or :class:`OSError` when it cannot be read.
        """
        where = Path(path)
        data = where.read_bytes()
        return cls.from_bytes(data, content_type_of(where), source=str(path), local=True)

    @classmethod
    def from_bytes(
        cls, data: bytes, content_type: str, *, source: str, local: bool = False
    ) -> Document:
        """Check ``data`` as a document of ``content_type``; ``source`` names it in messages.

        ``local``: a key an object defines twice is a problem, as ``Flags.from_file`` and
        ``appflags validate`` refuse it in a file (a stored version is read as AWS reads
        it, the last definition winning)."""
        duplicates: list[Problem] | None = [] if local else None
        try:
            content = parse(data, content_type, duplicates=duplicates)
            name, compiled = compile_document(content)
        except Exception as exc:  # noqa: BLE001 - as Flags.from_file: any failure is a SchemaError
            raise as_schema_error(exc).with_source(source) from None
        if duplicates:
            raise SchemaError(duplicates).with_source(source)
        warnings = tuple(p for found in compiled.warnings.values() for p in found)
        return cls(source, name, content, data, content_type, warnings)

    @property
    def is_feature_flags(self) -> bool:
        """Whether this is AWS's stored feature-flag document (``version``, ``flags``,
        ``values``): what an ``AWS.AppConfig.FeatureFlags`` profile takes."""
        return (
            self.format == "appconfig"
            and isinstance(self.content, dict)
            and self.content.keys() <= STORED_KEYS
            and not is_retrieval_shape(self.content)
        )

    def upload_for(self, profile_type: str) -> tuple[bytes, str]:
        """The bytes and content type to store in a profile of ``profile_type``.

        A feature-flag profile takes AWS's feature-flag document as JSON (a YAML file is
        converted); a freeform profile takes any other format as read. Raises
        :class:`ProfileMismatchError` when the document does not fit.
        """
        if profile_type == FEATURE_FLAGS:
            if not self.is_feature_flags:
                raise ProfileMismatchError(self._mismatch_for_feature_flags())
            if _media(self.content_type) == JSON:
                return self.data, JSON
            return json.dumps(self.content, indent=2).encode(), JSON
        if profile_type == FREEFORM:
            if self.is_feature_flags:
                raise ProfileMismatchError(
                    f"{self.source}: an AppConfig feature-flag document (version, flags, "
                    f"values) goes to an {FEATURE_FLAGS} profile, where AppConfig validates "
                    f"it; this profile is {FREEFORM}"
                )
            return self.data, self.content_type
        raise ProfileMismatchError(
            f"profiles of type {profile_type!r} are not supported: "
            f"deploy to an {FEATURE_FLAGS} or {FREEFORM} profile"
        )

    def _mismatch_for_feature_flags(self) -> str:
        if self.format == "appconfig":
            return (
                f"{self.source}: this is the retrieval form of AppConfig feature flags (what "
                "GetLatestConfiguration returns); a feature-flag profile stores the full "
                "document with version, flags and values (`appflags pull` prints it)"
            )
        return (
            f"{self.source}: a {self.format} document needs an {FREEFORM} profile; "
            f"this profile is {FEATURE_FLAGS}, which takes AWS's feature-flag document "
            "(version, flags, values)"
        )


def _media(content_type: str) -> str:
    return content_type.split(";", maxsplit=1)[0].strip().lower()


def stored_content(content: bytes, content_type: str | None) -> Any:
    """A stored version's content, parsed; ``None`` when appflags cannot read it (it is then
    compared as bytes)."""
    try:
        return parse(content, content_type or JSON)
    except ValueError:
        return None


def canonical(doc: Any) -> str:
    """``doc`` as canonical JSON text: equal for equal documents whether they were read
    from JSON or YAML, and different for ``1`` and ``true`` (which Python finds equal)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
