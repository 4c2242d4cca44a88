"""An immutable, compiled set of flags: what every lookup reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from appflags._model import fingerprint

if TYPE_CHECKING:
    from collections.abc import Mapping

    from appflags._errors import Problem
    from appflags._model import Compiled, Incremental, Resolved, Rule


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One accepted document, compiled. Replaced as a whole, never changed in place.

    ``digest`` identifies the bytes it was compiled from, so that the same document
    fetched again (a new session, a file touched) is recognised without parsing.
    """

    static: dict[str, Resolved] = field(default_factory=dict)
    bools: dict[str, bool] = field(default_factory=dict)
    """The static keys whose answer is a boolean, for ``is_enabled``'s fast path."""
    rules: dict[str, Rule] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    disabled: frozenset[str] = frozenset()
    metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    """Flags that load but cannot work as written (``Compiled.warnings``)."""
    version: str | None = None
    format: str | None = None
    digest: str | None = None
    ready: bool = True
    incremental: Incremental | None = field(default=None, compare=False, repr=False)
    """What the incremental compile made of this version (``Compiled.incremental``): the
    next version's compile starts from it."""
    memo: dict[type, dict[str, Any]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    """``evaluate``'s answers, per default type and key (``_lookups._entry``): filled on
    first use, the only mutable part. It belongs to this snapshot (every answer in it names
    its version): a snapshot made from this one by ``dataclasses.replace`` starts empty."""

    @classmethod
    def of(
        cls,
        compiled: Compiled,
        *,
        format: str,  # noqa: A002
        version: str | None = None,
        digest: str | None = None,
        previous: Snapshot | None = None,
    ) -> Snapshot:
        """The snapshot of a compiled document; ``previous``, the snapshot of the version
        it was compiled incrementally from, lends the pieces a patch did not touch."""
        if previous is not None and (touched := _patched_from(compiled, previous)) is not None:
            bools = dict(previous.bools)
            for key in touched:
                bools.pop(key, None)
                answer = compiled.static.get(key)
                if answer is not None and type(answer.value) is bool:
                    bools[key] = answer.value
        else:
            bools = {k: r.value for k, r in compiled.static.items() if type(r.value) is bool}
        return cls(
            static=compiled.static,
            bools=bools,
            rules=compiled.rules,
            features=compiled.features,
            disabled=compiled.disabled,
            metadata=compiled.metadata,
            warnings=tuple(p for found in compiled.warnings.values() for p in found),
            version=version,
            format=format,
            digest=digest,
            incremental=compiled.incremental,
        )

    def changed_keys(self, other: Snapshot) -> frozenset[str]:
        """Keys whose answers may differ between ``self`` and ``other``.

        Static answers are compared by value and type (``1`` is no ``True``); a key with
        rules counts as changed whenever its compiled rule is a different object (the
        format recompiled it).
        """
        touched = _patched_from(self, other)
        if touched is not None:
            # Patched from ``other``: every other key holds the very same object.
            return frozenset(k for k in touched if self._differs(other, k))
        changed = set(self.static.keys() ^ other.static.keys())
        changed |= {
            k
            for k, r in self.static.items()
            if (o := other.static.get(k, r)) is not r
            and (o != r or fingerprint(o.value) != fingerprint(r.value))
        }
        changed |= self.rules.keys() ^ other.rules.keys()
        changed |= {k for k, rule in self.rules.items() if other.rules.get(k, rule) is not rule}
        changed |= {
            k
            for k in self.metadata.keys() | other.metadata.keys()
            if _differ(self.metadata.get(k), other.metadata.get(k))
        }
        return frozenset(changed)

    def _differs(self, other: Snapshot, key: str) -> bool:
        """``changed_keys``' verdict on one key."""
        if (key in self.static) != (key in other.static):
            return True
        if key in self.static:
            r, o = self.static[key], other.static[key]
            if o is not r and (o != r or fingerprint(o.value) != fingerprint(r.value)):
                return True
        if self.rules.get(key) is not other.rules.get(key):
            return True
        return _differ(self.metadata.get(key), other.metadata.get(key))


NOT_READY = Snapshot(ready=False)


def _patched_from(new: Compiled | Snapshot, previous: Snapshot | None) -> frozenset[str] | None:
    """The keys an incremental compile touched when ``new`` was patched from exactly what
    ``previous`` serves (nothing wrapped either side: the Agent's variant rules, overrides);
    None otherwise. Reads the :class:`~appflags._model.Incremental` records alone."""
    made = new.incremental
    if previous is None or made is None or made.base is None or previous.incremental is None:
        return None
    base, mine = made.base, made.compiled
    if (
        base is previous.incremental.compiled
        and previous.static is base.static
        and previous.rules is base.rules
        and previous.metadata is base.metadata
        and new.static is mine.static
        and new.rules is mine.rules
        and new.metadata is mine.metadata
    ):
        return made.touched
    return None


def _differ(was: Any, now: Any) -> bool:
    """Whether two metadata mappings differ by value or type (``1`` is no ``true``)."""
    # Equal by ``==``: the same keys, whose values may still differ in type or sign. Their
    # values in a list: marshal writes no mappingproxy, and one call a mapping is cheapest.
    return was is not now and (
        was != now or fingerprint([*was.values()]) != fingerprint([*now.values()])
    )
