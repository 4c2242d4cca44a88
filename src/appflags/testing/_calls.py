"""What LocalAppConfig records of each request it receives (:attr:`LocalAppConfig.log`)."""

from __future__ import annotations

from typing import NamedTuple


class AgentRequest(NamedTuple):
    """What one request to the Agent route asked for (recorded in :attr:`Call.agent`)."""

    flags: tuple[str, ...]
    """The ``flag=`` query parameters, in order (empty: the whole profile)."""
    context: dict[str, str]
    """The ``Context`` header pairs, as text."""
    entity_id: str | None
    """The ``Entity-Id`` header."""
    authorization: str | None
    """The ``Authorization`` header (compare it, never print it)."""


class Call(NamedTuple):
    """One request the server received."""

    operation: str
    """``StartConfigurationSession``, ``GetLatestConfiguration``, ``Agent`` or
    ``UnknownOperation``."""
    token: str | None
    """The configuration token sent with ``GetLatestConfiguration``."""
    at: float
    """``time.monotonic()`` on arrival."""
    agent: AgentRequest | None = None
    """For the Agent route: the flags, context and ``Entity-Id`` asked with."""
    user_agent: str | None = None
    """The request's ``User-Agent`` header (``None`` without one)."""
    credential: str | None = None
    """The SigV4 credential scope the request was signed with,
    ``ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request`` (``None`` when unsigned): which
    credentials and which region the client used. The signature is not checked."""
