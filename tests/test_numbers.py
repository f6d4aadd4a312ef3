"""The one rule for numbers a person types (text.read_number), and that every way in follows it:
flags, --set, timings files, routine amounts and expressions, voice files."""

from __future__ import annotations

import pytest

from audioguide import expressions
from audioguide.errors import ControlsError, RoutineError, SettingsError
from audioguide.play import controls
from audioguide.routine import load_routine, parse_routine
from audioguide.settings import resolve
from audioguide.text import read_number
from helpers import run_cli


@pytest.fixture(scope="module")
def foot():
    return load_routine("foot-massage")


@pytest.mark.parametrize("text,unit,expected", [
    ("10", "", 10), ("-0", "", 0), ("+3", "", 3), (" 2.5 ", "", 2.5), (".5", "", 0.5), ("5.", "", 5.0),
    ("1e1", "", 10.0), ("1E-1", "", 0.1), ("-1e1", "", -10.0), ("1.5e+2", "count", 150.0),
    ("1:30", "seconds", 90.0), ("0:05.5", "seconds", 5.5), ("1:00:00", "seconds", 3600.0),
    ("14:20", "minutes", 14 + 20 / 60), ("1:00", "minutes", 1.0), ("1:00:00", "minutes", 60.0),
])
def test_plain_decimals_are_numbers_and_a_clock_is_minutes_and_seconds(text, unit, expected):
    value = read_number(text, unit)
    assert value == pytest.approx(expected) and type(value) is type(expected)


@pytest.mark.parametrize("text,unit,message", [
    ("0x10", "seconds", "'0x10' is hexadecimal; write 16"),
    ("0o17", "", "'0o17' is octal; write 15"),
    ("0b11", "", "'0b11' is binary; write 3"),
    ("1_0", "seconds", "'1_0' has an underscore; write 10"),
    ("010", "count", "'010' starts with 0 (YAML reads 010 as octal 8); write 10"),
    ("1:75", "seconds", "'1:75' is not a time: write M:SS or H:MM:SS"),
    ("1:30", "count", "'1:30' is a time (M:SS), which only a duration can be; give a plain number"),
    ("1:30", "", "'1:30' is a time (M:SS)"),
])
def test_other_ways_of_writing_numbers_are_refused_naming_the_value(text, unit, message):
    with pytest.raises(ValueError) as caught:
        read_number(text, unit)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("text", ["abc", "3 # x", "&a 3", ".inf", "nan", "", "1e", "box_side * 2"])
def test_text_that_is_not_a_number_is_left_for_the_caller(text):
    assert read_number(text, "seconds") == text


def _every_way(foot, tmp_path, text):
    """tender_hold (seconds, 10..120) set to ``text`` through --set, a timings file, a web form's values
    and a routine's then: each result is the number or the error's message after its place."""
    timings = tmp_path / "t.yaml"
    timings.write_text(f"tender_hold: {text}\n")
    routine = tmp_path / "r.yaml"
    routine.write_text(f"title: r\nsteps:\n  - say: Hello.\n    then: {text}\n")
    ways = {f"--set tender_hold={text}: ": {"sets": [f"tender_hold={text}"]},
            f"{timings}:1: tender_hold: ": {"timings": timings}, "tender_hold: ": {"values": {"tender_hold": text}}}
    results = []
    for place, how in ways.items():
        try:
            results.append(resolve(foot, **how).values["tender_hold"])
        except SettingsError as exc:
            results.append(str(exc).removeprefix(place))
    try:
        results.append(load_routine(str(routine)).steps[0].then)
    except RoutineError as exc:
        results.append(str(exc).removeprefix(f"{routine}:4: steps[0].then: "))
    return results


@pytest.mark.parametrize("text,expected", [
    ("1e1", 10.0), ("1:30", 90.0), ("20", 20.0), ("2.5e1", 25.0),
    ("0x10", "'0x10' is hexadecimal; write 16"),
    ("1_0", "'1_0' has an underscore; write 10"),
    ("012", "'012' starts with 0 (YAML reads 010 as octal 8); write 12"),
])
def test_a_value_means_the_same_in_a_flag_a_timings_file_a_form_and_a_routine(foot, tmp_path, text, expected):
    assert _every_way(foot, tmp_path, text) == [expected] * 4


@pytest.mark.parametrize("kwargs,field,expected", [
    ({"pace": "1e0"}, "pace", 1.0),
    ({"length": "1e1"}, "length_ms", 600_000),
    ({"length": "14:20"}, "length_ms", 860_000),  # the session lengths the tool prints read back as printed
    ({"length": "1:00"}, "length_ms", 60_000),  # a minute, not YAML 1.1's hour
    ({"length": "1:00:00"}, "length_ms", 3_600_000),
    ({"bed_volume": "-1e1"}, "bed_volume_db", -10.0),
    ({"sets": ["bed_duck=1e1"]}, "bed_duck_db", 10.0),
    ({"sets": ["length=14:20"]}, "length_ms", 860_000),
])
def test_flags_read_numbers_by_the_same_rule(foot, kwargs, field, expected):
    assert getattr(resolve(foot, **kwargs), field) == expected


@pytest.mark.parametrize("kwargs,message", [
    ({"pace": "0x1"}, "--pace 0x1: '0x1' is hexadecimal; write 1"),
    ({"length": "0x10"}, "--length 0x10: '0x10' is hexadecimal; write 16"),
    ({"length": "5:75"}, "--length 5:75: '5:75' is not a time"),
    ({"bed_volume": "-1_0"}, "--bed-volume -1_0: '-1_0' has an underscore; write -10"),
    ({"sets": ["gap=3 # x"]}, "--set gap=3 # x: must be a number of seconds (0..30 seconds), got '3 # x'"),
    ({"sets": ["gap=&a 3"]}, "--set gap=&a 3: must be a number of seconds (0..30 seconds), got '&a 3'"),
    ({"sets": ["ankle_reps=6.4999999"]}, "--set ankle_reps=6.4999999: must be a whole number (5..50), got 6.4999999"),
    ({"sets": ["ankle_reps=1:30"]}, "--set ankle_reps=1:30: '1:30' is a time (M:SS)"),
    ({"sets": ["gap=1:30"]}, "--set gap=1:30: must be 0..30 seconds, got 1:30"),
    ({"sets": ["tender_hold=1e3"]}, "--set tender_hold=1e3: must be 10..120 seconds, got 1e3"),
])
def test_refusals_are_one_line_with_the_value_as_typed(foot, kwargs, message):
    with pytest.raises(SettingsError) as caught:
        resolve(foot, **kwargs)
    assert str(caught.value).startswith(message)


def test_a_yaml_file_float_is_shown_as_written_not_rounded(foot, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("ankle_reps: 6.4999999\n")
    with pytest.raises(SettingsError, match=r"t.yaml:1: ankle_reps: must be a whole number \(5..50\), got 6.4999999$"):
        resolve(foot, timings=path)


@pytest.mark.parametrize("text", ["g: {default: 1e400, unit: seconds}", "g: {default: 2, max: 1e400, unit: seconds}"])
def test_a_setting_too_big_for_a_float_is_shown_as_typed_not_as_inf(foot, tmp_path, text):
    with pytest.raises(RoutineError, match=r"got 1e400$"):
        parse_routine(f"title: r\nsettings:\n  {text}\nsteps:\n  - pause: g\n")
    path = tmp_path / "t.yaml"
    path.write_text("tender_hold: 1e400\n")
    with pytest.raises(SettingsError, match=r"t.yaml:1: tender_hold: must be 10..120 seconds, got 1e400$"):
        resolve(foot, timings=path)


@pytest.mark.parametrize("amount,message", [
    ("1e3", "must be 0..600 seconds, got 1e3"),  # as typed, as --set shows it
    ("1e400", "must be 0..600 seconds, got 1e400"),  # it was "got inf"
    ("0x10", "'0x10' is hexadecimal; write 16"),
    ('"0x10 * 2"', "cannot read '0x10 * 2': '0x10' is hexadecimal; write 16 (column 1)"),
    ('"1e1 * 2 + 0b1"', "cannot read '1e1 * 2 + 0b1': '0b1' is binary; write 1 (column 11)"),
    ('"2 * 1_0"', "cannot read '2 * 1_0': '1_0' has an underscore; write 10 (column 5)"),
])
def test_routine_amounts_and_expressions_follow_the_rule(amount, message):
    with pytest.raises(RoutineError) as caught:
        parse_routine(f"title: r\nsteps:\n  - say: Hello.\n    then: {amount}\n", display="r.yaml")
    assert str(caught.value) == f"r.yaml:4: steps[0].then: {message}"


def test_an_expression_reads_exponents():
    assert expressions.parse("1e1 * 2 - 2.5E-1").evaluate({}) == 19.75


def test_a_routine_count_may_not_be_a_clock():
    with pytest.raises(RoutineError, match=r"count: '1:30' is a time \(M:SS\)"):
        parse_routine("title: r\nsteps:\n  - repeat: {count: '1:30', tempo: 1}\n")


@pytest.mark.parametrize("file_value,flag,expected", [("1e-1", None, 0.1), ("0.5", "1e-1", 0.1), ("1", " .25 ", 0.25)])
def test_sensitivity_reads_the_same_from_the_voice_file_and_the_flag(tmp_path, file_value, flag, expected):
    path = tmp_path / "voice.yaml"
    path.write_text(f"sensitivity: {file_value}\n")
    assert controls.load_voice(path, sensitivity=flag).sensitivity == expected


@pytest.mark.parametrize("file_value,flag,message", [
    ("0x1", None, "voice.yaml:1: sensitivity: '0x1' is hexadecimal; write 1"),
    ("0.5", "0x1", "--sensitivity 0x1: '0x1' is hexadecimal; write 1"),
    ("0.5", "1e1", "--sensitivity 1e1: must be a number from 0 to 1, got 1e1"),
])
def test_sensitivity_refuses_the_same_from_the_voice_file_and_the_flag(tmp_path, file_value, flag, message):
    path = tmp_path / "voice.yaml"
    path.write_text(f"sensitivity: {file_value}\n")
    with pytest.raises(ControlsError) as caught:
        controls.load_voice(path, sensitivity=flag)
    assert str(caught.value).endswith(message)


def test_the_command_line_reads_a_printed_length_back():
    out = run_cli("script", "--length", "15:30")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("Self foot massage — 15:30")
    out = run_cli("script", "--set", "gap=0x10")
    assert (out.returncode, out.stderr) == (2, "audioguide: error: --set gap=0x10: '0x10' is hexadecimal; write 16\n")
