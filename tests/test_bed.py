"""The sound bed on its own: random access, seamless loops, ducking, fades, chimes over it, files.

Mixed sessions (exported and played with a bed) are tested in tests/test_bed_mix.py.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audioguide import bed, sounds
from audioguide.errors import MixError, SettingsError
from audioguide.loudness import measure
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.script import Chapter, Chime, Cue, Pause, Say
from audioguide.settings import BED_NAMES

MS = SAMPLE_RATE / 1000


def laid(*cues: Cue) -> list[Cue]:
    """``cues`` laid end to end from 0 ms."""
    out, t = [], 0
    for cue in cues:
        out.append(replace(cue, start_ms=t))
        t += cue.duration_ms
    return out


#: Speech with a short gap (held) and a long one (released), a hold chime, a tick
#: train, a last line and the end bell.
SESSION = laid(
    Chapter(title="One"),
    Say(text="First line.", duration_ms=4000),  # 0-4 s (fading in)
    Pause(duration_ms=800),                     # a short gap: held down
    Say(text="Second line.", duration_ms=2000),  # 4.8-6.8 s
    Pause(duration_ms=5000),                    # a long gap: back up
    Chime(kind="hold", duration_ms=600),        # 11.8 s
    Pause(duration_ms=3000),
    *[c for _ in range(4) for c in (Chime(kind="tick", duration_ms=150), Pause(duration_ms=850))],  # 15.4-19.4 s
    Say(text="Last line.", duration_ms=1500),   # 19.4-20.9 s
    Pause(duration_ms=6000),
    Chime(kind="end", duration_ms=4000),        # 26.9-30.9 s
)
TOTAL = ms_to_samples(SESSION[-1].end_ms)


def track(name: str = "brown", volume: float = -18.0, duck: float = 12.0, cues=SESSION) -> bed.BedTrack:
    return bed.BedTrack.from_cues(bed.generated(name), volume, duck, cues)


def gain_db(t: bed.BedTrack, ms: float) -> float:
    g = t.gain(np.array([round(ms * MS)]))[0]
    return 20 * np.log10(g) if g > 0 else -np.inf


# -- random access ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BED_NAMES)
def test_any_span_equals_that_span_of_the_whole_rendering(name):
    t = track(name)
    whole = t.render(0, TOTAL)
    rng = np.random.default_rng(7)
    edges = [ms_to_samples(c.start_ms) for c in SESSION]  # cue boundaries, and around them
    cuts = sorted({0, TOTAL, *rng.integers(0, TOTAL, 40), *edges, *(e + 1 for e in edges), *(e - 1 for e in edges if e)})
    joined = np.concatenate([t.render(a, b) for a, b in zip(cuts, cuts[1:])])
    assert np.array_equal(joined, whole)
    # From any position on, in buffers of any size (live play after a jump).
    for start in rng.integers(0, TOTAL - 10_000, 5):
        assert np.array_equal(t.render(start, start + 9_999), whole[start : start + 9_999])
    # A second track made the same way renders the same samples (play and export are two processes' worth of this).
    assert np.array_equal(track(name).render(0, TOTAL), whole)


def test_cues_given_one_by_one_render_like_the_whole_script_once_known_far_enough():
    whole = track().render(0, TOTAL)
    t = bed.BedTrack(bed.generated("brown"), -18.0, 12.0)
    lookahead = ms_to_samples(bed.LOOKAHEAD_MS)
    rendered = 0
    for cue in SESSION:
        t.add(cue)
        ready_to = t.known - lookahead
        assert t.ready(ready_to) and not t.ready(ready_to + 1)
        if ready_to > rendered:
            assert np.array_equal(t.render(rendered, ready_to), whole[rendered:ready_to])
            rendered = ready_to
    with pytest.raises(ValueError, match="not far enough"):
        t.render(rendered, TOTAL)
    t.finish()
    assert np.array_equal(t.render(rendered, TOTAL), whole[rendered:])


# -- loops -------------------------------------------------------------------------------


def seam_jump(loop: np.ndarray) -> tuple[float, float]:
    """(the step from the loop's last sample to its first, the 99.9th percentile of steps inside it)."""
    steps = np.abs(np.diff(loop.astype(np.float64)))
    return abs(float(loop[0]) - float(loop[-1])), float(np.percentile(steps, 99.9))


@pytest.mark.parametrize("name", BED_NAMES)
def test_generated_loops_join_without_a_seam_and_keep_their_level(name):
    sound = bed.generated(name)
    jump, typical = seam_jump(sound.loop)
    assert jump <= typical
    # The level in 1 s around the loop point is the loop's own (no dip, no bump).
    x = np.concatenate([sound.loop[-SAMPLE_RATE // 2 :], sound.loop[: SAMPLE_RATE // 2]]).astype(np.float64)
    rms = lambda v: np.sqrt(np.mean(v**2))  # noqa: E731
    assert abs(20 * np.log10(rms(x) / rms(sound.loop))) < 3


@pytest.mark.parametrize("name", BED_NAMES)
def test_generated_loudness_table_is_measured_truth(name):
    sound = bed.generated(name)
    assert measure(sound.loop, SAMPLE_RATE)[0] == pytest.approx(sound.lufs, abs=0.01)


def test_generated_beds_sound_different():
    """brown is darker than pink; the pad is tonal (a few strong spectral lines)."""
    def centroid(x):
        p = np.abs(np.fft.rfft(x[: 10 * SAMPLE_RATE].astype(np.float64))) ** 2
        return float((p * np.fft.rfftfreq(10 * SAMPLE_RATE, 1 / SAMPLE_RATE)).sum() / p.sum())

    brown, pink, pad = (bed.generated(n).loop for n in ("brown", "pink", "pad"))
    assert centroid(brown) < 0.5 * centroid(pink)
    power = np.sort(np.abs(np.fft.rfft(pad.astype(np.float64))) ** 2)[::-1]
    assert power[:100].sum() > 0.9 * power.sum()  # 72 tones and their swells


def test_a_file_loop_is_crossfaded_at_its_seam(tmp_path):
    # A tone that does not fit its length: played in a plain loop it would jump.
    t = np.arange(3 * 44100) / 44100
    tone = 0.3 * np.sin(2 * np.pi * 219.7 * t)
    path = write_wav(tmp_path / "tone.wav", np.stack([tone, tone]), 44100)
    raw = np.abs(tone[-1] - tone[0]) * 32768
    loop = bed.load(str(path), "--bed").loop
    jump, typical = seam_jump(loop)
    assert raw > 2 * typical  # the plain loop would click
    assert jump <= typical
    # Three seconds less the crossfade (a quarter of the file).
    assert len(loop) == ms_to_samples(3000) - ms_to_samples(3000) // 4


# -- ducking and fades ---------------------------------------------------------------


def test_speech_ducks_the_bed_by_the_setting_with_attack_release_and_hold():
    t = track(duck=12.0)
    assert gain_db(t, 5_000) == pytest.approx(-12.0)       # in "Second line."
    assert gain_db(t, 4_400) == pytest.approx(-12.0)       # the 0.8 s gap between two lines is held
    # "Second line." ends at 6.8 s: back up over 500 ms.
    assert gain_db(t, 6_800) == pytest.approx(-12.0)
    assert -12.0 < gain_db(t, 7_050) < -1.0
    assert gain_db(t, 7_300) == pytest.approx(0.0)
    # "Last line." starts at 19.4 s: down over the 150 ms before it.
    assert gain_db(t, 19_400 - 151) == pytest.approx(0.0, abs=0.01)
    assert -12.0 < gain_db(t, 19_400 - 75) < -1.0
    assert gain_db(t, 19_400) == pytest.approx(-12.0)


@pytest.mark.parametrize("duck", [0.0, 6.0, 30.0])
def test_ducking_depth_is_the_setting(duck):
    assert gain_db(track(duck=duck), 2_000 + 3_000) == pytest.approx(-duck)


def test_fade_in_over_3_s_and_out_over_the_end_bell():
    t = track()
    g = t.gain(np.arange(TOTAL))
    assert g[0] == 0.0 and 0 < g[ms_to_samples(1_500)] < 0.26  # -12 dB of duck, half-way in
    assert g[ms_to_samples(3_000)] == pytest.approx(10 ** (-12 / 20))
    bell = ms_to_samples(SESSION[-1].start_ms)
    assert g[bell - 1] == pytest.approx(1.0)
    assert np.all(np.diff(g[bell:]) <= 0) and g[-1] == 0.0
    assert g[bell + (TOTAL - bell) // 2] == pytest.approx(0.5, abs=0.01)  # -6 dB half-way through the bell
    assert np.max(np.abs(np.diff(g))) < 0.002  # no step anywhere: every change is a ramp


@pytest.mark.parametrize("volume", [-40.0, -18.0, -6.0])
def test_every_chime_stays_10_db_over_the_bed_under_it(volume):
    t = track(volume=volume, duck=0.0)
    bed_only = t.render(0, TOTAL)
    for cue in SESSION:
        if isinstance(cue, Chime):
            a, b = ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)
            pad = max(0, ms_to_samples(400) - (b - a))  # both measured in the same (at least 400 ms) block
            chime = measure(np.pad(sounds.render(cue.kind).astype(float), (0, pad)), SAMPLE_RATE)[0]
            under = measure(np.pad(bed_only[a:b], (0, pad)), SAMPLE_RATE)[0]
            assert chime - under >= bed.CHIME_CLEARANCE_DB, (cue.kind, chime, under)


def test_chimes_clear_the_loudest_moments_of_an_uneven_file(tmp_path):
    """Music is uneven: a tick must clear the bed wherever in the loop it lands, not just its average."""
    t = np.arange(8 * 22050) / 22050
    swell = np.where((t % 2) < 0.4, 0.4, 0.02)  # a loud 0.4 s every 2 s over a quiet drone
    path = write_wav(tmp_path / "uneven.wav", swell * np.sin(2 * np.pi * 180 * t), 22050)
    sound = bed.load(str(path), "--bed")
    assert sound.swell_db > 6
    ticks = laid(Pause(duration_ms=4000), *[c for _ in range(30) for c in (Chime(kind="tick", duration_ms=150),
                                                                         Pause(duration_ms=270))])
    t = bed.BedTrack.from_cues(sound, -6.0, 0.0, ticks)
    laid_bed = t.render(0, ms_to_samples(ticks[-1].end_ms))
    def block_lufs(x):  # in one 400 ms block, like the chime's own level
        return measure(np.pad(x.astype(float), (0, ms_to_samples(400) - len(x))), SAMPLE_RATE)[0]

    tick = block_lufs(sounds.render("tick"))
    worst = max(block_lufs(laid_bed[ms_to_samples(c.start_ms) : ms_to_samples(c.end_ms)])
                for c in ticks if isinstance(c, Chime))
    assert tick - worst >= bed.CHIME_CLEARANCE_DB


def test_quiet_beds_do_not_duck_for_chimes():
    t = track(volume=-40.0)
    assert all(t.chime_duck_db(kind) == 0.0 for kind in ("step", "hold", "release", "tick", "end"))
    assert track(volume=-18.0).chime_duck_db("tick") > 0.0  # the tick is far under the voice


def test_the_level_in_pauses_is_the_voice_target_plus_the_volume():
    t = track(volume=-24.0, cues=laid(Pause(duration_ms=60_000)))
    lufs = measure(t.render(ms_to_samples(5_000), ms_to_samples(55_000)), SAMPLE_RATE)[0]
    assert lufs == pytest.approx(-19.0 - 24.0, abs=0.2)


# -- files -------------------------------------------------------------------------------


def write_wav(path: Path, x: np.ndarray, rate: int, width: int = 2) -> Path:
    """``x`` (floats in [-1, 1], shape (n,) or (channels, n)) as a PCM WAV file."""
    x = np.atleast_2d(x)
    full = 2 ** (8 * width - 1) - 1
    frames = np.rint(x.T * full).astype({2: "<i2", 4: "<i4"}[width])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[0])
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> dict[str, Path]:
    """The same 4 s of stereo 'music' (a chord moving left to right) as WAV, MP3 and Ogg at 44.1 kHz."""
    d = tmp_path_factory.mktemp("music")
    t = np.arange(4 * 44100) / 44100
    chord = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    pan = t / t[-1]
    wav = write_wav(d / "music.wav", np.stack([chord * (1 - pan), chord * pan]), 44100)
    ffmpeg("-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k", str(d / "music.mp3"))
    ffmpeg("-i", str(wav), "-c:a", "libvorbis", str(d / "music.ogg"))
    return {"wav": wav, "mp3": d / "music.mp3", "ogg": d / "music.ogg"}


@pytest.mark.parametrize("kind", ["wav", "mp3", "ogg"])
def test_any_file_ffmpeg_reads_becomes_a_mono_loop_at_the_mix_rate(music, kind):
    sound = bed.load(str(music[kind]), "--bed")
    assert sound.name == str(music[kind])
    # 4 s at 22050 Hz less the 1 s crossfade (encoders may add or trim a few ms at the ends).
    assert len(sound.loop) == pytest.approx(3 * SAMPLE_RATE, abs=0.06 * SAMPLE_RATE)
    spectrum = np.abs(np.fft.rfft(sound.loop[: 2 * SAMPLE_RATE].astype(np.float64)))
    top = np.fft.rfftfreq(2 * SAMPLE_RATE, 1 / SAMPLE_RATE)[np.argsort(spectrum)[-3:]]
    assert sorted(np.round(top)) == pytest.approx([220, 277, 330], abs=1)  # the chord, at the right pitch
    assert sound.lufs == pytest.approx(measure(sound.loop, SAMPLE_RATE)[0])


def test_without_ffmpeg_a_compressed_bed_says_what_is_missing_and_a_wav_still_loads(music, monkeypatch):
    """It said "cannot be read: No such file or directory", as if the bed file were missing."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MixError, match=r"^--bed: .*music.ogg: reading it needs ffmpeg and ffprobe, not found"):
        bed.load(str(music["ogg"]), "--bed")
    assert bed.load(str(music["wav"]), "--bed").loop.size  # pydub reads WAV itself


def test_24_bit_and_mono_files_load_at_the_same_level(tmp_path):
    t = np.arange(3 * 48000) / 48000
    x = 0.2 * np.sin(2 * np.pi * 300 * t)
    a = bed.load(str(write_wav(tmp_path / "a.wav", x, 48000, width=2)), "--bed")
    b = bed.load(str(write_wav(tmp_path / "b.wav", x, 48000, width=4)), "--bed")
    assert a.lufs == pytest.approx(b.lufs, abs=0.05)
    assert a.lufs == pytest.approx(measure(0.2 * 32768 * np.sin(2 * np.pi * 300 * np.arange(SAMPLE_RATE) / SAMPLE_RATE),
                                           SAMPLE_RATE)[0], abs=0.1)


def test_silence_at_the_ends_of_a_file_is_trimmed(tmp_path):
    t = np.arange(3 * 22050) / 22050
    x = np.concatenate([np.zeros(22050), 0.2 * np.sin(2 * np.pi * 300 * t), np.zeros(44100)])
    loop = bed.load(str(write_wav(tmp_path / "padded.wav", x, 22050)), "--bed").loop
    assert len(loop) == pytest.approx(3 * 22050 * 3 / 4, abs=0.02 * 22050)


def test_bad_bed_files_are_one_line_naming_the_setting(tmp_path):
    where = "my.yaml:3: bed"
    short = write_wav(tmp_path / "short.wav", 0.3 * np.sin(np.arange(30000) / 10), 22050)  # 1.4 s
    silent = write_wav(tmp_path / "silent.wav", np.zeros(5 * 22050), 22050)
    hiss = write_wav(tmp_path / "hiss.wav", np.full(5 * 22050, 1e-5), 22050)  # under -70 LUFS
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio\n")
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    cases = {
        str(tmp_path / "missing.mp3"): "no such file; the generated beds are brown, pink, pad",
        "browm": "no such file; the generated beds are brown, pink, pad (did you mean 'brown'?)",
        "BROWN": "no such file; the generated beds are brown, pink, pad (did you mean 'brown'?)",
        str(tmp_path): "is a folder, not an audio file",
        str(short): "has 1.4 s of sound; a bed needs at least 2 s",
        str(silent): "is silent",
        str(hiss): "is silent",
        str(text): "cannot be decoded as audio",
        str(empty): "cannot be decoded as audio",
    }
    for source, message in cases.items():
        with pytest.raises(SettingsError) as caught:
            bed.load(source, where)
        line = str(caught.value)
        assert line.startswith(f"{where}: {source}: ") and message in line, line
        assert "\n" not in line


def test_a_long_file_is_cut_to_the_longest_loop(tmp_path, monkeypatch):
    monkeypatch.setattr(bed, "MAX_LOOP_S", 3)
    x = 0.2 * np.sin(2 * np.pi * 300 * np.arange(10 * 22050) / 22050)
    loop = bed.load(str(write_wav(tmp_path / "long.wav", x, 22050)), "--bed").loop
    assert len(loop) == 3 * 22050 - 3 * 22050 // 4


# -- settings ----------------------------------------------------------------------------


@pytest.fixture
def routine():
    from audioguide.routine import load_routine

    return load_routine("foot-massage")


def test_bed_settings_from_flags_sets_and_timings_files(routine, tmp_path):
    from audioguide.settings import resolve

    s = resolve(routine)
    assert (s.bed, s.bed_volume_db, s.bed_duck_db) == (None, -18.0, 12.0)
    s = resolve(routine, bed="pad", bed_volume="-24", sets=["bed_duck=20"])
    assert (s.bed, s.bed_volume_db, s.bed_duck_db, s.bed_where) == ("pad", -24.0, 20.0, "--bed pad")
    timings = tmp_path / "t" / "mine.yaml"
    timings.parent.mkdir()
    timings.write_text("bed: sounds/rain.ogg\nbed_volume: -30\nbed_duck: 6.5\n")
    s = resolve(routine, timings=timings)
    # A file named in a timings file is found beside it, wherever the command runs.
    assert (s.bed, s.bed_volume_db, s.bed_duck_db) == (str(timings.parent / "sounds/rain.ogg"), -30.0, 6.5)
    assert s.bed_where == f"{timings}:1: bed"
    assert resolve(routine, timings=timings, bed="none").bed is None  # the flag wins
    assert resolve(routine, sets=["bed=brown"]).bed == "brown"
    # Names in any case, like none: --bed None was no bed while --bed BROWN was looked for as a file.
    assert [resolve(routine, bed=name).bed for name in ("BROWN", " Pink", "None", "OFF")] == ["brown", "pink", None, None]
    assert s.record()["bed"] == s.bed and "bed" not in resolve(routine).record()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"bed_volume": "-3"}, "--bed-volume -3: the bed's volume must be -40..-6 dB, got -3"),
    ({"bed_volume": "loud"}, "--bed-volume loud: the bed's volume must be -40..-6 dB, got 'loud'"),
    ({"bed_volume": ""}, "--bed-volume '': the bed's volume must be -40..-6 dB, got nothing"),
    ({"bed_volume": "1e3"}, "--bed-volume 1e3: the bed's volume must be -40..-6 dB, got 1e3"),
    ({"bed_volume": "-0x10"}, "--bed-volume -0x10: '-0x10' is hexadecimal; write -16"),
    ({"sets": ["bed_duck=40"]}, "--set bed_duck=40: the ducking depth must be 0..30 dB, got 40"),
    ({"sets": ["bed_volume=-50"]}, "--set bed_volume=-50: the bed's volume must be -40..-6 dB, got -50"),
    ({"values": {"bed": 12}}, "bed: must be brown, pink, pad, none or an audio file's path, got 12"),
])
def test_bad_bed_settings_are_one_located_line(routine, kwargs, message):
    from audioguide.settings import resolve

    with pytest.raises(SettingsError) as caught:
        resolve(routine, **kwargs)
    assert str(caught.value) == message


def test_timings_lists_the_bed_settings_and_takes_them_back(routine, tmp_path):
    from audioguide.settings import resolve, timings_yaml

    text = timings_yaml(routine)
    assert "\nbed: none\n" in text and "\nbed_volume: -18\n" in text and "\nbed_duck: 12\n" in text
    path = tmp_path / "t.yaml"
    path.write_text(text.replace("bed: none", "bed: pad"))
    assert resolve(routine, timings=path).bed == "pad"
