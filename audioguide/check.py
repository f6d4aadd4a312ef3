"""``audioguide check``: what in a routine will not sound right, found before anyone listens.

Three kinds of warning, each with the file and line of the step:

* **time to act**: an instruction that asks for a movement ("Sit on a chair",
  "Press into it") is followed by less than ``MIN_ACT_MS`` before the next
  thing is said (``MIN_SETTLE_MS`` for sitting down, changing position or
  changing sides). The time is what the compiled session really leaves after
  the line until the next instruction (its ``then:``, pauses, holds, a repeat's
  lead-in and counts), at the routine's
  defaults and every value of each option;
* **read literally**: text the voice may still read oddly after the spoken-text
  rules (``spoken.normalize`` notes: an unknown symbol, a number glued to letters);
* **cut by a comment**: unquoted text with `` #`` in the middle of a sentence
  (``say: Now do set #2 of ...``), which YAML reads as the start of a comment, so
  the rest of the line is silently left out.

Errors (a routine that does not load or compile) are raised as the loader's
and compiler's own errors; the CLI exits 2 on them and 0 with warnings.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from . import routine as r
from .compiler import traced_cues
from .routine import Routine
from .script import Cue, Say
from .settings import defaults
from .spoken import normalize, to_spoken
from .text import fmt_number
from .yamlfile import Document, quote

MIN_ACT_MS = 2000
"""Time to do what an instruction asks (a movement of a hand or foot): at least 2 s."""
MIN_SETTLE_MS = 5000
"""Time to sit down, lie down, stand up, change position or change sides: at least 5 s."""

#: First words (after "now", "gently" ...) of a sentence that asks for a movement.
MOVEMENT_VERBS = frozenset("""
    bend breathe bring change circle come cross curl drop exhale find flex get grab grip hold hug inhale kneel
    knead lean lie lift lower massage move open place point press pull push put raise reach relax release repeat
    rest return roll rotate rub scoop set shift shrug sit slide spread squeeze stand step stretch stroke switch
    swap take tap tense tilt tip tuck turn twist use walk wiggle work wrap
""".split())
#: A movement verb that starts these asks for none ("Get ready.", "Come back to your breath.").
NOT_MOVEMENTS = re.compile(r"^(get ready|get set|come back to (your|the) breath)", re.IGNORECASE)
#: Of those, movements of the whole body or a change of sides: they need ``MIN_SETTLE_MS``.
SETTLING = re.compile(r"\b(sit|sitting|lie|lying|stand|standing|kneel|switch|swap|change|cross your legs|"
                      r"put your \w+ \w+ down|get (up|down|comfortable)|roll over|turn over)\b", re.IGNORECASE)
_LEADING = frozenset("now then first next gently slowly softly and so please just again also carefully finally "
                     "still lightly".split())
_MAX_VARIANTS = 32
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Paths of values that are text: what a step says, titles, help.
_TEXT_PATH = re.compile(r"(?:^|\.)(?:say|brief|again|chapter|release|title|description|artist|help)$|"
                        r"\.items\[\d+\]$|^pronunciations\.")
#: The end of a sentence: a comment after it is the author's note, not lost text.
_SENTENCE_END = tuple(".!?:;)\"'\u201d\u2019")


@dataclass(frozen=True)
class Finding:
    """One warning: where (``file:line: path``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_routine(ref: str | None) -> list[Finding]:
    """Warnings for the routine ``ref`` (a path, a bundled name or ``-`` for stdin), in file order, each once.

    Raises RoutineError (it does not load) or CompileError (it does not compile).
    """
    routine, doc = r.load_routine_document(ref)
    sessions = [list(traced_cues(routine, settings)) for settings in _variants(routine)]
    findings: dict[tuple[str, str], str] = {}  # one of each kind per place (sides and options repeat them)
    for kind, found in (("comment", _cut_by_comments(doc)), ("literal", _literal_text(routine, sessions)),
                        ("act", _time_to_act(sessions))):
        for step_path, message in found:
            findings.setdefault((doc.where(step_path), kind), message)
    rank = {"comment": 0, "act": 1, "literal": 2}  # on one line, the cut text first: it explains the others
    ordered = sorted(findings.items(), key=lambda item: (_line(item[0][0]), rank[item[0][1]], item[0][0]))
    return [Finding(where, message) for (where, _), message in ordered]


def asks_to_move(spoken: str) -> bool:
    """True if a sentence or clause of ``spoken`` starts with a movement verb.

    "Now lift your foot." yes; "Good." no; "Now change sides, and lie down." yes (both clauses).
    """
    for clause in re.split(r"[.?!,;]\s*", spoken):
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", clause)]
        while words and words[0] in _LEADING:
            words.pop(0)
        if words and words[0] in MOVEMENT_VERBS and not NOT_MOVEMENTS.match(" ".join(words)):
            return True
    return False


def time_needed_ms(spoken: str) -> int:
    """``MIN_SETTLE_MS`` for sitting down or changing sides, ``MIN_ACT_MS`` for other movements, else 0."""
    if not asks_to_move(spoken):
        return 0
    return MIN_SETTLE_MS if SETTLING.search(spoken) else MIN_ACT_MS


def _time_to_act(sessions: list[list[tuple[Cue, str]]]) -> list[tuple[str, str]]:
    out = []
    for cues in sessions:
        for i, (cue, path) in enumerate(cues):
            if not (isinstance(cue, Say) and cue.role == "instruction"):
                continue
            need = time_needed_ms(cue.spoken)
            if not need:
                continue
            # Counts and a countdown are the time to do it ("Breathe in." and four counts).
            nxt = next((c.start_ms for c, _ in cues[i + 1:] if isinstance(c, Say) and c.role == "instruction"), None)
            gap = (nxt if nxt is not None else cue.end_ms + need) - cue.end_ms
            if gap < need:
                out.append((path, f'"{_short(cue.text)}" asks for a movement and is followed by {gap / 1000:g} s '
                                  f"before the next line; give it at least {need // 1000} s (then: {need // 1000})"))
    return out


def _literal_text(routine: Routine, sessions: list[list[tuple[Cue, str]]]) -> list[tuple[str, str]]:
    """Notes on each text as it is said: placeholders filled in ("Round {n}" is checked as "Round 1")."""
    said: dict[str, set[str]] = {}  # step path -> the texts its cues say
    for cues in sessions:
        for cue, path in cues:
            if isinstance(cue, Say):
                said.setdefault(path, set()).add(cue.text)
    base = {**defaults(routine).options, **{k: fmt_number(v) for k, v in defaults(routine).values.items()}}
    out = []
    for step, key, template in _texts(routine.steps):
        if _PLACEHOLDER.search(template):
            pattern = re.compile(_PLACEHOLDER.sub("(.+?)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")))
            texts = sorted(t for t in said.get(step.path, ()) if pattern.fullmatch(t))
            # A line no variant says (when: {n: 9} in a 3-round loop): its fixed words, values at their defaults.
            texts = texts or [_PLACEHOLDER.sub(lambda m: base.get(m.group(1).lower(), "1"), template)]
        else:
            texts = [template]
        for text in texts:
            notes = normalize(text, routine.pronunciations).notes
            if notes:  # every note of the line in its one warning (one warning per place)
                out.append((f"{step.path}.{key}", f'"{_short(text)}": {"; ".join(notes)} '
                                                  f'(spoken: "{_short(to_spoken(text, routine.pronunciations))}")'))
    return out


def _cut_by_comments(doc: Document) -> list[tuple[str, str]]:
    """Unquoted text that a `` #`` cut in the middle of a sentence: ``say: Now do set #2 of ...`` says "Now do set".

    A comment the author meant is not one: a ``# `` with a space after it, after
    the end of a sentence or a wider gap (``say: Sit down.   # the chair``).
    """
    out = []
    for path, (text, comment) in doc.comments.items():
        gap = len(comment) - len(comment.lstrip())
        glued = comment[gap + 1:gap + 2] not in ("", " ", "#")  # "#2", "#hashtag": part of the text
        if not _TEXT_PATH.search(path) or not glued and (gap > 1 or text.rstrip().endswith(_SENTENCE_END)):
            continue
        whole = f"{text}{comment}"
        out.append((path, f'"{_short(text)}" stops at "{_short(comment.strip())}": YAML reads " #" as the start of a '
                          f"comment and leaves the rest out; put the whole text in quotes: {_key(path)}{quote(whole)}"))
    return out


def _key(path: str) -> str:
    """``say: `` for ``steps[3].say``; nothing for a list item."""
    last = re.split(r"[.\[]", path)[-1]
    return "" if last.endswith("]") else f"{last}: "


def _texts(steps: tuple[r.Step, ...]):
    """(step, key, text) of every text a step can say."""
    for step in steps:
        if isinstance(step, r.SayStep):
            for key in ("say", "brief", "again"):
                text = step.text if key == "say" else getattr(step, key)
                if text:
                    yield step, key, text
        elif isinstance(step, r.HoldStep) and step.release:
            yield step, "hold.release", step.release
        elif isinstance(step, r.ForEachStep):
            for i, item in enumerate(step.items):
                yield step, f"for_each.items[{i}]", item
        for child in ("steps", "first", "switch"):
            yield from _texts(getattr(step, child, ()))


def _variants(routine: Routine):
    """The defaults, with every combination of option values (at most ``_MAX_VARIANTS``)."""
    base = defaults(routine)
    names = list(routine.options)
    combos = itertools.product(*(routine.options[n].choices for n in names))
    for combo in itertools.islice(combos, _MAX_VARIANTS):
        yield replace(base, options={**base.options, **dict(zip(names, combo))})


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _line(where: str) -> int:
    match = re.match(r".*?:(\d+):", where)
    return int(match.group(1)) if match else 0
