"""``appconfig``: AWS AppConfig feature flags (``AWS.AppConfig.FeatureFlags``).

This module understands the retrieval form that ``GetLatestConfiguration`` and the
AppConfig Agent return: ``{"beta": {"enabled": true, "color": "red"}}``. The key ``beta``
is the flag (boolean lookups answer its ``enabled``) and ``beta.color`` is one attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appflags._evaluation import Reason
from appflags.formats._base import USE_DEFAULT, Clock, Compiled, Resolved
from appflags.formats._schemas import problems, project_validator

if TYPE_CHECKING:
    from appflags._errors import Problem

RETRIEVED_SCHEMA = "appconfig-retrieved.schema.json"
_VARIANT = "_variant"


class AppConfigFormat:
    """AppConfig feature flags, as retrieved."""

    name = "appconfig"

    def detect(self, doc: Any) -> bool:
        return (
            isinstance(doc, dict)
            and bool(doc)
            and all(isinstance(v, dict) and type(v.get("enabled")) is bool for v in doc.values())
        )

    def validate(self, doc: Any) -> list[Problem]:
        return problems(project_validator(RETRIEVED_SCHEMA), doc)

    def compile(self, doc: Any, clock: Clock) -> Compiled:
        static: dict[str, Resolved] = {}
        disabled = set()
        for flag, value in doc.items():
            variant = value.get(_VARIANT)
            enabled = value["enabled"]
            reason = Reason.STATIC if enabled else Reason.DISABLED
            static[flag] = Resolved(enabled, variant, reason)
            if not enabled:
                disabled.add(flag)
            for attribute, attribute_value in value.items():
                if attribute in ("enabled", _VARIANT):
                    continue
                answer = attribute_value if enabled else USE_DEFAULT
                static[f"{flag}.{attribute}"] = Resolved(answer, variant, reason)
        return Compiled(static=static, features=tuple(doc), disabled=frozenset(disabled))
