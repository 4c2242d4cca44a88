"""Bootstrap documents: what ``Flags`` answer until the first configuration arrives."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

from appflags._errors import Problem, SchemaError
from appflags._evaluation import Reason
from appflags.sources.file import content_type_of

if TYPE_CHECKING:
    from importlib.abc import Traversable  # importlib.resources.abc from 3.11 on

    from appflags._model import Resolved, Rule
    from appflags._snapshot import Snapshot

Bootstrap = Union[Mapping[str, Any], str, "os.PathLike[str]", "Traversable"]
"""A document (a mapping), a path to one, or a packaged resource
(``importlib.resources.files("myapp") / "flags.json"``)."""


_MAX_TWINS = 256
"""Variants remembered per rule (a rule that builds answers per call gets no twins)."""


def read_bootstrap(bootstrap: Bootstrap) -> tuple[bytes, str]:
    """The bootstrap document's bytes and content type.

    Raises ``OSError`` when the file or resource cannot be read, :class:`SchemaError`
    when a mapping is not JSON data.
    """
    if isinstance(bootstrap, Mapping):
        try:
            return json.dumps(bootstrap).encode("utf-8"), "application/json"
        except (TypeError, ValueError) as exc:
            raise SchemaError([Problem("$", f"not JSON data: {exc}")]) from None
    from pathlib import Path  # noqa: PLC0415 - pathlib: see _resources

    if isinstance(bootstrap, (str, os.PathLike)):
        path = Path(bootstrap)
        return path.read_bytes(), content_type_of(path)
    # A Traversable: a file inside an installed package, zipped or not.
    return bootstrap.read_bytes(), content_type_of(Path(bootstrap.name))


def as_stale(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with every answer's reason ``STALE`` (errors keep ``ERROR``)."""
    static, rules, disabled = snapshot.static, snapshot.rules, snapshot.disabled
    if type(rules) is not dict:
        # The Agent's per-context variant rules (from_agent): a bootstrap never asks the
        # Agent (which is unreachable, or the bootstrap would not answer): its
        # multi-variant flags answer their polled answer, from memory.
        from appflags.sources._variant_rules import VariantRules  # noqa: PLC0415

        if isinstance(rules, VariantRules):
            rules, polled, off = rules.in_memory()
            static = {**static, **polled}
            disabled = disabled | off
    return dataclasses.replace(
        snapshot,
        static={key: _stale(resolved) for key, resolved in static.items()},
        bools={k: r.value for k, r in static.items() if type(r.value) is bool},
        rules={key: _stale_rule(rule) for key, rule in rules.items()},
        disabled=disabled,
        digest=None,  # never "the same document" as a fetched one: that must replace it
    )


def _stale(resolved: Resolved) -> Resolved:
    if resolved.reason is Reason.ERROR:
        return resolved
    return resolved._replace(reason=Reason.STALE)


def _stale_rule(rule: Rule) -> Rule:
    # Formats build one Resolved per variant and evaluate() memoises by its identity: give
    # each variant one STALE twin, so answers stay shared rather than built per lookup.
    twins: dict[int, tuple[Resolved, Resolved]] = {}

    def stale(context: Mapping[str, Any]) -> Resolved:
        resolved = rule(context)
        twin = twins.get(id(resolved))
        if twin is not None and twin[0] is resolved:
            return twin[1]
        made = _stale(resolved)
        if len(twins) < _MAX_TWINS:
            twins[id(resolved)] = (resolved, made)
        return made

    return stale
