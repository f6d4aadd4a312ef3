"""Spoken-text rules and calm pauses, measured on real synthesized audio (piper and espeak-ng)."""

from __future__ import annotations

import numpy as np
import pytest

from audioguide import engines, mixer
from audioguide.cache import SpeechCache
from audioguide.engines import piper_engine
from audioguide.spoken import PHRASE_GAP_MS, SENTENCE_GAP_MS
from audioguide.synth import make_synthesizer

ENGINES = [pytest.param("piper", marks=pytest.mark.piper), "pyttsx3"]

#: One line per rule of README's normalization table, and the same words written plainly.
RULES = [
    ("emoji", "Relax 😊 now.", "Relax now."),
    ("number", "Take 5 deep breaths.", "Take five deep breaths."),
    ("ordinal", "This is your 2nd set.", "This is your second set."),
    ("fraction", "Come up ¾ of the way.", "Come up three quarters of the way."),
    ("range", "Stretch for 1-2 minutes.", "Stretch for one to two minutes."),
    ("multiplier", "Repeat 3x.", "Repeat three times."),
    ("sets", "Squats 3x10.", "Squats three sets of ten."),
    ("clock duration", "Rest 1:30 between rounds.", "Rest one minute thirty seconds between rounds."),
    ("time of day", "Stop screens by 9pm.", "Stop screens by nine P M."),
    ("unit s", "Hold for 30s.", "Hold for thirty seconds."),
    ("unit sec", "Rest 15 sec.", "Rest fifteen seconds."),
    ("unit min", "Walk for 5 - 10 min.", "Walk for five to ten minutes."),
    ("degrees", "Turn your foot 90°.", "Turn your foot ninety degrees."),
    ("percent", "Work at 70% effort.", "Work at seventy percent effort."),
    ("w", "Walk out w push up.", "Walk out with push up."),
    ("w/", "Squat w/ a pause at the bottom.", "Squat with a pause at the bottom."),
    ("L/R", "Stretch L/R.", "Stretch left and right."),
    ("e.g.", "Use a prop, e.g. a pillow.", "Use a prop, for example a pillow."),
    ("approx.", "Hold approx. 20 sec.", "Hold approximately twenty seconds."),
    ("capitals", "Roll your neck SLOWLY.", "Roll your neck slowly."),
    ("curly apostrophe", "You’re doing great.", "You're doing great."),
    ("backtick", "Don`t hold your breath.", "Don't hold your breath."),
    ("quotes", "Say “relax” to yourself.", "Say relax to yourself."),
    ("dash", "Feel the stretch — don't force it.", "Feel the stretch, don't force it."),
    ("ellipsis", "Breathe in... and out.", "Breathe in, and out."),
    ("arrow", "Inhale → hold → exhale.", "Inhale, hold, exhale."),
]


@pytest.fixture(scope="module", params=ENGINES)
def synth(request, tmp_path_factory):
    return make_synthesizer(request.param, cache=SpeechCache(tmp_path_factory.mktemp("speech")))


def _ms(synth, text: str) -> int:
    """Length of ``text`` as it lands in a mix (prepared: trimmed and padded as every cue)."""
    return mixer.speech_ms(mixer.prepare_speech(synth.speak(text), 0.0))


def _silences_ms(samples: np.ndarray, rate: int) -> list[int]:
    """Lengths of the quiet runs inside ``samples`` (10 ms blocks 40 dB under the loudest)."""
    block = rate // 100
    n = len(samples) // block
    power = (samples[: n * block].astype(np.float64) ** 2).reshape(n, block).mean(axis=1)
    quiet = power < power.max() * 1e-4
    runs, length = [], 0
    loud = np.flatnonzero(~quiet)
    for q in quiet[loud[0] : loud[-1] + 1]:
        if q:
            length += 1
        elif length:
            runs.append(length * 10)
            length = 0
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("rule,written,plain", RULES, ids=[r[0] for r in RULES])
def test_a_written_line_lasts_as_long_as_its_plain_words(synth, rule, written, plain):
    assert synth.spoken(written) == synth.spoken(plain)
    assert _ms(synth, written) == pytest.approx(_ms(synth, plain), abs=40)


def test_the_raw_engine_would_read_the_emoji_aloud(synth):
    """What the rule fixes, measured: the engine alone says the emoji's name (about a second longer)."""
    raw = synth.engine.synthesize("Relax 😊 now.", voice=synth.voice, pace=1.0)
    plain = synth.engine.synthesize("Relax now.", voice=synth.voice, pace=1.0)
    assert raw.duration_ms > plain.duration_ms + 700
    assert _ms(synth, "Relax 😊 now.") == pytest.approx(_ms(synth, "Relax now."), abs=40)


def test_an_ellipsis_is_a_pause_the_voice_really_makes(synth):
    with_pause = synth.speak("Breathe in... and out.")
    without = synth.speak("Breathe in and out.")
    assert max(_silences_ms(with_pause.samples, with_pause.sample_rate)) >= 0.6 * PHRASE_GAP_MS
    assert max(_silences_ms(without.samples, without.sample_rate), default=0) < 0.6 * PHRASE_GAP_MS


def test_sentences_of_one_line_are_apart_by_the_sentence_gap(synth):
    speech = synth.speak("Relax your shoulders. Breathe out slowly.")
    assert max(_silences_ms(speech.samples, speech.sample_rate)) == pytest.approx(SENTENCE_GAP_MS, abs=80)


@pytest.mark.parametrize("engine", ENGINES)
def test_pace_scales_the_pauses_too(engine, tmp_path):
    fast = make_synthesizer(engine, pace=1.25, cache=SpeechCache(tmp_path))
    speech = fast.speak("Relax your shoulders. Breathe out slowly.")
    assert max(_silences_ms(speech.samples, speech.sample_rate)) == pytest.approx(SENTENCE_GAP_MS / 1.25, abs=80)


@pytest.mark.piper
def test_piper_pauses_longer_at_a_comma_inside_one_sentence_and_stays_deterministic():
    engine = engines.get("piper")
    voice = engine.default_voice()
    text = "Now lift your right foot, and rest it over your opposite knee."
    longer = engine.synthesize(text, voice=voice, pace=1.0)
    assert np.array_equal(longer.samples, engine.synthesize(text, voice=voice, pace=1.0).samples)
    tokens, piper_engine.COMMA_PAUSE_TOKENS = piper_engine.COMMA_PAUSE_TOKENS, 0
    try:
        plain = engine.synthesize(text, voice=voice, pace=1.0)
    finally:
        piper_engine.COMMA_PAUSE_TOKENS = tokens
    comma, natural = (max(_silences_ms(s.samples, s.sample_rate)) for s in (longer, plain))
    assert comma >= natural + 150 and comma >= 0.6 * PHRASE_GAP_MS
    # only the pause grew: the words around it keep their length (within 3%)
    assert longer.duration_ms - comma == pytest.approx(plain.duration_ms - natural, rel=0.03)


@pytest.mark.piper
def test_piper_lines_with_pauses_are_bit_identical_on_repeat(tmp_path):
    one = make_synthesizer("piper", cache=SpeechCache(tmp_path / "a")).speak("Sit tall... Breathe in, and out. Relax.")
    two = make_synthesizer("piper", cache=SpeechCache(tmp_path / "b")).speak("Sit tall... Breathe in, and out. Relax.")
    assert np.array_equal(one.samples, two.samples)
