"""Evaluate: every flag of a document answered for one context, and one flag explained."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appflags._flags import Flags
from appflags.rules import ABSENT, explain
from appflags.testing._console._documents import (
    EditError,
    attribute_keys,
    flag_keys,
    kind_of,
    parse_json,
)

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Answer:
    """One key's answer for the context."""

    key: str
    value: str
    """As JSON text."""
    variant: str | None
    reason: str
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class Step:
    """One variant tried by :func:`appflags.rules.explain`."""

    variant: str
    rule: str | None
    result: str
    reads: dict[str, str]


def context_from(json_text: str, rows: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The context: the JSON object given, then each name/value row over it.

    A row's value is read as JSON when it is JSON (``42``, ``true``, ``["a"]``), else
    as text, as ``appflags eval --context`` reads it.
    """
    context: dict[str, Any] = {}
    if json_text.strip():
        parsed = parse_json(json_text, "context")
        if not isinstance(parsed, dict):
            raise EditError("the context is a JSON object", "context")
        context.update(parsed)
    for name, text in rows:
        if name:
            try:
                context[name] = json.loads(text)
            except (ValueError, RecursionError):
                context[name] = text
    return context


def answers(doc: Any, fmt: str, context: dict[str, Any]) -> list[Answer]:
    """Every flag (and AppConfig attribute) of ``doc`` answered for ``context``."""
    flags = Flags.from_dict(doc, format=fmt)
    kind = kind_of(doc, fmt)
    found = []
    for key in flag_keys(doc, kind):
        for asked in (key, *attribute_keys(doc, kind, key)):
            result = flags.evaluate(asked, None, context)
            found.append(
                Answer(
                    asked,
                    json.dumps(result.value, default=str),
                    result.variant,
                    result.reason.value,
                    result.error_code.value if result.error_code else None,
                    result.error_message,
                )
            )
    return found


def trace(doc: Any, fmt: str, key: str, context: dict[str, Any]) -> list[Step] | str:
    """How ``key``'s variant was chosen for ``context``, or why there is nothing to tell."""
    flags = Flags.from_dict(doc, format=fmt)
    explanation = explain(flags, key, context)
    if explanation is None:
        if fmt != "appconfig":
            return (
                f"explain traces AppConfig's variant rules; for a {fmt} flag, the answer "
                "above shows the variant and reason its rules chose"
            )
        return "no variant rules: the value is the same for every context"
    return [
        Step(
            step.variant,
            step.rule,
            {True: "match", False: "no match", None: "unknown"}[step.result],
            {
                name: "<absent>" if value is ABSENT else json.dumps(value, default=str)
                for name, value in step.reads.items()
            },
        )
        for step in explanation.tried
    ]
