"""Rule languages, each compiled once per document into closures.

- AppConfig's variant rules (Ion s-expressions): :func:`parse_rule`, :func:`compile_rule`,
  and :func:`in_split`, the documented bucketing of ``split``; ``docs/rules.md`` describes
  the language and every semantic choice. :func:`explain` tells which variant answered a
  key for a context and what each rule read.
- Powertools for AWS Lambda's condition actions (``_powertools_actions``).

The names below load with their module on first use: importing one rule language (say
``rules._powertools_actions`` for a Powertools document) runs this package first, and
must not load AppConfig's parser, compiler and RE2 with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appflags.rules._appconfig_compiler import Predicate, compile_rule
    from appflags.rules._appconfig_parser import RuleSyntaxError, parse_rule
    from appflags.rules._explain import ABSENT, Explanation, RuleTrace, explain
    from appflags.rules._split import in_split

_MODULES = {
    "Predicate": "_appconfig_compiler",
    "compile_rule": "_appconfig_compiler",
    "RuleSyntaxError": "_appconfig_parser",
    "parse_rule": "_appconfig_parser",
    "ABSENT": "_explain",
    "Explanation": "_explain",
    "RuleTrace": "_explain",
    "explain": "_explain",
    "in_split": "_split",
}

__all__ = [
    "ABSENT",
    "Explanation",
    "Predicate",
    "RuleSyntaxError",
    "RuleTrace",
    "compile_rule",
    "explain",
    "in_split",
    "parse_rule",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
