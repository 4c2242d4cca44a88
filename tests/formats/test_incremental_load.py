"""A new version loaded incrementally (by flags polling a source, which recompile only the
flags whose definitions changed) answers exactly as the same version loaded fresh:
values and their types, reasons, variants, error codes, the version that answered, and
the verdict on an invalid version (rejected, the last good version keeps answering)."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from appflags import Change, Flags, SchemaError
from appflags.rules import explain
from appflags.testing import LocalAppConfig

# Scalars Python calls equal across types (True == 1 == 1.0): a type-only edit between them
# must recompile the flag, or a stale answer of the old type is served.
VALID = [True, 1, 1.0, False, 0, 0.0, -0.0, 2, 2.0, "1", "on"]
SCALARS = st.sampled_from([*VALID, None])  # null: an edit that makes a version invalid
CONTEXTS: list[dict[str, Any]] = [{}, {"u": 1}, {"u": True}, {"u": 1.0}, {"u": "on"}]
# More flags than one comparison block holds, so that edits land in different blocks.
SIZES = st.integers(1, 90)


@st.composite
def retrieved(draw: st.DrawFn) -> dict[str, Any]:
    """The AppConfig retrieval form: ``enabled`` and one attribute per flag."""
    return {
        f"f{i}": {"enabled": draw(st.booleans()), "n": draw(st.sampled_from(VALID))}
        for i in range(draw(SIZES))
    }


@st.composite
def flagd(draw: st.DrawFn) -> dict[str, Any]:
    """flagd: two variants of any scalar, some flags targeting on ``u``."""
    flags: dict[str, Any] = {}
    # Variants of one type: flagd refuses a flag whose variants mix types.
    families: list[list[Any]] = [[True, False], [1, 0, 2], [1.0, 0.0, -0.0], ["1", "on"]]
    values = st.sampled_from(draw(st.sampled_from(families)))
    for i in range(draw(SIZES)):
        flag: dict[str, Any] = {
            "state": "ENABLED",
            "variants": {"a": draw(values), "b": draw(values)},
            "defaultVariant": "a",
        }
        if draw(st.booleans()):
            flag["targeting"] = {"if": [{"==": [{"var": "u"}, draw(SCALARS)]}, "b", "a"]}
        flags[f"f{i}"] = flag
    return {"flags": flags}


def flags_of(doc: dict[str, Any]) -> dict[str, Any]:
    flags: dict[str, Any] = doc.get("flags", doc)
    return flags


def scalar_places(flag: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a flag definition holding a scalar."""
    out: list[tuple[Any, Any]] = []
    items = flag.items() if isinstance(flag, dict) else enumerate(flag)
    for key, value in items:
        if isinstance(value, dict | list):
            out += scalar_places(value)
        elif not isinstance(value, str) or key not in ("state", "defaultVariant"):
            out.append((flag, key))
    return out


@st.composite
def edited(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a few edits: scalars replaced (often by an equal one of another type),
    flags removed, added or moved to the end."""
    doc = copy.deepcopy(doc)
    flags = flags_of(doc)
    for _ in range(draw(st.integers(1, 3))):
        if not flags:
            break
        key = draw(st.sampled_from(sorted(flags)))
        edit = draw(st.sampled_from(["type", "type", "value", "remove", "add", "move"]))
        if edit in ("type", "value"):
            places = scalar_places(flags[key])
            if places:
                container, slot = draw(st.sampled_from(places))
                was = container[slot]
                if edit == "type" and isinstance(was, bool | int | float):
                    same = [v for v in VALID if v == was and not isinstance(v, str)]
                    container[slot] = draw(st.sampled_from(same))
                else:
                    container[slot] = draw(SCALARS)
        elif edit == "remove":
            del flags[key]
        elif edit == "add":
            flags[f"new-{len(flags)}"] = copy.deepcopy(flags[key])
        else:
            flags[key] = flags.pop(key)
    return doc


def lookups(flags: Flags, keys: list[str]) -> list[Any]:
    """Every answer the keys give, with the types of the values."""
    out: list[Any] = []
    for key in keys:
        for context in CONTEXTS:
            answer = flags.evaluate(key, None, context)
            out.append(
                (
                    key,
                    answer.value,
                    type(answer.value),
                    answer.variant,
                    answer.reason,
                    answer.error_code,
                )
            )
            out.append((flags.is_enabled(key, context), flags.get_int(key, -7, context)))
            float_answer = flags.get_float(key, -7.5, context)
            out.append((float_answer, type(float_answer), str(float_answer)))
    out.append(sorted(flags.enabled_features({"u": 1})))
    return out


def keys_of(*docs: dict[str, Any]) -> list[str]:
    keys = {key for doc in docs for key in flags_of(doc)}
    return sorted(keys | {f"{key}.n" for key in keys})


def write(path: Path, doc: dict[str, Any]) -> None:
    """Replace the file whole (a new inode: seen as changed whatever its size and time)."""
    fresh = path.with_suffix(".new")
    fresh.write_text(json.dumps(doc), encoding="utf-8")
    fresh.replace(path)


def expected(first: dict[str, Any], second: dict[str, Any]) -> tuple[Flags, bool]:
    """``second`` loaded fresh, or ``first`` when ``second`` is rejected."""
    try:
        return Flags.from_dict(second), True
    except SchemaError:
        return Flags.from_dict(first), False


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), shape=st.sampled_from([retrieved, flagd]))
def test_a_version_loaded_incrementally_answers_as_the_same_version_loaded_fresh(
    data: Any, shape: Any
) -> None:
    first = data.draw(shape())
    second = data.draw(edited(first))
    keys = keys_of(first, second)
    assume(expected(first, first)[1])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flags.json"
        write(path, first)
        with Flags.from_file(path, watch=3600) as flags:
            before = lookups(flags, keys)  # fills the first version's memos
            assert before == lookups(Flags.from_dict(first), keys)
            changes: list[Change] = []
            flags.on_change(changes.append)
            write(path, second)
            assert flags.refresh()
            fresh, _ = expected(first, second)
            assert lookups(flags, keys) == lookups(fresh, keys)
            if shape is retrieved:  # every key static: changed keys are those answering anew
                old = Flags.from_dict(first)
                differ = {key for key in keys if answer(old, key) != answer(flags, key)}
                assert {key for change in changes for key in change.changed_keys} == differ


def answer(flags: Flags, key: str) -> Any:
    found = flags.evaluate(key, None)
    return (found.value, type(found.value), str(found.value), found.reason, found.error_code)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), shape=st.sampled_from([retrieved, flagd]))
def test_every_answer_names_the_version_that_gave_it(data: Any, shape: Any) -> None:
    first = data.draw(shape())
    second = data.draw(edited(first))
    keys = keys_of(first, second)
    assume(expected(first, first)[1])
    with LocalAppConfig(poll_interval=0.1) as server:
        server.put("app", "env", "flags", first, version_label="v1")
        with Flags.from_appconfig("app", "env", "flags", client=server.client()) as flags:
            assert {flags.evaluate(key, None, c).version for key in keys for c in CONTEXTS} == {
                "v1"
            }
            server.put("app", "env", "flags", second, version_label="v2")
            assert flags.refresh(timeout=5)
            fresh, accepted = expected(first, second)
            label = "v2" if accepted else "v1"
            assert flags.version == label
            assert lookups(flags, keys) == lookups(fresh, keys)
            answers = {flags.evaluate(key, None, c).version for key in keys for c in CONTEXTS}
            assert answers == {label}


def test_a_type_only_edit_is_seen_wherever_the_flag_stands() -> None:
    # Every position in a document of 70 flags in turn holds 1.0 where the others hold 1.
    def doc(position: int) -> dict[str, Any]:
        return {f"f{i}": {"enabled": True, "n": 1.0 if i == position else 1} for i in range(70)}

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flags.json"
        write(path, doc(-1))
        with Flags.from_file(path, watch=3600) as flags:
            for position in range(70):
                write(path, doc(position))
                assert flags.refresh()
                keys = [f"f{i}.n" for i in range(70)]
                floats = [key for key in keys if type(flags.evaluate(key, None).value) is float]
                assert floats == [f"f{position}.n"]


@pytest.mark.parametrize("edited", [1, 40])  # one flag (patched), every flag (whole compile)
@pytest.mark.parametrize(("was", "now"), [(1, True), (1, 1.0), (0.0, -0.0), (1, "1")])
def test_a_metadata_value_changed_only_in_type_is_a_changed_key(
    edited: int, was: Any, now: Any
) -> None:
    def doc(team: Any, upto: int) -> dict[str, Any]:
        flag = {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"}
        return {
            "flags": {
                f"f{i}": {**flag, "metadata": {"team": team if i < upto else was}}
                for i in range(40)
            }
        }

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flags.json"
        write(path, doc(was, 0))
        with Flags.from_file(path, watch=3600) as flags:
            changes: list[Change] = []
            flags.on_change(changes.append)
            write(path, doc(now, edited))
            assert flags.refresh()
            assert repr(flags.metadata("f0")["team"]) == repr(now)
            changed = {key for change in changes for key in change.changed_keys}
            assert changed == {f"f{i}" for i in range(edited)}


NUMBERS = [1, 1.0, 0, 0.0, -0.0, 2, 2.0]


@st.composite
def stored(draw: st.DrawFn) -> dict[str, Any]:
    """The stored AppConfig document: definitions (metadata) and values, some flags
    disabled, some multi-variant with a rule on ``u``."""
    flags: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for i in range(draw(SIZES)):
        flags[f"f{i}"] = {
            "name": f"F{i}",
            "description": draw(st.sampled_from(["a", "b"])),
            "attributes": {"n": {"constraints": {"type": "number"}}},
        }
        if draw(st.integers(0, 4)) == 0:
            rule = draw(st.sampled_from(["(eq $u 1)", "(eq $u 1.0)", '(eq $u "on")']))
            values[f"f{i}"] = {
                "_variants": [
                    {"name": "A", "enabled": True, "rule": rule, "attributeValues": {"n": 2}},
                    {"name": "D", "enabled": draw(st.booleans())},
                ]
            }
        else:
            values[f"f{i}"] = {"enabled": draw(st.booleans()), "n": draw(st.sampled_from(NUMBERS))}
    return {"version": "1", "flags": flags, "values": values}


@st.composite
def powertools(draw: st.DrawFn) -> dict[str, Any]:
    """Powertools: a default, some flags with a rule on ``u``."""
    doc: dict[str, Any] = {}
    for i in range(draw(SIZES)):
        flag: dict[str, Any] = {"default": draw(st.booleans())}
        if draw(st.booleans()):
            condition = {"action": "EQUALS", "key": "u", "value": draw(st.sampled_from(VALID))}
            flag["rules"] = {"r": {"when_match": draw(st.booleans()), "conditions": [condition]}}
        doc[f"f{i}"] = flag
    return doc


@st.composite
def edited_apart(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a few edits to a flag's definition and its value alike: a scalar
    replaced by an equal one of another type (or an invalid one), a flag removed, added,
    moved to the end, or its description alone changed."""
    doc = copy.deepcopy(doc)
    parts = [doc["flags"], doc["values"]] if "values" in doc else [doc]
    for _ in range(draw(st.integers(1, 3))):
        keys = sorted(parts[0])
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        edit = draw(st.sampled_from(["type", "type", "value", "remove", "add", "move", "text"]))
        if edit in ("type", "value"):
            places = [p for part in parts for p in scalar_places(part[key])]
            places = [(c, s) for c, s in places if not isinstance(c[s], str)]
            if places:
                container, slot = draw(st.sampled_from(places))
                was = container[slot]
                # (None, set by an earlier edit, equals no other value: it stays.)
                same = [v for v in [*VALID, *NUMBERS] if v == was and not isinstance(v, str)]
                same = same or [was]
                container[slot] = draw(st.sampled_from(same if edit == "type" else [*VALID, None]))
        elif edit == "text" and len(parts) == 2:
            parts[0][key]["description"] = draw(st.sampled_from(["a", "b", "c"]))
        elif edit == "remove":
            for part in parts:
                part.pop(key, None)
        elif edit == "add":
            for part in parts:
                part[f"new-{len(part)}"] = copy.deepcopy(part[key])
        elif edit == "move":
            for part in parts:
                part[key] = part.pop(key)
    return doc


def described(flags: Flags, keys: list[str]) -> list[Any]:
    """What a flag says besides its answers: metadata and explanations."""
    out: list[Any] = []
    for key in keys:
        out.append(json.dumps(dict(flags.metadata(key) or {}), sort_keys=True))
        for context in CONTEXTS:
            out.append(repr(explain(flags, key, context)))
    return out


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), shape=st.sampled_from([stored, powertools]))
def test_stored_and_powertools_versions_loaded_one_after_another_answer_as_loaded_fresh(
    data: Any, shape: Any
) -> None:
    first = data.draw(shape())
    assume(expected(first, first)[1])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flags.json"
        write(path, first)
        with Flags.from_file(path, watch=3600) as flags:
            good = first
            for _ in range(3):  # each version patched from the last one accepted
                second = data.draw(edited_apart(good))
                keys = keys_of(good, second)
                lookups(flags, keys)  # fills the memos of the version serving
                changes: list[Change] = []
                unsubscribe = flags.on_change(changes.append)
                write(path, second)
                assert flags.refresh()
                unsubscribe()
                fresh, accepted = expected(good, second)
                assert lookups(flags, keys) == lookups(fresh, keys)
                assert described(flags, keys) == described(fresh, keys)
                if accepted:
                    old = Flags.from_dict(good)
                    differ = {key for key in keys if answer(old, key) != answer(fresh, key)}
                    assert differ <= {key for change in changes for key in change.changed_keys}
                    good = second
