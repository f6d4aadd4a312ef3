"""Stitching: speech segments, exact silences and chimes into one PCM timeline.

``prepare_speech`` makes each engine segment ready to place; ``render.render_span``
places them (and the chimes) for any span of a session, and ``mix`` renders a
whole session as one buffer with it: the streaming export and the live player
render span by span with the same function, so all three are the same samples.

Preparing a segment (``prepare_speech``): resample to ``SAMPLE_RATE``, trim the
engine's own leading and trailing silence and put back one consistent pad, apply
the voice's gain, limit the true peak, and fade a few milliseconds into the
pads. Every segment and every chime therefore starts and ends on digital
silence, and a join is a plain copy that cannot click.

Loudness, once over the whole mix
---------------------------------
Spoken audio for phones should sit near ``TARGET_LUFS`` (-19 LUFS, mono). The
usual recipe (render everything, measure, apply one gain) cannot work here: the
live player starts before the later segments are synthesized, and what it plays
must equal the export sample for sample. So the gain is fixed before anything is
mixed: ``voice_gain_db`` has the voice speak ``REFERENCE_PASSAGE``, prepares and
joins it as a real mix would, and returns the gain that puts that passage at
``TARGET_LUFS``. Every segment of that voice gets the same gain, which keeps the
engine's natural level differences between sentences (per-segment
normalization would make a short "Two." as loud as a long instruction).
Chimes have fixed levels balanced against the target (``sounds.py``), so a
session lands near the target without a second pass; ``measure`` reports where
it actually landed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

# scipy.signal takes about 0.4 s to import and is only needed to resample a
# voice that does not speak at SAMPLE_RATE: it is imported where used, so that
# live playback of the bundled voices starts speaking without it.

from .engines.base import Speech
from .errors import MixError
from .loudness import TARGET_LUFS, limit, measure, moving_mean
from .pcm import SAMPLE_RATE, ms_to_samples, samples_to_ms
from .bed import BedTrack
from .render import CueTimes, render_span
from .script import Script

#: Samples per chunk when a whole buffer is handed on in pieces (10 s): the
#: streaming export's unit, small against any session, large for a pipe write.
CHUNK_SAMPLES = 10 * SAMPLE_RATE


@dataclass(frozen=True)
class Timeline:
    """A whole session as one buffer, with the exact script it was made from."""

    samples: np.ndarray
    """Mono int16, ``ms_to_samples(script.total_ms)`` long."""
    sample_rate: int
    script: Script
    """Cue times are exact (``script.timing == "measured"``)."""

    @property
    def duration_ms(self) -> int:
        return self.script.total_ms

    def chunks(self, size: int = CHUNK_SAMPLES) -> Iterator[np.ndarray]:
        """The samples in consecutive pieces of ``size`` (the last may be shorter): what the exporter reads."""
        for at in range(0, len(self.samples), size):
            yield self.samples[at : at + size]


#: Audio more than this far below the loudest 10 ms of a segment counts as the
#: engine's silence: low enough to keep soft word endings ("s", "f") and
#: breaths that belong to the words, high enough to drop dither and room noise.
TRIM_THRESHOLD_DB = -45.0

#: Length of the moving RMS window the trim threshold is applied to; it makes
#: the trim ignore isolated clicks in the engine's silence.
TRIM_WINDOW_MS = 10

#: Silence before the first sound of every segment: short, so the voice answers
#: promptly after a chime; pauses between cues are the compiler's business.
LEAD_PAD_MS = 40

#: Silence after the last sound of every segment: lets the last word ring out
#: and keeps two consecutive sentences from running together.
TAIL_PAD_MS = 120

#: Raised-cosine fade at each edge of the kept audio, laid over the quiet
#: run-up before the first sound and the run-out after the last one.
FADE_MS = 5

#: Gap between reference sentences when measuring a voice: a typical short
#: pause between two instructions (silence is gated out of BS.1770 anyway).
REFERENCE_GAP_MS = 700

#: Calm, varied second-person instructions: the kind of speech a session is
#: made of, long enough (about 40 s with its gaps) for a stable integrated loudness.
REFERENCE_PASSAGE: tuple[str, ...] = (
    "Sit comfortably and rest one foot across your other knee.",
    "Now press your thumb into the sole of your foot.",
    "Move slowly from the base of your toes toward your heel.",
    "Breathe in deeply, and let your shoulders drop.",
    "Hold the pressure here for a few seconds.",
    "If a spot feels tender, stay with it and keep breathing.",
    "Use your knuckles to make small circles along the arch.",
    "Gently squeeze each toe, one at a time.",
    "Release, and let your foot rest in your hand.",
    "Rotate your ankle forwards and backwards five times.",
    "Good. Take your time; there is no need to hurry.",
    "When you are ready, switch to your other foot.",
)



def prepare_speech(speech: Speech, gain_db: float) -> np.ndarray:
    """One engine segment ready to mix: int16 at ``SAMPLE_RATE``.

    Resampled, trimmed to ``LEAD_PAD_MS`` before the first sound and
    ``TAIL_PAD_MS`` after the last, raised by ``gain_db``, limited to
    ``TRUE_PEAK_CEILING_DBTP`` and faded in and out over ``FADE_MS``. A segment
    with no sound at all becomes just the two pads.
    """
    x = _resample(np.asarray(speech.samples, dtype=np.float64), speech.sample_rate)
    lead, tail, fade = (ms_to_samples(ms) for ms in (LEAD_PAD_MS, TAIL_PAD_MS, FADE_MS))
    bounds = _sound_bounds(x)
    if bounds is None:
        return np.zeros(lead + tail, np.int16)
    first, stop = bounds
    # Keep up to `fade` samples of the quiet run-up and run-out so the fades
    # land on near-silence rather than on the first and last phonemes.
    lo, hi = max(first - fade, 0), min(stop + fade, len(x))
    body = limit(x[lo:hi] * 10 ** (gain_db / 20))
    _fade_edges(body, fade)
    out = np.zeros(lead + (stop - first) + tail, np.int16)
    at = lead - (first - lo)
    out[at : at + len(body)] = np.rint(body)
    return out


def prepared_ms(speech: Speech) -> int:
    """``speech_ms(prepare_speech(speech, gain))`` for any gain, without levelling or limiting.

    A prepared segment's length depends only on where its sound starts and
    stops, so ``audioguide script`` can show measured timing in a fraction of
    the time ``prepare_speech`` takes (tests/test_script_timing.py pins the two equal).
    """
    bounds = _sound_bounds(_resample(np.asarray(speech.samples, dtype=np.float64), speech.sample_rate))
    sound = bounds[1] - bounds[0] if bounds is not None else 0
    return samples_to_ms(ms_to_samples(LEAD_PAD_MS) + sound + ms_to_samples(TAIL_PAD_MS))


def speech_ms(prepared: np.ndarray) -> int:
    """Milliseconds to reserve for a prepared segment (rounded up, so it always fits)."""
    return samples_to_ms(len(prepared))


def mix(script: Script, speech: Mapping[str, np.ndarray], bed: BedTrack | None = None) -> Timeline:
    """A whole session as one buffer: ``render.render_span`` over all of ``script``.

    ``speech`` maps each spoken text to its prepared segment; ``bed`` (a new
    ``bed.BedTrack``, given the cues here) lies under it if given. Raises
    ``MixError`` if the cues are not laid end to end, a text has no speech or a
    sound is longer than its cue.
    """
    cues = CueTimes(speech, bed)
    for cue in script:
        cues.add(cue)
    cues.finish()
    buf = render_span(cues, 0, cues.end)
    buf.flags.writeable = False  # a Timeline is a value, shared by player and exporter
    return Timeline(buf, SAMPLE_RATE, script)


def voice_gain_db(speak: Callable[[str], Speech]) -> float:
    """The gain that puts a voice's ``REFERENCE_PASSAGE`` at ``TARGET_LUFS``.

    ``speak`` synthesizes one sentence. Each reference sentence is spoken once,
    prepared and joined with ``REFERENCE_GAP_MS`` of silence as in a real mix.
    """
    spoken = [speak(text) for text in REFERENCE_PASSAGE]
    gain = 0.0
    # A second measurement at the first estimate corrects for the little
    # loudness the limiter takes back when the gain pushes peaks over the ceiling.
    for _ in range(2):
        lufs, _peak = measure(_join(spoken, gain), SAMPLE_RATE)
        if not math.isfinite(lufs):
            raise MixError("the voice produced silence for the loudness reference passage")
        gain += TARGET_LUFS - lufs
    return gain


def _join(segments: list[Speech], gain_db: float) -> np.ndarray:
    """Prepared segments with ``REFERENCE_GAP_MS`` of silence between them."""
    gap = np.zeros(ms_to_samples(REFERENCE_GAP_MS), np.int16)
    parts = [part for s in segments for part in (prepare_speech(s, gain_db), gap)]
    return np.concatenate(parts[:-1])


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(rate, SAMPLE_RATE)
    return resample_poly(x, SAMPLE_RATE // g, rate // g)


def _sound_bounds(x: np.ndarray) -> tuple[int, int] | None:
    """[first, stop) of the samples whose moving RMS is within ``TRIM_THRESHOLD_DB`` of its max."""
    power = moving_mean(x * x, ms_to_samples(TRIM_WINDOW_MS))
    if not power.any():
        return None
    loud = np.flatnonzero(power > power.max() * 10 ** (TRIM_THRESHOLD_DB / 10))
    return int(loud[0]), int(loud[-1]) + 1


def _fade_edges(x: np.ndarray, fade: int) -> None:
    """Raised-cosine fade in and out, in place, starting and ending exactly at zero."""
    n = min(fade, len(x) // 2)
    ramp = np.sin(np.pi / 2 * np.arange(n) / n) ** 2
    x[:n] *= ramp
    x[len(x) - n :] *= ramp[::-1]


