"""Incremental compilation: a new version recompiles only the flags that changed, and gives
exactly what compiling it whole gives."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_draft04 import FLAGD_VALID, POWERTOOLS_VALID, near_misses

from appflags import Change, Flags, SchemaError
from appflags.formats import Compiled, compile_document
from appflags.testing import LocalAppConfig

ROOT = Path(__file__).resolve().parents[2]
STORED = json.loads((ROOT / "examples" / "flags-multivariant.json").read_text(encoding="utf-8"))
RETRIEVED = json.loads((ROOT / "examples" / "flags.json").read_text(encoding="utf-8"))
SEEDS = {
    "powertools": POWERTOOLS_VALID,
    "flagd": FLAGD_VALID,
    "appconfig": [STORED, RETRIEVED],
}
CONTEXTS: list[dict[str, Any]] = [
    {},
    {"user": "u-1", "email": "jo@qa-testers.mycompany.com", "tier": "gold", "a": 1},
    {"user": "u-2", "v": "2.0.0", "email": "x@example.org", "opted_in_to_beta": "y"},
]


def whole_and_incremental(fmt: str, first: Any, second: Any) -> tuple[Compiled, Compiled]:
    _, before = compile_document(first, format=fmt, incremental=True)
    _, whole = compile_document(second, format=fmt)
    _, patched = compile_document(second, format=fmt, incremental=True, previous=before.incremental)
    return whole, patched


def answers(compiled: Compiled) -> dict[str, Any]:
    out: dict[str, Any] = {key: [rule(c) for c in CONTEXTS] for key, rule in compiled.rules.items()}
    return out


def assert_same(whole: Compiled, patched: Compiled) -> None:
    assert patched.static == whole.static
    assert list(patched.static) == list(whole.static) or set(patched.static) == set(whole.static)
    assert patched.features == whole.features
    assert patched.disabled == whole.disabled
    assert dict(patched.metadata) == dict(whole.metadata)
    assert answers(patched) == answers(whole)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), fmt=st.sampled_from(sorted(SEEDS)))
def test_a_patched_version_compiles_to_what_the_whole_version_compiles_to(
    data: Any, fmt: str
) -> None:
    first = copy.deepcopy(data.draw(st.sampled_from(SEEDS[fmt])))
    second = data.draw(near_misses([first]))
    try:
        whole, patched = whole_and_incremental(fmt, first, second)
    except SchemaError:
        assume(False)
    assert_same(whole, patched)


def many_flagd_flags(count: int, changed: int | None = None) -> dict[str, Any]:
    flags: dict[str, Any] = {
        f"f{i}": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "user"}, f"u-{i}"]}, "on", "off"]},
        }
        for i in range(count)
    }
    if changed is not None:
        flags[f"f{changed}"]["targeting"]["if"][0]["=="][1] = "someone-else"
    return {"flags": flags}


def test_unchanged_flags_keep_their_compiled_rules() -> None:
    _, first = compile_document(many_flagd_flags(40), incremental=True)
    _, second = compile_document(
        many_flagd_flags(40, changed=7), incremental=True, previous=first.incremental
    )
    kept = [key for key in first.rules if second.rules[key] is first.rules[key]]
    assert sorted(kept) == sorted(f"f{i}" for i in range(40) if i != 7)
    assert second.rules["f7"]({"user": "u-7"}).value is False
    assert second.rules["f7"]({"user": "someone-else"}).value is True


def test_a_change_to_what_every_flag_reads_recompiles_them_all() -> None:
    doc = many_flagd_flags(5)
    doc["$evaluators"] = {"x": {"==": [1, 1]}}
    _, first = compile_document(doc, incremental=True)
    doc2 = copy.deepcopy(doc)
    doc2["$evaluators"] = {"x": {"==": [1, 2]}}
    _, second = compile_document(doc2, incremental=True, previous=first.incremental)
    assert all(second.rules[key] is not rule for key, rule in first.rules.items())


def test_a_new_version_names_only_the_flags_that_changed() -> None:
    first = many_flagd_flags(30)
    changes: list[Change] = []
    arrived = threading.Event()
    with LocalAppConfig(poll_interval=1) as server:
        server.put("app", "env", "flags", first, version_label="v1")
        with Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:

            def listener(change: Change) -> None:
                changes.append(change)
                arrived.set()

            flags.on_change(listener)
            assert flags.evaluate("f3", False, {"user": "u-3"}).value is True
            server.put("app", "env", "flags", many_flagd_flags(30, changed=3), version_label="v2")
            assert arrived.wait(5)
            answer = flags.evaluate("f3", False, {"user": "u-3"})
            assert (answer.value, answer.version) == (False, "v2")
            assert flags.evaluate("f4", False, {"user": "u-4"}).version == "v2"
    assert changes[-1].changed_keys == {"f3"}


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_flags_added_removed_and_reordered(fmt: str) -> None:
    for first in SEEDS[fmt]:
        flags = first.get("flags", first) if fmt != "powertools" else first
        if len(flags) < 2:
            continue
        second = copy.deepcopy(first)
        target = second.get("flags", second) if fmt != "powertools" else second
        keys = list(target)
        moved = target.pop(keys[0])
        target[keys[0]] = moved  # the first flag now comes last
        del target[keys[1]]
        whole, patched = whole_and_incremental(fmt, first, second)
        assert_same(whole, patched)
        whole, patched = whole_and_incremental(fmt, second, first)
        assert_same(whole, patched)


# Values Python calls equal that are different answers: an integer never answers
# is_enabled, get_int refuses a float, and -0.0 is not 0.0.
EQUAL_BUT_NOT_SAME = [[True, 1, 1.0], [False, 0, 0.0, -0.0]]
json_scalars = st.sampled_from(EQUAL_BUT_NOT_SAME).flatmap(
    lambda group: st.tuples(st.sampled_from(group), st.sampled_from(group))
)


def typed(value: Any) -> Any:
    """``value`` with every number and boolean tagged with its type (for assertions)."""
    if isinstance(value, dict):
        return {key: typed(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


def padded_flagd(variant: Any, *, targeting: bool) -> dict[str, Any]:
    """A flagd document whose flag ``a`` has variant values of ``variant``'s type; 20 other
    flags keep a one-flag change under the share that recompiles everything."""
    off = variant if isinstance(variant, bool) else type(variant)(0)
    flag: dict[str, Any] = {
        "state": "ENABLED",
        "variants": {"on": variant, "off": not variant if isinstance(variant, bool) else off},
        "defaultVariant": "on",
    }
    if targeting:
        flag["targeting"] = {"if": [{"==": [{"var": "u"}, 1]}, "on", "off"]}
    pad = {"state": "ENABLED", "variants": {"x": True}, "defaultVariant": "x"}
    return {"flags": {"a": flag, **{f"p{i}": dict(pad) for i in range(20)}}}


def padded_retrieved(value: Any) -> dict[str, Any]:
    return {"a": {"enabled": True, "n": value}, **{f"p{i}": {"enabled": True} for i in range(20)}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=json_scalars, targeting=st.booleans())
def test_a_value_changed_to_an_equal_value_of_another_type_is_recompiled(
    pair: tuple[Any, Any], targeting: bool
) -> None:
    first, second = pair
    assume(typed(first) != typed(second))
    for fmt, before, after in [
        ("appconfig", padded_retrieved(first), padded_retrieved(second)),
        (
            "flagd",
            padded_flagd(first, targeting=targeting),
            padded_flagd(second, targeting=targeting),
        ),
    ]:
        try:
            whole, patched = whole_and_incremental(fmt, before, after)
        except SchemaError:  # flagd variants of mixed types, as -0.0 beside False
            continue
        assert typed(dict(patched.static)) == typed(dict(whole.static))
        assert typed(answers(patched)) == typed(answers(whole))


def test_flags_answer_a_new_version_that_changes_only_a_value_s_type() -> None:
    with LocalAppConfig(poll_interval=1) as server:
        server.put("app", "env", "flags", padded_flagd(True, targeting=True), version_label="v1")
        with Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:
            changes: list[Change] = []
            arrived = threading.Event()

            def listener(change: Change) -> None:
                changes.append(change)
                arrived.set()

            flags.on_change(listener)
            assert flags.is_enabled("a", {"u": 1}) is True
            server.put("app", "env", "flags", padded_flagd(1, targeting=True), version_label="v2")
            assert arrived.wait(5)
            # Variants 1 and 0 now: no boolean, so is_enabled answers its default.
            assert flags.is_enabled("a", {"u": 1}) is False
            answer = flags.evaluate("a", None, {"u": 1})
            assert (answer.value, type(answer.value), answer.version) == (1, int, "v2")
            assert "a" not in flags.enabled_features({"u": 1})
        assert changes[-1].changed_keys == {"a"}

    with LocalAppConfig(poll_interval=1) as server:
        server.put("app", "env", "flags", padded_retrieved(1))
        with Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:
            changes.clear()
            arrived.clear()
            flags.on_change(listener)
            assert flags.get_int("a.n", -1) == 1
            server.put("app", "env", "flags", padded_retrieved(1.0))
            assert arrived.wait(5)
            assert flags.get_int("a.n", -1) == -1  # a float never answers get_int
            assert type(flags.evaluate("a.n", None).value) is float
        assert changes[-1].changed_keys == {"a.n"}


def test_a_version_compiled_whole_keeps_the_rules_of_unchanged_flags_past_4096() -> None:
    # More than a quarter of the flags changed: the version is compiled whole, and the
    # compiled-targeting cache decides which rule objects stay. It held 4,096 rules, so a
    # larger document evicted its own and every flag was reported changed.
    count, changed = 5000, range(1500)
    first = many_flagd_flags(count)
    second = copy.deepcopy(first)
    for i in changed:
        second["flags"][f"f{i}"]["targeting"]["if"][0]["=="][1] = "someone-else"
    _, before = compile_document(first, incremental=True)
    _, after = compile_document(second, incremental=True, previous=before.incremental)
    kept = {key for key, rule in after.rules.items() if before.rules[key] is rule}
    assert kept == {f"f{i}" for i in range(count) if i not in changed}
    assert after.rules["f0"]({"user": "someone-else"}).value is True
    assert after.rules["f1500"]({"user": "u-1500"}).value is True


def test_object_variants_answer_with_the_key_order_of_their_version() -> None:
    def doc(value: dict[str, int]) -> dict[str, Any]:
        flag = {
            "state": "ENABLED",
            "variants": {"on": value, "off": {}},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "user"}, "u-1"]}, "on", "off"]},
        }
        return {"flags": {"layout": flag}}

    first = Flags.from_dict(doc({"a": 1, "b": 2}), format="flagd")
    second = Flags.from_dict(doc({"b": 2, "a": 1}), format="flagd")
    assert list(first.get_object("layout", {}, {"user": "u-1"})) == ["a", "b"]
    assert list(second.get_object("layout", {}, {"user": "u-1"})) == ["b", "a"]


def test_a_patched_version_records_what_it_was_patched_from_and_what_it_touched() -> None:
    _, first = compile_document(many_flagd_flags(40), incremental=True)
    _, second = compile_document(
        many_flagd_flags(40, changed=7), incremental=True, previous=first.incremental
    )
    assert first.incremental is not None
    assert second.incremental is not None
    assert first.incremental.base is None  # compiled whole
    assert second.incremental.base is first.incremental.compiled
    assert second.incremental.touched == {"f7"}
    # Another format's version, or another clock's, starts afresh.
    _, other = compile_document(
        {"f0": {"enabled": True}}, incremental=True, previous=first.incremental
    )
    assert other.incremental is not None
    assert other.incremental.base is None


def test_a_stored_version_without_flags_after_one_with_flags() -> None:
    # AppConfig's stored document may leave out "flags" (a profile emptied): the patch
    # compiles it as the whole compile does (it raised KeyError: 'flags').
    before = {"version": "1", "flags": {"x": {"name": "x"}}, "values": {"x": {"enabled": True}}}
    _, first = compile_document(before, format="appconfig", incremental=True)
    _, patched = compile_document(
        {"version": "1"}, format="appconfig", incremental=True, previous=first.incremental
    )
    _, whole = compile_document({"version": "1"}, format="appconfig")
    assert (patched.static, patched.rules, patched.features) == ({}, {}, ())
    assert (patched.static, patched.features) == (whole.static, whole.features)
