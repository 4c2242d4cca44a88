"""Rule languages, each compiled once per document into closures.

- AppConfig's variant rules (Ion s-expressions): :func:`parse_rule`, :func:`compile_rule`,
  and :func:`in_split`, the documented bucketing of ``split``; ``docs/rules.md`` describes
  the language and every semantic choice. :func:`explain` tells which variant answered a
  key for a context and what each rule read.
- Powertools for AWS Lambda's condition actions (``_powertools_actions``).
"""

from __future__ import annotations

from appflags.rules._appconfig_compiler import Predicate, compile_rule
from appflags.rules._appconfig_parser import RuleSyntaxError, parse_rule
from appflags.rules._explain import ABSENT, Explanation, RuleTrace, explain
from appflags.rules._split import in_split

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
