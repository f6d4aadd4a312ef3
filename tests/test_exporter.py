"""Exporter: formats, chapters, tags, sidecars and atomic writes, on a synthetic session."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import stat
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import CTOCFlags
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis
from PIL import Image
from pydub import AudioSegment

from audioguide import formats
from audioguide.errors import ExportError, OutputPathError
from audioguide.cover import cover_png
from audioguide.exporter import Metadata, export, vtt_text
from audioguide.files import write_atomic
from audioguide.formats import format_for
from audioguide.mixer import Timeline
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.script import CHIME_MS, Chapter, Chime, Pause, Say, Script, relay
from helpers import decoded_ms, ffprobe

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg and ffprobe"
)

# Titles with characters that need escaping in ffmpeg metadata, and non-ASCII.
TITLES = ["Warm up", "Arch: slow circles", "Heel = pressure; #2", "Zehen – toes"]
META = Metadata(title="Test session", album="Feet", comment="A synthetic session.", year=2025)
TOLERANCE_MS = 50


def _script() -> Script:
    cues = []
    for title in TITLES:
        cues += [
            Chapter(title=title, chapter=title),
            Say(text=f"Now: {title}. Press gently & breathe <in>.", chapter=title),
            Pause(flexible=True, chapter=title),
            Chime(kind="hold", chapter=title),
            Say(text="And release.", role="count", chapter=title),
            Pause(chapter=title),
        ]

    def length(cue):
        if isinstance(cue, Say):
            return 60 * len(cue.text) + 7  # odd lengths: times that are not round
        if isinstance(cue, Chime):
            return CHIME_MS[cue.kind]
        if isinstance(cue, Pause):
            return 2500 if cue.flexible else 1200
        return 0

    return relay(Script("test", "Test session", tuple(cues), timing="measured"), length)


def _samples(script: Script) -> np.ndarray:
    """Tones where the script speaks or chimes, silence where it pauses."""
    out = np.zeros(ms_to_samples(script.total_ms), dtype=np.int16)
    for cue in script.cues:
        a, b = ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)
        freq = {Say: 220.0, Chime: 880.0}.get(type(cue))
        if freq:
            t = np.arange(b - a) / SAMPLE_RATE
            out[a:b] = (9000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return out


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    script = _script()
    return Timeline(_samples(script), SAMPLE_RATE, script)


@pytest.fixture(scope="module")
def outputs(timeline, tmp_path_factory) -> dict[str, list[Path]]:
    """Each format exported once into its own folder."""
    return {
        fmt: export(timeline, tmp_path_factory.mktemp(fmt) / f"session.{fmt}", meta=META)
        for fmt in ("mp3", "m4b", "ogg", "wav")
    }


def _fails_keeping_previous(timeline, path: Path, match: str, **options) -> None:
    """export() must raise one ExportError line naming ``path`` and leave its folder as it was."""
    before = _snapshot(path.parent)
    with pytest.raises(ExportError, match=match) as info:
        export(timeline, path, meta=META, **options)
    _assert_one_line(info.value, path)
    assert _snapshot(path.parent) == before


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- formats ------------------------------------------------------------------------


def test_timeline_is_a_realistic_session(timeline):
    assert 20_000 <= timeline.duration_ms <= 40_000
    assert len(timeline.script.chapters()) == 4


def test_export_returns_audio_and_sidecars(outputs):
    for fmt, paths in outputs.items():
        assert [p.name for p in paths] == [f"session.{fmt}", "session.vtt", "session.json"]
        assert sorted(p.name for p in paths[0].parent.iterdir()) == sorted(p.name for p in paths)


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "ogg"])
def test_encoded_audio_decodes_to_the_timeline_length(outputs, timeline, fmt):
    assert decoded_ms(outputs[fmt][0]) == pytest.approx(timeline.duration_ms, abs=TOLERANCE_MS)


@pytest.mark.parametrize("fmt, tolerance", [("mp3", TOLERANCE_MS), ("m4b", 0), ("ogg", TOLERANCE_MS)])
def test_chapters_read_back_withffprobe(outputs, timeline, fmt, tolerance):
    chapters = ffprobe(outputs[fmt][0], "-show_chapters")["chapters"]  # in file order (test_chapters.py)
    expected = timeline.script.chapters()
    assert [c["tags"]["title"] for c in chapters] == TITLES
    for got, want in zip(chapters, expected):
        assert float(got["start_time"]) * 1000 == pytest.approx(want.start_ms, abs=tolerance)
        assert float(got["end_time"]) * 1000 == pytest.approx(want.end_ms, abs=tolerance)


def test_mp3_is_64_kbps_mono_cbr(outputs):
    stream = ffprobe(outputs["mp3"][0], "-show_streams", "-select_streams", "a")["streams"][0]
    assert stream["codec_name"] == "mp3"
    assert stream["channels"] == 1
    assert int(stream["bit_rate"]) == 64000
    assert MP3(outputs["mp3"][0]).info.bitrate == 64000


def test_mp3_bitrate_can_be_raised(timeline, tmp_path):
    path = export(timeline, tmp_path / "hq.mp3", meta=META, bitrate="96k")[0]
    assert MP3(path).info.bitrate == 96000


def test_mp3_tags_cover_and_chapter_frames(outputs):
    tags = MP3(outputs["mp3"][0]).tags
    assert tags.version[:2] == (2, 3)
    assert tags["TIT2"].text == ["Test session"]
    assert tags["TPE1"].text == ["audioguide"]
    assert tags["TALB"].text == ["Feet"]
    assert tags.getall("COMM")[0].text == ["A synthetic session."]
    assert str(tags["TDRC"]) == "2025"
    cover = tags.getall("APIC")[0]
    assert cover.mime == "image/png" and cover.type == 3
    assert Image.open(io.BytesIO(cover.data)).size == (600, 600)

    toc = tags.getall("CTOC")[0]
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == ["ch00", "ch01", "ch02", "ch03"]
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert [chaps[i].sub_frames["TIT2"].text[0] for i in toc.child_element_ids] == TITLES


def test_m4b_is_an_audiobook_with_tags_and_cover(outputs):
    path = outputs["m4b"][0]
    assert path.read_bytes()[4:12] == b"ftypM4B "
    audio = MP4(path)
    # ffmpeg's AAC encoder spends fewer bits on silence: 64 kbps is a ceiling, not a constant.
    assert 0 < audio.info.bitrate <= 64000 * 1.1
    tags = audio.tags
    assert tags["\xa9nam"] == ["Test session"]
    assert tags["\xa9ART"] == ["audioguide"]
    assert tags["\xa9alb"] == ["Feet"]
    assert tags["\xa9cmt"] == ["A synthetic session."]
    assert tags["\xa9day"] == ["2025"]
    assert tags["stik"] == [2]
    assert Image.open(io.BytesIO(bytes(tags["covr"][0]))).size == (600, 600)
    # mutagen reads the sample entry's channel count, which MP4 fixes at 2; ffprobe reads the codec's.
    stream = ffprobe(path, "-show_streams", "-select_streams", "a")["streams"][0]
    assert (stream["codec_name"], stream["channels"]) == ("aac", 1)


def test_ogg_is_vorbis_with_tags_and_chapter_comments(outputs, timeline):
    audio = OggVorbis(outputs["ogg"][0])
    assert audio.info.channels == 1
    assert audio.tags["TITLE"] == ["Test session"]
    assert audio.tags["ARTIST"] == ["audioguide"]
    assert audio.tags["ALBUM"] == ["Feet"]
    assert audio.tags["METADATA_BLOCK_PICTURE"]
    for i, ch in enumerate(timeline.script.chapters(), 1):
        assert audio.tags[f"CHAPTER{i:03d}NAME"] == [ch.title]
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d\d\d", audio.tags[f"CHAPTER{i:03d}"][0])


def test_wav_data_chunk_is_exactly_the_timeline_samples(outputs, timeline):
    data = outputs["wav"][0].read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    chunks, pos = {}, 12
    while pos < len(data):
        cid, size = struct.unpack("<4sI", data[pos : pos + 8])
        chunks[cid] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    assert set(chunks) == {b"fmt ", b"data"}  # no tag chunks
    fmt_tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    assert (fmt_tag, channels, rate, bits) == (1, 1, SAMPLE_RATE, 16)
    assert chunks[b"data"] == timeline.samples.tobytes()


# -- sidecars ------------------------------------------------------------------------


def _parse_vtt(text: str) -> list[tuple[str, str, str]]:
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text.split("\n\n")[1:]:
        if not block.strip():
            continue
        timing, body = block.strip("\n").split("\n", 1)
        start, end = timing.split(" --> ")
        cues.append((start, end, body))
    return cues


def _ms(stamp: str) -> int:
    h, m, s = stamp.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def test_vtt_has_one_cue_per_spoken_line_with_script_times(outputs, timeline):
    text = outputs["mp3"][1].read_text(encoding="utf-8")
    assert text == vtt_text(timeline.script)
    cues = _parse_vtt(text)
    says = [c for c in timeline.script.cues if isinstance(c, Say)]
    assert len(cues) == len(says)
    for (start, end, body), say in zip(cues, says):
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d\d\d", start) and re.fullmatch(r"\d\d:\d\d:\d\d\.\d\d\d", end)
        assert (_ms(start), _ms(end)) == (say.start_ms, say.end_ms)
        assert body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == say.text


def test_vtt_keeps_multiline_text_in_one_cue():
    script = relay(Script("t", "t", (Say(text="one\n\ntwo  three"),)), lambda c: 1500)
    assert vtt_text(script) == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\none two three\n"


def test_json_sidecar_round_trips(outputs, timeline):
    doc = json.loads(outputs["m4b"][2].read_text(encoding="utf-8"))
    assert Script.from_json(doc) == timeline.script
    assert outputs["m4b"][2].read_text(encoding="utf-8") == timeline.script.dumps()


# -- paths and formats ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt, expected",
    [
        ("a.mp3", None, "mp3"),
        ("a.MP3", None, "mp3"),
        ("a.m4b", None, "m4b"),
        ("a.m4a", None, "m4b"),
        ("a.ogg", None, "ogg"),
        ("a.wav", None, "wav"),
        ("a.m4a", "m4b", "m4b"),
        ("a", "ogg", "ogg"),
        ("a.audio", "WAV", "wav"),
    ],
)
def test_format_for(name, fmt, expected):
    assert format_for(name, fmt) == expected


@pytest.mark.parametrize(
    "name, fmt, words",
    [
        ("a.flac", None, ["'.flac'", "mp3", "m4b", "ogg", "wav"]),
        ("a", None, ["no suffix", "--format"]),
        ("a.mp3", "flac", ["'flac'", "mp3, m4b, ogg, wav"]),
        ("a.mp3", "wav", ["'.mp3'", "wav"]),
    ],
)
def test_format_for_refuses(name, fmt, words):
    with pytest.raises(OutputPathError) as info:
        format_for(name, fmt)
    assert info.value.exit_code == 2
    assert all(w in str(info.value) for w in words)


def test_unknown_suffix_writes_nothing(timeline, tmp_path):
    with pytest.raises(OutputPathError, match=r"\.flac"):
        export(timeline, tmp_path / "a.flac", meta=META)
    assert list(tmp_path.iterdir()) == []


def test_directory_as_output_path(timeline, tmp_path):
    target = tmp_path / "out.mp3"
    target.mkdir()
    with pytest.raises(OutputPathError, match="is a directory") as info:
        export(timeline, target, meta=META)
    assert info.value.exit_code == 2
    assert str(target) in str(info.value)


def test_missing_parent_folders_are_created(timeline, tmp_path):
    path = tmp_path / "build" / "deep" / "s.wav"
    export(timeline, path, meta=META)
    assert path.is_file()


def test_parent_that_is_a_file_is_refused(timeline, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="cannot create folder"):
        export(timeline, tmp_path / "file" / "s.wav", meta=META)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_parent_is_refused(timeline, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            export(timeline, folder / "s.wav", meta=META)
    finally:
        folder.chmod(stat.S_IRWXU)


# -- atomic writes and failures -------------------------------------------------------


def _fake_ffmpeg(folder: Path, body: str) -> Path:
    script = folder / "fake-ffmpeg"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Point the temp dir pydub uses at an empty folder, to see what it leaves behind."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def previous(timeline, tmp_path) -> Path:
    """A folder holding a complete earlier export of each format."""
    folder = tmp_path / "out"
    for fmt in ("mp3", "m4b"):
        export(timeline, folder / f"s.{fmt}", meta=Metadata(title="Earlier"))
    return folder


def _assert_one_line(error: Exception, path: Path) -> None:
    assert "\n" not in str(error)
    assert str(path) in str(error)


def test_encoder_failing_halfway_leaves_previous_output(timeline, tmp_path, previous, private_tmp, monkeypatch):
    # Writes part of a file where it was told to, then dies, as a crashing encoder would.
    fake = _fake_ffmpeg(
        tmp_path,
        'for last; do :; done\nhead -c 5000 /dev/urandom > "$last"\necho "Error: simulated crash" >&2\nexit 1\n',
    )
    monkeypatch.setattr(AudioSegment, "converter", str(fake))
    before = _snapshot(previous)
    path = previous / "s.mp3"
    with pytest.raises(ExportError, match="encoding mp3 failed.*simulated crash") as info:
        export(timeline, path, meta=META)
    assert info.value.exit_code == 1
    _assert_one_line(info.value, path)
    assert _snapshot(previous) == before  # byte-identical, and no temp files
    assert list(private_tmp.iterdir()) == []  # pydub's own temp files are gone too


def test_remux_failing_halfway_leaves_previous_output(timeline, tmp_path, previous, private_tmp, monkeypatch):
    # The AAC encode succeeds; the chapter remux (into the temp file beside the
    # output) writes half a file and fails.
    real = shutil.which("ffmpeg")
    fake = _fake_ffmpeg(
        tmp_path,
        'case "$*" in *ffmetadata*)\n'
        '  for last; do :; done\n  head -c 5000 /dev/urandom > "$last"\n  echo "Error: remux died" >&2\n  exit 1;;\n'
        f'esac\nexec "{real}" "$@"\n',
    )
    monkeypatch.setattr(AudioSegment, "converter", str(fake))
    _fails_keeping_previous(timeline, previous / "s.m4b", "encoding m4b failed.*remux died")
    assert list(private_tmp.iterdir()) == []


def test_real_ffmpeg_error_is_reported_in_one_line(timeline, previous, private_tmp, monkeypatch):
    # Past our own bitrate check (test_bitrates.py), as an encoder's own refusal would come.
    monkeypatch.setattr("audioguide.exporter.check_bitrate", lambda _fmt, bitrate: bitrate)
    _fails_keeping_previous(timeline, previous / "s.mp3", "encoding mp3 failed.*garbage", bitrate="garbage")
    assert list(private_tmp.iterdir()) == []


def test_full_disk_leaves_previous_output(timeline, previous, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    _fails_keeping_previous(timeline, previous / "s.mp3", "No space left on device$")
    # An M4B is encoded, then remuxed with its chapters: for a while it is on disk twice.
    _fails_keeping_previous(timeline, previous / "s.m4b", "No space left on device; an m4b export needs free room "
                                                           "for about twice the file")


def test_missing_ffmpeg_says_how_to_install(timeline, tmp_path, monkeypatch):
    monkeypatch.setattr(AudioSegment, "converter", "ffmpeg-that-is-not-installed")
    with pytest.raises(ExportError, match="ffmpeg not found: sudo apt-get install ffmpeg") as info:
        export(timeline, tmp_path / "s.mp3", meta=META)
    _assert_one_line(info.value, tmp_path / "s.mp3")
    assert list(tmp_path.iterdir()) == []
    # WAV needs no encoder.
    export(timeline, tmp_path / "s.wav", meta=META)
    assert (tmp_path / "s.wav").is_file()


def test_write_atomic_replaces_only_with_a_complete_file(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("ne")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_atomic(path, half_then_fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]

    assert write_atomic(path, lambda tmp: tmp.write_text("new")) == path
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


# -- progress and cover ----------------------------------------------------------------


def test_progress_callback_sees_each_stage_and_the_library_never_prints(timeline, tmp_path, capfd):
    events = []
    export(timeline, tmp_path / "s.m4b", meta=META, progress=events.append)
    assert [e.stage for e in events] == ["encoding aac", "adding chapters", "tagging m4b", "writing transcript",
                                         "writing script", "done"]
    assert [e.done for e in events] == [0, 1, 2, 3, 4, 5] and {e.total for e in events} == {5}
    export(timeline, tmp_path / "s.ogg", meta=META)  # no callback: silent
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("title", ["Foot", "A much longer title that has to wrap over several lines " * 3, ""])
def test_cover_is_a_600px_png(title):
    data = cover_png(title)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (600, 600)
    assert data == cover_png(title)  # deterministic: re-exports do not change the tag


def test_exporter_errors_share_the_package_base():
    from audioguide.errors import AudioguideError

    assert issubclass(ExportError, AudioguideError) and issubclass(OutputPathError, ExportError)
    assert formats.FORMATS == ("mp3", "m4b", "ogg", "wav")


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "ogg", "wav"])
def test_every_temp_file_a_killed_export_leaves_is_removed_by_the_next(timeline, tmp_path, monkeypatch, fmt):
    # A SIGKILL skips every `finally`: whatever temp files exist at that moment stay. Here, at each
    # step of the audio's writing (the encoder's remux, each rename), every temp file is copied
    # under a dead writer's pid: what a kill there leaves. The next export must remove them all.
    import subprocess
    import sys

    from audioguide import encoders

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / f"s.{fmt}"
    mine, copied = str(os.getpid()), set()

    def leave_leftovers():
        for p in tmp_path.iterdir():
            if mine in p.name and p.name not in copied:
                copied.add(p.name)
                shutil.copyfile(p, p.with_name(p.name.replace(mine, str(dead.pid))))

    real_replace, real_remux = os.replace, encoders.run_ffmpeg
    monkeypatch.setattr(os, "replace", lambda *a: (leave_leftovers(), real_replace(*a))[1])
    monkeypatch.setattr(encoders, "run_ffmpeg", lambda *a, **k: (leave_leftovers(), real_remux(*a, **k))[1])
    export(timeline, path, meta=META)
    monkeypatch.undo()
    assert copied
    export(timeline, path, meta=META)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"s.{fmt}", "s.json", "s.vtt"])
