"""When the guide is sounding: the player says so, the microphone's listener asks.

The guide's own voice and chimes must never be taken for a spoken command.
The player knows to the sample what it sends to the device: for every buffer
it starts it calls ``SoundGate.played(samples, rate, t0)``, and when it stops
one early, ``SoundGate.stopped(at)``. The gate keeps the resulting sounding
intervals on the ``time.monotonic()`` clock; the voice listener asks
``SoundGate.allows(start, end)`` about each phrase it heard, and drops it
unless the whole phrase came after the guide fell silent.

Each interval is widened by ``LEAD_S`` before and ``TAIL_S`` after: the sound
reaches the speaker a little after ``t0`` (the device's queue: about 0.1 s with
simpleaudio's latency, more through PulseAudio), and a room rings on after it.
Ignoring the microphone while the guide sounded (+0.5 s) removed nearly all
false triggers in the measurements of ``shared/design/stack-notes.md``. The
phrase's start is judged against the sound itself and its end against the
sound plus the tail: every false trigger that passed the older rule (its first
0.6 s could overlap the sound) began 0.08-0.24 s before a chime or word ended
and was that sound ringing out (``scripts/bench --listen``: 13 per 1.2 h with
the older rule, none with this one, one command in 150 fewer heard).
``scripts/bench --listen`` reports false triggers with the gate on and off,
and how many commands said at random moments of the pauses are heard.
"""

from __future__ import annotations

import bisect
import threading
import time
from typing import Callable

import numpy as np

#: Seconds the microphone is ignored before each sounding interval starts.
LEAD_S = 0.05
#: Seconds after each sounding interval during which a phrase may not end.
TAIL_S = 0.35
#: Seconds after each sounding interval during which a phrase may not begin: the
#: device's output latency (the sound reaches the room after it is sent: 0.1 s
#: with simpleaudio's buffer, up to 0.2 s through PulseAudio) and the first of the
#: room's ringing. A user starts a phrase later still: they hear the guide stop,
#: then react (about 0.2 s). At 0.2 s two false triggers a session began 0.22 s
#: after a counted word was sent, in its ringing at the microphone; 0.25 s heard
#: as many commands (``scripts/bench --listen``: tuning set 170 of 180, report set
#: 129 of 150 either way).
LAG_S = 0.25
#: Silences shorter than this inside a buffer do not open the gate (between
#: words, a chime's notes): seconds.
MIN_GAP_S = 0.25
#: Intervals that ended this long ago are forgotten (seconds).
KEEP_S = 30.0


def sounding_runs(samples: np.ndarray, rate: int, min_gap_s: float = MIN_GAP_S) -> list[tuple[int, int]]:
    """[(first, end)) sample ranges of ``samples`` (int16 mono) that are not digital silence.

    Pauses in a session are exact zeros (``mixer.render_cue``), so any non-zero
    sample is sound. Runs closer than ``min_gap_s`` are merged.
    """
    loud = np.flatnonzero(samples)
    if loud.size == 0:
        return []
    gaps = np.flatnonzero(np.diff(loud) > min_gap_s * rate)
    starts = np.concatenate([[loud[0]], loud[gaps + 1]])
    ends = np.concatenate([loud[gaps], [loud[-1]]]) + 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


class SoundGate:
    """Sounding intervals of the device on the monotonic clock, and whether a moment was quiet.

    Thread-safe: the player's loop writes, a listener thread reads. ``enabled``
    False makes every moment quiet (the benchmark's "gate off").
    """

    def __init__(self, lead_s: float = LEAD_S, tail_s: float = TAIL_S, lag_s: float = LAG_S,
                 clock: Callable[[], float] = time.monotonic, enabled: bool = True) -> None:
        self.lead_s, self.tail_s, self.lag_s = lead_s, tail_s, lag_s
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._starts: list[float] = []
        self._ends: list[float] = []

    def played(self, samples: np.ndarray, rate: int, t0: float) -> None:
        """A buffer of ``samples`` (int16 mono at ``rate`` Hz) started on the device at ``t0``.

        Anything this gate knew about after ``t0`` belonged to a buffer that is no
        longer playing (only one is on the device at a time), so it is replaced.
        """
        runs = [(t0 + a / rate, t0 + b / rate) for a, b in sounding_runs(samples, rate)]
        with self._lock:
            self._cut(t0)
            for start, end in runs:
                self._starts.append(start)
                self._ends.append(end)

    def sounding(self, start: float, end: float) -> None:
        """Sound is (or will be) playing from ``start`` to ``end`` (monotonic seconds)."""
        with self._lock:
            self._cut(start)
            self._starts.append(start)
            self._ends.append(end)

    def stopped(self, at: float) -> None:
        """The device fell silent at ``at`` (a buffer stopped early): nothing sounds after it."""
        with self._lock:
            self._cut(at)

    def quiet(self, t0: float, t1: float) -> bool:
        """True if nothing sounded from ``t0 - tail`` to ``t1 + lead`` (monotonic seconds)."""
        if not self.enabled:
            return True
        last = self._last_before(t1)
        return last is None or last[1] + self.tail_s < t0

    def allows(self, start: float, end: float) -> bool:
        """Whether a phrase heard from ``start`` to ``end`` (monotonic s) counts: nothing
        sounded between its start and its end (nor within ``lead`` after it), it began
        ``lag`` or more after the last sound before it, and ends more than ``tail`` after it.

        A phrase the guide's own voice or chimes produced overlaps them (the
        recognizer's word boundaries put its start inside the sound), or ends
        within the tail (the device's output latency and the room's ringing).
        """
        if not self.enabled:
            return True
        last = self._last_before(end)
        return last is None or (last[1] + self.lag_s <= start and last[1] + self.tail_s < end)

    def sounding_near(self, t0: float, t1: float) -> tuple[float, float] | None:
        """The sounding interval that makes [t0, t1] not quiet (for messages), or None."""
        last = self._last_before(t1)
        return last if last is not None and last[1] + self.tail_s >= t0 else None

    def _last_before(self, t: float) -> tuple[float, float] | None:
        """The last sounding interval that starts by ``t + lead``, or None."""
        with self._lock:
            # Intervals are appended in time order and never overlap: the first one
            # that starts after t + lead and every later one cannot touch anything before t.
            k = bisect.bisect_right(self._starts, t + self.lead_s)
            return (self._starts[k - 1], self._ends[k - 1]) if k else None

    def quiet_since(self) -> float:
        """Monotonic time from which the microphone counts again (the last tail's end)."""
        with self._lock:
            return self._ends[-1] + self.tail_s if self._ends else float("-inf")

    def _cut(self, at: float) -> None:
        k = bisect.bisect_left(self._starts, at)
        del self._starts[k:], self._ends[k:]
        if self._ends and self._ends[-1] > at:
            self._ends[-1] = at
        old = bisect.bisect_left(self._ends, self._clock() - KEEP_S)
        if old:
            del self._starts[:old], self._ends[:old]
