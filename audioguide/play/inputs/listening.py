"""Listening: the microphone, the spotters, and the thread that turns phrases heard into Commands.

Microphone: ALSA's ``default`` capture device, or the one ``--mic`` names, read
through pyalsaaudio in small periods (``PERIOD`` frames) on a thread.

Spotters (``spotters``): the phrases the classifier head knows (the defaults,
whatever action the user gives them) go to ``neural.NeuralSpotter``; phrases of
the user's own to pocketsphinx's keyword spotting (``voice.Spotter``); both
are fed the same periods when the user has both.

A phrase heard becomes ``Command(action, "voice")`` on the player's one queue.
No microphone, or no recognizer: ``Listener.start`` raises ``VoiceUnavailable``
with one line, and the caller plays on without voice.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Callable, Mapping

import numpy as np

from ..commands import Action, Command, Commands
from ..gate import SoundGate
from .neural import NeuralSpotter, known_phrases
from .phrases import DEFAULT_PHRASES, DEFAULT_SENSITIVITY, VoiceUnavailable, normalize_phrase
from .voice import ANCHOR_S, PERIOD, RATE, Heard, Spotter


def spotters(phrases: Mapping[str, Action], sensitivity: float = DEFAULT_SENSITIVITY,
             gate: SoundGate | None = None) -> list[NeuralSpotter | Spotter]:
    """The spotters hearing ``phrases`` (phrase -> action): the classifier for the phrases it was
    trained on, keyword spotting for the rest. Raises ValueError for a bad phrase or
    sensitivity, VoiceUnavailable when a recognizer cannot start."""
    phrases = {normalize_phrase(p): a for p, a in phrases.items()}
    known = set(known_phrases())
    mine = {p: a for p, a in phrases.items() if p not in known}
    made: list[NeuralSpotter | Spotter] = []
    if len(mine) < len(phrases):
        made.append(NeuralSpotter({p: a for p, a in phrases.items() if p in known}, sensitivity, gate=gate))
    if mine:
        made.append(Spotter(mine, sensitivity, gate=gate))
    return made


class Microphone:
    """An ALSA capture device read in periods: 16 kHz mono int16 and the capture time of each period.

    Why pyalsaaudio rather than an ``arecord`` child: both cost under 1% of a
    core here; in-process, an absent or busy device is an exception at open
    with ALSA's own message (one line for the user), an overrun is reported by
    the read itself (so the clock can start again), and there is no second
    process to stop on every way out.
    """

    def __init__(self, device: str = "default") -> None:
        """Raises VoiceUnavailable (one line) if the device cannot be opened for capture."""
        try:
            import alsaaudio
        except ImportError as error:
            raise VoiceUnavailable(f"voice commands need pyalsaaudio ({error})") from None
        from ..device import _libasound

        _libasound()  # ALSA's own stderr chatter off, as for playback: the user gets one line
        self.device = device
        try:
            self._pcm = alsaaudio.PCM(alsaaudio.PCM_CAPTURE, alsaaudio.PCM_NORMAL, device=device, rate=RATE,
                                      channels=1, format=alsaaudio.PCM_FORMAT_S16_LE, periodsize=PERIOD,
                                      periods=8)
        except alsaaudio.ALSAAudioError as error:
            raise VoiceUnavailable(f"no microphone: ALSA cannot open {device!r} for capture ({error})") from None
        self._restart()
        rate = self._pcm.info().get("rate", RATE) if hasattr(self._pcm, "info") else RATE
        if rate != RATE:
            self._pcm.close()
            raise VoiceUnavailable(f"no microphone: {device!r} records at {rate} Hz, not {RATE} Hz")

    def read(self) -> tuple[np.ndarray, float] | None:
        """One period of samples and the capture time of its first (monotonic s); None after an overrun.

        The capture clock counts samples from an anchor: each read's return
        time minus the samples delivered so far bounds the anchor from above
        (a sample cannot be read before it was captured), and the smallest such
        bound over the last ``ANCHOR_S`` seconds is taken. Read times alone
        jitter by tens of ms (PulseAudio hands over audio in bursts); the
        window follows the small drift between the sound card's clock and the
        system's.
        """
        n, data = self._pcm.read()
        now = time.monotonic()
        if n <= 0:
            self._restart()
            return None  # overrun (-EPIPE): samples were lost; pyalsaaudio has restarted the stream
        samples = np.frombuffer(data, dtype="<i2")[:n]
        first = self._count
        self._count += n
        bound = now - self._count / RATE
        while self._bounds and (self._bounds[-1][1] >= bound or now - self._bounds[0][0] > ANCHOR_S):
            if self._bounds[-1][1] >= bound:
                self._bounds.pop()
            else:
                self._bounds.popleft()
        self._bounds.append((now, bound))
        return samples, self._bounds[0][1] + first / RATE

    def _restart(self) -> None:
        self._count = 0
        self._bounds: deque[tuple[float, float]] = deque()  # (read time, anchor bound), bounds increasing

    def close(self) -> None:
        self._pcm.close()


def overlaps(heard: Heard, acted: Heard) -> bool:
    """Whether ``heard`` was said during ``acted`` (a command already acted on): two spotters can
    each hear something in one stretch of speech (the classifier "next step", keyword spotting a
    user's "step back" on its second word); one thing said is one command, the first acted on."""
    return heard.start < (acted.spoken_end or acted.end) and heard.end > acted.start


# -- putting it together ----------------------------------------------------------------------


class Listener:
    """A thread: microphone -> gate -> spotter -> ``Command(action, "voice")`` on the queue.

    ``on_heard`` (optional) is called with each ``Heard`` as well, on the
    listener's thread (the benchmark's log; the player uses the queue only).
    """

    def __init__(self, commands: Commands, gate: SoundGate, phrases: Mapping[str, Action] | None = None,
                 sensitivity: float = DEFAULT_SENSITIVITY, device: str = "default",
                 on_heard: Callable[[Heard], None] | None = None,
                 microphone: Callable[[str], Microphone] = Microphone) -> None:
        self.commands = commands
        self.gate = gate
        self.phrases = dict(phrases if phrases is not None else DEFAULT_PHRASES)
        self.sensitivity = sensitivity
        self.device = device
        self.on_heard = on_heard
        self._open_microphone = microphone
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        """What ended the thread early (a device unplugged), if anything."""
        self.heard: deque[Heard] = deque(maxlen=50)
        self.listened_s = 0.0
        self.cpu_s = 0.0
        """Seconds listened and CPU seconds the listening thread used (reading, spotting), once closed."""

    def start(self) -> Listener:
        """Open the microphone and the recognizer, then listen on a thread.

        Raises VoiceUnavailable with one line when either cannot start.
        """
        try:
            hearing = spotters(self.phrases, self.sensitivity, gate=self.gate)
        except ValueError as error:
            raise VoiceUnavailable(f"voice commands: {error}") from None
        microphone = self._open_microphone(self.device)
        self._thread = threading.Thread(target=self._run, args=(microphone, hearing), name="audioguide-voice",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening and close the microphone (waits for the current period: 32 ms)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)

    def _run(self, microphone: Microphone, hearing: list[NeuralSpotter | Spotter]) -> None:
        trace = None
        if os.environ.get("AUDIOGUIDE_DEBUG"):
            import sys

            def trace(text: str) -> None:
                print(f"voice: {text}", file=sys.stderr, flush=True)

            for spotter in hearing:
                spotter.trace = trace
        started, cpu0 = time.monotonic(), time.thread_time()
        try:
            while not self._stop.is_set():
                got = microphone.read()
                if got is None:
                    for spotter in hearing:
                        spotter.gap()
                    continue
                for heard in (h for spotter in hearing for h in spotter.feed(*got)):
                    if self.heard and overlaps(heard, self.heard[-1]):
                        if trace is not None:
                            trace(f"{heard.phrase!r} dropped: said while {self.heard[-1].phrase!r} was")
                        continue
                    self.heard.append(heard)
                    if self.on_heard is not None:
                        self.on_heard(heard)
                    self.commands.put(Command(heard.action, "voice"))
        except Exception as error:  # a device unplugged mid-session: voice stops, play goes on
            self.error = error
        finally:
            microphone.close()
            self.listened_s, self.cpu_s = time.monotonic() - started, time.thread_time() - cpu0
            if trace is not None and self.listened_s > 0:
                trace(f"listened {self.listened_s:.1f} s using {self.cpu_s:.2f} s of CPU "
                      f"({100 * self.cpu_s / self.listened_s:.1f}% of a core)")
