"""PCM basics every audio stage shares: the mix's sample rate and time <-> samples.

A leaf module (numpy only): the mixer, the chimes, the exporter and the live
player all import these, and none of them imports another for them.
"""

from __future__ import annotations

SAMPLE_RATE = 22050
"""Every mix is mono, signed 16-bit, at this rate (both bundled voices speak at it)."""

SAMPLE_WIDTH = 2
"""Bytes per sample (signed 16-bit, little-endian in files and on the device)."""

FULL_SCALE = 32768.0
"""int16 full scale, as pydub's dBFS uses it."""


def ms_to_samples(ms: int, sample_rate: int = SAMPLE_RATE) -> int:
    """Sample offset of time ``ms`` (floor); cue n occupies [ms_to_samples(start), ms_to_samples(end))."""
    return ms * sample_rate // 1000


def samples_to_ms(count: int, sample_rate: int = SAMPLE_RATE) -> int:
    """Whole milliseconds that hold ``count`` samples (rounded up, so the samples always fit)."""
    return -(-count * 1000 // sample_rate)


def position_ms(sample: int, sample_rate: int = SAMPLE_RATE) -> int:
    """The time (ms, floor) at which sample offset ``sample`` is heard."""
    return sample * 1000 // sample_rate
