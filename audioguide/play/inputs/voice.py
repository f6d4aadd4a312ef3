"""Voice commands, phrases of the user's own: offline keyword spotting on the microphone's audio.

Recognizer: pocketsphinx's keyword spotting (KWS) with its US English acoustic
model and dictionary, which ship inside the PyPI wheel: nothing is downloaded,
nothing leaves the machine. KWS compares, every 10 ms frame, how well each
phrase's phone sequence explains the last second or so of sound against a free
loop of phones; a phrase is heard when that ratio passes its threshold.

Phrases, not words: single short words ("pause", "next") false-triggered 16
times on 40 unrelated sentences, two- and three-syllable phrases 0-1 times
(``shared/design/stack-notes.md``). Every phrase needs two or more syllables
and every word must be in the recognizer's dictionary. A phrase's threshold
grows with its length (``phrases.threshold_exponent``) and moves with the user's
sensitivity; the constants are tuned on one set of test recordings and
reported on another by ``scripts/bench --listen`` (see the README for the
figures).

Deciding: a spotted phrase acts once the speaker has fallen quiet after it
(``QUIET_S``); of the phrases spotted in one stretch of speech the one that
began first wins, the one of most phones of those that began together
(``pick``). So a short phrase spotted on part of a longer one, or inside other
words, does not act. pocketsphinx restarts every phrase of a search when one
is spotted (even one the gate then refuses), so the longest phrases have a
search of their own (``SOLO_SEARCHES``): a short phrase spotted on the start
of a long one cannot stop the long one from being heard.

The guide's own sound never counts: a phrase that began before the ``SoundGate``
says the device fell silent (or ends within a short tail after it) is passed
over, without ending the search, so a phrase said right after is heard whole:
only phrases said in the guide's pauses act.

The microphone and the listening thread are ``listening.py``; the default
phrases are heard by the classifier of ``neural.py`` (this spotter hears them
too when built with them, as the benchmark and tests do). ``Heard``,
``Loudness`` and ``fell_quiet`` here serve both.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from ..commands import Action
from ..gate import SoundGate
from .phrases import (DEFAULT_PHRASES, DEFAULT_SENSITIVITY, check_phrases, keyphrase_files, model_paths,
                      normalize_phrase, pronunciations, threshold_exponent)

#: The acoustic model's sample rate (Hz): the microphone is opened at this rate.
RATE = 16000
#: Frames per microphone read: 32 ms, the most a read adds to the response time.
PERIOD = 512
#: The microphone's clock is anchored on the quickest read of this many seconds.
ANCHOR_S = 20.0
#: pocketsphinx's frame rate: seg() frames are 10 ms.
FRAMES_PER_S = 100

#: A spotted phrase is acted on once the speaker has been quiet for this long after
#: it (s): a short phrase spotted on part of a longer one ("go back" on "nex..." of
#: "next step") is followed by more speech, and the longer one is spotted and wins.
QUIET_S = 0.15
#: The first this-many seconds after the phrase's end (the recognizer's boundary) are
#: not judged: its last consonant and the room's ringing (s).
END_SLACK_S = 0.05
#: Quiet: every frame at least this far (dB) under the phrase's loud frames, or at most
#: QUIET_OVER_FLOOR_DB over the background (a phrase said softly in a noisy room).
QUIET_DROP_DB = 12.0
QUIET_OVER_FLOOR_DB = 6.0
#: Where a phrase's speech ended (``Heard.spoken_end``, what the response time is
#: measured from): its last frame within this many dB of its loudest, a fade's usual end.
SPEECH_END_DB = 30.0
#: A phrase still followed by speech this long (s) after it was spotted was part of
#: something else someone said: it is dropped.
MAX_WAIT_S = 1.0
#: Spots the gate refuses do not end the utterance, so with no command one could last a
#: whole session: it is started afresh after this many seconds, at a moment the guide sounds.
MAX_UTTERANCE_S = 60.0
#: Spots starting within this many seconds of the earliest one began together (``pick``).
SAME_START_S = 0.2
#: A phrase's loud frames must stand this far (dB) above the background: the
#: recognizer also "spots" phrases in faint noise, never said by anyone (the one
#: false trigger left on the tuning set's narration stood 8 dB over a fan's noise;
#: 94.4% of its commands were heard with 8 dB, 95.0% with 10).
MIN_LEVEL_DB = 10.0

#: The longest this-many phrases each get a keyword search of their own, the rest
#: share one: pocketsphinx restarts every phrase of a search when one is spotted,
#: so "go back" spotted on the "nex..." of "next step" stopped "next step" from
#: being heard. Tuning set, the same 180 commands: 93.9% heard with the two longest
#: alone, 94.4% with the longest alone. Each search costs about 3.4% of a core.
SOLO_SEARCHES = 1
#: pocketsphinx waits this many 10 ms frames after a phrase's best score before it
#: reports the spot. Its default, 10, let the quiet after a phrase pass before a
#: long phrase's spot came in ("go back" acted on "next step"): tuning set, two
#: longest alone, 90.0% heard with 10 frames, 93.9% with 5.
KWS_DELAY_FRAMES = 5

@dataclass(frozen=True)
class Heard:
    """One phrase recognized on the microphone."""

    phrase: str
    action: Action
    start: float
    """When the phrase began, monotonic seconds (from the recognizer's word boundaries)."""
    end: float
    """When the phrase ended, monotonic seconds."""
    at: float
    """When it was recognized (the capture time of the last sample fed), monotonic seconds."""
    spoken_end: float | None = None
    """When the speech ended: the end of its last 10 ms frame within ``SPEECH_END_DB`` of
    its loudest (and over the background), monotonic seconds; None until it is acted
    on. The recognizer's ``end`` is often earlier: it spots a phrase before its last
    sound ("pause now" 0.3 s before, tests/test_voice.py)."""


# -- the recognizer --------------------------------------------------------------------------


class Loudness:
    """Energy of the last ``keep_s`` seconds of microphone audio in 10 ms frames (dB re full scale)."""

    def __init__(self, keep_s: float = 8.0) -> None:
        n = int(keep_s * FRAMES_PER_S)
        self._db = np.full(n, -120.0)
        self._t = np.full(n, -np.inf)
        self._i = 0
        self._rest = np.zeros(0, np.float32)
        self._rest_t = 0.0

    def add(self, samples: np.ndarray, t0: float) -> None:
        step = RATE // FRAMES_PER_S
        if self._rest.size and abs(self._rest_t + self._rest.size / RATE - t0) < 1e-3:
            x, t0 = np.concatenate([self._rest, samples.astype(np.float32)]), self._rest_t
        else:
            x = samples.astype(np.float32)
        n = len(x) // step
        frames = x[: n * step].reshape(n, step)
        db = 10 * np.log10(np.mean(frames * frames, axis=1) / 32768.0 ** 2 + 1e-12)
        for k in range(n):
            self._db[self._i] = db[k]
            self._t[self._i] = t0 + k * step / RATE
            self._i = (self._i + 1) % len(self._db)
        self._rest, self._rest_t = x[n * step:], t0 + n * step / RATE

    def frames(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """(start times in s, levels in dB) of the frames starting in [t0, t1), in time order."""
        order = np.argsort(self._t)
        t, db = self._t[order], self._db[order]
        inside = (t >= t0) & (t < t1)
        return t[inside], db[inside]

    def between(self, t0: float, t1: float) -> np.ndarray:
        """Frame levels (dB) of frames starting in [t0, t1), in time order."""
        return self.frames(t0, t1)[1]

    def floor(self, before: float, span: float = 6.0) -> float:
        """The background level: the 10th percentile of frame levels in the ``span`` s before ``before``."""
        levels = self.between(before - span, before)
        return float(np.percentile(levels, 10)) if levels.size else -120.0


def pick(spots: list[Heard], phones: Mapping[str, int]) -> Heard:
    """The phrase said, of spots in one stretch of speech: the one that began first; of
    those that began together (within ``SAME_START_S``), the one of most ``phones``.

    A short phrase spotted on the tail of a long one began later ("say again"
    on "...the guide" of "stop the guide"); one spotted on the start of a long
    one began with it ("go back" on the "nex..." of "next step"). Ends say
    little: the recognizer often spots a long phrase before its last sound.
    """
    first = min(h.start for h in spots)
    return max((h for h in spots if h.start <= first + SAME_START_S), key=lambda h: (phones[h.phrase], h.end))


class Spotter:
    """Keyword spotting over runs of 16 kHz mono int16 audio stamped with capture times.

    ``feed`` takes contiguous samples; after ``gap()`` (samples were lost) a new
    utterance starts, so a phrase never spans a gap. After a phrase is heard the search starts
    afresh, so one utterance is one command.
    """

    def __init__(self, phrases: Mapping[str, Action] | None = None, sensitivity: float = DEFAULT_SENSITIVITY,
                 exponents: Mapping[str, float] | None = None, gate: SoundGate | None = None) -> None:
        """``exponents`` (phrase -> -log10 threshold) overrides the formula (the tuning benchmark uses it).
        ``gate``: phrases it does not allow (the guide's own sound) are passed over
        without ending the utterance, so a command said right after is still heard.

        Raises ValueError for bad phrases or sensitivity, VoiceUnavailable without pocketsphinx.
        """
        if not 0.0 <= sensitivity <= 1.0:
            raise ValueError(f"sensitivity must be 0..1, got {sensitivity}")
        self.phrases: dict[str, Action] = {normalize_phrase(p): a for p, a in
                                           (phrases if phrases is not None else DEFAULT_PHRASES).items()}
        hmm, dictionary = model_paths()
        phones = check_phrases(self.phrases, dictionary)
        self.exponents = {p: (exponents[p] if exponents and p in exponents
                              else threshold_exponent(len(ph), sensitivity, p)) for p, ph in phones.items()}
        from pocketsphinx import Decoder

        known = pronunciations({w for p in self.phrases for w in p.split()}, dictionary)
        # pocketsphinx's keyword search starts every phrase afresh when one is spotted: a short
        # phrase spotted on the start of a long one ("go back" on "nex..." of "next step") would
        # stop the long one from ever being heard. The longer phrases get a search of their own.
        by_length = sorted(self.exponents, key=lambda p: -len(phones[p]))
        groups = [[p] for p in by_length[:SOLO_SEARCHES]] + [by_length[SOLO_SEARCHES:]]
        self._searches: list[tuple[object, dict[str, str]]] = []
        with tempfile.TemporaryDirectory(prefix="audioguide-kws-") as tmp:
            for n, group in enumerate(g for g in groups if g):
                words, keyphrases, spelled = keyphrase_files({p: self.exponents[p] for p in group}, known)
                small = Path(tmp) / f"words{n}.dict"
                small.write_text(words)
                kws = Path(tmp) / f"phrases{n}.kws"
                kws.write_text(keyphrases)
                # cmn live: the cepstral mean adapts as audio comes (the default, batch, needs whole utterances).
                self._searches.append((Decoder(hmm=hmm, dict=str(small), kws=str(kws), samprate=RATE, cmn="live",
                                               kws_delay=KWS_DELAY_FRAMES, loglevel="FATAL"), spelled))
        self.loudness = Loudness()
        self.gate = gate
        self._ignored: set[tuple[str, float]] = set()  # spots of this utterance dropped: (phrase, start)
        self._pending: dict[tuple[str, float], Heard] = {}  # spots of this utterance waiting for quiet
        self._phones = {p: len(ph) for p, ph in phones.items()}
        self.trace: Callable[[str], None] | None = None
        """Told about every phrase spotted and why it was kept or not (``AUDIOGUIDE_DEBUG``)."""
        self._in_utterance = False
        self._utt_t0 = 0.0  # capture time of the utterance's first sample
        self._fed = 0  # samples fed in this utterance

    def level(self, heard: Heard) -> float:
        """How far the phrase's loud frames (90th percentile) stand above the background, in dB."""
        inside = self.loudness.between(heard.start, heard.end)
        return float(np.percentile(inside, 90)) - self.loudness.floor(heard.start) if inside.size else 0.0

    def gap(self) -> None:
        """The audio stops being contiguous here: end the utterance (nothing spans it)."""
        if self._in_utterance:
            for decoder, _ in self._searches:
                decoder.end_utt()
            self._in_utterance = False
        self._ignored.clear()
        self._pending.clear()

    def feed(self, samples: np.ndarray, t0: float) -> list[Heard]:
        """Feed ``samples`` whose first was captured at ``t0`` (monotonic s); the phrases heard.

        Samples continue the previous ones unless ``gap()`` was called: only an
        utterance's first ``t0`` places it in time (capture timestamps jitter).
        A phrase is acted on once the speaker has been quiet for ``QUIET_S``
        after it (``fell_quiet``), and only if it stands ``MIN_LEVEL_DB`` above the
        background (``level``) and the gate allows it.
        """
        if self._in_utterance and not self._pending and self._fed > MAX_UTTERANCE_S * RATE and self.gate is not None:
            sounding = self.gate.sounding_near(t0, t0)
            if sounding is not None and sounding[0] <= t0 <= sounding[1] - 0.1:
                self.gap()  # a long utterance starts afresh while the guide sounds: nobody is giving a command
        if not self._in_utterance:
            for decoder, _ in self._searches:
                decoder.start_utt()
            self._in_utterance = True
            self._utt_t0, self._fed = t0, 0
        self.loudness.add(samples, self._utt_t0 + self._fed / RATE)
        data = samples.astype("<i2", copy=False).tobytes()
        for decoder, _ in self._searches:
            decoder.process_raw(data, False, False)
        self._fed += len(samples)
        now = self._utt_t0 + self._fed / RATE
        spots = self._spots(now)
        if not spots:
            return []
        heard = pick(spots, self._phones)
        spoken_end = fell_quiet(self.loudness, self.gate, heard, now)
        if spoken_end is None and now - min(h.at for h in spots) < MAX_WAIT_S:
            return []
        level = self.level(heard)
        why = ("" if spoken_end is not None and level >= MIN_LEVEL_DB else
               ": followed by more speech, ignored" if spoken_end is None else ": too faint, ignored")
        if self.trace is not None:
            ended = "" if spoken_end is None else f", speech ended {spoken_end:.2f} s"
            self.trace(f"spotted {heard.phrase!r} {heard.start:.2f}-{heard.end:.2f} s{ended} (read at "
                       f"{time.monotonic():.2f}), {level:.0f} dB over the background{why}")
        if why:  # every spot so far was part of it
            self._ignored.update(self._pending)
            self._pending.clear()
            return []
        self.gap()  # one utterance, one command: start afresh
        return [replace(heard, at=now, spoken_end=spoken_end)]

    def _spots(self, now: float) -> list[Heard]:
        """The phrases spotted in this utterance that may still be acted on (``at``: when each
        was first seen, ``now`` for the new ones).

        Kept from feed to feed (the decoder's own list forgets older spots).
        Passed over for good: a spot the gate refuses (the guide's own sound) and
        spots already dropped.
        """
        segs = [(seg, spelled) for decoder, spelled in self._searches if decoder.hyp() is not None
                for seg in decoder.seg() or ()]
        for seg, spelled in segs:
            phrase = spelled.get(seg.word.strip())
            if phrase is None:
                continue
            start = self._utt_t0 + seg.start_frame / FRAMES_PER_S
            end = self._utt_t0 + (seg.end_frame + 1) / FRAMES_PER_S
            key = (phrase, round(start, 2))
            if key in self._ignored or key in self._pending:
                continue
            if self.gate is not None and not self.gate.allows(start, end):
                self._ignored.add(key)
                if self.trace is not None:
                    near = self.gate.sounding_near(start, end) or (0.0, 0.0)
                    self.trace(f"{phrase!r} {start:.2f}-{end:.2f} s ignored: the guide was sounding "
                               f"{near[0]:.2f}-{near[1]:.2f} s")
                continue
            self._pending[key] = Heard(phrase, self.phrases[phrase], start, end, now)
        return list(self._pending.values())


def fell_quiet(loudness: Loudness, gate: SoundGate | None, heard: Heard, now: float, quiet_s: float = QUIET_S,
               slack_s: float = END_SLACK_S) -> float | None:
    """If the last ``quiet_s`` seconds before ``now``, all of them at least
    ``slack_s`` after ``heard`` ended, were quiet (every frame ``QUIET_DROP_DB``
    under the phrase's loud frames or back near the background: the speaker
    stopped, and the room's ring died), when the speech ended (``Heard.spoken_end``).
    None: not quiet (yet)."""
    if now - quiet_s < heard.end + slack_s:
        return None
    inside = loudness.between(heard.start, heard.end)
    loud = float(np.percentile(inside, 90)) if inside.size else -120.0
    floor = loudness.floor(heard.start) + QUIET_OVER_FLOOR_DB
    quiet = max(loud - QUIET_DROP_DB, floor)
    guide = gate.sounding_near(heard.end + slack_s, now) if gate is not None else None
    # The guide spoke again right after it: its sound is no sign the user went on.
    until = now if guide is None else guide[0]
    times, levels = loudness.frames(heard.start, until)
    if guide is None and levels[times >= now - quiet_s].max(initial=-120.0) > quiet:
        return None
    speech = times[levels >= max(levels.max(initial=-120.0) - SPEECH_END_DB, floor)]
    return float(speech[-1]) + 1 / FRAMES_PER_S if speech.size else heard.end
