"""The timed narration script: the data every later stage consumes.

A Script is an ordered tuple of cues. Time is integer milliseconds everywhere
(as in pydub). Cues are laid end to end: each starts where the previous one
ended, so ``cue.start_ms + cue.duration_ms == next.start_ms`` and the last cue
ends at ``Script.total_ms``. A Chapter cue lasts 0 ms and marks where a chapter
begins. This module knows no audio library.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterator, Literal

from .text import fmt_clock

ChimeKind = Literal["step", "hold", "release", "tick", "end"]
"""The generated sounds (``sounds.py`` renders each)."""
Role = Literal["instruction", "count", "countdown"]
"""What a spoken line is: an instruction (what ``r`` repeats in play), a counted beat or a countdown number."""
Timing = Literal["estimated", "measured"]
"""Whether speech lengths in a script are guessed from the text or measured on real audio."""

#: Length in ms of each generated sound. The compiler times scripts with these
#: and ``sounds.py`` renders each kind to exactly this length.
CHIME_MS: dict[ChimeKind, int] = {
    "step": 1600,  # a new step begins: two rising notes
    "hold": 600,  # start holding now: one short mid note
    "release": 1000,  # let go now: one soft falling note
    "tick": 150,  # a repetition beat: a soft wood-block click
    "end": 4000,  # the session is over: three bell strikes, long decay
}

#: Version tag of the JSON document written by ``Script.to_json``.
JSON_FORMAT = "audioguide.script/1"


@dataclass(frozen=True, kw_only=True)
class Cue:
    """One event on the timeline."""

    start_ms: int = 0
    """When the cue begins, from the start of the session."""
    duration_ms: int = 0
    """How long it lasts; 0 for chapter marks."""
    chapter: str = ""
    """Title of the chapter the cue belongs to."""
    step: int = 0
    """Index of the step (one instruction and the time to do it) within the session."""

    type = "cue"

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_ms


@dataclass(frozen=True, kw_only=True)
class Say(Cue):
    """Speak ``text``. ``duration_ms`` is estimated until real speech is measured."""

    text: str
    role: Role = "instruction"
    """``instruction`` (what ``r`` repeats in play), ``count`` or ``countdown``."""
    spoken: str = ""
    """``text`` as the voice says it (``spoken.normalize`` with the routine's pronunciations)."""

    type = "say"


@dataclass(frozen=True, kw_only=True)
class Pause(Cue):
    """Exact silence. Flexible pauses are the only ones ``--length`` stretches."""

    flexible: bool = False
    self_paced: bool = False
    """A ``ready:`` wait: live play ends it at the user's go-ahead; ``duration_ms`` is the
    longest wait, and what an export (or a play nobody answers) holds."""

    type = "pause"


@dataclass(frozen=True, kw_only=True)
class Chime(Cue):
    """A generated sound of ``kind`` (one of ``CHIME_MS``)."""

    kind: ChimeKind

    type = "chime"


@dataclass(frozen=True, kw_only=True)
class Chapter(Cue):
    """A chapter begins here (0 ms long)."""

    title: str

    type = "chapter"


CUE_TYPES: dict[str, type[Cue]] = {c.type: c for c in (Say, Pause, Chime, Chapter)}


@dataclass(frozen=True)
class ChapterSpan:
    """One chapter of a session: its title and the span [start_ms, end_ms) it covers."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Script:
    """A compiled session: metadata and cues laid end to end."""

    routine: str
    """The routine's name (its file stem)."""
    title: str
    cues: tuple[Cue, ...]
    timing: Timing = "estimated"
    """``estimated`` (speech lengths guessed from text) or ``measured`` (real audio)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Resolved settings and options that produced this script, for the record."""

    @property
    def total_ms(self) -> int:
        return self.cues[-1].end_ms if self.cues else 0

    def __iter__(self) -> Iterator[Cue]:
        return iter(self.cues)

    def spoken_texts(self) -> list[str]:
        """Each distinct spoken text once, in order of first use."""
        return list(dict.fromkeys(c.text for c in self.cues if isinstance(c, Say)))

    def chapters(self) -> list[ChapterSpan]:
        """The chapters in time order, covering 0 to ``total_ms`` with no gap.

        The compiler opens a chapter named after the routine when lines come
        before its first ``chapter:`` step; a script built by hand that starts
        without a Chapter cue gets the same opening span (titled ``title``).
        """
        marks = [(c.title, c.start_ms) for c in self.cues if isinstance(c, Chapter)]
        if self.cues and (not marks or marks[0][1] > 0):
            marks.insert(0, (self.title, 0))
        ends = [start for _, start in marks[1:]] + [self.total_ms]
        return [ChapterSpan(title, start, end) for (title, start), end in zip(marks, ends)]

    def steps(self) -> list[tuple[int, int]]:
        """(step index, start ms) of each step's first cue, in order."""
        seen: dict[int, int] = {}
        for c in self.cues:
            seen.setdefault(c.step, c.start_ms)
        return sorted(seen.items(), key=lambda kv: kv[1])

    # -- rendering -----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A stable, documented document (see README, "Script JSON")."""
        return {
            "format": JSON_FORMAT,
            "routine": self.routine,
            "title": self.title,
            "timing": self.timing,
            "total_ms": self.total_ms,
            "settings": self.settings,
            "chapters": [asdict(c) for c in self.chapters()],
            "cues": [{"type": c.type, **asdict(c)} for c in self.cues],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "Script":
        if doc.get("format") != JSON_FORMAT:
            raise ValueError(f"not an {JSON_FORMAT} document")
        cues = []
        for raw in doc["cues"]:
            raw = dict(raw)
            cues.append(CUE_TYPES[raw.pop("type")](**raw))
        return cls(doc["routine"], doc["title"], tuple(cues), doc["timing"], doc["settings"])

    def render_table(self, spoken: bool = False) -> str:
        """A readable listing: time, chapter and cue, one line each (``spoken``: lines as the voice says them)."""
        lines = [f"{self.title} — {fmt_clock(self.total_ms)} ({self.timing} timing)", ""]
        lines.append(f"{'time':>8}  {'chapter':<26}  cue")
        for c in self.cues:
            if isinstance(c, Chapter):
                lines.append("")
                lines.append(f"{fmt_clock(c.start_ms):>8}  {c.title}")
                continue
            if isinstance(c, Say):
                what = f'say    "{c.spoken if spoken and c.spoken else c.text}"'
            elif isinstance(c, Pause):
                kind = " (self-paced: at most)" if c.self_paced else "" if c.flexible else " (fixed)"
                what = f"pause  {c.duration_ms / 1000:g} s{kind}"
            else:
                what = f"chime  {c.kind}"  # type: ignore[attr-defined]
            lines.append(f"{fmt_clock(c.start_ms):>8}  {c.chapter[:26]:<26}  {what}")
        lines.append("")
        lines.append(f"{fmt_clock(self.total_ms):>8}  end")
        return "\n".join(lines) + "\n"


def relay(script: Script, duration_of) -> Script:
    """Return ``script`` with each cue's duration from ``duration_of(cue)``, laid end to end."""
    t = 0
    cues = []
    for c in script.cues:
        d = int(duration_of(c))
        cues.append(replace(c, start_ms=t, duration_ms=d))
        t += d
    return replace(script, cues=tuple(cues))

