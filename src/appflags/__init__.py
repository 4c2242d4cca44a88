"""appflags: fast, resilient feature flags from AWS AppConfig, evaluated in-process.

>>> import appflags
>>> flags = appflags.Flags.from_dict({"beta": {"enabled": True, "color": "red"}})
>>> flags.is_enabled("beta"), flags.get_str("beta.color", "blue")
(True, 'red')
"""

from typing import TYPE_CHECKING, Any

from appflags._errors import Problem, SchemaError
from appflags._evaluation import ErrorCode, Evaluation, Reason
from appflags._flags import Change, EvaluationWithMetadata, Flags, Override
from appflags._state import AnswerSource, ErrorKind, State, Status, StatusError
from appflags._variant_options import VariantOptions
from appflags._version import __version__

if TYPE_CHECKING:
    from appflags._usage_report import EvaluationCount, MissingKey, Misuse, Usage

VersionLabel = str
"""The ``Version-Label`` AppConfig attaches to a deployed configuration version."""

__all__ = [
    "AnswerSource",
    "Change",
    "ErrorCode",
    "ErrorKind",
    "Evaluation",
    "EvaluationCount",
    "EvaluationWithMetadata",
    "Flags",
    "MissingKey",
    "Misuse",
    "Override",
    "Problem",
    "Reason",
    "SchemaError",
    "State",
    "Status",
    "StatusError",
    "Usage",
    "VariantOptions",
    "VersionLabel",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # The usage report's classes are defined on first use (see appflags._usage_report).
    if name in ("EvaluationCount", "MissingKey", "Misuse", "Usage"):
        from appflags import _usage_report  # noqa: PLC0415

        return getattr(_usage_report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
