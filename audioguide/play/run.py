"""A whole live session put together: the feed, the transport, the keys, the loop."""

from __future__ import annotations

import queue
import sys
from typing import Literal, Mapping, TextIO

from ..bed import BedSound, bed_track
from ..compiler import compile_script, speech_texts
from ..progress import ProgressFn
from ..routine import Routine
from ..settings import Settings
from ..synth import Synthesizer
from .commands import ACTIONS, Action, Command, Commands
from .cues import CueIndex, pick_chapter
from .device import PlayFn, check_device, simpleaudio_play
from .feed import Feed
from .inputs.keys import DEFAULT_KEYS, HELP_KEYS, Keys, foreground_tty
from .loop import Loop
from .status import Status
from .transport import Transport

__all__ = ["ACTIONS", "Action", "Command", "Commands", "DEFAULT_KEYS", "check_device", "pick_chapter", "play"]


def play(
    routine: Routine,
    settings: Settings,
    synth: Synthesizer,
    *,
    start_chapter: int | None = None,
    commands: Commands | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    keymap: Mapping[str, Action] = DEFAULT_KEYS,
    progress: ProgressFn | None = None,
    device: PlayFn = simpleaudio_play,
    bed: BedSound | None = None,
) -> Literal["finished", "stopped"]:
    """Play a session live until its end (``finished``) or a ``quit`` command (``stopped``).

    ``commands`` is the queue every input source posts to (one is made if not
    given; a front end can post to it from any thread). Keys are read from
    ``stdin`` when it is a terminal in the foreground; the status goes to
    ``stderr``. ``progress`` hears the up-front synthesis that ``--length``
    needs. Raises PlaybackError (no device, the device failed), EngineError
    (synthesis failed; what was ready has played), KeyboardInterrupt.
    Call ``check_device`` first to fail before any synthesis when there is no sound card.
    ``bed`` (``bed.load``) plays under the session at the settings' volume and ducking.
    """
    err = stderr if stderr is not None else sys.stderr
    commands = commands if commands is not None else queue.SimpleQueue()
    estimate = compile_script(routine, settings)
    feed: Feed | None = None
    if settings.length_ms is not None:
        # Fitting --length scales pauses by a factor that depends on every
        # line's length: nothing can be timed before everything is spoken.
        from .. import pipeline

        if not err.isatty():
            print("--length: preparing every line first (fitting needs all of their lengths)", file=err, flush=True)
        script, speech = pipeline.exact_script(routine, settings, synth, progress)
        cues = CueIndex.complete(script.cues, speech, bed_track(bed, settings))
        estimate = script
    else:
        feed = Feed(routine, settings, synth, speech_texts(estimate), bed_track(bed, settings))
        feed.start()  # first: the engine starts at once
        cues = feed.cues

    status = Status(cues, estimate, err)
    transport = Transport(cues, start_chapter)
    loop = Loop(cues, status, transport, commands, play=device)
    if feed is not None and start_chapter is not None:
        loop.progress = lambda: (f"speaking the lines before that chapter ({feed.prepared}/{len(feed.texts)})"
                                 if transport.pending_chapter is not None else "")
    fd = foreground_tty(stdin if stdin is not None else sys.stdin)
    try:
        if fd is not None:
            import termios

            try:
                loop.keys = Keys(fd, commands, keymap).start()
            except (OSError, termios.error) as error:  # a terminal that cannot be set: play without keys
                status.line(f"keys off: {error}")
            else:
                status.line(HELP_KEYS)
        try:
            loop.run()
        finally:
            if loop.keys is not None:
                loop.keys.close()
        status.done()
        ended: Literal["finished", "stopped"] = "stopped" if transport.quit else "finished"
        if not status.tty:
            status.line(ended)
        return ended
    finally:
        if feed is not None:
            feed.stop()
