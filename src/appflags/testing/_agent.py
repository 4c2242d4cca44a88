"""The AppConfig Agent's answers, as LocalAppConfig's Agent route gives them.

The Agent evaluates a feature-flag profile per request: the caller's context arrives as
``Context: key=value`` headers (several headers, or comma-separated pairs in one),
``?flag=KEY`` (repeatable) keeps only those flags, and a multi-variant flag answers the
chosen variant's values plus ``"_variant"``, its name. The variant rules are evaluated
with appflags' own AppConfig rule engine, on the text values the headers carry, as the
Agent receives them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from appflags.formats import FORMATS
from appflags.formats._appconfig_document import compiled_rule
from appflags.formats._detect import is_stored_document

if TYPE_CHECKING:
    from collections.abc import Iterable


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
