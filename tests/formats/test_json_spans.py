"""A new version read from JSON text finds its changed flags in the text: whatever the edit
(values, types, flags added, removed, moved or repeated, escapes, spacing, at the edges of a
member), it compiles to what the version compiles to whole, and the flags whose text did not
change keep their compiled rules."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from appflags import Flags, SchemaError
from appflags.formats import Compiled, compile_document, load
from appflags.formats._incremental import REBUILD_SHARE
from appflags.formats._json_spans import Members, common_prefix, common_suffix, locate
from appflags.testing import LocalAppConfig

CONTEXTS: list[dict[str, Any]] = [{}, {"u": 1}, {"u": True}, {"u": "on"}, {"u": 1.0}]
# Equal across types in Python (True == 1 == 1.0), and strings that look like the
# document's own text: a scan that took them for structure would skip a change.
SCALARS = [True, False, 1, 1.0, 0, 0.0, -0.0, 2, 10, "1", "on", '"f1": {"enabled": true}', "},{"]
SPACES = ["", " ", "\n  ", "\t"]


class Style:
    """How one flag is written: spacing, escapes in its strings, how its numbers are
    spelt. Unchanged flags keep their style from one version to the next."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def text(self, value: Any) -> str:
        pick = random.Random(self.seed)
        return self._text(value, pick)

    def _text(self, value: Any, pick: random.Random) -> str:
        space = SPACES[pick.randrange(len(SPACES))]
        if isinstance(value, dict):
            members = [
                f"{space}{self._string(key, pick)}{space}:{space}{self._text(item, pick)}"
                for key, item in value.items()
            ]
            return "{" + ",".join(members) + space + "}"
        if isinstance(value, list):
            return "[" + ",".join(space + self._text(item, pick) for item in value) + "]"
        if isinstance(value, str):
            return self._string(value, pick)
        if isinstance(value, float) and value == int(value) and pick.random() < 0.5:
            return json.dumps(value).replace(".0", ".000") if value else "0e0"
        return json.dumps(value)

    @staticmethod
    def _string(value: str, pick: random.Random) -> str:
        if pick.random() < 0.3:  # every character as a \u escape
            return '"' + "".join(f"\\u{ord(char):04x}" for char in value) + '"'
        return json.dumps(value, ensure_ascii=pick.random() < 0.5)


def render(members: list[tuple[str, Any, Style]], around: str = "", nest: str = "") -> bytes:
    """A document of these members (``nest``: under that key), each in its style."""
    body = "{" + ",".join(f"{style.text(key)}:{style.text(value)}" for key, value, style in members)
    body += "}"
    if nest:
        body = '{"' + nest + '":' + body + "}"
    return (around + body + around).encode()


@st.composite
def versions(draw: st.DrawFn) -> tuple[str, list[list[Any]]]:
    """A format, and a document's members in three versions, each a few edits from the
    last."""
    fmt = draw(st.sampled_from(["appconfig", "flagd"]))
    scalars = st.sampled_from(SCALARS)

    def flag() -> Any:
        if fmt == "appconfig":
            return {"enabled": draw(st.booleans()), "n": draw(scalars)}
        value = draw(scalars)
        return {
            "state": "ENABLED",
            "variants": {"a": value, "b": value},
            "defaultVariant": "a",
            "targeting": {"if": [{"==": [{"var": "u"}, draw(scalars)]}, "b", "a"]},
        }

    def tweak(value: Any) -> Any:
        """``value`` with one scalar replaced, often by one written with as many characters."""
        if fmt == "appconfig":
            return {**value, "n": draw(st.sampled_from([0, 1, 2, "1", True, 1.0]))}
        variant = draw(st.sampled_from([0, 1, 2, True, False, "1", "2"]))
        return {**value, "variants": {"a": variant, "b": variant}}

    def style() -> Style:
        return Style(draw(st.integers(0, 2**16)))

    def edited(members: list[Any]) -> list[Any]:
        out = list(members)
        for _ in range(draw(st.integers(1, 3))):
            edit = draw(
                st.sampled_from(
                    ["value", "tweak", "tweak", "tweak", "style", "add", "remove", "move", "repeat"]
                )
            )
            at = draw(st.integers(0, max(len(out) - 1, 0)))
            if edit == "add" or not out:
                out.insert(at, (f"new{draw(st.integers(0, 99))}", flag(), style()))
            elif edit == "value":
                out[at] = (out[at][0], flag(), out[at][2])
            elif edit == "tweak":
                out[at] = (out[at][0], tweak(out[at][1]), out[at][2])
            elif edit == "style":  # the same flag, written otherwise
                out[at] = (out[at][0], out[at][1], style())
            elif edit == "remove":
                del out[at]
            elif edit == "move":
                out.append(out.pop(at))
            else:  # json keeps a repeated key's last value, at its first place
                out.insert(draw(st.integers(0, len(out))), (out[at][0], flag(), style()))
        return out

    chain = [[(f"f{i}", flag(), style()) for i in range(draw(st.integers(0, 90)))]]
    for _ in range(2):
        chain.append(edited(chain[-1]))
    return fmt, chain


def compiled(fmt: str, data: bytes, previous: Compiled | None = None) -> Compiled:
    """``data`` loaded as a poll loads it (parsed, validated, compiled incrementally)."""
    return load(
        data,
        "application/json",
        format=fmt,
        incremental=True,
        previous=previous.incremental if previous else None,
    )[1]


def answers(result: Compiled, keys: set[str]) -> list[Any]:
    out: list[Any] = []
    for key in sorted(keys):
        out.append((key, key in result.static, key in result.disabled, key in result.features))
        if key in result.static:
            found = result.static[key]
            out.append((found, type(found.value)))
        if key in result.rules:
            for context in CONTEXTS:
                found = result.rules[key](context)
                out.append((found, type(found.value)))
    return out


def fingerprints(data: bytes, fmt: str) -> dict[str, bytes]:
    import marshal  # noqa: PLC0415

    doc = json.loads(data)
    flags = doc["flags"] if fmt == "flagd" else doc
    return {key: marshal.dumps(value, 2) for key, value in flags.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit=versions(), around=st.sampled_from(["", " ", "\n"]))
def test_versions_read_from_text_compile_to_what_they_compile_to_whole(
    edit: tuple[str, list[list[Any]]], around: str
) -> None:
    fmt, chain = edit
    nest = "flags" if fmt == "flagd" else ""
    texts = [render(members, around, nest) for members in chain]
    try:
        wholes = [compile_document(json.loads(text), format=fmt)[1] for text in texts]
    except SchemaError:
        assume(False)
    old = compiled(fmt, texts[0])
    for before, after, whole in zip(texts, texts[1:], wholes[1:], strict=False):
        patched = compiled(fmt, after, old)
        keys = set(old.static) | set(old.rules) | set(whole.static) | set(whole.rules)
        assert answers(patched, keys) == answers(whole, keys)
        assert patched.features == whole.features
        assert patched.disabled == whole.disabled
        # Where each flag lies in the text, carried from the last version: as found anew.
        carried = patched.incremental.text
        if carried is not None and carried.members is not None:
            assert positions(carried.members) == positions(locate_all(after, nest))
        # A flag whose definition is the same (by value and type) keeps its compiled
        # answers, unless so many changed that the version was compiled whole.
        was, now = fingerprints(before, fmt), fingerprints(after, fmt)
        changed = {key for key in now if was.get(key) != now[key]} | (was.keys() - now.keys())
        if len(changed) <= len(now) * REBUILD_SHARE:
            for key in now.keys() & was.keys():
                if now[key] == was[key]:
                    assert patched.static.get(key) is old.static.get(key)
                    assert patched.rules.get(key) is old.rules.get(key)
        old = patched


def locate_all(data: bytes, nest: str) -> dict[str, Members]:
    found = locate(data.decode(), (nest,))
    assert found is not None
    return found


def positions(members: dict[str, Members]) -> dict[str, Any]:
    return {
        path: (found.open, found.close, [found.starts.at(i) for i in range(len(found.starts))])
        for path, found in members.items()
    }


def retrieval(members: dict[str, Any]) -> bytes:
    return json.dumps(members).encode()


FLAGS = {f"f{i}": {"enabled": i % 2 == 0, "n": i} for i in range(40)}


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        # One value: only that flag is compiled again.
        (retrieval(FLAGS), retrieval({**FLAGS, "f7": {"enabled": True, "n": 7}}), {"f7"}),
        # A number made longer at the end of the shared text: 1 -> 12.
        (b'{"a": {"enabled": true, "n": 1}}', b'{"a": {"enabled": true, "n": 12}}', {"a"}),
        # The same key, spelt with an escape: nothing changed.
        (b'{"a": {"enabled": true}, "b": {"enabled": false}}',
         b'{"\\u0061": {"enabled": true}, "b": {"enabled": false}}', set()),
        # Spacing only.
        (b'{"a": {"enabled": true}, "b": {"enabled": false}}',
         b'{"a":{"enabled":true},  "b": {"enabled": false}}', set()),
        (b'{"a": {"enabled": true}, "b": {"enabled": false}}',
         b'{"a": {"enabled": true},  "b": {"enabled": false}}', set()),
        # A type only: 1 -> 1.0 -> true answer differently.
        (b'{"a": {"enabled": true, "n": 1}}', b'{"a": {"enabled": true, "n": 1.0}}', {"a"}),
        # A repeated key: json keeps the last value.
        (b'{"a": {"enabled": true}, "b": {"enabled": true}}',
         b'{"a": {"enabled": true}, "b": {"enabled": true}, "a": {"enabled": false}}', {"a"}),
        # The separating comma and the next key edited together.
        (b'{"a": {"enabled": true}, "b": {"enabled": true}}',
         b'{"a": {"enabled": true},"c": {"enabled": true}}', {"b", "c"}),
        # A byte order mark, json reads past it.
        (b'{"a": {"enabled": true}}', b'\xef\xbb\xbf{"a": {"enabled": false}}', {"a"}),
    ],
)  # fmt: skip
def test_edits_at_the_edges_of_a_flag(before: bytes, after: bytes, changed: set[str]) -> None:
    # More flags, unchanged, in front: past a quarter of the flags changed, all are compiled.
    more = "".join(f'"z{i}": {{"enabled": true}}, ' for i in range(12)).encode()
    before, after = before.replace(b"{", b"{" + more, 1), after.replace(b"{", b"{" + more, 1)
    old = compiled("appconfig", before)
    patched = compiled("appconfig", after, old)
    whole = compile_document(json.loads(after.decode("utf-8-sig")), format="appconfig")[1]
    keys = set(whole.static) | set(old.static)
    assert answers(patched, keys) == answers(whole, keys)
    flags = {key.split(".")[0] for key in keys}
    kept = {key for key in flags if patched.static.get(key) is old.static.get(key)}
    assert flags - kept == changed


def test_the_text_shows_which_flags_changed() -> None:
    # The text route applies, and the next version's text is where the one after starts.
    first = compiled("appconfig", retrieval(FLAGS))
    second = compiled("appconfig", retrieval({**FLAGS, "f3": {"enabled": True, "n": 3}}), first)
    third = compiled(
        "appconfig",
        retrieval({**FLAGS, "f3": {"enabled": True, "n": 3}, "f30": {"enabled": True, "n": 0}}),
        second,
    )
    for made in (second, third):
        assert made.incremental.text is not None
        assert not made.incremental.prints  # no parsed definition was marshalled
    assert third.static["f3"] is second.static["f3"]
    assert third.static["f30.n"].value == 0
    assert third.static["f29"] is first.static["f29"]


def test_flags_polled_as_text_answer_as_each_version_does() -> None:
    flags_text = {f"flag-{i}": {"enabled": True, "n": i} for i in range(100)}
    versions: list[dict[str, Any]] = [
        flags_text,
        {**flags_text, "flag-50": {"enabled": False, "n": 50.0}},
        {key: value for key, value in flags_text.items() if key != "flag-10"},
        {"flag-new": {"enabled": True, "n": "x"}, **flags_text},
    ]
    with LocalAppConfig(poll_interval=0.1) as server:
        server.put("app", "env", "p", json.dumps(versions[0], indent=1), version_label="v0")
        with Flags.from_appconfig("app", "env", "p", client=server.client()) as flags:
            for number, doc in enumerate(versions[1:], 1):
                server.put("app", "env", "p", json.dumps(doc, indent=1), version_label=f"v{number}")
                flags.refresh()
                assert flags.version == f"v{number}"
                fresh = Flags.from_dict(doc)
                for key in [*doc, "flag-10", "flag-new", "flag-50.n", "flag-10.n"]:
                    got, want = flags.evaluate(key, None), fresh.evaluate(key, None)
                    assert (got.value, type(got.value), got.reason, got.error_code) == (
                        want.value,
                        type(want.value),
                        want.reason,
                        want.error_code,
                    )
                    assert got.version == f"v{number}"


def stored(values: dict[str, Any], *, more: int = 0) -> bytes:
    """A stored AppConfig document: a definition and a value per flag."""
    keys = [f"f{i}" for i in range(20)] + [f"m{i}" for i in range(more)]
    return json.dumps(
        {
            "version": "1",
            "flags": {key: {"name": key, "attributes": {"n": {}}} for key in keys},
            "values": {
                **{key: {"enabled": True, "n": 1} for key in keys},
                **values,
            },
        },
        indent=2,
    ).encode()


@pytest.mark.parametrize(
    ("after", "changed"),
    [
        (stored({"f4": {"enabled": True, "n": 2}}), {"f4"}),  # a value
        (stored({"f19": {"enabled": False, "n": 1}}), {"f19"}),  # the last flag's value
        (stored({}, more=1), {"m0"}),  # a flag added: its definition and its value
    ],
)
def test_a_stored_document_edited_in_its_text(after: bytes, changed: set[str]) -> None:
    old = compiled("appconfig", stored({}))
    patched = compiled("appconfig", after, old)
    whole = compile_document(json.loads(after), format="appconfig")[1]
    keys = set(whole.static) | set(old.static)
    assert answers(patched, keys) == answers(whole, keys)
    kept = {key for key in (f"f{i}" for i in range(20)) if patched.static[key] is old.static[key]}
    assert kept == {f"f{i}" for i in range(20)} - changed


@settings(max_examples=200, deadline=None)
@given(
    head=st.integers(0, 70_000),
    tail=st.integers(0, 70_000),
    old=st.text(max_size=3),
    new=st.text(max_size=3),
)
def test_the_shared_prefix_and_suffix_of_two_long_texts(
    head: int, tail: int, old: str, new: str
) -> None:
    # Long enough for the slices compared to grow: past 4,096 and 32,768 characters.
    start, end = "ab" * (head // 2) + "é" * (head % 2), "xyz" * (tail // 3)
    before, after = start + old + end, start + new + end
    prefix = common_prefix(before, after)
    assert before[:prefix] == after[:prefix]
    assert prefix == min(len(before), len(after)) or before[prefix] != after[prefix]
    limit = min(len(before), len(after)) - prefix
    suffix = common_suffix(before, after, limit)
    assert suffix <= limit
    assert before[len(before) - suffix :] == after[len(after) - suffix :]
    assert suffix == limit or before[-suffix - 1] != after[-suffix - 1]


def test_a_first_load_locates_nothing_and_its_first_update_locates_it_once() -> None:
    # A cold start pays for no update that may never come: the first version keeps its
    # text unlocated, and the first update locates it, then carries the positions on.
    doc = {f"f{i}": {"enabled": i % 2 == 0, "n": i} for i in range(50)}
    first = json.dumps(doc).encode()
    loaded = compiled("appconfig", first)
    assert loaded.incremental is not None
    assert loaded.incremental.text is not None
    assert loaded.incremental.text.members is None
    second = json.dumps({**doc, "f7": {"enabled": True, "n": -7}}).encode()
    updated = compiled("appconfig", second, loaded)
    assert updated.incremental is not None
    assert updated.incremental.base is loaded.incremental.compiled  # patched, not whole
    assert updated.incremental.touched == {"f7", "f7.n"}
    carried = updated.incremental.text
    assert carried is not None
    assert carried.members is not None
    assert positions(carried.members) == positions(locate_all(second, ""))
