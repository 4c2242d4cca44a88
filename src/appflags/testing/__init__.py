"""Test helpers: a local AppConfigData server that real boto3 talks to, offline.

:class:`LocalAppConfig` serves configuration profiles over the AppConfigData protocol on
127.0.0.1; :class:`Fault` names the failures it can be told to produce, and
:class:`ProfileType` the two kinds of configuration profile it models.
"""

from __future__ import annotations

from appflags.testing._calls import AgentRequest, Call
from appflags.testing._http import Fault
from appflags.testing._profiles import ProfileType
from appflags.testing._server import LocalAppConfig

__all__ = ["AgentRequest", "Call", "Fault", "LocalAppConfig", "ProfileType"]
