"""Live playback: the session spoken through the sound card, steerable without looking.

What reaches the device equals the export: the player walks the same exact cues
(``compiler.stream_cues``, or ``compile_script`` with ``--length``) and renders
each with ``mixer.render_cue``, whose concatenation is ``mixer.mix``. At 0 dB
volume the samples are sent untouched.

Streaming
---------
A feeder thread iterates ``stream_cues`` with a lazy ``speech_ms`` mapping.
Asked for a text, the mapping pulls speech from ``Synthesizer.speak_ahead``
(which synthesizes the session's texts in order on its own worker) until that
text is there, prepares it with the voice's one gain (``session.voice_gain``:
instant for the bundled voices) and returns its measured length. So the first
cue is known as soon as the first line is spoken, and synthesis runs on ahead
of playback through the whole session. The player only ever plays cues whose
speech is ready: if synthesis falls behind, the current buffer ends at a cue
boundary, the device gets nothing (silence) until the next cue is known, and
playback goes on from exactly that cue; no segment is ever cut short.

``--length`` fits the flexible pauses to a target, which needs every length
first: then every line is prepared up front (with progress) and the exact
``compile_script`` cues are played. ``--start-at`` starts at a chapter's first
sample, which depends on the exact lengths of every earlier line: those lines
are spoken first (instantly from the speech cache after one export or play).

Buffers and the device
----------------------
simpleaudio opens the ALSA device for every ``play_buffer`` call, and an open
can take a few milliseconds (tens through PulseAudio). Each buffer is therefore
a run of whole cues (as many as are known, up to ``MAX_BUFFER_S``): device
re-opens happen only at cue boundaries, which are digital silence or the end of
a fade (speech pads, pauses and chimes all start and end on zero), so a re-open
is never heard as a gap inside a sound, and inside a buffer timing is exact to
the sample. Only a long silence is cut into ``MAX_BUFFER_S`` chunks, so no
buffer holds much more than 1.3 MB. Only one play object exists at a time: the
next buffer starts after the previous one has been drained and closed, because
two open streams would overlap (dmix, PulseAudio) or fail (a bare hw device).

Where playback stopped
----------------------
simpleaudio does not report how many frames it has played. Stopping sets a flag
that its thread checks between writes, after which it *drains* (plays what it
already queued) and closes. The position is taken as (time the play object
ended - time it started) x rate: on a sound card the drain returns once the last
queued sample has been played, so that is the count of samples that reached the
speaker, which makes pause/resume neither lose nor repeat audio beyond the
polling step (``STOP_POLL_S``). Sound stops within the device's queue (100 ms
of latency plus the chunk being written: up to about 0.2 s) of a key press.

Keys (stdin a terminal in the foreground)
------------------------------------------
cbreak mode (no echo, no line editing; Ctrl-C still interrupts), restored on
every way out: normal end, ``q``, Ctrl-C, SIGTERM/SIGHUP, errors, and around
Ctrl-Z. Space pauses and resumes at the exact sample; ``n`` goes to the next
step; ``b`` to the start of this step, and pressed again within
``BACK_AGAIN_S`` to the previous step; ``r`` replays the last instruction then
goes on from where it was; ``+``/``-`` change the volume in 3 dB steps (samples
scaled and clipped; takes effect at once by restarting the buffer at the played
position); ``q`` quits. ``n``, ``b`` and ``r`` also resume a paused session.
"""

from __future__ import annotations

import bisect
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TextIO

import numpy as np

from .compiler import compile_script, stream_cues
from .errors import PlaybackError
from .script import Chapter, Chime, Cue, Say, Script, fmt_clock

# The mixer (and with it scipy, 0.3 s) is imported where it is used, not here:
# `audioguide play` starts synthesizing first, and the feeder thread imports it
# while the engine loads its voice (see ``Feed``).

SAMPLE_RATE = 22050
"""``mixer.SAMPLE_RATE``, the rate of every mix (repeated so that importing the
player does not import the mixer; tests/test_player.py checks that they agree)."""

#: Longest buffer handed to the device at once (cut at a cue boundary, or inside a silence).
MAX_BUFFER_S = 30
#: How often the loop looks at keys and at the play object (also the most the
#: gap between two buffers can grow by).
POLL_S = 0.005
#: How often a stopping play object is looked at: the precision of a pause position.
STOP_POLL_S = 0.002
#: ``b`` pressed again within this many seconds goes one more step back.
BACK_AGAIN_S = 2.0
#: Volume steps and range, in dB (0 dB: the samples of the export).
VOLUME_STEP_DB = 3.0
VOLUME_RANGE_DB = (-30.0, 9.0)
#: How many lines the synthesizer may finish ahead of the feeder.
SPEAK_AHEAD = 8
#: Redraw the status line at most this often (seconds).
STATUS_EVERY_S = 0.2

NO_DEVICE = "no sound device ({why}): use `audioguide export` to write a file instead"
HELP_KEYS = ("keys: space pause/resume · n next step · b back (twice: previous step) · "
             "r repeat instruction · +/- volume · q quit")


# -- the sound device ------------------------------------------------------------

_alsa_quiet: Any = None  # the no-op error handler must outlive every ALSA call


def _libasound():
    """libasound through ctypes, or None where there is no ALSA (other systems)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        lib = ctypes.CDLL("libasound.so.2")
    except OSError:
        return None
    global _alsa_quiet
    if _alsa_quiet is None and not os.environ.get("AUDIOGUIDE_DEBUG"):
        # alsa-lib prints its configuration errors ("ALSA lib confmisc.c:855 ...
        # cannot find card '0'") on stderr; the user gets our one line instead.
        # The handler is variadic in C; one that ignores its arguments is safe.
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)
        _alsa_quiet = handler_type(lambda *_args: None)
        lib.snd_lib_error_set_handler(_alsa_quiet)
    return lib


def check_device() -> None:
    """Raise PlaybackError if the default ALSA device cannot be opened.

    Opens ``default`` for playback (non-blocking) and closes it again: nothing
    is configured or written, so no sound is made and no sample reaches the
    device. A busy device passes (simpleaudio waits for it). Where ALSA is not
    available the first buffer reports any problem instead.
    """
    lib = _libasound()
    if lib is None:
        return
    import ctypes
    import errno

    lib.snd_strerror.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    rc = lib.snd_pcm_open(ctypes.byref(handle), b"default", 0, 1)  # SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK
    if rc >= 0:
        lib.snd_pcm_close(handle)
        return
    if -rc in (errno.EBUSY, errno.EAGAIN):
        return
    why = (lib.snd_strerror(rc) or b"").decode(errors="replace")
    raise PlaybackError(NO_DEVICE.format(why=f"ALSA cannot open its default device: {why}, code {rc}"))


def _simpleaudio_play(samples: np.ndarray):
    import simpleaudio

    return simpleaudio.play_buffer(samples.tobytes(), 1, 2, SAMPLE_RATE)


def _device_error(error: Exception) -> PlaybackError:
    text = (str(error).splitlines() or [type(error).__name__])[0]
    if "opening PCM device" in text or "Error setting parameters" in text:
        return PlaybackError(NO_DEVICE.format(why=text))
    return PlaybackError(f"playback failed: {text}")


class Playing:
    """One buffer on the device: where it sits in the session, and since when it plays."""

    def __init__(self, play: Callable[[np.ndarray], Any], samples: np.ndarray, start: int) -> None:
        try:
            self.handle = play(samples)
        except Exception as error:  # simpleaudio raises its own error type
            raise _device_error(error) from error
        self.t0 = time.monotonic()
        self.start = start
        self.length = len(samples)

    @property
    def end(self) -> int:
        return self.start + self.length

    def is_playing(self) -> bool:
        return bool(self.handle.is_playing())

    def position(self) -> int:
        """Session sample being heard now (from the clock)."""
        return self.start + min(self.length, int((time.monotonic() - self.t0) * SAMPLE_RATE))

    def stop(self, wait: bool = True) -> int:
        """Stop; with ``wait``, wait for the device to drain and close, and return
        the session sample to resume from (see the module docstring)."""
        self.handle.stop()
        if not wait:
            return self.position()
        deadline = time.monotonic() + 3.0
        while self.handle.is_playing() and time.monotonic() < deadline:
            time.sleep(STOP_POLL_S)
        played = round((time.monotonic() - self.t0) * SAMPLE_RATE)
        return self.start + max(0, min(self.length, played))


# -- the cues, as they become known ------------------------------------------------


class CueList:
    """The session's exact cues, appended by a feeder thread (or all at once), with sample offsets.

    Appends happen on one thread and reads on another: lists only grow, and a
    reader looks at ``len`` first, so it never sees a cue half-added.
    """

    def __init__(self, speech: dict[str, np.ndarray] | None = None) -> None:
        self.cues: list[Cue] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.step_first: dict[int, int] = {}
        """step -> index of its first cue"""
        self.chapters: list[int] = []
        """indices of the Chapter cues"""
        self.instructions: list[int] = []
        """indices of the Say cues with role instruction"""
        self.speech: dict[str, np.ndarray] = speech if speech is not None else {}
        self.done = False
        self.error: BaseException | None = None

    @classmethod
    def complete(cls, cues: Sequence[Cue], speech: dict[str, np.ndarray]) -> "CueList":
        made = cls(speech)
        for cue in cues:
            made.add(cue)
        made.finish()
        return made

    def add(self, cue: Cue) -> None:
        if isinstance(cue, Chime):
            from . import sounds

            sounds.render(cue.kind)  # cached: rendering it here keeps it off the playing thread
        from .mixer import ms_to_samples

        index = len(self.cues)
        self.starts.append(ms_to_samples(cue.start_ms))
        self.ends.append(ms_to_samples(cue.end_ms))
        self.step_first.setdefault(cue.step, index)
        if isinstance(cue, Chapter):
            self.chapters.append(index)
        if isinstance(cue, Say) and cue.role == "instruction":
            self.instructions.append(index)
        self.cues.append(cue)  # last: a reader that sees the cue sees everything about it

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self.done = True

    @property
    def end(self) -> int:
        """Sample where the known cues end."""
        n = len(self.cues)
        return self.ends[n - 1] if n else 0

    def index_at(self, sample: int) -> int:
        """Index of the known cue playing at ``sample`` (the last one if past the end)."""
        n = len(self.cues)
        i = bisect.bisect_right(self.starts, sample, 0, n) - 1
        return max(0, i)

    def step_at(self, sample: int) -> int:
        return self.cues[self.index_at(sample)].step if self.cues else 0

    def render(self, a: int, b: int) -> np.ndarray:
        """Session samples [a, b) of known cues: the same samples ``mixer.mix`` puts there."""
        from .mixer import render_cue

        parts = []
        i = self.index_at(a)
        while a < b:
            cue, s, e = self.cues[i], self.starts[i], self.ends[i]
            if e > a:
                lo, hi = a - s, min(b, e) - s
                if isinstance(cue, (Say, Chime)):
                    parts.append(render_cue(cue, self.speech)[lo:hi])
                else:
                    parts.append(np.zeros(hi - lo, np.int16))  # pauses are exact digital silence
                a = s + hi
            i += 1
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def buffer_end(self, pos: int, limit: int | None = None) -> int:
        """Where a buffer starting at ``pos`` should end: a cue boundary within
        ``MAX_BUFFER_S``, or inside a long silence, never inside a sound."""
        end = self.end if limit is None else min(self.end, limit)
        stop = min(end, pos + MAX_BUFFER_S * SAMPLE_RATE)
        if stop >= end:
            return end
        n = len(self.cues)
        j = bisect.bisect_right(self.starts, stop, 0, n) - 1
        if self.starts[j] > pos:
            return self.starts[j]
        cue = self.cues[j]
        return self.ends[j] if isinstance(cue, (Say, Chime)) else stop


class _Stopped(Exception):
    """The player left: the feeder stops."""


class _LazyLengths(Mapping):
    """``speech_ms`` for ``stream_cues``: a text's length once it is synthesized and prepared.

    Texts come from the synthesizer in the order the session first uses them,
    so asking for the next text pulls just the speech it needs.
    """

    def __init__(self, feed: "Feed", speeches: Iterator) -> None:
        self.feed = feed
        self.speeches = speeches

    def __getitem__(self, text: str) -> int:
        from . import mixer

        feed = self.feed
        speech = feed.cues.speech
        while text not in speech:
            if feed.stopped.is_set():
                raise _Stopped
            try:
                said, spoken = next(self.speeches)
            except StopIteration:
                if feed.stopped.is_set():
                    raise _Stopped from None
                # Not among the estimated script's texts: cannot happen (speech
                # lengths never change the words), but speak it rather than fail.
                said, spoken = text, feed.synth.speak(text)
            speech[said] = mixer.prepare_speech(spoken, feed.gain)
            feed.prepared += 1
        return mixer.speech_ms(speech[text])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.feed.cues.speech))

    def __len__(self) -> int:
        return len(self.feed.cues.speech)


class Feed:
    """Builds the exact cues of a session on a daemon thread, speech synthesized ahead."""

    def __init__(self, routine, settings, synth, texts: list[str]) -> None:
        self.routine, self.settings, self.synth = routine, settings, synth
        self.texts = texts
        self.gain = 0.0
        self.cues = CueList()
        self.prepared = 0
        self.stopped = threading.Event()
        self.speaker = None
        self.thread = threading.Thread(target=self._run, name="audioguide-play-feed", daemon=True)

    def start(self) -> "Feed":
        self.speaker = self.synth.speak_ahead(self.texts, ahead=SPEAK_AHEAD)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            # Imported here, while the synthesis worker loads the engine and speaks
            # the first line; voice_gain is instant for the bundled voices (any
            # other voice speaks a reference passage once, then it is cached).
            from . import mixer, session  # noqa: F401

            self.gain = session.voice_gain(self.synth)
            lengths = _LazyLengths(self, zip(self.texts, self.speaker))
            for cue in stream_cues(self.routine, self.settings, lengths):
                if self.stopped.is_set():
                    break
                self.cues.add(cue)
            self.cues.finish()
        except _Stopped:
            self.cues.finish()
        except BaseException as error:  # handed to the player, which raises it on its own thread
            self.cues.finish(error)
        finally:
            self.speaker.close()

    def stop(self) -> None:
        """Stop speaking ahead, and wait for the line being synthesized now.

        Waiting matters: an engine running native code on a worker thread while
        the interpreter shuts down can crash the process (onnxruntime aborted
        with "terminate called without an active exception" when Ctrl-C came
        while piper was loading its voice). The sound is already stopped by
        then; only the exit waits, for one line at most.
        """
        self.stopped.set()
        if self.speaker is not None:
            self.speaker.close()  # joins the synthesis worker after its current line
        self.thread.join(5.0)


# -- keys ------------------------------------------------------------------------


class Keys:
    """Single key presses from a terminal: cbreak mode while alive, the saved mode restored by ``restore``."""

    def __init__(self, fd: int) -> None:
        import termios
        import tty

        self.fd = fd
        self._termios, self._tty = termios, tty
        self.saved = termios.tcgetattr(fd)
        self.eof = False
        self.enter()

    def enter(self) -> None:
        # cbreak, not raw: ISIG stays on, so Ctrl-C raises KeyboardInterrupt and Ctrl-Z suspends.
        self._tty.setcbreak(self.fd, self._termios.TCSANOW)

    def restore(self) -> None:
        self._termios.tcsetattr(self.fd, self._termios.TCSADRAIN, self.saved)

    def read(self, timeout: float) -> str:
        """Keys pressed within ``timeout`` seconds ('' if none); escape sequences (arrows...) dropped."""
        if self.eof:
            time.sleep(timeout)
            return ""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return ""
        data = os.read(self.fd, 64).decode("latin-1")
        if not data:
            self.eof = True  # the terminal went away: play on without keys
        return data.split("\x1b", 1)[0]


# -- progress --------------------------------------------------------------------


@dataclass
class View:
    """What the status shows."""

    pos: int
    state: str  # "playing", "paused", "waiting", "preparing"
    volume_db: float
    note: str = ""


class Status:
    """Progress on stderr: one line redrawn in place on a terminal, plain lines otherwise."""

    def __init__(self, cues: CueList, estimate: Script, out: TextIO | None = None) -> None:
        self.cues = cues
        self.out = out if out is not None else sys.stderr
        self.tty = self.out.isatty()
        self.total_steps = len({c.step for c in estimate.cues})
        self.total_chapters = len(estimate.chapters())
        self.estimate = estimate
        self.est_ends = [c.end_ms for c in estimate.cues]
        self._last_draw = 0.0
        self._drawn = False
        self._next_cue = 0  # plain mode: next cue to announce
        self._charset_ok = (getattr(self.out, "encoding", None) or "").lower().replace("-", "") in ("utf8", "utf_8")

    def text(self, s: str) -> str:
        return s if self._charset_ok else s.replace("·", "|").replace("…", "...")

    def line(self, message: str) -> None:
        """A message on its own line (above the status line on a terminal)."""
        self.clear()
        print(self.text(message), file=self.out, flush=True)

    def clear(self) -> None:
        if self.tty and self._drawn:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._drawn = False

    def done(self) -> None:
        if self.tty and self._drawn:
            self.out.write("\n")
            self.out.flush()
            self._drawn = False

    def jumped(self, pos: int) -> None:
        """Playback moved: announce from the cue at ``pos`` on."""
        if self.cues.cues:
            i = self.cues.index_at(pos)
            # announce the chapter/instruction we land in
            self._next_cue = i
            while self._next_cue > 0 and self.cues.starts[self._next_cue - 1] == self.cues.starts[i]:
                self._next_cue -= 1

    def remaining_ms(self, pos_ms: int) -> tuple[int, bool]:
        """(ms left, exact?)"""
        n = len(self.cues.cues)
        if self.cues.done:
            return max(0, self.cues.cues[-1].end_ms - pos_ms) if n else 0, True
        known_end = self.cues.cues[n - 1].end_ms if n else 0
        est_known = self.est_ends[n - 1] if 0 < n <= len(self.est_ends) else 0
        return max(0, known_end - pos_ms + self.estimate.total_ms - est_known), False

    def show(self, view: View, force: bool = False) -> None:
        if not self.tty:
            if view.state in ("playing", "finished"):  # lines follow what is heard, not what is pending
                self._announce(view.pos)
            return
        now = time.monotonic()
        if not force and now - self._last_draw < STATUS_EVERY_S:
            return
        self._last_draw = now
        cues = self.cues
        pos_ms = view.pos * 1000 // SAMPLE_RATE
        parts = [{"playing": "playing", "paused": "PAUSED", "waiting": "waiting for speech…",
                  "preparing": "preparing…", "stopped": "stopped", "finished": "finished"}[view.state]]
        if cues.cues:
            i = cues.index_at(view.pos)
            cue = cues.cues[i]
            left, exact = self.remaining_ms(pos_ms)
            parts.append(f"{fmt_clock(pos_ms)} -{'' if exact else '~'}{fmt_clock(left)}")
            parts.append(cue.chapter)
            parts.append(f"step {cue.step + 1}/{max(self.total_steps, cue.step + 1)}")
            parts.append(f"vol {view.volume_db:+g} dB")
            if view.note:
                parts.append(view.note)
            said = cue if isinstance(cue, Say) else self._last_instruction(i)
            if said is not None:
                parts.append(said.text)
        elif view.note:
            parts.append(view.note)
        import shutil

        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        text = self.text(" · ".join(parts))
        if len(text) > width:
            text = text[: width - 1] + self.text("…")
        self.out.write("\r\x1b[K" + text)
        self.out.flush()
        self._drawn = True

    def _last_instruction(self, i: int) -> Say | None:
        k = bisect.bisect_right(self.cues.instructions, i) - 1
        return self.cues.cues[self.cues.instructions[k]] if k >= 0 else None  # type: ignore[return-value]

    def _announce(self, pos: int) -> None:
        """Plain mode: one line per chapter and per instruction, as playback reaches it."""
        cues = self.cues
        while self._next_cue < len(cues.cues) and cues.starts[self._next_cue] <= pos:
            cue = cues.cues[self._next_cue]
            when = fmt_clock(cue.start_ms)
            if isinstance(cue, Chapter):
                print(f"{when} chapter {cues.chapters.index(self._next_cue) + 1}/{self.total_chapters}: {cue.title}",
                      file=self.out, flush=True)
            elif isinstance(cue, Say) and cue.role == "instruction":
                print(f"{when}   {cue.text}", file=self.out, flush=True)
            self._next_cue += 1


# -- the player --------------------------------------------------------------------


def pick_chapter(titles: Sequence[str], wanted: str) -> int:
    """Index of the chapter ``wanted`` names: its 1-based number, its title
    (case-insensitive) or a unique prefix of it. ValueError lists the chapters."""
    listing = ", ".join(f'{i} "{t}"' for i, t in enumerate(titles, 1))
    key = wanted.strip().casefold()
    if key.isdigit():
        n = int(key)
        if 1 <= n <= len(titles):
            return n - 1
        raise ValueError(f"there is no chapter {n}; the chapters are: {listing}")
    exact = [i for i, t in enumerate(titles) if t.casefold() == key]
    if exact:
        return exact[0]
    prefixed = [i for i, t in enumerate(titles) if key and t.casefold().startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        which = ", ".join(f'"{titles[i]}"' for i in prefixed)
        raise ValueError(f"{wanted!r} could be {which}; the chapters are: {listing}")
    raise ValueError(f"no chapter {wanted!r}; the chapters are: {listing}")


class Player:
    """The playing loop: one buffer on the device at a time, keys, status."""

    def __init__(self, cues: CueList, status: Status, keys: Keys | None = None, start_chapter: int | None = None,
                 play: Callable[[np.ndarray], Any] = _simpleaudio_play,
                 progress: Callable[[], str] | None = None) -> None:
        self.cues = cues
        self.status = status
        self.keys = keys
        self.play = play
        self.progress = progress
        self.pos = 0
        self.pending_chapter = start_chapter
        self.pending_step: int | None = None
        self.detour: tuple[int, int] | None = None  # (end sample of the replayed instruction, where to go back to)
        self.paused = False
        self.quit = False
        self.volume_db = 0.0
        self.playing: Playing | None = None
        self._back_at = -1e9
        self._back_step = 0
        self.suspend_requested = False

    # the loop ------------------------------------------------------------------

    def run(self) -> None:
        try:
            while not self.quit:
                if self.suspend_requested:
                    self._suspend()
                if self.playing is None and not self.paused and not self._start_next():
                    break
                self._tick()
        finally:
            if self.playing is not None:
                # Interrupted (Ctrl-C, a signal, an error): stop without waiting for the
                # drain; leaving the process closes the device at once.
                self.playing.stop(wait=False)
                self.playing = None

    def _tick(self) -> None:
        keys = self.keys.read(POLL_S) if self.keys is not None else time.sleep(POLL_S) or ""
        for key in keys:
            self._key(key)
        if self.playing is not None and not self.playing.is_playing():
            self.pos = self.playing.end
            self.playing = None
            return  # start the next buffer at once
        self.status.show(self._view())

    def _view(self, note: str = "") -> View:
        if self.playing is not None:
            return View(self.playing.position(), "playing", self.volume_db, note)
        cues = self.cues
        if self.quit:
            state = "stopped"
        elif self.paused:
            state = "paused"
        elif not cues.cues:
            state = "preparing"
        elif self.pending_chapter is not None or self.pending_step is not None or self.pos >= cues.end:
            state = "finished" if cues.done and self.pos >= cues.end else "waiting"
        else:
            state = "playing"  # between two buffers
        if not note and self.progress is not None and state in ("preparing", "waiting"):
            note = self.progress()
        return View(self.pos, state, self.volume_db, note)

    def _raise_feed_error(self) -> None:
        if self.cues.error is not None:
            raise self.cues.error

    def _start_next(self) -> bool:
        """Start the next buffer; False when the session is over. Returns True
        without starting anything while waiting for speech."""
        cues = self.cues
        if self.pending_chapter is not None:
            if self.pending_chapter < len(cues.chapters):
                self._move(cues.starts[cues.chapters[self.pending_chapter]])
                self.pending_chapter = None
            elif cues.done:
                self._raise_feed_error()
                self.pending_chapter = None
            else:
                return True
        if self.pending_step is not None:
            first = cues.step_first.get(self.pending_step)
            if first is not None:
                self._move(cues.starts[first])
                self.pending_step = None
            elif cues.done:
                self._raise_feed_error()
                self._move(cues.end)  # past the last step: the session is over
                self.pending_step = None
            else:
                return True
        if self.detour is not None and self.pos >= self.detour[0]:
            self._move(self.detour[1])
            self.detour = None
        if self.pos >= cues.end:
            if cues.done:
                self._raise_feed_error()
                self.status.show(View(self.pos, "finished", self.volume_db), force=True)
                return False
            return True  # synthesis is behind: silence until the next cue is known
        stop = cues.buffer_end(self.pos, None if self.detour is None else self.detour[0])
        samples = cues.render(self.pos, stop)
        if self.volume_db:
            gain = 10 ** (self.volume_db / 20)
            samples = np.clip(np.rint(samples * gain), -32768, 32767).astype(np.int16)
        self.playing = Playing(self.play, samples, self.pos)
        self.status.show(self._view(), force=True)
        return True

    def _move(self, pos: int) -> None:
        self.pos = pos
        self.status.jumped(pos)

    def _halt(self) -> int:
        """Stop the buffer on the device; the session sample to go on from."""
        if self.playing is None:
            return self.pos
        pos = self.playing.stop(wait=True)
        self.playing = None
        return pos

    # keys ----------------------------------------------------------------------

    def _key(self, key: str) -> None:
        k = key.lower()
        if self.pending_chapter is not None and k in ("n", "b", "r"):
            return  # --start-at has not reached its chapter yet: nothing to move from
        if k == " ":
            self.toggle_pause()
        elif k == "n":
            self._back_at = -1e9
            self.skip(+1)
        elif k == "b":
            self.back()
        elif k == "r":
            self.repeat()
        elif k in ("+", "="):
            self.change_volume(+VOLUME_STEP_DB)
        elif k in ("-", "_"):
            self.change_volume(-VOLUME_STEP_DB)
        elif k == "q":
            self._halt()
            self.quit = True
            self.status.show(self._view(), force=True)

    def toggle_pause(self) -> None:
        if self.paused:
            self.paused = False
        else:
            self.pos = self._halt()
            self.paused = True
        self.status.show(self._view(), force=True)
        if not self.status.tty:
            self.status.line(f"{'paused' if self.paused else 'resumed'} at {fmt_clock(self.pos * 1000 // SAMPLE_RATE)}")

    def _here(self) -> int:
        """The session sample the listener is at (where a detour will return to)."""
        if self.detour is not None:
            return self.detour[1]
        return self.playing.position() if self.playing is not None else self.pos

    def skip(self, steps: int, target: int | None = None) -> None:
        if target is None:
            target = self.cues.step_at(self._here()) + steps
        self._halt()
        self.detour = None
        self.paused = False
        self.pending_step = max(0, target)

    def back(self) -> None:
        now = time.monotonic()
        if now - self._back_at < BACK_AGAIN_S:
            target = self._back_step - 1
        else:
            target = self.cues.step_at(self._here())
        target = max(0, target)
        self._back_at, self._back_step = now, target
        self.skip(0, target)

    def repeat(self) -> None:
        here = self._here()
        cues = self.cues
        k = bisect.bisect_right(cues.instructions, cues.index_at(here)) - 1
        if not cues.cues or k < 0:
            return  # nothing said yet
        i = cues.instructions[k]
        start, end = cues.starts[i], cues.ends[i]
        if self.detour is None:
            here = self._halt()
        else:
            self._halt()
        self.paused = False
        if start <= here < end:
            self.detour = None  # still saying it: say it again from its start
            self._move(start)
        else:
            self.detour = (end, here)
            self._move(start)

    def change_volume(self, delta: float) -> None:
        lo, hi = VOLUME_RANGE_DB
        new = min(hi, max(lo, self.volume_db + delta))
        if new == self.volume_db:
            return
        if self.playing is not None:
            self.pos = self._halt()  # restarted at once, at the new level, from the played position
        self.volume_db = new
        self.status.show(self._view(), force=True)
        if not self.status.tty:
            self.status.line(f"volume {new:+g} dB")

    # Ctrl-Z --------------------------------------------------------------------

    def _suspend(self) -> None:
        self.suspend_requested = False
        if self.playing is not None:
            self.pos = self._halt()
        self.paused = True
        self.status.done()
        if not self.status.tty:
            self.status.line(f"paused at {fmt_clock(self.pos * 1000 // SAMPLE_RATE)} (suspended)")
        if self.keys is not None:
            self.keys.restore()
        old = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # stops here until `fg`
        finally:
            signal.signal(signal.SIGTSTP, old)
        if self.keys is not None:
            self.keys.enter()
        self.status.show(self._view(), force=True)


# -- putting it together -----------------------------------------------------------


def _foreground_tty(stream: TextIO) -> int | None:
    """The fd of ``stream`` if it is a terminal this process may read keys from."""
    try:
        import termios  # noqa: F401  (POSIX only: elsewhere, play straight through)

        fd = stream.fileno()
    except (ImportError, AttributeError, OSError, ValueError):
        return None
    if not os.isatty(fd):
        return None
    try:
        if os.tcgetpgrp(fd) != os.getpgrp():
            return None  # started in the background: touching the terminal would stop us (SIGTTOU)
    except OSError:
        pass  # not our controlling terminal: no job control applies to it
    return fd


def play(routine, settings, synth, start_chapter: int | None = None, stdin: TextIO | None = None,
         stderr: TextIO | None = None) -> None:
    """Play a session live until its end or ``q`` (returns), or Ctrl-C (KeyboardInterrupt).

    Call ``check_device`` first, to fail before any synthesis when there is no sound card.
    """
    err = stderr if stderr is not None else sys.stderr
    estimate = compile_script(routine, settings)
    feed: Feed | None = None
    if settings.length_ms is not None:
        # Fitting --length scales pauses by a factor that depends on every
        # line's length: nothing can be timed before everything is spoken.
        from . import session

        if not err.isatty():
            print("--length: preparing every line first (fitting needs all of their lengths)", file=err, flush=True)
        script, speech = session.exact_script(routine, settings, synth, progress=True)
        cues = CueList.complete(script.cues, dict(speech.audio))
        estimate = script
    else:
        texts = estimate.spoken_texts()
        feed = Feed(routine, settings, synth, texts).start()  # first, so the engine starts at once
        cues = feed.cues

    status = Status(cues, estimate, err)
    player = Player(cues, status, start_chapter=start_chapter)
    if feed is not None and start_chapter is not None:
        player.progress = lambda: (f"speaking the lines before that chapter ({feed.prepared}/{len(feed.texts)})"
                                   if player.pending_chapter is not None else "")
    fd = _foreground_tty(stdin if stdin is not None else sys.stdin)
    handlers: dict[int, Any] = {}

    def leave(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds like Ctrl-C: sound stopped, terminal restored

    try:
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None:
                handlers[sig] = signal.signal(sig, leave)
        if fd is not None:
            import termios

            try:
                player.keys = Keys(fd)
            except (OSError, termios.error) as error:  # a terminal that cannot be set: play without keys
                status.line(f"keys off: {error}")
            if player.keys is not None:
                handlers[signal.SIGTSTP] = signal.signal(
                    signal.SIGTSTP, lambda *_: setattr(player, "suspend_requested", True))
                status.line(HELP_KEYS)
        try:
            player.run()
        finally:
            if player.keys is not None:
                player.keys.restore()
        status.done()
        if not status.tty:
            status.line("stopped" if player.quit else "finished")
    finally:
        for sig, old in handlers.items():
            signal.signal(sig, old)
        if feed is not None:
            feed.stop()
