"""The one way a person's text becomes a name in a path or a URL: ``Ünïcødé 🦵 name`` -> ``unicode-name``.

Used for uploaded routines' names, preset files, session file names (the
listener's name) and the draft's choice names. Letters of any script are
transliterated to ASCII by python-slugify's table (Ü -> u, ø -> o, ß -> ss,
Привет -> privet, 北京 -> bei-jing) instead of being dropped; whatever has no
ASCII spelling (an emoji) goes.
"""

from __future__ import annotations

from slugify import slugify


def slug(text: str, max_length: int = 60, separator: str = "-") -> str:
    """Lowercase ASCII letters and digits of ``text``, words joined by ``separator`` (``-`` or ``_``).

    At most ``max_length`` characters (cut mid-word if needed, never ending in
    a separator). Empty when nothing usable is left ("🦵", "../.."): callers
    say what that means for them. ValueError for another separator (a bug).
    """
    if separator not in ("-", "_"):
        raise ValueError(f"separator must be - or _, got {separator!r}")
    # Only [a-z0-9] and the separator come out, never at either end: no dots, no
    # slashes, so a slug is safe as a file name (tests/test_slugs.py checks it on any text).
    return slugify(text, max_length=max_length, word_boundary=False, separator=separator)
