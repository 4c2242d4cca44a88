"""A new version's compiled output, patched from the previous version's."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appflags._clock import Clock
    from appflags._model import Compiled
    from appflags.formats._base import Format
    from appflags.formats._incremental._compare import Changes
    from appflags.formats._incremental._split import Split

REBUILD_SHARE = 0.25
"""Past this share of flags changed, a whole compile is as cheap and simpler."""


def patch(
    chosen: Format,
    clock: Clock,
    *,
    before: Split,
    base: Compiled,
    split: Split,
    changes: Changes,
) -> tuple[Compiled, frozenset[str]] | None:
    """The output for ``split`` from ``base`` (the output for ``before``), and the keys it
    touched; None when so many flags changed that a whole compile is as cheap."""
    was, now = before.definitions, split.definitions
    changed, removed, same_keys = changes
    if len(changed) + len(removed) > len(now) * REBUILD_SHARE:
        return None
    # The previous version's output for the flags that go: compiling their old definitions
    # again names every key they produced (cheap: a few flags).
    going = {key: was[key] for key in [*changed, *removed] if key in was}
    old = chosen.compile(split.rebuild(before.shared, going, before.values), clock)
    fresh = {key: now[key] for key in changed}
    new = chosen.compile(split.rebuild(split.shared, fresh, split.values), clock)
    static = _replaced(base.static, old.static, new.static)
    rules = _replaced(base.rules, old.rules, new.rules)
    metadata = _replaced(base.metadata, old.metadata, new.metadata)
    warnings = _replaced(base.warnings, old.warnings, new.warnings)
    # The old definitions compiled to a part of ``base``: when the new ones disable the
    # same flags, ``base``'s set stands (no copy of thousands of names).
    if old.disabled == new.disabled:
        disabled = base.disabled
    else:
        disabled = (base.disabled - old.disabled) | new.disabled
    if not same_keys or set(old.features) != set(new.features):
        kept = (set(base.features) - set(old.features)) | set(new.features)
        features = tuple(key for key in now if key in kept)
    else:
        features = base.features
    touched = frozenset().union(
        old.static, new.static, old.rules, new.rules, old.metadata, new.metadata
    )
    compiled = dataclasses.replace(
        base,
        static=static,
        rules=rules,
        features=features,
        disabled=disabled,
        metadata=metadata,
        warnings=warnings,
    )
    return compiled, touched


def _replaced(base: Any, old: Any, new: Any) -> Any:
    """``base`` without ``old``'s keys, with ``new``'s; ``base`` itself when both are empty
    (these mappings are never changed in place)."""
    if not old and not new:
        return base
    out = dict(base)
    # A key kept is replaced in place: a dict that never lost a key copies at memcpy speed
    # (one with holes left by deletions is copied key by key, several times slower).
    for key in old.keys() - new.keys():
        out.pop(key, None)
    out.update(new)
    return out
