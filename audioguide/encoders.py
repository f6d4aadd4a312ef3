"""Encoders: a session's samples, read chunk by chunk, become a WAV file or an ffmpeg stream.

Nothing here holds a whole session: samples go to the file (WAV) or into
ffmpeg's standard input (MP3, AAC, Vorbis) as they are read, so memory stays
flat whatever the length. ffmpeg is the one pydub finds (``AudioSegment.converter``),
so a user who points pydub at another build gets it here too.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import tempfile
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .pcm import SAMPLE_WIDTH


class ToolFailed(Exception):
    """ffmpeg failed; the message is the first error it printed."""


def ffmpeg() -> str:
    """The ffmpeg command pydub uses (``AudioSegment.converter``: ``ffmpeg``, ``avconv`` or a path)."""
    # pydub warns at import when ffmpeg is missing; the exporter says what to
    # install in one line instead, and only when an encoder is needed.
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
        from pydub import AudioSegment

    return AudioSegment.converter


def write_wav(chunks: Iterable[np.ndarray], dest: Path, sample_rate: int) -> None:
    """Mono 16-bit PCM WAV of the chunks (int16), exactly those samples and no other chunk than fmt and data.

    The stdlib writer, not pydub's: on a write error pydub leaves a wave writer
    whose __del__ later prints a traceback. The header's lengths are patched
    on close, so the bytes equal those of one write of all the samples.
    """
    with open(dest, "wb") as out:
        writer = wave.open(out, "wb")
        try:
            writer.setnchannels(1)
            writer.setsampwidth(SAMPLE_WIDTH)
            writer.setframerate(sample_rate)
            for chunk in chunks:
                writer.writeframesraw(_pcm(chunk))
        finally:
            try:
                writer.close()
            except OSError:
                pass  # the write error above is the one to report


def encode(chunks: Iterable[np.ndarray], dest: Path, *, sample_rate: int, fmt: str, codec: str, bitrate: str,
           extra: tuple[str, ...] = ()) -> None:
    """Encode mono int16 ``chunks`` with ffmpeg into ``dest`` (container ``fmt``, ``codec`` at ``bitrate``).

    The samples go to ffmpeg's standard input as they are read. Raises
    ``ToolFailed`` (the first line ffmpeg printed) if it fails or stops
    reading; an error raised while reading the chunks stops ffmpeg and is
    raised as it is.
    """
    command = [ffmpeg(), "-hide_banner", "-nostats", "-v", "error", "-y",
               "-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
               "-c:a", codec, "-b:a", bitrate, *extra, "-f", fmt, str(dest)]
    # Its messages go to a file, not a pipe: a pipe nobody reads while we write
    # the samples could fill and stall both sides.
    with tempfile.TemporaryFile() as messages:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages)
        assert proc.stdin is not None
        try:
            try:
                for chunk in chunks:
                    proc.stdin.write(_pcm(chunk))
                proc.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg stopped reading: its exit status and message say why
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            _close_quietly(proc.stdin)
        if code != 0:
            messages.seek(0)
            _raise_failure(messages.read().decode(errors="replace"), code)


def run_ffmpeg(args: list[str], stdin: bytes) -> None:
    """Run ffmpeg with ``args`` (errors only), ``stdin`` as its input; ``ToolFailed`` if it fails."""
    command = [ffmpeg(), "-hide_banner", "-nostats", "-v", "error", "-y", *args]
    result = subprocess.run(command, input=stdin, capture_output=True)
    if result.returncode != 0:
        _raise_failure(result.stderr.decode(errors="replace"), result.returncode)


def _raise_failure(messages: str, code: int) -> None:
    """``ToolFailed`` with ffmpeg's first error; ``OSError`` when it could not write (a full disk is not a codec problem)."""
    for number in (errno.ENOSPC, errno.EDQUOT):
        if os.strerror(number) in messages:
            raise OSError(number, os.strerror(number))
    raise ToolFailed(first_error(messages) or f"exit status {code}")


def first_error(text: str) -> str:
    """The first non-empty line of ffmpeg's error output, without its ``[codec @ 0x...]`` prefix."""
    for line in text.splitlines():
        line = re.sub(r"^(\[[^]]* @ 0x[0-9a-f]+\]\s*)+", "", line.strip())
        if line:
            return line
    return ""


def _pcm(chunk: np.ndarray) -> bytes:
    """int16 samples as little-endian bytes (WAV and s16le byte order)."""
    return chunk.astype("<i2", copy=False).tobytes()


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except (BrokenPipeError, OSError):
        pass  # already reported through ffmpeg's exit status
