"""Export: a session's audio becomes one audio file for a phone, plus sidecars.

The audio is read in chunks (``SessionAudio``: a whole-buffer ``Timeline``, or
``pipeline.SessionStream``, which speaks and renders as it is read) and goes
straight to the encoder (``encoders.py``), so memory does not grow with the
session's length; chapters, tags and sidecars follow from the script, which
is complete once the audio has been read.

Formats: MP3 (ID3v2.3 tags, CHAP + CTOC chapters, cover), M4B (AAC in MP4 with
chapters, tags and cover, branded as an audiobook), Ogg Vorbis (tags and
CHAPTERnnn comments, cover) and WAV (the exact timeline samples, no tags).
Beside the audio go ``<stem>.vtt`` (a WebVTT transcript of the spoken lines)
and ``<stem>.json`` (the script it was made from).

Every file is written to a temporary file in its own directory and fsynced;
once all three are written they are renamed into place, so an existing set is
only ever replaced by a complete new one, never in part. A symbolic link is
written through (its target replaced); a named pipe, a device or
``/dev/stdout`` is refused before any work. Missing parent directories are
created (``mkdir -p``): the default output lives under ``build/``, and a
typo'd folder is easier to spot than a refusal. Encoding runs ffmpeg (the one pydub finds).
"""

from __future__ import annotations

import base64
import errno
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from mutagen import MutagenError
from mutagen.flac import Picture
from mutagen.id3 import APIC, CHAP, COMM, CTOC, TALB, TDRC, TIT2, TPE1, CTOCFlags, PictureType
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggvorbis import OggVorbis

from . import encoders
from .cover import COVER_SIZE, cover_png
from .encoders import ToolFailed
from .errors import ExportError, OutputPathError
from .files import FileSet, check_target, probe_writable
from .formats import check_bitrate, format_for
from .id3tag import put_tag, tag_bytes
from .progress import CancelToken, Progress, ProgressFn, check_cancel
from .script import ChapterSpan, Say, Script

#: LAME's quality 5 ("good speed, reasonable quality") instead of ffmpeg's 3:
#: measured on the default session, 1.54 s instead of 1.84 s to encode, with the
#: same waveform SNR (24.2 against 24.4 dB) at 64 kbps mono speech. No ID3 tag
#: from ffmpeg: ours (id3tag.py) goes in front of the audio.
MP3_ENCODER_ARGS = ("-compression_level", "5", "-id3v2_version", "0")

#: Called with a short stage description ("encoding mp3") as each stage begins.
Stage = Callable[[str], None]


class SessionAudio(Protocol):
    """A session's samples, read once in order, and the exact script they follow."""

    sample_rate: int

    def chunks(self) -> Iterator[np.ndarray]:
        """Mono int16 samples in consecutive pieces; read once."""
        ...

    @property
    def script(self) -> Script:
        """The exact script (complete once ``chunks()`` is exhausted)."""
        ...


@dataclass(frozen=True)
class Metadata:
    """The tags a phone's player shows for the exported session."""

    title: str
    """Track or book name (ID3 TIT2, MP4 ©nam, Vorbis TITLE); also printed on the cover."""
    artist: str = "audioguide"
    """Who made it (TPE1, ©ART, ARTIST)."""
    album: str = ""
    """Album or book grouping (TALB, ©alb, ALBUM); empty means the title."""
    comment: str = ""
    """A free-text description (COMM, ©cmt, COMMENT); empty writes none."""
    year: int | None = None
    """Release year (TDRC, saved as TYER in ID3v2.3; ©day; DATE); None writes none."""


def check_output(path: str | os.PathLike[str], fmt: str | None = None, bitrate: str | None = None) -> str:
    """Everything about the output that can fail before any work: the format for
    ``path``, the bitrate for that format (``formats.check_bitrate``), its folder
    (created if missing, and writable), what is at the audio's and the sidecars'
    paths (a folder, a named pipe, a device, ``/dev/stdout`` or a name too long
    for the file system is refused, before the format; a symbolic link is
    written through), and ffmpeg when needed. Call it first so
    a bad path or bitrate costs nothing; ``export`` calls it too.
    """
    if os.fspath(path).strip() in ("", "-"):  # Path("") is ".", "-" has no suffix, "  " is blanks: say what they meant
        raise OutputPathError("-: audio cannot go to standard output; give a file name (like session.mp3)"
                              if os.fspath(path) == "-" else "the output path is empty; give a file name "
                              "(like session.mp3)")
    path = Path(path)
    check_target(path, OutputPathError)  # a folder, a device, a name too long: that, not "no suffix"
    kind = format_for(path, fmt)
    check_bitrate(kind, bitrate)
    _check_output_path(path, (path.with_suffix(".vtt"), path.with_suffix(".json")))
    if kind != "wav":
        _require_ffmpeg(path)
    return kind


def export(
    audio: SessionAudio,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    meta: Metadata,
    bitrate: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Write ``audio`` to ``path`` and the ``.vtt``/``.json`` sidecars beside it.

    ``audio`` is a ``mixer.Timeline`` or anything else that gives its samples
    in chunks (``pipeline.SessionStream`` speaks and renders them as they are
    read: errors of those stages, such as ``EngineError``, pass through as they are).

    ``bitrate`` (``64k``) applies to mp3, m4b and ogg, within ``formats.BITRATES``
    (None: ``formats.DEFAULT_BITRATE``); WAV takes none. ``progress`` is called as each
    stage begins; ``cancel`` is checked then too (``Cancelled`` leaves every
    previous file untouched). The three files replace the previous ones
    together, once all are written (``files.FileSet``); a symbolic link at a
    path is written through. Missing parent folders are created. Returns the
    paths written: audio, transcript, script. Raises ``OutputPathError`` (exit
    2) for an unusable path or format (``check_output``) and ``ExportError``
    (exit 1, one line) when encoding or writing fails; the previous files at
    those paths are then left untouched, all three.
    """
    kind = check_output(path, fmt, bitrate)
    path = Path(path)
    bitrate = check_bitrate(kind, bitrate)
    vtt, js = path.with_suffix(".vtt"), path.with_suffix(".json")
    stage = _Stages(progress, _STAGES[kind] + 2, cancel)
    if kind != "wav":
        # Drawn now, on the side (cover_png keeps it): the tag writers ask for it
        # once the audio is encoded, which streaming makes the end of the export.
        threading.Thread(target=cover_png, args=(meta.title,), name="audioguide-cover", daemon=True).start()

    def write_audio(tmp: Path) -> None:
        _WRITERS[kind](audio, tmp, meta, bitrate, stage)

    # All three are written before any is renamed into place: a failure in any
    # (a full disk at the last one) leaves the whole previous set, not a mix.
    with FileSet() as files:
        _guarded(path, kind, lambda: files.write(path, write_audio))
        script = audio.script
        stage("writing transcript")
        _guarded(vtt, kind, lambda: files.write(vtt, lambda tmp: tmp.write_text(vtt_text(script), encoding="utf-8")))
        stage("writing script")
        _guarded(js, kind, lambda: files.write(js, lambda tmp: tmp.write_text(script.dumps(), encoding="utf-8")))
        _guarded(path, kind, files.commit)
    if progress is not None:
        progress(Progress("done", stage.total, stage.total, "stage"))
    return [path, vtt, js]


# -- reusable helpers ---------------------------------------------------------


def vtt_text(script: Script) -> str:
    """A WebVTT transcript: one cue per Say cue, timed exactly as in ``script``.

    Each cue shows the written text; where the voice says it differently, a
    ``NOTE spoken: ...`` block before it carries the spoken text (players skip NOTEs).
    """
    blocks = ["WEBVTT\n"]
    for cue in script.cues:
        if isinstance(cue, Say):
            # A blank line would end the cue early, and <, & start markup.
            text = " ".join(cue.text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if cue.spoken and cue.spoken != cue.text:  # a NOTE is for readers of the file, not shown by players
                blocks.append(f"NOTE spoken: {cue.spoken}\n")
            blocks.append(f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}\n{text}\n")
    return "\n".join(blocks)


def measured_bitrate(path: str | os.PathLike[str]) -> int | None:
    """The audio stream's real bitrate in bits/s: its encoded packets' sizes over their duration.

    Read by ffprobe, so tags and the cover do not count. None when ffprobe is
    missing or cannot read the file (the export itself is not affected).
    """
    prober = shutil.which("ffprobe")
    if prober is None:
        return None
    result = subprocess.run([prober, "-v", "error", "-select_streams", "a:0", "-show_entries",
                             "packet=duration_time,size", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    seconds = size = 0.0
    for line in result.stdout.splitlines():
        try:
            duration, nbytes = line.split(",")[:2]
            seconds, size = seconds + float(duration), size + int(nbytes)
        except ValueError:
            continue  # a packet without a duration: not countable
    return round(size * 8 / seconds) if result.returncode == 0 and seconds > 0 else None


def timestamp(ms: int) -> str:
    """``ms`` as ``HH:MM:SS.mmm`` (WebVTT and Vorbis chapter time stamps)."""
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


# -- format writers -------------------------------------------------------------
# Each fills ``tmp`` completely (audio, then tags) and calls ``stage`` as it goes.


def _write_mp3(session: SessionAudio, tmp: Path, meta: Metadata, bitrate: str, stage: Stage) -> None:
    stage("encoding mp3")
    _encode(session, tmp, fmt="mp3", codec="libmp3lame", bitrate=bitrate, extra=MP3_ENCODER_ARGS)
    script = session.script
    stage("tagging mp3")
    # A fresh tag replaces ffmpeg's; ID3v2.3 because older car stereos and
    # Windows read it and not 2.4.
    frames = [
        TIT2(encoding=3, text=[meta.title]),
        TPE1(encoding=3, text=[meta.artist]),
        TALB(encoding=3, text=[meta.album or meta.title]),
    ]
    if meta.comment:
        frames.append(COMM(encoding=3, lang="eng", desc="", text=[meta.comment]))
    if meta.year is not None:
        frames.append(TDRC(encoding=3, text=[str(meta.year)]))
    chapters = script.chapters()
    ids = chapter_ids(len(chapters))
    if chapters:
        # Many players ignore CHAP frames unless a top-level CTOC lists them.
        frames.append(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                           child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=[meta.title])]))
    # In time order in the file too: readers that ignore the CTOC take CHAP frames in file order.
    for element_id, ch in zip(ids, chapters):
        frames.append(CHAP(element_id=element_id, start_time=ch.start_ms, end_time=ch.end_ms,
                           # 0xFFFFFFFF: "no byte offset, use the times" per the ID3 chapter spec.
                           start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                           sub_frames=[TIT2(encoding=3, text=[ch.title])]))
    frames.append(APIC(encoding=3, mime="image/png", type=PictureType.COVER_FRONT, desc="Cover",
                       data=cover_png(meta.title)))
    put_tag(tmp, tag_bytes(frames))  # in place: no second copy of the file


def chapter_ids(count: int) -> list[str]:
    """CHAP element ids ``ch00``, ``ch01``, ...: zero-padded so that they also sort in time order."""
    width = max(2, len(str(count - 1)))
    return [f"ch{i:0{width}d}" for i in range(count)]


def _write_m4b(session: SessionAudio, tmp: Path, meta: Metadata, bitrate: str, stage: Stage) -> None:
    stage("encoding aac")
    # The chapters are known only once the audio is (its speech is measured as
    # it streams): encode first, then remux with the chapter list.
    # Named as another temp part of this writer (pid in its name), so a killed export's leftover is cleaned too.
    encoded = tmp.with_name(f"{tmp.stem}-aac{tmp.suffix}")
    try:
        _encode(session, encoded, fmt="ipod", codec="aac", bitrate=bitrate)
        script = session.script
        stage("adding chapters")
        encoders.run_ffmpeg(
            ["-i", str(encoded), "-f", "ffmetadata", "-i", "pipe:0"]
            + ["-map", "0:a", "-map_chapters", "1", "-c", "copy"]
            # "M4B " brand: Apple Books files it as a book and keeps the position;
            # faststart puts the index first so players open it without seeking.
            + ["-f", "ipod", "-brand", "M4B ", "-movflags", "+faststart", str(tmp)],
            stdin=_ffmetadata(script.chapters()).encode("utf-8"),
        )
    finally:
        encoded.unlink(missing_ok=True)
    stage("tagging m4b")
    audio = MP4(tmp)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    tags["\xa9nam"] = [meta.title]
    tags["\xa9ART"] = [meta.artist]
    tags["\xa9alb"] = [meta.album or meta.title]
    if meta.comment:
        tags["\xa9cmt"] = [meta.comment]
    if meta.year is not None:
        tags["\xa9day"] = [str(meta.year)]
    tags["stik"] = [2]  # iTunes media kind 2 = audiobook
    tags["covr"] = [MP4Cover(cover_png(meta.title), imageformat=MP4Cover.FORMAT_PNG)]
    audio.save()


def _write_ogg(session: SessionAudio, tmp: Path, meta: Metadata, bitrate: str, stage: Stage) -> None:
    stage("encoding ogg")
    _encode(session, tmp, fmt="ogg", codec="libvorbis", bitrate=bitrate)
    script = session.script
    stage("tagging ogg")
    audio = OggVorbis(tmp)
    audio.tags.clear()
    audio.tags["TITLE"] = meta.title
    audio.tags["ARTIST"] = meta.artist
    audio.tags["ALBUM"] = meta.album or meta.title
    if meta.comment:
        audio.tags["COMMENT"] = meta.comment
    if meta.year is not None:
        audio.tags["DATE"] = str(meta.year)
    # Chapter extension (as read by ffmpeg and most Vorbis players): three-digit, from 001.
    for i, ch in enumerate(script.chapters(), 1):
        audio.tags[f"CHAPTER{i:03d}"] = timestamp(ch.start_ms)
        audio.tags[f"CHAPTER{i:03d}NAME"] = ch.title
    picture = Picture()
    picture.type, picture.mime, picture.desc = PictureType.COVER_FRONT, "image/png", "Cover"
    picture.width = picture.height = COVER_SIZE
    picture.depth = 24
    picture.data = cover_png(meta.title)
    audio.tags["METADATA_BLOCK_PICTURE"] = base64.b64encode(picture.write()).decode("ascii")
    audio.save()


def _write_wav(session: SessionAudio, tmp: Path, meta: Metadata, bitrate: str, stage: Stage) -> None:
    stage("writing wav")
    # No tags, no ffmpeg: the live player is checked against these bytes.
    encoders.write_wav(session.chunks(), tmp, session.sample_rate)


_WRITERS = {"mp3": _write_mp3, "m4b": _write_m4b, "ogg": _write_ogg, "wav": _write_wav}
#: How many times each writer calls ``stage`` (for the progress bar's total).
_STAGES = {"mp3": 2, "m4b": 3, "ogg": 2, "wav": 1}


# -- internals ----------------------------------------------------------------------


def _encode(audio: SessionAudio, dest: Path, **options: str | tuple[str, ...]) -> None:
    encoders.encode(audio.chunks(), dest, sample_rate=audio.sample_rate, **options)  # type: ignore[arg-type]


def _ffmetadata(chapters: list[ChapterSpan]) -> str:
    """An ffmpeg metadata file listing ``chapters`` in milliseconds."""

    def escape(value: str) -> str:
        return re.sub(r"([=;#\\\n])", r"\\\1", value)

    lines = [";FFMETADATA1"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}", f"END={ch.end_ms}", f"title={escape(ch.title)}"]
    return "\n".join(lines) + "\n"


def _guarded(path: Path, kind: str, action: Callable[[], object]) -> None:
    """Run ``action``, turning every expected failure into a one-line ``ExportError``."""
    try:
        action()
    except ToolFailed as e:
        raise ExportError(f"encoding {kind} failed for {path}: {str(e) or 'ffmpeg failed'}") from None
    except MutagenError as e:
        raise ExportError(f"tagging {kind} failed for {path}: {' '.join(str(e).split())}") from None
    except OSError as e:
        room = ("; an m4b export needs free room for about twice the file (the AAC, then the book made from it)"
                if kind == "m4b" and e.errno in (errno.ENOSPC, errno.EDQUOT) else "")
        raise ExportError(f"cannot write {path}: {e.strerror or e}{room}") from None


def _check_output_path(path: Path, sidecars: tuple[Path, ...]) -> None:
    # Every file of the set, before any work: a named pipe at the .json is as bad as one at the audio.
    targets = {p: check_target(p, OutputPathError) for p in (path, *sidecars)}
    for s in sidecars:  # -o x.vtt, or a link that makes two of the three one file
        if s == path or targets[s] == targets[path]:
            raise OutputPathError(f"{path}: the audio would overwrite its own {s.suffix} sidecar")
    if targets[sidecars[0]] == targets[sidecars[1]]:
        raise OutputPathError(f"{sidecars[0]}: leads to the same file as {sidecars[1]}")
    # The folders the files land in: the one named (as named, for messages), and where a symbolic link leads.
    for parent in dict.fromkeys(dest.parent if p.is_symlink() else p.parent for p, dest in targets.items()):
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputPathError(f"{path}: cannot create folder {parent}: {e.strerror or e}") from None
        try:
            probe_writable(parent, path.name)
        except OSError as e:
            raise OutputPathError(f"{path}: folder {parent} is not writable: {e.strerror or e}") from None


def _require_ffmpeg(path: Path) -> None:
    # Checked up front, before any speech is synthesized for it.
    if shutil.which(encoders.ffmpeg()) is None:
        raise ExportError(f"ffmpeg not found: sudo apt-get install ffmpeg (needed to write {path})")


class _Stages:
    """Reports each export stage to a progress callback (and checks the cancel token) as it begins."""

    def __init__(self, progress: ProgressFn | None, total: int, cancel: CancelToken | None) -> None:
        self._progress, self.total, self.cancel = progress, total, cancel
        self._started = 0

    def __call__(self, description: str) -> None:
        check_cancel(self.cancel)
        if self._progress is not None:
            self._progress(Progress(description, self._started, self.total, "stage"))
        self._started += 1
