"""The per-context cache of Flags.from_agent's multi-variant flags: what shares an answer.

The Agent sees a context only as the text of its ``Context`` header, so two contexts may
share a cached answer only when they send the same text: ``1``, ``1.0``, ``True`` and
``"1"`` send ``1``, ``1.0``, ``true`` and ``1``; ``0.0`` and ``-0.0`` send ``0.0`` and
``-0.0``. Each distinct header costs exactly one request, and every lookup answers what
the Agent says for its own header.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appflags import Flags, VariantOptions
from appflags.testing import LocalAppConfig

APP = ("shop", "prod", "probe")
OMITTED = "<omitted>"
"""The text of a ``None`` value: the attribute is left out of the header."""

# Each value with the text the Agent must receive for it (None: cannot be sent, so the
# lookup answers the polled answer without asking).
POOL: list[tuple[Any, str | None]] = [
    (1, "1"),
    (1.0, "1.0"),
    (True, "true"),
    ("1", "1"),
    ("true", "true"),
    (0, "0"),
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (False, "false"),
    ("", ""),
    ("x", "x"),
    (2**64, "18446744073709551616"),
    (1e16, "1e+16"),
    (2.5, "2.5"),
    ("2.5", "2.5"),
    (None, OMITTED),
    (float("nan"), None),
    (float("-inf"), None),
    ([1], None),
    ({"nested": {"n": 1}}, None),
    (" x", None),
    (b"x", None),
]
TEXTS = sorted({text for _, text in POOL if text is not None and text != OMITTED})


def _document() -> dict[str, Any]:
    """A multi-variant flag whose variant names the text its ``v`` attribute arrived as."""
    variants: list[dict[str, Any]] = [
        {"name": f"v={text}", "enabled": True, "rule": f'(eq $v "{text}")'} for text in TEXTS
    ]
    variants.append({"name": "Default", "enabled": False})
    return {
        "version": "1",
        "flags": {"probe": {"name": "Probe"}},
        "values": {"probe": {"_variants": variants}},
    }


@pytest.fixture(scope="module")
def agent() -> Iterator[LocalAppConfig]:
    with LocalAppConfig(poll_interval=60) as local:
        local.put(*APP, _document())
        yield local


def _requests(server: LocalAppConfig) -> list[dict[str, str]]:
    return [c.agent.context for c in server.log if c.agent is not None and c.agent.flags]


def _header(
    drawn: Mapping[str, tuple[Any, str | None]], keys: frozenset[str] | None
) -> dict[str, str] | None:
    """What the Agent must receive for a drawn context; ``None`` when it cannot be sent."""
    header: dict[str, str] = {}
    for name, (_, text) in drawn.items():
        if keys is not None and name not in keys:
            continue
        if text is None:
            return None
        if text != OMITTED:
            header[name] = text
    return header


def _expected(header: dict[str, str] | None) -> str:
    if not header or header.get("v") is None:
        return "Default"  # not sent (the polled answer), or no rule matches
    return f"v={header['v']}"


def _check_contexts(
    server: LocalAppConfig,
    drawn: list[dict[str, tuple[Any, str | None]]],
    order: list[int],
    *,
    keys: frozenset[str] | None,
    proxy: bool,
) -> None:
    server.reset_calls()
    with Flags.from_agent(
        *APP,
        url=server.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        context_keys=keys,
    ) as flags:
        for index in [*range(len(drawn)), *order]:
            context: Mapping[str, Any] = {n: value for n, (value, _) in drawn[index].items()}
            if proxy:
                context = MappingProxyType(dict(context))
            header = _header(drawn[index], keys)
            for _ in range(2):  # the second lookup of a context answers from the cache
                assert flags.get_str("probe._variant", "", context) == _expected(header)
    headers = [_header(d, keys) for d in drawn]
    sent = {tuple(sorted(h.items())) for h in headers if h}
    # One request per distinct header, whatever order, None values or left-out
    # attributes the contexts had; none for contexts that cannot be sent.
    assert sorted(tuple(sorted(r.items())) for r in _requests(server)) == sorted(sent)


# Values equal in Python (1 == 1.0 == True, 0 == 0.0 == -0.0 == False) that the Agent
# receives as different text: drawn often, so that contexts differing only in them meet.
_EQUAL = [(v, t) for v, t in POOL if type(v) in (int, float, bool) and v in (0, 1)]
_VALUE = st.one_of(st.sampled_from(_EQUAL), st.sampled_from(POOL))


@st.composite
def _context(draw: st.DrawFn) -> dict[str, tuple[Any, str | None]]:
    drawn = draw(
        st.fixed_dictionaries(
            {"v": _VALUE}, optional={"w": st.sampled_from(_EQUAL), "x": st.sampled_from(POOL)}
        )
    )
    names = draw(st.permutations(list(drawn)))  # insertion order must not matter
    return {name: drawn[name] for name in names}


_CONTEXTS = st.lists(_context(), min_size=1, max_size=6)


@settings(max_examples=60)
@given(_CONTEXTS, st.lists(st.integers(0, 5), max_size=10), st.booleans())
def test_contexts_share_an_answer_only_when_they_send_the_same_header(
    agent: LocalAppConfig,
    drawn: list[dict[str, tuple[Any, str | None]]],
    order: list[int],
    proxy: bool,
) -> None:
    order = [i % len(drawn) for i in order]
    _check_contexts(agent, drawn, order, keys=None, proxy=proxy)


@settings(max_examples=40)
@given(_CONTEXTS, st.lists(st.integers(0, 5), max_size=10))
def test_context_keys_limit_the_cache_key_to_what_is_sent(
    agent: LocalAppConfig,
    drawn: list[dict[str, tuple[Any, str | None]]],
    order: list[int],
) -> None:
    # "x" never leaves: whatever it holds (a list, NaN, a dict), it neither stops a
    # request nor makes another one.
    order = [i % len(drawn) for i in order]
    _check_contexts(agent, drawn, order, keys=frozenset({"v", "w"}), proxy=False)


def test_concurrent_lookups_each_get_their_own_contexts_answer(agent: LocalAppConfig) -> None:
    agent.reset_calls()
    sendable = [(value, text) for value, text in POOL if text not in (None, OMITTED)]
    problems: list[str] = []
    with Flags.from_agent(
        *APP, url=agent.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:

        def work(offset: int) -> None:
            for round_ in range(30):
                value, text = sendable[(offset + round_) % len(sendable)]
                got = flags.get_str("probe._variant", "", {"w": offset % 2, "v": value})
                if got != f"v={text}":
                    problems.append(f"{value!r}: {got}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert problems == []
    requests = _requests(agent)
    assert len(requests) == len({tuple(sorted(r.items())) for r in requests})


def test_a_full_cache_keeps_answering_each_context_its_own_answer(
    agent: LocalAppConfig,
) -> None:
    agent.reset_calls()
    contexts = [{"v": value} for value in (1, 1.0, True, "x", 2.5)]
    with Flags.from_agent(
        *APP,
        url=agent.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10, cache_size=2),
    ) as flags:
        for _ in range(3):
            for context, text in zip(contexts, ("1", "1.0", "true", "x", "2.5"), strict=True):
                assert flags.get_str("probe._variant", "", context) == f"v={text}"
    # Two contexts fit (the least recently used one goes): cycling through five asks
    # again every time, and never answers another context's answer.
    assert len(_requests(agent)) == 15


class _Unhashable:
    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class _Unequal:
    def __hash__(self) -> int:
        return hash(1)

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no equality")


class _Text(str):
    __slots__ = ()


class _Broken(Mapping[str, Any]):
    """A mapping that fails however it is read."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("broken")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("broken")

    def __len__(self) -> int:
        raise RuntimeError("broken")


@pytest.mark.parametrize("keys", [None, frozenset({"v", "w"})], ids=["all", "context_keys"])
def test_odd_contexts_never_raise_and_are_never_sent(
    agent: LocalAppConfig, keys: frozenset[str] | None
) -> None:
    agent.reset_calls()
    odd: list[Any] = [
        _Unhashable(),
        _Unequal(),
        _Text("1"),
        float("nan"),
        {"nested": {"deeper": [1, {"n": float("nan")}]}},
        [1, 2],
        10**5000,
    ]
    with Flags.from_agent(
        *APP,
        url=agent.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10),
        context_keys=keys,
    ) as flags:
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"
        for value in odd:
            for _ in range(2):
                context = {"w": 1, "v": value}
                assert flags.get_str("probe._variant", "", context) == "Default"
        # A mapping that cannot be read: the caller's default, as for any failing rule.
        assert flags.get_str("probe._variant", "", _Broken()) == ""
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"
    assert _requests(agent) == [{"v": "1"}]


def test_no_more_than_cache_size_contexts_answer_from_memory(agent: LocalAppConfig) -> None:
    agent.reset_calls()
    with Flags.from_agent(
        *APP,
        url=agent.endpoint_url,
        poll_interval=60,
        variants=VariantOptions(budget=10, cache_size=2),
    ) as flags:
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"  # from memory
        # Two more contexts fill the cache: {"v": 1}, the least recently used, goes.
        assert flags.get_str("probe._variant", "", {"v": 0.0}) == "v=0.0"
        assert flags.get_str("probe._variant", "", {"v": -0.0}) == "v=-0.0"
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"
    assert _requests(agent) == [{"v": "1"}, {"v": "0.0"}, {"v": "-0.0"}, {"v": "1"}]


class _TwoFaced(dict[str, Any]):
    """A context that changes between two reads, as another thread's writes could make
    it: its values read as ints, its items as they are."""

    def values(self) -> Any:
        return [1 for _ in super().values()]


def test_a_context_changed_between_reads_files_no_answer_under_another_context(
    agent: LocalAppConfig,
) -> None:
    agent.reset_calls()
    with Flags.from_agent(
        *APP, url=agent.endpoint_url, poll_interval=60, variants=VariantOptions(budget=10)
    ) as flags:
        # It reads two ways: either is its answer, as long as it is filed under its own.
        first = flags.get_str("probe._variant", "", _TwoFaced(v=True))
        assert first in ("v=true", "v=1")
        # True == 1: had "true"'s answer been filed under (True, int), this would read it.
        assert flags.get_str("probe._variant", "", {"v": 1}) == "v=1"
        assert flags.get_str("probe._variant", "", {"v": True}) == "v=true"
    assert sorted(r["v"] for r in _requests(agent)) == ["1", "true"]
