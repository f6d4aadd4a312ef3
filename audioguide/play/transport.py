"""The transport: pure navigation of a live session.

Given the cue index, the listener's position (a session sample) and the time,
it decides where to play next and whether the device must stop: pause and
resume, next step, back (twice quickly: the previous step), repeat the last
instruction with a detour back to where it was, volume, quit; the user's
go-ahead that ends a self-paced wait (a ``ready:`` step); and a spoken quit
that asks first. It has no clock,
no threads and no device: the loop passes ``now`` (seconds, any monotonic
origin) and the exact position the device stopped at, so every rule here is
tested in milliseconds without sound.

It is the only holder of position and volume. The loop's cycle::

    if device is playing and transport.interrupts(command, heard):
        at = device.stop()          # the exact sample to go on from
    transport.apply(command, at, now, heard)
    ... when the device is idle and not paused: transport.next() -> Play | "wait" | "end"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..pcm import position_ms
from ..script import Chime, Pause
from ..text import fmt_clock
from .commands import Command
from .cues import CueIndex

#: ``back`` pressed again within this many seconds goes one more step back.
BACK_AGAIN_S = 2.0
#: Volume steps and range, in dB (0 dB: the samples of the export).
VOLUME_STEP_DB = 3.0
VOLUME_RANGE_DB = (-30.0, 9.0)
#: A spoken quit pauses and asks; it quits only if said again within this many seconds.
CONFIRM_QUIT_S = 15.0


@dataclass(frozen=True)
class Play:
    """Play session samples [start, stop) next."""

    start: int
    stop: int


Next = Play | Literal["wait", "end"]
"""``transport.next()``: a buffer to play, ``wait`` (speech not ready yet), or ``end``."""


class Transport:
    """Where a live session is, and where it goes on each command."""

    def __init__(self, cues: CueIndex, start_chapter: int | None = None) -> None:
        self.cues = cues
        self.position = 0
        """Session sample the next buffer starts from."""
        self.paused = False
        self.volume_db = 0.0
        self.quit = False
        self.pending_chapter = start_chapter
        """``--start-at``: the chapter to start from once its first cue is known."""
        self.pending_step: int | None = None
        """A step to go to once its first cue is known (next/back while speech is behind)."""
        self.detour: tuple[int, int] | None = None
        """While repeating an instruction: (its end sample, the sample to return to)."""
        self.jumped = False
        """Set when the position jumps (the status announces from there); the loop clears it."""
        self.asking_quit = False
        """Set when a spoken quit paused to ask first (the loop says the question); the loop clears it."""
        self.go_early: int | None = None
        """A go-ahead given while the prompt before a self-paced wait was spoken: the sample
        where that wait starts (the loop gives the go-ahead again once play reaches it)."""
        self._confirm_until = -1e18
        self._back_at = -1e18
        self._back_step = 0

    # -- commands ------------------------------------------------------------------

    def interrupts(self, command: Command, heard: int) -> bool:
        """Whether ``command`` changes what is playing: the device must stop before ``apply``.

        ``heard`` is the sample being heard now (approximate; ``apply`` gets the exact one).
        """
        action = command.action
        if action in ("toggle", "go") and not self.paused and self.waiting_end(heard) is not None:
            return True  # the go-ahead: the rest of the wait is skipped
        if action == "quit" and command.source == "voice":
            return not self.paused  # asks first, paused
        if action in ("toggle", "pause", "suspend"):
            return not self.paused
        if action in ("next", "back"):
            return self.pending_chapter is None
        if action == "repeat":
            cues = self.cues
            said = cues.last_instruction(cues.index_at(self._here(heard))) if cues.cues else None
            return self.pending_chapter is None and said is not None
        if action in ("volume_up", "volume_down"):
            return self._volume_after(action) != self.volume_db
        return action == "quit"

    def apply(self, command: Command, at: int, now: float, heard: int | None = None) -> str:
        """Carry out ``command`` given at time ``now`` (s) while the listener heard sample ``heard``.

        ``at`` is where playback stopped (the device drains what it had queued:
        up to about 0.2 s after ``heard``): pause, volume and the return from a
        repeat go on from there, while which step or instruction the command
        means is judged by ``heard``, what the listener was hearing when they
        asked (default: ``at``). Returns a short note for a plain status line
        (``paused at 0:12``), or "".
        """
        heard = at if heard is None else heard
        action = command.action
        confirming, self._confirm_until = now <= self._confirm_until, -1e18
        if action not in ("volume_up", "volume_down"):
            self.go_early = None  # any other command replaces a remembered go-ahead
        if self.pending_chapter is not None and action in ("next", "back", "repeat"):
            return ""  # --start-at has not reached its chapter yet: nothing to move from
        if action in ("toggle", "go") and not self.paused:
            end = self.waiting_end(heard)
            if end is not None:
                return self._go_ahead(end)
        if action == "toggle":
            return self._resume() if self.paused else self._pause(at)
        if action in ("pause", "suspend"):
            return "" if self.paused else self._pause(at)
        if action == "go" and not self.paused:
            wait = self.prompt_wait(heard)
            if wait is not None:  # pressed as the prompt ends (a pedal user does): keep it for the wait
                self.go_early = wait
                return "going on after this line"
        if action in ("resume", "go"):
            return self._resume() if self.paused else ""
        if action == "quit" and command.source == "voice" and not confirming:
            note = "" if self.paused else self._pause(at)
            self._confirm_until = now + CONFIRM_QUIT_S
            self.asking_quit = True
            return f"{note}; stop? say it again to stop" if note else "stop? say it again to stop"
        if action == "next":
            self._back_at = -1e18
            here = self._here(heard)
            # Pressed again before the jump was played: from the step already chosen, so two presses go two steps.
            current = self.pending_step if self.pending_step is not None else self.cues.step_at(here)
            self._skip(current + 1)
            if self.cues.done and self.pending_step not in self.cues.step_first:  # on the last step
                self.pending_step = None
                self._move(self._closing(here))
                return "next: the end"
            return f"next: step {self.pending_step + 1}"
        elif action == "back":
            self._back(heard, now)
            return f"back to step {self.pending_step + 1}"
        elif action == "repeat":
            return "the instruction again" if self._repeat(heard, at) else ""
        elif action in ("volume_up", "volume_down"):
            return self._volume(action, at)
        elif action == "quit":
            self.position = at
            self.quit = True
        return ""

    def prompt_wait(self, heard: int) -> int | None:
        """If the listener hears the line just before a self-paced wait, the sample that wait starts at."""
        cues = self.cues
        if not cues.cues or self.pending_chapter is not None or self.pending_step is not None:
            return None
        i = cues.index_at(heard)
        if i + 1 < len(cues.cues) and isinstance(cues.cues[i + 1], Pause) and cues.cues[i + 1].self_paced \
                and not isinstance(cues.cues[i], Pause):
            return cues.starts[i + 1]
        return None

    def waiting_end(self, heard: int) -> int | None:
        """If the listener is in a self-paced wait (a ``ready:`` step's pause), the sample it ends at."""
        cues = self.cues
        if not cues.cues or self.pending_chapter is not None or self.pending_step is not None:
            return None
        i = cues.index_at(heard)
        cue = cues.cues[i]
        if isinstance(cue, Pause) and cue.self_paced and cues.starts[i] <= heard < cues.ends[i]:
            return cues.ends[i]
        return None

    def finished_buffer(self, end: int) -> None:
        """The device played its buffer to ``end`` (the next buffer starts there)."""
        self.position = end

    # -- where next ----------------------------------------------------------------

    def next(self) -> Next:
        """Where to play once the device is idle and the session not paused."""
        cues = self.cues
        if self.pending_chapter is not None:
            if self.pending_chapter < len(cues.chapters):
                self._move(cues.starts[cues.chapters[self.pending_chapter]])
                self.pending_chapter = None
            elif not cues.done:
                return "wait"
            elif cues.error is not None:
                return "end"
            else:
                self.pending_chapter = None
        if self.pending_step is not None:
            first = cues.step_first.get(self.pending_step)
            if first is not None:
                self._move(cues.starts[first])
            elif not cues.done:
                return "wait"
            elif cues.error is not None:
                return "end"
            else:
                self._move(self._closing(self.position))  # past the last step: the end bell, if any
            self.pending_step = None
        if self.detour is not None and self.position >= self.detour[0]:
            self._move(self.detour[1])
            self.detour = None
        if self.position >= cues.end:
            return "end" if cues.done else "wait"  # not done: synthesis is behind, silence until the next cue
        stop = cues.buffer_end(self.position, None if self.detour is None else self.detour[0])
        return Play(self.position, stop) if stop > self.position else "wait"  # a bed waits for the cues after it

    @property
    def state(self) -> Literal["playing", "paused", "waiting", "preparing", "stopped", "finished"]:
        """What the listener is in, when no buffer is on the device."""
        cues = self.cues
        if self.quit:
            return "stopped"
        if self.paused:
            return "paused"
        if not cues.cues:
            return "preparing"
        if self.pending_chapter is not None or self.pending_step is not None or self.position >= cues.end:
            return "finished" if cues.done and self.position >= cues.end else "waiting"
        return "playing"  # between two buffers

    # -- the rules -----------------------------------------------------------------

    def _pause(self, at: int) -> str:
        self.position = at
        self.paused = True
        return f"paused at {fmt_clock(position_ms(at))}"

    def _go_ahead(self, end: int) -> str:
        self.detour = None
        self._move(end)
        return f"going on at {fmt_clock(position_ms(end))}"

    def _resume(self) -> str:
        self.paused = False
        return f"resumed at {fmt_clock(position_ms(self.position))}"

    def _here(self, at: int) -> int:
        """Where the listener is, as far as navigation goes: during a repeat, where it will return to."""
        return self.detour[1] if self.detour is not None else at

    def _closing(self, heard: int) -> int:
        """Where the session's end bell (its last cue) starts, unless it is being heard; else its end."""
        cues = self.cues
        last = cues.cues[-1] if cues.cues else None
        if isinstance(last, Chime) and last.kind == "end" and heard < cues.starts[-1]:
            return cues.starts[-1]
        return cues.end

    def _skip(self, step: int) -> None:
        self.detour = None
        self.paused = False
        self.pending_step = max(0, step)

    def _back(self, heard: int, now: float) -> None:
        if now - self._back_at < BACK_AGAIN_S:
            target = self._back_step - 1
        else:
            target = self.cues.step_at(self._here(heard))
        target = max(0, target)
        self._back_at, self._back_step = now, target
        self._skip(target)

    def _repeat(self, heard: int, at: int) -> bool:
        cues = self.cues
        i = cues.last_instruction(cues.index_at(self._here(heard))) if cues.cues else None
        if i is None:
            return False  # nothing said yet (``interrupts`` did not stop the device)
        here = self._here(at)
        start, end = cues.starts[i], cues.ends[i]
        self.paused = False
        if start <= here < end:
            self.detour = None  # still saying it: say it again from its start
        else:
            self.detour = (end, here)
        self._move(start)
        return True

    def _volume_after(self, action: str) -> float:
        lo, hi = VOLUME_RANGE_DB
        step = VOLUME_STEP_DB if action == "volume_up" else -VOLUME_STEP_DB
        return min(hi, max(lo, self.volume_db + step))

    def _volume(self, action: str, at: int) -> str:
        new = self._volume_after(action)
        if new == self.volume_db:
            return ""
        if not self.paused:
            self.position = at  # restarted at once, at the new level, from the played position
        self.volume_db = new
        return f"volume {new:+g} dB"

    def _move(self, position: int) -> None:
        self.position = position
        self.jumped = True
