"""A session with a sound bed, measured on the exported audio and compared with live play.

The bed is read back from the files: the export with a bed minus the same
export without one (identical speech from the same cache) is the bed as the
file holds it. Live play goes through the real simpleaudio -> ALSA path into a
file sink (tests/alsa_sink.py), as in tests/test_player.py.
"""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from alsa_sink import AlsaSink
from audioguide import bed
from audioguide.loudness import TARGET_LUFS, measure
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.script import Chime, Say, Script
from fakes import ToneEngine, recording_device
from helpers import TINY_ROUTINE, ebur128, run_cli

# Lines with short gaps (held under), pauses long enough for the bed to come
# back, a hold with chimes, ticks and the end bell: about 45 s with espeak-ng,
# speech about as dense as in the bundled routines.
SESSION = """
title: Bed session
settings:
  gap: {default: 3, min: 1, max: 30, unit: seconds, help: A pause to do it.}
steps:
  - chapter: Start
  - say: Sit comfortably, and let your shoulders drop.
    then: 0.6
  - say: Breathe in slowly, and breathe out.
    then: gap
  - say: Rest one foot across your other knee, and hold it with both hands.
    then: gap
  - say: Press your thumb into the sole of your foot. Move slowly toward the heel.
    then: gap
  - hold: {seconds: 4, style: chime}
  - pause: gap
  - chapter: Counting
  - say: Now tap along with the ticks.
    then: 1
  - repeat: {count: 4, tempo: 1, style: tick}
  - pause: gap
  - say: Good. Let your foot rest.
    then: gap
"""
ENGINE = ("--engine", "pyttsx3")


def wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> dict:
    """The session exported without a bed, and a shared speech cache (espeak-ng repeats exactly through it)."""
    d = tmp_path_factory.mktemp("bedmix")
    routine = d / "session.yaml"
    routine.write_text(SESSION)
    tiny = d / "tiny.yaml"
    tiny.write_text(TINY_ROUTINE)
    env = {"AUDIOGUIDE_CACHE_DIR": str(d / "cache")}
    run = run_cli("export", str(routine), *ENGINE, "-o", str(d / "plain.wav"), env=env)
    assert run.returncode == 0, run.stderr
    script = Script.from_json(json.loads((d / "plain.json").read_text()))
    return {"dir": d, "routine": routine, "tiny": tiny, "env": env, "plain": wav_samples(d / "plain.wav"),
            "script": script}


def export(work: dict, name: str, *args: str) -> tuple[np.ndarray, str]:
    out = work["dir"] / name
    run = run_cli("export", str(work["routine"]), *ENGINE, *args, "-o", str(out), env=work["env"])
    assert run.returncode == 0, run.stderr
    return (wav_samples(out) if out.suffix == ".wav" else out), run.stderr


def spans(script: Script, kinds: tuple[type, ...]) -> list[tuple[int, int, object]]:
    return [(ms_to_samples(c.start_ms), ms_to_samples(c.end_ms), c) for c in script.cues if isinstance(c, kinds)]


def regions(work: dict) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the session's samples: well inside pauses (>= 0.7 s from any sound), and under speech
    (both clear of the fade-in and the fade-out)."""
    script, total = work["script"], len(work["plain"])
    sounding = np.zeros(total, bool)
    speech = np.zeros(total, bool)
    for a, b, cue in spans(script, (Say, Chime)):
        sounding[a:b] = True
        speech[a:b] |= isinstance(cue, Say)
    margin = ms_to_samples(700)
    held = np.concatenate(([0], np.cumsum(sounding)))
    at = np.arange(total)
    near = held[np.minimum(at + margin + 1, total)] - held[np.maximum(at - margin, 0)] > 0
    clear = np.zeros(total, bool)
    clear[ms_to_samples(bed.FADE_IN_MS) : total - ms_to_samples(bed.FADE_OUT_MS)] = True
    return ~near & clear, speech & clear


def gain_db(exported_bed: np.ndarray, mask: np.ndarray, loop: np.ndarray) -> float:
    """The bed's gain over ``mask`` as the file holds it: its power against the loop's at the same samples."""
    reference = np.take(loop.astype(np.float64), np.flatnonzero(mask), mode="wrap")
    return 10 * np.log10(np.sum(exported_bed[mask] ** 2) / np.sum(reference**2))


# -- levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(("volume", "duck"), [(-18, 12), (-24, 20)])
def test_level_in_pauses_and_ducking_depth_measured_on_the_export(work, volume, duck):
    wav, _ = export(work, f"brown{volume}.wav", "--bed", "brown", "--bed-volume", str(volume),
                    "--set", f"bed_duck={duck}")
    assert len(wav) == len(work["plain"])
    laid = wav.astype(np.float64) - work["plain"]  # the bed, as the file holds it
    pauses, under_speech = regions(work)
    assert pauses.sum() > 6 * SAMPLE_RATE and under_speech.sum() > 8 * SAMPLE_RATE
    level = measure(laid[pauses], SAMPLE_RATE)[0]
    loop = bed.generated("brown").loop
    depth = gain_db(laid, pauses, loop) - gain_db(laid, under_speech, loop)
    print(f"bed {volume} dB, duck {duck} dB: {level:.2f} LUFS in the pauses, ducked {depth:.2f} dB under speech")
    assert level == pytest.approx(TARGET_LUFS + volume, abs=1.0)
    assert depth == pytest.approx(duck, abs=1.0)


def test_loudness_and_true_peak_stay_on_target_with_a_bed(work):
    plain = measure(work["plain"], SAMPLE_RATE)
    with_bed = measure(export(work, "brown.wav", "--bed", "brown")[0], SAMPLE_RATE)
    loudest = measure(export(work, "loud.wav", "--bed", "pad", "--bed-volume", "-6", "--set", "bed_duck=0")[0],
                      SAMPLE_RATE)
    print(f"no bed {plain[0]:.2f} LUFS {plain[1]:.2f} dBTP; brown at -18 dB {with_bed[0]:.2f} LUFS "
          f"{with_bed[1]:.2f} dBTP; pad at -6 dB undimmed: {loudest[1]:.2f} dBTP")
    assert plain[0] == pytest.approx(TARGET_LUFS, abs=1.0)
    # The bed moves the file's loudness by under 0.7 LU: its quiet pauses still count a little,
    # by lowering BS.1770's relative gate (README, "A sound bed"). The rest is the voice's own level.
    assert -0.7 < with_bed[0] - plain[0] <= 0.0
    # The limiter over each sounding cue keeps the sum under the voice's ceiling, even at the loudest bed.
    assert max(plain[1], with_bed[1], loudest[1]) < -2.0


@pytest.mark.parametrize("suffix", ["mp3", "m4b"])
def test_lossy_files_with_the_loudest_bed_stay_under_minus_1_dbtp(work, suffix):
    path, _ = export(work, f"loud.{suffix}", "--bed", "pad", "--bed-volume", "-6", "--set", "bed_duck=0")
    _, peak = ebur128(path)  # as ffmpeg measures it, after the encoder's overshoot
    assert peak < -1.0


@pytest.mark.parametrize("volume", [-18, -6])
def test_chimes_stay_10_db_over_the_bed_in_the_export(work, volume):
    wav, _ = export(work, f"chimes{volume}.wav", "--bed", "brown", "--bed-volume", str(volume), "--set", "bed_duck=0")
    laid = wav.astype(np.float64) - work["plain"]
    kinds = set()
    for a, b, cue in spans(work["script"], (Chime,)):
        pad = max(0, ms_to_samples(400) - (b - a))  # the same block for both: at least 400 ms
        chime = measure(np.pad(work["plain"][a:b].astype(np.float64), (0, pad)), SAMPLE_RATE)[0]
        under = measure(np.pad(laid[a:b], (0, pad)), SAMPLE_RATE)[0]
        assert chime - under >= bed.CHIME_CLEARANCE_DB, (cue.kind, cue.start_ms, chime, under)
        kinds.add(cue.kind)
    assert kinds == {"step", "hold", "release", "tick", "end"}


# -- the loop ----------------------------------------------------------------------------


def test_loop_points_are_seamless_in_the_export(work):
    """A 3 s file loops every 2.25 s: at every loop point the file's bed steps no more than around it."""
    t = np.arange(3 * 44100) / 44100
    tone = 0.25 * np.sin(2 * np.pi * 219.7 * t) + 0.1 * np.sin(2 * np.pi * 331.1 * t)  # fits no loop length
    path = work["dir"] / "tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.rint(tone * 32767).astype("<i2").tobytes())
    wav, _ = export(work, "tone-bed.wav", "--bed", str(path), "--set", "bed_duck=0")
    laid = wav.astype(np.float64) - work["plain"]
    length = len(bed.load(str(path), "--bed").loop)
    pauses, _ = regions(work)
    points = [n for n in range(length, len(laid), length) if pauses[n]]
    assert len(points) >= 5
    step = np.abs(np.diff(laid))
    for n in points:
        around = np.concatenate([step[n - 1 - SAMPLE_RATE // 20 : n - 1], step[n : n + SAMPLE_RATE // 20]])
        assert step[n - 1] <= around.max(), f"a step of {step[n - 1]:.0f} at the loop point {n}"
    # Played in a plain loop, the same file would jump where its end meets its start.
    raw = np.rint(tone[::2] * 32767)
    assert abs(raw[0] - raw[-1]) > 3 * np.abs(np.diff(raw)).max()


# -- regenerating ------------------------------------------------------------------------


def test_a_bed_change_synthesizes_nothing_and_leaves_the_speech_cache_alone(work):
    cache = Path(work["env"]["AUDIOGUIDE_CACHE_DIR"])

    def listing() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in cache.rglob("*") if p.is_file()}

    before = listing()
    for args in (("--bed", "brown"), ("--bed", "pad", "--bed-volume", "-30"), ("--bed", "none")):
        _, err = export(work, "again.wav", *args)
        assert "0 lines synthesized" in err
    assert listing() == before


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (("--bed", "rain.ogg"), "audioguide: error: --bed rain.ogg: no such file; the generated beds are brown, pink, pad"),
    (("--bed-volume", "-3"), "audioguide: error: --bed-volume -3: the bed's volume must be -40..-6 dB, got -3"),
    (("--set", "bed_duck=31"), "audioguide: error: --set bed_duck=31: the ducking depth must be 0..30 dB, got 31"),
])
@pytest.mark.parametrize("command", ["export", "play"])
def test_a_bad_bed_is_one_line_before_any_synthesis(work, tmp_path, isolated_cache, command, args, message):
    out = ("-o", str(tmp_path / "x.mp3")) if command == "export" else ()
    run = run_cli(command, str(work["tiny"]), *ENGINE, *args, *out, input="", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [message]
    assert not any(isolated_cache.rglob("*.*")), "nothing may be synthesized"
    assert not any(tmp_path.iterdir())


def test_a_bed_file_in_a_timings_file_is_found_beside_it_and_named_by_its_line(work, tmp_path):
    with wave.open(str(tmp_path / "short.wav"), "wb") as w:  # 1.5 s of a tone
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(np.rint(8000 * np.sin(np.arange(33075) / 5)).astype("<i2").tobytes())
    timings = tmp_path / "mine.yaml"
    timings.write_text("bed_volume: -20\nbed: short.wav\n")
    run = run_cli("export", str(work["tiny"]), *ENGINE, "--timings", str(timings), "-o", str(tmp_path / "x.mp3"))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"audioguide: error: {timings}:2: bed: {tmp_path / 'short.wav'}: has 1.5 s of sound; a bed needs at least 2 s"]


# -- live play ---------------------------------------------------------------------------


def play_into(sink: AlsaSink, routine: Path, *args: str, env: dict):
    with sink:
        run = run_cli("play", str(routine), *args, input="", env={**sink.env, **env}, timeout=120)
    return run


def test_play_sends_exactly_the_exported_samples_with_a_bed(work, tmp_path):
    tiny, env = work["tiny"], {"AUDIOGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    args = (*ENGINE, "--bed", "pad", "--bed-volume", "-14")
    # Play first, on an empty cache: cues arrive as lines are spoken, and the bed waits for them.
    sink = AlsaSink(tmp_path / "sink", paced=False)
    run = play_into(sink, tiny, *args, env=env)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "tiny.wav"
    exported = run_cli("export", str(tiny), *args, "-o", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    wav = wav_samples(out)
    assert np.array_equal(sink.samples(), wav)
    assert np.abs(wav[: ms_to_samples(40)]).max() < 200  # the bed fades in from silence
    # From a chapter's first sample: the bed there is that span of the whole session's.
    doc = json.loads(out.with_suffix(".json").read_text())
    start = ms_to_samples(next(c["start_ms"] for c in doc["chapters"] if c["title"] == "Left foot"))
    sink = AlsaSink(tmp_path / "sink2", paced=False)
    run = play_into(sink, tiny, *args, "--start-at", "left", env=env)
    assert run.returncode == 0, run.stderr
    assert np.array_equal(sink.samples(), wav[start:])


def test_buffers_wait_for_the_cues_the_bed_looks_ahead_to_and_never_cut_a_sound(work, monkeypatch):
    """A slow engine: with a bed, buffers end at cue boundaries the bed can already render, and join into the mix."""
    from audioguide import mixer, pipeline
    from audioguide.compiler import compile_script
    from audioguide.play.feed import Feed
    from audioguide.play.loop import Loop
    from audioguide.play.status import Status
    from audioguide.routine import load_routine
    from audioguide.settings import resolve
    from audioguide.synth import Synthesizer

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: -3.0)
    routine = load_routine(str(work["tiny"]))
    settings = resolve(routine, bed="brown")
    synth = Synthesizer(ToneEngine(delay=0.05))
    sound = bed.load("brown", "--bed")
    feed = Feed(routine, settings, synth, compile_script(routine, settings).spoken_texts(),
                bed.bed_track(sound, settings)).start()
    sent: list[np.ndarray] = []

    def ready(samples):
        assert feed.cues.bed.ready(sum(map(len, sent)) + len(samples))

    device = recording_device(sent, check=ready)
    Loop(feed.cues, Status(feed.cues, compile_script(routine, settings), io.StringIO()), play=device).run()
    feed.stop()
    script, speech = pipeline.exact_script(routine, settings, synth)
    timeline = mixer.mix(script, speech, bed=bed.bed_track(sound, settings))
    assert np.array_equal(np.concatenate(sent), timeline.samples)
    at = 0
    for samples in sent:
        at += len(samples)
        inside = [c for c in script.cues if isinstance(c, (Say, Chime))
                  and ms_to_samples(c.start_ms) < at < ms_to_samples(c.end_ms)]
        assert not inside, "a buffer ended inside a sound"
    assert len(sent) > 3


# -- streaming ---------------------------------------------------------------------------


@pytest.mark.parametrize(("chunk", "length"), [(997, None), (22_051, None), (4409, 2.0)])
def test_the_streamed_export_equals_the_whole_buffer_with_a_bed(work, monkeypatch, chunk, length):
    """Chunks cut anywhere (inside sounds, before the bed can look far enough ahead) join into the whole mix."""
    from audioguide import pipeline
    from audioguide.cache import SpeechCache
    from audioguide.routine import load_routine
    from audioguide.settings import resolve
    from audioguide.synth import Synthesizer

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: -6.0)
    routine = load_routine(str(work["routine"]))
    settings = resolve(routine, bed="pink", bed_volume=-12, length=length)
    sound = bed.load("pink", "--bed")
    synth = Synthesizer(ToneEngine(), cache=SpeechCache())
    stream = pipeline.SessionStream(routine, settings, synth, chunk=chunk, bed=sound)
    parts = list(stream.chunks())
    whole = pipeline.build_timeline(routine, settings, synth, bed=sound).samples
    assert all(len(p) <= chunk for p in parts)
    assert np.array_equal(np.concatenate(parts), whole)
    silent = pipeline.build_timeline(routine, settings, synth).samples == 0  # the pauses, without a bed
    assert np.count_nonzero(whole[silent]) > 0.9 * np.count_nonzero(silent)  # the bed fills them
