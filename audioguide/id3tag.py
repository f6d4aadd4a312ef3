"""An ID3v2.3 tag whose frames are written in the order given, in front of MP3 audio.

mutagen's ``ID3.save`` sorts frames by size (upstream issue quodlibet/mutagen#506,
open), so CHAP frames land out of time order, and readers that take chapters in
file order (ffmpeg, ffprobe, eyeD3, some players) list them scrambled; an ffmpeg
conversion to M4A then gave one long chapter and twelve 1 ms ones. Here mutagen
still encodes every frame (text encodings, the v2.3 conversion, CHAP sub-frames);
only the order of the encoded frames is ours. ID3v2.3 layout: a 10-byte header
(``ID3``, version 3.0, flags, a 28-bit "syncsafe" size), the frames, zero padding
(id3.org, "ID3 tag version 2.3.0", section 3.1).
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Iterable

from mutagen.id3 import ID3, Frame

#: Zero bytes after the frames: room for a user's tag editor to add a little without rewriting the file.
PADDING = 1024

_HEADER = 10


def tag_bytes(frames: Iterable[Frame], padding: int = PADDING) -> bytes:
    """A complete ID3v2.3 tag holding ``frames`` in exactly this order, then ``padding`` zero bytes.

    Frames that exist only in ID3v2.4 are converted as mutagen converts them
    (TDRC becomes TYER). Raises ``mutagen.MutagenError`` for a frame mutagen
    cannot encode.
    """
    body = b"".join(_encoded(frame) for frame in frames)
    return b"ID3\x03\x00\x00" + _syncsafe(len(body) + padding) + body + bytes(padding)


def put_tag(path: str | os.PathLike[str], tag: bytes, chunk: int = 1 << 20) -> None:
    """Write ``tag`` in front of the MP3 audio in ``path``, replacing any ID3v2 tag already there.

    In place: the audio moves by the difference in the tags' sizes, ``chunk``
    bytes at a time (bounded memory, and no second copy of the file on disk: an
    export needs room for its file and the tag only). Interrupted, the file is
    left half moved, so give it a temp file (the exporter tags its own ``.part``).
    Raises OSError from the file system.
    """
    with open(path, "r+b") as f:
        old = existing_tag_size(f.read(_HEADER))
        _move(f, old, len(tag) - old, chunk)
        f.seek(0)
        f.write(tag)


def _move(f: BinaryIO, start: int, delta: int, chunk: int) -> None:
    """Move the bytes of ``f`` from ``start`` to its end by ``delta`` (either way), in place."""
    end = f.seek(0, os.SEEK_END)
    if delta > 0:  # from the end backwards, so no byte is overwritten before it has moved
        pos = end
        while pos > start:
            n = min(chunk, pos - start)
            pos -= n
            f.seek(pos)
            data = f.read(n)
            f.seek(pos + delta)
            f.write(data)
    elif delta < 0:
        pos = start
        while pos < end:
            n = min(chunk, end - pos)
            f.seek(pos)
            data = f.read(n)
            f.seek(pos + delta)
            f.write(data)
            pos += n
        f.truncate(end + delta)


def existing_tag_size(header: bytes) -> int:
    """Bytes taken by the ID3v2 tag whose first 10 bytes are ``header`` (0 if it is not one)."""
    if len(header) < _HEADER or header[:3] != b"ID3":
        return 0
    footer = _HEADER if header[5] & 0x10 else 0  # v2.4 footer flag
    return _HEADER + _unsyncsafe(header[6:10]) + footer


def _encoded(frame: Frame) -> bytes:
    """``frame`` as mutagen writes it in an ID3v2.3 tag: its header and data."""
    single = ID3()
    single.add(frame)
    out = io.BytesIO()
    single.save(out, v2_version=3, padding=lambda _info: 0)
    data = out.getvalue()
    return data[_HEADER:_HEADER + _unsyncsafe(data[6:10])]


def _syncsafe(n: int) -> bytes:
    if not 0 <= n < 1 << 28:
        raise ValueError(f"an ID3 tag cannot hold {n} bytes")
    return bytes((n >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _unsyncsafe(four: bytes) -> int:
    return (four[0] << 21) | (four[1] << 14) | (four[2] << 7) | four[3]
