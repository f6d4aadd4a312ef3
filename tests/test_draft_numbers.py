"""audioguide draft on numbers a routine cannot hold as they are: too big, zero, fractional counts, signs, exponents.

Every draft here is compiled with the real loader and compiler, at every
choice of its options; what the guide said and what the draft uses is in a
``# CHECK:`` comment.
"""

from __future__ import annotations

import itertools
import re

import pytest

from audioguide.compiler import compile_script
from audioguide.draft import draft_routine, phrases
from audioguide.draft.build import TIME_SETTINGS
from audioguide.routine import parse_routine
from audioguide.script import Say
from audioguide.settings import resolve
from helpers import run_cli


def compiled(text: str):
    """The routine and the cues of every choice of its options (compiled by the real compiler)."""
    routine = parse_routine(text, "draft.yaml")
    names = list(routine.options)
    scripts = [compile_script(routine, resolve(routine, options=dict(zip(names, values))))
               for values in itertools.product(*(routine.options[n].choices for n in names))]
    return routine, scripts


def guide(line: str) -> str:
    return f"Knee care\n\nSit on a chair.\n\n{line}\n"


@pytest.mark.parametrize("line, phrase, uses, spoken", [
    ("Massage your calf for 15 minutes.", '"15 minutes" (900 s)', 600, "Massage your calf for 15 minutes."),
    ("Apply ice for 15 minutes.", '"15 minutes" (900 s)', 600, "Apply ice for 15 minutes."),
    ("Walk for 30 minutes.", '"30 minutes" (1,800 s)', 600, "Walk for 30 minutes."),
    ("Walk for 10,000 minutes.", '"10,000 minutes" (600,000 s)', 600, "Walk for 10,000 minutes."),
    ("Hold the stretch for 900 seconds.", '"900 seconds"', 600, "Hold the stretch for 600 seconds."),
    ("Press the knee 200 times.", '"200 times"', 100, "Press the knee 100 times."),
    ("Press the knee 1000 times.", '"1000 times"', 100, "Press the knee 100 times."),
    ("Press the knee 1,000 times.", '"1,000 times"', 100, "Press the knee 100 times."),
    ("Bend your knee. Repeat 200 times.", '"200 times"', 100, "Bend your knee."),
    ("Do chin tucks 3x1000.", '"3x1000"', 100, "Do chin tucks 3 sets of 100."),
    ("Press the knee for 0.5 seconds.", '"0.5 seconds"', 1, "Press the knee for 1 seconds."),
])
def test_a_number_out_of_range_is_clamped_with_a_check(line, phrase, uses, spoken):
    drafted = draft_routine(guide(line))
    routine, scripts = compiled(drafted)
    most = "the shortest" if uses == 1 else "the longest" if "second" in phrase or "minute" in phrase else "the most"
    check = re.search(rf"  # CHECK: the guide says {re.escape(phrase)}; the draft uses {uses}( s)?, {most} it "
                      rf"drafts[^\n]*\n  (\w+): ", drafted)
    assert check, drafted
    setting = routine.settings[check.group(2)]
    assert setting.default == uses and setting.min <= uses <= setting.max
    assert 1 <= setting.min and setting.max <= (100 if setting.unit == "count" else 600)
    lines = [c.text for c in scripts[0].cues if isinstance(c, Say)]
    assert spoken in lines
    if setting.unit == "count":  # the repeat counts the draft's number aloud (in each set), not the guide's
        counts = [c.text for c in scripts[0].cues if getattr(c, "role", "") == "count"]
        assert counts[-1] == "100." and len(counts) % 100 == 0 and "101." not in counts


@pytest.mark.parametrize("line, phrase, why", [
    ("Press the knee 0 times.", "0 times", "zero"),
    ("Press the knee zero times.", "zero times", "zero"),
    ("Press the knee for 0 seconds.", "0 seconds", "zero"),
    ("Press the knee 5.5 times.", "5.5 times", "not a whole number"),
    ("Press the knee -5 times.", "-5 times", "not a plain number"),
    ("Rub the knee for 1e3 seconds.", "1e3 seconds", "not a plain number"),
    ("Rub the knee for 1,5 seconds.", "1,5 seconds", "not a plain number"),
    ("Do chin tucks 0x10.", "0x10", "zero"),
    ("Bend your knee. Repeat 0 times.", "0 times", "zero"),
])
def test_a_number_no_setting_can_hold_is_spoken_as_written_with_a_check(line, phrase, why):
    drafted = draft_routine(guide(line))
    routine, scripts = compiled(drafted)
    assert set(routine.settings) <= set(TIME_SETTINGS), "no setting, no repeat, no hold for it"
    last = line.split(". ")[-1]
    what = "count" if "times" in phrase or "x" in phrase else "hold"
    assert (f'  # CHECK: the guide says "{phrase}" ({why}): no {what} is made; the words are spoken as written\n'
            f"  - say: {last}\n") in drafted
    lines = [c.text for c in scripts[0].cues if isinstance(c, Say)]
    assert last in lines and not any("{" in s for s in lines)
    assert not [c for c in scripts[0].cues if getattr(c, "role", "") == "count"]


@pytest.mark.parametrize("sentence, phrase", [
    ("Press the knee -5 times.", "-5 times"),
    ("Press the knee +5 times.", "+5 times"),
    ("Rub the knee for 1e3 seconds.", "1e3 seconds"),
    ("Rub the knee for 1/2 minute.", "1/2 minute"),
])
def test_a_number_inside_a_larger_token_is_never_half_replaced(sentence, phrase):
    (amount,) = phrases.find_amounts(sentence)
    assert (amount.phrase, amount.replace, amount.unusable) == (phrase, None, "not a plain number")
    assert phrases.usable([amount]) == []


@pytest.mark.parametrize("sentence, unit, value, lo, hi", [
    ("Walk for 10,000 minutes.", "seconds", 600_000, 300_000, 1_800_000),
    ("Press 1,000 times.", "count", 1000, 500, 3000),
    ("Roll your shoulders 10-15 times.", "count", 10, 10, 15),  # a range is not a sign
    ("Hold for 20\u201330 seconds.", "seconds", 20, 20, 30),   # nor is an en dash
])
def test_thousands_and_ranges_are_read_whole(sentence, unit, value, lo, hi):
    (amount,) = phrases.find_amounts(sentence)
    assert (amount.unit, amount.value, amount.lo, amount.hi, amount.unusable) == (unit, value, lo, hi, "")


def test_cli_drafts_a_long_massage_with_exit_0(tmp_path):
    (tmp_path / "c.txt").write_text("Calf cramp\n\nSit down.\n\nMassage your calf for 15 minutes.\n")
    out = run_cli("draft", "c.txt", "-o", "c.yaml", cwd=tmp_path)
    assert out.returncode == 0 and "bug" not in out.stderr, out.stderr
    assert run_cli("script", str(tmp_path / "c.yaml"), "--set", "massage_calf_seconds=450").returncode == 0


@pytest.mark.parametrize("line, phrase, rounds", [
    ("Hold your foot for 10 minutes. Repeat 100 times.", "100 times", 100),  # 100 x 600 s: over ten hours
    ("Walk for 10 minutes. Repeat 70 times.", "70 times", 70),
    ("Hold the stretch, 60 x 10 min.", "60 x 10 min", 60),
    ("Press your right foot for 10 minutes. Repeat 40 times. Then do the same on the other foot.", "40 times", 40),
])
def test_a_loop_too_long_for_a_session_has_fewer_rounds_with_a_check(line, phrase, rounds):
    # each number was within its own range, but their product made a session longer than ten hours (no compile)
    drafted = draft_routine(guide(line))
    routine, scripts = compiled(drafted)
    check = re.search(rf'  # CHECK: the guide says "{re.escape(phrase)}": {rounds} rounds of about (\d+) s would take '
                      rf"over an hour; the draft uses (\d+) \(a session is at most ten hours\)\n  (\w+): ", drafted)
    assert check, drafted
    each, uses = int(check.group(1)), int(check.group(2))
    assert 600 <= each < 620 and uses == 5 and routine.settings[check.group(3)].default == 5
    assert all(s.cues[-1].end_ms < 4 * 3600_000 for s in scripts)


def test_a_loop_within_an_hour_keeps_the_guides_count():
    drafted = draft_routine(guide("Hold the stretch for 30 seconds. Repeat 100 times."))
    assert "would take over an hour" not in drafted
    assert re.search(r"\n  \w+_times: \{default: 100,", drafted), drafted


def test_a_clock_is_a_duration_and_does_not_cut_the_chapter_title():
    """'1:30' is 90 s (text.read_number's M:SS rule); '0:90' is no time: spoken as written, with a CHECK.

    It was: 'Hold for 0:{foot_seconds} seconds.' (spoken "ninety seconds seconds"), no hold for 1:30,
    and a chapter "Rub your foot for 1".
    """
    drafted = draft_routine("Foot rub\n\nRub your foot for 1:30. Hold for 0:90 seconds.\n")
    routine, scripts = compiled(drafted)
    assert "- chapter: Rub your foot for 1:30\n" in drafted
    assert routine.settings["rub_foot_seconds"].default == 90
    assert "  - say: Rub your foot for {rub_foot_seconds} seconds.\n  - hold: {seconds: rub_foot_seconds" in drafted
    assert '# CHECK: the guide says "0:90 seconds" (not a time (M:SS))' in drafted
    assert "0:{" not in drafted and "  - say: Hold for 0:90 seconds.\n" in drafted
    said = [c.spoken for c in scripts[0].cues if isinstance(c, Say)]
    assert "Rub your foot for ninety seconds." in said and "Hold for zero, ninety seconds." in said
    longer = resolve(routine, sets=["rub_foot_seconds=120"])
    assert "Rub your foot for one hundred twenty seconds." in [
        c.spoken for c in compile_script(routine, longer).cues if isinstance(c, Say)]


@pytest.mark.parametrize("line, seconds", [("Stretch your toes for about 0:45.", 45),
                                           ("Stretch your toes for 1:05 minutes.", 65),
                                           ("Stretch your toes for 2:00.", 120)])
def test_clock_durations_in_a_guide_are_seconds(line, seconds):
    amounts = phrases.usable(phrases.find_amounts(line))
    assert [(a.unit, a.value) for a in amounts] == [("seconds", seconds)]


@pytest.mark.parametrize("line", ["Wake at 7:30 and stretch.", "Stretch at 7:30 am.", "Breathe in a 1:2 ratio."])
def test_a_time_of_day_or_a_ratio_is_no_duration(line):
    assert phrases.find_amounts(line) == []
