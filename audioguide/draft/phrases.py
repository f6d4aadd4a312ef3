"""What one sentence of a guide says: its kind, counts, durations, sides and choices.

Rule-based and offline. Number words ("five", "twenty-five") are read by
text2num; the word lists here are the domain's vocabulary (imperative verbs of
body routines, body parts, positions), kept small and visible on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import text2num

from ..text import read_number

# -- vocabulary ----------------------------------------------------------------

#: Verbs that start an instruction in body-care guides ("Press your thumb ...").
VERBS = frozenset("""
    apply bend breathe bring circle clasp clench close come continue count cross cup curl dip do draw drop exhale
    find finish flex glide go grasp grip hold hug inhale interlace keep knead kneel lean let lie lift locate look lower
    make massage move nod open pinch place point press pull push put raise reach relax release repeat rest return
    rock roll rotate rub shake shift shrug sit slide spread squeeze stand start begin stay step straighten stretch
    stroke swap sway switch take tap tilt tuck turn twist use wait walk warm wiggle work wrap support try pat sweep
""".split())
#: Verbs whose timed version is a hold that ends with "And release."
HOLD_VERBS = frozenset("hold press pinch squeeze stretch pull apply keep push".split())
#: Body parts that come in sides, and that "right"/"left" may qualify.
SIDE_NOUNS = ("hand", "foot", "leg", "arm", "shoulder", "ear", "side", "thumb", "palm", "knee", "hip", "heel",
              "wrist", "ankle", "elbow", "eye", "cheek", "calf", "thigh", "toe", "finger", "sole", "hamstring")
PLURALS = {"foot": "feet", "calf": "calves"}
#: Body parts done one by one ("each toe"), with what each is called, in order.
SERIES = {
    "toe": ("big toe", "second toe", "middle toe", "fourth toe", "little toe"),
    "finger": ("thumb", "index finger", "middle finger", "ring finger", "little finger"),
}
#: Words that name a position: a posture or where you are.
POSTURES = {"sit": "sitting", "sitting": "sitting", "seated": "sitting", "stand": "standing", "standing": "standing",
            "lie": "lying", "lying": "lying", "kneel": "kneeling", "kneeling": "kneeling", "recline": "reclining"}
PLACES = ("chair", "floor", "bed", "sofa", "couch", "table", "desk", "wall", "mat", "stool", "bench", "cross-legged")

_CONNECTIVE = re.compile(
    r"^(?:first|then|next|now|finally|afterwards|after that|also|and|or|so|lastly|again|this time|"
    r"alternatively|once more|to finish|meanwhile|caution|warning|note|tip)\b[,:]?\s*", re.I)
_MODAL = re.compile(
    r"^you\s*(?:'ll|'re|will|can|could|should|may|might|must|are|want|need|have)?\s*"
    r"(?:also\s+|then\s+|now\s+|just\s+|be\s+)?(?:want to|need to|have to|going to|trying to|try to|wish to|"
    r"like to|to)?\s+", re.I)
_ADVERB = re.compile(r"^(?:slowly|gently|firmly|carefully|lightly|softly|quickly|just|simply|always|really)\s+", re.I)
_LEAD_CLAUSE = re.compile(
    r"^(?:when|if|as|once|while|before|after|until|whenever|using|with|to|from|on|in|keeping|starting|"
    r"for|this time)\b[^,]*,\s*", re.I)
_ADVICE = re.compile(
    r"\b(?:stop|see (?:a|your) \w*\s?(?:doctor|gp|professional|physio\w*|therapist|specialist|nurse|pharmacist)|"
    r"consult|ask your (?:doctor|gp)|talk to your (?:doctor|gp)|seek (?:medical )?(?:help|advice|attention)|"
    r"do not|don't|never|avoid|caution|warning|careful|emergency)\b", re.I)
_FREQUENCY = re.compile(r"\b(?:times?|twice|once) (?:a|per|each|every) (?:day|week|night|hour)\b|\b(?:daily|every night|every day)\b", re.I)
_SWITCH = re.compile(
    r"\b(?:switch|change|swap|move on|go on|continue|repeat|do (?:the same|this|it|that|the whole \w+)|turn|start)\b"
    r"[^.;]*?\b(?:to|on|with|for)\s+(?:the|your)\s+other\s+(" + "|".join(SIDE_NOUNS) + r")s?\b", re.I)
_THEN = re.compile(r",?\s*(?:and\s+)?then\s+$|,\s*$", re.I)
_REFER_BACK = re.compile(r"^(?:repeat\b|do (?:this|it|that|these|the same|all)\b)", re.I)
_SLOW = re.compile(r"\b(?:slowly|until|work your way|all the way|whole|entire|circles?|circular|each|every|"
                   r"across|over the|in turn)\b", re.I)
_EACH = re.compile(r"\b(?:each|every) (?:of your )?(" + "|".join(SERIES) + r")s?\b", re.I)
_SIDE_WORD = re.compile(r"\b(right|left)\b(?=\s+(?:" + "|".join(SIDE_NOUNS) + r")s?\b)|(?<=\byour )(right|left)\b", re.I)
_PROPER = re.compile(r"(?<=[a-z,] )((?:The |the )?[A-Z][\w'&.-]+(?: (?:[A-Z][\w'&.-]+|of|and|&))*(?: [A-Z][\w'&.-]+))")

# -- amounts -------------------------------------------------------------------

#: A plain number: digits, with a decimal point or thousands commas ("10,000").
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?|" + _DIGITS)
_RANGE_JOIN = r"\s*(?:-|\u2013|to|or|and)\s*"
#: Just before a number's digits, these make it part of a larger token: a sign ("-5"), an exponent
#: ("1e3"), a fraction ("1/2"), a decimal comma ("1,5"): the draft does not read such a number.
_GLUED = re.compile(r"[\w.,/^+\-\u2212\u00b1]$")
_QUALIFIER = re.compile(r"(?:at least|a minimum of|no less than|about|around|roughly|approximately|up to)\s+$", re.I)
_ADVERBS_OF_NUMBER = {"once": 1, "twice": 2}
_VAGUE = {
    "count": [(re.compile(r"\b(?:a few|several|a couple of|a number of)\s+times\b", re.I), 3, (1, 10)),
              (re.compile(r"\bas (?:many|often) (?:times )?as (?:it takes|you need|needed|you like|you want)\b", re.I),
               4, (1, 20))],
    "seconds": [(re.compile(r"\b(?:for )?(?:a few|several|a couple of) seconds\b", re.I), 5, (1, 30)),
                (re.compile(r"\b(?:for )?(?:as long as|however long) (?:it takes|you need|needed|is comfortable|"
                            r"you can|you like)\b", re.I), 30, (5, 600))],
}
#: Exercise shorthand: "3x10", "3 x 10 reps", "2 × 30s", "3 sets of 10": sets of repetitions (or of holds).
_SETS = re.compile(r"(?<![\w.+\-\u2212])(\d{1,3})\s*(?:[x\u00d7]|sets?\s+of)\s*(\d{1,4}(?:\.\d+)?)"
                   r"(?:\s*(reps?|repetitions|times|seconds|secs?|s|minutes|mins?)\b)?(?!\w)(?!\.\d)", re.I)
#: A duration as a clock, M:SS or H:MM:SS ("for 1:30", "0:45 minutes"), not a time of day ("at 7:30", "7:30 am").
_CLOCK = re.compile(r"(?<![\w.:+\-\u2212])(?<!\bat )(?<!\bby )(\d{1,2}(?::\d{2}){1,2})"
                    r"(?:\s*(seconds?|secs?|minutes?|mins?)\b)?(?![\w:]|[.,]\d|\s*[ap]\.?m\b)", re.I)
#: "x10", "10x", "× 10": a count.
_TIMES_X = re.compile(r"(?<![\w.+\-\u2212])(?:[x\u00d7]\s*(\d{1,3})|(\d{1,3})\s*[x\u00d7])(?!\w)", re.I)
_UNITS = {"times": "count", "time": "count", "reps": "count", "repetitions": "count",
          "seconds": "seconds", "second": "seconds", "secs": "seconds", "sec": "seconds", "s": "seconds",
          "minutes": "minutes", "minute": "minutes", "mins": "minutes", "min": "minutes", "breaths": "count",
          "rep": "count"}


@dataclass(frozen=True)
class Amount:
    """A count or a duration the guide gives ("at least five times", "about 3 seconds", "a few times")."""

    unit: str
    """``count`` or ``seconds``."""
    value: float
    """The default: the number, the low end of a range, or a sensible value for a vague phrase."""
    lo: float
    hi: float
    phrase: str
    """The guide's words, for help texts and CHECK comments."""
    start: int
    """Where the phrase starts in the sentence."""
    replace: tuple[int, int] | None
    """The part of the sentence that ``template`` replaces when spoken; None: speak it as written."""
    template: str = "{}"
    """How the setting is spoken in place of ``replace``: ``{}`` is the placeholder."""
    vague: bool = False
    minutes: bool = False
    each_way: bool = False
    sets: "Amount | None" = None
    """The count of sets in exercise shorthand: ``3`` of "3x10" (3 sets of 10), ``2`` of "2 x 30s"."""
    unusable: str = ""
    """Why no setting can hold it ("not a whole number", "zero", ...); its words are spoken as written."""


def _number(words: str) -> float | None:
    words = words.strip().lower()
    if not words:
        return None
    if re.fullmatch(_DIGITS, words):
        return float(words.replace(",", ""))
    if words in _ADVERBS_OF_NUMBER:
        return float(_ADVERBS_OF_NUMBER[words])
    try:
        return float(text2num(words, "en"))
    except ValueError:
        return None


def _number_before(text: str, end: int) -> tuple[float, int, int] | None:
    """The longest number that ends just before ``end`` (``twenty five``, ``10``): (value, start, stop)."""
    stop = len(text[:end].rstrip())
    words = [m for m in _WORD.finditer(text[:stop])]
    best = None
    for k in range(1, min(4, len(words)) + 1):
        chunk = words[-k:]
        if chunk[-1].end() != stop:
            break
        value = _number(text[chunk[0].start():stop])
        if value is not None:
            best = (value, chunk[0].start(), stop)
    return best


def find_amounts(text: str) -> list[Amount]:
    """Every count and duration in ``text``, in order (frequencies like "a few times a day" excluded)."""
    found: list[Amount] = []

    def free(a: int, b: int) -> bool:
        return not any(x.start <= a < _end(x) or a <= x.start < b for x in found)

    for unit, patterns in _VAGUE.items():
        for pattern, default, (lo, hi) in patterns:
            for m in pattern.finditer(text):
                if unit == "count" and _FREQUENCY.match(text, m.end() - len("times")):
                    continue
                words = m.group(0)
                if words.startswith(("a ", "several")) or "seconds" in words or "times" in words:
                    template = ("for {} seconds" if words.lower().startswith("for") else "{} seconds") \
                        if unit == "seconds" else "{} times"
                    replace = (m.start(), m.end())
                else:
                    template, replace = "{}", None
                found.append(Amount(unit, default, lo, hi, words, m.start(), replace, template, vague=True))
    for m in re.finditer(r"\bfor a count of (\w+(?:-\w+)?)", text, re.I):
        value = _number(m.group(1))
        if value and free(m.start(), m.end()):
            found.append(_exact("seconds", value, value, m.group(0), m.start(), (m.start(1), m.end(1)), "{}", ""))
    for m in _CLOCK.finditer(text):  # before units: "0:90 seconds" is one amount, not "90 seconds"
        qualifier = _QUALIFIER.search(text[:m.start()])
        phrase_start = qualifier.start() if qualifier else m.start()
        if not free(phrase_start, m.end()):
            continue
        try:  # the one rule for typed numbers: 1:30 is 90 seconds; 0:90 is no time
            seconds = float(read_number(m.group(1), "seconds"))
        except ValueError:
            found.append(Amount("seconds", 0, 0, 0, m.group(0), m.start(), None, unusable="not a time (M:SS)"))
            continue
        q = qualifier.group(0).strip().lower() if qualifier else ""
        found.append(_exact("seconds", seconds, seconds, text[phrase_start:m.end()].strip(), phrase_start,
                            (m.start(), m.end()), "{} seconds", q))
    for m in _SETS.finditer(text):
        counted = _UNITS[(m.group(3) or "times").lower()] == "count"
        if free(m.start(), m.end()) and not (counted and "." in m.group(2)):
            found.append(_sets(m))
    for m in _TIMES_X.finditer(text):
        value = float(m.group(1) or m.group(2))
        if value and free(m.start(), m.end()):
            found.append(_exact("count", value, value, m.group(0), m.start(), (m.start(), m.end()), "{} times", ""))
    units = "|".join(sorted(_UNITS, key=len, reverse=True))
    # A unit after a word boundary ("30 s", "ten seconds") or right after digits ("30s", "2min", "30-second").
    for m in re.finditer(r"(?:(?<![\w'-])|(?<=\d)|(?<=\d-))(" + units + r")\b", text, re.I):
        word = m.group(1).lower()
        unit = _UNITS[word]
        if unit == "count" and _FREQUENCY.match(text, m.start()):
            continue
        high = _number_before(text, m.start() - (text[m.start() - 1:m.start()] == "-"))
        if high is None or word == "s" and not text[high[1]:high[2]].replace(",", "").isdigit():
            continue  # "s" is a unit only after digits: "30 s"
        hi_value, start, stop = high
        lo_value = hi_value
        join = re.search(_RANGE_JOIN + "$", text[:start])
        if join:
            low = _number_before(text, join.start())
            if low is not None and low[0] < hi_value:
                lo_value, start = low[0], low[1]
        qualifier = _QUALIFIER.search(text[:start])
        phrase_start = qualifier.start() if qualifier else start
        if not free(phrase_start, m.end()):
            continue
        if _GLUED.search(text[:start]):  # "-5 times", "1e3 seconds": the whole token, never half of it
            token = re.search(r"\S*$", text[:start]).start()
            if free(token, m.end()):
                found.append(Amount(unit if unit != "minutes" else "seconds", hi_value, hi_value, hi_value,
                                    text[token:m.end()], token, None, unusable="not a plain number"))
            continue
        q = qualifier.group(0).strip().lower() if qualifier else ""
        if unit == "count" or word in ("seconds", "second"):
            replace, template = (start, stop), "{}"
        else:  # "30 s", "2 minutes": say the setting in seconds
            replace, template = (start, m.end()), "{} seconds"
        amount = _exact(unit, lo_value, hi_value, text[phrase_start:m.end()].strip(), phrase_start,
                        replace, template, q)
        if re.match(r"\s*(?:in )?(?:each|either|both) (?:way|direction)s?", text[m.end():], re.I):
            amount = replace_fields(amount, each_way=True)
        found.append(amount)
    for m in re.finditer(r"\btwice\b", text, re.I):
        if free(m.start(), m.end()) and not re.match(r"\s+(?:a|per|each|every) (?:day|week|night)", text[m.end():]):
            found.append(Amount("count", 2, 1, 10, "twice", m.start(), (m.start(), m.end()), "{} times"))
    return sorted(found, key=lambda a: a.start)


def _sets(m: re.Match) -> Amount:
    """"3x10" -> a count of 10 (or "2x30s": 30 seconds) whose ``sets`` is a count of 3; the whole phrase is replaced."""
    sets, each, word = float(m.group(1)), float(m.group(2)), (m.group(3) or "").lower()
    unit = _UNITS[word or "times"]
    amount = _exact(unit, each, each, m.group(0), m.start(), (m.start(), m.end()), "{}", "")
    counted = _exact("count", sets, sets, m.group(0), m.start(), None, "{}", "")
    if amount.unusable or counted.unusable:  # "0x10": no sets to loop over
        return replace_fields(amount, replace=None, unusable=amount.unusable or counted.unusable)
    if amount.minutes:  # "2 x 1 min": the words stay; the setting is in seconds (CHECK)
        amount = replace_fields(amount, replace=None)
    return replace_fields(amount, sets=counted)


def is_bare_amount(text: str) -> bool:
    """Is ``text`` only an amount ("3x10.", "10 reps.", "(2 x 30s)"), meant for the instruction before it?"""
    amounts = find_amounts(text)
    rest = text
    for a in sorted(amounts, key=lambda a: a.start, reverse=True):
        rest = rest[:a.start] + rest[_end(a):]
    return bool(amounts) and not re.search(r"[A-Za-z0-9]", re.sub(r"\b(?:each|per) side\b", "", rest))


def usable(amounts: list[Amount]) -> list[Amount]:
    """The amounts a setting can hold (not "0 times", "5.5 times", "-5 times")."""
    return [a for a in amounts if not a.unusable]


def _end(a: Amount) -> int:
    return a.start + len(a.phrase)


def replace_fields(a: Amount, **changes) -> Amount:
    return Amount(**{**a.__dict__, **changes})


def _exact(unit: str, lo: float, hi: float, phrase: str, start: int, replace: tuple[int, int] | None,
           template: str, qualifier: str) -> Amount:
    """Default and range for a number the guide gives (README "Drafting a routine" has the table)."""
    minutes = unit == "minutes"
    if minutes:
        unit, lo, hi, replace = "seconds", lo * 60, hi * 60, None  # the words stay in minutes
    whole = float(lo).is_integer() and float(hi).is_integer()
    unusable = "zero" if lo <= 0 else "not a whole number" if unit == "count" and not whole else ""
    if unusable:  # "0 times", "5.5 times": no setting can hold it; the words are spoken as written
        return Amount(unit, lo, lo, hi, phrase, start, None, template, minutes=minutes, unusable=unusable)
    if lo != hi:
        return Amount(unit, lo, lo, hi, phrase, start, replace, template, minutes=minutes)
    if qualifier in ("at least", "a minimum of", "no less than"):
        return Amount(unit, lo, lo, max(lo * 4, lo + 10), phrase, start, replace, template, minutes=minutes)
    if qualifier == "up to":
        return Amount(unit, hi, 1, hi, phrase, start, replace, template, minutes=minutes)
    return Amount(unit, lo, max(1, lo // 2), max(lo * 3, lo + 5), phrase, start, replace, template, minutes=minutes)


# -- sentence kinds ------------------------------------------------------------


def core(text: str) -> str:
    """The sentence with lead-ins removed: "Next, you'll want to gently press ..." -> "press ..."."""
    previous = None
    text = re.sub(r"\([^)]*\)", "", text).strip()
    while previous != text:
        previous = text
        text = _CONNECTIVE.sub("", text)
        text = _MODAL.sub("", text) if re.match(r"you\b", text, re.I) else text
        text = _ADVERB.sub("", text)
        lead = _LEAD_CLAUSE.match(text)
        if lead and first_word(_ADVERB.sub("", text[lead.end():])) in VERBS:
            text = text[lead.end():]
    return text.strip()


def first_word(text: str) -> str:
    m = re.match(r"[A-Za-z']+", text.strip())
    return m.group(0).lower() if m else ""


def is_instruction(text: str) -> bool:
    return first_word(core(text)) in VERBS


def is_advice(text: str) -> bool:
    return bool(_ADVICE.search(text))


def is_frequency(text: str) -> bool:
    return bool(_FREQUENCY.search(text))


def is_slow(text: str) -> bool:
    return bool(_SLOW.search(text))


def refers_back(text: str) -> bool:
    """"Repeat at least five times", "Do this 10-15 times": a count for what came before."""
    return bool(_REFER_BACK.match(core(text))) and any(a.unit == "count" for a in usable(find_amounts(text)))


def hold_verb(text: str) -> bool:
    """Does the timed action end with a release (hold, press, stretch), not a stop (breathe, shake)?"""
    words = re.findall(r"[a-z]+", core(text).lower())[:4]
    return any(w in HOLD_VERBS for w in words)


def switch(text: str) -> tuple[str, str, str] | None:
    """"..., then switch to the other leg." -> (the action before, the switch words, the noun); else None."""
    m = _SWITCH.search(text)
    if not m:
        return None
    before = text[:m.start()]
    then = _THEN.search(before)
    if then and is_instruction(before[:then.start()]):
        action = before[:then.start()].strip().rstrip(",") + "."
        said = text[then.start():].strip(" ,")
        said = re.sub(r"^(?:and\s+)", "", said, flags=re.I)
        return action, said[0].upper() + said[1:], m.group(1).lower()
    return "", text, m.group(1).lower()


def each_series(text: str) -> str | None:
    """"each toe" -> ``toe`` when the guide means to go through them one by one."""
    m = _EACH.search(text)
    return m.group(1).lower() if m else None


def side_words(text: str) -> list[str]:
    return [(m.group(1) or m.group(2)).lower() for m in _SIDE_WORD.finditer(text)]


def replace_sides(text: str, first: str) -> str:
    """right/left of a body part -> ``{side}``/``{other_side}`` (``first`` is the side the guide starts with)."""
    def sub(m: re.Match) -> str:
        word = m.group(1) or m.group(2)
        name = "side" if word.lower() == first else "other_side"
        return "{" + (name.capitalize() if word[0].isupper() else name) + "}"
    return _SIDE_WORD.sub(sub, text)


def add_side(text: str, noun: str) -> str | None:
    """Name the side in a line that has none: "lift one foot" -> "lift your {side} foot"; None if no place."""
    pattern = re.compile(rf"\b(?:(one|the|your)\s+)({noun}|{PLURALS.get(noun, noun + 's')})\b", re.I)
    m = pattern.search(text)
    if not m or m.group(2).lower() != noun:
        return None
    return f"{text[:m.start()]}your {{side}} {m.group(2)}{text[m.end():]}"


def proper_names(text: str) -> list[str]:
    """Names of businesses or people in the middle of a sentence ("The Chicago FIX")."""
    return [m.group(1) for m in _PROPER.finditer(text) if len(m.group(1).split()) >= 2]


def positions(text: str) -> list[str]:
    """Position words in order: postures by their -ing name, and places."""
    out = []
    for m in re.finditer(r"[A-Za-z-]+", text):
        word = m.group(0).lower()
        name = POSTURES.get(word) or (word if word in PLACES else None)
        if name and name not in out:
            out.append(name)
    return out


# -- names ---------------------------------------------------------------------

_STOP = frozenset("""
    a an the this that these those it its your you my our their to of on at by for from with into onto over under
    through across towards toward around behind away against right left other one
    and or but then so if when once as while until after before off is are be was will can should
    may might must want need would could have has had do does doing done repeat again also just now next first
    finally slowly gently firmly really each every both all some any few many times time seconds second about least
    more most than very much let get go going try trying hold keep start starting step steps motion process way
    use using method position what who how why where there here yourself start finish by
""".split())


def name_words(text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` content words of ``text``, lowercased, for a setting's name."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", text) if "'" not in w]
    return [w for w in words if w not in _STOP and len(w) > 1][:limit]


def clause_before(text: str, start: int) -> str:
    """The clause that an amount at ``start`` belongs to: the last piece before it that has a verb."""
    pieces = [p for p in re.split(r"[,;:]|\band\b|\bthen\b", text[:start]) if p.strip()]
    for piece in reversed(pieces):
        if first_word(core(piece)) in VERBS and name_words(piece):
            return piece
    return pieces[-1] if pieces else ""
