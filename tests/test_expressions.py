"""Amounts as expressions: the small grammar, its errors, and its use in routines."""

from __future__ import annotations

import pytest

from audioguide.compiler import compile_script
from audioguide.errors import CompileError, RoutineError
from audioguide.expressions import MAX_CHARS, MAX_DEPTH, ExpressionError, parse
from audioguide.routine import parse_routine
from audioguide.script import Pause, Say
from audioguide.settings import resolve


@pytest.mark.parametrize(
    "text,values,expected",
    [
        ("2", {}, 2),
        ("box_side", {"box_side": 4}, 4),
        ("box_side * 2", {"box_side": 4}, 8),
        ("1 + 2 * 3", {}, 7),  # * binds tighter than +
        ("(1 + 2) * 3", {}, 9),
        ("10 - 4 - 3", {}, 3),  # left to right
        ("12 / 3 / 2", {}, 2),
        ("-a + 10", {"a": 4}, 6),
        ("+a", {"a": 4}, 4),
        ("-(a - 10)", {"a": 4}, 6),
        ("(inhale + exhale) / 2", {"inhale": 4, "exhale": 8}, 6),
        (".5 * a", {"a": 3}, 1.5),
        ("2.5", {}, 2.5),
        ("  a*2  ", {"a": 1.5}, 3),
    ],
)
def test_grammar_and_precedence(text, values, expected):
    assert parse(text).evaluate(values) == pytest.approx(expected)


def test_names_are_collected_once_in_order():
    assert parse("b * 2 + a - b").names == ("b", "a")


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "is empty"),
        ("a *", "ends too early"),
        ("a * * 2", "expected a number, a setting's name or '(' at column 5, got '*'"),
        ("(a + 2", "the '(' at column 1 is not closed: reached the end"),
        ("(a + 2 3", "the '(' at column 1 is not closed: found number 3 at column 8"),
        ("a 2", "unexpected number 2 at column 3"),
        ("a)", "unexpected ')' at column 2"),
        ("a % 2", "cannot read '%' at column 3"),
        ("a ** 2", "expected a number, a setting's name or '(' at column 4"),
        ("__import__('os')", "cannot read"),
        ("a.b", "cannot read '.' at column 2"),
        ("-" * (MAX_DEPTH + 5) + "1", "nested more than"),
        ("1 + " * 100 + "1", f"an amount is at most {MAX_CHARS}"),
    ],
)
def test_errors_say_what_and_where(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        parse(text)


def test_division_by_zero_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError, match="divides by zero"):
        parse("a / (b - 2)").evaluate({"a": 1, "b": 2})


BOX = """title: Box
settings:
  box: {default: 4, min: 2, max: 8, unit: seconds, help: Seconds per side.}
  rounds: {default: 3, min: 1, max: 9, unit: count, help: Rounds.}
steps:
  - say: Go.
    then: "box * 2"
  - repeat: {count: "rounds + 1", tempo: "box / 4", style: silent}
  - hold: {seconds: "(box + 1) * 2"}
  - loop: {count: "rounds * 2", steps: [{say: "Round {n} of {count}."}]}
  - pause: "box - 1"
"""


def test_expressions_drive_every_amount_in_a_routine():
    routine = parse_routine(BOX)
    script = compile_script(routine, resolve(routine, sets=["box=6", "rounds=2"], chimes=False))
    pauses = [c.duration_ms for c in script if isinstance(c, Pause)]
    assert pauses[0] == 12_000  # then: box * 2
    assert pauses[1] == 3 * 1500  # repeat: rounds + 1 beats of box / 4, silent
    texts = [c.text for c in script if isinstance(c, Say)]
    assert texts.count("Round 4 of 4.") == 1 and "Round 5 of 4." not in texts  # loop: rounds * 2
    assert pauses[-1] == 5000  # pause: box - 1
    hold = [c for c in script if isinstance(c, Pause) and not c.flexible][1]
    assert hold.duration_ms == 14_000  # hold: (box + 1) * 2, chimes off: the whole hold is silence


def test_a_count_expression_is_rounded_to_the_nearest_whole_number():
    routine = parse_routine(
        "title: T\nsettings: {t: {default: 10, min: 1, max: 60, unit: seconds, help: T.}}\n"
        "steps:\n  - loop: {count: \"t / 4\", steps: [{say: \"{n}\"}]}\n"
    )
    texts = lambda t: [c.text for c in compile_script(routine, resolve(routine, sets=[f"t={t}"])) if isinstance(c, Say)]
    assert texts(10) == ["1", "2", "3"]  # 2.5 -> 3
    assert texts(9) == ["1", "2"]  # 2.25 -> 2


@pytest.mark.parametrize(
    "amount,message",
    [
        ('"box * * 2"', "r.yaml:6: steps[0].then: cannot read 'box * * 2': expected a number"),
        ('"bx * 2"', "r.yaml:6: steps[0].then: 'bx' in 'bx * 2' is not a setting (did you mean 'box'?)"),
        ('"mode * 2"', "'mode' in 'mode * 2' is an option, not a setting"),
        ('"box - 10"', "r.yaml:6: steps[0].then: 'box - 10' must be 0..3600 seconds, is -6 with the default settings"),
        ('"box / (box - 4)"', "'box / (box - 4)' divides by zero with the default settings"),
    ],
)
def test_bad_expressions_are_located_at_load_time(amount, message):
    text = ("title: T\noptions: {mode: {choices: [a, b]}}\n"
            "settings: {box: {default: 4, min: 1, max: 20, unit: seconds, help: S.}}\n"
            f"steps:\n  - say: Hi.\n    then: {amount}\n")
    with pytest.raises(RoutineError) as err:
        parse_routine(text, display="r.yaml")
    assert message in str(err.value)


def test_a_value_set_later_that_breaks_an_expression_names_the_place_and_the_values():
    routine = parse_routine(
        "title: T\nsettings:\n  a: {default: 5, min: 1, max: 20, unit: seconds, help: A.}\n"
        "  b: {default: 2, min: 1, max: 20, unit: seconds, help: B.}\n"
        "steps:\n  - hold: {seconds: \"a - b\"}\n",
        display="r.yaml",
    )
    with pytest.raises(CompileError) as err:
        compile_script(routine, resolve(routine, sets=["b=5"]))
    assert str(err.value) == "r.yaml:6: steps[0].hold.seconds: 'a - b' must be 1..3600 seconds, is 0 with a=5, b=5"
