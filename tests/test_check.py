"""audioguide check: time to act, text read literally, text a comment cut short; each with file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audioguide.check import MIN_ACT_MS, asks_to_move, check_routine, time_needed_ms

from helpers import run_cli

ROUTINE = """\
title: Lint me
settings:
  gap: {default: 3, min: 0, max: 10, unit: seconds, help: Gap.}
steps:
  - say: Welcome. This is a short session.
  - say: Sit down on a chair.
  - say: Now lift your foot.
    then: 1
  - say: Press into the arch, and hold.
  - hold: {seconds: 5, style: countdown}
  - say: Breathe in.
  - repeat: {count: 4, tempo: 1, style: count}
  - say: Squeeze your toes.
    then: gap
  - say: "Turn to § 3 of the card."
    then: 2
  - say: Good.
"""


@pytest.fixture
def lint_me(tmp_path):
    path = tmp_path / "lint.yaml"
    path.write_text(ROUTINE)
    return path


def test_warnings_name_file_line_step_and_the_time_needed(lint_me):
    found = [str(f) for f in check_routine(str(lint_me))]
    assert found == [
        f'{lint_me}:6: steps[1]: "Sit down on a chair." asks for a movement and is followed by 0 s before the '
        "next line; give it at least 5 s (then: 5)",
        f'{lint_me}:7: steps[2]: "Now lift your foot." asks for a movement and is followed by 1 s before the '
        "next line; give it at least 2 s (then: 2)",
        f'{lint_me}:15: steps[8].say: "Turn to § 3 of the card.": the symbol \'§\' is not spoken '
        '(spoken: "Turn to three of the card.")',
    ]  # the hold, the counts and the 3 s gap are time enough; "Welcome" and "Good" ask for nothing


def test_the_cli_exits_0_with_warnings_and_2_on_errors(lint_me, tmp_path):
    run = run_cli("check", str(lint_me))
    assert run.returncode == 0 and run.stdout.count("\n") == 4 and run.stdout.endswith("\n3 warnings\n")
    bundled = run_cli("check", "foot-massage")
    assert (bundled.returncode, bundled.stdout, bundled.stderr) == (0, "no warnings\n", "")
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: T\nsteps:\n  - hold: {seconds: 5, from: 0}\n")
    run = run_cli("check", str(broken))
    assert run.returncode == 2 and run.stderr.startswith(f"audioguide: error: {broken}:3: steps[0].hold.from: must be")


def test_the_bundled_foot_routine_gives_time_after_every_movement():
    assert [f for f in check_routine("foot-massage") if "movement" in f.message] == []


@pytest.mark.parametrize("line,needed", [
    ("Sit on a chair. You'll rest one foot over your other knee.", 5000),
    ("That foot is done. Put your right foot down on the floor.", 5000),
    ("Now gently squeeze your big toe.", MIN_ACT_MS),
    ("Breathe.", MIN_ACT_MS),
    ("Good. That covers the whole sole.", 0),
    ("Your big toe.", 0),
    ("Change sides.", 5000),  # the README's "Time to act": changing sides or position, standing up: 5 s
    ("Change position.", 5000),
    ("Get up.", 5000),
    ("Now change sides, and lie down on your back.", 5000),
    ("When you are ready, lift your foot.", MIN_ACT_MS),  # a movement after a comma counts too
    ("Get ready.", 0),
])
def test_which_lines_ask_for_a_movement(line, needed):
    assert time_needed_ms(line) == needed
    assert asks_to_move(line) == bool(needed)


def test_settling_movements_followed_by_a_short_line_are_found(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nsteps:\n  - say: Change sides.\n  - say: Good.\n  - say: Get up.\n  - say: Good.\n"
                    "  - say: Now change sides, and lie down on your back.\n    then: 3\n  - say: Good.\n")
    found = [str(f) for f in check_routine(str(path))]
    assert [f.split(": ", 1)[0] for f in found] == [f"{path}:3", f"{path}:5", f"{path}:7"]
    assert all("give it at least 5 s" in f for f in found)


def test_text_is_checked_as_it_is_said_with_placeholders_filled_in(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nsides: {names: [right, left]}\nsteps:\n  - loop:\n"
                    "      count: 3\n      steps:\n        - say: Round {n} of {count}. Breathe in.\n"
                    "          then: 4\n  - per_side:\n      steps:\n        - say: Now the {side} foot § here.\n"
                    "          then: 3\n")
    found = [str(f) for f in check_routine(str(path))]
    assert found == [f'{path}:11: steps[1].per_side.steps[0].say: "Now the left foot § here.": the symbol \'§\' '
                     'is not spoken (spoken: "Now the left foot here.")']  # no "the letter 'n'" for {n}


CUT = """\
title: Squeeze   # the title, and a comment the author meant
steps:
  - chapter: Sets                   # a chapter boundary
  - say: Sit down. # no warning: the sentence ended
    then: 5
  - say: Now do set #2 of the squeeze, with 3 reps.
    then: 3
  - say: "Now do set #3 of the squeeze."
    then: 3
  - say: Press the # key
    then: 3
  - for_each:
      as: finger
      items:
        - thumb   # the items of a list are text too
        - finger #2
      steps: [{say: "Your {finger}.", then: 2}]
"""


def test_text_a_comment_cut_in_the_middle_of_a_sentence_is_a_located_warning(tmp_path):
    path = tmp_path / "cut.yaml"
    path.write_text(CUT)
    found = [str(f) for f in check_routine(str(path))]
    assert found == [
        f'{path}:6: steps[2].say: "Now do set" stops at "#2 of the squeeze, with 3 reps.": YAML reads " #" as the '
        'start of a comment and leaves the rest out; put the whole text in quotes: '
        'say: "Now do set #2 of the squeeze, with 3 reps."',
        f'{path}:10: steps[4].say: "Press the" stops at "# key": YAML reads " #" as the start of a comment and '
        'leaves the rest out; put the whole text in quotes: say: "Press the # key"',
        f'{path}:16: steps[5].for_each.items[1]: "finger" stops at "#2": YAML reads " #" as the start of a comment '
        'and leaves the rest out; put the whole text in quotes: "finger #2"',
    ]
    run = run_cli("check", str(path))
    assert run.returncode == 0 and run.stdout.splitlines()[0] == found[0] and run.stdout.endswith("\n3 warnings\n")


def test_the_readme_table_row_for_a_comment_is_what_check_says(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Mistakes YAML makes easy"):]
    (row,) = [line for line in table.splitlines() if line.startswith("| `- say:") and "#" in line]
    wrote, reads, write = re.findall(r"^\| `(.*?)` \| (.*?) \| `(.*?)` \|$", row)[0]
    for step, warned in ((wrote, True), (write, False)):
        path = tmp_path / "r.yaml"
        path.write_text(f"title: T\nsteps:\n  {step}\n    then: 3\n")
        found = [f.message for f in check_routine(str(path)) if "stops at" in f.message]
        assert bool(found) == warned and "audioguide check" in reads
        assert not warned or found[0].endswith(write.removeprefix("- "))


def test_check_warns_where_a_number_or_a_sign_cannot_be_said_as_meant(tmp_path):
    """The review's lines: a sign and money are said right (no warning); 1_000, 0x10, 555-1234, R&D are warned."""
    path = tmp_path / "neg.yaml"
    path.write_text("title: T\nsteps:\n  - say: Cool the water to -5 degrees.\n    then: 3\n"
                    "  - say: \"Turn -90° then +90°.\"\n    then: 3\n  - say: 1_000 steps.\n    then: 3\n"
                    "  - say: It costs $5.50 each.\n    then: 3\n"
                    "  - say: Ask R&D, or call 555-1234 about 0x10.\n    then: 3\n", encoding="utf-8")
    assert [str(f) for f in check_routine(str(path))] == [
        f"{path}:7: steps[2].say: \"1_000 steps.\": '1_000' has an underscore (write 1000) "
        '(spoken: "One thousand steps.")',
        f"{path}:11: steps[4].say: \"Ask R&D, or call 555-1234 about 0x10.\": "
        "'R&D' is read letter by letter, as \"R and D\"; '0x10' is hexadecimal (write 16); "
        "'555-1234' looks like a phone number (or a date) and is read digit by digit "
        '(spoken: "Ask R and D, or call five five five, one two th...")',
    ]
    spoken = run_cli("script", "--spoken", str(path)).stdout
    for said in ("Cool the water to minus five degrees.", "Turn minus ninety degrees then plus ninety degrees.",
                 "It costs five dollars and fifty cents each."):
        assert f'"{said}"' in spoken


def test_check_warns_of_money_and_a_unit_together(tmp_path):
    """'$5 kg' was said "five kilogram kilogram"; now the money, then the unit, with a warning."""
    path = tmp_path / "m.yaml"
    path.write_text("title: T\nsteps:\n  - say: Use a $5 kg weight, then 3 kg.\n    then: 3\n", encoding="utf-8")
    [finding] = check_routine(str(path))
    assert "money and a unit together ('a $5 kg'); say it in words" in finding.message
    assert '"Use a five dollar kilogram weight, then three kilograms."' in run_cli("script", "--spoken", str(path)).stdout


def test_check_never_suggests_writing_inf(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("title: T\nsteps:\n  - say: Do 1e400 reps, or 1e3.\n    then: 3\n", encoding="utf-8")
    [finding] = check_routine(str(path))
    assert "'1e400' has an exponent (write the number in words); '1e3' has an exponent (write 1000)" in finding.message
