"""Hands-free inputs for one live session: media keys and headset buttons (MPRIS), and voice commands.

Each source posts ``Command`` values to the loop's one queue; the transport is
the only holder of position and volume. This module starts and stops the
sources, tells the user in one line when one cannot start (play goes on with
the others), publishes what plays on MPRIS, and words what the guide says for
voice: the phrases it listens for, and the question a spoken quit asks.
"""

from __future__ import annotations

import time
from typing import Mapping

from .commands import Action, Commands
from .controls import VoiceConfig
from .cues import CueIndex
from .gate import SoundGate
from .status import Status, View

#: MPRIS position and metadata are published at most this often (seconds).
PUBLISH_EVERY_S = 0.5


def phrase_for(phrases: Mapping[str, Action], *actions: Action) -> str | None:
    """The first phrase that does one of ``actions``, or None."""
    for action in actions:
        for phrase, does in phrases.items():
            if does == action:
                return phrase
    return None


def announcement(phrases: Mapping[str, Action]) -> str:
    """What the guide says first with ``--listen``: every phrase it listens for."""
    listed = list(phrases)
    said = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + ", or " + listed[-1]
    return f"Voice commands are on. You can say: {said}."


def quit_question(phrases: Mapping[str, Action]) -> str:
    """What the guide asks when a spoken quit paused it."""
    again = phrase_for(phrases, "quit")
    go_on = phrase_for(phrases, "go", "resume", "toggle")
    rest = f", or {go_on} to go on" if go_on else ""
    return f"Stop the guide? Say {again} again to stop{rest}."


class HandsFree:
    """MPRIS and (with ``voice``) the microphone listener, for one session.

    ``start`` never raises for a missing bus or microphone: it prints one line
    on the status and plays on. ``close`` stops both.
    """

    def __init__(self, commands: Commands, status: Status, gate: SoundGate, cues: CueIndex, album: str,
                 length_s: float, voice: VoiceConfig | None = None, media_keys: bool = True) -> None:
        self.commands, self.status, self.gate, self.cues = commands, status, gate, cues
        self.album, self.length_s = album, length_s
        self.voice = voice
        self.media_keys = media_keys
        self.mpris = None
        self.listener = None
        self._published: tuple = ()
        self._published_at = 0.0

    def start(self) -> HandsFree:
        if self.media_keys:
            from .inputs.mpris import BUS_NAME, Mpris, MprisUnavailable

            try:
                self.mpris = Mpris(self.commands, self.album, self.length_s).start()
            except MprisUnavailable as error:
                self.status.line(str(error))
            else:
                if self.mpris.bus_name != BUS_NAME:  # another audioguide plays: media keys may go to it
                    self.status.line(f"media keys: {BUS_NAME} is taken by another player; "
                                     f"this one is {self.mpris.bus_name}")
        if self.voice is not None:
            self.listener = self._listen(self.voice)
        return self

    def _listen(self, config: VoiceConfig):
        from .inputs.listening import Listener, VoiceUnavailable

        try:
            listener = Listener(self.commands, self.gate, config.phrases, config.sensitivity, config.mic).start()
        except VoiceUnavailable as error:
            self.status.line(f"voice commands off: {error}; keys still work")
            return None
        said = ", ".join(f'"{p}"' for p in config.phrases)
        self.status.line(f"listening on {config.mic!r} for {said}")
        return listener

    @property
    def listening(self) -> bool:
        return self.listener is not None

    def publish(self, view: View) -> None:
        """Tell MPRIS what plays (signals only on a change of state, chapter or line)."""
        if self.mpris is None:
            return
        now = time.monotonic()
        cues = self.cues
        chapter, index, line = "", 0, ""
        if cues.cues:
            i = cues.index_at(view.pos)
            chapter = cues.cues[i].chapter
            index = sum(1 for c in cues.chapters if c <= i)
            k = cues.last_instruction(i)
            line = cues.cues[k].text if k is not None else ""  # type: ignore[attr-defined]
        status = {"playing": "Playing", "paused": "Paused", "stopped": "Stopped", "finished": "Stopped"}.get(
            view.state, "Playing")
        key = (status, chapter, index, line)
        if key == self._published and now - self._published_at < PUBLISH_EVERY_S:
            return
        self._published, self._published_at = key, now
        from ..pcm import SAMPLE_RATE

        self.mpris.update(status, chapter, line, index, view.pos / SAMPLE_RATE)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
            if self.listener.error is not None:
                self.status.line(f"voice commands stopped: {self.listener.error}")
        if self.mpris is not None:
            self.mpris.update("Stopped")
            self.mpris.close()
