"""The cover draws any Latin, Greek or Cyrillic title with a real glyph for every character, leaves out
what its font lacks (CJK, most emoji) instead of drawing boxes, and reads back from every format."""

from __future__ import annotations

import base64
import io
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from mutagen.flac import Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis
from PIL import Image, ImageFont

from audioguide.cover import COVER_SIZE, FONT_FILE, MAX_LINES, cover_lines, cover_png, drawable, title_font
from audioguide.exporter import Metadata, export
from audioguide.mixer import Timeline
from audioguide.pcm import SAMPLE_RATE
from audioguide.script import Chapter, Say, Script, relay

#: Titles in scripts the font covers: every character must be drawn.
COVERED = [
    "Fußmassage für Anfänger",
    "Μασάζ ποδιών για αρχάριους",
    "Массаж стоп для начинающих",
    "Ćwiczenia stóp – łagodnie, «powoli»",
    "Þórsmörk: fótanudd í ró",
    "Café\u0301 au lait, naïve façade",  # a combining acute as typed on some keyboards
]


@pytest.fixture(scope="module")
def cmap() -> frozenset[int]:
    """The font's character map, read here independently of the code under test."""
    assert Path(FONT_FILE).is_file(), "scripts/setup installs fonts-dejavu-core"
    return frozenset(TTFont(FONT_FILE).getBestCmap())


def _no_space(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("title", COVERED)
def test_every_character_of_a_covered_title_is_drawn_with_a_glyph_of_the_font(title, cmap):
    lines = cover_lines(title)
    assert _no_space("".join(lines)) == _no_space(unicodedata.normalize("NFC", title))
    assert all(ord(ch) in cmap for ch in "".join(lines))


def test_no_drawn_character_is_the_missing_glyph_box(cmap):
    """Rendered alone, each character of the titles differs from what the font draws for a character it lacks."""
    font = title_font(48)
    assert 0x10FFFD not in cmap
    box = np.asarray(font.getmask("\U0010fffd"))  # a private-use code point: the font's missing-glyph box
    for ch in sorted(set(_no_space("".join("".join(cover_lines(t)) for t in COVERED)))):
        assert not np.array_equal(np.asarray(font.getmask(ch)), box), ch


@pytest.mark.parametrize("title, drawn", [
    ("Relax \U0001f9b6 now \u2728", "Relax now"),  # foot and sparkles: in no installed font
    ("足部按摩 Foot massage", "Foot massage"),  # CJK: left out (README says so)
    ("\U0001f9d8\U0001f9d8", ""),
    ("Calm \u263a", "Calm \u263a"),  # a symbol DejaVu has is drawn
])
def test_characters_the_font_lacks_are_left_out(title, drawn, cmap):
    assert drawable(title) == drawn
    assert all(ord(ch) in cmap for ch in "".join(cover_lines(title)))


def test_a_long_word_is_broken_to_fit_and_the_title_keeps_to_four_lines():
    lines = cover_lines("Fußreflexzonenmassagegrundlagenübungsprogramm " * 6)
    assert len(lines) <= MAX_LINES
    font = title_font(24)
    assert all(font.getlength(line) <= COVER_SIZE * 0.84 for line in lines)


def test_pillows_default_font_would_have_drawn_boxes():
    """Why the cover has its own font: the built-in one has no ß, ü, Greek or Cyrillic."""
    builtin = frozenset(TTFont(ImageFont.load_default(size=10).path).getBestCmap())
    assert not all(ord(ch) in builtin for ch in "ßüΜМ")


# -- read back from the files -------------------------------------------------


def _title_bands(png: bytes) -> int:
    """How many separate bands of near-white text pixels the title area holds (one per line drawn)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)
    area = pixels[int(COVER_SIZE * 0.5):int(COVER_SIZE * 0.88)]
    rows = (area > 235).sum(axis=1) > 0
    return int(np.count_nonzero(rows[1:] & ~rows[:-1]) + rows[0])


def _covers(path: Path) -> bytes:
    if path.suffix == ".mp3":
        return ID3(path).getall("APIC")[0].data
    if path.suffix == ".m4b":
        return bytes(MP4(path).tags["covr"][0])
    return Picture(base64.b64decode(OggVorbis(path).tags["METADATA_BLOCK_PICTURE"][0])).data


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "ogg"])
def test_a_non_ascii_cover_reads_back_from_the_file(tmp_path, fmt):
    title = COVERED[2]
    script = relay(Script("t", title, (Chapter(title=title), Say(text="x", chapter=title))), lambda c: 500)
    timeline = Timeline(np.zeros(SAMPLE_RATE, np.int16), SAMPLE_RATE, script)
    path = export(timeline, tmp_path / f"c.{fmt}", meta=Metadata(title=title))[0]
    png = _covers(path)
    assert png == cover_png(title)
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (COVER_SIZE, COVER_SIZE))
    assert _title_bands(png) == len(cover_lines(title)) == 3
    assert _title_bands(cover_png("")) == 0
