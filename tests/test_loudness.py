"""Loudness: BS.1770 integrated loudness, true peak and the window filters of the limiter."""

from __future__ import annotations

import numpy as np
import pytest

from audioguide.loudness import measure, moving_mean, moving_min
from audioguide.pcm import FULL_SCALE as FS
from audioguide.pcm import SAMPLE_RATE


def tone(freq: float, ms: int, peak_dbfs: float) -> np.ndarray:
    t = np.arange(ms * SAMPLE_RATE // 1000) / SAMPLE_RATE
    return np.rint(np.sin(2 * np.pi * freq * t + 0.5) * FS * 10 ** (peak_dbfs / 20)).astype(np.int16)


def test_measure_a_sine():
    # BS.1770: a 997 Hz sine peaking at 0 dBFS reads -3.01 LUFS in mono.
    lufs, peak = measure(tone(997, 3000, -10), SAMPLE_RATE)
    assert lufs == pytest.approx(-13.01, abs=0.1)
    assert peak == pytest.approx(-10, abs=0.1)


def test_measure_silence_and_a_too_short_signal():
    assert measure(np.zeros(2 * SAMPLE_RATE, np.int16), SAMPLE_RATE) == (-np.inf, -np.inf)
    assert measure(np.zeros(0, np.int16), SAMPLE_RATE) == (-np.inf, -np.inf)
    lufs, peak = measure(tone(440, 300, -6), SAMPLE_RATE)  # shorter than one gating block
    assert lufs == -np.inf and peak == pytest.approx(-6, abs=0.2)


def test_true_peak_sees_between_the_samples():
    # A quarter-rate sine sampled at +-45 degrees: the samples miss the crest by 3 dB.
    n = np.arange(SAMPLE_RATE)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4) * FS * 10 ** (-6 / 20)
    ramp = np.sin(np.linspace(0, np.pi / 2, 441)) ** 2  # no edge overshoot
    x[:441] *= ramp
    x[-441:] *= ramp[::-1]
    x = np.rint(x).astype(np.int16)
    assert 20 * np.log10(np.abs(x).max() / FS) == pytest.approx(-9, abs=0.1)
    assert measure(x, SAMPLE_RATE)[1] == pytest.approx(-6, abs=0.1)


def test_window_filters_equal_scipy_ndimage():
    """The numpy window filters are scipy.ndimage's, without its 0.3 s import."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    rng = np.random.default_rng(7)
    for _ in range(100):
        x = rng.random(int(rng.integers(1, 3000)))
        size = int(rng.integers(1, 400))
        origin = int(rng.integers(0, size)) - size // 2
        assert np.array_equal(moving_min(x, size, origin, "constant", 1.0),
                              minimum_filter1d(x, size, origin=origin, mode="constant", cval=1.0))
        box = int(rng.integers(1, 300))
        np.testing.assert_allclose(moving_mean(x, box, (box - 1) // 2, "nearest"),
                                   uniform_filter1d(x, box, origin=(box - 1) // 2, mode="nearest"), rtol=1e-9)
        np.testing.assert_allclose(moving_mean(x, box), uniform_filter1d(x, box), rtol=1e-9)
