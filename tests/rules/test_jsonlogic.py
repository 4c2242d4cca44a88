"""JsonLogic compiled to closures: the answers of json-logic-js, the reference implementation.

Most expectations come from json-logic-js's own test suite (``tests/tests.json``) or follow
from its operations (``logic.js``) and JavaScript's coercion rules.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appflags.rules._jsonlogic import Abort, Misuse, RuleError, compile_logic
from appflags.rules._jsonlogic._values import js_string, number_string

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def run(rule: Any, data: Any = None, *, flag_key: str = "flag", evaluators: Any = None) -> Any:
    node = compile_logic(
        rule, flag_key=flag_key, evaluators=evaluators or {}, clock=lambda: NOW, path=("rule",)
    )
    return node.fn({} if data is None else data)


REFERENCE: list[tuple[Any, Any, Any]] = [
    # json-logic-js tests/tests.json: "Too few args", if/then/else, truthiness
    ({"if": []}, None, None),
    ({"if": [True]}, None, True),
    ({"if": [False]}, None, False),
    ({"if": ["apple"]}, None, "apple"),
    ({"if": [True, "apple"]}, None, "apple"),
    ({"if": [False, "apple"]}, None, None),
    ({"if": [False, "apple", "banana"]}, None, "banana"),
    ({"if": [[], "apple", "banana"]}, None, "banana"),
    ({"if": [[1], "apple", "banana"]}, None, "apple"),
    ({"if": ["", "apple", "banana"]}, None, "banana"),
    ({"if": ["0", "apple", "banana"]}, None, "apple"),
    ({"===": [0, "0"]}, None, False),
    ({"===": [0, {"+": "0"}]}, None, True),
    ({"if": [{"+": "0"}, "apple", "banana"]}, None, "banana"),
    ({"if": [0, "apple", "banana"]}, None, "banana"),
    ({"if": [-1, "apple", "banana"]}, None, "apple"),
    ({"if": [{">": [2, 1]}, "apple", "banana"]}, None, "apple"),
    ({"if": [True, {"cat": ["ap", "ple"]}, {"cat": ["ba", "na", "na"]}]}, None, "apple"),
    ({"if": [False, "apple", False, "banana"]}, None, None),
    ({"if": [False, "apple", False, "banana", "carrot"]}, None, "carrot"),
    ({"if": [False, "apple", True, "banana", True, "carrot", "date"]}, None, "banana"),
    # missing / merge
    ({"missing": []}, None, []),
    ({"missing": ["a"]}, None, ["a"]),
    ({"missing": "a"}, {"a": "apple"}, []),
    ({"missing": ["a", "b"]}, {"b": "banana"}, ["a"]),
    ({"missing": ["a.b", "a.c"]}, {"a": {"b": "apple brownie"}}, ["a.c"]),
    ({"if": [{"missing": "a"}, "missed it", "found it"]}, {"b": "banana"}, "missed it"),
    ({"merge": []}, None, []),
    ({"merge": [[1], [2, 3]]}, None, [1, 2, 3]),
    ({"merge": 1}, None, [1]),
    ({"merge": [1, [2]]}, None, [1, 2]),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
        {"financing": True},
        ["vin", "apr"],
    ),
    ({"missing_some": [1, ["a", "b", "c"]]}, {"a": "apple"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple"}, ["b", "c"]),
    # var
    ({"var": "a"}, {"a": 1}, 1),
    ({"var": ["a", 9]}, {}, 9),
    ({"var": ["a", 9]}, {"a": None}, None),  # present null is null, not the default
    ({"var": "a.b"}, {"a": {"b": "c"}}, "c"),
    ({"var": "a.b"}, {"a": None}, None),
    ({"var": "list.1"}, {"list": ["x", "y"]}, "y"),
    ({"var": 1}, {"1": "one"}, "one"),
    ({"var": ""}, {"a": 1}, {"a": 1}),
    # equality: JavaScript == and ===
    ({"==": [1, "1"]}, None, True),
    ({"==": [0, False]}, None, True),
    ({"==": ["", 0]}, None, True),
    ({"==": [None, None]}, None, True),
    ({"==": [None, 0]}, None, False),
    ({"==": ["abc", "abc"]}, None, True),
    ({"==": [[1], 1]}, None, True),
    ({"==": [{"var": "x"}, "1"]}, {"x": 1}, True),
    ({"===": [1, 1.0]}, None, True),
    ({"===": [True, 1]}, None, False),
    ({"!=": [1, "2"]}, None, True),
    ({"!==": [1, "1"]}, None, True),
    # comparisons: strings as strings, otherwise numbers
    ({"<": ["10", "9"]}, None, True),
    ({"<": ["10", 9]}, None, False),
    ({"<": [1, 2, 3]}, None, True),
    ({"<": [1, 1, 3]}, None, False),
    ({"<=": [1, 1, 3]}, None, True),
    ({">": ["b", "a"]}, None, True),
    ({">=": [None, 0]}, None, True),
    ({"<": ["x", 1]}, None, False),  # NaN compares false
    ({">": [{"var": "age"}, 10]}, {"age": "65"}, True),
    # arithmetic: parseFloat for + and *, ToNumber for - / %
    ({"+": [1, 2, 3]}, None, 6),
    ({"+": ["1.5", 1]}, None, 2.5),
    ({"+": ["3 apples", 1]}, None, 4),
    ({"*": [2, "3"]}, None, 6),
    ({"*": ["3"]}, None, "3"),  # reduce without a seed returns a single argument as is
    ({"-": [5]}, None, -5),
    ({"-": ["5", 2]}, None, 3),
    ({"/": [5, 2]}, None, 2.5),
    ({"%": [7, 3]}, None, 1),
    ({"%": [-7, 3]}, None, -1),  # JavaScript keeps the dividend's sign
    ({"min": [3, 1, 2]}, None, 1),
    ({"max": [3, "4", 2]}, None, 4),
    # strings
    ({"cat": ["a", 1, True, None, [1, 2]]}, None, "a1true1,2"),
    ({"cat": [1.5, 2.0]}, None, "1.52"),
    ({"substr": ["jsonlogic", 4]}, None, "logic"),
    ({"substr": ["jsonlogic", -5]}, None, "logic"),
    ({"substr": ["jsonlogic", 0, 1]}, None, "j"),
    ({"substr": ["jsonlogic", -5, 2]}, None, "lo"),
    ({"substr": ["jsonlogic", 1, -5]}, None, "son"),
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"in": ["i", ""]}, None, False),
    ({"in": ["b", ["a", "b"]]}, None, True),
    ({"in": [1, ["1", 2]]}, None, False),  # strict equality inside lists
    ({"in": [{"var": "x"}, ["a", "b"]]}, {"x": "b"}, True),
    ({"in": [{"var": "x"}, ["a", "b"]]}, {"x": 1}, False),
    ({"in": [{"var": "x"}, "@example.com"]}, {"x": "@example"}, True),
    # logic
    ({"and": [True, "a", 3]}, None, 3),
    ({"and": [True, "", 3]}, None, ""),
    ({"or": [False, 0, "a"]}, None, "a"),
    ({"or": [False, 0]}, None, 0),
    ({"!": [[]]}, None, True),
    ({"!!": ["0"]}, None, True),
    ({"!!": {"var": "x"}}, {"x": {}}, True),  # objects are truthy
    # arrays
    ({"map": [{"var": "n"}, {"*": [{"var": ""}, 2]}]}, {"n": [1, 2]}, [2, 4]),
    ({"filter": [{"var": "n"}, {">": [{"var": ""}, 1]}]}, {"n": [1, 2, 3]}, [2, 3]),
    (
        {"reduce": [{"var": "n"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 10]},
        {"n": [1, 2]},
        13,
    ),
    ({"all": [{"var": "n"}, {">": [{"var": ""}, 0]}]}, {"n": [1, 2]}, True),
    ({"all": [[], {">": [{"var": ""}, 0]}]}, None, False),
    ({"none": [{"var": "n"}, {">": [{"var": ""}, 5]}]}, {"n": [1, 2]}, True),
    ({"some": [{"var": "n"}, {"==": [{"var": "a"}, 2]}]}, {"n": [{"a": 1}, {"a": 2}]}, True),
    ({"map": [{"var": "missing"}, {"var": ""}]}, {}, []),
]


@pytest.mark.parametrize(("rule", "data", "expected"), REFERENCE)
def test_answers_what_json_logic_js_answers(rule: Any, data: Any, expected: Any) -> None:
    result = run(rule, data)
    assert result == expected
    assert type(result) is type(expected) or {type(result), type(expected)} <= {int, float}


def test_nan_and_infinity_follow_javascript() -> None:
    assert math.isnan(run({"+": ["apples", 1]}))
    assert math.isnan(run({"%": [1, 0]}))
    assert run({"/": [1, 0]}) == math.inf
    assert run({"/": [-1, 0]}) == -math.inf
    assert run({"cat": [{"/": [1, 0]}]}) == "Infinity"


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (-2.5e-8, "-2.5e-8"),
        (0.000123, "0.000123"),
        (-0.0, "0"),
    ],
)
def test_numbers_print_as_javascript_prints_them(number: float, text: str) -> None:
    assert number_string(number) == text
    assert js_string(number) == text


def test_flagd_properties_come_from_the_flag_and_the_clock() -> None:
    assert run({"var": "$flagd.flagKey"}, flag_key="new-ui") == "new-ui"
    assert run({"var": "$flagd.timestamp"}) == int(NOW.timestamp())
    # flagd's own properties win over a $flagd object in the context, as in flagd.
    spoofed = {"$flagd": {"flagKey": "other", "timestamp": 1}}
    assert run({"var": "$flagd.flagKey"}, spoofed, flag_key="new-ui") == "new-ui"
    assert run({"var": "$flagd"}, flag_key="f") == {
        "flagKey": "f",
        "timestamp": int(NOW.timestamp()),
    }
    assert run({"var": ["$flagd.unknown", "d"]}) == "d"


def test_refs_expand_shared_evaluators() -> None:
    evaluators = {
        "is_admin": {"==": [{"var": "role"}, "admin"]},
        "is_privileged": {"or": [{"$ref": "is_admin"}, {"var": "staff"}]},
    }
    rule = {"if": [{"$ref": "is_privileged"}, "yes", "no"]}
    assert run(rule, {"role": "admin"}, evaluators=evaluators) == "yes"
    assert run(rule, {"staff": True}, evaluators=evaluators) == "yes"
    assert run(rule, {"role": "guest"}, evaluators=evaluators) == "no"


@pytest.mark.parametrize(
    ("rule", "evaluators", "path", "message"),
    [
        ({"nope": [1]}, {}, ("rule", "nope"), "unknown operator 'nope'"),
        ({"==": [1, 2], "!=": [1, 2]}, {}, ("rule",), "exactly one key"),
        ({"$ref": "absent"}, {}, ("rule", "$ref"), "does not define"),
        (
            {"$ref": "a"},
            {"a": {"$ref": "b"}, "b": {"$ref": "a"}},
            ("$evaluators", "b", "$ref"),
            "itself",
        ),
        ({"map": [[1]]}, {}, ("rule", "map"), "takes 2 arguments"),
    ],
)
def test_rules_that_cannot_compile_are_located(
    rule: Any, evaluators: Any, path: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(RuleError) as caught:
        compile_logic(rule, flag_key="f", evaluators=evaluators, clock=lambda: NOW, path=("rule",))
    assert caught.value.path == path
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"sem_ver": [{"var": "v"}, "=="]}, ("rule", "sem_ver"), "exactly 3 arguments"),
        ({"sem_ver": [{"var": "v"}, "==", "1.0.0"]}, ("rule", "sem_ver", 1), "operator"),
        (
            {"sem_ver": [{"var": "v"}, "=", "not.a.version"]},
            ("rule", "sem_ver", 2),
            "not a semantic version",
        ),
        ({"starts_with": [{"var": "v"}]}, ("rule", "starts_with"), "exactly 2 arguments"),
        ({"ends_with": [{"var": "v"}, 3]}, ("rule", "ends_with", 1), "must be strings"),
        ({"fractional": [["a", 0], ["b", 0]]}, ("rule", "fractional"), "weights"),
        ({"fractional": [["a", 1.5]]}, ("rule", "fractional"), "weights"),
        ({"fractional": []}, ("rule", "fractional"), "bucket"),
    ],
)
def test_flagd_operations_that_cannot_apply_compile_to_null(
    rule: Any, path: tuple[Any, ...], message: str
) -> None:
    # flagd loads them, and the operation evaluates to null (testbed @operator-errors).
    misuses: list[Misuse] = []
    node = compile_logic(
        {"or": [rule, "other"]},
        flag_key="f",
        evaluators={},
        clock=lambda: NOW,
        path=("rule",),
        misuses=misuses,
    )
    with pytest.raises(Abort):
        node.fn({"v": "1.0.0", "targetingKey": "k"})
    assert [m.path[:1] + m.path[3:] for m in misuses] == [path]
    assert message in misuses[0].message


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        (1, ["apple", "banana"], "banana"),
        ([1, "none"], ["apple"], "none"),
        (None, {"a": 1}, {"a": 1}),
        ([], {"a": 1}, {"a": 1}),
        ("0.1", [[1, 2]], 2),
    ],
)
def test_var_paths_flagds_schema_accepts(path: Any, data: Any, expected: Any) -> None:
    # A number indexes an array; null and [] read the whole data (json-logic-js).
    if isinstance(data, dict):
        assert run({"var": path}, data) == expected
    else:
        assert run({"map": [{"var": "items"}, {"var": path}]}, {"items": [data]}) == [expected]


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 6, 1, 13, 0, tzinfo=timezone.utc), "2024-06-01T13:00:00Z"),
        (datetime(2024, 6, 1, 15, 0, tzinfo=timezone(timedelta(hours=2))), "2024-06-01T13:00:00Z"),
        (datetime(2024, 6, 1, 13, 0), "2024-06-01T13:00:00Z"),  # noqa: DTZ001 - naive is UTC
        (
            datetime(2024, 6, 1, 13, 0, 0, 250000, tzinfo=timezone.utc),
            "2024-06-01T13:00:00.250000Z",
        ),
    ],
)
def test_datetimes_in_the_context_are_iso_instants(moment: datetime, text: str) -> None:
    assert run({"var": "signup"}, {"signup": moment}) == text
    assert run({"var": "user.signup"}, {"user": {"signup": moment}}) == text
    assert run({"var": ["signup", "x"]}, {"signup": moment}) == text
    later = {">": [{"var": "signup"}, "2024-06-01T12:00:00Z"]}
    assert run(later, {"signup": moment}) is True
    assert run({"===": [{"var": "signup"}, text]}, {"signup": moment}) is True


def test_nesting_and_expansion_are_bounded() -> None:
    deep: Any = {"var": "x"}
    for _ in range(150):
        deep = {"!": [deep]}
    with pytest.raises(RuleError, match="nested deeper"):
        run(deep)
    # Each evaluator doubles the previous one: 2**40 parts if expanded blindly.
    evaluators: dict[str, Any] = {"e0": {"var": "x"}}
    for level in range(1, 41):
        evaluators[f"e{level}"] = {"and": [{"$ref": f"e{level - 1}"}, {"$ref": f"e{level - 1}"}]}
    with pytest.raises(RuleError, match="more than"):
        run({"$ref": "e40"}, evaluators=evaluators)


def test_literals_are_folded_at_compile_time() -> None:
    node = compile_logic(
        {"if": [{"==": [{"+": [1, 1]}, 2]}, {"cat": ["a", "b"]}, "c"]},
        flag_key="f",
        evaluators={},
        clock=lambda: NOW,
    )
    assert node.constant
    assert node.value == "ab"


def test_flagd_operations_abort_on_values_they_cannot_use() -> None:
    with pytest.raises(Abort):
        run({"starts_with": [{"var": "n"}, "a"]}, {"n": 3})
    with pytest.raises(Abort):
        run({"sem_ver": [{"var": "v"}, ">", "1.0.0"]}, {"v": "x.y"})
    assert run({"ends_with": [{"var": "e"}, "@x.io"]}, {"e": "a@x.io"}) is True


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)

RULES = [
    {"==": [{"var": "a"}, "x"]},
    {"===": [{"var": "a"}, {"var": "b"}]},
    {"<": [{"var": "a"}, {"var": "b"}, {"var": "c"}]},
    {">=": [{"var": "a"}, 5]},
    {"in": [{"var": "a"}, {"var": "b"}]},
    {"in": [{"var": "a"}, ["x", "y"]]},
    {"+": [{"var": "a"}, {"var": "b"}]},
    {"*": [{"var": "a"}, {"var": "b"}]},
    {"-": [{"var": "a"}, {"var": "b"}]},
    {"/": [{"var": "a"}, {"var": "b"}]},
    {"%": [{"var": "a"}, {"var": "b"}]},
    {"min": [{"var": "a"}, {"var": "b"}]},
    {"cat": [{"var": "a"}, {"var": "b"}]},
    {"substr": [{"var": "a"}, {"var": "b"}, {"var": "c"}]},
    {"merge": [{"var": "a"}, {"var": "b"}]},
    {"map": [{"var": "a"}, {"var": "x"}]},
    {"reduce": [{"var": "a"}, {"+": [{"var": "current"}, 1]}, 0]},
    {"all": [{"var": "a"}, {"var": ""}]},
    {"missing": [{"var": "a"}]},
    {"var": {"var": "a"}},
    {"!": {"var": "a.b.c"}},
]


@given(a=JSON, b=JSON, c=JSON)
def test_standard_operations_never_raise_on_odd_context_values(a: Any, b: Any, c: Any) -> None:
    for rule in RULES:
        run(rule, {"a": a, "b": b, "c": c})


# --------------------------------------------- the compiler's bounds, node by node

_LITERALS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, -0.0, "a", "", "on"])
)
_OPERATORS = ["if", "and", "or", "==", "in", "+", "cat", "!", "var", "merge"]


def _rules(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """JsonLogic rules of literals, lists and operations whose arguments are a list or
    one value (``{"!": x}``)."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.builds(
                lambda op, args: {op: args},
                st.sampled_from(_OPERATORS),
                st.one_of(st.lists(inner, max_size=4), inner),
            ),
        ),
        max_leaves=12,
    )


def _first_bound(rule: Any, max_nodes: int, max_depth: int) -> tuple[Any, str] | None:
    """Where compiling ``rule`` first exceeds the bounds, walking it as the compiler
    does (each node counts once, before its parts, in document order), and the message."""
    budget = [max_nodes]

    def walk(node: Any, path: tuple[Any, ...], depth: int) -> tuple[Any, str] | None:
        if depth > max_depth:
            return path, f"rule is nested deeper than {max_depth} levels"
        budget[0] -= 1
        if budget[0] < 0:
            return path, f"rule has more than {max_nodes} parts, $ref expansions included"
        if type(node) is list:
            parts = [(item, (*path, i)) for i, item in enumerate(node)]
        elif type(node) is dict and len(node) == 1:
            ((op, raw),) = node.items()
            if type(raw) is list:
                parts = [(item, (*path, op, i)) for i, item in enumerate(raw)]
            else:
                parts = [(raw, (*path, op))]
        else:
            return None
        for part, where in parts:
            found = walk(part, where, depth + 1)
            if found is not None:
                return found
        return None

    return walk(rule, ("rule",), 0)


def _compile_within(rule: Any, max_nodes: int, max_depth: int) -> tuple[Any, str] | None:
    """Where compiling ``rule`` under lowered bounds fails, and why; None if it compiles."""
    from appflags.rules._jsonlogic import _compiler  # noqa: PLC0415 - the bounds to lower

    saved = _compiler.MAX_NODES, _compiler.MAX_DEPTH
    _compiler.MAX_NODES, _compiler.MAX_DEPTH = max_nodes, max_depth
    try:
        compile_logic(rule, flag_key="f", evaluators={}, clock=lambda: NOW, path=("rule",))
    except Misuse:
        return None
    except RuleError as error:
        return error.path, error.message
    finally:
        _compiler.MAX_NODES, _compiler.MAX_DEPTH = saved
    return None


@given(_rules(_LITERALS))
def test_node_and_depth_bounds_are_reported_where_the_walk_meets_them(rule: Any) -> None:
    """Literal arguments and lists of literals are folded without a call per item: the
    budget and depth bounds still fail at the very node, with the same message, that a
    walk of every node meets first: every budget up to the rule's size, every depth up to
    its own."""
    nodes = depth = 0
    while _first_bound(rule, nodes, 10_000) is not None:
        nodes += 1
    while _first_bound(rule, 10_000, depth) is not None:
        depth += 1
    for max_nodes in range(nodes + 1):
        expected = _first_bound(rule, max_nodes, 10_000)
        assert _compile_within(rule, max_nodes, 10_000) == expected
    for max_depth in range(depth + 1):
        expected = _first_bound(rule, 10_000, max_depth)
        assert _compile_within(rule, 10_000, max_depth) == expected
