"""The self-paced step (`ready:`) in an export and in a live play nobody answers.

A live play that gets the user's go-ahead ends the wait early: that is the
player's side (issue 14). Here: the cue is a Pause with ``self_paced`` set,
the export holds exact silence for the whole maximum after the prompt, and a
play with no input sends exactly the exported samples.
"""

from __future__ import annotations

import json
import wave

import numpy as np

from alsa_sink import AlsaSink
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from helpers import run_cli

READY = """
title: Ready
steps:
  - chapter: Start
  - say: Put on some lotion. Take the time you need.
    ready: 2.5
  - say: Now the palm.
    then: 0.5
"""


def wav_samples(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == SAMPLE_RATE
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_export_holds_exact_silence_for_the_longest_wait_and_play_unanswered_equals_it(tmp_path):
    routine = tmp_path / "ready.yaml"
    routine.write_text(READY)
    out = tmp_path / "ready.wav"
    run = run_cli("export", str(routine), "--engine", "pyttsx3", "-o", str(out))
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.with_suffix(".json").read_text())
    wav = wav_samples(out)
    waits = [c for c in doc["cues"] if c["type"] == "pause" and c["self_paced"]]
    assert len(waits) == 1 and waits[0]["duration_ms"] == 2500 and not waits[0]["flexible"]
    prompt = next(c for c in doc["cues"] if c["type"] == "say")
    assert waits[0]["start_ms"] == prompt["start_ms"] + prompt["duration_ms"]
    start, end = ms_to_samples(waits[0]["start_ms"]), ms_to_samples(waits[0]["start_ms"] + 2500)
    assert not wav[start:end].any(), "the wait is exact digital silence"
    assert wav[:start].any() and wav[end:].any(), "speech before and after it"

    sink = AlsaSink(tmp_path / "sink", paced=False)
    with sink:
        played = run_cli("play", str(routine), "--engine", "pyttsx3", input="", env=sink.env, timeout=120)
    assert played.returncode == 0, played.stderr
    assert np.array_equal(sink.samples(), wav), "nobody answered: the full wait, the same samples as the export"
