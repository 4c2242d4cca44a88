"""The vocabulary shared by the JsonLogic compiler and flagd's custom operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Expr = Callable[[Any], Any]
"""A compiled JsonLogic expression: a function of the data it reads (``var``'s scope)."""

Path = tuple[str | int, ...]
"""Where a node sits in the document, as JSON path parts: ``("flags", "beta", "targeting")``."""

MAX_DEPTH = 100
"""Rules nested deeper than this are rejected: compiling and evaluating them recurses."""


class Node(NamedTuple):
    """A compiled expression, and its value when it is the same for every data.

    Constant nodes let operations fold at compile time (``{"in": [x, ["a", "b"]]}``
    builds its set once) and let a targeting rule whose branch is a literal variant name
    answer a precomputed result.
    """

    fn: Expr
    constant: bool = False
    value: Any = None


def constant(value: Any) -> Node:
    """A node that is ``value`` whatever the data."""

    def fn(_data: Any) -> Any:
        return value

    return _node(Node, (fn, True, value))


_node = tuple.__new__  # Node(fn, True, value) without NamedTuple's keyword handling


class Site(NamedTuple):
    """Where an operation is compiled: the flag it belongs to, its scope and JSON path.

    ``top`` is true where ``var`` reads the evaluation context itself, false inside the
    logic of ``map``/``filter``/``reduce``/``all``/``none``/``some``, where it reads the
    current element.
    """

    flag_key: str
    top: bool
    path: Path


class RuleError(Exception):
    """A rule that cannot be compiled; ``path`` locates it, ``message`` says why.

    Messages name operators, arities and evaluator names, never literal values, because
    they are logged and rules may hold e-mail addresses or customer ids.
    """

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Misuse(RuleError):  # noqa: N818 - a kind of RuleError, named for what it reports
    """A flagd operation that can never apply as written (wrong arity, an unknown
    ``sem_ver`` operator, a literal that is not a version...).

    flagd loads such a rule and the operation evaluates to ``null`` every time, so the
    compiler does the same: it records the misuse (``appflags validate`` reports it, a
    fetched version logs it) and compiles an operation that always fails.
    """


class Abort(Exception):  # noqa: N818 - a control-flow signal, not an error for callers
    """Raised by a flagd operation that cannot apply to this context (an invalid version,
    a non-string ``starts_with`` operand, a ``fractional`` with nothing to bucket by).

    The whole targeting then evaluates to ``null``, so the flag answers its default
    variant, as flagd's own providers do (flagd-testbed's ``@operator-errors``
    scenarios), rather than taking the ``false`` branch of the surrounding ``if``.
    """


OpBuilder = Callable[[list[Node], list[Any], Site], Node]
"""Builds a custom operation from its compiled arguments, their raw JSON, and its site."""
