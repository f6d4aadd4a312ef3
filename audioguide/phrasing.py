"""The pauses of a calm guide inside one spoken line: silence between sentences, a shorter one at commas.

Guided relaxation and instruction audio is spoken at about 130-160 words per
minute with short silences between sentences; the engines, left to themselves,
run sentences together at about 200 (measured on the default session, see
design/stack-notes.md). ``speak_phrases`` speaks each phrase of the spoken
text (``spoken.phrases``) on its own, trims the engine's own silence at the
joins and puts back exactly ``spoken.SENTENCE_GAP_MS`` or ``PHRASE_GAP_MS`` (divided
by the pace). The line stays one piece of audio, so it stays one cue.

A phrase cut at a comma keeps its comma: espeak-ng applies an intonation
"tune" to each clause by the punctuation that ends it (espeak-ng docs,
intonation.md: full stop, comma, question, exclamation), so the piece ends on
the continuing tune of a comma, not the falling one of a statement. Piper gives
a cut piece the ending of a finished utterance whatever its last mark, so an
engine that pauses at commas itself (``makes_phrase_breaks``, piper) is cut
only between sentences and keeps each sentence's own intonation.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .engines.base import Speech
from .spoken import PHRASE, PHRASE_GAP_MS, SENTENCE, SENTENCE_GAP_MS, Phrase, phrases

TRIM_THRESHOLD_DB = -45.0
"""A 5 ms block this far below the phrase's loudest block is the engine's silence (the mixer trims the same way)."""
KEEP_MS = 15
"""Of the engine's run-out past the threshold, this much stays: soft endings ring out into the gap."""
PHRASING_VERSION = f"gaps {SENTENCE_GAP_MS}/{PHRASE_GAP_MS} ms"
"""Part of every speech cache key: new gaps are new audio."""

_BLOCK_MS = 5


def speak_phrases(synthesize: Callable[[str], Speech], spoken: str, pace: float = 1.0,
                  cut_at_commas: bool = True) -> Speech:
    """``spoken`` said phrase by phrase through ``synthesize(text)``, joined with calm silences.

    ``cut_at_commas=False`` is for an engine that makes its own phrase breaks
    (piper): the line is then cut only between sentences. Returns one Speech
    (mono int16 at the engine's rate); a line of one piece is the engine's audio
    unchanged. Raises whatever ``synthesize`` raises.
    """
    parts = phrases(spoken)
    if not cut_at_commas:
        parts = _sentences(parts)
    if len(parts) <= 1:
        return synthesize(spoken)
    pieces: list[np.ndarray] = []
    rate = 0
    for i, phrase in enumerate(parts):
        speech = synthesize(phrase.text)
        rate = rate or speech.sample_rate
        samples = np.asarray(speech.samples, dtype=np.int16)
        first, stop = _sound_bounds(samples, speech.sample_rate)
        keep = speech.sample_rate * KEEP_MS // 1000
        lo = 0 if i == 0 else max(0, first - keep)
        hi = len(samples) if i == len(parts) - 1 else min(len(samples), stop + keep)
        pieces.append(samples[lo:hi])
        if phrase.pause in (SENTENCE, PHRASE):
            gap_ms = (SENTENCE_GAP_MS if phrase.pause == SENTENCE else PHRASE_GAP_MS) / pace
            pieces.append(np.zeros(round(gap_ms * speech.sample_rate / 1000), np.int16))
    return Speech(samples=np.concatenate(pieces), sample_rate=rate)


def _sentences(parts: list[Phrase]) -> list[Phrase]:
    """Phrases joined back into whole sentences (a comma stays inside its sentence)."""
    out: list[Phrase] = []
    pending: list[str] = []
    for part in parts:
        pending.append(part.text)
        if part.pause != PHRASE:
            out.append(Phrase(" ".join(pending), part.pause))
            pending = []
    return out


def _sound_bounds(samples: np.ndarray, rate: int) -> tuple[int, int]:
    """[first, stop) sample of the blocks within ``TRIM_THRESHOLD_DB`` of the loudest; (0, 0) if silent."""
    block = max(1, rate * _BLOCK_MS // 1000)
    n = len(samples) // block
    if n == 0:
        return 0, len(samples)
    power = (samples[: n * block].astype(np.float64) ** 2).reshape(n, block).mean(axis=1)
    if not power.any():
        return 0, 0
    loud = np.flatnonzero(power > power.max() * 10 ** (TRIM_THRESHOLD_DB / 10))
    return int(loud[0]) * block, (int(loud[-1]) + 1) * block
