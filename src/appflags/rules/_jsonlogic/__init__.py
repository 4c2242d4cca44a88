"""JsonLogic compiled to closures, with flagd's custom operations and ``$ref``.

A rule such as ``{"if": [{"in": [{"var": "email"}, ["a@x.io", "b@x.io"]]}, "beta", null]}``
is compiled once per document into nested Python functions of the context. There is no
interpreter on the evaluation path: nothing walks the JSON, looks up operators or parses
strings when a flag is evaluated. Parts whose value does not depend on the context are
computed at compile time (``["a@x.io", "b@x.io"]`` becomes a ``frozenset`` there).

Semantics are those of json-logic-js, the reference implementation behind jsonlogic.com
(JavaScript coercions, see :mod:`._values`), for the operations flagd's targeting
schema allows: ``var missing missing_some if == === != !== > >= < <= ! !! and or + - * / %
min max cat substr in merge map filter reduce all none some``, plus flagd's ``fractional``,
``sem_ver``, ``starts_with`` and ``ends_with``, and ``{"$ref": "name"}`` for a rule shared
through the document's ``$evaluators``. At the top level, ``var`` also reads flagd's
``$flagd.flagKey`` (the flag being evaluated) and ``$flagd.timestamp`` (Unix seconds from the
document's clock); these take precedence over a ``$flagd`` key in the context, as in flagd.
"""

from appflags.rules._jsonlogic._base import MAX_DEPTH, Abort, Misuse, Node, RuleError
from appflags.rules._jsonlogic._compiler import MAX_NODES, compile_logic, is_operation

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Abort",
    "Misuse",
    "Node",
    "RuleError",
    "compile_logic",
    "is_operation",
]
