"""Voice commands: phrases checked, keyword spotting (phrases of the user's own) on real speech, and
the default phrases heard through a real microphone path (tests/test_neural.py: the classifier).

The speech is Piper's (real synthesis, the voice users hear); the microphone
is ALSA's default capture device routed to a PulseAudio null sink's monitor
(tests/pulse.py), into which the test speaks with paplay in real time.
"""

from __future__ import annotations

import queue
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from audioguide.play.commands import Command
from audioguide.play.gate import SoundGate
from audioguide.play.inputs import listening, voice
from audioguide.play.inputs.phrases import TUNED_EXPONENTS, check_phrases, threshold_exponent

RATE = voice.RATE


def at_16k(path: Path) -> np.ndarray:
    from scipy.signal import resample_poly

    with wave.open(str(path)) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32)
    return resample_poly(audio, 320, 441).astype(np.int16)


def in_room(speech: np.ndarray, seed: int = 0) -> np.ndarray:
    """One second of quiet room noise, the speech, one more second."""
    rng = np.random.default_rng(seed)
    out = rng.normal(0, 60, len(speech) + 2 * RATE)
    out[RATE:RATE + len(speech)] += speech
    return np.clip(out, -32768, 32767).astype(np.int16)


def speech_end(speech: np.ndarray) -> float:
    """Seconds from the start of ``speech`` to the end of its last 10 ms frame within 30 dB of its loudest."""
    frames = speech[: len(speech) // 160 * 160].astype(np.float64).reshape(-1, 160)
    db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-9)
    return (np.flatnonzero(db >= db.max() - 30)[-1] + 1) / 100


def spot(spotter: voice.Spotter, audio: np.ndarray, t0: float = 100.0) -> list[voice.Heard]:
    heard = []
    for i in range(0, len(audio), voice.PERIOD):
        heard += spotter.feed(audio[i:i + voice.PERIOD], t0 + i / RATE)
    spotter.gap()
    return heard


# -- phrases ------------------------------------------------------------------------------------


def test_phrases_are_checked_against_the_dictionary_and_the_actions():
    phones = check_phrases({"pause now": "pause", "stop the guide": "quit"})
    assert phones["pause now"] == ["P", "AO", "Z", "N", "AW"]
    with pytest.raises(ValueError, match="'pawz now': the recognizer's dictionary has no word 'pawz'"):
        check_phrases({"pawz now": "pause"})
    with pytest.raises(ValueError, match="'next': one syllable is too short to spot reliably"):
        check_phrases({"next": "next"})
    with pytest.raises(ValueError, match="'go on': unknown action 'forward'; the actions are: toggle, pause"):
        check_phrases({"go on": "forward"})


def test_longer_phrases_and_higher_sensitivity_get_a_more_lenient_threshold():
    # A larger exponent is a smaller KWS threshold: heard more readily (bench --listen --tune's table).
    assert threshold_exponent(9, 0.5) > threshold_exponent(5, 0.5)
    assert threshold_exponent(5, 1.0) > threshold_exponent(5, 0.5) > threshold_exponent(5, 0.0)
    assert threshold_exponent(5, 0.5, "pause now") == TUNED_EXPONENTS["pause now"]
    assert voice.Spotter(sensitivity=0.8).exponents["go back"] > voice.Spotter().exponents["go back"]


# -- the recognizer on real speech ------------------------------------------------------------------


def test_each_default_phrase_is_heard_as_its_command(phrases):
    spotter = voice.Spotter()
    for k, (phrase, action) in enumerate(voice.DEFAULT_PHRASES.items()):
        t0 = 100.0 + 10 * k  # one after another, as a session hears them
        speech = at_16k(phrases[phrase])
        heard = spot(spotter, in_room(speech), t0)
        assert [h.action for h in heard] == [action], phrase
        h = heard[0]
        # The phrase sits from t0 + 1 s on; its end is found within a few frames and acted on promptly.
        assert t0 + 0.9 <= h.start < h.end <= t0 + 1 + len(speech) / RATE + 0.15
        # Acted on once the speaker has been quiet for QUIET_S: within 0.25 s of the recording's end
        # (which holds Piper's own trailing silence).
        assert h.at - h.end >= voice.QUIET_S + voice.END_SLACK_S
        assert h.at < t0 + 1 + len(speech) / RATE + 0.25
        # Where the speech really ended: its last 10 ms frame within 30 dB of its loudest
        # (the recording alone, before the room). The spotter finds it from the room's audio...
        assert abs(h.spoken_end - (t0 + 1 + speech_end(speech))) <= 0.035, phrase
        # ...and acts soon after: the quiet it waits for begins in the speech's fade.
        assert 0 < h.at - h.spoken_end <= voice.QUIET_S + voice.END_SLACK_S + 0.07, phrase


def test_a_phrase_followed_by_more_speech_is_not_a_command(phrases):
    """A phrase spotted inside something longer is followed by speech: no command while the
    speaker goes on (here the voiced stretches of a sentence, run straight on for 1.5 s). The
    same phrase with a breath after it is one; so is one the guide's next line follows at once."""
    pause, sentence = at_16k(phrases["pause now"]), at_16k(phrases["sentence"])
    said = np.flatnonzero(np.abs(pause) > 0.02 * np.abs(pause).max())
    frames = sentence[: len(sentence) // 160 * 160].reshape(-1, 160).astype(np.float64)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-9)
    voiced = np.tile(frames[level > level.max() - 20].ravel(), 3)[: 3 * RATE // 2].astype(np.int16)
    run_on = np.concatenate([pause[:said[-1] + 1], voiced])  # Piper's silence after the phrase off
    assert spot(voice.Spotter(), in_room(run_on)) == []
    heard = spot(voice.Spotter(), in_room(np.concatenate([pause, np.zeros(RATE, np.int16), sentence])))
    assert [h.action for h in heard] == ["pause"]
    guide = SoundGate(clock=lambda: 0.0)  # the guide's next line, 0.1 s after the phrase
    then = np.concatenate([pause[:said[-1] + 1], np.zeros(RATE // 10, np.int16), voiced])
    guide.sounding(101 + (said[-1] + 1) / RATE + 0.1, 101 + len(then) / RATE)
    assert [h.action for h in spot(voice.Spotter(gate=guide), in_room(then))] == ["pause"]


def test_a_long_utterance_starts_afresh_while_the_guide_sounds(monkeypatch):
    monkeypatch.setattr(voice, "MAX_UTTERANCE_S", 2.0)
    gate = SoundGate(clock=lambda: 0.0)
    gate.sounding(103.0, 104.0)
    spotter = voice.Spotter(gate=gate)
    noise = np.random.default_rng(1).normal(0, 60, 5 * RATE).astype(np.int16)
    starts = []
    for i in range(0, len(noise), voice.PERIOD):
        spotter.feed(noise[i:i + voice.PERIOD], 100.0 + i / RATE)
        starts.append(spotter._utt_t0)
    assert sorted(set(starts)) == [100.0, pytest.approx(103.0, abs=0.04)]  # past 2 s, once the guide sounded


def test_the_guides_own_phrase_is_passed_over_and_one_said_right_after_it_is_heard(phrases):
    """The gate refuses "go back" (the guide was sounding it); the search goes on without
    starting afresh, so "pause now" said 0.3 s after the guide falls silent is heard whole."""
    guide, user = at_16k(phrases["go back"]), at_16k(phrases["pause now"])
    audio = in_room(np.concatenate([guide, np.zeros(RATE * 3 // 10, np.int16), user]))
    gate = SoundGate(clock=lambda: 0.0, tail_s=0.05)
    gate.sounding(101.0, 101.0 + len(guide) / RATE)
    assert [h.action for h in spot(voice.Spotter(), audio)] == ["back", "pause"]  # without the gate: both
    assert [h.action for h in spot(voice.Spotter(gate=gate), audio)] == ["pause"]


def test_a_sentence_without_a_phrase_is_not_a_command(phrases):
    assert spot(voice.Spotter(), in_room(at_16k(phrases["sentence"]))) == []


# -- the real capture path -------------------------------------------------------------------------


@pytest.fixture
def microphone_env(pulse, monkeypatch):
    for key, value in pulse.env.items():
        monkeypatch.setenv(key, value)
    return pulse


def drain(commands: queue.SimpleQueue, seconds: float, settle: float = 0.5) -> list[Command]:
    """Commands posted within ``seconds``; once one came, only ``settle`` more seconds (a duplicate?)."""
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            got.append(commands.get(timeout=0.05))
            deadline = min(deadline, time.monotonic() + settle)
        except queue.Empty:
            pass
    return got


@pytest.mark.timeout(120)
def test_every_phrase_spoken_into_the_microphone_posts_its_command(microphone_env, phrases):
    commands: queue.SimpleQueue = queue.SimpleQueue()
    listener = listening.Listener(commands, SoundGate()).start()
    try:
        for phrase, action in voice.DEFAULT_PHRASES.items():
            microphone_env.speak(phrases[phrase])
            # A null sink hands its audio to the monitor up to about 2.5 s late (tests/pulse.py).
            got = drain(commands, 4.0)
            assert got == [Command(action, "voice")], phrase
    finally:
        listener.close()
    assert listener.error is None


@pytest.mark.timeout(60)
def test_a_phrase_said_while_the_guide_sounds_is_ignored(microphone_env, phrases):
    commands: queue.SimpleQueue = queue.SimpleQueue()
    gate = SoundGate()
    listener = listening.Listener(commands, gate).start()
    try:
        gate.sounding(time.monotonic(), time.monotonic() + 6.0)  # the guide talks for 6 s
        microphone_env.speak(phrases["pause now"])
        assert drain(commands, 4.0) == []
        assert [h.phrase for h in listener.heard] == []
    finally:
        listener.close()


def test_no_microphone_is_one_line(microphone_env):
    with pytest.raises(listening.VoiceUnavailable) as caught:
        listening.Listener(queue.SimpleQueue(), SoundGate(), device="audioguide_no_such_mic").start()
    message = str(caught.value)
    assert message.startswith("no microphone: ALSA cannot open 'audioguide_no_such_mic' for capture (")
    assert "\n" not in message
