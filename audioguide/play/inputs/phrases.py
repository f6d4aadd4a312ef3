"""Voice command phrases: the defaults, how they are checked, and how the recognizer is told of them.

A phrase is a few words from the recognizer's pronouncing dictionary (the CMU
dictionary inside the pocketsphinx wheel) and an action. This module reads the
dictionary, checks phrases (known words, two syllables or more), gives each its
keyword-spotting threshold and spells the decoder's keyphrase list. The
listening itself is ``listening.py`` (the default phrases: ``neural.py``; the
user's own: ``voice.py``).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Mapping

from ..commands import ACTIONS, Action

#: The phrases listened for by default, and what each does.
DEFAULT_PHRASES: dict[str, Action] = {
    "pause now": "pause",
    "carry on": "go",
    "next step": "next",
    "go back": "back",
    "say again": "repeat",
    "stop the guide": "quit",
}

#: 0 (fewest false triggers) .. 1 (catches the most); see ``threshold_exponent``.
DEFAULT_SENSITIVITY = 0.5

#: A phrase is heard when its score is within a factor 10**-EXPONENT of the phone
#: loop's: the larger the exponent, the more readily it is heard (and the more
#: false triggers). At sensitivity 0.5 the default phrases have exponents chosen
#: on the tuning set of ``scripts/bench --listen`` (180 commands, 0.47 h of
#: narration): with them it heard 94.4% (Piper-like voices 129/130) and had no
#: false trigger on the narration with the gate off; the long phrases
#: need the most lenient (they are rarely spotted in anything else). A phrase
#: of the user's, n phones long, gets BASE + PER_PHONE * n (the line through
#: these). Sensitivity adds SPAN * (sensitivity - 0.5).
TUNED_EXPONENTS: dict[str, float] = {"pause now": 34.0, "carry on": 34.0, "next step": 54.0, "go back": 34.0,
                                     "say again": 38.0, "stop the guide": 58.0}
THRESHOLD_BASE = 3.5
THRESHOLD_PER_PHONE = 5.8
THRESHOLD_SPAN = 16.0

#: At most this many ways to say a phrase are spotted (see ``variants``).
MAX_VARIANTS = 4

_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


class VoiceUnavailable(Exception):
    """Voice commands cannot start (no microphone, no recognizer); the message is one line."""


# -- the recognizer's model and dictionary ---------------------------------------------


def model_paths() -> tuple[str, str]:
    """(acoustic model directory, pronouncing dictionary) inside the pocketsphinx wheel.

    Raises VoiceUnavailable if pocketsphinx is not installed.
    """
    try:
        from pocketsphinx import get_model_path
    except ImportError as error:
        raise VoiceUnavailable(f"voice commands need pocketsphinx ({error})") from None
    root = Path(get_model_path())
    return str(root / "en-us" / "en-us"), str(root / "en-us" / "cmudict-en-us.dict")


def pronunciations(words: set[str], dictionary: str | None = None) -> dict[str, list[list[str]]]:
    """Each of ``words`` (lower case) -> its pronunciations (lists of phones) in the dictionary.

    Words missing from the dictionary are missing from the result. Reads the
    3 MB CMU dictionary once, line by line (about 0.1 s).
    """
    path = dictionary if dictionary is not None else model_paths()[1]
    found: dict[str, list[list[str]]] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            head, _, phones = line.partition(" ")
            word = head.split("(", 1)[0]
            if word in words:
                found.setdefault(word, []).append(phones.split())
    return found


def syllables(phones: list[str]) -> int:
    """Vowel phones in a pronunciation: its syllables."""
    return sum(phone in _VOWELS for phone in phones)


def threshold_exponent(n_phones: int, sensitivity: float, phrase: str = "") -> float:
    """-log10 of the KWS threshold for ``phrase`` of ``n_phones`` phones at ``sensitivity`` (0..1).

    A default phrase has its tuned exponent (``TUNED_EXPONENTS``). Longer
    phrases accumulate a worse score against the phone loop, so they need a
    smaller threshold (a larger exponent) to be heard as readily; higher
    sensitivity lowers the bar (raises the exponent) for all of them.
    """
    base = TUNED_EXPONENTS.get(phrase, THRESHOLD_BASE + THRESHOLD_PER_PHONE * n_phones)
    return base + THRESHOLD_SPAN * (sensitivity - 0.5)


def check_phrases(phrases: Mapping[str, str], dictionary: str | None = None) -> dict[str, list[str]]:
    """Validate phrases -> actions; returns each phrase's first pronunciation (phones).

    Raises ValueError with one line naming the phrase: an unknown action, a
    word the recognizer does not know, or fewer than two syllables. (Two
    phrases written differently but the same once normalized are the voice
    file's loader's to catch: this mapping is already normalized.)
    """
    if not phrases:
        raise ValueError("no phrases to listen for")
    words = {w for phrase in phrases for w in phrase.split()}
    known = pronunciations(words, dictionary)
    result: dict[str, list[str]] = {}
    for phrase, action in phrases.items():
        if action not in ACTIONS:
            raise ValueError(f"{phrase!r}: unknown action {action!r}; the actions are: {', '.join(ACTIONS)}")
        missing = [w for w in phrase.split() if w not in known]
        if missing:
            raise ValueError(f"{phrase!r}: the recognizer's dictionary has no word {missing[0]!r}")
        phones = [p for w in phrase.split() for p in known[w][0]]
        if syllables(phones) < 2:
            raise ValueError(f"{phrase!r}: one syllable is too short to spot reliably; use two or more "
                             f"(for example {phrase + ' now'!r})")
        result[phrase] = phones
    return result


def variants(phrase: str, known: Mapping[str, list[list[str]]]) -> list[list[list[str]]]:
    """The ways to say ``phrase``: each a list of the words' phones (at most ``MAX_VARIANTS``).

    Every pronunciation the dictionary has for each word ("again": AH G EH N
    and AH G EY N), and connected speech's usual loss of a final t or d after a
    consonant before a word that starts with one ("nex' step"). Keyword
    spotting follows one phone sequence per phrase, so each way is its own.
    """
    words = phrase.split()
    options = []
    for k, word in enumerate(words):
        ways = [list(p) for p in known[word]]
        following = known[words[k + 1]][0][0] if k + 1 < len(words) else None
        if following is not None and following not in _VOWELS:
            ways += [w[:-1] for w in ways if len(w) >= 3 and w[-1] in ("T", "D") and w[-2] not in _VOWELS]
        options.append([list(w) for w in dict.fromkeys(tuple(w) for w in ways)])
    return [list(combo) for combo in itertools.islice(itertools.product(*options), MAX_VARIANTS)]


def keyphrase_files(phrases: Mapping[str, float],
                    known: Mapping[str, list[list[str]]]) -> tuple[str, str, dict[str, str]]:
    """(dictionary text, keyphrase list text, spelled phrase -> phrase) for a KWS decoder.

    ``phrases`` maps each phrase to its threshold exponent. Each way to say it
    (``variants``) is spelled with words of its own (``pause_0 now_0``), whose
    pronunciation is that way's.
    """
    words, lines, spelled = {}, [], {}
    for phrase, exponent in phrases.items():
        for j, way in enumerate(variants(phrase, known)):
            names = [f"{w}_{j}" for w in phrase.split()]
            for name, phones in zip(names, way):
                words[name] = phones
            text = " ".join(names)
            spelled[text] = phrase
            lines.append(f"{text} /1e-{exponent:.1f}/\n")
    dictionary = "".join(f"{w} {' '.join(ph)}\n" for w, ph in sorted(words.items()))
    return dictionary, "".join(lines), spelled


def normalize_phrase(text: str) -> str:
    """Lower case, single spaces, no punctuation at the ends: how phrases are compared."""
    return " ".join(text.lower().replace(",", " ").strip(" .!?").split())
