"""The synthesize stage with a fake engine of exactly known output."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from audioguide.cache import SpeechCache
from audioguide.engines.base import Speech
from audioguide.errors import EngineError, UnknownEngineError
from audioguide.synth import Synthesizer


class FakeEngine:
    """10 samples per character, each sample the length of the text; "FAIL" in a text fails."""

    name = "fake"

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()

    def version(self) -> str:
        return "fake 1"

    def voices(self):
        return []

    def default_voice(self) -> str:
        return "plain"

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        with self._lock:
            self.calls.append(text)
        time.sleep(self.delay)
        if "FAIL" in text:
            raise RuntimeError("the fake engine choked\nsecond line of detail")
        if voice == "nobody":
            raise UnknownEngineError("unknown fake voice 'nobody'")
        n = round(len(text) * 10 / pace)
        return Speech(samples=np.full(n, len(text), dtype=np.int16), sample_rate=8000)


def _synth(engine: FakeEngine | None = None, **kwargs) -> Synthesizer:
    return Synthesizer(engine or FakeEngine(), cache=SpeechCache(), **kwargs)


def test_second_speak_of_the_same_text_is_a_cache_hit():
    engine = FakeEngine()
    synth = _synth(engine)
    first = synth.speak("Breathe in.")
    second = synth.speak("Breathe in.")
    assert engine.calls == ["Breathe in."]
    assert (synth.engine_calls, synth.cache_hits) == (1, 1)
    assert np.array_equal(first.samples, second.samples) and second.sample_rate == 8000
    assert synth.voice == "plain" and synth.pace == 1.0


def test_cache_outlives_the_synthesizer():
    _synth().speak("Breathe in.")
    engine = FakeEngine()
    _synth(engine).speak("Breathe in.")
    assert engine.calls == []


@pytest.mark.parametrize("change", [{"pace": 1.2}, {"voice": "other"}])
def test_different_pace_or_voice_is_a_new_key(change):
    engine = FakeEngine()
    _synth(engine).speak("Breathe in.")
    _synth(engine, **change).speak("Breathe in.")
    assert len(engine.calls) == 2


def test_without_a_cache_every_speak_synthesizes():
    engine = FakeEngine()
    synth = Synthesizer(engine)
    synth.speak("Hi.")
    synth.speak("Hi.")
    assert synth.engine_calls == 2 and synth.cache_hits == 0


def test_engine_failure_names_the_text_in_one_line():
    long_text = "FAIL " + "press gently along the arch of the foot " * 4
    with pytest.raises(EngineError) as caught:
        _synth().speak(long_text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith('fake failed on "FAIL press gently along the arch')
    assert '..."' in message and len(message) < 120
    assert "the fake engine choked" in message
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_unknown_voice_stays_a_bad_input_error():
    with pytest.raises(UnknownEngineError, match="nobody"):
        _synth(voice="nobody").speak("Hi.")


def test_speak_all_dedupes_keeps_order_and_skips_the_cache_hits():
    engine = FakeEngine()
    synth = _synth(engine)
    synth.speak("b")
    result = synth.speak_all(["c", "b", "a", "c"], progress=False)
    assert list(result) == ["c", "b", "a"]
    assert [len(result[t].samples) for t in result] == [10, 10, 10]
    assert engine.calls == ["b", "c", "a"]
    assert synth.cache_hits == 1


def test_progress_bar_only_on_a_terminal_and_only_when_synthesizing(capsys, monkeypatch):
    synth = _synth()
    synth.speak_all(["one", "two"])
    assert capsys.readouterr().err == ""  # not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    synth.speak_all(["one", "two"])
    assert capsys.readouterr().err == ""  # all cached: nothing to show
    synth.speak_all(["one", "three"])
    captured = capsys.readouterr()
    assert "speaking (fake)" in captured.err and captured.out == ""


def test_speak_ahead_yields_in_order():
    engine = FakeEngine()
    synth = _synth(engine)
    texts = ["a", "bb", "ccc", "dddd", "bb"]
    with synth.speak_ahead(texts) as speeches:
        lengths = [len(speech.samples) for speech in speeches]
    assert lengths == [10, 20, 30, 40, 20]
    assert synth.cache_hits == 1  # the repeated "bb"


def test_speak_ahead_stays_bounded_and_stops_when_closed():
    engine = FakeEngine()
    synth = _synth(engine)
    texts = [f"line {i}" for i in range(50)]
    ahead = synth.speak_ahead(texts, ahead=2)
    assert len(next(ahead).samples) == 60
    time.sleep(0.3)  # plenty of time to run ahead, if it were unbounded
    # One taken, two waiting, one finished and waiting for room.
    assert len(engine.calls) <= 1 + 2 + 1
    ahead.close()
    assert not ahead._thread.is_alive()
    calls = len(engine.calls)
    time.sleep(0.2)
    assert len(engine.calls) == calls
    with pytest.raises(StopIteration):
        next(ahead)


def test_speak_ahead_starts_at_once_and_raises_at_the_failing_text():
    engine = FakeEngine(delay=0.05)
    synth = _synth(engine)
    ahead = synth.speak_ahead(["one", "two", "FAIL three", "four"])
    time.sleep(0.3)
    assert engine.calls[:2] == ["one", "two"]  # already speaking before anyone asked
    assert len(next(ahead).samples) == 30
    assert len(next(ahead).samples) == 30
    with pytest.raises(EngineError, match="FAIL three"):
        next(ahead)
    with pytest.raises(StopIteration):
        next(ahead)
    assert "four" not in engine.calls


def test_closing_from_another_thread_wakes_a_waiting_consumer():
    synth = _synth(FakeEngine(delay=0.5))
    ahead = synth.speak_ahead(["slow"])
    outcome: list[str] = []

    def consume() -> None:
        try:
            next(ahead)
            outcome.append("item")
        except StopIteration:
            outcome.append("stopped")

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.1)
    ahead.close()
    consumer.join(timeout=2)
    assert outcome == ["stopped"]
