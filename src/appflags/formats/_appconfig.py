"""``appconfig``: AWS AppConfig feature flags (``AWS.AppConfig.FeatureFlags``).

Two shapes of the same flags:

- the stored document users create, ``{"version": "1", "flags": {...}, "values": {...}}``,
  with attribute constraints, multi-variant flags and ``_deprecation``
  (:mod:`appflags.formats._appconfig_document`);
- the retrieval form that ``GetLatestConfiguration`` and the AppConfig Agent return,
  ``{"beta": {"enabled": true, "color": "red"}}``, where the Agent adds ``"_variant"``
  when it evaluated a multi-variant flag.

In both, the key ``beta`` is the flag (boolean lookups answer its ``enabled``),
``beta.color`` one attribute, and ``beta._variant`` the name of the variant that answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appflags._evaluation import Reason
from appflags.formats._appconfig_document import (
    VARIANT_KEY,
    compile_document,
    document_problems,
)
from appflags.formats._base import USE_DEFAULT, Clock, Compiled, Resolved
from appflags.formats._detect import flag_shape, is_stored_document
from appflags.formats._schemas import problems, project_validator

if TYPE_CHECKING:
    from appflags._errors import Problem

RETRIEVED_SCHEMA = "appconfig-retrieved.schema.json"
STORED_SCHEMA = "appconfig-featureflags.schema.json"


class AppConfigFormat:
    """AppConfig feature flags: the stored document or the retrieval form."""

    name = "appconfig"

    def detect(self, doc: Any) -> bool:
        """A retrieval form, or a stored document (see :mod:`appflags.formats._detect`)."""
        return flag_shape(doc) == self.name

    def validate(self, doc: Any) -> list[Problem]:
        """Schema problems, then (stored documents) AppConfig's own checks."""
        if not is_stored_document(doc):
            return problems(project_validator(RETRIEVED_SCHEMA), doc)
        found = problems(project_validator(STORED_SCHEMA), doc)
        # The semantic checks assume the schema's shapes, so they run on a document that
        # has them; fixing the schema problems shows the rest.
        return found or document_problems(doc)

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        """Static answers, and rules for multi-variant and deprecated flags."""
        if is_stored_document(doc):
            return compile_document(doc)
        return _compile_retrieved(doc)


def _compile_retrieved(doc: dict[str, Any]) -> Compiled:
    static: dict[str, Resolved] = {}
    disabled = set()
    for flag, value in doc.items():
        variant = value.get(VARIANT_KEY)
        enabled = value["enabled"]
        reason = Reason.STATIC if enabled else Reason.DISABLED
        static[flag] = Resolved(enabled, variant, reason)
        if variant is not None:
            static[f"{flag}.{VARIANT_KEY}"] = Resolved(variant, variant, reason)
        if not enabled:
            disabled.add(flag)
        for attribute, attribute_value in value.items():
            if attribute in ("enabled", VARIANT_KEY):
                continue
            answer = attribute_value if enabled else USE_DEFAULT
            static[f"{flag}.{attribute}"] = Resolved(answer, variant, reason)
    return Compiled(static=static, features=tuple(doc), disabled=frozenset(disabled))
