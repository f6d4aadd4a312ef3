"""The sound gate: when the guide sounds, from the samples the player sends, on the monotonic clock."""

from __future__ import annotations

import numpy as np

from audioguide.play.gate import LAG_S, LEAD_S, TAIL_S, SoundGate, sounding_runs

RATE = 1000  # one sample per ms keeps the arithmetic readable


def buffer(*spans: tuple[int, int], length: int) -> np.ndarray:
    samples = np.zeros(length, np.int16)
    for a, b in spans:
        samples[a:b] = 100
    return samples


def test_sounding_runs_are_the_non_silent_stretches_with_short_gaps_merged():
    samples = buffer((100, 300), (400, 500), (1000, 1200), length=2000)
    assert sounding_runs(samples, RATE, min_gap_s=0.25) == [(100, 500), (1000, 1200)]
    assert sounding_runs(samples, RATE, min_gap_s=0.05) == [(100, 300), (400, 500), (1000, 1200)]
    assert sounding_runs(np.zeros(500, np.int16), RATE) == []
    # a single non-zero sample at the very end is sound too
    assert sounding_runs(buffer((499, 500), length=500), RATE) == [(499, 500)]


def test_quiet_is_false_while_sounding_and_within_the_tail():
    gate = SoundGate(clock=lambda: 0.0)
    gate.played(buffer((1000, 2000), length=5000), RATE, t0=10.0)  # sounds 11.0 .. 12.0
    assert gate.quiet(9.0, 10.9 - LEAD_S)
    assert not gate.quiet(10.0, 11.0)
    assert not gate.quiet(11.5, 11.6)
    assert not gate.quiet(12.0 + TAIL_S - 0.01, 13.0)  # still ringing
    assert gate.quiet(12.0 + TAIL_S + 0.01, 13.0)
    assert gate.quiet_since() == 12.0 + TAIL_S


def test_stopping_early_cuts_what_was_still_to_come():
    gate = SoundGate(clock=lambda: 0.0)
    gate.played(buffer((0, 3000), (4000, 5000), length=5000), RATE, t0=0.0)
    gate.stopped(1.0)  # paused a second in
    assert not gate.quiet(0.5, 1.0)
    assert gate.quiet(1.0 + TAIL_S + 0.01, 6.0)  # the rest never played


def test_a_new_buffer_replaces_the_future_of_the_old_one():
    gate = SoundGate(clock=lambda: 0.0)
    gate.played(buffer((0, 5000), length=5000), RATE, t0=0.0)
    gate.played(buffer((3000, 3500), length=4000), RATE, t0=2.0)  # a jump at 2.0 s: silent until 5.0
    assert not gate.quiet(1.0, 1.5)
    assert gate.quiet(2.0 + TAIL_S + 0.01, 4.9 - LEAD_S)
    assert not gate.quiet(5.0, 5.2)


def test_a_disabled_gate_is_always_quiet():
    gate = SoundGate(clock=lambda: 0.0, enabled=False)
    gate.sounding(0.0, 10.0)
    assert gate.quiet(1.0, 2.0)


def test_old_intervals_are_forgotten():
    now = [0.0]
    gate = SoundGate(clock=lambda: now[0])
    for k in range(100):
        now[0] = float(k)
        gate.sounding(k, k + 0.5)
    assert len(gate._starts) <= 32  # KEEP_S = 30 s of history, not the whole session


def test_a_phrase_counts_when_it_begins_after_the_sound_and_its_lag_and_ends_after_its_tail():
    gate = SoundGate(clock=lambda: 0.0)
    gate.sounding(10.0, 12.0)
    assert not gate.allows(11.0, 11.8)  # said (or produced) while the guide spoke
    assert not gate.allows(11.9, 12.0 + TAIL_S + 0.5)  # began in the guide's last word: its ringing
    assert not gate.allows(12.0 + LAG_S - 0.01, 13.0)  # began as the sound still reached the room
    assert gate.allows(12.0 + LAG_S, 13.0)  # began once the guide had fallen silent
    assert not gate.allows(12.0 + LAG_S, 12.0 + TAIL_S - 0.01)  # ends in the tail
    assert not gate.allows(11.0, 12.0 + TAIL_S + 0.5)  # mostly the guide's own speech
    assert gate.allows(5.0, 9.9 - LEAD_S)
    assert not gate.allows(5.0, 10.0 - LEAD_S + 0.01)  # the guide began before it ended (within the lead)
    gate.sounding(12.5, 12.6)  # a short chime
    assert not gate.allows(12.2, 13.5)  # a phrase spanning a chime: the chime is in it
    assert gate.allows(12.6 + LAG_S, 13.5)


def test_with_a_sound_bed_the_gate_is_told_only_of_the_guides_speech_and_chimes(monkeypatch):
    """A bed sounds through the pauses, when a user speaks: the loop tells the gate of the
    speech and chime cues only (``loop.guide_only``), so the pauses stay open to voice commands."""
    from audioguide import bed, pipeline
    from audioguide.pcm import SAMPLE_RATE
    from audioguide.play.cues import CueIndex
    from audioguide.play.loop import guide_only
    from audioguide.routine import parse_routine
    from audioguide.script import Chime, Say
    from audioguide.settings import resolve
    from audioguide.synth import Synthesizer
    from fakes import ToneEngine
    from helpers import TINY_ROUTINE

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: -3.0)
    routine = parse_routine(TINY_ROUTINE)
    settings = resolve(routine, bed="brown")
    script, speech = pipeline.exact_script(routine, settings, Synthesizer(ToneEngine()))
    cues = CueIndex.complete(script.cues, speech, bed.bed_track(bed.load("brown", "--bed"), settings))
    samples = cues.render(0, cues.end)
    assert len(sounding_runs(samples, SAMPLE_RATE)) == 1, "the bed sounds from start to end"
    sounds = [(cues.starts[i], cues.ends[i]) for i, c in enumerate(cues.cues) if isinstance(c, (Say, Chime))]
    pauses = [(a[1], b[0]) for a, b in zip(sounds, sounds[1:]) if b[0] - a[1] >= SAMPLE_RATE // 2]
    assert len(pauses) >= 2
    split = 3 * len(samples) // 7  # as the loop sends it: in buffers
    guide = np.concatenate([guide_only(cues, samples[:split], 0), guide_only(cues, samples[split:], split)])
    runs = sounding_runs(guide, SAMPLE_RATE)
    for start, end in runs:  # every run is the guide's, and the pauses are free of them
        assert any(a <= start < b for a, b in sounds) and any(a < end <= b for a, b in sounds)
    for a, b in pauses:
        assert not any(start < b and end > a for start, end in runs), (a, b)
    assert np.array_equal(guide_only(CueIndex.complete(script.cues, speech), samples, 0), samples)
