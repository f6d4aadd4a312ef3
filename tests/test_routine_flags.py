"""Each session command takes the routine's own options as flags and lists them, with its settings, in --help."""

from __future__ import annotations

import json

import pytest

import audioguide as ag
from helpers import run_cli


@pytest.mark.parametrize("command", ["script", "export", "play"])
def test_help_lists_the_routines_own_options_and_settings(command):
    out = run_cli(command, "hand-massage", "--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Options of hand-massage" in text and "Settings of hand-massage" in text
    assert "--hands both|right|left" in text and "--first-hand right|left" in text
    assert "Massage both hands, or only one. (default: both)" in text
    for name in ag.load_routine("hand-massage").settings:
        assert f"\n  {name} " in text, name
    assert "lotion_wait Longest wait while you put on lotion or oil. (seconds, 5..120; default 20)" in " ".join(text.split())
    assert "--feet" not in text and "--first-foot" not in text and "--position" not in text


def test_help_without_a_routine_shows_the_default_routines_flags():
    text = run_cli("export", "--help").stdout
    assert "Options of foot-massage" in text
    for flag in ("--position chair|floor", "--first-foot right|left", "--feet both|right|left"):
        assert flag in text
    assert "tender_hold" in text


def test_a_broken_routine_still_gets_the_commands_help():
    out = run_cli("script", "no-such-routine", "--help")
    assert out.returncode == 0 and "--pace" in out.stdout and "Options of" not in out.stdout


@pytest.mark.parametrize(
    "args,options",
    [
        (["hand-massage", "--hands", "left", "--first-hand", "left"], {"hands": "left", "first_hand": "left"}),
        (["--pace", "slow", "hand-massage", "--hands=right"], {"hands": "right", "first_hand": "right"}),
        (["--first-hand", "left", "hand-massage"], {"hands": "both", "first_hand": "left"}),
        (["--feet", "left", "--first-foot", "left", "--position", "floor"],
         {"feet": "left", "first_foot": "left", "position": "floor"}),
        (["neck-shoulder-release", "--first-side", "left", "--position", "standing"],
         {"first_side": "left", "position": "standing"}),
        (["calf-cramp-stretch", "--legs", "left", "--first-leg", "left", "--position", "sitting"],
         {"legs": "left", "first_leg": "left", "position": "sitting"}),
        (["box-breathing", "--position", "lying"], {"position": "lying"}),
    ],
)
def test_the_flags_come_from_the_routine(args, options):
    out = run_cli("script", "--json", *args)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["settings"]["options"] == options


def test_a_flag_wins_over_set_and_timings(tmp_path):
    timings = tmp_path / "t.yaml"
    timings.write_text("hands: right\n")
    out = run_cli("script", "--json", "hand-massage", "--timings", str(timings), "--set", "hands=right", "--hands", "left")
    assert json.loads(out.stdout)["settings"]["options"]["hands"] == "left"


@pytest.mark.parametrize(
    "args,message",
    [
        (["hand-massage", "--feet", "left"],
         "audioguide: error: no such option: --feet for routine 'hand-massage' (its options are --hands, --first-hand)"
         " (see: audioguide script hand-massage --help)"),
        (["hand-massage", "--hands", "sideways"], "audioguide: error: --hands sideways: must be one of both, right, left"),
        (["--hands", "left"],
         "audioguide: error: no such option: --hands for routine 'foot-massage' (its options are --position, "
         "--first-foot, --feet) (see: audioguide script --help)"),
        (["box-breathing", "--position", "floor"], "--position floor: must be one of sitting, lying"),
    ],
)
def test_errors_name_the_routines_own_choices(args, message):
    out = run_cli("script", *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [out.stderr.strip()] and message in out.stderr
    if args[0] != "--hands":  # another routine's error never points to the foot flags
        assert "--first-foot" not in out.stderr and "--position chair" not in out.stderr


def test_an_option_that_clashes_with_a_commands_flag_stays_reachable_with_set(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("title: T\noptions:\n  output: {choices: [short, long]}\n  mood: {choices: [calm, brisk]}\n"
                    "steps:\n  - say: Short.\n    when: {output: short}\n  - say: Long.\n    when: {output: long}\n")
    help_text = run_cli("export", str(path), "--help").stdout
    assert "--mood calm|brisk" in help_text and "--output short|long" not in help_text
    assert "--set output=short|long" in help_text and "--output is the command's own" in " ".join(help_text.split())
    out = run_cli("script", "--json", str(path), "--set", "output=long", "--mood", "brisk")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["settings"]["options"] == {"output": "long", "mood": "brisk"}


def test_an_option_called_help_gets_no_flag_and_help_with_one_of_its_values_is_explained(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("title: T\noptions:\n  help: {choices: [yes_please, no_thanks]}\n"
                    "steps:\n  - say: More.\n    when: {help: yes_please}\n  - say: Done.\n")
    help_text = run_cli("script", str(path), "--help").stdout
    assert "--help yes_please|no_thanks" not in help_text and "--set help=yes_please|no_thanks" in help_text
    out = run_cli("script", str(path), "--help", "yes_please")
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.startswith("audioguide: error: --help yes_please: --help is the command's own flag; "
                                 "the routine's option help is set with --set help=yes_please")
    out = run_cli("script", "--json", str(path), "--set", "help=no_thanks")
    assert out.returncode == 0 and json.loads(out.stdout)["settings"]["options"] == {"help": "no_thanks"}
