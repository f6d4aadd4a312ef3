"""Routine + Settings -> Script: the timed narration, as pure data.

Speech lengths are estimated from the text at the chosen pace; pass
``speech_ms`` (text -> measured ms) to compile the same session with real
lengths, which is how export makes every cue and chapter time exact.

Timing rules (README "Timing"):
- ``then:`` and ``pause:`` are *flexible* pauses: scaled by 1/pace, and the only
  thing ``--length`` stretches or shrinks (between FLEX_RANGE times their size).
- repetition tempos scale with pace; holds are seconds and never change;
  chimes have fixed lengths (script.CHIME_MS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Generator, Iterator, Mapping

from . import routine as r
from .errors import CompileError
from .amounts import check_computed
from .expressions import Expression
from .routine import Routine
from .script import CHIME_MS, Chapter, Chime, Cue, Pause, Say, Script, relay
from .settings import Settings
from .text import fmt_number
from .spoken import END, PHRASE_GAP_MS, SENTENCE, SENTENCE_GAP_MS, phrases, to_spoken

#: Speech estimate at pace 1.0 per character of spoken text, fitted to both bundled voices
#: on the default session's lines (piper 55, pyttsx3 58 ms, less pads and pauses; tests/test_speaking_rate.py).
MS_PER_CHAR = 57
#: Silence the mixer keeps around each trimmed segment (lead + tail pads).
SPEECH_PAD_MS = 160
#: How far ``--length`` may scale the flexible pauses: a quarter of their size up to ten times.
FLEX_RANGE = (0.25, 10.0)
#: Nested loops multiply: past these a routine's counts are a mistake (and would take
#: minutes and gigabytes to lay out). 10 hours is also the longest ``--length``.
MAX_CUES = 100_000
MAX_SESSION_MS = 10 * 3600_000

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_VAR = re.compile(r"\{(\w+)\}")


def estimate_speech_ms(text: str, pace: float = 1.0, pronunciations: Mapping[str, str] | None = None) -> int:
    """A guess at how long written ``text`` takes to speak (ms), before any audio exists.

    Counts the characters of its spoken form and the pauses between its phrases
    (``spoken.SENTENCE_GAP_MS``, ``PHRASE_GAP_MS``), all divided by the pace.
    """
    said = to_spoken(text, pronunciations)
    gaps = sum(SENTENCE_GAP_MS if p.pause == SENTENCE else PHRASE_GAP_MS for p in phrases(said) if p.pause != END)
    return round((SPEECH_PAD_MS + MS_PER_CHAR * len(said) + gaps) / pace)


def count_forms(n: int) -> tuple[str, ...]:
    """What count ``n`` may say, longest first: ``21`` -> ``("Twenty-one.", "One.")``.

    A beat too short for the whole number gets its last word (as people count
    "nineteen, twenty, one, two"); see ``_Builder.fit_count``.
    """
    full = number_words(n)
    _FULL_FORMS[full] = n
    last = n % 10 or n % 100 // 10 * 10  # "One." for 21, "Ten." for 110, none for 30 or 200
    return (full,) if n <= 20 or not last or (n < 100 and n % 10 == 0) else (full, number_words(last))


_FULL_FORMS: dict[str, int] = {}
"""Full count text -> its number (filled by ``count_forms``): how ``speech_texts`` finds a count's shorter forms."""


def speech_texts(script: Script) -> list[str]:
    """Every text a session may say, in order of first use: its lines, and after each count its shorter forms.

    The exact (measured) compile may fit a count to its beat with a shorter
    form (``count_forms``); that form is spoken and measured beforehand with the rest.
    """
    texts: dict[str, None] = {}
    for cue in script.cues:
        if isinstance(cue, Say):
            texts[cue.text] = None
            if cue.role in ("count", "countdown") and cue.text in _FULL_FORMS:
                texts.update(dict.fromkeys(count_forms(_FULL_FORMS[cue.text])))
    return list(texts)


def number_words(n: int) -> str:
    """``21`` -> ``"Twenty-one."``: what a count sounds like when spoken."""
    if n < 20:
        word = _NUMBER_WORDS[n]
    elif n < 100:
        tens, ones = divmod(n, 10)
        word = _TENS[tens] + (f"-{_NUMBER_WORDS[ones]}" if ones else "")
    else:
        word = str(n)
    return word.capitalize() + "."


def compile_script(routine: Routine, settings: Settings, speech_ms: Mapping[str, int] | None = None) -> Script:
    """Lay out every cue of the session with start times in ms."""
    cues = list(_cues(routine, settings, speech_ms))
    if settings.length_ms is not None:
        cues = fit_length(cues, settings.length_ms, settings.length_where)
    script = Script(
        routine=routine.name,
        title=routine.title,
        cues=tuple(cues),
        timing="estimated" if speech_ms is None else "measured",
        settings=settings.record(),
    )
    return relay(script, lambda c: c.duration_ms)


def stream_cues(routine: Routine, settings: Settings, speech_ms: Mapping[str, int]) -> Iterator[Cue]:
    """The cues of ``compile_script(routine, settings, speech_ms)``, one at a time, with start times.

    ``speech_ms`` is asked for each text only when its cue is reached, so a live
    player can start before later lines exist. Fitting ``--length`` needs every
    length first, so a target length is refused here.
    """
    if settings.length_ms is not None:
        raise ValueError("a target length needs the whole script: use compile_script")
    t = 0
    for cue in _cues(routine, settings, speech_ms):
        yield replace(cue, start_ms=t)
        t += cue.duration_ms


def traced_cues(routine: Routine, settings: Settings) -> Iterator[tuple[Cue, str]]:
    """The estimated cues with start times, each with the path of the step that made it (``steps[3].say``)."""
    builder = _Builder(routine, settings, None)
    t = 0
    for cue in _cues(routine, settings, None, builder):
        yield replace(cue, start_ms=t), builder.running[-1].path if builder.running else ""
        t += cue.duration_ms


def _cues(routine: Routine, settings: Settings, speech_ms: Mapping[str, int] | None,
          builder: "_Builder | None" = None) -> Iterator[Cue]:
    builder = builder or _Builder(routine, settings, speech_ms)
    base_vars = {**settings.options, **{k: fmt_number(v) for k, v in settings.values.items()}}
    yield from builder.run(routine.steps, _Context(vars=base_vars))
    yield from builder.finish()


def length_bounds(cues: list[Cue]) -> tuple[int, int]:
    """Shortest and longest total (ms) reachable by scaling the flexible pauses."""
    flex = sum(c.duration_ms for c in cues if isinstance(c, Pause) and c.flexible)
    fixed = sum(c.duration_ms for c in cues) - flex
    return fixed + round(flex * FLEX_RANGE[0]), fixed + round(flex * FLEX_RANGE[1])


def fit_length(cues: list[Cue], target_ms: int, where: str = "") -> list[Cue]:
    """Scale flexible pauses so the cues add up to exactly ``target_ms``.

    CompileError when no scaling reaches it, starting with ``where`` the length was set (``--length 1``).
    """
    lo, hi = length_bounds(cues)
    if not lo <= target_ms <= hi:
        raise CompileError(
            f"{where + ': ' if where else ''}a {target_ms / 60000:g}-minute session cannot be made: with these settings it can last "
            f"{lo / 60000:.1f} to {hi / 60000:.1f} minutes (only the pauses between instructions stretch or shrink)"
        )
    flex_idx = [i for i, c in enumerate(cues) if isinstance(c, Pause) and c.flexible]
    flex = sum(cues[i].duration_ms for i in flex_idx)
    if not flex_idx or flex == 0:
        return cues  # lo == hi == target: nothing to move
    fixed = sum(c.duration_ms for c in cues) - flex
    k = (target_ms - fixed) / flex
    out = list(cues)
    # Round the running total, not each pause: per-pause rounding errors add up
    # (1000 pauses of 1.5 ms each), and the correction could make a pause negative.
    scaled, done = 0.0, 0
    for i in flex_idx:
        scaled += cues[i].duration_ms * k
        out[i] = replace(out[i], duration_ms=round(scaled) - done)
        done += out[i].duration_ms
    # Floating point may still leave a millisecond over or under: give it to the longest pause.
    residual = target_ms - sum(c.duration_ms for c in out)
    longest = max(flex_idx, key=lambda i: out[i].duration_ms)
    out[longest] = replace(out[longest], duration_ms=out[longest].duration_ms + residual)
    return out


@dataclass
class _Context:
    vars: dict[str, str]
    side_index: int = 0
    """0 on the first side of a per_side block, 1 on the second (brief narration)."""
    round: int = 1
    """1-based round of the innermost loop (``again`` text from round 2)."""

    def child(self, **changes: Any) -> "_Context":
        extra = changes.pop("vars", {})
        return replace(self, vars={**self.vars, **extra}, **changes)


@dataclass
class _Builder:
    routine: Routine
    settings: Settings
    speech_ms: Mapping[str, int] | None
    emitted: int = 0
    chapter: str = ""
    step: int = 0
    step_has_instruction: bool = False
    opening: bool = False
    """The current chapter is the routine's opening (its title), not one the routine named."""
    total_ms: int = 0
    estimates: dict[str, int] = field(default_factory=dict)
    spoken: dict[str, str] = field(default_factory=dict)
    """Written text -> spoken text, each line normalized once."""
    running: list[r.Step] = field(default_factory=list)
    """The steps being laid out, outermost first (to name the culprit of a runaway session)."""

    # -- emitting cues (add, say, pause, chime and the do_* step methods are generators of cues) --

    def add(self, cue: Cue) -> Iterator[Cue]:
        if cue.duration_ms <= 0 and not isinstance(cue, Chapter):
            return
        if not self.emitted and not isinstance(cue, Chapter):
            # Lines before the first chapter: open one at 0 named after the routine,
            # so chapters cover the session end to end in every format and in play.
            self.chapter, self.opening = self.routine.title, True
            yield from self.add(Chapter(title=self.chapter))
        self.emitted += 1
        self.total_ms += cue.duration_ms
        if self.emitted > MAX_CUES or self.total_ms > MAX_SESSION_MS:
            self.too_long()
        yield replace(cue, chapter=self.chapter, step=self.step)

    def too_long(self) -> None:
        multipliers = {r.LoopStep: ".loop.count", r.ForEachStep: ".for_each.items", r.RepeatStep: ".repeat.count"}
        culprit = next((s for s in self.running if type(s) in multipliers), self.running[-1] if self.running else None)
        place = culprit.path + multipliers.get(type(culprit), "") if culprit else ""
        if not place:
            where = self.routine.display
        elif self.routine.where:  # file:line: place, as the loader names places
            where = self.routine.where(place)
        else:
            where = f"{self.routine.display}: {place}"
        what = f"more than {MAX_CUES:,} cues" if self.emitted > MAX_CUES else f"longer than {MAX_SESSION_MS // 3600_000} hours"
        raise CompileError(f"{where}: with these counts and durations the session would be {what}")

    def new_step(self) -> None:
        if self.emitted:
            self.step += 1
        self.step_has_instruction = False

    def say(self, text: str, role: str = "instruction", at_most: int | None = None) -> Generator[Cue, None, int]:
        """Emit a Say cue; its length in ms is the generator's return value.

        ``at_most`` caps an estimated length (a count within its beat); measured lengths are never cut.
        """
        if role == "instruction":
            if self.step_has_instruction:
                self.new_step()
            self.step_has_instruction = True
        ms = self.speech_length(text)
        if at_most is not None and self.speech_ms is None:
            ms = min(ms, at_most)
        if text not in self.spoken:
            self.spoken[text] = to_spoken(text, self.routine.pronunciations)
        yield from self.add(Say(text=text, role=role, duration_ms=ms, spoken=self.spoken[text]))
        return ms

    def speech_length(self, text: str) -> int:
        if self.speech_ms is None:
            # Loops say the same lines many times; normalizing each once keeps 100,000 cues fast.
            if text not in self.estimates:
                self.estimates[text] = estimate_speech_ms(text, self.settings.pace, self.routine.pronunciations)
            return self.estimates[text]
        try:
            return self.speech_ms[text]
        except KeyError:
            raise CompileError(f"no measured speech for {text[:60]!r}") from None

    def pause(self, ms: float, flexible: bool) -> Iterator[Cue]:
        return self.add(Pause(duration_ms=round(ms), flexible=flexible))

    def chime(self, kind: str) -> Iterator[Cue]:
        if self.settings.chimes:
            yield from self.add(Chime(kind=kind, duration_ms=CHIME_MS[kind]))

    # -- walking steps --

    def seconds(self, amount: r.Amount) -> float:
        return float(self.amount(amount))

    def count(self, amount: r.Amount) -> int:
        return int(self.amount(amount))

    def amount(self, amount: r.Amount) -> float | int:
        if isinstance(amount, Expression):  # checked at load time for the defaults; these values may differ
            try:
                return check_computed(amount, self.settings.values)
            except ValueError as exc:
                used = ", ".join(f"{k}={fmt_number(self.settings.values[k])}" for k in amount.names)
                raise CompileError(f"{amount.where}: {exc} with {used}") from None
        return self.settings.values[amount] if isinstance(amount, str) else amount

    def applies(self, step: r.Step, ctx: _Context) -> bool:
        for key, accepted in step.when:
            if key == "chimes":
                actual: Any = self.settings.chimes
            elif key in self.settings.options:
                actual = self.settings.options[key]
            else:
                actual = int(ctx.vars[key])
                accepted = tuple(_round_number(v, int(ctx.vars["count"])) for v in accepted)
            if actual not in accepted:
                return False
        return True

    def render(self, text: str, ctx: _Context) -> str:
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name[:1].isupper():
                value = ctx.vars[name[0].lower() + name[1:]]
                return value[:1].upper() + value[1:]
            return ctx.vars[name]

        return _VAR.sub(sub, text)

    def run(self, steps: tuple[r.Step, ...], ctx: _Context) -> Iterator[Cue]:
        for step in steps:
            if self.applies(step, ctx):
                self.running.append(step)
                yield from _DO[type(step)](self, step, ctx)
                self.running.pop()

    def do_chapter(self, step: r.ChapterStep, ctx: _Context) -> Iterator[Cue]:
        first = not self.chapter or self.opening  # no step chime before the routine's first named chapter
        self.opening = False
        self.new_step()
        self.chapter = self.render(step.title, ctx)
        yield from self.add(Chapter(title=self.chapter))
        if not first:
            yield from self.chime("step")

    def do_say(self, step: r.SayStep, ctx: _Context) -> Iterator[Cue]:
        text = step.text
        if ctx.round > 1 and step.again is not None:
            text = step.again
        if ctx.side_index > 0 and step.brief is not None:
            text = step.brief
        if not text:
            return  # "" means: nothing to say here (and no time to do it)
        yield from self.say(self.render(text, ctx))
        if step.then is not None:
            yield from self.pause(self.seconds(step.then) * 1000 / self.settings.pace, flexible=True)
        if step.ready is not None:  # the user's own time: neither pace nor --length changes the longest wait
            yield from self.add(Pause(duration_ms=round(self.seconds(step.ready) * 1000), self_paced=True))

    def do_pause(self, step: r.PauseStep, ctx: _Context) -> Iterator[Cue]:
        return self.pause(self.seconds(step.seconds) * 1000 / self.settings.pace, flexible=True)

    def do_chime(self, step: r.ChimeStep, ctx: _Context) -> Iterator[Cue]:
        return self.chime(step.kind)

    def do_repeat(self, step: r.RepeatStep, ctx: _Context) -> Iterator[Cue]:
        """Counts on an exact grid: count i starts ``(i - 1) * tempo / pace`` after the first, rounded once."""
        n, beat_ms = self.count(step.count), self.seconds(step.tempo) * 1000 / self.settings.pace
        style = "count" if step.style == "tick" and not self.settings.chimes else step.style
        yield from self.pause(self.seconds(step.lead_in) * 1000 / self.settings.pace, flexible=False)
        if style == "silent":
            yield from self.pause(n * beat_ms, flexible=False)
            return
        for i in range(1, n + 1):
            slot = round(i * beat_ms) - round((i - 1) * beat_ms)  # lost time never accumulates
            used = yield from self.beat(i, slot, style, step, "count")
            yield from self.pause(slot - used, flexible=False)

    def beat(self, i: int, slot: int, style: str, step: r.Step, role: str) -> Generator[Cue, None, int]:
        """Say (or tick) beat ``i`` within ``slot`` ms; returns the ms it used (never more than ``slot``)."""
        if style == "count":
            form = self.fit_count(i, slot, step, role)
            if form is not None:
                return (yield from self.say(form, role=role, at_most=slot))
        yield from self.add(Chime(kind="tick", duration_ms=CHIME_MS["tick"]))  # the beat's sound, chimes on or off
        return CHIME_MS["tick"]

    def fit_count(self, i: int, slot: int, step: r.Step, role: str) -> str | None:
        """The longest form of count ``i`` that fits ``slot`` ms, or None: a tick keeps that beat.

        Estimated scripts keep the whole number (its length is a guess, capped
        to the beat); measured lengths choose the form. A tick (150 ms) fits every
        beat a routine can ask for (tempo >= 0.5 s, pace <= 2), so no routine is
        ever refused for its beat, and no count ever starts late.
        """
        forms = count_forms(i)
        if self.speech_ms is None:
            return forms[0]
        return next((form for form in forms if self.speech_length(form) <= slot), None)

    def do_hold(self, step: r.HoldStep, ctx: _Context) -> Iterator[Cue]:
        hold_ms = self.seconds(step.seconds) * 1000  # a hold is a promise in seconds: pace never changes it
        start_ms = CHIME_MS["hold"] if self.settings.chimes else 0
        yield from self.chime("hold")
        beats = 0
        if step.style == "countdown":
            beats = max(0, min(self.count(step.count_from), int((hold_ms - start_ms) // 1000)))
        yield from self.pause(hold_ms - start_ms - beats * 1000, flexible=False)
        for i in range(beats, 0, -1):
            used = yield from self.beat(i, 1000, "count", step, "countdown")
            yield from self.pause(1000 - used, flexible=False)
        yield from self.chime("release")
        if (step.style == "countdown" or not self.settings.chimes) and step.release:
            yield from self.say(self.render(step.release, ctx), role="countdown")

    def do_loop(self, step: r.LoopStep, ctx: _Context) -> Iterator[Cue]:
        total = self.count(step.count)
        for n in range(1, total + 1):
            yield from self.run(step.steps, ctx.child(vars={"n": str(n), "count": str(total)}, round=n))

    def do_for_each(self, step: r.ForEachStep, ctx: _Context) -> Iterator[Cue]:
        for item in step.items:
            yield from self.run(step.steps, ctx.child(vars={step.var: self.render(item, ctx)}))

    def do_per_side(self, step: r.PerSideStep, ctx: _Context) -> Iterator[Cue]:
        assert self.routine.sides is not None  # the loader refuses per_side without sides
        sides = self.routine.sides.order(self.settings.options)
        for i, side in enumerate(sides):
            other = self.routine.sides.after(side, sides)
            names = {"side": side, "other_side": other, "previous_side": sides[i - 1] if i else other}
            side_ctx = ctx.child(vars=names, side_index=i)
            yield from self.run(step.switch if i else step.first, side_ctx)
            yield from self.run(step.steps, side_ctx)

    def finish(self) -> Iterator[Cue]:
        if self.settings.chimes:
            yield from self.chime("end")
        else:
            yield from self.say("This is the end of the session.")


#: Step type -> the _Builder method that lays it out (every step kind the routine module defines).
_DO = {
    r.ChapterStep: _Builder.do_chapter,
    r.SayStep: _Builder.do_say,
    r.PauseStep: _Builder.do_pause,
    r.ChimeStep: _Builder.do_chime,
    r.RepeatStep: _Builder.do_repeat,
    r.HoldStep: _Builder.do_hold,
    r.LoopStep: _Builder.do_loop,
    r.ForEachStep: _Builder.do_for_each,
    r.PerSideStep: _Builder.do_per_side,
}



def _round_number(accepted: int | str, count: int) -> int:
    """A ``when:`` round (2, -1, first, last, halfway) as a round number from 1 in a loop of ``count``.

    Negative rounds count from the end (-1 is the last); halfway is round
    ``count // 2 + 1``, the first round after half of them are done (none
    when ``count`` is 1). A round the loop does not reach returns 0: never true.
    """
    if accepted == "first":
        return 1
    if accepted == "last":
        return count
    if accepted == "halfway":
        return count // 2 + 1 if count >= 2 else 0
    n = count + 1 + accepted if accepted < 0 else accepted
    return n if 1 <= n <= count else 0
