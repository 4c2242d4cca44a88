"""AppConfig's variant rule language, through the public API: every operator with AWS's
documented examples, every operand form, the semantic choices of docs/rules.md, and
syntax errors reported with their column."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appflags import Flags, Reason, SchemaError
from appflags.rules import RuleSyntaxError, compile_rule, parse_rule


def flags_with(rule: str, flag: str = "feature") -> Flags:
    """A stored document whose flag has one variant with ``rule`` and a default."""
    return Flags.from_dict(
        {
            "version": "1",
            "flags": {flag: {"name": flag}},
            "values": {
                flag: {
                    "_variants": [
                        {"name": "matched", "enabled": True, "rule": rule},
                        {"name": "default", "enabled": False},
                    ]
                }
            },
        }
    )


def matches(rule: str, context: dict[str, Any] | None = None) -> bool:
    """Whether ``rule`` selects its variant for ``context``."""
    return flags_with(rule).get_str("feature._variant", "", context) == "matched"


def outcome(rule: str, context: dict[str, Any]) -> bool | None:
    """True, False, or None (unknown): ``(not X)`` matches exactly when X is false."""
    if matches(rule, context):
        return True
    return False if matches(f"(not {rule})", context) else None


def rule_error(rule: str) -> str:
    """The problem message a document with ``rule`` is rejected with."""
    with pytest.raises(SchemaError) as caught:
        flags_with(rule)
    [problem] = caught.value.problems
    assert problem.path == "$.values.feature._variants[0].rule"
    return problem.message


def caret_column(message: str) -> int:
    """The 1-based column the caret line of a rendered error points at."""
    *_, source, caret = message.split("\n")
    assert caret.strip() == "^"
    assert source.startswith("    ")
    return len(caret) - 4


# ------------------------------------------------------- AWS's documented examples


@pytest.mark.parametrize(
    ("rule", "hit", "miss"),
    [
        ('(eq $state "Virginia")', {"state": "Virginia"}, {"state": "Maryland"}),
        ("(gt $age 65)", {"age": 66}, {"age": 65}),
        ("(gte $age 65)", {"age": 65}, {"age": 64}),
        ("(lt $age 65)", {"age": 64}, {"age": 65}),
        ("(lte $age 65)", {"age": 65}, {"age": 66}),
        (
            '(and (eq $state "Virginia") (gt $age 65) )',
            {"state": "Virginia", "age": 70},
            {"state": "Virginia", "age": 60},
        ),
        (
            '(or (eq $state "Virginia") (gt $age 65) )',
            {"state": "Ohio", "age": 70},
            {"state": "Ohio", "age": 60},
        ),
        ('(not (eq $state "Virginia"))', {"state": "Ohio"}, {"state": "Virginia"}),
        ('(begins_with $state "A")', {"state": "Alabama"}, {"state": "Ohio"}),
        ('(ends_with $email "amazon.com")', {"email": "a@amazon.com"}, {"email": "a@a.org"}),
        ('(contains $promoCode "WIN")', {"promoCode": "BIGWIN24"}, {"promoCode": "LOSE"}),
        ('(in $userId ["123", "456"])', {"userId": "456"}, {"userId": "789"}),
        ('(matches in::$greeting pattern::"h.*y")', {"greeting": "hey"}, {"greeting": "hi"}),
        ('(exists key::"country")', {"country": "DE"}, {"city": "Berlin"}),
        ('(split pct::100 by::$userId seed::"abc")', {"userId": "u1"}, {"user": "u1"}),
    ],
)
def test_aws_operator_examples(rule: str, hit: dict[str, Any], miss: dict[str, Any]) -> None:
    assert matches(rule, hit)
    assert not matches(rule, miss)


def test_aws_split_example_picks_about_its_percentage() -> None:
    rule = '(split pct::10 by::$userId seed::"abc")'
    picked = sum(matches(rule, {"userId": f"user-{i}"}) for i in range(2000))
    assert 140 < picked < 260  # 10% of 2000 is 200
    assert not any(matches("(split pct::0 by::$userId)", {"userId": f"u{i}"}) for i in range(50))


def test_aws_multiline_rule_example() -> None:
    rule = '(and \n    (eq $state "Virginia") \n    (gt $age 65)\n)'
    assert matches(rule, {"state": "Virginia", "age": 66})
    assert not matches(rule, {"state": "Virginia", "age": 65})


def test_aws_tiered_release_rule_from_the_agent_samples() -> None:
    rule = (
        '(or (and (eq $group "Tier1") (split by::$userId pct::1 seed::"2025.01.01")) '
        '(and (eq $group "Tier2") (split by::$userId pct::7 seed::"2025.01.01")))'
    )
    tier2 = sum(matches(rule, {"group": "Tier2", "userId": f"u{i}"}) for i in range(2000))
    tier1 = sum(matches(rule, {"group": "Tier1", "userId": f"u{i}"}) for i in range(2000))
    assert 60 < tier2 < 220  # 7% of 2000 is 140
    assert tier1 < tier2
    assert not matches(rule, {"group": "Tier3", "userId": "u1"})


# ----------------------------------------------------------------------- operands


@pytest.mark.parametrize(
    ("rule", "context"),
    [
        ('(eq $fruit "Ḽơᶉëᶆ ȋṕšᶙṁ")', {"fruit": "Ḽơᶉëᶆ ȋṕšᶙṁ"}),
        ('(eq $quote "say \\"hi\\"\\n")', {"quote": 'say "hi"\n'}),
        ('(eq $snow "\\u2603")', {"snow": "\u2603"}),
        ("(eq $n -7)", {"n": -7}),
        ("(eq $n 42)", {"n": "42"}),
        ("(gt $pi 3.14)", {"pi": 3.1416}),
        ("(lt $small 1.234e-5)", {"small": 1e-6}),
        ("(eq $flag true)", {"flag": True}),
        ("(eq $flag false)", {"flag": "false"}),
        ("(gt $when 2024-01)", {"when": "2024-01-02"}),
        ("(lt $when 2012-03-04T05:06:07-08:00)", {"when": "2012-03-04T13:06:06Z"}),
        ("(gte $when 2024T)", {"when": datetime(2024, 1, 1, tzinfo=timezone.utc)}),
        ('(in $userId ["123", "456",])', {"userId": "123"}),
        ("(in $n [1, 2.5, 3])", {"n": "2.5"}),
    ],
)
def test_operand_forms(rule: str, context: dict[str, Any]) -> None:
    assert matches(rule, context)


def test_named_arguments_in_any_order() -> None:
    forms = [
        '(split pct::30 by::$u seed::"s")',
        '(split by::$u seed::"s" pct::30)',
        '(split seed::"s" pct::30 by::$u)',
    ]
    for user in (f"user-{i}" for i in range(200)):
        answers = {matches(rule, {"u": user}) for rule in forms}
        assert len(answers) == 1
    assert matches('(matches pattern::"^h" in::$g)', {"g": "hello"})


def test_and_and_or_take_any_number_of_operands() -> None:
    every = "(and (eq $a 1) (eq $b 2) (eq $c 3))"
    assert matches(every, {"a": 1, "b": 2, "c": 3})
    assert not matches(every, {"a": 1, "b": 2, "c": 4})
    some = "(or (eq $a 1) (eq $b 2) (eq $c 3))"
    assert matches(some, {"c": 3})
    assert not matches(some, {"a": 0, "b": 0, "c": 0})


# ---------------------------------------------------------- missing context keys


@pytest.mark.parametrize(
    "rule",
    [
        '(eq $state "Virginia")',
        "(gt $age 65)",
        '(begins_with $state "A")',
        '(in $state ["A"])',
        '(matches in::$state pattern::".*")',
        "(split pct::100 by::$state)",
        "(eq $state $other)",
    ],
)
def test_a_missing_key_never_matches_not_even_under_not(rule: str) -> None:
    assert outcome(rule, {}) is None
    assert outcome(rule, {"state": None}) is None
    assert not matches(f"(not {rule})", {})


def test_unknown_follows_three_valued_logic() -> None:
    assert outcome('(or (eq $a "x") (eq $b "y"))', {"b": "y"}) is True
    assert outcome('(or (eq $a "x") (eq $b "y"))', {"b": "n"}) is None
    assert outcome('(and (eq $a "x") (eq $b "y"))', {"b": "n"}) is False
    assert outcome('(and (eq $a "x") (eq $b "y"))', {"b": "y"}) is None


def test_exists_is_the_way_to_treat_a_missing_key_as_not_equal() -> None:
    rule = '(or (not (exists key::"state")) (not (eq $state "Virginia")))'
    assert matches(rule, {})
    assert matches(rule, {"state": "Ohio"})
    assert not matches(rule, {"state": "Virginia"})
    assert not matches('(exists key::"state")', {"state": None})
    assert matches('(exists key::"state")', {"state": ""})


# -------------------------------------------------------------------- type rules


@pytest.mark.parametrize(
    ("rule", "context", "expected"),
    [
        # A number constant: numeric text converts, as Agent headers are text.
        ("(gt $age 65)", {"age": "70"}, True),
        ("(gt $age 65)", {"age": "9"}, False),
        ("(eq $age 65)", {"age": "65.0"}, True),
        ("(gt $age 65)", {"age": "seventy"}, None),
        ("(gt $age 65)", {"age": True}, None),
        ("(gt $age 65)", {"age": [70]}, None),
        # A string constant: numbers and booleans compare as their text.
        ('(eq $id "123")', {"id": 123}, True),
        ('(eq $on "true")', {"on": True}, True),
        ('(eq $id "123")', {"id": {"n": 123}}, None),
        ('(gt $name "M")', {"name": "Z"}, True),
        # A boolean constant: booleans or the text true/false.
        ("(eq $on true)", {"on": "TRUE"}, None),
        ("(eq $on true)", {"on": 1}, None),
        # A timestamp constant: datetimes, dates, or timestamp text.
        ("(gte $t 2024-06-01)", {"t": date(2024, 6, 1)}, True),
        ("(gte $t 2024-06-01)", {"t": datetime(2024, 5, 31, 23, 59)}, False),  # noqa: DTZ001 - naive is UTC
        ("(gte $t 2024-06-01)", {"t": "2024-06-01T01:00:00+02:00"}, False),
        ("(gte $t 2024-06-01)", {"t": "not a date"}, None),
        ("(gte $t 2024-06-01)", {"t": 1717200000}, None),
        # Two context values compare by their own types.
        ("(lt $a $b)", {"a": 1, "b": 2.5}, True),
        ("(lt $a $b)", {"a": "1", "b": 2}, None),
        ("(eq $a $b)", {"a": "x", "b": "x"}, True),
    ],
)
def test_comparison_types(rule: str, context: dict[str, Any], expected: bool | None) -> None:
    assert outcome(rule, context) is expected


def test_string_operators_are_case_sensitive() -> None:
    assert not matches('(eq $state "virginia")', {"state": "Virginia"})
    assert not matches('(contains $code "win")', {"code": "BIGWIN"})
    assert matches('(matches in::$code pattern::"(?i)win")', {"code": "BIGWIN"})


def test_string_operators_take_numbers_as_text() -> None:
    assert matches('(begins_with $zip "9")', {"zip": 90210})
    assert matches('(ends_with $account "123")', {"account": 4560123})


def test_in_keeps_booleans_apart_from_numbers() -> None:
    assert not matches("(in $x [1])", {"x": True})
    assert matches("(in $x [true])", {"x": "true"})
    assert matches('(in $x ["42"])', {"x": 42})


def test_timestamps_compare_as_instants_across_offsets() -> None:
    rule = "(eq $t 2024-01-01T00:00:00Z)"
    assert matches(rule, {"t": "2024-01-01T01:00:00+01:00"})
    assert matches(rule, {"t": datetime(2023, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5)))})


# ---------------------------------------------------------------------- matches


def test_matches_searches_anywhere_unless_anchored() -> None:
    assert matches('(matches in::$g pattern::"h.*y")', {"g": "oh hey there"})
    assert not matches('(matches in::$g pattern::"^h.*y$")', {"g": "oh hey there"})
    assert matches('(matches in::$g pattern::"^h.*y$")', {"g": "happy"})


def test_matches_uses_python_regex_syntax() -> None:
    assert matches('(matches in::$id pattern::"^u-\\\\d{3}$")', {"id": "u-123"})
    assert matches('(matches in::$id pattern::"^(?P<kind>[a-z]+)-")', {"id": "abc-1"})


def test_matches_gives_up_on_overlong_input() -> None:
    rule = '(matches in::$g pattern::"a")'
    assert outcome(rule, {"g": "a" * 1024}) is True
    assert outcome(rule, {"g": "a" * 1025}) is None


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\\\1", "invalid escape sequence"),  # backreference
        ("(?=a)b", "invalid perl operator"),  # lookahead
        ("(?<!a)b", "invalid perl operator"),  # lookbehind
        ("a++", "bad repetition operator"),  # possessive
        ("a{1001}", "invalid repetition size"),
        ("(", "missing )"),
    ],
)
def test_patterns_re2_cannot_run_are_rejected_at_load(pattern: str, why: str) -> None:
    message = rule_error(f'(matches in::$g pattern::"{pattern}")')
    assert "pattern not supported by RE2" in message
    assert why in message
    assert caret_column(message) == len("(matches in::$g pattern::") + 1


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("(a|aa)*b", "a" * 1001, False),
        ("(a|aa)*b", "a" * 1000 + "b", True),
        ("(a+)+$", "a" * 1000 + "!", False),
        ("(a+)+$", "a" * 1001, True),
        ("(\\\\w*\\\\s?)*x", "ab " * 333, False),
        ("(a*)*b", "a" * 1001, False),
    ],
)
def test_a_lookup_is_bounded_whatever_the_pattern(pattern: str, value: str, expected: bool) -> None:
    # Exponential on a backtracking engine (more than 10 minutes with Python's re for
    # (a|aa)*b on 1,001 characters); linear with RE2. The thread join is a generous bound
    # that only a runaway match misses, not a benchmark.
    flags = flags_with(f'(matches in::$g pattern::"{pattern}")')
    answers: list[bool] = []
    worker = threading.Thread(
        target=lambda: answers.append(flags.is_enabled("feature", {"g": value})), daemon=True
    )
    worker.start()
    worker.join(timeout=60)
    assert answers == [expected]


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("rule", "fragment", "column"),
    [
        ("", "the rule is empty", 1),
        ('eq $a "b"', "a rule is an expression in parentheses", 1),
        ('(eqq $a "b")', "unknown operator 'eqq'", 2),
        ("()", "empty expression", 2),
        ('(eq $a "b"', "'(' is never closed", 1),
        ('(eq $a "b") (eq $c "d")', "unexpected text after the end of the rule", 13),
        ('(eq $a "b)', "unterminated string", 8),
        ('(eq $a "b" "c")', "eq takes 2 operands, got 3", 12),
        ("(eq $a)", "eq takes 2 operands, got 1", 7),
        ('(and (eq $a "b"))', "and takes at least 2 operands, got 1", 17),
        ('(not (eq $a "b") (eq $c "d"))', "not takes 1 operand, got 2", 18),
        ('(and $a (eq $b "c"))', "and combines expressions in parentheses", 6),
        ("(eq $a b)", "unexpected symbol 'b'", 8),
        ("(eq $a null)", "null is not supported", 8),
        ("(gt $a true)", "gt cannot order booleans", 8),
        ("(begins_with $a 5)", "begins_with takes a context value ($key) or a string", 17),
        ('(in $a "x")', "in needs a list", 8),
        ("(in $a [$b])", "list items must be strings, numbers or booleans", 9),
        ('(in $a ["x" "y"])', "expected ',' or ']'", 13),
        ('(in $a ["x"', "'[' is never closed", 8),
        ('(matches $a "x")', "matches takes named arguments", 10),
        ("(matches in::$a)", "matches needs 'pattern::'", 16),
        ('(matches in::$a pattern::"x" flags::"i")', "unknown argument 'flags::'", 30),
        ("(split pct::10 pct::20 by::$u)", "'pct::' is given twice", 16),
        ("(split pct::101 by::$u)", "percentage from 0 to 100", 13),
        ('(split pct::10 by::"u")', "split by:: takes a context value", 20),
        ("(split pct::10 by::$u seed::5)", "split seed:: takes a string", 29),
        ("(exists key::$country)", "exists key:: takes a string", 14),
        ('(eq $a "b" by::1)', "eq takes no named arguments", 12),
        ("(eq $ 1)", "expected a context key after '$'", 5),
        ("(eq $1 1)", "is not a context key", 5),
        ("(eq $user-id 1)", "letters, digits and underscores", 10),
        ("(eq $a 2024-13-01)", "not a number or a timestamp", 8),
        ("(eq $a 2024-01-01T10:00)", "need an offset", 8),
        ("(eq $a 99999999999999999999)", "64-bit range", 8),
        ("(eq $a 'b')", "quoted symbols are not supported", 8),
        ('(eq $a "\\q")', "unknown escape sequence", 9),
        ("(eq $a 1, 2)", "unexpected ','", 9),
        ("(eq $a #)", "unexpected character '#'", 8),
    ],
)
def test_syntax_errors_name_the_column(rule: str, fragment: str, column: int) -> None:
    message = rule_error(rule)
    assert fragment in message
    assert f"column {column}" in message
    assert caret_column(message) == column
    assert message.split("\n")[1] == f"    {rule}"


def test_errors_in_multiline_rules_name_the_line_and_show_it() -> None:
    rule = '(and\n  (eq $a "x")\n  (gt $b tru))'
    message = rule_error(rule)
    assert "at line 3, column 10" in message
    assert message.split("\n")[1:] == ["      (gt $b tru))", "             ^"]


def test_an_overlong_rule_is_rejected_by_the_schema() -> None:
    rule = "(or " + " ".join(['(eq $a "x")'] * 1500) + ")"
    assert len(rule) > 16384
    with pytest.raises(SchemaError) as caught:
        flags_with(rule)
    assert caught.value.problems[0].path == "$.values.feature._variants[0].rule"


def test_rule_syntax_error_render_is_exact() -> None:
    error = RuleSyntaxError("unknown operator 'eqq'", 1)
    assert error.render('(eqq $a "b")') == (
        "unknown operator 'eqq' at column 2\n    (eqq $a \"b\")\n     ^"
    )
    assert error.location('(eqq $a "b")') == (1, 2)


# ------------------------------------------------------------ robustness properties

_PIECES = st.sampled_from(
    [
        "(",
        ")",
        "[",
        "]",
        ",",
        " ",
        "\n",
        '"',
        "\\",
        "$",
        "::",
        "eq",
        "and",
        "not",
        "in",
        "split",
        "matches",
        "exists",
        "pct",
        "by",
        "seed",
        "key",
        "pattern",
        "$a",
        '"x"',
        "1",
        "-2",
        "3.5",
        "1e3",
        "2024-01",
        "2024-01-01T00:00Z",
        "true",
        "null",
        "[1, 2]",
        "'",
        "#",
        "é",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=20).map("".join))
def test_parsing_anything_either_works_or_raises_a_positioned_error(text: str) -> None:
    try:
        compile_rule(text, flag="f")
    except RuleSyntaxError as error:
        caught = error
    else:
        return
    assert 0 <= caught.pos <= len(text)
    line, column = caught.location(text)
    assert line >= 1
    assert column >= 1
    assert caught.render(text).count("^") >= 1


_CONTEXT_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["70", "2024-01-01", "true", "1e400", "-0", "2024-02-30"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.datetimes(),
    st.dates(),
)
_RULES = [
    '(eq $a "x")',
    "(gt $a 10)",
    "(lte $a 2.5)",
    "(eq $a true)",
    "(gte $a 2024-01-01T00:00:00Z)",
    "(lt $a $b)",
    "(eq $a $b)",
    '(begins_with $a "x")',
    "(contains $a $b)",
    '(in $a ["x", 1, true])',
    '(matches in::$a pattern::"^x")',
    '(exists key::"a")',
    "(split pct::50 by::$a)",
    '(not (and (eq $a "x") (or (gt $b 1) (exists key::"c"))))',
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_RULES),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _CONTEXT_VALUES, max_size=3),
)
def test_compiled_rules_never_raise_on_any_context(rule: str, context: dict[str, Any]) -> None:
    assert compile_rule(rule, flag="f")(context) in (True, False, None)


# ------------------------------------------------------------------------- reasons


def test_reason_is_split_when_the_match_rests_on_a_split() -> None:
    def reason(rule: str) -> Reason:
        return flags_with(rule).evaluate("feature", False, {"u": "x", "g": "a"}).reason

    assert reason("(split pct::100 by::$u)") is Reason.SPLIT
    assert reason('(and (eq $g "a") (split pct::100 by::$u))') is Reason.SPLIT
    assert reason('(or (eq $g "a") (split pct::100 by::$u))') is Reason.TARGETING_MATCH
    assert reason('(eq $g "a")') is Reason.TARGETING_MATCH


def test_parse_rule_returns_the_ast_with_positions() -> None:
    text = '(and (split pct::10 by::$userId seed::"abc") (eq $tier "gold"))'
    expr = parse_rule(text)
    assert (expr.op, expr.pos, expr.end) == ("and", 0, len(text) - 1)
    split, equals = expr.args
    assert split.op == "split"  # type: ignore[union-attr] # the parser built an Expr here
    assert sorted(split.named) == ["by", "pct", "seed"]  # type: ignore[union-attr] # same
    assert text[equals.pos :].startswith('(eq $tier "gold")')
