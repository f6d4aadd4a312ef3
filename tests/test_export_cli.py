"""Export end to end, through the real CLI, real engines, real ffmpeg and ffprobe."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from mutagen.id3 import ID3

from audioguide.synth import make_synthesizer
from audioguide import pipeline
from audioguide.cache import SpeechCache
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.routine import parse_routine
from audioguide.settings import resolve
from helpers import TINY_ROUTINE, decoded_ms, ebur128, ffprobe, run_cli

TINY = TINY_ROUTINE


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.mark.parametrize("engine", ["pyttsx3", pytest.param("piper", marks=pytest.mark.piper)])
def test_export_mp3_with_real_engine(tiny, tmp_path, engine):
    out = tmp_path / "out" / "tiny.mp3"
    run = run_cli("export", str(tiny), "--engine", engine, "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(out), str(out.with_suffix(".vtt")), str(out.with_suffix(".json"))]
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["timing"] == "measured"
    probe = ffprobe(out, "-show_chapters")
    assert abs(decoded_ms(out) - timeline["total_ms"]) < 50
    chapters = probe["chapters"]  # file order is time order (test_chapters.py)
    assert [c["tags"]["title"] for c in chapters] == ["Start", "Right foot", "Left foot", "End"]
    for got, want in zip(chapters, timeline["chapters"]):
        assert abs(float(got["start_time"]) * 1000 - want["start_ms"]) <= 1
    tags = ID3(out)
    assert str(tags["TIT2"]) == "Tiny massage" and tags.getall("APIC")
    vtt = out.with_suffix(".vtt").read_text()
    assert vtt.startswith("WEBVTT") and "Press your right heel." in vtt


def test_regenerating_with_a_changed_timing_synthesizes_nothing(tiny, tmp_path):
    first = run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(tmp_path / "a.mp3"))
    assert first.returncode == 0, first.stderr
    again = run_cli("export", str(tiny), "--engine", "pyttsx3", "--set", "hold=5", "--pace", "normal",
                    "-o", str(tmp_path / "b.mp3"))
    assert again.returncode == 0, again.stderr
    assert "0 lines synthesized" in again.stderr
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    assert b["total_ms"] - a["total_ms"] == 2 * 3000


def test_session_engine_calls_and_measured_times(tiny):
    routine = parse_routine(TINY, name="tiny")
    settings = resolve(routine)
    synth = make_synthesizer("pyttsx3", cache=SpeechCache())
    timeline = pipeline.build_timeline(routine, settings, synth)
    assert synth.engine_calls > 0
    assert len(timeline.samples) == ms_to_samples(timeline.script.total_ms)
    # every spoken cue holds sound, every pause is exact silence
    for cue in timeline.script:
        part = timeline.samples[ms_to_samples(cue.start_ms):ms_to_samples(cue.end_ms)]
        if cue.type == "pause":
            assert not part.any()
        if cue.type == "say":
            assert np.abs(part.astype(np.int32)).max() > 1000
    again = make_synthesizer("pyttsx3", cache=SpeechCache())
    rebuilt = pipeline.build_timeline(routine, resolve(routine, sets=["hold=7"]), again)
    assert again.engine_calls == 0
    assert rebuilt.script.total_ms == timeline.script.total_ms + 2 * 5000  # one hold per foot
    assert timeline.sample_rate == SAMPLE_RATE


def test_wav_export_is_the_exact_timeline(tiny, tmp_path):
    routine = parse_routine(TINY, name="tiny")
    synth = make_synthesizer("pyttsx3")
    timeline = pipeline.build_timeline(routine, resolve(routine), synth)
    run = run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(tmp_path / "t.wav"))
    assert run.returncode == 0, run.stderr
    import wave

    with wave.open(str(tmp_path / "t.wav")) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.array_equal(data, timeline.samples)


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["--engine", "espeak"], 2, "unknown engine 'espeak'"),
        (["--engine", "pyttsx3", "--voice", "nobody"], 2, "unknown pyttsx3 voice 'nobody'"),
        (["--format", "flac"], 2, "Invalid value for '--format'"),
        (["-o", "out.xyz"], 2, "unknown suffix '.xyz'"),
    ],
)
def test_export_usage_errors(tiny, tmp_path, args, code, message):
    run = run_cli("export", str(tiny), *args, cwd=tmp_path)
    assert run.returncode == code
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not list(tmp_path.glob("out*"))


def test_output_path_that_is_a_directory(tiny, tmp_path):
    (tmp_path / "d.mp3").mkdir()
    run = run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(tmp_path / "d.mp3"))
    assert run.returncode == 2 and "is a directory" in run.stderr


@pytest.mark.parametrize("engine", ["pyttsx3", pytest.param("piper", marks=pytest.mark.piper)])
@pytest.mark.parametrize("suffix", [".mp3", ".m4b"])
def test_exported_loudness_and_true_peak(tmp_path, engine, suffix):
    """The default session's first chapters, encoded: -19 LUFS within 1 LU, true peak at most -1 dBTP."""
    out = tmp_path / f"s{suffix}"
    run = run_cli("export", "--engine", engine, "--feet", "right", "--length", "8", "-o", str(out), timeout=600)
    assert run.returncode == 0, run.stderr
    lufs, peak = ebur128(out)
    assert lufs == pytest.approx(-19.0, abs=1.0)
    assert peak <= -1.0


def test_no_click_at_any_join_of_real_speech(tiny):
    """No sample-to-sample jump above 0.05 of full scale around any cue boundary (see test_mixer)."""
    routine = parse_routine(TINY, name="tiny")
    timeline = pipeline.build_timeline(routine, resolve(routine), make_synthesizer("pyttsx3"))
    x = timeline.samples.astype(np.int32)
    for cue in timeline.script:
        for edge in (ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)):
            window = x[max(0, edge - 2):edge + 2]
            assert np.abs(np.diff(window)).max(initial=0) < 0.05 * 32768, (cue, edge)


def test_progress_bars_on_a_terminal_and_quiet_otherwise(tiny, tmp_path):
    """On a terminal: bars for speaking and encoding. Piped: only the one-line summary."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    from helpers import BIN

    leader, follower = pty.openpty()
    # A terminal of 80x24, as a user's would be (openpty gives 0x0).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([str(BIN / "audioguide"), "export", str(tiny), "--engine", "pyttsx3",
                             "-o", str(tmp_path / "t.mp3")], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    text = seen.decode(errors="replace")
    assert "speaking (pyttsx3)" in text and "6/6" in text and "encoding mp3" in text and "[####" in text
    piped = run_cli("export", str(tiny), "--engine", "pyttsx3", "--set", "hold=3", "-o", str(tmp_path / "u.mp3"))
    assert piped.stderr.count("\n") == 1 and "[" not in piped.stderr
