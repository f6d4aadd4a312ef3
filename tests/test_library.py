"""The bundled routines: every option combination compiles into a sound session, each names
its own warning signs, gives time to act, and exports with a real engine."""

from __future__ import annotations

import itertools
import json
import re
import wave

import pytest

from audioguide.compiler import compile_script
from audioguide.library import bundled, summarize
from audioguide.routine import bundled_names, load_routine
from audioguide.script import Chapter, Chime, Pause, Say
from audioguide.settings import resolve
from helpers import run_cli

NEW = ["hand-massage", "neck-shoulder-release", "calf-cramp-stretch", "box-breathing"]

#: Each routine's own signs to stop and see a professional (issue 12), spoken in every session.
WARNING_SIGNS = {
    "foot-massage": ["diabetes", "numbness"],
    "hand-massage": ["numbness", "tingling", "swollen", "injured"],
    "neck-shoulder-release": ["dizzy", "numbness, tingling", "arms", "see a doctor"],
    "calf-cramp-stretch": ["swollen, warm", "red", "blood clot", "same day"],
    "box-breathing": ["light-headed", "chest pain"],
}

#: Live play starts when the first line is spoken: keep it short.
FIRST_LINE_MAX = 60
#: Lines that announce rather than ask for a movement (said just before the movement itself).
ANNOUNCEMENTS = re.compile(r"^(Last one\.|Last one on this leg\.|Last round\.|Halfway there\.)$")
#: Words that ask for a movement: such a line gets at least 2 s before the next instruction.
MOVES = re.compile(
    r"\b(press|lift|turn|roll|stretch|step|lean|sit|stand|lie|bring|draw|pull|slide|squeeze|bend|set|put|place|"
    r"open|close|walk|move|loop|shake|drop|point|stroke|warm|pinch|hold it|let your|circle)\b", re.I
)


def combinations(routine):
    names = list(routine.options)
    for values in itertools.product(*(routine.options[n].choices for n in names)):
        yield dict(zip(names, values))


def test_the_library_has_the_promised_routines():
    assert set(NEW) | {"foot-massage"} <= set(bundled_names())
    assert set(WARNING_SIGNS) == set(bundled_names())


@pytest.mark.parametrize("name", sorted(WARNING_SIGNS))
def test_every_option_combination_compiles_to_a_sound_session(name):
    routine = load_routine(name)
    sessions = 0
    for options in combinations(routine):
        for chimes in (True, False):
            script = compile_script(routine, resolve(routine, options=options, chimes=chimes))
            sessions += 1
            where = f"{name} {options} chimes={chimes}"
            texts = [c.text for c in script if isinstance(c, Say)]
            assert isinstance(script.cues[0], Chapter), where
            assert len(texts[0]) <= FIRST_LINE_MAX, f"{where}: first line too long: {texts[0]!r}"
            said = " ".join(texts)
            for sign in WARNING_SIGNS[name]:
                assert sign in said, f"{where}: warning sign {sign!r} not spoken"
            assert not re.search(r"\{\w+\}", said), f"{where}: a placeholder left in the text"
            chapters = [c.title for c in script.chapters()]
            assert len(chapters) == len(set(chapters)), f"{where}: repeated chapter titles {chapters}"
            assert all(s.end_ms > s.start_ms for s in script.chapters()), f"{where}: an empty chapter"
            if chimes:
                assert isinstance(script.cues[-1], Chime) and script.cues[-1].kind == "end"
            if routine.sides:  # a chapter per chosen side, none for a side left out
                chosen = routine.sides.order(options)
                for side in routine.sides.names:
                    named = any(re.search(rf"\b{side}\b", c, re.I) for c in chapters)
                    assert named == (side in chosen), f"{where}: {side} in chapters {chapters}"
    assert sessions == 2 * max(1, len(list(combinations(routine))))


@pytest.mark.parametrize("name", NEW)
def test_every_movement_gets_time_to_act(name):
    """At least 2 s after each line that asks for a movement, 1 s after any other, before the next instruction."""
    routine = load_routine(name)
    for options in combinations(routine):
        cues = compile_script(routine, resolve(routine, options=options)).cues
        lines = [c for c in cues if isinstance(c, Say) and c.role == "instruction"]
        for line, following in zip(lines[1:], lines[2:]):
            if ANNOUNCEMENTS.match(line.text):
                continue
            quiet = following.start_ms - line.end_ms
            need = 2000 if MOVES.search(line.text) else 1000
            assert quiet >= need, f"{name} {options}: {quiet} ms after {line.text!r}"


@pytest.mark.parametrize("name", sorted(WARNING_SIGNS))
def test_every_bundled_routine_passes_check_without_warnings(name):
    run = run_cli("check", name)
    assert (run.returncode, run.stdout, run.stderr) == (0, "no warnings\n", "")


def test_sides_that_are_not_feet():
    hand = load_routine("hand-massage")
    both = [c.title for c in compile_script(hand, resolve(hand, options={"first_hand": "left"})).chapters()]
    assert both[1] == "Left hand: palm" and "Right hand: palm" in both
    one = compile_script(hand, resolve(hand, options={"hands": "right"}))
    texts = " ".join(c.text for c in one if isinstance(c, Say))
    assert "Your right hand is done" not in texts and "Your hand is done" in texts
    assert "your left thumb, press into the middle of your palm" in texts  # {other_side}: the working hand
    neck = load_routine("neck-shoulder-release")
    titles = [c.title for c in compile_script(neck, resolve(neck, options={"first_side": "left"})).chapters()]
    assert titles.index("Left side bend") < titles.index("Right side bend")


def test_box_breathing_keeps_the_four_sides_equal_by_an_expression():
    box = load_routine("box-breathing")
    for side in (3, 4, 6.5, 8):
        script = compile_script(box, resolve(box, sets=[f"box_side={side}"]))
        cues = [c for c in script.cues if c.chapter == "The box"]
        counts = [c for c in cues if isinstance(c, Say) and c.role == "count"]
        starts = [c.start_ms for c in counts]
        # four beats of box_side / 4 on every side: count four of one side to count one of the next
        beats = [b - a for a, b in zip(starts, starts[1:])]
        in_side = [beats[i] for i in range(len(beats)) if (i + 1) % 4]
        assert max(in_side) - min(in_side) <= 1 and abs(in_side[0] - side * 250) <= 1
    texts = [c.text for c in script if isinstance(c, Say)]
    assert texts.count("Last round.") == 1 and texts.count("Halfway there.") == 1
    rounds = box.settings["rounds"].default
    ins = [i for i, t in enumerate(texts) if t in ("Breathe in.", "In.")]
    assert len(ins) == rounds and texts[ins[-1] - 1] == "Last round." and texts[ins[rounds // 2] - 1] == "Halfway there."


@pytest.mark.parametrize("name", ["hand-massage", "calf-cramp-stretch", "box-breathing"])
def test_self_paced_steps_in_the_library(name):
    routine = load_routine(name)
    options = {"position": "standing"} if name == "calf-cramp-stretch" else {}
    script = compile_script(routine, resolve(routine, options=options))
    waits = [c for c in script if isinstance(c, Pause) and c.self_paced]
    assert len(waits) == 1 and waits[0].duration_ms >= 5000


def test_summaries_give_title_length_and_chapters():
    summaries = {s.name: s for s in bundled()}
    box = summaries["box-breathing"]
    assert box.title == "Box breathing" and box.chapters == ("Welcome", "The box", "Closing")
    assert 3 * 60_000 < box.total_ms < 6 * 60_000
    for s in summaries.values():
        assert 3 * 60_000 < s.total_ms < 16 * 60_000, (s.name, s.total_ms)
    assert summarize("foot-massage") == summaries["foot-massage"]


def test_routines_command_shows_title_length_and_chapters():
    out = run_cli("routines")
    assert out.returncode == 0 and out.stderr == ""
    text = out.stdout
    for s in bundled():
        head = next(line for line in text.splitlines() if line.startswith(s.name + " "))
        assert s.title in head and re.search(r"about \d+:\d\d$", head), head
    assert "Right hand: palm · Right hand: fingers" in text
    assert "Welcome · The box · Closing" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", NEW)
def test_each_new_routine_exports_with_a_real_engine(name, tmp_path):
    out = tmp_path / f"{name}.wav"
    run = run_cli("export", name, "--engine", "pyttsx3", "-o", str(out), timeout=300)
    assert run.returncode == 0, run.stderr
    timeline = json.loads(out.with_suffix(".json").read_text())
    routine = load_routine(name)
    estimated = compile_script(routine, resolve(routine))
    assert [c["title"] for c in timeline["chapters"]] == [c.title for c in estimated.chapters()]
    with wave.open(str(out)) as w:
        audio_ms = w.getnframes() * 1000 / w.getframerate()
    assert abs(audio_ms - timeline["total_ms"]) <= 1
    assert 0.85 < timeline["total_ms"] / estimated.total_ms < 1.15  # the listed length is a fair estimate
    waits = [c for c in timeline["cues"] if c["type"] == "pause" and c["self_paced"]]
    assert [w["duration_ms"] for w in waits] == [
        c.duration_ms for c in estimated if isinstance(c, Pause) and c.self_paced
    ]
    first = next(c["text"] for c in timeline["cues"] if c["type"] == "say")
    assert first in out.with_suffix(".vtt").read_text()
