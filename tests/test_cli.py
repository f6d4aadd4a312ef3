"""The command line through its real entry point: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from audioguide import __version__
from helpers import BIN, run_cli


def test_version_and_help():
    out = run_cli("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("script", "timings", "routines"):
        assert command in out.stdout


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "audioguide", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout


def test_script_prints_the_timed_table():
    out = run_cli("script")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Self foot massage — ")
    assert any("Right foot: ankle" in l and "chime  step" in l for l in lines)
    assert any('say    "Your big toe.' in l for l in lines)
    assert out.stderr == ""


def test_script_json_is_the_documented_document():
    out = run_cli("script", "--json", "--position", "floor", "--set", "ankle_reps=6")
    doc = json.loads(out.stdout)
    assert doc["format"] == "audioguide.script/1"
    assert doc["settings"]["options"]["position"] == "floor"
    assert doc["settings"]["values"]["ankle_reps"] == 6
    assert {c["type"] for c in doc["cues"]} == {"say", "pause", "chime", "chapter"}
    assert doc["total_ms"] == doc["cues"][-1]["start_ms"] + doc["cues"][-1]["duration_ms"]


def test_timings_round_trip_through_the_cli(tmp_path):
    out = run_cli("timings")
    path = tmp_path / "mine.yaml"
    path.write_text(out.stdout.replace("tender_hold: 10", "tender_hold: 25"))
    default = json.loads(run_cli("script", "--json").stdout)
    mine = json.loads(run_cli("script", "--json", "--timings", str(path)).stdout)
    assert mine["settings"]["values"]["tender_hold"] == 25
    # 2 spots x 2 feet x 15 s longer, besides the line that says the hold ("twenty-five" is longer than "ten")
    unsaid = lambda doc: doc["total_ms"] - sum(c["duration_ms"] for c in doc["cues"] if c["type"] == "say")  # noqa: E731
    assert unsaid(mine) == unsaid(default) + 2 * 2 * 15_000


def test_length_flag():
    doc = json.loads(run_cli("script", "--json", "--length", "20").stdout)
    assert abs(doc["total_ms"] - 20 * 60_000) <= 1000


def test_routines_lists_bundled():
    out = run_cli("routines")
    assert any(line.startswith("foot-massage ") and "Self foot massage" in line for line in out.stdout.splitlines())


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["script", "--set", "tender_hold=-4"], 2, "--set tender_hold=-4: must be 10..120 seconds, got -4"),
        (["script", "--pace", "warp"], 2, "--pace warp: must be slow, normal, fast"),
        (["script", "--length", "1"], 2, "error: --length 1: a 1-minute session cannot be made: with these settings"),
        (["script", "--set", "length=1"], 2, "error: --set length=1: a 1-minute session cannot be made"),
        (["script", "--position", "sofa"], 2, "--position sofa: must be one of chair, floor"),
        (["script", "no-such-routine"], 2, "unknown routine 'no-such-routine'"),
        (["script", "--timings", "/nonexistent/t.yaml"], 2, "/nonexistent/t.yaml: no such file"),
        (["script", "--chimes", "loud"], 2, "Invalid value for '--chimes'"),
        (["frobnicate"], 2, "No such command 'frobnicate'"),
    ],
)
def test_errors_are_one_line_with_exit_code(args, code, message):
    out = run_cli(*args)
    assert out.returncode == code
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize("args,message", [
    (["script", "--length", ""], "--length: got nothing; give MINUTES, or leave --length out"),
    (["script", "--pace="], "--pace: got nothing; give slow|normal|fast|FACTOR, or leave --pace out"),
    (["script", "--timings", ""], "--timings: got nothing; give FILE, or leave --timings out"),
    (["script", "--set", "gap=3", "--set", ""], "--set: got nothing; give KEY=VALUE, or leave --set out"),
    (["script", "--position", ""], "--position: got nothing; give chair|floor, or leave --position out"),
    (["script", "--voice", ""], "--voice: got nothing; give NAME, or leave --voice out"),
    (["script", ""], "ROUTINE: got nothing; give a routine's name (audioguide routines lists them), its file, or -"),
    (["timings", ""], "ROUTINE: got nothing; give a routine's name"),
    (["draft", ""], "GUIDE: got nothing; give the guide's file, or - for standard input"),
    (["export", "--bed", ""], "--bed: got nothing; give NAME|FILE, or leave --bed out"),
    (["play", "--sensitivity", ""], "--sensitivity: got nothing; give 0..1, or leave --sensitivity out"),
    (["serve", "--data", ""], "--data: got nothing; give DIR, or leave --data out"),
    (["serve", "--port", ""], "--port: got nothing; give PORT, or leave --port out"),
    # Blanks are nothing too (a blank --length was the natural length, a blank --timings a file named blanks).
    (["script", "--length", "  "], "--length: got nothing; give MINUTES, or leave --length out"),
    (["export", "--length", "\t"], "--length: got nothing; give MINUTES, or leave --length out"),
    (["script", "--timings", "  "], "--timings: got nothing; give FILE, or leave --timings out"),
    (["script", " "], "ROUTINE: got nothing; give a routine's name"),
    (["script", "--set", " "], "--set: got nothing; give KEY=VALUE, or leave --set out"),
    # A choice is said as the other flags say theirs, without click's brackets.
    (["script", "--chimes", ""], "--chimes: got nothing; give on|off, or leave --chimes out"),
    (["export", "--format", " "], "--format: got nothing; give mp3|m4b|ogg|wav, or leave --format out"),
])
def test_an_empty_value_is_one_line_never_a_default(args, message, tmp_path):
    out = run_cli(*args, cwd=tmp_path, timeout=30)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.startswith(f"audioguide: error: {message}") and out.stderr.count("\n") == 1, out.stderr
    assert list(tmp_path.iterdir()) == []  # serve --data '' made its folders in the current one


def test_a_length_the_session_cannot_fit_names_the_timings_file_and_line(tmp_path):
    timings = tmp_path / "t.yaml"
    timings.write_text("pace: normal\nlength: 1\n")
    out = run_cli("script", "--timings", str(timings))
    assert out.returncode == 2 and out.stderr.startswith(f"audioguide: error: {timings}:2: length: a 1-minute session")


def test_bad_routine_file_names_file_and_place(tmp_path):
    path = tmp_path / "foot.yaml"
    path.write_text("title: Mine\nsteps:\n  - say: Hold it.\n  - say: Press.\n  - say: Breathe.\n  - hold: {seconds: -4}\n")
    out = run_cli("script", str(path), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"audioguide: error: {path}:6: steps[3].hold.seconds: must be 1..600 seconds, got -4"
    ]


STDIN_ROUTINE = "title: From stdin\nsteps:\n  - say: Sit down.\n  - say: Good.\n"


def test_a_routine_on_stdin_is_read_by_script_check_and_timings():
    script = run_cli("script", "-", "--json", input=STDIN_ROUTINE)
    assert script.returncode == 0, script.stderr
    doc = json.loads(script.stdout)
    assert (doc["routine"], doc["title"]) == ("stdin", "From stdin")
    check = run_cli("check", "-", input=STDIN_ROUTINE)
    assert check.returncode == 0 and check.stdout.startswith('stdin:3: steps[0]: "Sit down." asks for a movement')
    assert run_cli("timings", "-", input=STDIN_ROUTINE).stdout.startswith("# Timings for 'From stdin' (routine: stdin)")


@pytest.mark.parametrize("command", ["script", "export", "play", "check", "timings"])
def test_a_broken_routine_on_stdin_is_located_as_stdin(command):
    out = run_cli(command, "-", input="title: T\nsteps:\n  - sy: Hello.\n")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("audioguide: error: stdin:3: steps[0]: needs exactly one of say"), out.stderr


@pytest.mark.parametrize("command", ["script", "check", "draft"])
@pytest.mark.parametrize("redirect, says", [("<&-", "standard input is closed"), ("0>/dev/null", "cannot read")])
def test_dash_with_standard_input_closed_or_unreadable_is_one_line(command, redirect, says):
    """`audioguide script - <&-`: Python has no sys.stdin at all; `0>file`: it is write-only.
    One line, exit 2 (both were internal errors)."""
    out = subprocess.run(f'exec "{BIN / "audioguide"}" {command} - {redirect}', shell=True, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("audioguide: error: ") and says in out.stderr, out.stderr
    assert len(out.stderr.splitlines()) == 1 and "internal error" not in out.stderr


@pytest.mark.parametrize("command", ["script", "routines", "timings hand-massage", "check"])
@pytest.mark.parametrize("redirect, code, says", [(">/dev/full", 1, "cannot write to standard output: No space left"),
                                                  (">&-", 2, "standard output is closed")])
def test_standard_output_full_or_closed_is_one_line(command, redirect, code, says):
    """`> /dev/full` was an internal error; `>&-` printed nothing and exited 0."""
    out = subprocess.run(f'exec "{BIN / "audioguide"}" {command} {redirect}', shell=True, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == code and out.stderr == f"audioguide: error: {says}" + out.stderr.split(says)[1], out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_export_writes_a_routine_from_stdin(tmp_path):
    out = run_cli("export", "-", "--engine", "pyttsx3", "-o", str(tmp_path / "s.wav"), input=STDIN_ROUTINE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(tmp_path / f"s.{ext}") for ext in ("wav", "vtt", "json")]


def test_the_export_summary_names_the_container_asked_for_and_counts_in_the_singular(tmp_path):
    out = run_cli("export", "-", "--engine", "pyttsx3", "-o", str(tmp_path / "s.m4a"), input="title: T\nsteps:\n"
                  "  - say: Hello.\n")
    assert out.returncode == 0, out.stderr
    summary = out.stderr.strip().splitlines()[-1]
    assert ", 1 chapter, " in summary and ", 1 line synthesized, " in summary and ", m4a at " in summary, summary


@pytest.mark.parametrize("command,flag,owners", [
    ("script", "--bed", "export and play"), ("script", "--bed-volume", "export and play"),
    ("play", "--bitrate", "export"), ("export", "--start-at", "play"), ("play", "--spoken", "script"),
])
def test_a_flag_of_other_commands_says_which_ones_have_it(command, flag, owners):
    out = run_cli(command, flag, "x")
    assert out.returncode == 2 and out.stderr.startswith(
        f"audioguide: error: no such option: {flag} for {command}; it is an option of {owners}"), out.stderr


def test_pace_help_gives_the_factor_range_and_timings_has_no_double_space(tmp_path):
    assert "or any factor 0.5-2" in " ".join(run_cli("script", "--help").stdout.split())
    path = tmp_path / "r.yaml"
    path.write_text("title: T\noptions:\n  mode: {choices: [a, b]}\nsteps:\n  - say: Hello.\n")
    assert "# One of: a, b.\nmode: a\n" in run_cli("timings", str(path)).stdout


def test_a_bed_volume_without_a_bed_is_one_note_and_the_session_is_made(tmp_path):
    routine = "title: T\nsteps:\n  - say: Hello.\n"
    out = run_cli("export", "-", "--engine", "pyttsx3", "--bed-volume", "-20", "-o", str(tmp_path / "s.wav"),
                  input=routine)
    assert out.returncode == 0 and (tmp_path / "s.wav").exists(), out.stderr
    note = "audioguide: note: --bed-volume -20 has no effect without a bed (--bed brown|pink|pad|FILE)"
    assert out.stderr.splitlines()[0] == note
    with_bed = run_cli("export", "-", "--engine", "pyttsx3", "--bed", "brown", "--bed-volume", "-20",
                       "-o", str(tmp_path / "b.wav"), input=routine)
    assert with_bed.returncode == 0 and "note:" not in with_bed.stderr, with_bed.stderr
