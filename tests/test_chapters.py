"""Chapters as players read them: time order in the file, from 0 to the end, through ffmpeg conversions."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3

from audioguide.compiler import compile_script
from audioguide.exporter import Metadata, chapter_ids, export
from audioguide.id3tag import existing_tag_size
from audioguide.mixer import Timeline
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.routine import parse_routine
from audioguide.script import Chapter, Pause, Say, Script, relay
from audioguide.settings import resolve
from helpers import ffprobe

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg and ffprobe"
)

#: Thirteen chapters, as many as the foot massage, with titles of very different lengths: mutagen's
#: own ordering (by frame size) scrambled exactly such a set.
TITLES = ["Welcome", "Right foot: a much longer chapter title than the others", "Toes", "Arch",
          "Heel and the back of the ankle", "Top", "Switch", "Left foot", "Toes again", "A",
          "Heel", "Ankle circles, slowly, in both directions", "Closing"]

#: ffmpeg moves chapters by the MP3's start time when it converts: LAME's encoder delay,
#: 1105 samples (50.1 ms at 22050 Hz), which its demuxer reports as the stream's start.
ENCODER_DELAY_MS = 51

#: Lines before the first chapter step, as a user's routine may have them.
INTRO_FIRST = """
title: Intro first
steps:
  - say: Before any chapter.
    then: 2
  - chapter: One
  - say: In chapter one.
  - chapter: Two
  - say: In chapter two.
"""


def _timeline(titles: list[str], intro: bool = False) -> Timeline:
    cues: list = [Say(text="Before any chapter.", chapter="")] if intro else []
    for title in titles:
        cues += [Chapter(title=title, chapter=title), Say(text=f"This is {title}.", chapter=title),
                 Pause(chapter=title)]
    script = relay(Script("t", "Chapter test", tuple(cues), timing="measured"),
                   lambda c: 700 if isinstance(c, Say) else 300 if isinstance(c, Pause) else 0)
    samples = np.zeros(ms_to_samples(script.total_ms), np.int16)
    for cue in script.cues:
        if isinstance(cue, Say):
            a, b = ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)
            samples[a:b] = (8000 * np.sin(np.arange(b - a) * 2 * np.pi * 330 / SAMPLE_RATE)).astype(np.int16)
    return Timeline(samples, SAMPLE_RATE, script)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("chapters")
    timeline = _timeline(TITLES)
    return {fmt: export(timeline, folder / f"s.{fmt}", meta=Metadata(title="Chapter test"))[0]
            for fmt in ("mp3", "m4b", "ogg")}


def id3_frames_in_file_order(path: Path) -> list[tuple[str, bytes]]:
    """(frame id, frame data) of every frame of an ID3v2.3 tag, in the order they are stored.

    Written from the ID3v2.3 layout (10-byte header, then frames of a 4-byte id,
    a 4-byte big-endian size and 2 flag bytes), not with mutagen, which sorts.
    """
    data = path.read_bytes()
    assert data[:4] == b"ID3\x03", "not an ID3v2.3 tag"
    end = existing_tag_size(data[:10])
    frames, pos = [], 10
    while pos + 10 <= end and data[pos:pos + 4] != b"\0\0\0\0":
        frame_id, size = data[pos:pos + 4].decode("ascii"), struct.unpack(">I", data[pos + 4:pos + 8])[0]
        frames.append((frame_id, data[pos + 10:pos + 10 + size]))
        pos += 10 + size
    return frames


def chap_frames_in_file_order(path: Path) -> list[tuple[str, int, int]]:
    """(element id, start ms, end ms) of each CHAP frame, in file order (ID3 chapter frame addendum 1.0)."""
    out = []
    for frame_id, body in id3_frames_in_file_order(path):
        if frame_id == "CHAP":
            element_id, rest = body.split(b"\0", 1)
            start, end = struct.unpack(">II", rest[:8])
            out.append((element_id.decode("latin-1"), start, end))
    return out


def test_chap_frames_are_stored_in_time_order_with_ids_that_sort(exported):
    chaps = chap_frames_in_file_order(exported["mp3"])
    expected = _timeline(TITLES).script.chapters()
    assert [(start, end) for _, start, end in chaps] == [(c.start_ms, c.end_ms) for c in expected]
    ids = [element_id for element_id, _, _ in chaps]
    assert ids == [f"ch{i:02d}" for i in range(len(TITLES))] == sorted(ids)
    assert ID3(exported["mp3"]).getall("CTOC")[0].child_element_ids == ids


def test_the_whole_tag_reads_back_with_mutagen(exported):
    tags = ID3(exported["mp3"])
    assert tags.version[:2] == (2, 3)
    assert {k.split(":")[0] for k in tags.keys()} == {"TIT2", "TPE1", "TALB", "CTOC", "CHAP", "APIC"}
    # Exactly one tag: ffmpeg wrote none of its own, and nothing of one is left behind the new tag.
    data = exported["mp3"].read_bytes()
    after = existing_tag_size(data[:10])
    assert b"ID3" not in data[after:after + 3] and data[after] == 0xFF  # an MPEG frame sync follows


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "ogg"])
def test_ffprobe_lists_chapters_in_time_order_without_sorting(exported, fmt):
    chapters = ffprobe(exported[fmt], "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == TITLES
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0


@pytest.mark.parametrize("suffix, codec", [(".m4a", "aac"), (".mka", "copy")])
def test_an_ffmpeg_conversion_of_the_mp3_keeps_every_chapter(exported, tmp_path, suffix, codec):
    """What a user's converter does: ``ffmpeg -i s.mp3 -map 0:a -c:a aac s.m4a`` (and a copy into Matroska)."""
    out = tmp_path / f"conv{suffix}"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(exported["mp3"]), "-map", "0:a", "-c:a", codec, str(out)],
                   check=True)
    chapters = ffprobe(out, "-show_chapters")["chapters"]
    expected = _timeline(TITLES).script.chapters()
    assert [c["tags"]["title"] for c in chapters] == TITLES
    for got, want in zip(chapters, expected):
        assert float(got["start_time"]) * 1000 == pytest.approx(want.start_ms, abs=ENCODER_DELAY_MS)
        assert float(got["end_time"]) * 1000 == pytest.approx(want.end_ms, abs=ENCODER_DELAY_MS)
    durations = [float(c["end_time"]) - float(c["start_time"]) for c in chapters]
    assert min(durations) > 0.9  # no collapsed 1 ms chapters


@pytest.mark.parametrize("count, first, last", [(1, "ch00", "ch00"), (13, "ch00", "ch12"), (100, "ch00", "ch99"),
                                                (101, "ch000", "ch100")])
def test_chapter_ids_are_zero_padded_to_the_count(count, first, last):
    ids = chapter_ids(count)
    assert (ids[0], ids[-1], len(ids)) == (first, last, count)
    assert ids == sorted(ids)


# -- chapters from zero --------------------------------------------------------


def test_lines_before_the_first_chapter_open_a_chapter_named_after_the_routine():
    routine = parse_routine(INTRO_FIRST, name="intro")
    script = compile_script(routine, resolve(routine))
    assert script.cues[0] == Chapter(title="Intro first", chapter="Intro first", start_ms=0)
    assert script.cues[1].chapter == "Intro first"
    spans = script.chapters()
    assert [c.title for c in spans] == ["Intro first", "One", "Two"]
    assert spans[0].start_ms == 0 and spans[-1].end_ms == script.total_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(spans, spans[1:]))
    assert json.loads(script.dumps())["chapters"][0] == {"title": "Intro first", "start_ms": 0,
                                                          "end_ms": spans[1].start_ms}


def test_a_routine_that_starts_with_a_chapter_gets_no_extra_one():
    routine = parse_routine(INTRO_FIRST.replace("steps:\n", "steps:\n  - chapter: Zero\n"), name="intro")
    assert [c.title for c in compile_script(routine, resolve(routine)).chapters()] == ["Zero", "One", "Two"]


def test_a_routine_without_chapters_is_one_chapter():
    routine = parse_routine("title: Plain\nsteps:\n  - say: Only this.\n", name="plain")
    script = compile_script(routine, resolve(routine))
    assert [(c.title, c.start_ms, c.end_ms) for c in script.chapters()] == [("Plain", 0, script.total_ms)]


def test_the_opening_chapter_adds_no_sound():
    """The first named chapter after an intro still has no step chime, as before."""
    routine = parse_routine(INTRO_FIRST, name="intro")
    script = compile_script(routine, resolve(routine))
    assert [c.type for c in script.cues if c.type in ("chime", "chapter")] == ["chapter", "chapter", "chapter",
                                                                                "chime", "chime"]


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "ogg"])
def test_every_format_starts_chapter_one_at_zero(tmp_path, fmt):
    timeline = _timeline(["One", "Two"], intro=True)
    path = export(timeline, tmp_path / f"i.{fmt}", meta=Metadata(title="Chapter test"))[0]
    chapters = ffprobe(path, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == ["Chapter test", "One", "Two"]
    assert float(chapters[0]["start_time"]) == 0
    assert float(chapters[-1]["end_time"]) * 1000 == pytest.approx(timeline.script.total_ms, abs=1)
    doc = json.loads(path.with_suffix(".json").read_text())
    assert [c["title"] for c in doc["chapters"]] == ["Chapter test", "One", "Two"]


def test_put_tag_replaces_a_tag_already_there(tmp_path):
    """An ID3v2.4 tag with a footer (as other taggers write) is replaced whole; the audio is kept byte for byte."""
    from mutagen.id3 import TIT2

    from audioguide.id3tag import put_tag, tag_bytes

    audio = bytes(range(256)) * 40
    body = b"TIT2\x00\x00\x00\x04\x00\x00\x03old"
    old = b"ID3\x04\x00\x10" + bytes([0, 0, 0, len(body)]) + body + b"3DI\x04\x00\x10" + bytes([0, 0, 0, len(body)])
    path = tmp_path / "a.mp3"
    path.write_bytes(old + audio)
    tag = tag_bytes([TIT2(encoding=3, text=["new"])])
    put_tag(path, tag)
    assert path.read_bytes() == tag + audio
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp3"]


@pytest.mark.parametrize("old_body", [b"", b"x" * 10, b"x" * 5000])
def test_put_tag_moves_the_audio_in_place_without_a_second_copy(tmp_path, old_body):
    """Tagging needs room for the tag, not for another copy of the file: the same file (inode) is rewritten."""
    from mutagen.id3 import TIT2

    from audioguide.id3tag import put_tag, tag_bytes

    audio = bytes(range(251)) * 97  # not a multiple of the chunk
    old = (b"ID3\x03\x00\x00" + bytes([0, 0, len(old_body) >> 7, len(old_body) & 0x7F]) + old_body) if old_body else b""
    path = tmp_path / "a.mp3"
    path.write_bytes(old + audio)
    inode = path.stat().st_ino
    tag = tag_bytes([TIT2(encoding=3, text=["new"])], padding=100)  # larger and smaller than the old tags
    put_tag(path, tag, chunk=1000)
    assert path.read_bytes() == tag + audio
    assert path.stat().st_ino == inode and [p.name for p in tmp_path.iterdir()] == ["a.mp3"]
