"""Written text -> spoken text: what the voice is given, for every engine.

People write routines the way they write workout cards and relaxation
scripts: "Hold 30s", "1-2 min", "3x10", "w/", "L/R", "Relax 😊...". Speech
engines read such text literally ("thirty z", "one dash two", "double-u",
"smiling face with smiling eyes"; measured with piper and espeak-ng, see
design/stack-notes.md). ``normalize`` rewrites it into plain words and plain
punctuation, and ``phrases`` cuts the result where the voice pauses:

* pictographs and emoji are dropped;
* numbers, ranges, multipliers, clock times, units, fractions, ordinals and
  common abbreviations and shorthand become words (numbers through num2words);
* punctuation that marks a pause in writing (ellipses, dashes, brackets,
  arrows, colons, semicolons, bullets) becomes a comma or a full stop, which
  ``phrases`` turns into a phrase or sentence break;
* typographic variants (curly quotes and apostrophes, ligatures, full-width
  letters, no-break spaces) read as the plain ones;
* a routine's own ``pronunciations`` (word -> how to say it) are applied first.

The result holds only letters, spaces and ``ALLOWED_SYMBOLS``: no digit and no
other symbol ever reaches an engine (a property test holds this on any text).
The rules are tested line by line on tests/data/spoken-corpus.yaml; README
"Text the voice reads" lists them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from num2words import num2words

from .text import read_number

ALLOWED_SYMBOLS = frozenset(" .,?!'-")
"""The only non-letter characters spoken text contains: space, . , ? ! and ' and - inside words."""

SPEECH_RULES_VERSION = "3"
"""Changes whenever a rule changes what is spoken: part of every speech cache key."""

SENTENCE, PHRASE, END = "sentence", "phrase", "end"

SENTENCE_GAP_MS = 1300
"""Silence between two sentences of one line at pace 1.0 (``phrasing`` puts it in; the compiler's estimate counts it)."""
PHRASE_GAP_MS = 550
"""Silence at a comma (or any phrase break: an ellipsis, a dash, brackets) at pace 1.0."""


@dataclass(frozen=True)
class Phrase:
    """One stretch of speech and the break that follows it."""

    text: str
    """Spoken text ending with its punctuation (``,`` for a phrase break, ``. ? !`` for a sentence)."""
    pause: str
    """``sentence``, ``phrase`` (a comma) or ``end`` (the last phrase of the line)."""


@dataclass(frozen=True)
class Spoken:
    """The spoken form of a written line, and what may still sound wrong (for ``audioguide check``)."""

    text: str
    notes: tuple[str, ...] = ()


def to_spoken(text: str, pronunciations: Mapping[str, str] | None = None) -> str:
    """The text a voice is given for written ``text`` (see the module docstring)."""
    return normalize(text, pronunciations).text


def phrases(spoken: str) -> list[Phrase]:
    """``spoken`` cut after each comma and sentence end: ``"Relax, and breathe."`` -> 2 phrases."""
    pieces = [p for p in re.split(r"(?<=[,.?!])\s+", spoken.strip()) if p.strip(" ,.?!")]
    out = []
    for i, piece in enumerate(pieces):
        pause = END if i == len(pieces) - 1 else PHRASE if piece.endswith(",") else SENTENCE
        out.append(Phrase(piece, pause))
    return out


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def words(spoken: str) -> list[str]:
    """The words of spoken text, as a speaking rate counts them ("twenty-one" is two, "you'll" one)."""
    return _WORD.findall(spoken)


def words_per_minute(lines: Iterable[tuple[str, int]]) -> float:
    """Speaking rate over (spoken text, duration in ms) pairs: all their words over all their time.

    The measure of issue 9: the words of each instruction line over its length
    in the script's timeline (pads and pauses inside the line included).
    """
    total_words = total_ms = 0
    for text, ms in lines:
        total_words += len(words(text))
        total_ms += ms
    return total_words * 60_000 / total_ms if total_ms else 0.0


# -- numbers ------------------------------------------------------------------------


#: Past this a number is read digit by digit (num2words stops at 10**36; nobody counts that far).
LONGEST_NUMBER = 10**15


def number_words(n: int) -> str:
    """``120`` -> ``"one hundred twenty"`` (US style: no "and", no commas); huge numbers digit by digit."""
    if n >= LONGEST_NUMBER:
        return " ".join(number_words(int(d)) for d in str(n))
    spoken = num2words(n, lang="en").replace(",", "")
    return re.sub(r"\band ", "", spoken)


def _decimal_words(token: str) -> str:
    whole, _, frac = token.partition(".")
    if not frac.strip("0"):
        return number_words(int(whole))
    if frac == "5":
        return "half" if whole == "0" else f"{number_words(int(whole))} and a half"
    digits = " ".join(number_words(int(d)) for d in frac)
    return f"{number_words(int(whole))} point {digits}"


def _is_one(token: str) -> bool:
    return float(token) == 1


# -- tables -------------------------------------------------------------------------

#: Units after a number: written form (lower case) -> (singular, plural).
UNITS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds"], ("second", "seconds")),
    **dict.fromkeys(["min", "mins", "minute", "minutes"], ("minute", "minutes")),
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], ("hour", "hours")),
    **dict.fromkeys(["ms", "msec"], ("millisecond", "milliseconds")),
    **dict.fromkeys(["m", "meter", "meters", "metre", "metres"], ("meter", "meters")),
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    **dict.fromkeys(["kg", "kgs"], ("kilogram", "kilograms")),
    **dict.fromkeys(["lb", "lbs"], ("pound", "pounds")),
    "ft": ("foot", "feet"), "bpm": ("beat per minute", "beats per minute"),
    "deg": ("degree", "degrees"), "°": ("degree", "degrees"),
    "°c": ("degree Celsius", "degrees Celsius"), "°f": ("degree Fahrenheit", "degrees Fahrenheit"),
    "%": ("percent", "percent"),
}
_CURRENCY = {"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds")}

#: Shorthand read as words. Keys are regexes matched case-sensitively at word edges.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"w/o\b", "without"), (r"b/w\b", "between"), (r"b/c\b", "because"), (r"w/", "with "),
    (r"\bL/R\b", "left and right"), (r"\bR/L\b", "right and left"),
    (r"\bw\b(?!')", "with"), (r"\bwk\b", "week"), (r"\bfwd\b", "forward"), (r"\bbwd\b", "backward"),
    (r"\bAMRAP\b", "as many rounds as possible"), (r"\bEMOM\b", "every minute on the minute"),
    (r"\bDB\b", "dumbbell"), (r"\bKB\b", "kettlebell"), (r"\bBW\b", "body weight"),
    (r"\bvs\b", "versus"), (r"\bapprox\b", "approximately"), (r"\bea\b", "each"), (r"\bopt\b", "optional"),
    (r"(?i)\betc\b", "and so on"), (r"(?i)\be\.g\b", "for example"), (r"(?i)\bi\.e\b", "that is"), (r"\bDr\b", "doctor"),
    (r"\b[Nn]o\.(?=\s*\d)", "number"), (r"#(?=\s*\d)", "number "),
    (r"(?<![A-KM-QS-Z] and )\bL\b(?!')(?! and [A-KM-QS-Z]\b)", "left"),  # not the L of "L and D" (from "L&D")
    (r"(?<![A-KM-QS-Z] and )\bR\b(?!')(?! and [A-KM-QS-Z]\b)", "right"),
)
#: Abbreviations written with a full stop: the stop also ends a sentence when a capital or the end follows.
DOTTED: dict[str, str] = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "and so on", "approx.": "approximately",
    "vs.": "versus", "ea.": "each", "opt.": "optional", "Dr.": "doctor",
}
#: Titles: their full stop never ends a sentence.
TITLES = {"Dr."}
#: Word pairs whose slash means both ("in/out"); any other word/word means either ("hips/knees").
BOTH_WAYS = {("in", "out"), ("up", "down"), ("left", "right"), ("right", "left"), ("forward", "back"),
             ("forwards", "backwards"), ("front", "back"), ("inhale", "exhale"), ("on", "off")}
#: What a slash after a number or count means before these words: "10 reps/side" -> "per side".
PER_WORDS = ("day", "week", "side", "leg", "arm", "hand", "foot", "set", "round", "rep", "hour", "minute", "session")
#: Upper-case words read as they are (everything else in capitals of three letters or more is lowered).
KEEP_CAPS = {"OK", "I", "A", "M", "P"}

_ARROWS = "→⇒⟶➔➜➝➞➟➠➡➤⇨↦⮕"
_BULLETS = "•◦▪▫‣⁃●○■□◆◇"
_FRACTIONS = {"½": "half", "¼": "quarter", "¾": "three quarters", "⅓": "one third", "⅔": "two thirds"}
_QUOTES = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
           "«": '"', "»": '"'}
_DASHES = "‐‑‒–—―−"  # hyphen, non-breaking hyphen, figure/en/em/bar dashes, minus


# -- the rules ------------------------------------------------------------------------

NUM = r"\d+(?:\.\d+)?"
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))


class _Normalizer:
    """One pass over one line; ``notes`` collects what may still sound wrong."""

    def __init__(self, pronunciations: Mapping[str, str] | None) -> None:
        self.pronunciations = pronunciations or {}
        self.notes: list[str] = []

    def run(self, text: str) -> str:
        text = _join_surrogates(text)
        text = self.pronounce(text)
        text = self.characters(text)
        text = self.shorthand(text)
        text = self.numbers(text)
        text = self.pauses(text)
        return self.tidy(text)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    # -- 1. the routine's own words
    def pronounce(self, text: str) -> str:
        for word in sorted(self.pronunciations, key=len, reverse=True):
            pattern = r"(?<![\w'])" + re.escape(word) + r"(?![\w'])"
            text = re.sub(pattern, lambda _m, say=self.pronunciations[word]: say, text, flags=re.IGNORECASE)
        return text

    # -- 2. characters: typography, emoji, symbols with a name
    def characters(self, text: str) -> str:
        text = re.sub(r"[0-9#*]\ufe0f?\u20e3", " ", text)  # keycaps ("1️⃣") are pictographs
        text = re.sub(r"(\d)\s*([½¼¾⅓⅔])", lambda m: f"{m.group(1)} and a {_FRACTIONS[m.group(2)]}", text)
        text = "".join(f" {_FRACTIONS[c]} " if c in _FRACTIONS else c for c in text)
        text = text.replace("℃", "°C").replace("℉", "°F")
        text = unicodedata.normalize("NFKC", text)  # ligatures, full-width forms, no-break spaces
        # a sign before a number is part of it: "-5 degrees" is minus five, never a pause before five
        text = re.sub(r"(^|[\s(\[{\"'“‘])([-+−])(?=[$€£]?\.?\d)",
                      lambda m: m.group(1) + (" plus " if m.group(2) == "+" else " minus "), text)
        text = re.sub(r"(?<![\w&])([A-Z]{1,4}) ?& ?([A-Z]{1,4})(?![\w&])", self.initials, text)
        out = []
        for c in text:
            if c in _QUOTES:
                out.append(_QUOTES[c])
            elif c in _DASHES:
                out.append("-" if c in "‐‑" else " -- ")
            elif c in _ARROWS:
                out.append(" , ")
            elif c in _BULLETS:
                out.append(" . ")
            elif c in "≈~∼":
                out.append(" about ")
            elif c in "&":
                out.append(" and ")
            elif c == "@":
                out.append(" at ")
            elif c.isspace():
                out.append(" ")
            else:
                out.append(c)
        text = "".join(out)
        kept = []
        for c in text:
            kind = unicodedata.category(c)
            if c in "°$€£%×" or c.isascii() or kind[0] in "LN" or kind == "Zs":
                kept.append(c)
            elif _is_pictograph(c):
                kept.append(" ")  # emoji and their joiners, selectors and skin tones: silent
            else:
                self.note(f"the symbol {c!r} is not spoken")
                kept.append(" ")
        return "".join(kept)

    def initials(self, m: re.Match) -> str:
        """"R&D" -> "R and D" (letters, never "right and D"), with a note; "L&R" stays left and right."""
        a, b = m.group(1), m.group(2)
        if {a, b} <= {"L", "R"}:
            return f"{a}/{b}"
        self.note(f"{m.group()!r} is read letter by letter, as \"{a} and {b}\"")
        return f" {a} and {b} "

    # -- 3. shorthand and abbreviations
    def shorthand(self, text: str) -> str:
        for dotted, spoken in DOTTED.items():
            pattern = r"(?<![\w.])" + re.escape(dotted) + r"(?=\s|$|[,;:)])"
            ends = dotted not in TITLES
            text = re.sub(pattern, lambda m, s=spoken, e=ends: s + (" ." if e and _starts_sentence(m.string[m.end():]) else " "),
                          text, flags=re.IGNORECASE if dotted.islower() else 0)
        text = re.sub(r"\b[Dd]octor(?=\s+[A-Z])", "Doctor", text)
        for pattern, spoken in ABBREVIATIONS:
            text = re.sub(pattern, spoken, text)
        return text

    # -- 4. numbers with what surrounds them
    def numbers(self, text: str) -> str:
        text = re.sub(r"\b(\d{1,3})((?:,\d{3})+)\b", lambda m: m.group(1) + m.group(2).replace(",", ""), text)
        text = re.sub(r"(?<![\w.])\.(?=\d)", "0.", text)  # ".5 kg" is 0.5 kg, never "Add. Five kilograms"
        text = self.unusual(text)
        text = self.clock(text)
        # sets: "3x10", "3 x 12", "2×8" (the second number keeps its unit: "3 x 30s")
        text = re.sub(rf"\b(\d+)\s*[x×]\s*(?=\d)", lambda m: f"{number_words(int(m.group(1)))} sets of ", text)
        # multipliers: "3x", "2-3x", "x3"
        text = re.sub(rf"\b(\d+)(?:\s*(?:-|--)\s*(\d+))?\s*[x×](?![\w])",
                      lambda m: _times(m.group(1), m.group(2)), text)
        text = re.sub(r"(?<![\w])[x×]\s*(\d+)\b", lambda m: _times(m.group(1), None), text)
        text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: num2words(int(m.group(1)), lang="en", to="ordinal"), text)
        text = self.slashes(text)
        text = re.sub(r"\b\d+(?:-\d+){2,}\b", lambda m: " ".join(number_words(int(n)) for n in m.group().split("-")), text)
        text = re.sub(r"\b(\d+)\s*\+", lambda m: f"{number_words(int(m.group(1)))} or more ", text)
        text = text.replace("+", " and ")  # "Inhale + lift": what is left of "+" joins two actions
        text = re.sub(
            rf"(?P<article>\b(?:[Aa]n?)\s+)?(?P<cur>[$€£])?(?P<a>{NUM})"
            rf"(?:\s*(?:-|--|\bto\b)\s*[$€£]?(?P<b>{NUM}))?"
            rf"(?:\s*(?P<unit>(?i:{_UNIT_RE}))(?![\w°]))?",
            self.quantity, text)
        if re.search(r"\d", text):  # digits glued to letters ("A1"): still spoken, as a number
            for match in re.finditer(r"\d+", text):
                self.note(f"a number is glued to letters ({_token(text, match.start(), match.end())!r})")
            text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
        return text

    def unusual(self, text: str) -> str:
        """Numbers no rule can say as meant, each with a note: said as neutrally as possible.

        ``1_000`` is one thousand; ``0x10``, ``0b1``, ``0o17`` and ``1e3`` are spelled
        out ("zero X one zero"); a phone number (``555-1234``, ``1-800-555-1234``)
        digit by digit, never "five hundred fifty-five to one thousand ...".
        """
        def refused(m: re.Match) -> str:
            try:
                read_number(m.group())  # the one rule for typed numbers names the form and what to write
            except ValueError as exc:
                reason, _, hint = str(exc).partition("; ")
                self.note(f"{reason} ({hint})" if hint else reason)
            else:
                plain = _plain(m.group())  # "1e400" is more than a float holds: no "write inf"
                self.note(f"{m.group()!r} has an exponent" + (f" (write {plain})" if plain[-1].isdigit() else
                                                               " (write the number in words)"))
            if "_" in m.group():
                return m.group().replace("_", "")
            spelled = {".": "point", "-": "minus", "+": "plus"}
            return " " + " ".join(number_words(int(c)) if c.isdigit() else spelled.get(c, c.upper())
                                  for c in m.group()) + " "

        text = re.sub(r"(?<![\w.])(?:\d+(?:_\d+)+(?:\.\d+)?|0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+"
                      r"|\d+(?:\.\d+)?[eE][-+]?\d+)(?![\w.]*\w)", refused, text)

        def phone(m: re.Match) -> str:
            parts = m.group().split("-")
            if len(parts) == 2:  # a range ("10-15", "500-1000 m") unless it looks like 555-1234
                a, b = parts
                if (len(a), len(b)) != (3, 4) or a.endswith("0") and b.endswith("0") or \
                        re.match(rf"\s*(?i:{_UNIT_RE})(?![\w°])", m.string[m.end():]):
                    return m.group()
            elif max(len(p) for p in parts) < 3:  # breathing counts: 4-7-8
                return m.group()
            self.note(f"{m.group()!r} looks like a phone number (or a date) and is read digit by digit")
            return " , ".join(" ".join(number_words(int(d)) for d in p) for p in parts) + " "

        return re.sub(r"(?<![\w.-])\d+(?:-\d+)+(?![\w-]|\.\d)", phone, text)

    def clock(self, text: str) -> str:
        def time_of_day(m: re.Match) -> str:
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            said = number_words(hour)
            if minute:
                said += " " + (f"oh {number_words(minute)}" if minute < 10 else number_words(minute))
            half = "A M" if m.group(3)[0].lower() == "a" else "P M"
            return f"{said} {half}" + (" ." if _starts_sentence(m.string[m.end():]) else " ")

        text = re.sub(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?", time_of_day, text, flags=re.IGNORECASE)

        def at_clock(m: re.Match) -> str:
            times = [(int(h), int(mm)) for h, mm in ((m.group(2), m.group(3)), (m.group(5), m.group(6))) if h]
            lengths = r"\s*(?:to|and|until|till)\s+\d{1,2}:\d{2}\s*(?i:seconds?|secs?|minutes?|mins?|hours?)\b"
            if any(h > 23 or mm > 59 for h, mm in times) or m.group(2) == "0" or \
                    m.group(4) is None and re.match(lengths, m.string[m.end():], re.IGNORECASE):
                # no time of day ("after 0:30", "from 1:30 to 2:00 minutes"): the duration rule reads it
                return m.group()
            said = [number_words(h) + (" " + (f"oh {number_words(mm)}" if mm < 10 else number_words(mm)) if mm
                                       else " o'clock" if h <= 12 else " hundred") for h, mm in times]
            return f"{m.group(1)} {said[0]}" + (f" {m.group(4)} {said[1]}" if len(said) > 1 else "") + " "

        # "at 7:30", "from 9:00 to 17:00": a time of day, not seven minutes thirty seconds
        text = re.sub(r"\b((?i:at|from|until|till|by|before|after|around|between))\s+(\d{1,2}):(\d{2})\b"
                      r"(?:\s*(to|and|until|till)\s+(\d{1,2}):(\d{2})\b)?(?!\s*(?i:seconds?|secs?|minutes?|mins?))",
                      at_clock, text)

        def duration(m: re.Match) -> str:
            h, mnt, sec = (int(g) if g else 0 for g in (m.group(1), m.group(2), m.group(3)))
            written = re.match(r"[\d:]+", m.group()).group()
            if sec > 59 or m.group(1) and mnt > 59:  # "0:90" is no clock: its numbers, with a note
                self.note(f"{written!r} is not a time (M:SS, 00..59 after a colon)")
                return " , ".join(number_words(int(n)) for n in written.split(":")) + m.group()[len(written):] + " "
            parts = [(h, "hour"), (mnt, "minute"), (sec, "second")]
            said = [f"{number_words(n)} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
            return " ".join(said) if said else "zero seconds"

        # a range of clocks: "1:30-2:00" is one minute thirty seconds to two minutes
        text = re.sub(r"(\d:\d{2})\s*[-–]\s*(?=\d{1,2}:\d{2}\b)", r"\1 to ", text)
        # a unit word after the clock is part of it: "1:30 minutes" is not "... thirty seconds minutes"
        text = re.sub(r"\b(?:(\d+):)?(\d{1,2}):(\d{2})(?:\b(?:\s*(?i:seconds?|secs?|minutes?|mins?|hours?)\b)?|s\b)",
                      duration, text)
        # one digit after the colon is no clock but a ratio: "1:1", "a 4:7 breath" (never "one, one")
        return re.sub(r"\b(\d+):(\d)\b(?!:)", lambda m: f"{number_words(int(m.group(1)))} to "
                      f"{number_words(int(m.group(2)))}", text)

    def slashes(self, text: str) -> str:
        def fraction(m: re.Match) -> str:
            a, b = int(m.group(1)), int(m.group(2))
            named = {(1, 2): "half", (1, 4): "quarter", (3, 4): "three quarters"}
            if (a, b) in named:
                return named[(a, b)]
            joiner = "of" if a <= b else "over"
            return f"{number_words(a)} {joiner} {number_words(b)}"

        text = re.sub(r"\b(\d+)/(\d+)\b", fraction, text)
        per = "|".join(PER_WORDS)
        text = re.sub(rf"(?<=\w)\s*/\s*(?=(?:{per})s?\b)", " per ", text, flags=re.IGNORECASE)

        def pair(m: re.Match) -> str:
            a, b = m.group(1), m.group(2)
            return f"{a} {'and' if (a.lower(), b.lower()) in BOTH_WAYS else 'or'} {b}"

        text = re.sub(r"\b([^\W\d_]+)/([^\W\d_]+)\b", pair, text)
        return text.replace("/", " , ")  # a spaced slash between phrases: a pause

    def quantity(self, m: re.Match) -> str:
        article, cur, a, b, unit = (m.group(k) for k in ("article", "cur", "a", "b", "unit"))
        said = _decimal_words(a) + (f" to {_decimal_words(b)}" if b else "")
        key = (unit or "").lower().replace(" ", "")
        names = UNITS.get(key) or (_CURRENCY[cur] if cur else None)
        if m.start() and m.string[m.start() - 1].isalpha():
            self.note(f"a number is glued to letters ({_token(m.string, m.start(), m.end())!r})")
        prefix = article or " "
        if cur and not unit and any(re.fullmatch(r"\d+\.\d\d", n) for n in (a, b) if n):
            # "$5.50" is five dollars and fifty cents, not "five point five zero dollars"
            said = " to ".join(_money(n, cur, bool(article)) for n in (a, b) if n)
            return f"{prefix}{said} "
        if names is None:
            return prefix + said + " "
        singular = (_is_one(a) and b is None) or bool(article)
        name = names[0] if singular else names[1]
        if a.startswith("0.5") and b is None and not article and cur is None and key not in ("%",):
            return f"half a {names[0]} "  # "0.5 sec" -> "half a second"
        if cur and unit and key in UNITS:  # "$5 kg": the money, then the unit (was "five kilogram kilogram")
            self.note(f"money and a unit together ({_token(m.string, m.start(), m.end())!r}); say it in words")
            return f"{prefix}{said} {_CURRENCY[cur][0 if singular else 1]} {name} "
        return f"{prefix}{said} {name} "

    # -- 5. punctuation that marks a pause
    def pauses(self, text: str) -> str:
        text = re.sub(r"(?:\.\s*){3,}|…", lambda m: " ." if _starts_sentence(m.string[m.end():]) else " , ", text)
        text = re.sub(r"\s-{1,3}\s|\s?--+\s?", " , ", text)  # spaced hyphens and doubled dashes
        text = re.sub(r"[;:()\[\]{}]", " , ", text)
        text = re.sub(r"[!?]*\?[!?]*", "?", text)
        text = re.sub(r"!+", "!", text)
        text = text.replace('"', " ").replace("*", " ").replace("_", " ")
        text = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", text)  # quote marks, not apostrophes
        text = re.sub(r"(?<![^\W\d_])-|-(?![^\W\d_])", " ", text)  # a hyphen joins two words or goes
        return text

    # -- 6. one clean line
    def tidy(self, text: str) -> str:
        cleaned = []
        for c in text:
            if c.isalpha() or c in ALLOWED_SYMBOLS:
                cleaned.append(c)
            elif c.isspace():
                cleaned.append(" ")
            else:
                self.note(f"the character {c!r} is not spoken")
                cleaned.append(" ")
        text = " ".join("".join(cleaned).split())
        for letter in re.findall(r"(?<![\w'-])([b-z])(?![\w'-])", text):
            self.note(f"the letter {letter!r} stands alone and will be read as a letter")
        # words in capitals are emphasis ("SLOWLY"), not letters to spell
        text = re.sub(r"\b([A-Z]{3,})\b", lambda m: m.group(1) if m.group(1) in KEEP_CAPS else m.group(1).lower(), text)
        text = re.sub(r"\s+([,.?!])", r"\1", text)
        # runs of marks keep the strongest: "?" over "!" over "." over ","
        text = re.sub(r"[,.?!]{2,}", lambda m: next(p for p in "?!.," if p in m.group()), text)
        text = re.sub(r"([,.?!])(?=[^\s,.?!])", r"\1 ", text)
        text = text.lstrip(" ,.?!")
        if not text:
            return ""
        if text[-1] == ",":
            text = text[:-1]
        if text[-1] not in ".?!":
            text += "."
        # capital letters at sentence starts (the voice does not care; people reading it do)
        # (not a lone letter: a capital "R" or "L" would read as "right" or "left" the next time round)
        return re.sub(r"(^|[.?!]\s)([^\W\d_])(?=[^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), text)


def normalize(text: str, pronunciations: Mapping[str, str] | None = None) -> Spoken:
    """The spoken form of ``text``, with notes on anything that may still be read oddly.

    ``pronunciations`` maps a word (matched whole, any case) to how to say it.
    Never raises on any string; an empty result means there is nothing to say.
    """
    worker = _Normalizer(pronunciations)
    spoken = worker.run(text)
    # A rule can uncover work for another ("0ETC" -> "Zero etc."): run to a fixed point,
    # so spoken text is left as it is (the compiler and the synthesizer both normalize).
    for _ in range(3):
        again = _Normalizer(None).run(spoken)
        if again == spoken:
            break
        spoken = again
    return Spoken(spoken, tuple(worker.notes))


_CENTS = {"$": ("cent", "cents"), "€": ("cent", "cents"), "£": ("penny", "pence")}


def _money(amount: str, cur: str, before_a_noun: bool = False) -> str:
    """``"5.50", "$"`` -> "five dollars and fifty cents" ("five dollar fifty" in "a $5.50 ball")."""
    whole, _, cents = amount.partition(".")
    units, hundredths = int(whole), int(cents or 0)
    name, hundredth = _CURRENCY[cur], _CENTS[cur]
    if before_a_noun:
        return f"{number_words(units)} {name[0]}" + (f" {number_words(hundredths)}" if hundredths else "")
    said = [f"{number_words(n)} {names[0] if n == 1 else names[1]}"
            for n, names in ((units, name), (hundredths, hundredth)) if n]
    return " and ".join(said) or f"zero {name[1]}"


def _plain(token: str) -> str:
    """A number with an exponent written plainly: ``1e3`` -> ``1000``."""
    value = float(token)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"


def _token(text: str, start: int, end: int) -> str:
    """The whole word around ``text[start:end]`` (to the spaces either side), without its punctuation."""
    while start and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end].strip(".,;:!?\"'()")


def _times(a: str, b: str | None) -> str:
    said = number_words(int(a)) + (f" to {number_words(int(b))}" if b else "")
    return f"{said} times " if b or int(a) != 1 else "one time "


def _starts_sentence(rest: str) -> bool:
    """True if the text after a mark begins a new sentence (a capital letter) or nothing follows."""
    rest = rest.lstrip(" \"')")
    return not rest or rest[0].isupper() or rest[0] in "•"


def _is_pictograph(c: str) -> bool:
    """Emoji, pictographs and the invisible parts of emoji sequences (joiners, selectors, skin tones, tags)."""
    code = ord(c)
    if code in (0x200D, 0x20E3) or 0xFE00 <= code <= 0xFE0F or 0xE0020 <= code <= 0xE007F:
        return True
    kind = unicodedata.category(c)
    if kind == "Sk" and 0x1F3FB <= code <= 0x1F3FF:
        return True
    return kind == "So" and (code >= 0x2190)  # arrows, dingbats, misc symbols, emoji planes


def readable(text: str) -> str:
    """``text`` with UTF-16 surrogate pairs (left by a YAML escape like "\\ud83d\\ude0a") joined.

    Raises ValueError for a lone surrogate: it is not a character, and could
    not be written, shown or spoken (routines refuse it at load time).
    """
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    lone = next((c for c in joined if "\ud800" <= c <= "\udfff"), None)
    if lone is not None:
        raise ValueError(f"holds a lone UTF-16 surrogate \\u{ord(lone):04x}, which is not a character; "
                         "write the emoji itself, or escape it whole as \\U0001F60A")
    return joined


def _join_surrogates(text: str) -> str:
    """A valid surrogate pair left by a YAML escape ("\\ud83d\\ude0a") read as the character it encodes."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\ufffd", " ")
