"""The Ion files of the AppConfig Agent's local development mode, for flags with variants.

AWS documents (Agent local development samples) that the files the Agent reads from its
``LOCAL_DEVELOPMENT_DIRECTORY`` for a profile with at least one multi-variant flag are
Amazon Ion text, with the media type ``application/ion;type=AWS.AppConfig.FeatureFlags``.
The Agent's HTTP answers are JSON (the retrieval form, with ``"_variant"``), never Ion::

    'tiered_release'::[
      [ (eq $group "Tier1"), '''{"_variant": "ShowFeature", "enabled": true}''' ],
      '''{"_variant": "HideFeature", "enabled": false}'''
    ]
    'button_color'::'''{"enabled": true, "color": "orange"}'''

A multi-variant flag is an annotated list of ``[rule, content]`` pairs ending with the
default variant's content; a basic flag is an annotated string. Each content is a JSON
object. This module reads exactly that subset of Ion (no Ion library: see docs/rules.md)
and converts it to the stored document, so that validation, rules and lookups are the
stored document's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from appflags._errors import Problem, SchemaError
from appflags.rules._appconfig_parser import RuleSyntaxError, decode_escapes

MEDIA_TYPE = "application/ion"
"""The media type (before parameters) of the Agent's local-development Ion files."""
_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_META = frozenset(("_variant", "enabled"))


class _IonError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _Reader:
    """A cursor over Ion text that knows the few forms the Agent writes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def skip(self) -> None:
        text = self.text
        while self.i < len(text):
            if text[self.i].isspace():
                self.i += 1
            elif text.startswith("//", self.i):
                end = text.find("\n", self.i)
                self.i = len(text) if end < 0 else end
            elif text.startswith("/*", self.i):
                end = text.find("*/", self.i + 2)
                if end < 0:
                    raise _IonError("unterminated comment", self.i)
                self.i = end + 2
            else:
                return

    def peek(self, token: str) -> bool:
        self.skip()
        return self.text.startswith(token, self.i)

    def expect(self, token: str) -> None:
        if not self.peek(token):
            raise _IonError(f"expected {token!r}", self.i)
        self.i += len(token)

    def at_end(self) -> bool:
        self.skip()
        return self.i >= len(self.text)

    def symbol(self) -> str:
        self.skip()
        if self.text.startswith("'", self.i) and not self.text.startswith("'''", self.i):
            end = self.text.find("'", self.i + 1)
            if end < 0:
                raise _IonError("unterminated quoted symbol", self.i)
            name = self.text[self.i + 1 : end]
            self.i = end + 1
            return name
        match = _SYMBOL.match(self.text, self.i)
        if match is None:
            raise _IonError("expected a flag name annotation, such as 'my_flag'::", self.i)
        self.i = match.end()
        return match.group()

    def string(self) -> str:
        """A short string, or one or more adjacent long strings (Ion concatenates them)."""
        self.skip()
        if self.text.startswith("'''", self.i):
            parts = []
            while self.peek("'''"):
                start = self.i
                end = self.text.find("'''", start + 3)
                while end > 0 and _escaped(self.text, end):
                    end = self.text.find("'''", end + 1)
                if end < 0:
                    raise _IonError("unterminated long string", start)
                parts.append(_unescape(self.text[start + 3 : end], start + 3))
                self.i = end + 3
            return "".join(parts)
        if self.text.startswith('"', self.i):
            start = self.i
            end = start + 1
            while end < len(self.text) and self.text[end] != '"':
                end += 2 if self.text[end] == "\\" else 1
            if end >= len(self.text):
                raise _IonError("unterminated string", start)
            self.i = end + 1
            return _unescape(self.text[start + 1 : end], start + 1)
        raise _IonError("expected a string", self.i)

    def rule(self) -> str:
        """The text of an s-expression, checked by the rule parser for its extent."""
        self.skip()
        start = self.i
        depth, i, text = 0, start, self.text
        while i < len(text):
            ch = text[i]
            if ch == '"':
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    self.i = i + 1
                    return text[start : i + 1]
            i += 1
        raise _IonError("unterminated s-expression", start)


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _unescape(body: str, offset: int) -> str:
    try:
        return decode_escapes(body, offset)
    except RuleSyntaxError as exc:
        raise _IonError(exc.message, exc.pos) from None


def parse_ion(data: bytes) -> dict[str, Any]:
    """The Agent's Ion flags as a stored document. Raises :class:`SchemaError`.

    >>> parse_ion(b"'beta'::'''{\\"enabled\\": true}'''")["values"]
    {'beta': {'enabled': True}}
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SchemaError([Problem("$", "not valid Ion: not UTF-8 text")]) from None
    reader = _Reader(text)
    entries: list[tuple[str, Any, int]] = []
    try:
        while not reader.at_end():
            start = reader.i
            name = reader.symbol()
            reader.expect("::")
            entries.append((name, _flag_value(reader), start))
    except _IonError as exc:
        line = text.count("\n", 0, exc.pos) + 1
        column = exc.pos - (text.rfind("\n", 0, exc.pos) + 1) + 1
        where = f"line {line}, column {column}"
        raise SchemaError([Problem("$", f"not valid Ion: {exc.message} at {where}")]) from None
    return _document(entries)


def _flag_value(reader: _Reader) -> Any:
    if not reader.peek("["):
        return reader.string()
    reader.expect("[")
    items: list[Any] = []
    while not reader.peek("]"):
        if reader.peek("["):
            reader.expect("[")
            rule = reader.rule()
            reader.expect(",")
            content = reader.string()
            if reader.peek(","):
                reader.expect(",")
            reader.expect("]")
            items.append((rule, content))
        else:
            items.append(reader.string())
        if reader.peek(","):
            reader.expect(",")
        elif not reader.peek("]"):
            raise _IonError("expected ',' or ']'", reader.i)
    reader.expect("]")
    return items


def _document(entries: list[tuple[str, Any, int]]) -> dict[str, Any]:
    flags: dict[str, Any] = {}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value, _pos in entries:
        attributes: dict[str, Any] = {}
        if isinstance(value, str):
            content = _content(value, f"$.{name}", problems)
            values[name] = {k: v for k, v in content.items() if k != "_variant"}
            attributes.update(dict.fromkeys(k for k in content if k not in _META))
        else:
            variants = []
            for index, item in enumerate(value):
                rule, raw = item if isinstance(item, tuple) else (None, item)
                content = _content(raw, f"$.{name}[{index}]", problems)
                variant: dict[str, Any] = {
                    "name": content.get("_variant", f"variant {index + 1}"),
                    "enabled": content.get("enabled", False),
                }
                if rule is not None:
                    variant["rule"] = rule
                extra = {k: v for k, v in content.items() if k not in _META}
                if extra:
                    variant["attributeValues"] = extra
                    attributes.update(dict.fromkeys(extra))
                variants.append(variant)
            values[name] = {"_variants": variants}
        flags[name] = {"name": name[:64], "attributes": {a: {} for a in attributes}}
    if problems:
        raise SchemaError(problems)
    return {"version": "1", "flags": flags, "values": values}


def _content(raw: str, path: str, problems: list[Problem]) -> dict[str, Any]:
    try:
        content = json.loads(raw)
    except ValueError:
        content = None
    if not isinstance(content, dict):
        problems.append(Problem(path, "flag content is not a JSON object"))
        return {}
    return content
