"""Written text -> spoken text: the whole corpus, and properties on any text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from audioguide.engines.base import Speech
from audioguide.spoken import ALLOWED_SYMBOLS, END, PHRASE, SENTENCE, normalize, number_words, phrases, to_spoken, words
from audioguide.synth import Synthesizer

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "spoken-corpus.yaml").read_text(encoding="utf-8"))["lines"]


def test_the_corpus_is_large_and_covers_every_rule():
    assert len(CORPUS) >= 100
    assert {line["rule"] for line in CORPUS} >= {
        "emoji", "number", "ordinal", "fraction", "range", "multiplier", "time", "unit", "abbreviation",
        "pause", "typography", "symbol", "plain",
    }


@pytest.mark.parametrize("line", CORPUS, ids=[line["written"][:40] for line in CORPUS])
def test_corpus_line(line):
    assert to_spoken(line["written"]) == line["spoken"]


@pytest.mark.parametrize("line", CORPUS, ids=[line["written"][:40] for line in CORPUS])
def test_spoken_text_is_left_as_it_is(line):
    """The synthesizer may normalize twice (the compiler already did): nothing changes the second time."""
    assert to_spoken(line["spoken"]) == line["spoken"]


def _clean(spoken: str) -> list[str]:
    """What in ``spoken`` an engine could read literally: digits and symbols outside the allowed set."""
    return [c for c in spoken if not (c.isalpha() or c in ALLOWED_SYMBOLS) or re.match(r"\d", c)]


class RecordingEngine:
    """Keeps every text it is given; 1 sample per character."""

    name = "recorder"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def version(self) -> str:
        return "1"

    def voices(self) -> list:
        return []

    def default_voice(self) -> str:
        return "v"

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        self.texts.append(text)
        return Speech(np.full(max(1, len(text)), 1000, np.int16), 8000)


SHORTHAND = st.sampled_from([
    "30s", "1-2", "3x10", "x3", "2x", "0:30", "1:30", "7:30am", "9 pm", "°", "°C", "%", "😊", "🧘‍♀️", "1️⃣", "w/",
    "w/o", "L/R", "...", "…", "—", "–", "-", "--", "(", ")", "[", "1.5", "0.5", "½", "#2", "no. 4", "$5", "€20",
    "2nd", "1/2", "5/10", "in/out", "/", "~", "≈", "+", "&", "@", "*", "_", "\"", "“", "’", "'", "`", "e.g.",
    "etc.", "Dr.", "approx.", "ea.", "AMRAP", "NOT", "reps", "sec", "min", "hrs", "Hold", "a", " ", ",", ".",
    "!", "?", ";", ":", "\ud83d", "\ude0a", "\u200d", "\ufe0f", "10,000", "99999999999999999999", "٣", "²", "A1",
])
LINES = st.one_of(
    st.text(max_size=80),
    st.lists(SHORTHAND, max_size=16).map(" ".join),
    st.lists(SHORTHAND, max_size=16).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_no_digit_and_no_unlisted_symbol_ever_reaches_an_engine(line):
    engine = RecordingEngine()
    Synthesizer(engine).speak(line)
    for text in engine.texts:
        assert not _clean(text), (line, text)
        assert not re.search(r"\d", text), (line, text)


@settings(max_examples=3000, deadline=None)
@given(LINES)
def test_normalizing_is_idempotent_and_phrases_cover_the_text(line):
    spoken = to_spoken(line)
    assert to_spoken(spoken) == spoken
    assert " ".join(p.text for p in phrases(spoken)) == spoken


def test_phrases_and_their_breaks():
    parts = phrases("First, move your foot. Slowly! Ready?")
    assert [(p.text, p.pause) for p in parts] == [
        ("First,", PHRASE), ("move your foot.", SENTENCE), ("Slowly!", SENTENCE), ("Ready?", END),
    ]
    assert phrases("") == []


def test_words_count_as_a_speaking_rate_counts_them():
    assert words("You'll rest, twenty-one times.") == ["You'll", "rest", "twenty", "one", "times"]


def test_pronunciations_are_whole_words_in_any_case_and_come_first():
    say = {"Achilles": "a kill eez", "reps": "repetitions", "L": "left side"}
    assert to_spoken("Stretch your achilles. 10 reps, L.", say) == "Stretch your a kill eez. Ten repetitions, left side."
    assert to_spoken("Achillesheel prep.", say) == "Achillesheel prep."  # not inside other words


def test_notes_name_what_may_still_be_read_oddly():
    assert normalize("Relax 😊 now.").notes == ()  # emoji are silent on purpose
    assert normalize("See § 3.").notes == ("the symbol '§' is not spoken",)
    assert "glued" in normalize("Grab the A1 mat.").notes[0]


@pytest.mark.parametrize("written,note", [
    ("1_000 steps.", "'1_000' has an underscore (write 1000)"),
    ("Code 0x10.", "'0x10' is hexadecimal (write 16)"),
    ("Do it 1e3 times.", "'1e3' has an exponent (write 1000)"),
    ("Call 555-1234.", "'555-1234' looks like a phone number (or a date) and is read digit by digit"),
    ("Ask R&D.", "'R&D' is read letter by letter, as \"R and D\""),
    ("Grab the A1 mat.", "a number is glued to letters ('A1')"),  # the whole word, not a piece of the line
])
def test_what_no_rule_says_as_meant_has_a_note_quoting_the_whole_token(written, note):
    assert normalize(written).notes == (note,)


@pytest.mark.parametrize("written", ["Stretch for 1-2 minutes.", "Walk 500-1000 m.", "Try 4-7-8 breathing.",
                                     "L&R.", "Stretch & breathe.", "3+ sets.", "Inhale + lift.", "Set-2."])
def test_ranges_counts_and_joins_are_not_taken_for_phone_numbers_signs_or_initials(written):
    spoken = normalize(written)
    assert spoken.notes == () and "minus" not in spoken.text and "plus" not in spoken.text


def test_huge_numbers_are_read_digit_by_digit():
    assert number_words(10**20) == " ".join(["one"] + ["zero"] * 20)
    assert to_spoken("1" * 400).lower().count("one") == 400


def test_a_valid_surrogate_pair_reads_as_its_character():
    assert to_spoken("Relax \ud83d\ude0a now.") == to_spoken("Relax 😊 now.") == "Relax now."
    assert to_spoken("Relax \ud83d now.") == "Relax now."  # never reaches an engine as a lone surrogate


def test_script_json_and_vtt_keep_the_written_text_and_carry_the_spoken(tmp_path):
    from audioguide.exporter import vtt_text
    from audioguide.routine import parse_routine
    from audioguide.settings import defaults
    from audioguide.compiler import compile_script

    routine = parse_routine("title: T\npronunciations: {Achilles: a kill eez}\n"
                            "steps:\n  - say: Hold for 30s 😊.\n  - say: Stretch your Achilles.\n  - say: Relax.\n")
    script = compile_script(routine, defaults(routine))
    says = [c for c in script.cues if c.type == "say"]
    assert [(c.text, c.spoken) for c in says[:3]] == [
        ("Hold for 30s 😊.", "Hold for thirty seconds."), ("Stretch your Achilles.", "Stretch your a kill eez."),
        ("Relax.", "Relax."),
    ]
    doc = script.to_json()
    assert doc["cues"][1]["text"] == "Hold for 30s 😊." and doc["cues"][1]["spoken"] == "Hold for thirty seconds."
    assert "Hold for thirty seconds." in script.render_table(spoken=True)
    assert "Hold for 30s 😊." in script.render_table() and "thirty" not in script.render_table()
    vtt = vtt_text(script)
    assert "NOTE spoken: Hold for thirty seconds.\n\n" in vtt and "\nHold for 30s 😊.\n" in vtt
    assert "NOTE spoken: Relax." not in vtt  # said as written: no note


def test_cli_script_spoken_and_a_lone_surrogate_is_a_located_error(tmp_path):
    from helpers import run_cli

    good = tmp_path / "good.yaml"
    good.write_text('title: T\nsteps:\n  - say: "Relax \\ud83d\\ude0a now, 1-2 min."\n', encoding="utf-8")
    out = run_cli("script", "--spoken", str(good))
    assert out.returncode == 0 and '"Relax now, one to two minutes."' in out.stdout
    assert '"Relax 😊 now, 1-2 min."' in run_cli("script", str(good)).stdout  # the pair reads as its character
    bad = tmp_path / "bad.yaml"
    bad.write_text('title: T\nsteps:\n  - say: "Relax \\ud83d now."\n', encoding="utf-8")
    run = run_cli("export", str(bad), "--engine", "pyttsx3", "-o", str(tmp_path / "x.wav"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"audioguide: error: {bad}:3: steps[0].say: holds a lone UTF-16 surrogate \\ud83d, which is not a character; "
        "write the emoji itself, or escape it whole as \\U0001F60A"]
