"""The synthesize stage with a fake engine of exactly known output."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from audioguide.cache import SpeechCache
from audioguide.errors import EngineError, UnknownEngineError
from audioguide.synth import Synthesizer
from fakes import FakeEngine


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
    result = synth.speak_all(["c", "b", "a", "c"])
    assert list(result) == ["c", "b", "a"]
    assert [len(result[t].samples) for t in result] == [20, 20, 20]  # each arrives spoken as "c.", "b.", "a."
    assert engine.calls == ["b.", "c.", "a."]
    assert synth.cache_hits == 1


def test_progress_counts_only_lines_the_engine_speaks_and_nothing_is_printed(capsys):
    synth = _synth()
    events = []
    synth.speak_all(["one", "two"], progress=events.append)
    assert [(e.stage, e.done, e.total, e.unit) for e in events] == [
        ("speaking (fake)", 0, 2, "line"), ("speaking (fake)", 1, 2, "line"), ("speaking (fake)", 2, 2, "line")]
    events.clear()
    synth.speak_all(["one", "two"], progress=events.append)
    assert events == []  # all cached: nothing to report
    synth.speak_all(["one", "three"], progress=events.append)
    assert [(e.done, e.total) for e in events] == [(0, 1), (1, 1)]
    assert capsys.readouterr() == ("", "")


def test_a_set_cancel_token_stops_before_the_next_line_and_keeps_what_was_spoken():
    import threading

    from audioguide.errors import Cancelled

    engine = FakeEngine()
    synth = _synth(engine)
    cancel = threading.Event()

    def progress(event):
        if event.done == 1:
            cancel.set()  # asked to stop while the second line is due

    with pytest.raises(Cancelled):
        synth.speak_all(["a", "b", "c"], progress=progress, cancel=cancel)
    assert engine.calls == ["a."]  # spoken as "a."
    assert synth.speak_all(["a"]) and engine.calls == ["a."]  # the spoken line stayed cached


def test_speak_ahead_yields_in_order():
    engine = FakeEngine()
    synth = _synth(engine)
    texts = ["a", "bb", "ccc", "dddd", "bb"]
    with synth.speak_ahead(texts) as speeches:
        lengths = [len(speech.samples) for speech in speeches]
    assert lengths == [10 * len(synth.spoken(t)) for t in texts] == [20, 30, 40, 50, 30]  # "A.", "Bb." ...
    assert synth.cache_hits == 1  # the repeated "bb"


def test_speak_ahead_stays_bounded_and_stops_when_closed():
    engine = FakeEngine()
    synth = _synth(engine)
    texts = [f"line {i}" for i in range(50)]
    ahead = synth.speak_ahead(texts, ahead=2)
    assert len(next(ahead).samples) == 10 * len("Line zero.")
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
    assert engine.calls[:2] == ["One.", "Two."]  # already speaking before anyone asked
    assert len(next(ahead).samples) == 40
    assert len(next(ahead).samples) == 40
    with pytest.raises(EngineError, match="FAIL three"):
        next(ahead)
    with pytest.raises(StopIteration):
        next(ahead)
    assert "Four." not in engine.calls


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
