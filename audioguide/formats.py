"""The audio formats audioguide writes, which one a path asks for, and the bitrates each takes.

A leaf module (no audio library): the CLI builds ``--format``'s choices and
``--bitrate``'s help from it, and a bad path or bitrate is refused before any work.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BitrateError, OutputPathError
from .pcm import SAMPLE_RATE, SAMPLE_WIDTH

#: The audio formats ``export`` writes, as ``--format`` takes them.
FORMATS: tuple[str, ...] = ("mp3", "m4b", "ogg", "wav")

#: File suffix (lower case) -> format. ``.m4a`` is written as a book too: same container.
SUFFIXES: dict[str, str] = {".mp3": "mp3", ".m4b": "m4b", ".m4a": "m4b", ".ogg": "ogg", ".wav": "wav"}

#: What a lossy format gets when no bitrate is given: speech is clear at 64 kbps mono.
DEFAULT_BITRATE = "64k"


@dataclass(frozen=True)
class BitrateRange:
    """The bitrates (kbps) one format's encoder takes for the mix (mono at ``pcm.SAMPLE_RATE``).

    Measured with Debian 12's ffmpeg 5.1 on the foot massage and on continuous
    speech (README, "Exporting for a phone"; tests/test_bitrates.py re-measures
    every limit).
    """

    codec: str
    low: int
    high: int
    steps: tuple[int, ...] = ()
    """The only values the encoder makes, when it has a fixed set; empty: any whole kbps from low to high."""
    constant: bool = True
    """Every second of the file at the figure (MP3 CBR). False: the figure is a target the
    encoder steers by: pauses and easy sounds take far less (a session's file averages well
    under it), dense speech can take a little more."""

    def describe(self) -> str:
        """``16k to 90k``, or for a fixed set ``one of 8k, 16k, ... 160k``."""
        return f"one of {', '.join(f'{k}k' for k in self.steps)}" if self.steps else f"{self.low}k to {self.high}k"


#: Format -> the bitrates its encoder takes at the mix's rate. WAV has none: it is uncompressed.
BITRATES: dict[str, BitrateRange] = {
    # MPEG-2 layer III (sampling rates under 32 kHz) defines these 14 rates and no
    # others: LAME gives 64k for 72k and 160k for anything above (ISO/IEC 13818-3).
    "mp3": BitrateRange("MPEG-2 layer III", 8, 160,
                        steps=(8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)),
    # ffmpeg's AAC encoder steers by the figure: measured, 64k gave 75 kbps on continuous
    # espeak-ng speech and 28 kbps over the whole piper session; from 96k up it makes the
    # same file, and under 16k it stops following (8k gave 15.5 kbps of continuous speech).
    "m4b": BitrateRange("AAC", 16, 96, constant=False),
    # libvorbis: encoder setup fails under 16k and over 90k at 22050 Hz mono.
    "ogg": BitrateRange("Vorbis", 16, 90, constant=False),
}

#: The bitrate of WAV: 16-bit mono PCM at the mix's rate (352.8 kbps).
WAV_KBPS = SAMPLE_RATE * SAMPLE_WIDTH * 8 / 1000


def check_bitrate(fmt: str, bitrate: str | None) -> str | None:
    """``bitrate`` (``64k``; None means ``DEFAULT_BITRATE``) as ffmpeg takes it for ``fmt``; None for WAV.

    Raises ``BitrateError`` (exit 2) naming the valid range when ``fmt``'s
    encoder cannot make it, or when a bitrate is given for WAV.
    """
    if fmt not in BITRATES:
        if bitrate is not None:
            raise BitrateError(f"--bitrate {bitrate}: {fmt} is uncompressed ({WAV_KBPS:g} kbps, 16-bit mono at "
                               f"{SAMPLE_RATE} Hz); leave --bitrate out")
        return None
    wanted = DEFAULT_BITRATE if bitrate is None else bitrate
    match = re.fullmatch(r"\s*(\d{1,6})\s*k\s*", wanted, re.IGNORECASE)
    allowed = BITRATES[fmt]
    kbps = int(match.group(1)) if match else None
    if kbps is None or not allowed.low <= kbps <= allowed.high or (allowed.steps and kbps not in allowed.steps):
        what = "give kilobits per second like 64k; " if kbps is None else ""
        raise BitrateError(f"--bitrate {wanted}: {what}{fmt} ({allowed.codec}, mono at {SAMPLE_RATE} Hz) "
                           f"takes {allowed.describe()}")
    return f"{kbps}k"


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
