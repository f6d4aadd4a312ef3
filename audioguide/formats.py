"""The audio formats audioguide writes, and which one a path asks for.

A leaf module (no audio library): the CLI builds ``--format``'s choices from it
and a bad path is refused before any work.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import OutputPathError

#: The audio formats ``export`` writes, as ``--format`` takes them.
FORMATS: tuple[str, ...] = ("mp3", "m4b", "ogg", "wav")

#: File suffix (lower case) -> format. ``.m4a`` is written as a book too: same container.
SUFFIXES: dict[str, str] = {".mp3": "mp3", ".m4b": "m4b", ".m4a": "m4b", ".ogg": "ogg", ".wav": "wav"}

def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write ``path`` in: ``fmt`` (from ``--format``) if given, else its suffix.

    A known suffix that disagrees with ``fmt`` is refused rather than writing,
    say, WAV data into ``out.mp3``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    choices = ", ".join(FORMATS)
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise OutputPathError(f"unknown format '{fmt}' (choose {choices})")
        if suffix in SUFFIXES and SUFFIXES[suffix] != fmt:
            raise OutputPathError(f"{path}: suffix '{suffix}' does not match --format {fmt}")
        return fmt
    if suffix not in SUFFIXES:
        what = f"unknown suffix '{path.suffix}'" if suffix else "no suffix"
        known = ", ".join(SUFFIXES)
        raise OutputPathError(f"{path}: {what} (use {known} or --format {choices})")
    return SUFFIXES[suffix]
