"""Chimes and bells, generated: no binary assets.

Each sound is a few struck notes. A note is a handful of sine partials, most of
them at the inharmonic ratios of real bells and bars, each with a raised-cosine
attack (soft, no click) and its own exponential decay (high partials die first,
as in a struck object). The whole sound fades out to exactly zero at its end.

Levels are fixed and balanced against the voice, which the mixer puts at
``loudness.TARGET_LUFS`` (-19 LUFS): the signals sit 3-6 LU below it, the
repetition tick far below, and every sound's true peak under ``PEAK_CEILING_DBTP``.
Rendering scales the synthesized sound to its level: with gains measured once
for the mix's sample rate, and measured afresh for any other rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import MixError
from .loudness import measure
from .pcm import SAMPLE_RATE, ms_to_samples
from .script import CHIME_MS

#: No sound's true peak exceeds this: under the voice's -2.5 dBTP ceiling
#: (``loudness.TRUE_PEAK_CEILING_DBTP``), so a chime never becomes the loudest
#: thing in a session.
PEAK_CEILING_DBTP = -3.0

#: Partials never come closer to the Nyquist frequency than this fraction of the
#: sample rate, so low sample rates drop them instead of aliasing them.
_MAX_PARTIAL = 0.45

#: (frequency ratio, amplitude, decay time constant in s) of a small bright
#: bell: the bar-like inharmonic overtones 2.76 and 5.40.
_GLASS = ((1.0, 1.0, 0.55), (2.76, 0.30, 0.22), (5.40, 0.10, 0.09))

#: A marimba-like mallet note: a tuned bar's overtones near 4x and 9x, gone in 50 ms.
_MALLET = ((1.0, 1.0, 0.16), (3.93, 0.25, 0.05), (9.2, 0.05, 0.02))

#: A soft, nearly pure tone with a faint octave.
_SOFT = ((1.0, 1.0, 0.32), (2.0, 0.12, 0.15))

#: A church-style bell on its strike note: hum an octave below, minor-third
#: tierce, quint, nominal an octave up and an inharmonic upper partial; the
#: second, slightly detuned prime makes the slow beating of a real bell.
_BELL = (
    (0.5, 0.45, 2.2),
    (1.0, 1.0, 1.3),
    (1.003, 0.5, 1.3),
    (1.19, 0.35, 0.9),
    (1.5, 0.12, 0.7),
    (2.0, 0.30, 0.6),
    (2.74, 0.10, 0.3),
)

#: A small wooden block: a short resonance with two inharmonic modes.
_WOOD = ((1.0, 1.0, 0.012), (2.31, 0.35, 0.006))


@dataclass(frozen=True)
class _Note:
    at_s: float
    """When the note is struck, from the start of the sound."""
    freq: float
    """Frequency of the first partial at the strike, in Hz."""
    partials: tuple[tuple[float, float, float], ...]
    """(frequency ratio, amplitude, decay time constant in s) of each partial."""
    attack_s: float
    """Length of the raised-cosine attack."""
    glide_to: float = 0.0
    """If set, the pitch falls (or rises) towards this frequency..."""
    glide_s: float = 0.0
    """...with this time constant."""


@dataclass(frozen=True)
class _Sound:
    notes: tuple[_Note, ...]
    lufs: float
    """Integrated loudness (BS.1770) the sound is scaled to."""
    fade_out_ms: int
    """Raised-cosine fade at the end, down to exactly zero."""


_SOUNDS: dict[str, _Sound] = {
    # A new step: two rising glassy notes, E5 then B5.
    "step": _Sound(
        (_Note(0.0, 659.26, _GLASS, 0.006), _Note(0.22, 987.77, _GLASS, 0.006)),
        lufs=-23.0,
        fade_out_ms=250,
    ),
    # Start holding: one short mallet note, D5.
    "hold": _Sound((_Note(0.0, 587.33, _MALLET, 0.004),), lufs=-23.0, fade_out_ms=100),
    # Let go: one soft note sliding down from G5 towards C5.
    "release": _Sound(
        (_Note(0.0, 783.99, _SOFT, 0.025, glide_to=523.25, glide_s=0.12),),
        lufs=-24.0,
        fade_out_ms=200,
    ),
    # A repetition beat: a soft wood-block tap, far below the voice.
    "tick": _Sound((_Note(0.0, 1250.0, _WOOD, 0.0015),), lufs=-33.0, fade_out_ms=30),
    # The end: three strikes of a low bell (A4), ringing out.
    "end": _Sound(
        tuple(_Note(at, 440.0, _BELL, 0.008) for at in (0.0, 0.7, 1.4)),
        lufs=-22.5,
        fade_out_ms=800,
    ),
}


#: Earcons: live play's short answers to the user, never part of a session. kind -> length in ms.
EARCON_MS = {
    # A spoken command was heard: two quick soft mallet taps rising a third, C6 then E6.
    "heard": 260,
}
_EARCONS: dict[str, _Sound] = {
    "heard": _Sound((_Note(0.0, 1046.5, _MALLET, 0.003), _Note(0.08, 1318.51, _MALLET, 0.003)),
                    lufs=-27.0, fade_out_ms=60),
}

#: ``level_gain_db`` at SAMPLE_RATE, measured once (tests/test_sounds.py checks it):
#: measuring needs pyloudnorm and scipy.signal, about two seconds of imports
#: that an export or the first chime of a live session should not wait for.
_MEASURED_GAIN_DB = {
    "step": -9.866577003938293,
    "hold": -7.429433557615914,
    "release": -11.752346069238,
    "tick": -11.138535245850747,
    "end": -9.415853425956724,
    "heard": -14.770812778786892,
}


def level_lufs(kind: str) -> float:
    """The loudness (BS.1770, LUFS) ``kind`` is rendered at (a sound shorter than
    400 ms measured in one 400 ms block); MixError for an unknown kind."""
    if kind not in _SOUNDS:
        raise MixError(f"unknown chime {kind!r}; expected one of {', '.join(_SOUNDS)}")
    return _SOUNDS[kind].lufs


def level_gain_db(kind: str, full_scale: np.ndarray, sample_rate: int) -> float:
    """The gain that puts a full-scale rendering of ``kind`` at its level, under the peak ceiling."""
    n = len(full_scale)
    # Pad to one 400 ms gating block: the tick is shorter than the block a
    # loudness meter would see it in.
    lufs, peak = measure(np.pad(full_scale, (0, max(0, ms_to_samples(400, sample_rate) - n))), sample_rate)
    # The peak bound does not bind at today's levels; it keeps the promise if they change.
    return min({**_SOUNDS, **_EARCONS}[kind].lufs - lufs, PEAK_CEILING_DBTP - 0.1 - peak)  # 0.1 dB for rounding


@lru_cache(maxsize=None)
def render(kind: str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The ``kind`` sound as mono int16, exactly ``ms_to_samples(CHIME_MS[kind])`` long.

    Deterministic and cached; the returned array is read-only because it is shared.
    """
    if kind not in _SOUNDS:
        raise MixError(f"unknown chime {kind!r}; expected one of {', '.join(_SOUNDS)}")
    return _render(kind, _SOUNDS[kind], CHIME_MS[kind], sample_rate)


@lru_cache(maxsize=None)
def earcon(kind: str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The ``kind`` earcon (one of ``EARCON_MS``) as mono int16: same making and rules as the chimes."""
    if kind not in _EARCONS:
        raise MixError(f"unknown earcon {kind!r}; expected one of {', '.join(_EARCONS)}")
    return _render(kind, _EARCONS[kind], EARCON_MS[kind], sample_rate)


def _render(kind: str, sound: _Sound, length_ms: int, sample_rate: int) -> np.ndarray:
    n = ms_to_samples(length_ms, sample_rate)
    t = np.arange(n) / sample_rate
    x = sum(_strike(t - note.at_s, note, sample_rate) for note in sound.notes)
    fade = ms_to_samples(sound.fade_out_ms, sample_rate)
    x[n - fade :] *= np.cos(np.pi / 2 * np.arange(1, fade + 1) / fade) ** 2
    x *= 32767 / np.abs(x).max()  # to full scale: the meter gates out anything under -70 LUFS
    gain_db = _MEASURED_GAIN_DB[kind] if sample_rate == SAMPLE_RATE else level_gain_db(kind, x, sample_rate)
    pcm = np.rint(x * 10 ** (gain_db / 20)).astype(np.int16)
    pcm.flags.writeable = False
    return pcm


def _strike(t: np.ndarray, note: _Note, sample_rate: int) -> np.ndarray:
    """One note struck at ``t == 0`` (silent before), in arbitrary units."""
    t = np.maximum(t, 0.0)
    if note.glide_to:
        # Phase of a frequency that moves exponentially from freq to glide_to.
        cycles = note.glide_to * t + (note.freq - note.glide_to) * note.glide_s * (
            1 - np.exp(-t / note.glide_s)
        )
    else:
        cycles = note.freq * t
    top = max(note.freq, note.glide_to)
    tone = sum(
        amp * np.exp(-t / decay) * np.sin(2 * np.pi * ratio * cycles)
        for ratio, amp, decay in note.partials
        if ratio * top < _MAX_PARTIAL * sample_rate
    )
    attack = np.sin(np.pi / 2 * np.minimum(t / note.attack_s, 1.0)) ** 2
    return attack * tone
