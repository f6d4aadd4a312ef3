"""An exact beat: counts start on the grid, a count too long for its beat is fitted, lost time never accumulates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from audioguide import mixer
from audioguide.cache import SpeechCache
from audioguide.compiler import compile_script, count_forms, estimate_speech_ms, speech_texts
from audioguide.routine import bundled_names, load_routine, parse_routine
from audioguide.script import CHIME_MS, Chime, Pause, Say
from audioguide.settings import defaults
from audioguide.synth import make_synthesizer


def _routine(count: int, tempo: float, lead_in: float = 0):
    return parse_routine(f"title: T\nsteps:\n  - say: Go.\n  - repeat: {{count: {count}, tempo: {tempo}, style: count, "
                         f"lead_in: {lead_in}}}\n")


def _beats(script) -> list[list]:
    """Runs of beats: count or countdown lines and ticks, separated only by fixed pauses."""
    runs, run = [], []
    for cue in script.cues:
        if (isinstance(cue, Say) and cue.role in ("count", "countdown") and cue.text != "And release.") or (
                isinstance(cue, Chime) and cue.kind == "tick"):
            run.append(cue)
        elif not (isinstance(cue, Pause) and not cue.flexible):
            if run:
                runs.append(run)
            run = []
    return runs + ([run] if run else [])


class Lengths(Mapping):
    """Measured lengths for counts (``lengths[text]``), the estimate for any other line."""

    def __init__(self, counts: dict[str, int], pace: float) -> None:
        self.counts, self.pace = counts, pace

    def __getitem__(self, text: str) -> int:
        return self.counts[text] if text in self.counts else estimate_speech_ms(text, self.pace)

    def __iter__(self):
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)


@hsettings(max_examples=100, deadline=None)
@given(count=st.integers(1, 40), tempo=st.floats(0.5, 10), pace=st.floats(0.5, 2), lead=st.floats(0, 5),
       chimes=st.booleans(), data=st.data())
def test_counts_start_exactly_on_the_grid_whatever_their_length(count, tempo, pace, lead, chimes, data):
    routine = _routine(count, round(tempo, 2), round(lead, 2))
    tempo, lead = round(tempo, 2), round(lead, 2)
    chosen = replace(defaults(routine), pace=pace, chimes=chimes)
    texts = speech_texts(compile_script(routine, chosen))
    drawn = data.draw(st.lists(st.integers(100, 3000), min_size=len(texts), max_size=len(texts)))
    lengths = dict(zip(texts, drawn))
    script = compile_script(routine, chosen, speech_ms=lengths)
    (run,) = _beats(script)
    first = script.cues[[c.type for c in script.cues].index("say") + 1].start_ms  # after "Go."
    beat = tempo * 1000 / pace
    assert run[0].start_ms - first == round(lead * 1000 / pace)
    for i, cue in enumerate(run):
        assert cue.start_ms - run[0].start_ms == round(i * beat)  # on the grid: no drift, ever
        slot = round((i + 1) * beat) - round(i * beat)
        assert cue.duration_ms <= slot
        if isinstance(cue, Say):  # the longest form that fits
            forms = count_forms(i + 1)
            assert cue.text == next(f for f in forms if lengths[f] <= slot)
        else:
            assert all(lengths[f] > slot for f in count_forms(i + 1))
    assert script.total_ms - first == round(lead * 1000 / pace) + round(count * beat) + (
        CHIME_MS["end"] if chimes else lengths["This is the end of the session."])


def test_the_issue_example_no_longer_drifts():
    """repeat: {count: 30, tempo: 1} at pace fast with real espeak-ng counts: every count on the 800 ms grid."""
    routine = _routine(30, 1)
    chosen = replace(defaults(routine), pace=1.25)
    synth = make_synthesizer("pyttsx3", pace=1.25, cache=SpeechCache())
    texts = speech_texts(compile_script(routine, chosen))
    lengths = {t: mixer.speech_ms(mixer.prepare_speech(synth.speak(t), 0.0)) for t in texts}
    (run,) = _beats(compile_script(routine, chosen, speech_ms=lengths))
    assert [c.start_ms - run[0].start_ms for c in run] == [800 * i for i in range(30)]
    assert [c.text for c in run[20:23]] in (["Twenty-one.", "Twenty-two.", "Twenty-three."], ["One.", "Two.", "Three."])


def _extremes(routine):
    """The corners of the ranges: every setting at its min or max, counts and seconds together or crossed
    (the most counts at the fastest beat is "counts max, seconds min")."""
    base = defaults(routine)
    for counts, seconds in (("min", "min"), ("max", "max"), ("max", "min"), ("min", "max")):
        values = {name: getattr(spec, counts if spec.unit == "count" else seconds)
                  for name, spec in routine.settings.items()}
        yield f"counts {counts}, seconds {seconds}", replace(base, values=values)


ENGINES = ["pyttsx3", pytest.param("piper", marks=pytest.mark.piper)]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", bundled_names())
def test_bundled_routines_keep_the_beat_at_the_extremes_of_every_range(engine, name, tmp_path):
    """Never refused, never late: at each setting's min and max, pace 0.5 and 2, chimes on and off."""
    routine = load_routine(name)
    synths = {pace: make_synthesizer(engine, pace=pace, cache=SpeechCache(tmp_path)) for pace in (0.5, 2.0)}
    checked = 0
    for label, chosen in _extremes(routine):
        for pace in (0.5, 2.0):
            for chimes in (True, False):
                chosen = replace(chosen, pace=pace, chimes=chimes)
                try:
                    estimated = compile_script(routine, chosen)
                except Exception as error:  # a 10-hour session at every maximum: not a beat question
                    assert "longer than 10 hours" in str(error) or "more than" in str(error), (label, error)
                    continue
                counts = {t: mixer.speech_ms(mixer.prepare_speech(synths[pace].speak(t), 0.0))
                          for t in speech_texts(estimated)
                          if any(t in count_forms(n) for n in range(1, 101))}
                script = compile_script(routine, chosen, speech_ms=Lengths(counts, pace))
                for run in _beats(script):
                    gaps = [b.start_ms - a.start_ms for a, b in zip(run, run[1:])]
                    assert max(gaps, default=0) - min(gaps, default=0) <= 1, (label, pace, chimes, gaps)
                    for cue, gap in zip(run, gaps):
                        assert cue.duration_ms <= gap
                    checked += 1
    assert checked or not any(c.role == "count" for c in compile_script(routine, defaults(routine)).cues
                              if isinstance(c, Say))


@pytest.mark.parametrize("hold,expected", [
    ("{seconds: 10, style: countdown}", ["Five.", "Four.", "Three.", "Two.", "One.", "And release."]),
    ("{seconds: 10, style: countdown, from: 3}", ["Three.", "Two.", "One.", "And release."]),
    ("{seconds: 4, style: countdown, from: 8}", ["Three.", "Two.", "One.", "And release."]),  # as far as it allows
    ("{seconds: 10, style: countdown, release: ''}", ["Five.", "Four.", "Three.", "Two.", "One."]),
    ("{seconds: 10, style: countdown, release: Let go.}", ["Five.", "Four.", "Three.", "Two.", "One.", "Let go."]),
    ("{seconds: 10, style: chime}", []),
])
def test_a_countdown_counts_from_a_chosen_number_and_its_release_can_change_or_go(hold, expected):
    routine = parse_routine(f"title: T\nsteps:\n  - say: Press.\n  - hold: {hold}\n")
    script = compile_script(routine, defaults(routine))
    said = [c.text for c in script.cues if isinstance(c, Say) and c.role == "countdown"]
    assert said == expected
    start = next(c.start_ms for c in script.cues if isinstance(c, Chime) and c.kind == "hold")
    release = next(c.start_ms for c in script.cues if isinstance(c, Chime) and c.kind == "release")
    assert release - start == 10_000 if "10" in hold else 4000  # the hold lasts exactly its seconds


def test_a_repeat_lead_in_is_silence_before_the_first_beat_divided_by_the_pace():
    routine = _routine(3, 2, lead_in=2)
    script = compile_script(routine, replace(defaults(routine), pace=2.0))
    go = next(c for c in script.cues if isinstance(c, Say))
    one = next(c for c in script.cues if isinstance(c, Say) and c.role == "count")
    assert one.start_ms - go.end_ms == 1000
