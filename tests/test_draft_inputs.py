"""audioguide draft on the guides people have at hand: Notepad's "Unicode" text, saved web pages, exercise shorthand."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
import yaml

from audioguide.compiler import compile_script
from audioguide.draft import draft_routine, phrases
from audioguide.draft.webpage import is_html, page_text
from audioguide.errors import GuideError
from audioguide.routine import parse_routine
from audioguide.script import Say
from audioguide.settings import resolve

GUIDES = Path(__file__).parent / "data" / "guides"

def said(routine_text: str) -> list[str]:
    """Every line the drafted routine speaks (what compiles, with the default settings)."""
    routine = parse_routine(routine_text)
    return [c.text for c in compile_script(routine, resolve(routine)).cues if isinstance(c, Say)]


GUIDE = "Neck stretch\n\nTilt your right ear towards your shoulder for ten seconds.\n\nRoll your shoulders 8 times.\n"


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE),  # Windows Notepad's "Unicode"
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-be", codecs.BOM_UTF32_BE),
    ("utf-8", codecs.BOM_UTF8),
])
def test_text_with_a_byte_order_mark_is_read_in_its_encoding(encoding, bom):
    raw = bom + GUIDE.replace("Neck", "Nück").encode(encoding)
    assert draft_routine(raw) == draft_routine(GUIDE.replace("Neck", "Nück"))
    assert yaml.safe_load(draft_routine(raw))["title"] == "Nück stretch"


@pytest.mark.parametrize("raw, message", [
    (codecs.BOM_UTF16_LE + b"N\x00e", "upload.txt: starts with a UTF-16 byte order mark but is not UTF-16 text (byte 4)"),
    (codecs.BOM_UTF16_LE + "Stand up.\x00".encode("utf-16-le"), "upload.txt: is a binary file"),
    (b"Stand\x00up.", "upload.txt: is a binary file"),  # NULs without a mark: still binary
])
def test_a_broken_unicode_guide_is_one_line(raw, message):
    with pytest.raises(GuideError) as caught:
        draft_routine(raw, display="upload.txt")
    assert str(caught.value).startswith(message)


# -- saved web pages -----------------------------------------------------------

PAGE = Path(__file__).parent / "data" / "pages" / "neck-stretches.html"


def test_a_saved_web_page_is_read_as_its_words_headings_and_lists():
    text = page_text(PAGE.read_text(encoding="utf-8"))
    assert text.startswith("# Neck Stretches: 4 Moves for a Stiff Neck\n")
    assert "## 1. Ear to shoulder\n" in text and "\n1. Sit up tall in a chair" in text
    assert "\n2. Tilt your right ear towards your right shoulder. Hold 30s.\n" in text  # items on consecutive lines
    assert "\n- Look straight ahead" in text and "**Tip:** keep your chin level" in text
    assert "shoulders \u2014 the ones" in text and "other side & hold again" in text  # entities decoded
    for furniture in ("<", "cookies", "Accept all", "Fitness", "Search", "Advertisement", "Facebook", "Related",
                      "Lower Back", "Privacy", "dataLayer", "schema.org", "columns"):
        assert furniture not in text, furniture


def test_a_saved_web_page_drafts_like_a_guide_with_no_tags_in_its_lines():
    drafted = draft_routine(PAGE)
    doc = yaml.safe_load(drafted)
    assert doc["title"] == "Neck Stretches: 4 Moves for a Stiff Neck"
    chapters = [s["chapter"] for s in doc["steps"] if "chapter" in s]
    assert chapters == ["Before you start", "1. Ear to shoulder", "2. Chin tucks", "3. Shoulder rolls", "4. Neck rotation"]
    lines = said(drafted)
    assert "Tilt your right ear towards your right shoulder." in lines and "Hold 30 seconds." in lines
    assert not [line for line in lines if re.search(r"[<>]|\bp\b|\bcol\b|cookie|Facebook", line)]


def test_a_piece_of_a_page_is_html_too_but_text_that_mentions_tags_is_not():
    lines = said(draft_routine(b"<p>Tilt your right ear to your shoulder.</p>\n<p class=col>Hold 30s.</p>"))
    assert lines[1:3] == ["Tilt your right ear to your shoulder.", "Hold 30 seconds."] and lines[-1] == "And release."
    assert is_html("<!-- saved -->\n<!DOCTYPE html><html><body><p>x</p></body></html>")
    # An element whose end tag the page leaves out is never skipped whole: the rest of the page would go with it.
    assert page_text("<ul><li class=comment>Hi<li>Press your thumb.</ul><p hidden>Note<p>Sit down.").endswith(
        "- Press your thumb.\n\nNote\n\nSit down.\n")
    for text in ("Press < 5 kg. Use a <soft> ball.", "# Title\n\nPress your thumb.\n<b>hi</b>",
                 *(p.read_text(encoding="utf-8") for p in GUIDES.iterdir())):
        assert not is_html(text), text[:40]


# -- exercise shorthand --------------------------------------------------------


@pytest.mark.parametrize("sentence, unit, value, sets", [
    ("Hold 30s.", "seconds", 30, None),
    ("Hold a 30-second stretch.", "seconds", 30, None),
    ("Walk 2min.", "seconds", 120, None),
    ("Do chin tucks 3x10.", "count", 10, 3),
    ("Roll your shoulders, 3 x 10 reps.", "count", 10, 3),
    ("Hold the stretch 2 \u00d7 30s.", "seconds", 30, 2),
    ("Do 3 sets of 12 squats.", "count", 12, 3),
    ("Chin tucks x10.", "count", 10, None),
    ("Repeat 10x.", "count", 10, None),
])
def test_exercise_shorthand_amounts(sentence, unit, value, sets):
    (amount,) = phrases.find_amounts(sentence)
    assert (amount.unit, amount.value, amount.sets and amount.sets.value) == (unit, value, sets)


def test_hold_30s_is_a_hold_of_30_seconds():
    drafted = draft_routine("Neck\n\nTilt your right ear to your shoulder. Hold 30s.\n")
    doc = yaml.safe_load(drafted)
    (name,) = [n for n, s in doc["settings"].items() if s["default"] == 30]
    holds = [s["hold"] for s in doc["steps"] if "hold" in s]
    assert holds == [{"seconds": name, "style": "countdown", "release": "And release."}]
    assert f"Hold {{{name}}} seconds." in [s.get("say") for s in doc["steps"]]


def test_sets_of_repetitions_are_a_loop_of_counted_repeats():
    drafted = draft_routine("Chin tucks\n\n- Draw your chin straight back. 3x10.\n- Do 2 sets of 5 squats.\n")
    doc = yaml.safe_load(drafted)
    loops = [s["loop"] for s in doc["steps"] if "loop" in s]
    assert [doc["settings"][loop["count"]]["default"] for loop in loops] == [3, 2]
    first = loops[0]["steps"]
    assert first[0]["say"].startswith("Draw your chin straight back, {") and first[0]["again"] == "Set {n} of {count}."
    assert doc["settings"][first[1]["repeat"]["count"]]["default"] == 10
    assert '# CHECK: "3x10" is read as 3 sets of 10 repetitions, with no rest between sets' in drafted
    assert drafted.count("# CHECK: \"") == 1  # "2 sets of 5" says what it means
    lines = said(drafted)
    assert lines.count("Set 2 of 3.") == lines.count("Set 3 of 3.") == 1 and lines.count("Set 2 of 2.") == 1
    assert "Draw your chin straight back, 3 sets of 10." in lines
    assert lines.count("Ten.") == 3 and lines.count("Five.") == 3 + 2  # each set counts its repetitions aloud


def test_sets_of_holds_are_a_loop_of_holds():
    drafted = draft_routine("Calf\n\nHold the calf stretch 2 x 30s.\n")
    lines = said(drafted)
    assert "Hold the calf stretch 2 sets of 30 seconds." in lines and lines.count("And release.") == 2
    assert lines.count("Set 2 of 2.") == 1


@pytest.mark.parametrize("odd, plain", [
    ("Hold your foot for 30\u017f.", "Hold your foot for 30s."),  # long s: was a KeyError
    ("Press your heel for 30 \u017feconds. Repeat 3 t\u0131mes.", "Press your heel for 30 seconds. Repeat 3 times."),
    ("Press your foot, then switch to the other \u017fide.", "Press your foot, then switch to the other side."),
    ("Press your \u212anee for 10 seconds.", "Press your Knee for 10 seconds."),  # Kelvin sign
])
def test_letters_that_case_insensitive_patterns_take_for_ascii_are_read_as_ascii(odd, plain):
    # re.IGNORECASE matches long s, the Kelvin sign and dotted/dotless i to s, k and i, but lower() keeps them:
    # "30\u017f" was a unit with no entry (KeyError), "the other \u017fide" the option name "\u017fides" (no compile)
    text = draft_routine(odd)
    parse_routine(text)
    assert text == draft_routine(plain)
