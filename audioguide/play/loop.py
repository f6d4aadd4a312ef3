"""The loop: reads the command queue, hands commands to the transport, keeps the device fed.

It is deliberately thin: the transport decides, the device plays, the cue
index renders, the status shows. One buffer is on the device at a time; when
it ends, the transport says where the next one starts. If synthesis falls
behind, the device gets nothing (silence) until the next cue is known, and
playback goes on from exactly that cue; no segment is ever cut short.
"""

from __future__ import annotations

import os
import queue
import signal
import time
from collections import deque
from typing import Callable

import numpy as np

from ..loudness import limit
from ..pcm import SAMPLE_RATE
from ..script import Chime, Say
from .commands import Command, Commands
from .cues import CueIndex
from .device import Playing, PlayFn, simpleaudio_play
from .gate import SoundGate
from .inputs.keys import Keys
from .status import Status, View
from .transport import Transport

#: How long the loop waits for a command before looking at the device (also the
#: most the gap between two buffers can grow by).
POLL_S = 0.005


class Loop:
    """The playing loop: one buffer on the device at a time, commands from one queue, status."""

    def __init__(self, cues: CueIndex, status: Status, transport: Transport | None = None,
                 commands: Commands | None = None, play: PlayFn = simpleaudio_play,
                 progress: Callable[[], str] | None = None) -> None:
        self.cues = cues
        self.status = status
        self.transport = transport if transport is not None else Transport(cues)
        self.commands: Commands = commands if commands is not None else queue.SimpleQueue()
        self.play = play
        self.progress = progress
        """A note for the status while waiting (``speaking the lines before that chapter (3/40)``)."""
        self.keys: Keys | None = None
        """The terminal's keys, given back to the shell around a suspend."""
        self.playing: Playing | None = None
        self.gate = SoundGate()
        """Told when the device sounds (the voice listener ignores the guide's own sound)."""
        self.clips: deque[np.ndarray] = deque()
        """Sounds that are not the session (announcements, earcons), played before it goes on."""
        self.earcon: np.ndarray | None = None
        """Played when a spoken command is heard (None: no earcon)."""
        self.first: Callable[[], np.ndarray | None] | None = None
        """A clip to play before the session (the voice announcement): it returns None until it is ready."""
        self.ask_quit: Callable[[], np.ndarray | None] | None = None
        """The question a spoken quit asks (None: only the earcon)."""
        self.watch: Callable[[View], None] | None = None
        """Called with the view after each tick (MPRIS publishes what plays)."""
        self._clip = False  # the device plays a clip, not the session

    def run(self) -> None:
        """Play until the end or ``quit`` (returns); raises the feed's error once what was ready has played."""
        try:
            while not self.transport.quit:
                if self.playing is None:
                    if self.first is not None:
                        self._before_session()
                        self._tick()
                        continue
                    if self.clips:
                        self._start(self.clips.popleft(), self.transport.position, clip=True)
                    elif not self.transport.paused and not self._start_next():
                        break
                self._tick()
            self._play_out()
        finally:
            if self.playing is not None:
                # Interrupted (Ctrl-C, a signal, an error): stop without waiting for the
                # drain; leaving the process closes the device at once.
                self.playing.stop(wait=False)
                self.playing = None

    def _tick(self) -> None:
        try:
            command: Command | None = self.commands.get(timeout=POLL_S)
        except queue.Empty:
            command = None
        while command is not None and not self.transport.quit:
            self.handle(command)
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                command = None
        early = self.transport.go_early
        if early is not None and self.playing is not None and not self._clip and self.playing.position() >= early:
            self.handle(Command("go", "early"))  # the wait has begun: the go-ahead given during its prompt
        if self.playing is not None and not self.playing.is_playing():
            if not self._clip:
                self.transport.finished_buffer(self.playing.end)
            self.playing = None
            return  # start the next buffer at once
        view = self._view()
        self.status.show(view)
        if self.watch is not None:
            self.watch(view)

    def handle(self, command: Command) -> None:
        """Stop the device if the command needs it, then let the transport carry it out."""
        transport = self.transport
        session = self.playing is not None and not self._clip
        heard = self.playing.position() if session else transport.position
        at = heard
        if self.playing is not None and (self._clip or transport.interrupts(command, heard)):
            # A clip (an announcement, an earcon) gives way to any command at once.
            stopped = self.playing.stop(wait=True)
            at = stopped if session else at  # the exact sample to go on from
            self.playing = None
            self.gate.stopped(time.monotonic())
        self.clips.clear()
        self.first = None  # the listener is already acting: no announcement now
        note = transport.apply(command, at, time.monotonic(), heard=heard)
        if command.source == "voice" and self.earcon is not None:
            self.clips.append(self.earcon)
        if transport.asking_quit:
            transport.asking_quit = False
            question = self.ask_quit() if self.ask_quit is not None else None
            if question is not None:
                self.clips.append(question)
        self._follow_jump()
        if command.action == "suspend":
            self._suspend(note)
        self.status.show(self._view(), force=True)
        self.status.note(note)

    def _play_out(self) -> None:
        """After a quit: the clips it queued (the earcon of a spoken "stop the guide") play to their end."""
        while self.transport.quit and self.clips:
            if self.playing is not None:
                self.playing.stop(wait=True)
            self._start(self.clips.popleft(), self.transport.position, clip=True)
            while self.playing.is_playing():
                time.sleep(POLL_S)
            self.playing = None

    def _before_session(self) -> None:
        """Play the clip ``first`` gives once it is ready (waiting meanwhile); the session follows it."""
        clip = self.first() if self.first is not None else None
        if clip is not None:
            self.first = None
            self._start(clip, self.transport.position, clip=True)
        elif self.cues.done:
            self.first = None  # the feed ended (or failed) without it: play what there is

    def _view(self) -> View:
        transport = self.transport
        if self.playing is not None and not self._clip:
            return View(self.playing.position(), "playing", transport.volume_db)
        if self.playing is not None and not transport.paused:
            return View(transport.position, "speaking", transport.volume_db)  # a clip: not the session
        state = transport.state
        note = self.progress() if self.progress is not None and state in ("preparing", "waiting") else ""
        return View(transport.position, state, transport.volume_db, note)

    def _follow_jump(self) -> None:
        if self.transport.jumped:
            self.transport.jumped = False
            self.status.jumped(self.transport.position)

    def _start_next(self) -> bool:
        """Start the next buffer; False when the session is over. Returns True
        without starting anything while waiting for speech."""
        transport = self.transport
        nxt = transport.next()
        self._follow_jump()
        if nxt == "end":
            if self.cues.error is not None:
                raise self.cues.error
            self.status.show(View(transport.position, "finished", transport.volume_db), force=True)
            return False
        if nxt == "wait":
            return True
        samples = self.cues.render(nxt.start, nxt.stop)
        self._start(samples, nxt.start, guide=guide_only(self.cues, samples, nxt.start))
        self.status.show(self._view(), force=True)
        return True

    def _start(self, samples: np.ndarray, start: int, clip: bool = False, guide: np.ndarray | None = None) -> None:
        """Put ``samples`` on the device (at the session's volume) and tell the gate when the guide
        sounds (``guide``: the same span without a bed, if the samples have one)."""
        if self.transport.volume_db:
            louder = samples * 10 ** (self.transport.volume_db / 20)
            if self.transport.volume_db > 0:  # the export's peaks are at the ceiling: limit, never clip
                louder = limit(louder)
            samples = np.clip(np.rint(louder), -32768, 32767).astype(np.int16)
        self.playing = Playing(self.play, samples, start)
        self._clip = clip
        self.gate.played(samples if guide is None else guide, SAMPLE_RATE, self.playing.t0)

    def _suspend(self, note: str) -> None:
        """Ctrl-Z: paused already; give the terminal back and stop until the shell's ``fg``."""
        self.status.done()
        self.status.note(f"{note} (suspended)" if note else "suspended")
        if self.keys is not None:
            self.keys.restore()
        # SIGSTOP cannot be caught: the process stops here, as Ctrl-Z would stop it, until SIGCONT.
        os.kill(os.getpid(), signal.SIGSTOP)
        if self.keys is not None:
            self.keys.enter()


def guide_only(cues: CueIndex, samples: np.ndarray, start: int) -> np.ndarray:
    """``samples`` (session samples from ``start``) with a sound bed's stretches zeroed: the guide's own sound.

    The gate finds sound in the samples sent (pauses are exact zeros), but a bed
    sounds through the pauses, and the pauses are when a user speaks. So with a
    bed the gate is told only of the spans of the speech and chime cues (the bed
    under them included); without one the samples are returned as they are.
    """
    if cues.bed is None:
        return samples
    out = np.zeros_like(samples)
    stop = start + len(samples)
    i = cues.index_at(start)
    while i < len(cues.cues) and cues.starts[i] < stop:
        if isinstance(cues.cues[i], (Say, Chime)):
            lo, hi = max(start, cues.starts[i]), min(stop, cues.ends[i])
            out[lo - start:hi - start] = samples[lo - start:hi - start]
        i += 1
    return out
