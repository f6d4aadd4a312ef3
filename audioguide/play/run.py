"""A whole live session put together: the feed, the transport, the inputs, the loop."""

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
from .controls import KeyMap, VoiceConfig, load_keys, load_voice
from .cues import CueIndex, pick_chapter
from .device import PlayFn, check_device, simpleaudio_play
from .feed import Feed
from .hands import HandsFree, announcement, quit_question
from .inputs.keys import DEFAULT_KEYS, Keys, foreground_tty
from .loop import Loop
from .status import Status
from .transport import Transport

__all__ = ["ACTIONS", "Action", "Command", "Commands", "DEFAULT_KEYS", "KeyMap", "VoiceConfig", "check_device",
           "load_keys", "load_voice", "pick_chapter", "play"]



def play(
    routine: Routine,
    settings: Settings,
    synth: Synthesizer,
    *,
    start_chapter: int | None = None,
    commands: Commands | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    keymap: Mapping[str, Action] | KeyMap = DEFAULT_KEYS,
    progress: ProgressFn | None = None,
    device: PlayFn = simpleaudio_play,
    bed: BedSound | None = None,
    voice: VoiceConfig | None = None,
    media_keys: bool = True,
) -> Literal["finished", "stopped"]:
    """Play a session live until its end (``finished``) or a ``quit`` command (``stopped``).

    ``commands`` is the queue every input source posts to (one is made if not
    given; a front end can post to it from any thread). Keys are read from
    ``stdin`` when it is a terminal in the foreground (``keymap``: a KeyMap, or
    key -> action); the status goes to ``stderr``. ``media_keys`` publishes the
    session on the D-Bus session bus (MPRIS); ``voice`` listens for its
    phrases on its microphone. A missing terminal, bus or microphone is one
    status line, and play goes on with what is there. ``progress`` hears the up-front synthesis that ``--length``
    needs. Raises PlaybackError (no device, the device failed), EngineError
    (synthesis failed; what was ready has played), KeyboardInterrupt.
    Call ``check_device`` first to fail before any synthesis when there is no sound card.
    ``bed`` (``bed.load``) plays under the session at the settings' volume and ducking.
    """
    err = stderr if stderr is not None else sys.stderr
    commands = commands if commands is not None else queue.SimpleQueue()
    keys = keymap if isinstance(keymap, KeyMap) else KeyMap(dict(keymap), None)
    estimate = compile_script(routine, settings)
    prompts = [announcement(voice.phrases), quit_question(voice.phrases)] if voice is not None else []
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
        spoken = _speak(prompts, synth)
    else:
        feed = Feed(routine, settings, synth, speech_texts(estimate), bed_track(bed, settings), prompts)
        feed.start()  # first: the engine starts at once
        cues = feed.cues
        spoken = feed.prompts

    status = Status(cues, estimate, err)
    transport = Transport(cues, start_chapter)
    loop = Loop(cues, status, transport, commands, play=device)
    hands = HandsFree(commands, status, loop.gate, cues, routine.title, estimate.total_ms / 1000, voice,
                      media_keys)
    loop.watch = hands.publish
    if feed is not None and start_chapter is not None:
        loop.progress = lambda: (f"speaking the lines before that chapter ({feed.prepared}/{len(feed.texts)})"
                                 if transport.pending_chapter is not None else "")
    fd = foreground_tty(stdin if stdin is not None else sys.stdin)
    try:
        if fd is not None:
            import termios

            try:
                loop.keys = Keys(fd, commands, keys.keys, keys.otherwise).start()
            except (OSError, termios.error) as error:  # a terminal that cannot be set: play without keys
                status.line(f"keys off: {error}")
            else:
                status.line(keys.help_line())
        hands.start()  # after the keys' help line: a missing bus or microphone is one line under it
        if hands.listening:
            from ..sounds import earcon

            loop.earcon = earcon("heard")
            loop.first = lambda: spoken.get(prompts[0])
            loop.ask_quit = lambda: spoken.get(prompts[1])
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
        hands.close()
        if feed is not None:
            feed.stop()


def _speak(texts: list[str], synth: Synthesizer) -> dict:
    """``texts`` spoken and prepared like the session's speech (for ``--length``, where there is no feed)."""
    if not texts:
        return {}
    from .. import mixer, pipeline

    gain = pipeline.voice_gain(synth)
    return {text: mixer.prepare_speech(synth.speak(text), gain) for text in texts}
