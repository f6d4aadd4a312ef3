"""Generated chimes: exact lengths, clean edges, balanced levels, distinct shapes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from audioguide import sounds
from audioguide.errors import MixError
from audioguide.mixer import SAMPLE_RATE, TARGET_LUFS, measure, ms_to_samples
from audioguide.script import CHIME_MS

KINDS = list(CHIME_MS)
FS = 32768  # int16 full scale
SIGNALS = [k for k in KINDS if k != "tick"]


def loudness(x: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Integrated loudness, the tick padded to the one 400 ms block a meter sees it in."""
    return measure(np.pad(x, (0, max(0, ms_to_samples(400, rate) - len(x)))), rate)[0]


def envelope(x: np.ndarray, frame_ms: int = 10) -> np.ndarray:
    """RMS of consecutive frames."""
    n = ms_to_samples(frame_ms)
    frames = x[: len(x) // n * n].astype(float).reshape(-1, n)
    return np.sqrt(np.mean(frames**2, axis=1))


def strikes(x: np.ndarray) -> list[int]:
    """Start (ms) of each strike: the level rising by 3.5 dB within 30 ms."""
    env = envelope(np.concatenate([np.zeros(ms_to_samples(100), np.int16), x]))
    loud = env > 0.1 * env.max()
    rising = [i for i in range(3, len(env)) if loud[i] and env[i] > 1.5 * env[i - 3]]
    starts = [i for j, i in enumerate(rising) if j == 0 or i - rising[j - 1] > 5]
    return [(i - 10) * 10 for i in starts]


def pitch_hz(x: np.ndarray, at_ms: int, length_ms: int = 60) -> float:
    """Strongest frequency in a window."""
    part = x[ms_to_samples(at_ms) : ms_to_samples(at_ms + length_ms)].astype(float)
    padded = np.pad(part * np.hanning(len(part)), (0, 8192))
    return float(np.fft.rfftfreq(len(padded), 1 / SAMPLE_RATE)[np.abs(np.fft.rfft(padded)).argmax()])


def ring_ms(x: np.ndarray) -> int:
    """How long the sound stays within 30 dB of its loudest 10 ms."""
    env = envelope(x)
    return int(np.count_nonzero(env > env.max() * 10 ** (-30 / 20)) * 10)


def centroid_hz(x: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(x.astype(float))) ** 2
    return float((power * np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)).sum() / power.sum())


@pytest.mark.parametrize("rate", [8000, 16000, SAMPLE_RATE, 44100, 48000])
@pytest.mark.parametrize("kind", KINDS)
def test_exact_length_at_any_rate(kind, rate):
    x = sounds.render(kind, rate)
    assert x.dtype == np.int16 and x.ndim == 1
    assert len(x) == ms_to_samples(CHIME_MS[kind], rate)


@pytest.mark.parametrize("kind", KINDS)
def test_soft_attack_and_clean_end(kind):
    x = sounds.render(kind).astype(int)
    assert x[0] == 0 and x[-1] == 0
    peak = np.abs(x).max()
    # Rises from silence over milliseconds rather than jumping in,
    assert np.abs(x[: ms_to_samples(1) // 2]).max() < 0.1 * peak
    # and has faded to almost nothing over its last 5 ms.
    assert np.abs(x[-ms_to_samples(5) :]).max() < 0.01 * peak


@pytest.mark.parametrize("kind", SIGNALS)
def test_signals_sit_3_to_6_lu_under_the_voice(kind):
    assert TARGET_LUFS - 6 <= loudness(sounds.render(kind)) <= TARGET_LUFS - 3


def test_the_tick_is_much_softer():
    softest_signal = min(loudness(sounds.render(k)) for k in SIGNALS)
    assert loudness(sounds.render("tick")) <= softest_signal - 8


@pytest.mark.parametrize("kind", KINDS)
def test_true_peak_under_minus_3_dbtp(kind):
    assert measure(sounds.render(kind), SAMPLE_RATE)[1] < -3.0


@pytest.mark.parametrize("rate", [16000, 48000])
@pytest.mark.parametrize("kind", KINDS)
def test_levels_hold_at_other_rates(kind, rate):
    expected = loudness(sounds.render(kind))
    assert loudness(sounds.render(kind, rate), rate) == pytest.approx(expected, abs=0.1)


def test_step_is_two_rising_strikes():
    x = sounds.render("step")
    first, second = strikes(x)
    assert pitch_hz(x, second + 20) > pitch_hz(x, first + 20) * 1.3


def test_hold_is_one_short_note():
    x = sounds.render("hold")
    assert len(strikes(x)) == 1
    assert ring_ms(x) < 600


def test_release_is_one_falling_note():
    x = sounds.render("release")
    assert len(strikes(x)) == 1
    assert pitch_hz(x, 300, 200) < pitch_hz(x, 10, 40) * 0.85


def test_tick_is_a_short_high_tap():
    x = sounds.render("tick")
    assert len(strikes(x)) == 1
    assert ring_ms(x) <= 60
    assert centroid_hz(x) > 1000


def test_end_is_three_bell_strikes_ringing_out():
    x = sounds.render("end")
    assert len(strikes(x)) == 3
    assert ring_ms(x) > 2500


def test_every_sound_is_distinct():
    def features(kind: str) -> tuple[int, float, float, int]:
        x = sounds.render(kind)
        return len(strikes(x)), pitch_hz(x, 10), centroid_hz(x), ring_ms(x)

    semitone = 2 ** (1 / 12)
    for a, b in itertools.combinations(KINDS, 2):
        (na, pa, ca, ra), (nb, pb, cb, rb) = features(a), features(b)
        assert (
            na != nb  # a different number of strikes,
            or max(pa, pb) / min(pa, pb) > semitone  # a different first note,
            or max(ca, cb) / min(ca, cb) > 1.25  # a different brightness,
            or max(ra, rb) / min(ra, rb) > 1.5  # or a clearly different length of ring
        ), f"{a} and {b} sound alike"


def test_deterministic_cached_and_read_only():
    first = sounds.render("step")
    assert sounds.render("step") is first
    sounds.render.cache_clear()
    again = sounds.render("step")
    assert again is not first and np.array_equal(again, first)
    with pytest.raises(ValueError):
        again[0] = 1


def test_unknown_kind():
    with pytest.raises(MixError, match="gong"):
        sounds.render("gong")


@pytest.mark.parametrize("kind", list(CHIME_MS))
def test_shipped_chime_gains_match_a_fresh_measurement(kind):
    """render() uses measured gains at SAMPLE_RATE; they must equal what measuring gives now."""
    from audioguide.sounds import _MEASURED_GAIN_DB, level_gain_db

    fresh = sounds.render(kind, SAMPLE_RATE + 1)  # another rate: measured on the spot
    assert len(fresh) == ms_to_samples(CHIME_MS[kind], SAMPLE_RATE + 1)
    pcm = sounds.render(kind)
    x = pcm.astype(np.float64) * 10 ** (-_MEASURED_GAIN_DB[kind] / 20)
    assert level_gain_db(kind, x, SAMPLE_RATE) == pytest.approx(_MEASURED_GAIN_DB[kind], abs=0.01)


def test_the_heard_earcon_is_short_soft_and_rising():
    from audioguide.sounds import EARCON_MS, earcon

    x = earcon("heard")
    assert len(x) == ms_to_samples(EARCON_MS["heard"])
    assert loudness(x) == pytest.approx(-27.0, abs=0.3)  # well under the voice and the chimes
    assert x[0] == 0 and x[-1] == 0
    second = ms_to_samples(80)
    assert envelope(x[second - ms_to_samples(20): second + ms_to_samples(20)]).max() > 0  # two taps
    with pytest.raises(MixError, match="unknown earcon 'bong'"):
        earcon("bong")


def test_shipped_earcon_gain_matches_a_fresh_measurement():
    from audioguide.sounds import _MEASURED_GAIN_DB, earcon, level_gain_db

    x = earcon("heard").astype(np.float64) * 10 ** (-_MEASURED_GAIN_DB["heard"] / 20)
    assert level_gain_db("heard", x, SAMPLE_RATE) == pytest.approx(_MEASURED_GAIN_DB["heard"], abs=0.01)
