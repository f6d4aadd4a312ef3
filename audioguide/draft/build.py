"""Sections of a guide -> the steps, options, sides and settings of a routine (plain data + comments).

The rules, in the order they apply to each sentence (README "Drafting a routine"):
advice is spoken as it is; "..., then switch to the other leg" closes a per-side
block; "Repeat at least five times" counts what came before (a ``repeat`` after
each movement, or a ``loop`` around steps with holds); a duration makes a
``hold``; a count makes a ``repeat``; "each toe" goes through the toes one by
one; "work your way up" repeats the squeeze-and-hold before it; any other
instruction is spoken with time to do it. Whatever the rules had to guess gets
a ``CHECK:`` comment.
"""

from __future__ import annotations

import re
from typing import Any

import audioguide.draft.phrases as ph
from ..amounts import LIMITS
from ..routine import MAX_TEXT
from .counts import CountRules
from .nodes import (Node, capital, chapter_name_words, fit_lines, fit_title, help_text, num, say, short, slug, speak,
                    strip_or, title_from, unique)
from .reading import Guide, Section, Unit
from .sides import SideRules

#: Times the guide does not give, as settings the user can change (seconds).
TIME_SETTINGS = {
    "act_time": (5, 0, 60, "Seconds to follow an instruction before the next one."),
    "slow_time": (12, 0, 120, "Seconds for an instruction done slowly or all over (\"work your way ...\")."),
    "gap": (2, 0, 30, "Quiet moment after a note or a warning."),
    "rep_time": (3, 1, 10, "Seconds for one counted movement."),
    "switch_time": (10, 0, 120, "Time to change to the other side."),
}
#: A draft's counts and seconds stay within 1..these (a literal amount's limits in a routine).
MAX_COUNT, MAX_SECONDS = 100, 600


class Drafter(CountRules, SideRules):
    """Builds a routine from a parsed guide: ``run()`` fills ``out`` (the steps), ``options``, ``sides``,
    ``settings`` (name -> spec, with ``setting_checks`` for guessed values) and ``description``."""

    def __init__(self, guide: Guide, fallback_title: str):
        self.guide = guide
        self.fallback_title = fallback_title
        self.out: list[Node] = []
        self.settings: dict[str, dict[str, Any]] = {}
        self.setting_checks: dict[str, str] = {}
        self.options: dict[str, dict[str, Any]] = {}
        self.sides: dict[str, Any] | None = None
        self.side_noun: str | None = None
        self.first_side = "right"
        self.description: list[str] = []
        self.header_checks: list[str] = []
        self.instructions = 0
        self.group = 0
        self.chapter = ""
        self.chapter_derived = False
        self.derived_chapter_checked = False
        self.needs_closing = False
        self.started = False

    # -- settings ------------------------------------------------------------

    def setting(self, words: list[str], suffix: str, amount: ph.Amount | None = None, *, default: float = 0,
                lo: float = 0, hi: float = 0, help: str = "") -> str:
        base = "_".join(words) or self.chapter_words() or "step"
        name = f"{base}_{suffix}"
        n = 2
        while name in self.settings or name in self.options:
            name, n = f"{base}_{suffix}_{n}", n + 1
        unit = "count" if suffix in ("times", "sets") else "seconds"
        top = MAX_COUNT if unit == "count" else MAX_SECONDS
        if amount is not None:
            default, lo, hi = amount.value, amount.lo, amount.hi
            if not 1 <= default <= top:  # "for 15 minutes", "1000 times": the draft must still compile
                self.setting_checks[name] = clamped(amount, unit, top)
                default = min(max(default, 1), top)
        lo = max(1, min(lo, default))
        hi = min(top, max(hi, default))
        spec = {"default": num(default), "min": num(lo), "max": num(hi), "unit": unit, "help": help}
        self.settings[name] = spec
        if amount is not None and amount.vague:
            self.setting_checks[name] = f'the guide says "{amount.phrase}": {num(default)} is a guess'
        return name

    def time(self, name: str) -> str:
        if name not in self.settings:
            default, lo, hi, about = TIME_SETTINGS[name]
            self.settings[name] = {"default": default, "min": lo, "max": hi, "unit": "seconds", "help": about}
        return name

    def chapter_words(self) -> str:
        return "_".join(chapter_name_words(self.chapter))

    # -- the whole guide -----------------------------------------------------

    def run(self) -> None:
        sections = self.guide.sections
        headed = any(s.heading for s in sections)
        for section in sections:
            if self.is_intro(section, headed):
                self.intro(section)
                continue
            if section.heading:
                self.new_chapter(section.heading)
            self.section(section, headed)
        self.out = fit_lines(self.out)  # a spoken line longer than a routine allows: several lines
        too_long = fit_title(self.guide.title or "", "title")[1]
        if too_long:
            self.header_checks.append(too_long)

    def is_intro(self, section: Section, headed: bool) -> bool:
        if self.started:
            return False
        sentences = [s for u in section.units for s in u.sentences]
        actions = sum(_action(s) for s in sentences)
        if any(u.label or u.kind != "paragraph" for u in section.units if not u.quote):
            return False
        if headed and section.heading is None:
            return actions < 2  # before the first heading: what the guide is about ("try the steps below")
        return not actions

    def intro(self, section: Section) -> None:
        for unit in section.units:
            if unit.quote or any(ph.is_advice(s) for s in unit.sentences):
                self.begin("Before you start")
                for sentence in unit.sentences:
                    self.note(sentence)
            elif len(" ".join(self.description)) < 400:
                self.description.extend(unit.sentences)

    def begin(self, chapter: str | None = None) -> None:
        """Open the session: a first chapter (if none yet) and the title as a short first line."""
        if self.started:
            return
        self.started = True
        if chapter:
            self.new_chapter(chapter)
        self.out.append(say(f"{self.title().rstrip('. ')}.", -1, "note", then=1))

    def title(self) -> str:
        title = self.guide.title
        if not title:
            return self.fallback_title
        return fit_title(title[0] + title[1:].lower() if title.isupper() else title, "title")[0]

    def new_chapter(self, title: str, derived: bool = False) -> None:
        title, too_long = fit_title(title.strip().rstrip(":?").strip() or "Part", "heading")
        self.chapter = title
        self.chapter_derived = derived
        node = Node("chapter", {"chapter": title}, comments=[too_long] if too_long else [])
        if derived and not self.derived_chapter_checked:
            node.comments.append("CHECK: chapter titles here are made from each part's first words; rename them")
            self.derived_chapter_checked = True
        self.out.append(node)
        self.needs_closing = False
        if not self.started:
            self.begin()

    def section(self, section: Section, headed: bool) -> None:
        units = section.units
        i = 0
        while i < len(units):
            run = self.choice_run(units, i)
            if run:
                self.labelled_choice(units[i:i + run])
                i += run
                continue
            unit = units[i]
            if not self.started and not unit.label and not unit.quote and \
                    not any(ph.is_instruction(x) or ph.is_advice(x) for x in unit.sentences):
                self.description.extend(unit.sentences)  # what the guide is about, before its first step
                i += 1
                continue
            if not (unit.kind == "bullet" and i and units[i - 1].kind == "bullet"):
                self.group += 1  # consecutive bullets are one group: "Repeat 10 times" counts them all
            if not headed and self.should_open_chapter(unit, i, units):
                self.open_derived_chapter(unit)
            self.unit(unit)
            i += 1

    def should_open_chapter(self, unit: Unit, i: int, units: list[Unit]) -> bool:
        actions = any(_action(s) for s in unit.sentences)
        if unit.kind in ("numbered", "bullet"):
            return i == 0 or units[i - 1].kind not in ("numbered", "bullet")
        if not actions:
            return bool(self.started and self.chapter != "Closing" and self.instructions)
        return True

    def open_derived_chapter(self, unit: Unit) -> None:
        if not any(_action(s) for s in unit.sentences):
            self.new_chapter("Closing")
            return
        self.new_chapter(title_from(unit.sentences[0]), derived=True)

    # -- choices between positions --------------------------------------------

    def choice_run(self, units: list[Unit], i: int) -> int:
        """How many units from ``i`` are labelled alternatives naming positions (0 if none)."""
        n = 0
        while i + n < len(units) and units[i + n].label and \
                ph.positions(f"{units[i + n].label} {' '.join(units[i + n].sentences)}"):
            n += 1
        return n if n >= 2 else 0

    def labelled_choice(self, units: list[Unit]) -> None:
        if self.out and self.out[-1].key == "say" and self.out[-1].fields["say"].endswith(":"):
            self.out.pop()  # "... works best in one of two positions:" is what the option says
        names = []
        for unit in units:
            label = re.sub(r"\b(?:method|position|option|way)\b", "", unit.label.lower()).strip()
            names.append(slug(label) or (ph.positions(" ".join(unit.sentences)) or ["choice"])[0])
        texts = [[strip_or(s) for s in unit.sentences] for unit in units]
        self.choice(names, texts, [u.label for u in units])

    def choice(self, names: list[str], texts: list[list[str]], labels: list[str]) -> None:
        names = unique([slug(n) for n in names])
        option = "position" if "position" not in self.options else f"position_{len(self.options) + 1}"
        shown = [short(label.rstrip(".:"), 40) for label in labels]
        for k in range(len(shown), 0, -1):  # a help text is at most MAX_TEXT characters: name the first ones
            offers = "; ".join(shown[:k] + ([f"and {len(shown) - k} more"] if k < len(shown) else []))
            if len(offers) < MAX_TEXT - 100:
                break
        end = "" if offers.endswith("...") else "."
        self.options[option] = {"choices": names, "default": names[0], "help": f"The guide offers: {offers}{end}"}
        self.group += 1
        first = True
        for name, sentences in zip(names, texts):
            for sentence in sentences:
                then = self.time("act_time" if ph.is_instruction(sentence) else "gap")
                node = say(capital(sentence), self.group, "choice", then=then, when={option: name})
                if first:
                    node.comments.append(f"CHECK: the {option} choice ({', '.join(names)}): its names, and that "
                                         "each branch reads well on its own")
                    first = False
                self.out.append(node)
        self.instructions += 1

    def inline_choice(self, sentence: str) -> bool:
        """"Sit in a chair ..., or lie on your back ...": an option; True if it was one."""
        for m in re.finditer(r",?\s+or\s+", sentence):
            left, right = sentence[:m.start()], sentence[m.end():]
            lp, rp = ph.positions(left), ph.positions(right)
            lp = [p for p in lp if p not in rp]
            rp = [p for p in rp if p not in ph.positions(left)]
            if not lp or not rp or "," not in sentence[m.start():m.end()] and not re.search(r"\bor\s+(?:lie|sit|stand|kneel)", sentence):
                continue
            first_pos = re.search(r"\b(?:sit|sitting|seated|stand|standing|lie|lying|kneel|kneeling|in|on|at)\b",
                                  left, re.I)
            # "You can do this sitting ..., or standing ...": the second needs the first's lead-in
            prefix = left[:first_pos.start()] if first_pos and first_pos.start() > 0 and \
                not ph.is_instruction(right) else ""
            alt2 = right.rstrip(".!")
            texts = [[left.rstrip(".!") + "."], [(prefix + alt2).strip() + "."]]
            self.choice([lp[0], rp[0]], texts, [capital(left.strip()), capital(alt2.strip())])
            return True
        return False

    # -- sentences -----------------------------------------------------------

    def unit(self, unit: Unit) -> None:
        sentences = unit.sentences
        k = 0
        while k < len(sentences):
            sentence = sentences[k]
            nxt = sentences[k + 1] if k + 1 < len(sentences) else ""
            if ph.positions(sentence) and re.match(r"(?:or|alternatively)\b", nxt, re.I) and ph.positions(nxt) \
                    and ph.is_instruction(sentence):
                a, b = ph.positions(sentence), ph.positions(nxt)
                na = [p for p in a if p not in b] or a
                nb = [p for p in b if p not in a] or b
                self.choice([na[0], nb[0]], [[sentence], [strip_or(nxt)]], [capital(sentence), capital(strip_or(nxt))])
                k += 2
                continue
            if nxt and ph.is_bare_amount(nxt) and not ph.find_amounts(sentence) and ph.is_instruction(sentence):
                sentence, k = f"{sentence.rstrip('.!')}, {nxt}", k + 1  # "Draw your chin back. 3x10.": one step
            self.sentence(sentence, unit)
            k += 1

    def note(self, text: str) -> None:
        node = say(text, self.group, "note", then=self.time("gap"))
        names = ph.proper_names(text)
        if names:
            node.comments.append(f"CHECK: names {names[0]!r}: keep it in a spoken line?")
        self.add(node)

    def add(self, node: Node) -> None:
        if self.needs_closing and node.key != "chapter":
            self.new_chapter("Closing")
        if not self.started:
            self.begin()
        self.out.append(node)

    def sentence(self, raw: str, unit: Unit) -> None:
        spoken = " ".join(re.sub(r"\s*\([^)]*\)", "", raw).split())
        if not spoken.strip(" .!?:"):
            return
        if ph.is_advice(spoken):
            self.note(spoken)
            return
        switch = ph.switch(spoken)
        if switch:
            action, said, noun = switch
            if action:
                self.sentence(action, unit)
            self.other_side(said, noun, spoken)
            return
        amounts = ph.find_amounts(spoken) or ph.find_amounts(raw)
        amounts = [a for a in amounts if a.replace is None or a.replace[1] <= len(spoken)] if amounts else []
        if ph.refers_back(spoken):
            self.count_back(spoken, ph.usable(amounts))
            return
        if spoken.endswith(":"):
            self.note(spoken)  # an intro to a list; a choice that follows replaces it
            return
        if self.inline_choice(spoken):
            return
        if not (ph.is_instruction(spoken) or unit.kind != "paragraph" and ph.usable(amounts)) \
                or ph.is_frequency(spoken):
            self.note(spoken)
            return
        mark = len(self.out)
        self.instruction(spoken, ph.usable(amounts))
        unusable = [a for a in amounts if a.unusable]
        if unusable:  # "Press 0 times": no count is made, and the author should know why
            node = next((n for top in self.out[mark:] for n in top.walk() if n.key == "say" and n.group != -1),
                        self.out[-1])
            node.comments += [f'CHECK: the guide says "{a.phrase}" ({a.unusable}): no '
                              f'{"count" if a.unit == "count" else "hold"} is made; the words are spoken as written'
                              for a in unusable]

    def instruction(self, text: str, amounts: list[ph.Amount]) -> None:
        main = next((a for a in amounts if a.unit == "seconds"), None) or next((a for a in amounts), None)
        if main is not None and main.sets is not None:
            self.sets(text, main, amounts)
            return
        self.instructions += 1
        seconds = next((a for a in amounts if a.unit == "seconds"), None)
        count = next((a for a in amounts if a.unit == "count"), None)
        series = ph.each_series(text)
        if re.search(r"\bwork your way\b|\bwork along\b|\bmove along\b", text, re.I) and self.work_your_way(text):
            return
        if seconds is not None and seconds.vague and seconds.replace is None:
            # "for as long as it takes": a self-paced step that waits for the go-ahead, at most the setting
            words = ph.name_words(ph.clause_before(text, seconds.start))
            name = self.setting(words, "seconds", seconds, help=help_text("Longest wait", text, seconds))
            self.setting_checks[name] = (f'the guide says "{seconds.phrase}": a self-paced step; live play goes on '
                                         f"at any key, and waits at most {num(seconds.value)} s (an export always does)")
            self.add(say(f"{text.rstrip('.')}. Go on when you're ready.", self.group, "instruction", ready=name,
                         source=text))
            return
        if seconds is not None:
            words = ph.name_words(ph.clause_before(text, seconds.start))
            name = self.setting(words, "seconds", seconds, help=help_text("Seconds", text, seconds))
            then = self.time("act_time") if re.match(r"(?:when|once|if|after|find|locate)\b", text, re.I) else None
            # "..., then release." is what the hold's end says: not before it
            spoken = re.sub(r",?\s+(?:and\s+)?then\s+(?:release|relax|let go)\.?$", ".", speak(text, seconds, name))
            node = say(spoken, self.group, "hold", then=then, source=text)
            if seconds.minutes:
                node.comments.append(f"CHECK: the words say minutes; {name} is in seconds and does not change them")
            self.add(node)
            style = "countdown" if seconds.value >= 5 else "chime"
            release = "And release." if ph.hold_verb(text) else "And stop."
            self.add(Node("hold", {"hold": {"seconds": name, "style": style, "release": release}}, group=self.group))
            return
        if count is not None:
            words = ph.name_words(ph.clause_before(text, count.start))
            name = self.setting(words, "times", count, help=help_text("Times", text, count))
            self.add(say(speak(text, count, name), self.group, "instruction", then=1))
            self.counted(name, count)
            return
        if series:
            self.add(say(text, self.group, "instruction", then=self.time("act_time")))
            item_time = self.setting([series], "time", default=8, lo=2, hi=60,
                                     help=f"Seconds for each {series} (the guide: \"each {series}\").")
            inner = say(f"Your {{{series}}}.", self.group, "instruction", then=item_time)
            self.add(Node("for_each", {"as": series, "items": list(ph.SERIES[series])}, steps=[inner],
                          group=self.group))
            return
        slow = ph.is_slow(text)
        self.add(say(text, self.group, "instruction", then=self.time("slow_time" if slow else "act_time")))


    def sets(self, text: str, amount: ph.Amount, amounts: list[ph.Amount]) -> None:
        """"Do chin tucks 3x10": the instruction and its 10 counted (or a hold of "2x30s") in a loop of 3 sets."""
        words = ph.name_words(ph.clause_before(text, amount.start))
        sets = self.setting(words, "sets", amount.sets, help=help_text("Sets", text, amount.sets))
        seconds = " seconds" if amount.unit == "seconds" else ""
        inner = ph.replace_fields(amount, sets=None, template="{{" + sets + "}} sets of {}" + seconds)
        start = len(self.out)
        self.instruction(text, [inner if a is amount else a for a in amounts])
        while start < len(self.out) and (self.out[start].key == "chapter" or self.out[start].group == -1):
            start += 1  # a chapter or the opening line the instruction had to start
        body = self.out[start:]
        if not any(n.key == "say" for n in body):
            return  # nothing was made to repeat
        del self.out[start:]
        next(n for n in body if n.key == "say").fields["again"] = "Set {n} of {count}."
        self.fit_rounds(sets, amount.sets, body)
        loop = Node("loop", {"count": sets}, steps=body, group=self.group, source=text)
        if not re.search(r"\bsets?\b", amount.phrase, re.I):
            what = "seconds" if seconds else "repetitions"
            loop.comments.append(f'CHECK: "{amount.phrase}" is read as {num(amount.sets.value)} sets of '
                                 f"{num(amount.value)} {what}, with no rest between sets")
        self.out.append(loop)


def clamped(amount: ph.Amount, unit: str, top: int) -> str:
    """The CHECK for a number out of the draft's range: what the guide said and what the draft uses."""
    if amount.value < 1:
        return f'the guide says "{amount.phrase}"; the draft uses 1 s, the shortest it drafts'
    said = f" ({num(amount.value):,} s)" if amount.minutes else ""
    if unit == "seconds":
        uses, limit = f"{top} s, the longest", f"{num(LIMITS[unit][1])} s"
    else:
        uses, limit = f"{top}, the most", f"{num(LIMITS[unit][1])}"
    return (f'the guide says "{amount.phrase}"{said}; the draft uses {uses} it drafts '
            f"(a setting may go up to {limit}: raise its max and default)")


def _action(sentence: str) -> bool:
    """An instruction to do now (not a warning, not "twice a day")."""
    return ph.is_instruction(sentence) and not ph.is_advice(sentence) and not ph.is_frequency(sentence)
