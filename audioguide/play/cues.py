"""The cue index: a session's exact cues with their sample offsets, as they become known.

Live play walks the same exact cues as the export (``compiler.stream_cues``, or
``compile_script`` with ``--length``) and renders each buffer with
``render.render_span``, as the export renders its chunks: what reaches the
device equals the exported samples.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

import numpy as np

from ..pcm import SAMPLE_RATE
from ..bed import BedTrack
from ..render import CueTimes, SpeechSegments, render_span
from ..script import Chapter, Chime, Cue, Say

#: Longest buffer handed to the device at once (cut at a cue boundary, or inside a silence).
MAX_BUFFER_S = 30


class CueIndex(CueTimes):
    """The session's exact cues (``render.CueTimes``), appended by a feeder thread (or all at
    once), with what navigation needs: steps, chapters and instructions."""

    def __init__(self, speech: SpeechSegments | None = None, bed: BedTrack | None = None) -> None:
        super().__init__(speech, bed)
        self.step_first: dict[int, int] = {}
        """step -> index of its first cue"""
        self.chapters: list[int] = []
        """indices of the Chapter cues"""
        self.instructions: list[int] = []
        """indices of the Say cues with role instruction"""

    @classmethod
    def complete(cls, cues: Sequence[Cue], speech: SpeechSegments, bed: BedTrack | None = None) -> CueIndex:
        """An index of a whole, known script (``--length``)."""
        made = cls(speech, bed)
        for cue in cues:
            made.add(cue)
        made.finish()
        return made

    def _added(self, index: int, cue: Cue) -> None:
        if isinstance(cue, Chime):
            from .. import sounds

            sounds.render(cue.kind)  # cached: rendering it here keeps it off the playing thread
        self.step_first.setdefault(cue.step, index)
        if isinstance(cue, Chapter):
            self.chapters.append(index)
        if isinstance(cue, Say) and cue.role == "instruction":
            self.instructions.append(index)

    def step_at(self, sample: int) -> int:
        return self.cues[self.index_at(sample)].step if self.cues else 0

    def last_instruction(self, index: int) -> int | None:
        """Index of the last instruction at or before cue ``index``, or None if none was said yet."""
        k = bisect.bisect_right(self.instructions, index) - 1
        return self.instructions[k] if k >= 0 else None

    def render(self, a: int, b: int) -> np.ndarray:
        """Session samples [a, b) of known cues: ``render.render_span``, as the export renders them."""
        return render_span(self, a, b)

    def buffer_end(self, pos: int, limit: int | None = None) -> int:
        """Where a buffer starting at ``pos`` should end: a cue boundary within
        ``MAX_BUFFER_S``, or inside a long silence, never inside a sound; ``pos``
        itself while a bed waits for the cues after the next sound (``ready_end``)."""
        end = self.end if limit is None else min(self.end, limit)
        ready = self.ready_end
        stop = min(end, pos + MAX_BUFFER_S * SAMPLE_RATE, ready)
        if stop >= end:
            return end
        n = len(self.cues)
        j = bisect.bisect_right(self.starts, stop, 0, n) - 1
        if self.starts[j] > pos:
            return self.starts[j]
        cue = self.cues[j]
        if isinstance(cue, (Say, Chime)):
            return self.ends[j] if self.ends[j] <= ready else pos
        return stop


def pick_chapter(titles: Sequence[str], wanted: str) -> int:
    """Index of the chapter ``wanted`` names: its 1-based number, its title (any case), or
    words that begin a word of the title.

    Words matching chapters in a row pick the first of them: ``left foot`` is
    where the left foot begins ("Change to the left foot", then "Left foot:
    ankle" ...). Matches apart from each other (``toes`` on either foot) are
    ambiguous. ValueError says why and lists the chapters.
    """
    listing = ", ".join(f'{i} "{t}"' for i, t in enumerate(titles, 1))
    key = " ".join(wanted.split()).casefold()
    if key.isdigit():
        n = int(key)
        if 1 <= n <= len(titles):
            return n - 1
        raise ValueError(f"there is no chapter {n}; the chapters are: {listing}")
    exact = [i for i, t in enumerate(titles) if " ".join(t.split()).casefold() == key]
    if exact:
        return exact[0]
    at_word = re.compile(rf"(?<!\w){re.escape(key)}") if key else None
    matches = [i for i, t in enumerate(titles) if at_word and at_word.search(" ".join(t.split()).casefold())]
    if matches and matches == list(range(matches[0], matches[-1] + 1)):
        return matches[0]
    if matches:
        which = ", ".join(f'"{titles[i]}"' for i in matches)
        raise ValueError(f"{wanted!r} could be {which}; the chapters are: {listing}")
    raise ValueError(f"no chapter {wanted!r}; the chapters are: {listing}")
