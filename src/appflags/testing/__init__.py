"""Test helpers: a local AppConfigData server that real boto3 talks to, offline.

:class:`LocalAppConfig` serves configuration profiles over the AppConfigData protocol on
127.0.0.1; :class:`Fault` names the failures it can be told to produce, and
:class:`ProfileType` the two kinds of configuration profile it models.
"""

from __future__ import annotations

from appflags.testing._agent import AgentRequest
from appflags.testing._server import Call, Fault, LocalAppConfig, ProfileType

__all__ = ["AgentRequest", "Call", "Fault", "LocalAppConfig", "ProfileType"]
