"""Bitrates: each format's limits re-measured with real ffmpeg at the mix's rate, refused before any
synthesis when out of range, and the file's real bitrate in the summary line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from audioguide.errors import BitrateError
from audioguide.exporter import measured_bitrate
from audioguide.formats import BITRATES, DEFAULT_BITRATE, WAV_KBPS, check_bitrate
from audioguide.pcm import SAMPLE_RATE
from helpers import TINY_ROUTINE, ffprobe, run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg and ffprobe"
)

ENCODERS = {"mp3": ["-c:a", "libmp3lame", "-f", "mp3"], "m4b": ["-c:a", "aac", "-f", "ipod"],
            "ogg": ["-c:a", "libvorbis", "-f", "ogg"]}


@pytest.fixture(scope="module")
def session_wav(tmp_path_factory) -> Path:
    """The tiny routine spoken by espeak-ng and mixed (speech at -19 LUFS, exact pauses), as WAV."""
    folder = tmp_path_factory.mktemp("bitrates")
    (folder / "tiny.yaml").write_text(TINY_ROUTINE)
    out = folder / "tiny.wav"
    run = run_cli("export", str(folder / "tiny.yaml"), "--engine", "pyttsx3", "-o", str(out),
                  env={"AUDIOGUIDE_CACHE_DIR": str(folder / "cache")})
    assert run.returncode == 0, run.stderr
    return out


def _encode(source: Path, fmt: str, kbps: int, folder: Path) -> tuple[int, Path, str]:
    """ffmpeg's exit status, the file and its first error line, encoding ``source`` at ``kbps`` for ``fmt``."""
    out = folder / f"{kbps}k.{fmt}"
    run = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-ar", str(SAMPLE_RATE), "-ac", "1",
                          *ENCODERS[fmt], "-b:a", f"{kbps}k", str(out)], capture_output=True, text=True)
    return run.returncode, out, run.stderr.strip().splitlines()[0] if run.stderr.strip() else ""


# -- the limits, measured ---------------------------------------------------------


def test_mp3_makes_exactly_its_steps_and_no_other_rate(session_wav, tmp_path):
    allowed = BITRATES["mp3"]
    for kbps in allowed.steps:
        code, out, error = _encode(session_wav, "mp3", kbps, tmp_path)
        assert code == 0, error
        assert measured_bitrate(out) == pytest.approx(kbps * 1000, rel=1e-4)  # packet times have 6 decimals
    # Between steps LAME falls back to the step below, and above the top it gives the top:
    # a 72k or 320k that we let through would silently be a 64k or 160k file.
    assert measured_bitrate(_encode(session_wav, "mp3", 72, tmp_path)[1]) == pytest.approx(64000, rel=1e-4)
    assert measured_bitrate(_encode(session_wav, "mp3", 320, tmp_path)[1]) == pytest.approx(allowed.high * 1000, rel=1e-4)


def test_vorbis_encoder_setup_fails_just_outside_its_range(session_wav, tmp_path):
    allowed = BITRATES["ogg"]
    for kbps in (allowed.low, allowed.high):
        code, _out, error = _encode(session_wav, "ogg", kbps, tmp_path)
        assert code == 0, error
    for kbps in (allowed.low - 1, allowed.high + 1):
        code, _out, error = _encode(session_wav, "ogg", kbps, tmp_path)
        assert code != 0 and "encoder setup failed" in error


def test_aac_follows_the_figure_only_within_its_range(session_wav, tmp_path):
    allowed = BITRATES["m4b"]
    rate = {kbps: measured_bitrate(_encode(session_wav, "m4b", kbps, tmp_path)[1])
            for kbps in (8, allowed.low, 64, allowed.high, 128)}
    assert rate[allowed.high] > rate[64] * 1.03  # the top of the range still buys something
    assert rate[128] == pytest.approx(rate[allowed.high], rel=0.01)  # above it: the same file
    assert rate[8] > 8000  # below the floor it spends more than asked
    # Pauses cost almost nothing: the session averages under the figure asked (not a constant).
    assert rate[64] < 64000


def test_wav_bitrate_is_its_pcm_rate(session_wav):
    assert measured_bitrate(session_wav) == pytest.approx(WAV_KBPS * 1000, rel=0.001)
    stream = ffprobe(session_wav, "-show_streams")["streams"][0]
    assert int(stream["bit_rate"]) == WAV_KBPS * 1000


# -- checked before any work ---------------------------------------------------------


@pytest.mark.parametrize("fmt, asked, expected", [("mp3", None, "64k"), ("mp3", "160k", "160k"), ("mp3", "8K", "8k"),
                                                  ("m4b", "96k", "96k"), ("ogg", " 16k ", "16k"), ("wav", None, None)])
def test_accepted_bitrates(fmt, asked, expected):
    assert check_bitrate(fmt, asked) == expected
    assert DEFAULT_BITRATE == "64k"


@pytest.mark.parametrize(
    "suffix, bitrate, words",
    [
        (".ogg", "96k", "ogg (Vorbis, mono at 22050 Hz) takes 16k to 90k"),
        (".ogg", "15k", "takes 16k to 90k"),
        (".mp3", "320k", "mp3 (MPEG-2 layer III, mono at 22050 Hz) takes one of 8k, 16k, 24k"),
        (".mp3", "72k", "144k, 160k"),
        (".m4b", "128k", "m4b (AAC, mono at 22050 Hz) takes 16k to 96k"),
        (".m4b", "8k", "takes 16k to 96k"),
        (".wav", "64k", "wav is uncompressed (352.8 kbps"),
        (".mp3", "64", "give kilobits per second like 64k"),
        (".mp3", "fast", "give kilobits per second like 64k"),
    ],
)
def test_a_bitrate_the_format_cannot_make_is_refused_before_any_synthesis(tmp_path, isolated_cache, suffix,
                                                                          bitrate, words):
    (tmp_path / "tiny.yaml").write_text(TINY_ROUTINE)
    out = tmp_path / "out" / f"s{suffix}"
    run = run_cli("export", str(tmp_path / "tiny.yaml"), "--engine", "pyttsx3", "--bitrate", bitrate, "-o", str(out))
    assert run.returncode == 2, run.stderr
    assert run.stderr == f"audioguide: error: --bitrate {bitrate}: " + run.stderr.split(": ", 3)[3]
    assert words in run.stderr and run.stderr.count("\n") == 1
    assert not out.parent.exists() or not list(out.parent.iterdir())
    assert not list(isolated_cache.rglob("*.speech"))  # nothing was synthesized


def test_the_api_refuses_before_synthesis_too(register_engine, tmp_path):
    import audioguide as ag
    from fakes import ToneEngine

    spoken = []

    class Counted(ToneEngine):
        def synthesize(self, text, *, voice, pace):
            spoken.append(text)
            return super().synthesize(text, voice=voice, pace=pace)

    register_engine("counted", Counted)
    routine = ag.load_routine("foot-massage")
    with pytest.raises(BitrateError) as info:
        ag.export_session(routine, ag.resolve_settings(routine), tmp_path / "s.ogg", bitrate="96k", engine="counted")
    assert info.value.exit_code == 2 and "16k to 90k" in str(info.value)
    assert spoken == [] and not list(tmp_path.iterdir())


def test_export_help_lists_every_range():
    help_text = " ".join(run_cli("export", "--help").stdout.split())
    for fmt, allowed in BITRATES.items():
        assert f"{fmt} {allowed.describe()}" in help_text
    assert "wav takes none" in help_text


# -- the summary line reports what the file holds ------------------------------------


@pytest.mark.parametrize("suffix, bitrate", [(".mp3", "48k"), (".m4b", None), (".ogg", "32k"), (".wav", None)])
def test_summary_line_gives_the_measured_bitrate(tmp_path, suffix, bitrate):
    (tmp_path / "tiny.yaml").write_text(TINY_ROUTINE)
    out = tmp_path / f"s{suffix}"
    run = run_cli("export", str(tmp_path / "tiny.yaml"), "--engine", "pyttsx3", "-o", str(out),
                  *(["--bitrate", bitrate] if bitrate else []))
    assert run.returncode == 0, run.stderr
    measured = measured_bitrate(out)
    fmt = suffix[1:]
    assert f", {fmt} at {round(measured / 100) / 10:g} kbps" in run.stderr
    if fmt == "mp3":
        assert measured == pytest.approx(48000, rel=1e-4) and "asked" not in run.stderr
    elif fmt in BITRATES:
        asked = bitrate or DEFAULT_BITRATE
        assert measured < int(asked[:-1]) * 1000  # pauses cost less
        assert f"measured ({asked} asked: a target for {BITRATES[fmt].codec}, not a constant)" in run.stderr
    else:
        assert measured == pytest.approx(WAV_KBPS * 1000, rel=0.001)
