"""Presets (a routine, its timings and a listener, saved as YAML), settings from a mapping, routines from bytes."""

from __future__ import annotations

import pytest

import audioguide as ag
from helpers import TINY_ROUTINE


def test_a_preset_round_trips_through_its_file(tmp_path):
    preset = ag.Preset("Anna, left foot", "foot-massage", {"feet": "left", "tender_hold": 20, "pace": "slow",
                       "length": None, "chimes": False}, listener="Anna Smith", engine="pyttsx3",
                       voice="gmw/en-us", format="m4b")
    path = ag.save_preset(tmp_path / "presets", preset)
    assert path.name == "anna-left-foot.yaml" and preset.slug == "anna-left-foot"
    assert path.read_text().startswith("# audioguide preset\nname: Anna, left foot\nroutine: foot-massage\n")
    assert ag.load_preset(tmp_path / "presets", "anna-left-foot") == preset
    routine = ag.load_routine("foot-massage")
    settings = ag.resolve_settings(routine, values=preset.timings)
    assert (settings.options["feet"], settings.values["tender_hold"], settings.pace, settings.chimes) == (
        "left", 20, 0.8, False)


def test_presets_are_listed_by_name_and_deleted(tmp_path):
    for name in ("zoe", "Bob", "Émile"):
        ag.save_preset(tmp_path, ag.Preset(name, "box-breathing"))
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    assert [p.name for p in ag.list_presets(tmp_path)] == ["Bob", "zoe", "Émile"]
    assert ag.list_presets(tmp_path)[2].slug == "emile"
    assert ag.delete_preset(tmp_path, "bob") and not ag.delete_preset(tmp_path, "bob")
    assert not ag.delete_preset(tmp_path, "../etc")
    with pytest.raises(ag.BadInputError, match=r"broken.yaml:2: invalid YAML"):
        ag.load_preset(tmp_path, "broken")


@pytest.mark.parametrize("text, message", [
    ("name: x\nroutine: r\nextra: 1\n", "unknown key 'extra'"),
    ("name: ''\nroutine: r\n", "name: must not be empty"),
    ("name: '!!!'\nroutine: r\n", "needs at least one letter or digit"),
    ("name: x\nroutine: ../r\n", "routine: must be a routine's name"),
    ("name: x\nroutine: r\nformat: flac\n", "format: must be one of mp3, m4b, ogg, wav"),
    ("name: x\nroutine: r\ntimings: {a: [1, 2]}\n", "timings: must map names to single values"),
    ("name: x\nroutine: r\nlistener: \"a\\ab\"\n", "listener: a\\x07b holds control characters"),
    ("- a list\n", "a preset is a mapping"),
])
def test_a_broken_preset_file_is_one_line_naming_it(tmp_path, text, message):
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ag.BadInputError) as error:
        ag.load_preset(tmp_path, "p")
    assert message in str(error.value) and str(error.value).startswith("p.yaml")
    assert ag.list_presets(tmp_path) == []


def test_an_unknown_preset_is_refused_without_touching_the_file_system(tmp_path):
    for slug in ("nope", "../../etc/passwd", "", "A"):
        with pytest.raises(ag.BadInputError, match="no preset called"):
            ag.load_preset(tmp_path, slug)


def test_values_from_a_form_are_read_like_set_and_named_by_their_key():
    routine = ag.parse_routine(TINY_ROUTINE, name="tiny")
    settings = ag.resolve_settings(routine, values={"hold": "3.5", "feet": "left", "length": "", "chimes": "false",
                                                     "pace": "1.1"})
    assert (settings.values["hold"], settings.options["feet"], settings.length_ms, settings.chimes, settings.pace) == (
        3.5, "left", None, False, 1.1)
    with pytest.raises(ag.BadInputError, match=r"^hold: must be 1..20 seconds, got 30$"):
        ag.resolve_settings(routine, values={"hold": "30"})
    with pytest.raises(ag.BadInputError, match=r"^nope: unknown setting 'nope' for routine 'tiny'"):
        ag.resolve_settings(routine, values={"nope": 1})
    # --set is applied after the values, like after a timings file
    assert ag.resolve_settings(routine, values={"hold": 3}, sets=["hold=4"]).values["hold"] == 4


def test_an_option_choice_is_never_read_as_a_yaml_boolean():
    routine = ag.parse_routine("title: t\noptions:\n  light: {choices: ['on', 'off']}\nsteps: [{say: Hi.}]\n")
    assert ag.resolve_settings(routine, values={"light": "off"}).options["light"] == "off"


def test_a_routine_from_bytes_gets_a_files_checks_and_located_messages():
    assert ag.parse_routine(TINY_ROUTINE.encode(), "up.yaml", "up").name == "up"
    for raw, message in ((b"\xff\xfe", "up.yaml:1: not valid UTF-8 text (byte 0)"),
                         (b"title: a\x00", "up.yaml: is a binary file, not YAML text"),
                         (b"#" * 1_000_001, "up.yaml: more than 1,000,000 bytes; the limit is 1,000,000"),
                         (b"title: x\nsteps: 3\n", "up.yaml:2: steps: must be a list of steps, got int")):
        with pytest.raises(ag.BadInputError) as error:
            ag.parse_routine(raw, "up.yaml", "up")
        assert str(error.value) == message


def test_the_listener_goes_into_the_title_and_is_checked(tmp_path):
    routine = ag.parse_routine(TINY_ROUTINE, name="tiny")
    with pytest.raises(ag.BadInputError, match="listener: is 81 characters"):
        ag.export_session(routine, ag.resolve_settings(routine), tmp_path / "x.wav", listener="x" * 81)
    result = ag.export_session(routine, ag.resolve_settings(routine), tmp_path / "x.wav", engine="pyttsx3",
                               listener="  Anna   Smith ")
    assert result.title == "Tiny massage, for Anna Smith"
