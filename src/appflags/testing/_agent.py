"""The AppConfig Agent's local route, as LocalAppConfig serves it (``Flags.from_agent``).

``GET /applications/{app}/environments/{env}/configurations/{profile}`` answers the
profile's deployed version on every request (no tokens, no empty bodies), with the version
in ``Configuration-Version``. The Agent evaluates a feature-flag profile per request: the
caller's context arrives as ``Context: key=value`` headers (several headers, or
comma-separated pairs in one), ``?flag=KEY`` (repeatable) keeps only those flags, and a
multi-variant flag answers the chosen variant's values plus ``"_variant"``, its name. The
variant rules are evaluated with appflags' own AppConfig rule engine, on the text values
the headers carry, as the Agent receives them.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

from appflags.formats import FORMATS
from appflags.formats._appconfig_document import compiled_rule
from appflags.formats._detect import is_stored_document
from appflags.testing._calls import AgentRequest
from appflags.testing._http import Fault, Request, Response, Route, error

if TYPE_CHECKING:
    from collections.abc import Iterable

    from appflags.testing._profiles import Profiles

AGENT = "Agent"
"""The AppConfig Agent's local route, which LocalAppConfig also serves (``from_agent``)."""
_PATH = re.compile(r"/applications/([^/]+)/environments/([^/]+)/configurations/([^/]+)")


class AgentSettings(Protocol):
    """What the Agent route reads of ``LocalAppConfig`` on every request."""

    @property
    def agent_token(self) -> str | None:
        """The Agent's access token: ``Authorization: Bearer <token>`` is required."""


class AgentRoute:
    """The Agent's answers over the profiles the server holds."""

    def __init__(self, profiles: Profiles, settings: AgentSettings) -> None:
        self._profiles = profiles
        self._settings = settings

    def routes(self) -> list[Route]:
        """The Agent's one route."""
        return [Route(AGENT, "GET", _PATH, self._answer, _read)]

    def _answer(self, request: Request, fault: Fault | None) -> Response:
        # The Agent answers the whole cached document on every request (no tokens, no
        # empty bodies), with the version in Configuration-Version; a feature-flag
        # document is evaluated for the request's Context headers and flag= parameters.
        asked = request.agent
        if asked is None:
            return error(400, "BadRequestException", {"Message": "Context must be key=value"})
        expected = self._settings.agent_token
        if expected is not None and not secrets.compare_digest(
            (asked.authorization or "").encode(), f"Bearer {expected}".encode()
        ):
            return error(401, "UnauthorizedException", {"Message": "Unauthorized"})
        application, environment, profile = request.params
        # The Agent is one target, or one per Entity-Id (entity-based gradual rollouts).
        target = "agent" if asked.entity_id is None else f"entity-{asked.entity_id}"
        version = self._profiles.current((application, environment, profile), target)
        if version is None:
            return error(404, "ResourceNotFoundException", {"Message": "not found"})
        if fault is Fault.NOT_JSON:
            version = version.not_json()
        answer = agent_answer(version.content, version.content_type, asked)
        if isinstance(answer, str):
            return error(400, "BadRequestException", {"Message": answer})
        content, content_type = answer
        # The Agent always names the version: the local server sends its number.
        headers = {"Content-Type": content_type, "Configuration-Version": str(version.number)}
        return Response(200, headers, content)


def _read(request: Request) -> Request:
    """The route's parameters; ``agent`` is ``None`` when a Context header cannot be read."""
    # The call log records the path as the call's token: it names the profile.
    request = request._replace(token=request.path)
    headers = request.headers
    try:
        context = parse_context(_utf8(v) for v in headers.get_all("Context") or [])
    except AgentRequestError:
        return request
    entity_id = headers.get("Entity-Id")
    asked = AgentRequest(
        tuple(parse_qs(request.query).get("flag", [])),
        context,
        None if entity_id is None else _utf8(entity_id),
        headers.get("Authorization"),
    )
    return request._replace(agent=asked)


def _utf8(value: str) -> str:
    """A header value as UTF-8 text: http.server decodes header bytes as Latin-1, so
    ``José`` sent as UTF-8 would read ``JosÃ©`` (bytes that are not UTF-8 stay as read)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class AgentRequestError(ValueError):
    """A ``Context`` header the Agent could not read (a pair without ``=``)."""


def parse_context(values: Iterable[str]) -> dict[str, str]:
    """``Context`` header values to a mapping: ``a=1`` headers or ``a=1,b=2`` in one."""
    context: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            name, equals, text = pair.partition("=")
            if not equals or not name.strip():
                raise AgentRequestError("a Context pair must be key=value")
            context[name.strip()] = text.strip()
    return context


def agent_answer(
    content: bytes, content_type: str, request: AgentRequest
) -> tuple[bytes, str] | str:
    """The body and content type the Agent answers, or why the request is refused.

    A stored feature-flag document (``version``/``flags``/``values``) is evaluated for
    the request's context into the retrieval form; a retrieval form is filtered by
    ``flag=``; any other profile is served verbatim (``flag=`` is refused for it, as
    the Agent takes ``flag=`` only for feature-flag profiles).
    """
    document = _json(content, content_type)
    if _is_stored(document):
        answer = _evaluate(document, request.context)
    elif not request.flags:
        return content, content_type
    elif isinstance(document, dict) and all(isinstance(v, dict) for v in document.values()):
        answer = document
    else:
        return "flag= is only for feature-flag profiles"
    if request.flags:
        unknown = [f for f in request.flags if f not in answer]
        if unknown:
            return f"no such flag: {unknown[0]}"
        answer = {f: answer[f] for f in request.flags}
    return json.dumps(answer).encode("utf-8"), "application/json"


def _json(content: bytes, content_type: str) -> Any:
    media = content_type.partition(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _is_stored(document: Any) -> bool:
    # Only a valid stored document is evaluated; anything else is served as it is, and
    # the client rejects it as it would from the real Agent.
    return is_stored_document(document) and not FORMATS["appconfig"].validate(document)


def _evaluate(document: dict[str, Any], context: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = document.get("values", {})
    answer: dict[str, Any] = {}
    for name in document["flags"]:
        value = values.get(name, {})
        variants = value.get("_variants")
        if variants:
            chosen = variants[-1]
            for variant in variants[:-1]:
                _, predicate = compiled_rule(variant["rule"], name)
                if predicate(context) is True:
                    chosen = variant
                    break
            flag: dict[str, Any] = {"_variant": chosen["name"], "enabled": chosen["enabled"]}
            if chosen["enabled"]:
                flag.update(chosen.get("attributeValues", {}))
        else:
            enabled = value.get("enabled", False)
            flag = {"enabled": enabled}
            if enabled:
                meta = ("enabled", "_createdAt", "_updatedAt")
                flag.update({k: v for k, v in value.items() if k not in meta})
        answer[name] = flag
    return answer
