"""Loudness: BS.1770 integrated loudness, true peak, and the limiter that keeps speech under a ceiling.

Figures and rules: integrated loudness is ITU-R BS.1770 (pyloudnorm); true peak
is read at 4x oversampling as BS.1770-4 Annex 2 describes; the targets are the
usual spoken-word delivery levels for phones (about -19 LUFS mono, at most
-1 dBTP). The mixer, the chimes and the exporter's checks all measure here.
"""

from __future__ import annotations

import math

import numpy as np

from .pcm import FULL_SCALE, ms_to_samples

# pyloudnorm takes about 0.3 s to import and only measuring needs it: it is
# imported in ``measure``, so live playback of the bundled voices starts without it.

#: Integrated loudness of the voice in a mix (spoken word, mono, for phones).
TARGET_LUFS = -19.0

#: Highest true peak a prepared segment may reach: below the -1 dBTP delivery
#: limit, with room for the overshoot a lossy encoder adds (AAC at 64 kbps was
#: measured adding 1.0 dB on espeak-ng's bright voice; MP3 about 0.1 dB).
TRUE_PEAK_CEILING_DBTP = -2.5

#: The limiter's gain reaches each peak over an S-curve of twice this length
#: (10 ms): smooth enough not to be heard as distortion, quick enough for plosives.
LIMITER_ATTACK_MS = 5

#: How long the limiter holds its gain reduction after a peak before it
#: recovers, so that it does not pump between the syllables of one word.
LIMITER_HOLD_MS = 50

# True peak: 4x oversampling by a Kaiser-windowed sinc (beta 5) with 12 taps per
# in-between phase, the size of BS.1770-4's 48-tap example filter; flat within
# 0.02 dB up to 8 kHz at 22050 Hz.
_TP_HALF = 6
_TP_DISTANCE = np.array([[0.25], [0.5], [0.75]]) - np.arange(1 - _TP_HALF, _TP_HALF + 1)
_TP_PHASES = (
    np.sinc(_TP_DISTANCE) * np.i0(5.0 * np.sqrt(1 - (_TP_DISTANCE / _TP_HALF) ** 2)) / np.i0(5.0)
)
"""Row p interpolates x at n + (p+1)/4 from x[n-5], ..., x[n+6]."""


def measure(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of mono samples in int16 scale.

    Loudness is ITU-R BS.1770 (pyloudnorm), -inf for silence or audio shorter
    than one 400 ms gating block; true peak is read at 4x oversampling.
    """
    import pyloudnorm

    x = np.asarray(samples, dtype=np.float64) / FULL_SCALE
    meter = pyloudnorm.Meter(sample_rate)
    lufs = meter.integrated_loudness(x) if len(x) >= meter.block_size * sample_rate else -math.inf
    peak = true_peaks(x).max() if len(x) else 0.0
    with np.errstate(divide="ignore"):
        return float(lufs), float(20 * np.log10(peak))


def true_peaks(x: np.ndarray) -> np.ndarray:
    """Per sample n: the largest magnitude of x[n] and the 3 points oversampled after it."""
    if not len(x):
        return np.abs(x)
    padded = np.pad(x, (_TP_HALF - 1, _TP_HALF))
    # One 12-tap convolution per phase: about 3x faster than a matrix product over
    # a sliding window view (which BLAS cannot take), with the same values.
    peaks = np.abs(x)
    for phase in _TP_PHASES:
        np.maximum(peaks, np.abs(np.convolve(padded, phase[::-1], mode="valid")), out=peaks)
    return peaks


def limit(x: np.ndarray) -> np.ndarray:
    """``x`` under a smooth gain envelope that keeps its true peak at most the ceiling.

    The gain each sample needs is spread by a look-ahead minimum (back over the
    hold, forward over the attack) and smoothed by two box filters; every box
    only averages minima whose windows cover the sample, so the envelope never
    exceeds the gain a sample needs. Audio under the ceiling is returned as is.
    """
    # One LSB of headroom: rounding to int16 moves an oversampled point by up to
    # half an LSB times the interpolator's absolute tap sum (under 2).
    ceiling = FULL_SCALE * 10 ** (TRUE_PEAK_CEILING_DBTP / 20) - 1
    peaks = true_peaks(x)
    if peaks.max() <= ceiling:
        return x
    need = ceiling / np.maximum(peaks, ceiling)
    box = ms_to_samples(LIMITER_ATTACK_MS)
    # Minimum over [n - back, n + ahead]: back reaches one sample further than
    # the hold because the peak between n-1 and n is charged to n-1.
    back, ahead = ms_to_samples(LIMITER_HOLD_MS) + 1, 2 * box - 2
    size = back + ahead + 1
    gain = moving_min(need, size, origin=back - size // 2, mode="constant", cval=1.0)
    for _ in range(2):  # trailing boxes: each output averages the `box` minima up to it
        gain = moving_mean(gain, box, origin=(box - 1) // 2, mode="nearest")
    return x * gain


# -- 1-D window filters ---------------------------------------------------------
# scipy.ndimage's minimum_filter1d and uniform_filter1d, same windows and edge
# modes (tests/test_mixer.py compares them on random data): importing
# scipy.ndimage costs 0.3-0.45 s, which every export and every live start paid.

_EDGE_MODES = {"reflect": {"mode": "symmetric"}, "nearest": {"mode": "edge"}}


def _padded(x: np.ndarray, size: int, origin: int, mode: str, cval: float) -> np.ndarray:
    """``x`` extended so that window ``i`` is ``[i, i + size)`` of the result (scipy's placement)."""
    left = size // 2 + origin
    edge = _EDGE_MODES.get(mode, {"mode": "constant", "constant_values": cval})
    return np.pad(x, (left, size - 1 - left), **edge)


def moving_min(x: np.ndarray, size: int, origin: int = 0, mode: str = "reflect", cval: float = 0.0) -> np.ndarray:
    """Minimum over a sliding window, in O(n log size): doubling spans, then two overlapping ones."""
    if len(x) == 0:
        return np.array(x, copy=True)
    out, span = _padded(x, size, origin, mode, cval), 1
    while span * 2 <= size:
        out = np.minimum(out[:-span], out[span:])  # out[i] = min of the `2 * span` values from i
        span *= 2
    return np.minimum(out[: len(x)], out[size - span : size - span + len(x)])


def moving_mean(x: np.ndarray, size: int, origin: int = 0, mode: str = "reflect", cval: float = 0.0) -> np.ndarray:
    """Mean over a sliding window, from a running sum."""
    if len(x) == 0:
        return np.zeros(0)
    total = np.concatenate(([0.0], np.cumsum(_padded(np.asarray(x, np.float64), size, origin, mode, cval))))
    return (total[size : size + len(x)] - total[: len(x)]) / size

