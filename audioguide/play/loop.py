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
from typing import Callable

import numpy as np

from .commands import Command, Commands
from .cues import CueIndex
from .device import Playing, PlayFn, simpleaudio_play
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

    def run(self) -> None:
        """Play until the end or ``quit`` (returns); raises the feed's error once what was ready has played."""
        try:
            while not self.transport.quit:
                if self.playing is None and not self.transport.paused and not self._start_next():
                    break
                self._tick()
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
        if self.playing is not None and not self.playing.is_playing():
            self.transport.finished_buffer(self.playing.end)
            self.playing = None
            return  # start the next buffer at once
        self.status.show(self._view())

    def handle(self, command: Command) -> None:
        """Stop the device if the command needs it, then let the transport carry it out."""
        transport = self.transport
        heard = self.playing.position() if self.playing is not None else transport.position
        at = heard
        if self.playing is not None and transport.interrupts(command, heard):
            at = self.playing.stop(wait=True)  # the exact sample to go on from
            self.playing = None
        note = transport.apply(command, at, time.monotonic(), heard=heard)
        self._follow_jump()
        if command.action == "suspend":
            self._suspend(note)
        self.status.show(self._view(), force=True)
        self.status.note(note)

    def _view(self) -> View:
        transport = self.transport
        if self.playing is not None:
            return View(self.playing.position(), "playing", transport.volume_db)
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
        if transport.volume_db:
            gain = 10 ** (transport.volume_db / 20)
            samples = np.clip(np.rint(samples * gain), -32768, 32767).astype(np.int16)
        self.playing = Playing(self.play, samples, nxt.start)
        self.status.show(self._view(), force=True)
        return True

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
