"""The rules mapping ``Flags.from_agent`` serves: the document's own rules, plus a rule made
on demand for any attribute of a multi-variant flag (see ``_agent_variants``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from appflags._model import Resolved, Rule

NAMES_KEPT = 1024
"""Names remembered (context attribute names checked as safe, rules made on demand), up
to this many."""


class Answers(Protocol):
    """What :class:`VariantRules` reads of one snapshot's Agent answers."""

    flags: frozenset[str]
    polled: dict[str, Any]

    def rule(self, flag: str, key: str) -> Rule:
        """The rule answering ``key`` (the flag or one of its attributes) per context."""
        ...


class VariantRules(dict[str, "Rule"]):
    """Rules that also answer attributes of multi-variant flags the polled answer lacks.

    The polled answer shows only the empty context's variant, whose attributes may differ
    from (or be absent next to) another variant's: ``flag.attr`` for any attribute of a
    multi-variant flag asks the Agent too.
    """

    __slots__ = ("_answers", "_made")

    def __init__(self, rules: Mapping[str, Rule], answers: Answers) -> None:
        super().__init__(rules)
        self._answers = answers
        self._made: dict[str, Rule] = {}
        """Rules made on demand, kept (up to ``NAMES_KEPT``) for the next lookup."""

    def in_memory(self) -> tuple[dict[str, Rule], dict[str, Resolved], frozenset[str]]:
        """What these rules answer without the Agent: the other rules, the multi-variant
        flags' polled answers as static answers, and those of them that are disabled (for
        a ``bootstrap=`` document, which never asks the Agent)."""
        polled = self._answers.polled
        rules = {k: rule for k, rule in self.items() if k.partition(".")[0] not in polled}
        static = {k: r for answer in polled.values() for k, r in answer.by_key.items()}
        off = frozenset(
            flag for flag, answer in polled.items() if answer.by_key[flag].value is not True
        )
        return rules, static, off

    def get(self, key: str, default: Any = None) -> Any:
        rule = dict.get(self, key)
        if rule is not None:
            return rule
        try:
            rule = self._made.get(key)
        except TypeError:  # an unhashable key names no flag
            return default
        if rule is not None:
            return rule
        if self._attribute(key):
            rule = self._answers.rule(str.partition(key, ".")[0], key)
            if len(self._made) < NAMES_KEPT:
                self._made[key] = rule
            return rule
        return default

    def __contains__(self, key: object) -> bool:
        try:
            return dict.__contains__(self, key) or self._attribute(key)
        except TypeError:  # an unhashable key names no flag
            return False

    def _attribute(self, key: object) -> bool:
        """Whether ``key`` names an attribute of a multi-variant flag (a key that is not
        a ``str`` names none: lookups take any key and never raise)."""
        if not isinstance(key, str):
            return False
        flag, dot, _ = key.partition(".")
        return bool(dot) and flag in self._answers.flags
