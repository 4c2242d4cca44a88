"""appflags: fast, resilient feature flags from AWS AppConfig, evaluated in-process.

>>> import appflags
>>> flags = appflags.Flags.from_dict({"beta": {"enabled": True, "color": "red"}})
>>> flags.is_enabled("beta"), flags.get_str("beta.color", "blue")
(True, 'red')
"""

from appflags._errors import Problem, SchemaError
from appflags._evaluation import ErrorCode, Evaluation, Reason
from appflags._flags import Change, Flags, Override
from appflags._state import State
from appflags._usage import EvaluationCount, MissingKey, Usage
from appflags._version import __version__

VersionLabel = str
"""The ``Version-Label`` AppConfig attaches to a deployed configuration version."""

__all__ = [
    "Change",
    "ErrorCode",
    "Evaluation",
    "EvaluationCount",
    "Flags",
    "MissingKey",
    "Override",
    "Problem",
    "Reason",
    "SchemaError",
    "State",
    "Usage",
    "VersionLabel",
    "__version__",
]
