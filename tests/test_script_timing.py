"""`audioguide script` shows measured timing once every line is in the speech cache, says which
timing it shows, and never synthesizes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import audioguide as ag
from audioguide import engines
from audioguide.engines.base import Speech
from audioguide.errors import EngineError
from audioguide.mixer import prepare_speech, prepared_ms, speech_ms
from audioguide.routine import parse_routine
from fakes import ToneEngine
from helpers import TINY_ROUTINE, run_cli


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_ROUTINE)
    return path


def _entries(cache) -> int:
    return len(list(cache.rglob("*.speech")))


def _header(run) -> str:
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()[0]


def test_measured_once_the_lines_are_cached_and_equal_to_the_export(tiny, tmp_path, isolated_cache):
    before = run_cli("script", str(tiny), "--engine", "pyttsx3")
    assert _header(before).endswith("(estimated timing)")
    assert _entries(isolated_cache) == 0  # script speaks nothing

    out = tmp_path / "t.wav"
    assert run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(out)).returncode == 0
    cached = _entries(isolated_cache)
    after = run_cli("script", str(tiny), "--engine", "pyttsx3")
    assert _header(after).endswith("(measured timing)")
    as_json = run_cli("script", str(tiny), "--engine", "pyttsx3", "--json")
    assert json.loads(as_json.stdout) == json.loads(out.with_suffix(".json").read_text())

    # A changed timing needs no new speech: still measured, and equal to its export.
    changed = run_cli("script", str(tiny), "--engine", "pyttsx3", "--set", "hold=5", "--json")
    doc = json.loads(changed.stdout)
    assert doc["timing"] == "measured"
    assert doc["total_ms"] == json.loads(as_json.stdout)["total_ms"] + 2 * 3000
    assert _entries(isolated_cache) == cached


def test_another_voice_pace_or_a_missing_line_is_estimated(tiny, tmp_path, isolated_cache):
    assert run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(tmp_path / "t.wav")).returncode == 0
    assert _header(run_cli("script", str(tiny), "--engine", "pyttsx3", "--pace", "slow")).endswith(
        "(estimated timing)")  # pace is part of the cache key: other speech
    assert _header(run_cli("script", str(tiny), "--engine", "pyttsx3", "--voice", "gmw/en")).endswith(
        "(estimated timing)")
    next(isolated_cache.rglob("*.speech")).unlink()
    assert _header(run_cli("script", str(tiny), "--engine", "pyttsx3")).endswith("(estimated timing)")


@pytest.mark.parametrize("args, message", [
    (["--engine", "espeak"], "unknown engine 'espeak'"),
    (["--engine", "pyttsx3", "--voice", "nobody"], "unknown pyttsx3 voice 'nobody'"),
    # script checks --voice as export does: a file that is not a Piper .onnx voice is no voice
    pytest.param(["--voice", "/etc/passwd"], "unknown piper voice '/etc/passwd'; use en_US-joe-medium or the path "
                 "of a Piper .onnx voice", marks=pytest.mark.piper),
    pytest.param(["--voice", "gmw/en-us"], "unknown piper voice 'gmw/en-us'; use en_US-joe-medium or the path of a "
                 "Piper .onnx voice; 'gmw/en-us' is a pyttsx3 voice: add --engine pyttsx3", marks=pytest.mark.piper),
    pytest.param(["--engine", "pyttsx3", "--voice", "en_US-joe-medium"],
                 "; 'en_US-joe-medium' is a piper voice: add --engine piper", marks=pytest.mark.piper),
])
def test_unknown_engine_or_voice_is_bad_input(tiny, args, message):
    run = run_cli("script", str(tiny), *args)
    assert run.returncode == 2 and message in run.stderr and run.stderr.count("\n") == 1, run.stderr


@pytest.fixture
def lister():
    class Lister(ToneEngine):
        def __init__(self, name, voice):
            super().__init__()
            self.name, self.voice = name, voice

        def voices(self):
            return [engines.Voice(self.voice)]

    return Lister


def test_a_voice_is_checked_before_any_work_and_another_engines_voice_is_named(register_engine, lister):
    from audioguide.errors import UnknownEngineError
    from audioguide.synth import make_synthesizer

    register_engine("first", lambda: lister("first", "a"))
    register_engine("second", lambda: lister("second", "b"))
    register_engine("tone", ToneEngine)
    assert make_synthesizer("first", "a").voice == "a"
    with pytest.raises(UnknownEngineError, match=r"^unknown first voice 'zz' \(all: audioguide voices\)$"):
        make_synthesizer("first", "zz")
    with pytest.raises(UnknownEngineError, match=r"^unknown first voice 'b' \(all: audioguide voices\); "
                                                 r"'b' is a second voice: add --engine second$"):
        make_synthesizer("first", "b")
    assert make_synthesizer("tone", "anything").voice == "anything"  # an engine that lists no voices takes any


def test_through_the_api_with_any_engine(register_engine, tmp_path):
    register_engine("tone", ToneEngine)
    routine = parse_routine(TINY_ROUTINE, name="tiny")
    settings = ag.resolve_settings(routine)
    assert ag.script_session(routine, settings, engine="tone").timing == "estimated"
    ag.export_session(routine, settings, tmp_path / "o.wav", engine="tone")
    measured = ag.script_session(routine, settings, engine="tone")
    assert measured.timing == "measured"
    assert measured == ag.Script.from_json(json.loads((tmp_path / "o.json").read_text()))


def test_auto_with_no_engine_installed_still_gives_the_estimate(monkeypatch):
    def not_installed(name):
        raise EngineError(f"{name} is not installed")

    monkeypatch.setattr(engines, "get", not_installed)
    routine = parse_routine(TINY_ROUTINE, name="tiny")
    settings = ag.resolve_settings(routine)
    assert ag.script_session(routine, settings) == ag.compile_script(routine, settings)
    with pytest.raises(EngineError):
        ag.script_session(routine, settings, engine="pyttsx3")


@pytest.mark.parametrize("rate", [22050, 16000, 44100])
@pytest.mark.parametrize("gain", [-12.0, 0.0, 14.0])
def test_prepared_ms_is_the_prepared_segments_length(rate, gain):
    rng = np.random.default_rng(rate)
    for seconds in (0.0, 0.3, 1.7):
        n = int(seconds * rate)
        voiced = (9000 * np.sin(np.arange(n) * 2 * np.pi * 180 / rate) * rng.uniform(0.2, 1, n)).astype(np.int16)
        quiet = np.zeros(int(0.2 * rate), np.int16)
        speech = Speech(np.concatenate([quiet, voiced, quiet]), rate)
        assert prepared_ms(speech) == speech_ms(prepare_speech(speech, gain))


def test_prepared_ms_on_real_speech():
    engine = engines.get("pyttsx3")
    speech = engine.synthesize("Press your right heel, gently.", voice=engine.default_voice(), pace=1.0)
    assert prepared_ms(speech) == speech_ms(prepare_speech(speech, 6.0)) > 500
