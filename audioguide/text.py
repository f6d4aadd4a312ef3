"""Message helpers: the one clock format, "did you mean", short values, first lines of errors.

Every user-facing message is one line; these keep the pieces of those lines
the same everywhere (file formats such as WebVTT keep their own time stamps).
"""

from __future__ import annotations

import difflib
import reprlib
from typing import Any, Iterable


def fmt_clock(ms: int) -> str:
    """``ms`` as ``M:SS`` (or ``H:MM:SS``), truncated to the whole second, as a player's clock shows it.

    The one display format for times and lengths in messages, tables and the
    status line, so that ``script``, ``export`` and ``play`` agree on a session's length.
    """
    s = max(0, ms) // 1000
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


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

    None (a YAML key with no value, ``--set gap=``) is "nothing".
    """
    if value is None:
        return "nothing"
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt_number(value)
    try:
        return _SHOW.repr(value)
    except ValueError:  # an int too long to print, deep inside a list
        return type(value).__name__
