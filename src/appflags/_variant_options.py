"""How :meth:`Flags.from_agent` answers multi-variant flags: :class:`VariantOptions`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from appflags.sources import AgentSource
    from appflags.sources._agent_variants import AgentVariants

UNSET: Any = object()
"""Marks a deprecated ``from_agent`` keyword the caller did not pass."""


@dataclass(frozen=True, slots=True)
class VariantOptions:
    """How :meth:`Flags.from_agent` answers the Agent's multi-variant flags per context.

    ``mode`` is ``"blocking"`` (a cache miss waits at most ``budget`` seconds for the
    Agent, then answers the polled answer), ``"background"`` (a miss answers the polled
    answer at once and fetches for the next lookup of that context) or ``"off"`` (every
    lookup answers the polled answer). Answers are cached per context for ``ttl`` seconds
    (``None``: the ``poll_interval``, which is also the maximum), for at most
    ``cache_size`` contexts. Checked by ``from_agent``, like its other parameters.

    >>> flags = Flags.from_agent("shop", "prod", "flags",
    ...                          variants=VariantOptions(mode="background", ttl=2.0))
    """

    mode: str = "blocking"
    budget: float = 0.05
    cache_size: int = 4096
    ttl: float | None = None


def chosen_options(
    variants: VariantOptions | str | None, budget: Any, cache_size: Any, ttl: Any
) -> VariantOptions:
    """``from_agent``'s variant options, from ``variants=`` or its deprecated keywords."""
    old = {
        "variant_budget": ("budget", budget),
        "variant_cache_size": ("cache_size", cache_size),
        "variant_ttl": ("ttl", ttl),
    }
    passed = {name: value for name, value in old.items() if value[1] is not UNSET}
    if isinstance(variants, VariantOptions):
        if passed:
            raise TypeError(f"pass {', '.join(passed)} in variants=VariantOptions(...), not both")
        return variants
    if variants is None and not passed:
        return VariantOptions()
    if variants is not None and not isinstance(variants, str):
        raise TypeError(f"variants must be a VariantOptions, got {variants!r}")
    given = [*(["variants"] if variants is not None else []), *passed]
    warnings.warn(
        f"from_agent({', '.join(f'{n}=' for n in given)}) is deprecated: pass "
        "variants=appflags.VariantOptions(mode=..., budget=..., cache_size=..., ttl=...)",
        DeprecationWarning,
        stacklevel=3,
    )
    fields = dict(passed.values())
    return VariantOptions(mode="blocking" if variants is None else variants, **fields)


def variant_answers(
    source: AgentSource,
    options: VariantOptions,
    poll_interval: float,
    context_keys: Iterable[str] | None,
    entity_id: str | None,
) -> AgentVariants:
    """The per-context answers of ``source``'s multi-variant flags, checked and wired."""
    # Imported here: only from_agent answers variants per context (with cachetools' caches).
    from appflags.sources import _agent_variants  # noqa: PLC0415

    checked = _agent_variants.VariantOptions.build(
        mode=options.mode,
        budget=options.budget,
        cache_size=options.cache_size,
        ttl=options.ttl,
        poll_interval=poll_interval,
        context_keys=context_keys,
        entity_id=entity_id,
    )
    answers = _agent_variants.AgentVariants(source.fetch_flags, checked, name=source.name)
    source.on_version = answers.version_seen
    return answers
