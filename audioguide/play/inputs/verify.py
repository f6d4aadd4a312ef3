"""A second opinion on a stretch of speech: which phrase it was, by a grammar search over it whole.

Keyword spotting (``voice.Spotter``) listens continuously and decides on the
fly, phrase by phrase against a free loop of phones. Two of its mistakes are
left to this module (``scripts/bench --listen``, tuning set):

* **another phrase**: it spots "say again" on "next step" said by a voice it
  hears poorly, and the right phrase was never spotted at all. A grammar
  search that must explain the whole stretch of speech as exactly one of the
  phrases (between silences) chose the right one in 4 of the 7 such cases, and
  changed 2 of 169 right ones.
* **no phrase**: the right phrase stays under its spotting threshold. When a
  stretch of speech wholly inside the guide's pause (``Bursts``) went by with
  no spot, the grammar's choice is taken if it explains the sound well enough
  against a free phone loop (``Verifier.score``, ``MIN_SCORE``).

The grammar decodes only the speech the user made in the guide's pauses, a
second or two at a time: a few ms of CPU a command, nothing when nobody speaks.
Both searches use pocketsphinx's US English model inside its wheel.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from .phrases import DEFAULT_SENSITIVITY, variants

#: The acoustic model's sample rate (Hz) and its frames per second.
RATE = 16000
FRAMES_PER_S = 100
#: A burst of speech: frames this far (dB) over the background (the spotter's MIN_LEVEL_DB).
BURST_OVER_FLOOR_DB = 10.0
#: Quiet this long (s) ends a burst: longer than the gaps inside a phrase ("stop | the guide").
BURST_GAP_S = 0.25
#: Bursts this long (s) can be a command: shorter is a knock or a click, longer is talk.
BURST_MIN_S, BURST_MAX_S = 0.3, 2.5
#: The grammar search gets this much sound (s) before a burst and after it: the phrase's
#: soft first consonant, its last one's release and the silences the grammar expects around it.
PAD_BEFORE_S, PAD_AFTER_S = 0.25, 0.35
#: The phrase the grammar found must begin and end this close (s) to the burst's ends.
SPAN_SLACK_S = 0.2
#: A phrase found with no spot is taken when its score (``Verifier.score``) is at least this,
#: at sensitivity 0.5; sensitivity 0..1 moves it by SCORE_SPAN * (0.5 - sensitivity).
MIN_SCORE = 2.0
SCORE_SPAN = 8.0


@dataclass(frozen=True)
class Verdict:
    """What the grammar search made of a stretch of speech."""

    phrase: str | None
    """The phrase it explained the sound as, None if the search did not reach a whole phrase."""
    score: float
    """How much better the phrase explains the sound than a free phone loop, per 10 ms frame
    (pocketsphinx log units, base 1.0001): above 0 the phrase fits better."""
    start: float = 0.0
    end: float = 0.0
    """Where the phrase's words begin and end in the samples judged (s from the first)."""

    def covers(self, start: float, end: float) -> bool:
        """Whether the phrase spans the speech from ``start`` to ``end`` (s from the first sample),
        within ``SPAN_SLACK_S``: a phrase the grammar fitted to part of longer talk ("pause now and
        then...", the rest taken for silence) does not."""
        return abs(self.start - start) <= SPAN_SLACK_S and abs(self.end - end) <= SPAN_SLACK_S


class Recording:
    """The last ``keep_s`` seconds of contiguous 16 kHz int16 microphone audio, by capture time."""

    def __init__(self, keep_s: float = 6.0) -> None:
        self._chunks: deque[tuple[float, np.ndarray]] = deque()
        self._keep = int(keep_s * RATE)
        self._n = 0

    def add(self, samples: np.ndarray, t0: float) -> None:
        self._chunks.append((t0, samples.copy()))
        self._n += len(samples)
        while self._chunks and self._n - len(self._chunks[0][1]) >= self._keep:
            self._n -= len(self._chunks.popleft()[1])

    def clear(self) -> None:
        self._chunks.clear()
        self._n = 0

    def clip(self, t0: float, t1: float) -> tuple[float, np.ndarray]:
        """(capture time of the first, samples) captured from ``t0`` to ``t1`` (monotonic s), as far
        as they are kept."""
        if not self._chunks:
            return t0, np.zeros(0, np.int16)
        start = self._chunks[0][0]
        first = max(0, int(round((t0 - start) * RATE)))
        audio = np.concatenate([c for _, c in self._chunks])
        return start + first / RATE, audio[first: max(0, int(round((t1 - start) * RATE)))]


class Bursts:
    """Stretches of speech on the microphone, from its 10 ms frame levels.

    ``update`` is given the frames since the last call; it returns a burst
    (start, end in monotonic s) once ``BURST_GAP_S`` of quiet followed it.
    """

    def __init__(self) -> None:
        self.start: float | None = None
        """When the burst going on began (monotonic s), None in quiet."""
        self._end = 0.0

    def reset(self) -> None:
        self.start = None

    def update(self, times: np.ndarray, levels: np.ndarray, floor: float, now: float) -> tuple[float, float] | None:
        """``times`` (frame starts, s) and ``levels`` (dB) of new frames; ``floor`` the background (dB)."""
        for t in times[levels >= floor + BURST_OVER_FLOOR_DB]:
            if self.start is None or t - self._end > BURST_GAP_S:
                self.start = float(t)
            self._end = float(t) + 1 / FRAMES_PER_S
        if self.start is not None and now - self._end >= BURST_GAP_S:
            burst, self.start = (self.start, self._end), None
            if BURST_MIN_S <= burst[1] - burst[0] <= BURST_MAX_S:
                return burst
        return None


class Verifier:
    """Grammar search (exactly one of the phrases, silences around it) and a free phone loop over
    the same sound.

    Raises VoiceUnavailable (through ``phrases.model_paths``) without pocketsphinx.
    """

    def __init__(self, phrases: list[str], known: Mapping[str, list[list[str]]], hmm: str,
                 sensitivity: float = DEFAULT_SENSITIVITY) -> None:
        from pocketsphinx import Decoder

        words: dict[str, list[str]] = {}
        ways: list[str] = []
        self._phrase_of: dict[str, str] = {}
        for phrase in phrases:
            for j, way in enumerate(variants(phrase, known)):
                names = [f"{w}_{j}" for w in phrase.split()]
                words.update(zip(names, way))
                ways.append(" ".join(names))
                self._phrase_of[" ".join(names)] = phrase
        grammar = ("#JSGF V1.0;\ngrammar commands;\npublic <command> = "
                   + " | ".join(f"( {way} )" for way in ways) + ";\n")
        with tempfile.TemporaryDirectory(prefix="audioguide-grammar-") as tmp:
            (Path(tmp) / "words.dict").write_text("".join(f"{w} {' '.join(p)}\n" for w, p in sorted(words.items())))
            (Path(tmp) / "commands.gram").write_text(grammar)
            self._grammar = Decoder(hmm=hmm, dict=str(Path(tmp) / "words.dict"), jsgf=str(Path(tmp) / "commands.gram"),
                                    samprate=RATE, loglevel="FATAL", cmn="live")
        self._phones = Decoder(hmm=hmm, allphone=os.path.join(os.path.dirname(hmm), "en-us-phone.lm.bin"),
                               samprate=RATE, loglevel="FATAL", cmn="live")
        self.min_score = MIN_SCORE + SCORE_SPAN * (0.5 - sensitivity)

    def judge(self, samples: np.ndarray) -> Verdict:
        """The phrase ``samples`` (16 kHz int16, a burst and its pads) says, and its ``score``."""
        data = samples.astype("<i2", copy=False).tobytes()
        scores, hyps, words = [], [], []
        for decoder in (self._grammar, self._phones):
            decoder.start_utt()
            decoder.process_raw(data, False, True)
            decoder.end_utt()
            hyp = decoder.hyp()
            hyps.append(hyp.hypstr if hyp is not None else None)
            words.append([seg for seg in decoder.seg() if not seg.word.startswith(("<", "+"))] if hyp else [])
            # The wrapper gives scores as probabilities; back to the decoder's log units.
            scores.append(decoder.get_logmath().log(hyp.score) if hyp is not None and hyp.score > 0 else None)
        frames = max(1.0, len(samples) / (RATE / FRAMES_PER_S))
        if None in scores:
            return Verdict(None, float("-inf"))
        # A search that never reached the grammar's end gives the words it got to ("stop_0 the_0").
        said = words[0]
        return Verdict(self._phrase_of.get(hyps[0] or ""), (scores[0] - scores[1]) / frames,
                       said[0].start_frame / FRAMES_PER_S if said else 0.0,
                       (said[-1].end_frame + 1) / FRAMES_PER_S if said else 0.0)
