"""Parser for AppConfig's variant rule language: Amazon Ion s-expressions, the subset AWS
documents, into a small AST. Every error carries the offset it was found at, so a problem
report can show the rule with a caret under the column.

Grammar (``docs/rules.md`` has the prose and an example of every form)::

    rule     = expr
    expr     = "(" OPERATOR argument* ")"
    argument = [NAME "::"] value
    value    = expr | list | STRING | INTEGER | FLOAT | TIMESTAMP | "true" | "false" | "$"KEY
    list     = "[" [constant ("," constant)* [","]] "]"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from appflags.rules._appconfig_values import parse_timestamp

MAX_RULE_CHARS = 16384
"""AppConfig's limit on one variant rule."""

COMPARISONS = frozenset(("eq", "gt", "gte", "lt", "lte"))
LOGICAL = frozenset(("and", "or", "not"))
STRING_TESTS = frozenset(("begins_with", "ends_with", "contains"))
OPERATORS = (
    "eq",
    "gt",
    "gte",
    "lt",
    "lte",
    "and",
    "or",
    "not",
    "begins_with",
    "ends_with",
    "contains",
    "in",
    "matches",
    "exists",
    "split",
)
# Named arguments per operator: name -> required. Other operators take positional operands.
_NAMED: dict[str, dict[str, bool]] = {
    "matches": {"in": True, "pattern": True},
    "exists": {"key": True},
    "split": {"pct": True, "by": True, "seed": False},
}
_INT64 = (-(2**63), 2**63 - 1)

Kind = Literal["string", "int", "float", "bool", "timestamp", "list"]


class RuleSyntaxError(ValueError):
    """A rule that cannot be parsed or compiled; ``pos`` is the 0-based offset in its text."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def location(self, text: str) -> tuple[int, int]:
        """The 1-based (line, column) of the error in ``text``."""
        pos = min(self.pos, len(text))
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return line, column

    def render(self, text: str) -> str:
        """The message, where it is, and the rule's line with a caret under the column.

        >>> RuleSyntaxError("unknown operator 'eqq'", 1).render('(eqq $a "b")')
        'unknown operator \\'eqq\\' at column 2\\n    (eqq $a "b")\\n     ^'
        """
        line, column = self.location(text)
        lines = text.split("\n")
        where = f"line {line}, column {column}" if len(lines) > 1 else f"column {column}"
        source = lines[line - 1]
        # Tabs keep their width in the caret line so the caret stays under the column.
        pad = "".join("\t" if ch == "\t" else " " for ch in source[: column - 1])
        return f"{self.message} at {where}\n    {source}\n    {pad}^"


@dataclass(frozen=True, slots=True)
class Ref:
    """A context value, ``$key``."""

    key: str
    pos: int


@dataclass(frozen=True, slots=True)
class Const:
    """A constant: a string, integer, float, boolean, timestamp or list of constants."""

    value: Any
    kind: Kind
    pos: int


@dataclass(frozen=True, slots=True)
class Expr:
    """``(op positional... name::value...)``; ``named`` maps each name to its value."""

    op: str
    args: tuple[Node, ...]
    named: dict[str, Node]
    pos: int
    end: int
    """Offset of the closing parenthesis."""


Node = Ref | Const | Expr


class _Token(NamedTuple):
    kind: str
    value: Any
    pos: int


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY = re.compile(r"[A-Za-z0-9_]*")
_ATOM = re.compile(r"[^\s()\[\],\"]+")
_INTEGER = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+)")
_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "'": "'",
    "?": "?",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "0": "\0",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def decode_escapes(body: str, offset: int = 0) -> str:
    """Ion's string escapes decoded (``\\n``, ``\\u2603``, a backslash-newline joins lines).

    Raises :class:`RuleSyntaxError` at ``offset`` plus the escape's index.
    """
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        escape = body[i + 1 : i + 2]
        if escape in _ESCAPES or escape == "\n":
            out.append(_ESCAPES.get(escape, ""))
            i += 2
        elif escape in _HEX_ESCAPES:
            width = _HEX_ESCAPES[escape]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise RuleSyntaxError(f"\\{escape} needs {width} hexadecimal digits", offset + i)
            if int(digits, 16) > 0x10FFFF:
                raise RuleSyntaxError("not a Unicode code point", offset + i)
            out.append(chr(int(digits, 16)))
            i += 2 + width
        else:
            raise RuleSyntaxError("unknown escape sequence in string", offset + i)
    return "".join(out)


class _Scanner:
    """Turns rule text into tokens, one at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def next(self) -> _Token:
        text, n = self.text, len(self.text)
        while self.i < n and text[self.i] in " \t\r\n\f\v":
            self.i += 1
        start = self.i
        if start >= n:
            return _Token("eof", None, n)
        ch = text[start]
        if ch in "()[],":
            self.i += 1
            return _Token(ch, ch, start)
        if ch == '"':
            return self._string(start)
        if ch == "$":
            return self._ref(start)
        if ch.isdigit() or (ch == "-" and text[start + 1 : start + 2].isdigit()):
            return self._number(start)
        match = _IDENTIFIER.match(text, start)
        if match:
            return self._word(match.group(), start, match.end())
        if ch == "'":
            raise RuleSyntaxError(
                "quoted symbols are not supported: write strings in double quotes", start
            )
        raise RuleSyntaxError(f"unexpected character {ch!r}", start)

    def _word(self, word: str, start: int, end: int) -> _Token:
        rest = end
        while rest < len(self.text) and self.text[rest] in " \t\r\n":
            rest += 1
        if self.text.startswith("::", rest):
            self.i = rest + 2
            return _Token("annotation", word, start)
        self.i = end
        if word in ("true", "false"):
            return _Token("const", Const(word == "true", "bool", start), start)
        return _Token("symbol", word, start)

    def _ref(self, start: int) -> _Token:
        match = _KEY.match(self.text, start + 1)
        key = match.group() if match else ""
        if not key:
            raise RuleSyntaxError("expected a context key after '$', such as $userId", start)
        if key[0].isdigit():
            raise RuleSyntaxError(
                f"'${key}' is not a context key: keys start with a letter or '_'", start
            )
        end = start + 1 + len(key)
        if end < len(self.text) and not self.text[end].isspace() and self.text[end] not in "()[],":
            raise RuleSyntaxError(
                "context keys in rules are letters, digits and underscores after '$'", end
            )
        self.i = end
        return _Token("ref", Ref(key, start), start)

    def _number(self, start: int) -> _Token:
        match = _ATOM.match(self.text, start)
        assert match is not None  # noqa: S101 - the caller saw a digit here
        atom = match.group()
        self.i = match.end()
        if _INTEGER.fullmatch(atom):
            value = int(atom)
            if not _INT64[0] <= value <= _INT64[1]:
                raise RuleSyntaxError("integer out of the 64-bit range", start)
            return _Token("const", Const(value, "int", start), start)
        if _FLOAT.fullmatch(atom):
            number = float(atom)
            if number in (float("inf"), float("-inf")):
                raise RuleSyntaxError("number out of the 64-bit floating-point range", start)
            return _Token("const", Const(number, "float", start), start)
        moment = parse_timestamp(atom, require_offset=True)
        if moment is not None and " " not in atom:
            return _Token("const", Const(moment, "timestamp", start), start)
        raise RuleSyntaxError(
            "not a number or a timestamp (timestamps look like 2024-01, 2024-01-31 or "
            "2024-01-31T09:30:00Z and need an offset when they have a time)",
            start,
        )

    def _string(self, start: int) -> _Token:
        text, n = self.text, len(self.text)
        out: list[str] = []
        i = start + 1
        while True:
            if i >= n:
                raise RuleSyntaxError("unterminated string", start)
            ch = text[i]
            if ch == '"':
                self.i = i + 1
                return _Token("const", Const("".join(out), "string", start), start)
            if ch == "\n":
                raise RuleSyntaxError("unterminated string (strings cannot span lines)", start)
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            escape = text[i + 1 : i + 2]
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                i += 2
            elif escape in _HEX_ESCAPES:
                width = _HEX_ESCAPES[escape]
                digits = text[i + 2 : i + 2 + width]
                if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise RuleSyntaxError(f"\\{escape} needs {width} hexadecimal digits", i)
                code = int(digits, 16)
                if code > 0x10FFFF:
                    raise RuleSyntaxError("not a Unicode code point", i)
                out.append(chr(code))
                i += 2 + width
            else:
                raise RuleSyntaxError("unknown escape sequence in string", i)


def parse_rule(text: str) -> Expr:
    """Parse one variant rule into its AST. Raises :class:`RuleSyntaxError`.

    >>> parse_rule('(eq $country "US")').op
    'eq'
    """
    if len(text) > MAX_RULE_CHARS:
        raise RuleSyntaxError(f"a rule is at most {MAX_RULE_CHARS} characters", MAX_RULE_CHARS)
    scanner = _Scanner(text)
    first = scanner.next()
    if first.kind == "eof":
        raise RuleSyntaxError("the rule is empty", 0)
    if first.kind != "(":
        raise RuleSyntaxError(
            'a rule is an expression in parentheses, such as (eq $country "US")', first.pos
        )
    expr = _expr(scanner, first.pos)
    after = scanner.next()
    if after.kind != "eof":
        raise RuleSyntaxError("unexpected text after the end of the rule", after.pos)
    return expr


def _expr(scanner: _Scanner, open_pos: int) -> Expr:
    head = scanner.next()
    if head.kind == ")":
        raise RuleSyntaxError("empty expression: expected an operator after '('", head.pos)
    if head.kind == "eof":
        raise RuleSyntaxError("'(' is never closed", open_pos)
    if head.kind != "symbol":
        raise RuleSyntaxError("expected an operator name after '('", head.pos)
    op = head.value
    if op not in OPERATORS:
        raise RuleSyntaxError(
            f"unknown operator {op!r}; expected one of {', '.join(OPERATORS)}", head.pos
        )
    args: list[Node] = []
    named: dict[str, Node] = {}
    name_pos: dict[str, int] = {}
    while True:
        token = scanner.next()
        if token.kind == ")":
            break
        if token.kind == "eof":
            raise RuleSyntaxError("'(' is never closed", open_pos)
        if token.kind == "annotation":
            if token.value in named:
                raise RuleSyntaxError(f"'{token.value}::' is given twice", token.pos)
            name_pos[token.value] = token.pos
            named[token.value] = _value(scanner, scanner.next())
        else:
            args.append(_value(scanner, token))
    expr = Expr(op, tuple(args), named, open_pos, token.pos)
    _check(expr, name_pos)
    return expr


def _value(scanner: _Scanner, token: _Token) -> Node:
    kind = token.kind
    if kind == "(":
        return _expr(scanner, token.pos)
    if kind == "[":
        return _list(scanner, token.pos)
    if kind in ("const", "ref"):
        node: Node = token.value
        return node
    if kind == "symbol":
        if token.value == "null":
            raise RuleSyntaxError("null is not supported in rules", token.pos)
        raise RuleSyntaxError(
            f"unexpected symbol {token.value!r}: write strings in double quotes and "
            "context values as $key",
            token.pos,
        )
    if kind == "annotation":
        raise RuleSyntaxError(f"unexpected '{token.value}::' here", token.pos)
    if kind == ",":
        raise RuleSyntaxError("unexpected ',': operands are separated by spaces", token.pos)
    if kind == "eof":
        raise RuleSyntaxError("expected a value", token.pos)
    raise RuleSyntaxError(f"unexpected {token.value!r}", token.pos)


def _list(scanner: _Scanner, open_pos: int) -> Const:
    items: list[Any] = []
    expect_item = True
    while True:
        token = scanner.next()
        if token.kind == "]":
            return Const(tuple(items), "list", open_pos)
        if token.kind == "eof":
            raise RuleSyntaxError("'[' is never closed", open_pos)
        if not expect_item:
            if token.kind != ",":
                raise RuleSyntaxError("expected ',' or ']' in the list", token.pos)
            expect_item = True
            continue
        node = _value(scanner, token)
        if not isinstance(node, Const) or node.kind not in ("string", "int", "float", "bool"):
            raise RuleSyntaxError(
                "list items must be strings, numbers or booleans", getattr(node, "pos", token.pos)
            )
        items.append(node.value)
        expect_item = False


def _check(expr: Expr, name_pos: dict[str, int]) -> None:
    """Operator signatures: arity, named arguments and the kind of every operand."""
    if expr.op in _NAMED:
        _check_signature(expr, name_pos)
        _check_named(expr)
        return
    if name_pos:
        name, pos = next(iter(name_pos.items()))
        raise RuleSyntaxError(f"{expr.op} takes no named arguments such as '{name}::'", pos)
    _check_positional(expr)


def _check_signature(expr: Expr, name_pos: dict[str, int]) -> None:
    op, expected = expr.op, _NAMED[expr.op]
    if expr.args:
        names = " ".join(f"{n}::" for n in expected)
        raise RuleSyntaxError(f"{op} takes named arguments ({names})", expr.args[0].pos)
    for name, pos in name_pos.items():
        if name not in expected:
            names = ", ".join(f"{n}::" for n in expected)
            raise RuleSyntaxError(f"unknown argument '{name}::' for {op}; expected {names}", pos)
    for name, required in expected.items():
        if required and name not in expr.named:
            raise RuleSyntaxError(f"{op} needs '{name}::'", expr.end)


def _check_positional(expr: Expr) -> None:
    op, args = expr.op, expr.args
    if op in ("and", "or", "not"):
        _arity(expr, 1 if op == "not" else 2, 1 if op == "not" else None)
        for arg in args:
            _expect_expr(op, arg)
    elif op in COMPARISONS:
        _arity(expr, 2, 2)
        for arg in args:
            _expect_scalar(op, arg, ("string", "int", "float", "bool", "timestamp"))
            if op != "eq" and isinstance(arg, Const) and arg.kind == "bool":
                raise RuleSyntaxError(f"{op} cannot order booleans; use eq", arg.pos)
    elif op in STRING_TESTS:
        _arity(expr, 2, 2)
        for arg in args:
            _expect_scalar(op, arg, ("string",))
    else:  # in
        _arity(expr, 2, 2)
        _expect_scalar(op, args[0], ("string", "int", "float", "bool"))
        if not (isinstance(args[1], Const) and args[1].kind == "list"):
            raise RuleSyntaxError('in needs a list as its second operand: ["a", "b"]', args[1].pos)


def _check_named(expr: Expr) -> None:
    named = expr.named
    if expr.op == "matches":
        _expect_scalar("matches in::", named["in"], ("string",))
        _expect_const("matches pattern::", named["pattern"], ("string",))
    elif expr.op == "exists":
        _expect_const("exists key::", named["key"], ("string",))
    else:  # split
        pct = named["pct"]
        _expect_const("split pct::", pct, ("int", "float"))
        assert isinstance(pct, Const)  # noqa: S101 - checked just above
        if not 0 <= pct.value <= 100:
            raise RuleSyntaxError("split pct:: is a percentage from 0 to 100", pct.pos)
        if not isinstance(named["by"], Ref):
            raise RuleSyntaxError(
                "split by:: takes a context value, such as $userId", named["by"].pos
            )
        if "seed" in named:
            _expect_const("split seed::", named["seed"], ("string",))


def _arity(expr: Expr, low: int, high: int | None) -> None:
    count = len(expr.args)
    if count < low:
        expected = f"at least {low}" if high is None else str(low)
        plural = "s" if low != 1 else ""
        raise RuleSyntaxError(f"{expr.op} takes {expected} operand{plural}, got {count}", expr.end)
    if high is not None and count > high:
        plural = "s" if high != 1 else ""
        raise RuleSyntaxError(
            f"{expr.op} takes {high} operand{plural}, got {count}", expr.args[high].pos
        )


def _expect_expr(op: str, node: Node) -> None:
    if not isinstance(node, Expr):
        raise RuleSyntaxError(
            f"{op} combines expressions in parentheses, such as (eq $a 1)", node.pos
        )


_KIND_NAMES = {
    "string": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "timestamp": "a timestamp",
    "list": "a list",
}


def _expect_scalar(what: str, node: Node, kinds: tuple[Kind, ...]) -> None:
    """A context value, or a constant of one of ``kinds``."""
    if isinstance(node, Ref):
        return
    _expect_const(what, node, kinds, allow_ref=True)


def _expect_const(
    what: str, node: Node, kinds: tuple[Kind, ...], *, allow_ref: bool = False
) -> None:
    if isinstance(node, Const) and node.kind in kinds:
        return
    expected = " or ".join(_KIND_NAMES[k] for k in kinds)
    if allow_ref:
        expected = f"a context value ($key) or {expected}"
    if isinstance(node, Expr):
        found = "an expression"
    elif isinstance(node, Ref):
        found = "a context value"
    else:
        found = _KIND_NAMES[node.kind]
    raise RuleSyntaxError(f"{what} takes {expected}, not {found}", node.pos)
