"""The streaming export: chunk by chunk, the same samples and bytes as the whole-buffer mix.

``pipeline.SessionStream`` speaks, lays out and renders a session as it is read;
``pipeline.build_timeline`` makes it as one buffer (``mixer.mix``). They must
agree sample for sample at any chunk size, for sessions many chunks long, with
repeated and distinct lines, with a prepared-speech store too small to hold
them, with and without ``--length``. Memory and speed figures live in
scripts/bench (13 min / 1 h / 3 h exports).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from audioguide import pipeline
from audioguide.cache import SpeechCache
from audioguide.errors import Cancelled, EngineError
from audioguide.exporter import Metadata, export
from audioguide.mixer import CHUNK_SAMPLES
from audioguide.pcm import ms_to_samples
from audioguide.routine import parse_routine
from audioguide.settings import resolve
from audioguide.synth import Synthesizer, make_synthesizer
from fakes import ToneEngine

#: A loop whose rounds each say a distinct line ("Breath 3, in.") and a repeated
#: one, count, hold with chimes and start a chapter: every cue type, many chunks.
MANY = """
title: Many lines
settings:
  rounds: {default: 12, min: 1, max: 500, unit: count, help: Rounds.}
steps:
  - chapter: Start
  - say: Sit comfortably.
    then: 1
  - loop:
      count: rounds
      steps:
        - chapter: "Round {n}"
        - say: "Breath {n}, in."
        - repeat: {count: 2, tempo: 1.3, style: count}
        - hold: {seconds: 2, style: chime}
        - say: And out.
          then: 0.7
"""

META = Metadata(title="Many lines")


@pytest.fixture
def routine():
    return parse_routine(MANY, name="many")


@pytest.fixture(autouse=True)
def tone_gain(monkeypatch):
    """The tone voice's gain, fixed (it has no shipped level; measuring it is test_mixer's business)."""
    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: -6.0 if synth.engine.name == "tone" else
                        pipeline.shipped_levels()[pipeline.voice_key(synth)])


def tone_synth(**engine_args) -> Synthesizer:
    return Synthesizer(ToneEngine(**engine_args), cache=SpeechCache())


def streamed(routine, settings, synth, chunk: int) -> tuple[list[np.ndarray], pipeline.SessionStream]:
    stream = pipeline.SessionStream(routine, settings, synth, chunk=chunk)
    return list(stream.chunks()), stream


@pytest.mark.parametrize("chunk", [997, 4409, 22_051, CHUNK_SAMPLES])
def test_streamed_chunks_equal_the_whole_buffer(routine, chunk):
    settings = resolve(routine)
    synth = tone_synth()
    parts, stream = streamed(routine, settings, synth, chunk)
    whole = pipeline.build_timeline(routine, settings, synth)
    assert len(parts) >= 8, "the session must be several chunks long"
    assert all(len(p) == chunk for p in parts[:-1]) and 0 < len(parts[-1]) <= chunk
    assert np.array_equal(np.concatenate(parts), whole.samples)
    assert stream.script == whole.script
    assert stream.script.timing == "measured"
    assert len(whole.samples) == ms_to_samples(stream.script.total_ms)


def test_streamed_length_fitted_session_equals_the_whole_buffer(routine):
    settings = resolve(routine, length=3.0)
    synth = tone_synth()
    parts, stream = streamed(routine, settings, synth, 5003)
    whole = pipeline.build_timeline(routine, settings, synth)
    assert stream.script.total_ms == 180_000
    assert np.array_equal(np.concatenate(parts), whole.samples)
    assert stream.script == whole.script


def test_the_script_is_known_only_after_the_audio(routine):
    with pipeline.SessionStream(routine, resolve(routine), tone_synth()) as stream:
        with pytest.raises(RuntimeError, match="every chunk"):
            stream.script


def test_a_store_too_small_for_the_lines_remakes_them_from_the_cache(routine, monkeypatch):
    """Thousands of distinct lines stay flat: the store keeps one segment, the rest come back from the cache."""
    settings = resolve(routine, sets=["rounds=30"])
    reference = pipeline.build_timeline(routine, settings, tone_synth())  # default budget: holds them all
    monkeypatch.setattr(pipeline, "PREPARED_BUDGET_BYTES", 1)
    stores: list[pipeline.PreparedSpeech] = []
    real = pipeline.PreparedSpeech

    def spy(*args, **kwargs):
        stores.append(real(*args, **kwargs))
        return stores[-1]

    monkeypatch.setattr(pipeline, "PreparedSpeech", spy)
    synth = tone_synth()
    parts, stream = streamed(routine, settings, synth, 7919)
    assert np.array_equal(np.concatenate(parts), reference.samples)
    (store,) = stores
    assert len(store._store) == 1 and len(store) == 30 + 4  # 30 breaths; "Sit comfortably.", "One.", "Two.", "And out."
    assert synth.engine_calls == 0  # the reference filled the cache; nothing was spoken twice
    assert synth.cache_hits > len(store)  # repeats ("And out.", the counts) were re-made from the cache


def test_without_a_cache_nothing_is_dropped(routine, monkeypatch):
    monkeypatch.setattr(pipeline, "PREPARED_BUDGET_BYTES", 1)
    settings = resolve(routine, sets=["rounds=4"])
    synth = Synthesizer(ToneEngine(), cache=None)
    speech = pipeline.PreparedSpeech(synth, -6.0)
    assert speech.budget is None
    parts, _ = streamed(routine, settings, synth, 4409)
    assert np.array_equal(np.concatenate(parts), pipeline.build_timeline(routine, settings, tone_synth()).samples)


def test_streamed_wav_is_byte_identical_to_the_whole_buffer_wav(routine, tmp_path):
    settings = resolve(routine)
    synth = tone_synth()
    stream = pipeline.SessionStream(routine, settings, synth, chunk=12_345)
    streamed_paths = export(stream, tmp_path / "streamed.wav", meta=META)
    whole_paths = export(pipeline.build_timeline(routine, settings, synth), tmp_path / "whole.wav", meta=META)
    for a, b in zip(streamed_paths, whole_paths):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.slow
def test_real_voice_streamed_equals_the_whole_buffer(routine):
    """espeak-ng through pyttsx3: the same samples chunk by chunk (speech from the cache both times)."""
    settings = resolve(routine, sets=["rounds=5"])
    synth = make_synthesizer("pyttsx3")
    parts, stream = streamed(routine, settings, synth, 3001)
    whole = pipeline.build_timeline(routine, settings, synth)
    assert np.array_equal(np.concatenate(parts), whole.samples)
    assert stream.script == whole.script


def test_streaming_progress_speaks_lines_inside_the_encoding_stage(routine, tmp_path):
    events = []
    stream = pipeline.SessionStream(routine, resolve(routine, sets=["rounds=3"]), tone_synth(), events.append)
    export(stream, tmp_path / "s.mp3", meta=META, progress=events.append)
    stages = [e.stage for e in events if e.unit == "stage"]
    assert stages == ["encoding mp3", "tagging mp3", "writing transcript", "writing script", "done"]
    lines = [e for e in events if e.unit == "line"]
    assert [e.done for e in lines] == list(range(len(lines))) and lines[-1].done == lines[-1].total == 3 + 4
    assert {e.stage for e in lines} == {"speaking (tone)"}
    first_line = events.index(lines[0])
    assert events[first_line - 1].stage == "encoding mp3"  # speech is spoken while the file is encoded
    assert events[events.index(lines[-1]) + 1].stage == "tagging mp3"


def _ffmpeg_children() -> list[int]:
    """Our child processes that are ffmpeg (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
            if name == "ffmpeg" and int(rest[1]) == os.getpid():
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "wav"])
def test_an_engine_failing_mid_stream_leaves_the_previous_files_and_no_encoder(routine, tmp_path, fmt):
    settings = resolve(routine, sets=["rounds=8"])
    out = tmp_path / f"s.{fmt}"
    export(pipeline.SessionStream(routine, settings, tone_synth()), out, meta=Metadata(title="Earlier"))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    failing = pipeline.SessionStream(routine, settings, Synthesizer(ToneEngine(fail_on="Breath six"), cache=None))
    with pytest.raises(EngineError, match='"Breath 6, in."'):
        export(failing, out, meta=META)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file either
    assert _ffmpeg_children() == []


def test_cancel_mid_stream_writes_nothing(routine, tmp_path):
    cancel = threading.Event()

    def progress(event):
        if event.unit == "line" and event.done == 4:
            cancel.set()

    stream = pipeline.SessionStream(routine, resolve(routine), tone_synth(), progress, cancel)
    with pytest.raises(Cancelled):
        export(stream, tmp_path / "s.ogg", meta=META, cancel=cancel)
    assert list(tmp_path.iterdir()) == []
    assert _ffmpeg_children() == []
