"""Control files: keys.yaml (remapping, any key) and voice.yaml (phrases, sensitivity), with located errors."""

from __future__ import annotations

import pytest

from audioguide.errors import ControlsError
from audioguide.play import controls
from audioguide.play.inputs.keys import DEFAULT_KEYS, HELP_KEYS, split_keys
from helpers import run_cli


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_without_files_the_readme_keys_apply_and_any_other_key_goes_on():
    keys = controls.load_keys()
    assert dict(keys.keys) == DEFAULT_KEYS
    assert keys.action("n") == "next" and keys.action("x") == "go" and keys.action("up") == "go"


def test_any_key_makes_every_key_pause_and_resume():
    keys = controls.load_keys(any_key=True)
    assert not keys.keys
    assert {keys.action(k) for k in ("q", "n", " ", "x", "up", "escape", "\n")} == {"toggle"}


def test_a_pedal_that_types_b_is_remapped_and_other_keys_keep_theirs(tmp_path):
    path = write(tmp_path, "keys.yaml", "keys:\n  b: toggle\n  space: none\n  page_down: next\n")
    keys = controls.load_keys(path)
    assert keys.action("b") == keys.action("B") == "toggle"
    assert keys.action(" ") is None  # "none": the key does nothing, not what any other key does
    assert keys.action("x") == "go"
    assert keys.action("page_down") == "next" and keys.action("n") == "next" and keys.action("q") == "quit"
    line = keys.help_line()
    assert line.startswith("keys: ") and "space" not in line and "b pause/resume" in line
    assert "page_down next step" in line and "q quit" in line and "other keys go on" in line


def test_the_keys_line_shows_the_keys_in_force():
    assert controls.load_keys().help_line() == HELP_KEYS
    assert controls.load_keys(any_key=True).help_line() == "keys: any key pauses and resumes · Ctrl-C quits"
    only_n = controls.KeyMap({"n": "next"}, "toggle")
    assert only_n.help_line() == "keys: n next step · other keys pause/resume · Ctrl-C quits"


def test_the_default_file_is_read_from_the_config_directory(isolated_config):
    write(isolated_config, "keys.yaml", "any_key: toggle\nkeys:\n  q: quit\n")
    keys = controls.load_keys()
    assert keys.action("q") == "quit" and keys.action("n") == "toggle" and keys.action("b") == "toggle"


@pytest.mark.parametrize("text, message", [
    ("keys:\n  b: paws\n", "keys.yaml:2: keys.b: unknown action 'paws' (did you mean 'pause'?); the actions are: "),
    ("keys:\n  bb: next\n", "keys.yaml:2: keys.bb: 'bb' is not a key: use one character or a name (space, enter"),
    ("key:\n  b: next\n", "keys.yaml:1: key: unknown key (did you mean 'keys'?); expected any_key, keys"),
    ("keys: [b]\n", "keys.yaml:1: keys: expected key: action lines, got ['b']"),
    ("- b\n", "keys.yaml:1: expected keys such as keys: and any_key:, got list"),
    ("keys:\n  b:\n", "keys.yaml:2: keys.b: no action given; the actions are: "),  # "none" takes a key away
    ("any_key:\n", "keys.yaml:1: any_key: no action given; the actions are: "),
    ("keys:\n  true: next\n", "keys.yaml:2: keys.True: YAML read it as true/false: use one character or a name"),
    ("keys:\n  b: next\n  b: back\n", "keys.yaml:3: invalid YAML: duplicate key 'b'"),
    ("keys:\n  B: next\n  b: back\n", "keys.yaml:3: keys.b: 'b' is the same key as 'B' (a letter means both cases)"),
    ("keys:\n  enter: next\n  return: back\n", "keys.yaml:3: keys.return: 'return' is the same key as 'enter'$"),
])
def test_a_bad_keys_file_is_one_located_line(tmp_path, text, message):
    path = write(tmp_path, "keys.yaml", text)
    with pytest.raises(ControlsError) as caught:
        controls.load_keys(path)
    expected = str(tmp_path / message.split(":", 1)[0]) + ":" + message.split(":", 1)[1]
    assert str(caught.value) == expected[:-1] if expected.endswith("$") else str(caught.value).startswith(expected)


def test_terminal_input_is_split_into_keys_and_named_special_keys():
    assert split_keys("ab \x1b[A\x1b[6~\x1bOP\x1b") == ["a", "b", " ", "up", "page_down", "key", "escape"]


def test_voice_phrases_and_sensitivity_from_a_file_and_the_flag(tmp_path):
    path = write(tmp_path, "voice.yaml", "sensitivity: 0.7\nphrases:\n  Hold on, please!: pause\n  keep going: go\n")
    config = controls.load_voice(path)
    assert dict(config.phrases) == {"hold on please": "pause", "keep going": "go"}
    assert config.sensitivity == 0.7 and config.mic == "default"
    assert controls.load_voice(path, sensitivity=0.2, mic="hw:1").sensitivity == 0.2
    assert controls.load_voice().phrases["stop the guide"] == "quit"  # no file: the defaults


@pytest.mark.parametrize("text, message", [
    ("phrases:\n  pawz now: pause\n", ":2: phrases.pawz now: 'pawz now': the recognizer's dictionary has no word 'pawz'"),
    ("phrases:\n  next: next\n", ":2: phrases.next: 'next': one syllable is too short to spot reliably"),
    ("phrases:\n  go on: forwards\n", ":2: phrases.go on: unknown action 'forwards'"),
    ("sensitivity: 3\n", ":1: sensitivity: must be a number from 0 to 1, got 3"),
    ("sensitivity:\n", ":1: sensitivity: must be a number from 0 to 1, got nothing"),
    ("phrases:\n  hold on please:\n", ":2: phrases.hold on please: no action given; the actions are: "),
    ("phrases:\n  '!!': pause\n", ":2: phrases.!!: an empty phrase; write the words to say"),
    ("phrases: {}\n", ":1: phrases: expected phrase: action lines"),
    ("pause now\n", ":1: expected keys such as phrases: and sensitivity:, got str"),
    ("phrases:\n  hold on please: pause\n  Hold  on please!: go\n",
     ":3: phrases.Hold  on please!: 'Hold  on please!' is the same phrase as 'hold on please'"),
])
def test_a_bad_voice_file_is_one_located_line(tmp_path, text, message):
    path = write(tmp_path, "voice.yaml", text)
    with pytest.raises(ControlsError) as caught:
        controls.load_voice(path)
    assert str(caught.value).startswith(f"{path}{message}")


def test_the_cli_reports_a_bad_control_file_or_value_before_anything_plays(tmp_path, isolated_cache):
    keys = write(tmp_path, "keys.yaml", "keys:\n  b: paws\n")
    run = run_cli("play", "--engine", "pyttsx3", "--keys", str(keys), input="")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"audioguide: error: {keys}:2: keys.b: unknown action 'paws'")
    assert len(run.stderr.splitlines()) == 1
    run = run_cli("play", "--engine", "pyttsx3", "--sensitivity", "1.5", input="")
    assert run.returncode == 2
    assert "--sensitivity 1.5: must be a number from 0 to 1, got 1.5" in run.stderr
    assert not any(isolated_cache.rglob("*.*")), "nothing was synthesized"
    run = run_cli("play", "--engine", "pyttsx3", "--mic", "", input="")
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1
    assert run.stderr.startswith("audioguide: error: --mic: got nothing; give a capture device (arecord -L lists them")
