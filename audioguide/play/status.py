"""The status line: one line redrawn in place on a terminal, plain lines otherwise.

On a terminal: state, elapsed and remaining time, chapter, step, volume and the
line being spoken, redrawn at most every ``STATUS_EVERY_S``. Elsewhere (a log,
a pipe): one line per chapter and per instruction as playback reaches it, and
one per pause, resume or volume change.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from typing import Literal, TextIO

from ..pcm import position_ms
from ..script import Chapter, Say, Script
from ..text import fmt_clock
from .cues import CueIndex

#: Redraw the status line at most this often (seconds).
STATUS_EVERY_S = 0.2

State = Literal["playing", "paused", "waiting", "preparing", "stopped", "finished", "speaking"]
_SHOWN: dict[str, str] = {"playing": "playing", "paused": "PAUSED", "waiting": "waiting for speech…",
                          "preparing": "preparing…", "stopped": "stopped", "finished": "finished",
                          "speaking": "speaking…"}  # an announcement or an earcon, not the session


@dataclass
class View:
    """What the status shows."""

    pos: int
    """Session sample being heard."""
    state: State
    volume_db: float
    note: str = ""


class Status:
    """Progress on stderr: one line redrawn in place on a terminal, plain lines otherwise."""

    def __init__(self, cues: CueIndex, estimate: Script, out: TextIO | None = None) -> None:
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

    def note(self, message: str) -> None:
        """A change the listener made (``paused at 0:12``): its own line when there is no status line to show it."""
        if message and not self.tty:
            self.line(message)

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
                self._announce(view.pos, view.state == "finished")
            return
        now = time.monotonic()
        if not force and now - self._last_draw < STATUS_EVERY_S:
            return
        self._last_draw = now
        cues = self.cues
        pos_ms = position_ms(view.pos)
        parts = [_SHOWN[view.state]]
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
            said = i if isinstance(cue, Say) else cues.last_instruction(i)
            if said is not None:
                parts.append(cues.cues[said].text)  # type: ignore[attr-defined]
        elif view.note:
            parts.append(view.note)
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        text = self.text(" · ".join(parts))
        if len(text) > width:
            text = text[: width - 1] + self.text("…")
        self.out.write("\r\x1b[K" + text)
        self.out.flush()
        self._drawn = True

    def _announce(self, pos: int, finished: bool = False) -> None:
        """Plain mode: one line per chapter and per instruction, once playback is past its start
        (a buffer that ends where the next cue starts has not played it: in a cold play that cue
        may still be synthesized)."""
        cues = self.cues
        while self._next_cue < len(cues.cues) and (cues.starts[self._next_cue] < pos
                                                   or finished and cues.starts[self._next_cue] <= pos):
            cue = cues.cues[self._next_cue]
            when = fmt_clock(cue.start_ms)
            if isinstance(cue, Chapter):
                print(f"{when} chapter {cues.chapters.index(self._next_cue) + 1}/{self.total_chapters}: {cue.title}",
                      file=self.out, flush=True)
            elif isinstance(cue, Say) and cue.role == "instruction":
                print(f"{when}   {cue.text}", file=self.out, flush=True)
            self._next_cue += 1
