"""The mixer: segment preparation, exact cue lengths, click-free joins, the voice's loudness.

Pydub-style: signals are generated (tones, speech-like noise bursts, silence)
and checked on length, RMS, dBFS and LUFS within a tolerance; no golden files.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import wave
import zlib

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from audioguide import engines, sounds
from audioguide.engines import piper_engine
from audioguide.engines.base import Speech
from audioguide.errors import MixError
from audioguide.loudness import TARGET_LUFS, TRUE_PEAK_CEILING_DBTP, measure
from audioguide.mixer import (
    FADE_MS,
    LEAD_PAD_MS,
    REFERENCE_GAP_MS,
    REFERENCE_PASSAGE,
    TAIL_PAD_MS,
    Timeline,
    mix,
    prepare_speech,
    speech_ms,
    voice_gain_db,
)
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.render import CueTimes, render_span
from audioguide.script import CHIME_MS, Chapter, Chime, Cue, Pause, Say, Script, relay

FS = 32768  # int16 full scale

LEAD = ms_to_samples(LEAD_PAD_MS)
TAIL = ms_to_samples(TAIL_PAD_MS)
FADE = ms_to_samples(FADE_MS)

#: Largest sample-to-sample step allowed where two cues meet: 0.05 of full
#: scale (-26 dBFS). A step that size into silence is a plainly audible tick,
#: while a faded join steps by ~0 (both sides are digital silence) and a hard
#: cut of the test voice steps by its level, 0.3-0.9 of full scale: the bound
#: separates the two with a wide margin on either side (see the control below).
MAX_JOIN_STEP = 0.05 * FS


# -- generated signals --------------------------------------------------------


def silence(ms: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    return np.zeros(ms_to_samples(ms, rate), np.int16)


def tone(freq: float, ms: int, peak_dbfs: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A sine at ``freq`` that starts and stops abruptly (the worst case for clicks)."""
    t = np.arange(ms_to_samples(ms, rate)) / rate
    return np.rint(np.sin(2 * np.pi * freq * t + 0.5) * FS * 10 ** (peak_dbfs / 20)).astype(np.int16)


def voice_like(ms: int, peak_dbfs: float, seed: int = 0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A speech-like burst: voice-band noise shaped into ~4 syllables a second."""
    rng = np.random.default_rng(seed)
    n = ms_to_samples(ms, rate)
    noise = sosfilt(butter(2, (150, 4000), "bandpass", fs=rate, output="sos"), rng.standard_normal(n))
    t = np.arange(n) / rate
    syllables = np.clip(np.sin(2 * np.pi * 3.7 * t - np.pi / 2) + 0.3, 0, None) ** 1.5
    x = noise * syllables
    return np.rint(x * FS * 10 ** (peak_dbfs / 20) / np.abs(x).max()).astype(np.int16)


def utterance(lead_ms: int, body: np.ndarray, tail_ms: int, rate: int = SAMPLE_RATE) -> Speech:
    """``body`` as an engine returns it: wrapped in its own silence."""
    return Speech(np.concatenate([silence(lead_ms, rate), body, silence(tail_ms, rate)]), rate)


def locate(part: np.ndarray, whole: np.ndarray) -> int:
    """Where ``part`` occurs, sample for sample, in ``whole``."""
    k = int(np.abs(part).argmax())
    for at in np.flatnonzero(whole == part[k]) - k:
        if at >= 0 and np.array_equal(whole[at : at + len(part)], part):
            return int(at)
    raise AssertionError("not found sample for sample")


def rms_dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) / FS))


def dominant_hz(x: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


def lay(cues: list[Cue], speech: dict[str, np.ndarray]) -> Script:
    """A script of ``cues`` laid end to end, speech and chimes at their real lengths."""

    def duration(cue: Cue) -> int:
        if isinstance(cue, Say):
            return speech_ms(speech[cue.text])
        if isinstance(cue, Chime):
            return CHIME_MS[cue.kind]
        return cue.duration_ms

    return relay(Script("test", "Test", tuple(cues), timing="measured"), duration)


# -- speech_ms ----------------------------------------------------------------


def test_speech_ms_is_the_shortest_span_that_always_fits():
    for n in [0, 1, 21, 22, 23, 441, 442, 22050, 22051, 99_999]:
        ms = speech_ms(np.zeros(n, np.int16))
        assert ms_to_samples(ms) >= n
        assert ms == 0 or ms_to_samples(ms - 1) < n
        # Wherever the cue starts, its span of samples holds the segment.
        assert all(ms_to_samples(s + ms) - ms_to_samples(s) >= n for s in range(0, 40))


# -- prepare_speech -----------------------------------------------------------


def test_trim_puts_back_the_same_pad_whatever_the_engine_silence():
    body = voice_like(1500, -6)
    prepared = [
        prepare_speech(utterance(lead, body, tail), 0.0)
        for lead, tail in [(20, 10), (300, 450), (1234, 77)]
    ]
    assert all(np.array_equal(p, prepared[0]) for p in prepared)
    p = prepared[0]
    assert p.dtype == np.int16
    # The pads are digital silence apart from the fades laid over the quiet run-up.
    assert not p[: LEAD - FADE].any() and not p[len(p) - TAIL + FADE :].any()
    # The sound starts a few ms after the lead pad and ends a few ms before the tail pad.
    loud = np.flatnonzero(np.abs(p) > FS * 10 ** (-40 / 20))
    assert LEAD_PAD_MS <= loud[0] * 1000 / SAMPLE_RATE <= LEAD_PAD_MS + 8
    assert TAIL_PAD_MS <= (len(p) - loud[-1]) * 1000 / SAMPLE_RATE <= TAIL_PAD_MS + 8


def test_trim_ignores_a_noise_floor_far_below_the_voice():
    rng = np.random.default_rng(1)
    body = voice_like(1200, -6)  # under the limiter ceiling: only the trim is under test

    def with_hiss(lead_ms: int) -> Speech:
        s = utterance(lead_ms, body, 400)
        hiss = rng.integers(-3, 4, len(s.samples))  # about -80 dBFS
        return Speech((s.samples + hiss).astype(np.int16), s.sample_rate)

    a, b = prepare_speech(with_hiss(90), 0.0), prepare_speech(with_hiss(700), 0.0)
    assert len(a) == len(b)
    inner = slice(LEAD + FADE, len(a) - TAIL - FADE)
    assert np.abs(a[inner].astype(int) - b[inner]).max() <= 6  # only the hiss differs


def test_the_soft_ends_of_words_are_kept():
    # A fricative-like ending 35 dB under the vowel is speech, not silence.
    vowel, ending = voice_like(600, -3, seed=2), tone(4000, 300, -38)
    p = prepare_speech(utterance(200, np.concatenate([vowel, ending]), 300), 0.0)
    kept = p[LEAD : len(p) - TAIL]
    assert len(kept) >= ms_to_samples(840)  # the vowel's syllable envelope starts ~55 ms in
    assert rms_dbfs(kept[-ms_to_samples(250) :]) == pytest.approx(-38 - 3.01, abs=0.5)


@pytest.mark.parametrize("rate", [16000, 24000, 44100])
def test_other_sample_rates_are_resampled(rate):
    p = prepare_speech(utterance(200, tone(1000, 500, -6, rate), 200, rate), 0.0)
    assert abs(len(p) - (LEAD + ms_to_samples(500) + TAIL)) <= ms_to_samples(10)
    inner = p[LEAD + FADE * 2 : len(p) - TAIL - FADE * 2]
    assert dominant_hz(inner) == pytest.approx(1000, abs=3)
    assert rms_dbfs(inner) == pytest.approx(-6 - 3.01, abs=0.1)


@pytest.mark.parametrize("gain_db", [-12.0, -3.0, 4.5])
def test_gain_is_applied_exactly_below_the_ceiling(gain_db):
    speech = utterance(100, voice_like(1000, -12), 100)
    p, unity = prepare_speech(speech, gain_db), prepare_speech(speech, 0.0)
    assert len(p) == len(unity)
    assert np.abs(p - unity * 10 ** (gain_db / 20)).max() <= 1  # rounding only
    assert rms_dbfs(p) - rms_dbfs(unity) == pytest.approx(gain_db, abs=0.01)


def test_limiter_leaves_a_quiet_segment_untouched():
    body = voice_like(2000, -6)  # true peak well under the ceiling
    assert measure(body, SAMPLE_RATE)[1] < TRUE_PEAK_CEILING_DBTP - 0.5
    speech = utterance(100, body, 100)
    p = prepare_speech(speech, 0.0)
    # Between the pads, sample for sample the engine's audio.
    locate(p[LEAD : len(p) - TAIL], speech.samples)


@pytest.mark.parametrize("seed", range(4))
def test_limiter_holds_the_true_peak_of_a_hot_segment(seed):
    p = prepare_speech(utterance(100, voice_like(3000, -0.1, seed=seed), 100), 9.0)
    assert measure(p, SAMPLE_RATE)[1] <= TRUE_PEAK_CEILING_DBTP


def test_limiter_is_a_smooth_local_gain_not_clipping():
    # A steady -12 dBFS tone with one 30 ms burst near full scale, like a plosive.
    body = tone(220, 3000, -12)
    burst = slice(ms_to_samples(1500), ms_to_samples(1530))
    body[burst] = tone(220, 3000, -0.2)[burst]
    speech = utterance(100, body, 100)
    hot, reference = prepare_speech(speech, 0.0), prepare_speech(speech, -14.0)
    assert measure(hot, SAMPLE_RATE)[1] <= TRUE_PEAK_CEILING_DBTP
    # The limiter's gain, read against the unlimited reference where it is
    # large enough to divide by without rounding noise.
    at = np.flatnonzero(np.abs(reference) > 1000)
    gain = hot[at] / (reference[at] * 10 ** (14 / 20))
    near = np.abs(at - np.abs(reference).argmax()) < ms_to_samples(150)
    assert np.abs(gain[~near] - 1).max() < 0.002  # untouched away from the burst,
    assert gain[near].min() == pytest.approx(10 ** ((TRUE_PEAK_CEILING_DBTP + 0.2) / 20), abs=0.01)
    # ...and reached along a smooth curve: a clip would change it by ~0.1 within a sample.
    assert np.abs(np.diff(gain) / np.diff(at)).max() < 0.003


def test_abrupt_engine_audio_is_faded_into_silent_pads():
    p = prepare_speech(Speech(tone(300, 800, -2), SAMPLE_RATE), 0.0)
    assert not p[:LEAD].any() and not p[len(p) - TAIL :].any()
    # The first and last half millisecond of sound step out of silence gently.
    half_ms = ms_to_samples(1) // 2
    fade_in = p[LEAD - 1 : LEAD + half_ms].astype(int)
    fade_out = p[len(p) - TAIL - half_ms : len(p) - TAIL + 1].astype(int)
    assert np.abs(np.diff(fade_in)).max() < MAX_JOIN_STEP
    assert np.abs(np.diff(fade_out)).max() < MAX_JOIN_STEP


@pytest.mark.parametrize("samples", [np.zeros(0, np.int16), np.zeros(5000, np.int16)])
def test_silent_speech_becomes_just_the_pads(samples):
    assert np.array_equal(prepare_speech(Speech(samples, SAMPLE_RATE), 0.0), np.zeros(LEAD + TAIL))


# -- render_span and mix -----------------------------------------------------


def render_cue(cue: Cue, speech: dict[str, np.ndarray]) -> np.ndarray:
    """The test's own placing of one cue: its sound (if any) at its first sample, silence after."""
    out = np.zeros(ms_to_samples(cue.end_ms) - ms_to_samples(cue.start_ms), np.int16)
    sound = speech[cue.text] if isinstance(cue, Say) else sounds.render(cue.kind) if isinstance(cue, Chime) else out[:0]
    out[: len(sound)] = sound[: len(out)]
    return out


def cue_times(script: Script, speech: dict[str, np.ndarray]) -> CueTimes:
    cues = CueTimes(speech)
    for cue in script:
        cues.add(cue)
    cues.finish()
    return cues


@pytest.fixture(scope="module")
def voice() -> dict[str, np.ndarray]:
    """Three prepared segments of different lengths."""
    texts = {"Breathe in.": 700, "Press your thumb into the sole of your foot.": 2300, "Two.": 300}
    return {
        text: prepare_speech(utterance(150, voice_like(ms, -4, seed=i), 200), 0.0)
        for i, (text, ms) in enumerate(texts.items())
    }


@pytest.fixture(scope="module")
def session(voice) -> Script:
    """Every kind of cue, with pauses of awkward lengths so ms and samples disagree."""
    a, b, c = voice
    cues: list[Cue] = [Chapter(title="Start"), Chime(kind="step"), Say(text=b)]
    for i, kind in enumerate(CHIME_MS):
        cues += [Pause(duration_ms=7 + 13 * i), Chime(kind=kind), Say(text=c), Pause(duration_ms=1)]
    cues += [Chapter(title="Then"), Say(text=a), Say(text=a), Chime(kind="hold")]
    cues += [Pause(duration_ms=1001, flexible=True), Chime(kind="release"), Chime(kind="end")]
    return lay(cues, voice)


def test_every_cue_renders_to_its_exact_span(session, voice):
    cues = cue_times(session, voice)
    for cue in session:
        out = render_span(cues, ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms))
        assert out.dtype == np.int16
        assert len(out) == ms_to_samples(cue.end_ms) - ms_to_samples(cue.start_ms)
        if isinstance(cue, (Pause, Chapter)):
            assert not out.any()
        elif isinstance(cue, Say):
            seg = voice[cue.text]
            assert np.array_equal(out[: len(seg)], seg) and not out[len(seg) :].any()
        else:
            assert np.array_equal(out[: len(sounds.render(cue.kind))], sounds.render(cue.kind))


def test_mix_equals_the_cues_rendered_one_by_one(session, voice):
    timeline = mix(session, voice)
    assert isinstance(timeline, Timeline)
    assert timeline.sample_rate == SAMPLE_RATE and timeline.script is session
    assert timeline.duration_ms == session.total_ms
    assert len(timeline.samples) == ms_to_samples(session.total_ms)
    assert np.array_equal(timeline.samples, np.concatenate([render_cue(c, voice) for c in session]))


@pytest.mark.parametrize("size", [13, 1000, 4409, 22050, 99_991])
def test_spans_of_any_size_join_into_the_whole_mix(session, voice, size):
    cues = cue_times(session, voice)
    parts = [render_span(cues, a, min(a + size, cues.end)) for a in range(0, cues.end, size)]
    assert np.array_equal(np.concatenate(parts), mix(session, voice).samples)


def test_spans_cut_on_and_beside_every_cue_edge_join_into_the_whole_mix(session, voice):
    cues = cue_times(session, voice)
    rng = np.random.default_rng(3)
    cuts = {0, cues.end}
    for edge in cues.starts:
        cuts.update(min(max(edge + d, 0), cues.end) for d in (-1, 0, 1))  # one sample either side of a join
    cuts.update(int(x) for x in rng.integers(0, cues.end, 40))
    bounds = sorted(cuts)
    parts = [render_span(cues, a, b) for a, b in zip(bounds, bounds[1:])]
    assert np.array_equal(np.concatenate(parts), mix(session, voice).samples)
    with pytest.raises(MixError, match="known cues end"):
        render_span(cues, 0, cues.end + 1)


def test_pauses_are_exact_to_the_sample(voice):
    text = "Two."
    pauses = [1, 2, 3, 7, 10, 333, 1001, 2999]
    cues: list[Cue] = [Say(text=text)]
    for ms in pauses:
        cues += [Pause(duration_ms=ms), Say(text=text)]
    script = lay(cues, voice)
    samples = mix(script, voice).samples
    says = [c for c in script if isinstance(c, Say)]
    seg = voice[text]
    for cue in says:  # each segment starts at exactly its cue's sample offset
        at = ms_to_samples(cue.start_ms)
        assert np.array_equal(samples[at : at + len(seg)], seg)
    for cue in (c for c in script if isinstance(c, Pause)):
        span = samples[ms_to_samples(cue.start_ms) : ms_to_samples(cue.end_ms)]
        assert len(span) == ms_to_samples(cue.end_ms) - ms_to_samples(cue.start_ms)
        assert not span.any()
    expected = sum(speech_ms(seg) for _ in says) + sum(pauses)
    assert len(samples) == ms_to_samples(expected)


def test_no_click_where_cues_meet():
    # Engine audio that starts and stops mid-waveform at a high level, around
    # every kind of chime and some very short pauses.
    raw = {
        "Low.": Speech(tone(180, 900, -1), SAMPLE_RATE),
        "High.": Speech(tone(1700, 600, -3), SAMPLE_RATE),
        "Noise.": Speech(voice_like(700, -1, seed=4), SAMPLE_RATE),
    }
    voice = {text: prepare_speech(s, 3.0) for text, s in raw.items()}
    cues: list[Cue] = []
    for kind in CHIME_MS:
        for text in raw:
            cues += [Say(text=text), Chime(kind=kind), Say(text=text), Pause(duration_ms=3)]
    script = lay(cues, voice)
    samples = mix(script, voice).samples.astype(int)
    boundaries = {ms_to_samples(c.start_ms) for c in script.cues[1:]}
    worst = max(np.abs(np.diff(samples[b - 3 : b + 3])).max() for b in boundaries)
    assert worst < MAX_JOIN_STEP

    # Control: joining the engine's raw audio end to end is caught by the same bound.
    naive = np.concatenate([raw[c.text].samples for c in cues if isinstance(c, Say)]).astype(int)
    edges = np.cumsum([len(raw[c.text].samples) for c in cues if isinstance(c, Say)])[:-1]
    assert max(abs(naive[e] - naive[e - 1]) for e in edges) > 4 * MAX_JOIN_STEP


def test_missing_speech_names_the_text(voice):
    script = lay([Say(text="Two.")], voice)
    with pytest.raises(MixError, match="Two"):
        mix(script, {})
    with pytest.raises(MixError, match="Two"):
        render_span(cue_times(script, {}), 0, 10)


def test_a_short_cue_may_only_lose_silence(voice):
    seg = voice["Two."]
    sound_ms = len(np.trim_zeros(seg, "b")) * 1000 // SAMPLE_RATE + 1
    fits = relay(Script("t", "T", (Say(text="Two."),)), lambda c: sound_ms)
    out = mix(fits, voice).samples
    assert np.array_equal(out, seg[: len(out)])
    too_short = relay(Script("t", "T", (Say(text="Two."),)), lambda c: sound_ms - 20)
    with pytest.raises(MixError, match="Two"):
        mix(too_short, voice)
    short_chime = relay(Script("t", "T", (Chime(kind="step"),)), lambda c: CHIME_MS["step"] - 100)
    with pytest.raises(MixError, match="step chime"):
        mix(short_chime, voice)


def test_cues_must_be_laid_end_to_end(voice):
    gap = (Pause(start_ms=0, duration_ms=100), Pause(start_ms=150, duration_ms=100))
    script = Script("t", "T", gap)
    with pytest.raises(MixError, match="end to end"):
        mix(script, voice)


def test_timeline_samples_are_read_only(session, voice):
    timeline = mix(session, voice)
    with pytest.raises(ValueError):
        timeline.samples[0] = 1


# -- loudness -----------------------------------------------------------------


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_measure_agrees_with_ffmpeg_ebur128(tmp_path, voice, session):
    samples = mix(session, voice).samples
    path = tmp_path / "session.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.tobytes())
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path)]
        + ["-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    ffmpeg_lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    ffmpeg_peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    lufs, peak = measure(samples, SAMPLE_RATE)
    assert lufs == pytest.approx(ffmpeg_lufs, abs=0.5)
    assert peak == pytest.approx(ffmpeg_peak, abs=0.5)


class FakeVoice:
    """Speaks noise bursts as long as the text, with the engine's own silences
    and sentence-to-sentence level changes, at a chosen peak level."""

    def __init__(self, peak_dbfs: float, rate: int = SAMPLE_RATE):
        self.peak_dbfs, self.rate, self.spoken = peak_dbfs, rate, []

    def __call__(self, text: str) -> Speech:
        self.spoken.append(text)
        seed = zlib.crc32(text.encode())
        level = self.peak_dbfs - seed % 4  # 0-3 dB quieter, sentence by sentence
        body = voice_like(60 * len(text), level, seed=seed, rate=self.rate)
        return utterance(180, body, 260, self.rate)


@pytest.mark.parametrize(("peak_dbfs", "rate"), [(-20, 22050), (-6, 22050), (0, 22050), (-3, 24000)])
def test_voice_gain_puts_the_reference_passage_at_the_target(peak_dbfs, rate):
    speak = FakeVoice(peak_dbfs, rate)
    gain = voice_gain_db(speak)
    assert speak.spoken == list(REFERENCE_PASSAGE)  # one call per sentence
    # Mix the passage as a session would: same gain for every sentence, pauses between.
    voice = {text: prepare_speech(speak(text), gain) for text in REFERENCE_PASSAGE}
    cues: list[Cue] = []
    for text in REFERENCE_PASSAGE:
        cues += [Say(text=text), Pause(duration_ms=REFERENCE_GAP_MS)]
    lufs, peak = measure(mix(lay(cues[:-1], voice), voice).samples, SAMPLE_RATE)
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.5)
    assert peak <= TRUE_PEAK_CEILING_DBTP


@pytest.mark.piper
def test_the_neural_voice_lands_on_the_target():
    if not piper_engine.is_installed():
        pytest.skip("piper is not installed")
    engine = engines.get("piper")
    voice = engine.default_voice()
    speak = functools.cache(lambda text: engine.synthesize(text, voice=voice, pace=1.0))
    gain = voice_gain_db(speak)
    passage = np.concatenate([
        np.concatenate([prepare_speech(speak(text), gain), silence(REFERENCE_GAP_MS)])
        for text in REFERENCE_PASSAGE
    ])
    lufs, peak = measure(passage, SAMPLE_RATE)
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.5)
    assert peak <= TRUE_PEAK_CEILING_DBTP


def test_a_silent_voice_cannot_be_levelled():
    with pytest.raises(MixError, match="silence"):
        voice_gain_db(lambda text: Speech(np.zeros(22050, np.int16), SAMPLE_RATE))
