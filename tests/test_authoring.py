"""Authoring features: sides for any body, loop-round conditions, the self-paced step, YAML hints."""

from __future__ import annotations

import json

import pytest

from audioguide.compiler import compile_script
from audioguide.errors import RoutineError
from audioguide.routine import load_routine, parse_routine
from audioguide.script import Pause, Say, Script
from audioguide.settings import resolve
from audioguide.sides import Sides


def spoken(script: Script) -> list[str]:
    return [c.text for c in script if isinstance(c, Say)]


HANDS = """title: Hands
options:
  hands: {choices: [both, right, left], default: both}
  first_hand: {choices: [right, left], default: right}
sides: {names: [right, left], which: hands, first: first_hand}
steps:
  - per_side:
      first: [{say: "Start with your {side} hand."}]
      switch: [{say: "Rest your {previous_side} hand. Now the {side} hand."}]
      steps: [{say: "{Side} hand, held by your {other_side} hand."}]
"""


@pytest.mark.parametrize(
    "options,expected",
    [
        ({}, ["Start with your right hand.", "Right hand, held by your left hand.",
              "Rest your right hand. Now the left hand.", "Left hand, held by your right hand."]),
        ({"first_hand": "left"}, ["Start with your left hand.", "Left hand, held by your right hand.",
                                  "Rest your left hand. Now the right hand.", "Right hand, held by your left hand."]),
        ({"hands": "left"}, ["Start with your left hand.", "Left hand, held by your right hand."]),
        ({"hands": "right", "first_hand": "left"}, ["Start with your right hand.", "Right hand, held by your left hand."]),
    ],
)
def test_sides_named_by_the_routine_pick_and_order_the_sides(options, expected):
    routine = parse_routine(HANDS)
    assert routine.sides == Sides(("right", "left"), "hands", "first_hand")
    assert spoken(compile_script(routine, resolve(routine, options=options))) == expected


def test_any_side_names_and_more_than_two_sides():
    routine = parse_routine(
        "title: Back\noptions:\n  part: {choices: [all, upper, middle, lower]}\n  start: {choices: [upper, middle, lower]}\n"
        "sides: {names: [upper, middle, lower], which: part, first: start}\n"
        "steps:\n  - per_side:\n      steps: [{say: \"{Side} back, then the {other_side}.\"}]\n"
        "      switch: [{say: \"From {previous_side} to {side}.\"}]\n"
    )
    assert spoken(compile_script(routine, resolve(routine))) == [
        "Upper back, then the middle.", "From upper to middle.", "Middle back, then the lower.",
        "From middle to lower.", "Lower back, then the upper.",
    ]
    # the first side leads, the others keep their declared order
    assert spoken(compile_script(routine, resolve(routine, options={"start": "middle"})))[::2] == [
        "Middle back, then the upper.", "Upper back, then the lower.", "Lower back, then the middle.",
    ]
    # one side only: {other_side} is still a real side (the next name)
    assert spoken(compile_script(routine, resolve(routine, options={"part": "lower"}))) == ["Lower back, then the upper."]


def test_sides_without_which_or_first_go_through_every_side_in_order():
    routine = parse_routine("title: T\nsides: {names: [front, back]}\nsteps:\n  - per_side: {steps: [{say: \"{Side}.\"}]}\n")
    assert spoken(compile_script(routine, resolve(routine))) == ["Front.", "Back."]


def test_the_foot_routine_keeps_its_sides_from_feet_and_first_foot():
    foot = load_routine("foot-massage")
    assert foot.sides == Sides(("right", "left"), "feet", "first_foot")
    texts = spoken(compile_script(foot, resolve(foot, options={"first_foot": "left", "position": "chair"})))
    assert any("lift your left foot" in t for t in texts) and any("Put your left foot down" in t for t in texts)
    assert not any("right foot" in t for t in spoken(compile_script(foot, resolve(foot, options={"feet": "left"}))))


@pytest.mark.parametrize(
    "head,message",
    [
        ("sides: {names: [right]}", "r.yaml:2: sides.names: needs names: a list of two or more sides"),
        ("sides: {names: [right, right]}", "sides.names[1]: 'right' is listed twice"),
        ("sides: {names: [Right, left]}", "sides.names[0]: must be a short lowercase name like right or upper back"),
        ("sides: {names: [right, left], whitch: hands}", "sides.whitch: unknown key (did you mean 'which'?)"),
        ("sides: {names: [right, left], which: hand}", "sides.which: must name one of the routine's options (hands, first_hand), got 'hand' (did you mean 'hands'?)"),
        ("sides: {names: [upper, lower], which: hands}", "sides.which: option 'hands' picks no side: none of its choices (both, right, left) is a side (upper, lower)"),
        ("sides: {names: [upper, lower], first: first_hand}", "options.first_hand.choices[0]: 'right' is not a side (upper, lower)"),
        ("sides: {names: [rite, left], which: hands}", "options.hands.choices[1]: 'right' is not a side (rite, left) (did you mean 'rite'?)"),
        ("sides: [right, left]", "r.yaml:2: sides: must be a mapping like {names: [right, left]"),
    ],
)
def test_bad_sides_are_located(head, message):
    text = ("title: T\n" + head + "\noptions:\n  hands: {choices: [both, right, left]}\n"
            "  first_hand: {choices: [right, left]}\nsteps: [{say: Hi.}]\n")
    with pytest.raises(RoutineError) as err:
        parse_routine(text, display="r.yaml")
    assert message in str(err.value)


def test_a_legacy_feet_option_with_other_choices_is_refused_not_spoken_as_right():
    text = ("title: T\noptions:\n  feet: {choices: [both, upper, lower]}\n  first_foot: {choices: [upper, lower]}\n"
            "steps:\n  - per_side: {steps: [{say: \"{side}\"}]}\n")
    with pytest.raises(RoutineError) as err:
        parse_routine(text, display="r.yaml")
    assert str(err.value) == (
        "r.yaml:3: options.feet: option 'feet' picks no side: none of its choices (both, upper, lower) is a side "
        "(right, left); or declare the sides with a top-level sides: {names: [...], which: ..., first: ...}"
    )


# -- loop rounds ---------------------------------------------------------------

ROUNDS = """title: T
settings: {rounds: {default: 4, min: 1, max: 20, unit: count, help: Rounds.}}
steps:
  - loop:
      count: rounds
      steps:
        - {say: "first {n}", when: {n: first}}
        - {say: "one {n}", when: {n: 1}}
        - {say: "last {n}", when: {n: last}}
        - {say: "minus one {n}", when: {n: -1}}
        - {say: "second to last {n}", when: {n: -2}}
        - {say: "halfway {n}", when: {n: halfway}}
        - {say: "ends {n}", when: {n: [1, -1]}}
"""


@pytest.mark.parametrize(
    "count,expected",
    [
        (1, ["first 1", "one 1", "last 1", "minus one 1", "ends 1"]),  # no halfway in a single round
        (2, ["first 1", "one 1", "second to last 1", "ends 1", "last 2", "minus one 2", "halfway 2", "ends 2"]),
        (3, ["first 1", "one 1", "ends 1", "second to last 2", "halfway 2", "last 3", "minus one 3", "ends 3"]),
        (4, ["first 1", "one 1", "ends 1", "halfway 3", "second to last 3", "last 4", "minus one 4", "ends 4"]),
        (5, ["first 1", "one 1", "ends 1", "halfway 3", "second to last 4", "last 5", "minus one 5", "ends 5"]),
    ],
)
def test_first_last_halfway_and_counting_from_the_end_follow_the_count(count, expected):
    routine = parse_routine(ROUNDS)
    got = spoken(compile_script(routine, resolve(routine, sets=[f"rounds={count}"])))
    assert sorted(got) == sorted(expected)
    # halfway is round count // 2 + 1 exactly, as README documents
    halves = [t for t in got if t.startswith("halfway")]
    assert halves == ([f"halfway {count // 2 + 1}"] if count >= 2 else [])


@pytest.mark.parametrize("bad", ["0", "middle", "true", "1.5", "[1, mid]"])
def test_bad_rounds_name_every_accepted_form(bad):
    text = f"title: T\nsteps:\n  - loop: {{count: 3, steps: [{{say: Hi, when: {{n: {bad}}}}}]}}\n"
    with pytest.raises(RoutineError, match=r"when.n: must be a round: 1, 2 ... from the start, -1 \(the last\), "
                                           r"-2 ... from the end, or first, last or halfway"):
        parse_routine(text)


# -- the self-paced step -------------------------------------------------------

READY = """title: T
settings: {wait: {default: 30, min: 5, max: 120, unit: seconds, help: Longest wait.}}
steps:
  - say: Put on some lotion. Take the time you need.
    ready: wait
  - say: Next.
    then: 2
  - say: And again.
    ready: "wait / 2"
"""


def test_ready_compiles_to_a_self_paced_pause_of_the_longest_wait():
    routine = parse_routine(READY)
    script = compile_script(routine, resolve(routine))
    waits = [c for c in script if isinstance(c, Pause) and c.self_paced]
    assert [w.duration_ms for w in waits] == [30_000, 15_000]
    assert all(not w.flexible for w in waits)
    first = script.cues.index(waits[0])
    assert isinstance(script.cues[first - 1], Say) and script.cues[first - 1].text.startswith("Put on some lotion")
    assert waits[0].step == script.cues[first - 1].step  # the wait belongs to its prompt's step
    # the user's own time: pace and --length leave the longest wait alone
    slow = compile_script(routine, resolve(routine, pace="slow", length="1.2"))
    assert [c.duration_ms for c in slow if isinstance(c, Pause) and c.self_paced] == [30_000, 15_000]


def test_self_paced_is_in_the_script_json_and_the_table():
    routine = parse_routine(READY)
    script = compile_script(routine, resolve(routine))
    doc = json.loads(script.dumps())
    pauses = [c for c in doc["cues"] if c["type"] == "pause"]
    assert [c["self_paced"] for c in pauses] == [True, False, True]
    assert Script.from_json(doc) == script
    assert "pause  30 s (self-paced: at most)" in script.render_table()


@pytest.mark.parametrize(
    "step,message",
    [
        ("{say: Hi, ready: 0}", "steps[0].ready: must be 1..600 seconds, got 0"),
        ("{say: Hi, ready: 5, then: 2}", "steps[0].ready: a line has either then (time to do it) or ready"),
        ("{say: Hi, ready: soon}", "steps[0].ready: unknown setting 'soon'"),
        ("{pause: 2, ready: 5}", "steps[0].ready: unknown key"),
    ],
)
def test_bad_ready_is_located(step, message):
    with pytest.raises(RoutineError) as err:
        parse_routine(f"title: T\nsteps:\n  - {step}\n", display="r.yaml")
    assert f"r.yaml:3: {message}" in str(err.value)


# -- hints for the usual YAML mistakes -----------------------------------------


@pytest.mark.parametrize(
    "step,message",
    [
        ("- hold: {seconds: 5, release: Relax, and breathe.}",
         'r.yaml:3: steps[0].hold.and breathe.: unknown key: inside {...} a comma ends the text, '
         'so put the text in quotes: release: "Relax, and breathe."'),
        ("- {say: Press, and hold., then: 3}",
         'r.yaml:3: steps[0].and hold.: unknown key: inside {...} a comma ends the text, so put the text in quotes: '
         'say: "Press, and hold."'),
        ("- chapter: {Side} hand: palm",
         "r.yaml:3: invalid YAML: expected <block end>, but found '<scalar>' (a value that starts with { is read as "
         'a mapping: put the whole text in quotes, chapter: "{Side} hand: palm")'),
        ("- say: {count}",
         "r.yaml:3: steps[0].say: must be text, got the mapping {count}: a value that starts with { is read as a "
         'mapping, so put the whole text in quotes: say: "{count}"'),
        ("- say: Note: breathe slowly.",
         "r.yaml:3: invalid YAML: mapping values are not allowed here (a colon and a space inside text start a new "
         'key: put the text in quotes, say: "Note: breathe slowly.")'),
        ('- say: "Hi" there',
         "r.yaml:3: invalid YAML: expected <block end>, but found '<scalar>' (text that starts with a quote must end "
         'with it: quote the whole text, say: "\\"Hi\\" there")'),
        ("- {say: Note: breathe, then: 3}",
         "r.yaml:3: invalid YAML: expected ',' or '}', but got ':' (inside {...} or [...] a comma, a colon or a brace "
         "ends the text: put such text in quotes"),
        ("\t- say: Hi.",
         "r.yaml:3: invalid YAML: found character '\\t' that cannot start any token (a tab: YAML indents with spaces "
         "only; replace the tab with spaces)"),
    ],
)
def test_common_yaml_mistakes_keep_their_line_and_say_what_to_do(step, message):
    text = f"title: T\nsteps:\n  {step}\n" if not step.startswith("\t") else f"title: T\nsteps:\n{step}\n"
    with pytest.raises(RoutineError) as err:
        parse_routine(text, display="r.yaml")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_the_suggested_fixes_load():
    fixed = [
        '- hold: {seconds: 5, release: "Relax, and breathe."}',
        '- {say: "Press, and hold.", then: 3}',
        '- chapter: "{gap} hand: palm"',
        '- say: "Note: breathe slowly."',
        '- say: "\\"Hi\\" there"',
    ]
    for step in fixed:
        parse_routine(f"title: T\nsettings: {{gap: {{default: 2, unit: seconds}}}}\nsteps:\n  {step}\n")


def test_an_indentation_mistake_gets_no_misleading_hint():
    with pytest.raises(RoutineError) as err:
        parse_routine("title: T\nsteps:\n  - say: hi\n      then: 3\n", display="r.yaml")
    assert str(err.value) == "r.yaml:4: invalid YAML: mapping values are not allowed here"


@pytest.mark.parametrize("written, spoken_as", [
    ("1:30", "One minute thirty seconds."),  # YAML 1.1 reads a base-60 number, 90: it was "Ninety."
    ("Yes", "Yes."),                          # YAML 1.1 reads true: it was "must be text, got true/false"
    ("1.10", "One point one zero."),          # a float, 1.1
    ("007", "Seven."),                        # an octal 7: it was "7"
])
def test_unquoted_text_that_yaml_reads_as_a_number_is_the_text_as_written(written, spoken_as):
    routine = parse_routine(f"title: {written}\nsteps:\n  - chapter: {written}\n  - say: {written}\n"
                            f"  - for_each: {{as: x, items: [{written}], steps: [{{say: 'Item {{x}}.'}}]}}\n")
    assert routine.title == routine.steps[0].title == routine.steps[1].text == written
    said = [c for c in compile_script(routine, resolve(routine)).cues if isinstance(c, Say)]
    assert said[0].spoken == spoken_as and said[1].text == f"Item {written}."
    with pytest.raises(RoutineError, match=r"r.yaml:3: steps\[0\].say: must be text, got nothing"):
        parse_routine("title: T\nsteps:\n  - say: ~\n", "r.yaml")  # an empty value is still a mistake


WARM = """title: T
options:
  warm: {choices: [yes, no], default: yes, help: Warm up first.}
steps:
  - say: Warm up.
    when: {warm: yes}
  - say: Stay cool.
    when: {warm: [no]}
"""


def test_unquoted_yes_and_no_are_choices_as_typed_in_a_routine_and_a_timings_file(tmp_path):
    """YAML 1.1 reads yes/no as true/false: it was 'choices[0]: must be a lowercase name ..., got True'."""
    routine = parse_routine(WARM)
    assert routine.options["warm"].choices == ("yes", "no") and routine.options["warm"].default == "yes"
    assert spoken(compile_script(routine, resolve(routine)).cues) == ["Warm up."]
    timings = tmp_path / "t.yaml"
    timings.write_text("warm: no\n")  # it was "must be one of yes, no, got False"
    assert spoken(compile_script(routine, resolve(routine, timings=timings)).cues) == ["Stay cool."]
    assert resolve(routine, sets=["warm=no"]).options["warm"] == "no"
    with pytest.raises(RoutineError, match=r"r.yaml:3: options.warm.default: must be one of yes, no, got 'maybe'"):
        parse_routine(WARM.replace("default: yes", "default: maybe"), "r.yaml")
