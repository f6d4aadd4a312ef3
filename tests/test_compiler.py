"""Routine + settings -> script: the guide's steps, timings, pace and length fitting."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from audioguide.compiler import (
    FLEX_RANGE,
    compile_script,
    estimate_speech_ms,
    length_bounds,
    number_words,
)
from audioguide.errors import CompileError
from audioguide.routine import load_routine, parse_routine
from audioguide.script import CHIME_MS, Chapter, Chime, Pause, Say, Script
from audioguide.settings import defaults, resolve

GOLDEN = Path(__file__).parent / "golden" / "foot-massage.script.json"


@pytest.fixture(scope="module")
def foot():
    return load_routine("foot-massage")


def spoken(script: Script) -> list[str]:
    return [c.text for c in script if isinstance(c, Say)]


def assert_in_order(texts: list[str], patterns: list[str]) -> None:
    """Each regex must match some text, each after the previous one's match."""
    pos = 0
    for pattern in patterns:
        for i in range(pos, len(texts)):
            if re.search(pattern, texts[i], re.I):
                pos = i + 1
                break
        else:
            raise AssertionError(f"{pattern!r} not found after position {pos}: {texts[pos:pos + 5]}")


def side_sequence(side: str, first_time: bool) -> list[str]:
    """The guide's instructions for one foot, in the guide's order."""
    seq = [
        rf"one hand around your {side} foot",
        r"forwards, and backwards", "^One\\.$", "^Five\\.$",
        r"side to side", "^One\\.$", "^Five\\.$",
        r"hold(ing)? your foot still" if first_time else r"sole",
        r"thumb.*under the base of (your )?toes",
        r"(press|down) .*heel",
        r"thumb or (your )?knuckles|thumb, or your knuckles",
        r"small circles",
        r"tender spot",
        r"^Five\.$", r"^One\.$", r"release",
        r"toes",
        r"big toe", r"second toe", r"middle toe", r"fourth toe", r"little toe",
        r"top of your foot.*both hands" if first_time else r"top of your foot",
        r"Squeeze on top of your foot", r"middle of the top", r"up near your ankle",
        r"around your ankle", r"over to the sole",
    ]
    return seq


@pytest.mark.parametrize("position", ["chair", "floor"])
@pytest.mark.parametrize("first", ["right", "left"])
def test_every_guide_step_in_order_for_both_feet(foot, position, first):
    other = "left" if first == "right" else "right"
    script = compile_script(foot, resolve(foot, options={"position": position, "first_foot": first}))
    texts = spoken(script)
    intro = [r"self foot massage"]
    if position == "chair":
        intro += [r"Sit on a chair", rf"lift your {first} foot.*over your opposite knee"]
        switch = [rf"Put your {first} foot down", rf"place your {other} foot over your opposite knee"]
    else:
        intro += [r"on the floor.*legs crossed.*foot in front", rf"your {first} foot is in front"]
        switch = [rf"switch how your legs are crossed, so your {other} foot is in front"]
    closing = [r"do this yourself", r"back pain.*see a professional", r"diabetes, or numbness in your feet"]
    assert_in_order(texts, intro + side_sequence(first, True) + switch + side_sequence(other, False) + closing)
    assert script.cues[-1] == Chime(kind="end", duration_ms=CHIME_MS["end"], start_ms=script.cues[-1].start_ms,
                                    chapter="Closing", step=script.cues[-1].step)


def test_no_business_names_and_second_foot_is_briefer(foot):
    script = compile_script(foot, defaults(foot))
    text = " ".join(spoken(script))
    assert "Chicago" not in text and "FIX" not in text
    chapters = {c.title: c for c in script.chapters()}
    first_words = sum(len(t.split()) for c in script if isinstance(c, Say) and c.chapter.startswith("Right") for t in [c.text])
    second_words = sum(len(t.split()) for c in script if isinstance(c, Say) and c.chapter.startswith("Left") for t in [c.text])
    assert second_words < 0.75 * first_words
    assert "Change to the left foot" in chapters


@pytest.mark.parametrize("feet,expected", [("both", ["Right", "Left"]), ("left", ["Left"]), ("right", ["Right"])])
def test_feet_option_chooses_sides(foot, feet, expected):
    script = compile_script(foot, resolve(foot, options={"feet": feet}))
    sides = list(dict.fromkeys(c.title.split()[0] for c in script.chapters() if " foot: " in c.title))
    assert sides == expected
    assert ("Change to the left foot" in [c.title for c in script.chapters()]) == (feet == "both")


def test_counts_and_holds_follow_settings(foot):
    s = resolve(foot, sets=["ankle_reps=7", "tender_hold=15", "tender_spots=3", "sole_passes=2", "toe_rounds=2"],
                options={"feet": "right"})
    script = compile_script(foot, s)
    ankle = [c.text for c in script if isinstance(c, Say) and c.role == "count" and "ankle" in c.chapter]
    assert ankle == [number_words(i) for i in range(1, 8)] * 2
    # Holds: from the hold chime to the release chime is exactly the hold time.
    cues = list(script)
    holds = [c for c in cues if isinstance(c, Chime) and c.kind == "hold"]
    releases = [c for c in cues if isinstance(c, Chime) and c.kind == "release"]
    deep = [(h, r) for h, r in zip(holds, releases) if "deep" in h.chapter]
    assert len(deep) == 3
    assert all(r.start_ms - h.start_ms == 15_000 for h, r in deep)
    top = [(h, r) for h, r in zip(holds, releases) if "top" in h.chapter]
    assert len(top) == 5 and all(r.start_ms - h.start_ms == 3_000 for h, r in top)
    passes = [c for c in cues if isinstance(c, Say) and "heel" in c.text]
    assert len(passes) == 2
    toes = [c for c in cues if isinstance(c, Say) and "big toe" in c.text]
    assert len(toes) == 2 and any("Once more" in t for t in spoken(script))


def test_ankle_tempo_is_exact_per_beat(foot):
    script = compile_script(foot, resolve(foot, sets=["ankle_tempo=3"]))
    counts = [c for c in script if isinstance(c, Say) and c.role == "count" and "ankle" in c.chapter]
    gaps = {b.start_ms - a.start_ms for a, b in zip(counts, counts[1:]) if a.text != "Five."}
    assert gaps == {3000}


def test_cues_are_laid_end_to_end_and_total_is_their_sum(foot):
    script = compile_script(foot, defaults(foot))
    t = 0
    for c in script:
        assert c.start_ms == t
        t += c.duration_ms
    assert script.total_ms == t == sum(c.duration_ms for c in script)


def test_default_session_lasts_10_to_15_minutes(foot):
    assert 10 * 60_000 <= compile_script(foot, defaults(foot)).total_ms <= 15 * 60_000


def test_pace_scales_speech_and_pauses_but_not_holds(foot):
    normal = compile_script(foot, resolve(foot, pace="normal"))
    slow = compile_script(foot, resolve(foot, pace="slow"))
    fast = compile_script(foot, resolve(foot, pace="1.5"))
    assert fast.total_ms < normal.total_ms < slow.total_ms
    first_pause = lambda s: next(c for c in s if isinstance(c, Pause) and c.flexible).duration_ms  # noqa: E731
    assert first_pause(slow) == round(first_pause(normal) / 0.8)
    assert first_pause(fast) == round(first_pause(normal) / 1.5)
    for s in (normal, slow, fast):
        h = next(c for c in s if isinstance(c, Chime) and c.kind == "hold")
        r = next(c for c in s if isinstance(c, Chime) and c.kind == "release")
        assert r.start_ms - h.start_ms == 10_000
    assert estimate_speech_ms("Hello there.", 2.0) * 2 == pytest.approx(estimate_speech_ms("Hello there.", 1.0), abs=1)


@pytest.mark.parametrize("minutes", [11, 14.5, 20, 45, 60])
def test_length_fitting_hits_target_within_a_second(foot, minutes):
    script = compile_script(foot, resolve(foot, length=str(minutes)))
    assert abs(script.total_ms - minutes * 60_000) <= 1000


def test_length_fitting_keeps_holds_counts_and_speech(foot):
    natural = compile_script(foot, defaults(foot))
    long = compile_script(foot, resolve(foot, length="40"))
    fixed = lambda s: [(type(c).__name__, c.duration_ms) for c in s if not (isinstance(c, Pause) and c.flexible)]  # noqa: E731
    assert fixed(natural) == fixed(long)


def test_unreachable_length_states_shortest_and_longest(foot):
    lo, hi = length_bounds(list(compile_script(foot, defaults(foot)).cues))
    with pytest.raises(CompileError) as err:
        compile_script(foot, resolve(foot, length="2"))
    assert f"{lo / 60000:.1f} to {hi / 60000:.1f} minutes" in str(err.value)
    assert FLEX_RANGE[0] < 1 < FLEX_RANGE[1]


def test_measured_durations_replace_estimates(foot):
    s = defaults(foot)
    estimated = compile_script(foot, s)
    measured_ms = {t: 1234 for t in estimated.spoken_texts()}
    measured = compile_script(foot, s, speech_ms=measured_ms)
    assert measured.timing == "measured"
    assert all(c.duration_ms == 1234 for c in measured if isinstance(c, Say))
    with_target = compile_script(foot, resolve(foot, length="14"), speech_ms=measured_ms)
    assert with_target.total_ms == 14 * 60_000


def test_chimes_off_speaks_the_cues(foot):
    script = compile_script(foot, resolve(foot, chimes=False))
    assert not any(isinstance(c, Chime) for c in script)
    texts = spoken(script)
    assert "And release." in texts and texts[-1] == "This is the end of the session."
    assert not any("hear the chime" in t for t in texts)


def test_steps_group_an_instruction_with_its_time(foot):
    script = compile_script(foot, defaults(foot))
    steps = script.steps()
    assert [i for i, _ in steps] == list(range(len(steps)))
    for index, _ in steps:
        instructions = [c for c in script if c.step == index and isinstance(c, Say) and c.role == "instruction"]
        assert len(instructions) <= 1
    chapter_cues = [c for c in script if isinstance(c, Chapter)]
    assert len({c.step for c in chapter_cues}) == len(chapter_cues)


def test_chapters_cover_the_session(foot):
    script = compile_script(foot, defaults(foot))
    spans = script.chapters()
    assert spans[0].start_ms == 0 and spans[-1].end_ms == script.total_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(spans, spans[1:]))
    assert [s.title for s in spans] == [
        "Welcome", "Right foot: ankle", "Right foot: sole", "Right foot: deep pressure", "Right foot: toes",
        "Right foot: top", "Change to the left foot", "Left foot: ankle", "Left foot: sole",
        "Left foot: deep pressure", "Left foot: toes", "Left foot: top", "Closing",
    ]


def test_golden_json_of_the_default_script(foot):
    """The default script's JSON is stable; regenerate with AUDIOGUIDE_UPDATE_GOLDEN=1 after a deliberate change."""
    doc = compile_script(foot, defaults(foot)).to_json()
    if os.environ.get("AUDIOGUIDE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    assert doc == json.loads(GOLDEN.read_text())
    assert Script.from_json(doc).to_json() == doc


def test_loop_again_text_and_when_on_round():
    routine = parse_routine(
        """
title: T
settings: {rounds: {default: 3, unit: count, min: 1, max: 5}}
steps:
  - loop:
      count: rounds
      steps:
        - say: First {n} of {count}
          again: Again {n}
        - say: Only the second
          when: {n: 2}
"""
    )
    texts = spoken(compile_script(routine, defaults(routine)))
    assert texts == ["First 1 of 3", "Again 2", "Only the second", "Again 3"]


def test_repeat_styles():
    routine = parse_routine(
        """
title: T
steps:
  - repeat: {count: 3, tempo: 2, style: tick}
  - repeat: {count: 2, tempo: 1.5, style: silent}
"""
    )
    script = compile_script(routine, defaults(routine))
    ticks = [c for c in script if isinstance(c, Chime) and c.kind == "tick"]
    assert [t.start_ms for t in ticks] == [0, 2000, 4000]
    silent = [c for c in script if isinstance(c, Pause)][-1]
    assert silent.duration_ms == 3000 and not silent.flexible
    off = compile_script(routine, resolve(routine, chimes=False))
    assert [c.text for c in off if isinstance(c, Say)][:3] == ["One.", "Two.", "Three."]


def test_number_words():
    assert [number_words(n) for n in (1, 5, 13, 20, 21, 99, 100)] == [
        "One.", "Five.", "Thirteen.", "Twenty.", "Twenty-one.", "Ninety-nine.", "100."
    ]


@pytest.mark.parametrize("options", [{}, {"position": "floor", "feet": "left"}])
def test_streamed_cues_equal_the_compiled_script(foot, options):
    """The live player's cue stream is the export's script, asking each length only when reached."""
    from audioguide.compiler import stream_cues

    s = resolve(foot, options=options)
    lengths = {t: 1000 + 7 * len(t) for t in compile_script(foot, s).spoken_texts()}
    asked: list[str] = []

    class Lazy(dict):
        def __getitem__(self, text):
            asked.append(text)
            return lengths[text]

    stream = stream_cues(foot, s, Lazy())
    first = next(stream)
    assert asked == [] and first.type == "chapter"
    assert tuple([first, *stream]) == compile_script(foot, s, speech_ms=lengths).cues
    with pytest.raises(ValueError):
        next(stream_cues(foot, resolve(foot, length="20"), lengths))
