"""Content-addressed on-disk speech cache.

An entry is keyed by everything that shapes the audio (engine, engine version,
voice, pace, exact text), so a hit is always the right audio and nothing ever
needs invalidating: a new engine version simply makes new keys.

Entry file layout (little-endian)::

    magic        8 bytes   b"AGSPCH01" (format name and version)
    sample_rate  uint32
    sample_count uint64
    sha256       32 bytes  sha256 of the three fields above, then of the PCM
    pcm          sample_count * int16

The checksum covers the header fields too, so a flipped bit in the sample rate
is caught like one in the audio.

Several processes may share one cache: entries are written atomically
(``files.write_atomic``), so a reader sees either the whole entry or none. A damaged entry (truncated, bit rot, garbage) fails the checksum,
is deleted and reads as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from pathlib import Path

import numpy as np

from .engines.base import Speech
from .errors import CacheError
from .files import stale_parts, write_atomic

CACHE_DIR_ENV = "AUDIOGUIDE_CACHE_DIR"
"""Environment variable that overrides the cache location."""

_MAGIC = b"AGSPCH01"
_FIELDS = struct.Struct("<8sIQ")
_HEADER = struct.Struct("<8sIQ32s")
_SUFFIX = ".speech"
_KEY_RE = re.compile(r"[0-9a-f]{64}")


def default_cache_dir() -> Path:
    """``$AUDIOGUIDE_CACHE_DIR`` if set, else the per-user cache dir + ``/speech``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    # Imported here: only callers that actually need the default pay for it.
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("audioguide")) / "speech"


def speech_key(engine: str, engine_version: str, voice: str, pace: float, text: str) -> str:
    """The cache key (64 hex digits) of one synthesized text.

    JSON framing keeps the fields unambiguous (no separator can be smuggled in
    through the text); ``repr(float(pace))`` makes ``1`` and ``1.0`` the same key.
    """
    fields = [engine, engine_version, voice, repr(float(pace)), text]
    blob = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


class SpeechCache:
    """Speech segments on disk, fanned out into subdirectories by key prefix."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        """The cache directory (created on the first put)."""

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives (``<root>/ab/abcdef....speech``)."""
        if not _KEY_RE.fullmatch(key):
            # Keys become file names: refuse anything that could escape the root.
            raise ValueError(f"not a speech cache key: {key!r}")
        return self.root / key[:2] / (key + _SUFFIX)

    def get(self, key: str) -> Speech | None:
        """The cached speech, or None on a miss. A damaged entry is deleted and is a miss."""
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except OSError:
            # Missing or unreadable: either way the caller synthesizes again, and
            # a real problem with the directory surfaces as a CacheError on put.
            return None
        speech = _decode(data)
        if speech is None:
            try:
                path.unlink()
            except OSError:
                pass  # Another process removed or replaced it already.
        return speech

    def has(self, key: str) -> bool:
        """Whether an entry for ``key`` exists (not read or checked: ``get`` may still find it damaged)."""
        return self.path_for(key).is_file()

    def put(self, key: str, speech: Speech) -> None:
        """Store ``speech`` under ``key`` atomically; raises CacheError if it cannot."""
        path = self.path_for(key)
        data = _encode(speech)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Not durable: a crash may lose the entry (one synthesis), never corrupt it.
            write_atomic(path, lambda tmp: tmp.write_bytes(data), durable=False)
        except OSError as error:
            reason = error.strerror or str(error)
            raise CacheError(f"cannot write the speech cache at {path}: {reason}") from error

    def _entries(self) -> list[Path]:
        return [p for p in self.root.glob("??/*" + _SUFFIX) if p.is_file()]

    def info(self) -> tuple[Path, int, int]:
        """(cache directory, number of entries, total bytes of the entries)."""
        sizes = []
        for entry in self._entries():
            try:
                sizes.append(entry.stat().st_size)
            except FileNotFoundError:
                continue  # Removed by another process while we looked.
        return self.root, len(sizes), sum(sizes)

    def clear(self) -> int:
        """Delete every entry (and temp files abandoned by dead writers); return entries removed."""
        removed = 0
        for entry in self._entries():
            try:
                entry.unlink()
                removed += 1
            except FileNotFoundError:
                continue
            except OSError as error:
                raise CacheError(f"cannot clear the speech cache at {entry}: {error.strerror}") from error
        # Temp files of live writers are left alone, so their rename still works.
        for folder in self.root.glob("??"):
            for temp in stale_parts(folder):
                temp.unlink(missing_ok=True)
        return removed


def _encode(speech: Speech) -> bytes:
    samples = speech.samples
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise ValueError(f"speech samples must be 1-D int16, got {samples.ndim}-D {samples.dtype}")
    pcm = samples.astype("<i2", copy=False).tobytes()
    fields = _FIELDS.pack(_MAGIC, speech.sample_rate, len(samples))
    return fields + _checksum(fields, pcm) + pcm


def _checksum(fields: bytes, pcm: bytes) -> bytes:
    digest = hashlib.sha256(fields)
    digest.update(pcm)
    return digest.digest()


def _decode(data: bytes) -> Speech | None:
    """The speech in an entry file's bytes, or None if they are not a sound entry."""
    if len(data) < _HEADER.size:
        return None
    magic, sample_rate, count, digest = _HEADER.unpack_from(data)
    pcm = data[_HEADER.size :]
    if magic != _MAGIC or sample_rate == 0 or len(pcm) != 2 * count:
        return None
    if _checksum(data[: _FIELDS.size], pcm) != digest:
        return None
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16, copy=False)
    return Speech(samples=samples, sample_rate=sample_rate)
