"""Rendering: the exact samples of any span of a session, for export and live play alike.

``render_span(cues, a, b)`` is the one way session audio is made. The export
calls it chunk by chunk as the cues become known (so memory does not grow with
the session's length), the live player calls it for each buffer it plays, and
``mixer.mix`` calls it once for a whole session: so what the speakers get, what
the file holds and the whole-buffer mix are the same samples.

A session's audio is a sum of layers over the exact cue timeline: speech and
chimes, each placed at its cue's first sample (every cue starts and ends on
digital silence, so placing is a plain copy). Pauses are exact digital silence,
unless a sound bed (``bed.BedTrack``) lies under the session: then every sample
has the bed, under a sounding cue limited with it over the whole cue.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

import numpy as np

from . import sounds
from .bed import LOOKAHEAD_MS, BedTrack
from .errors import MixError
from .pcm import ms_to_samples, samples_to_ms
from .script import Chime, Cue, Say
from .text import fmt_clock

#: text -> prepared segment (mono int16 at ``pcm.SAMPLE_RATE``, ``mixer.prepare_speech``):
#: a dict, or ``pipeline.PreparedSpeech`` (lengths for every line, samples in a bounded store).
SpeechSegments = Mapping[str, np.ndarray]


class CueTimes:
    """A session's exact cues with their sample offsets, appended in order as they become known.

    Cue ``i`` occupies session samples ``[starts[i], ends[i])``
    (``pcm.ms_to_samples`` of its start and end). Appends happen on one thread
    and reads on another: lists only grow, and a reader looks at ``len(cues)``
    first, so it never sees a cue half-added.
    """

    def __init__(self, speech: SpeechSegments | None = None, bed: BedTrack | None = None) -> None:
        self.cues: list[Cue] = []
        self.starts: list[int] = []
        """First session sample of each cue."""
        self.ends: list[int] = []
        """Sample after the last one of each cue."""
        self.speech: SpeechSegments = speech if speech is not None else {}
        """text -> prepared segment, for every Say cue added."""
        self.bed = bed
        """The sound bed under the session (it is given every cue), or None."""
        self.done = False
        """True once every cue of the session is known."""
        self.error: BaseException | None = None
        """Why the cues stopped early (raised by whoever renders, once what was ready is used)."""

    def add(self, cue: Cue) -> None:
        """Append the next cue (it must start where the known cues end)."""
        if cue.start_ms != (self.cues[-1].end_ms if self.cues else 0):
            raise MixError(f"cue at {cue.start_ms} ms should start at {self.cues[-1].end_ms if self.cues else 0} ms:"
                           " cues must be laid end to end")
        self.starts.append(ms_to_samples(cue.start_ms))
        self.ends.append(ms_to_samples(cue.end_ms))
        if self.bed is not None:
            self.bed.add(cue)
        self._added(len(self.cues), cue)
        self.cues.append(cue)  # last: a reader that sees the cue sees everything about it

    def _added(self, index: int, cue: Cue) -> None:
        """Hook for subclasses: ``cue`` is about to become cue ``index``."""

    def finish(self, error: BaseException | None = None) -> None:
        """Every cue is known (or none will come: ``error`` says why)."""
        if self.bed is not None:
            self.bed.finish(self.end)
        self.error = error
        self.done = True

    @property
    def end(self) -> int:
        """Sample where the known cues end."""
        n = len(self.cues)
        return self.ends[n - 1] if n else 0

    @property
    def ready_end(self) -> int:
        """Sample up to which ``render_span`` can render: ``end``; or, while a bed waits for
        the cues after it (its ducking and fade-out look ahead), ``bed.LOOKAHEAD_MS``
        earlier, or earlier still at the start of a sound that would end after that
        (a sounding cue is rendered whole, with the bed under all of it)."""
        n = len(self.cues)
        end = self.ends[n - 1] if n else 0
        if self.bed is None or self.done:
            return end
        ready = end - ms_to_samples(LOOKAHEAD_MS)
        if ready <= 0:
            return 0
        j = bisect.bisect_right(self.starts, ready - 1, 0, n) - 1
        if isinstance(self.cues[j], (Say, Chime)) and self.ends[j] > ready:
            return self.starts[j]
        return ready

    def index_at(self, sample: int) -> int:
        """Index of the known cue playing at ``sample`` (the last one if past the end)."""
        n = len(self.cues)
        i = bisect.bisect_right(self.starts, sample, 0, n) - 1
        return max(0, i)


def render_span(cues: CueTimes, a: int, b: int) -> np.ndarray:
    """Session samples ``[a, b)`` as mono int16 at ``pcm.SAMPLE_RATE``: speech, chimes and silence.

    ``0 <= a <= b <= cues.ready_end``: only known cues are rendered. Any split
    of a session into spans gives, joined, the same samples as one span over
    all of it. Raises ``MixError`` if a Say cue's text has no speech, or a
    sound is longer than its cue.

    With ``cues.bed``, the bed lies under every sample: a pause is the bed
    alone, a sounding cue is its sound and the bed over the whole cue, limited
    together (so a span of it is the same whatever the split).
    """
    if not 0 <= a <= b <= cues.ready_end:
        raise MixError(f"cannot render samples {a}..{b}: the known cues end at sample {cues.end}")
    bed = cues.bed
    out = np.zeros(b - a, np.int16)
    i = cues.index_at(a)
    n = len(cues.cues)
    while i < n and cues.starts[i] < b:
        cue, start, end = cues.cues[i], cues.starts[i], cues.ends[i]
        lo, hi = max(a, start), min(b, end)
        if isinstance(cue, (Say, Chime)):
            sound = _sound(cue, cues.speech, end - start)
            if bed is not None:
                whole = np.zeros(end - start, np.int16)
                whole[: len(sound)] = sound
                sound = bed.under(whole, start)
            hi = min(hi, start + len(sound))
            if hi > lo:
                out[lo - a : hi - a] = sound[lo - start : hi - start]
        elif bed is not None and hi > lo:
            out[lo - a : hi - a] = bed.alone(lo, hi)
        i += 1
    return out


def _sound(cue: Say | Chime, speech: SpeechSegments, span: int) -> np.ndarray:
    """The sound that starts at ``cue``, checked to fit its ``span`` samples."""
    if isinstance(cue, Say):
        try:
            sound, what = speech[cue.text], repr(cue.text)
        except KeyError:
            raise MixError(f"no speech for {cue.text!r} (at {fmt_clock(cue.start_ms)})") from None
    else:
        sound, what = sounds.render(cue.kind), f"the {cue.kind} chime"
    if len(sound) > span and sound[span:].any():
        raise MixError(f"{what} needs {samples_to_ms(len(sound))} ms but its cue at {fmt_clock(cue.start_ms)}"
                       f" lasts {cue.duration_ms} ms")
    return sound[:span]
