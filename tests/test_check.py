"""audioguide check: time to act after movements, and text that may be read literally, with file and line."""

from __future__ import annotations

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
])
def test_which_lines_ask_for_a_movement(line, needed):
    assert time_needed_ms(line) == needed
    assert asks_to_move(line) == bool(needed)
