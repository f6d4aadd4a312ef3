"""Message helpers: the one clock and number format, written and read; "did you mean", short values.

Every user-facing message is one line; these keep the pieces of those lines
the same everywhere (file formats such as WebVTT keep their own time stamps).
``read_number`` is the one rule for every number a person types, in a flag,
``--set`` or a YAML file: the inverse of ``fmt_number`` and ``fmt_clock``.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from typing import Any, Callable, Iterable


def fmt_clock(ms: int) -> str:
    """``ms`` as ``M:SS`` (or ``H:MM:SS``), truncated to the whole second, as a player's clock shows it.

    The one display format for times and lengths in messages, tables and the
    status line, so that ``script``, ``export`` and ``play`` agree on a session's length.
    """
    s = max(0, ms) // 1000
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


#: A plain decimal number with an optional exponent: 10, -0, 2.5, .5, 1e1, 1.5E-3 (no leading 0 before a digit).
DECIMAL = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
#: A clock as ``fmt_clock`` writes it: M:SS or H:MM:SS, the seconds possibly with decimals.
_CLOCK = re.compile(r"([-+]?)([0-9]+)((?::[0-5][0-9]){1,2})(\.[0-9]+)?")
#: Units a clock may be given in; anything else (a count, a factor, a level in dB) is a plain number.
DURATIONS = ("seconds", "minutes")
#: Numbers written in other ways than DECIMAL, which YAML 1.1 or Python read: refused, saying why
#: and, where it is clear, what to write instead.
_REFUSED: tuple[tuple[re.Pattern[str], str, Callable[[str], float] | None], ...] = (
    (re.compile(r"[-+]?0[xX][0-9a-fA-F_]+"), "is hexadecimal", lambda t: int(t.replace("_", ""), 0)),
    (re.compile(r"[-+]?0[bB][01_]+"), "is binary", lambda t: int(t.replace("_", ""), 0)),
    (re.compile(r"[-+]?0[oO][0-7_]+"), "is octal", lambda t: int(t.replace("_", ""), 0)),
    (re.compile(r"[-+]?[0-9_]*_[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"), "has an underscore",
     lambda t: float(t.replace("_", ""))),
    (re.compile(r"[-+]?0[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?"), "starts with 0 (YAML reads 010 as octal 8)", float),
    (re.compile(r"[-+]?[0-9]+(?::[0-9]+)+(?:\.[0-9]*)?"), "is not a time: write M:SS or H:MM:SS, 00..59 after a colon",
     None),
)


def read_number(value: Any, unit: str = "") -> Any:
    """``value`` as a number if it is text that reads as one by the one rule; anything else unchanged.

    The rule, for every number a person types (flags, ``--set``, timings,
    routines, control files): a plain decimal number with an optional exponent
    (``10``, ``2.5``, ``1e1``, ``-0``); and where a duration is asked (``unit``
    "seconds" or "minutes") also M:SS or H:MM:SS, minutes and seconds
    (``1:30`` is 90 seconds, or 1.5 minutes). Hexadecimal, octal, binary,
    underscores, a leading 0 and a clock where a plain number is asked raise
    ValueError naming the value as typed: they read as other numbers than a
    person means (``010`` is 8 in YAML 1.1, ``1:00`` an hour). Text that does
    not look like a number at all is returned unchanged, for the caller to say
    what it needs. Whole numbers come back as int, others as float.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if DECIMAL.fullmatch(text):
        if any(c in text for c in ".eE") or len(text) > 100:  # int() refuses over 4300 digits
            return float(text)
        return int(text)
    clock = _CLOCK.fullmatch(text)
    if clock:
        if unit not in DURATIONS:
            raise ValueError(f"{text!r} is a time (M:SS), which only a duration can be; give a plain number")
        sign, first, rest, fraction = clock.groups()
        seconds = 0
        for part in [first, *rest[1:].split(":")]:
            seconds = seconds * 60 + int(part)
        total = (seconds + float(fraction or 0)) * (-1 if sign == "-" else 1)
        return total / 60 if unit == "minutes" else total
    for pattern, reason, plain in _REFUSED:
        if pattern.fullmatch(text):
            try:
                instead = f"; write {fmt_number(plain(text))}" if plain else ""
            except ValueError:  # "_" alone: no number to suggest
                instead = "; write a decimal number like 10, 2.5 or 1e1"
            raise ValueError(f"{text!r} {reason}{instead}")
    return value


def show_given(value: Any) -> str:
    """``show`` for a value as a person gave it: text stripped, empty text "nothing"."""
    return show(value.strip() or None) if isinstance(value, str) else show(value)


def close_matches(word: Any, known: Iterable[Any], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` of ``known`` that look like ``word`` (difflib's ratio >= ``cutoff``), best first."""
    return difflib.get_close_matches(str(word), [str(k) for k in known], n=n, cutoff=cutoff)


def did_you_mean(word: Any, known: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or ``""`` when nothing is close."""
    close = close_matches(word, known)
    return f" (did you mean {close[0]!r}?)" if close else ""


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message, or its type's name if it has none."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__


def oneline(text: str) -> str:
    """``text`` with control characters (newlines, tabs ...) escaped, so a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def fmt_number(x: float | int) -> str:
    """A number as a person writes it: ``10``, ``2.5``; huge values without thousands of digits."""
    if isinstance(x, int) and not -10**300 < x < 10**300:
        return "a number with over 300 digits"  # float(x) would overflow
    if abs(x) >= 1e15:
        return f"{float(x):g}"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60


def show(value: Any) -> str:
    """``repr(value)`` for a message: short, one line, and safe for any value a YAML file can hold.

    None (a YAML key with no value, ``--set gap=``) is "nothing"; text that
    reads as a number is shown as typed, without quotes (``got 6.4999999``).
    """
    if value is None:
        return "nothing"
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer():
        return fmt_number(value)  # 1e3 from a YAML file is 1000, not 1000.0
    if isinstance(value, str) and (DECIMAL.fullmatch(value) or _CLOCK.fullmatch(value)) and len(value) <= 60:
        return value
    try:
        return _SHOW.repr(value)
    except ValueError:  # an int too long to print, deep inside a list
        return type(value).__name__
