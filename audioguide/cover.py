"""The generated cover: a calm square picture (dusk gradient, a soft moon, the title) as PNG bytes.

The title is drawn with DejaVu Sans from Debian's ``fonts-dejavu-core`` (scripts/setup
installs it; fontconfig, which ffmpeg pulls in, already depends on it): Latin with
every accent, Greek and Cyrillic, also Armenian, Georgian and Hebrew. A character the
font has no glyph for (Chinese, Japanese, Korean, most emoji) is left out of the
picture, never drawn as a box: the font's own character map (read with fontTools)
says which it has. Where that font is missing (another system), Pillow's built-in
font draws the title under the same rule, which keeps only basic Latin.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from typing import BinaryIO

from PIL import Image, ImageDraw, ImageFont

#: Cover image edge in pixels: what phone players show, small enough to embed.
COVER_SIZE = 600

#: Where Debian's fonts-dejavu-core puts DejaVu Sans.
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

#: The title's largest and smallest font size in pixels, and the most lines it may take.
TITLE_SIZES = range(60, 22, -4)
MAX_LINES = 4


@functools.lru_cache(maxsize=8)  # the exporter draws it ahead, while speech is spoken
def cover_png(title: str) -> bytes:
    """A 600 px square PNG cover with ``title`` on it; the same title always gives the same bytes."""
    size = COVER_SIZE
    top = Image.new("RGB", (size, size), (28, 58, 74))
    bottom = Image.new("RGB", (size, size), (112, 160, 158))
    image = Image.composite(bottom, top, Image.linear_gradient("L").resize((size, size))).convert("RGBA")

    glow = Image.new("RGBA", image.size)
    draw = ImageDraw.Draw(glow)
    draw.ellipse((size * 0.32, size * 0.12, size * 0.68, size * 0.48), fill=(250, 236, 210, 70))
    draw.ellipse((size * 0.37, size * 0.17, size * 0.63, size * 0.43), fill=(250, 236, 210, 110))
    image = Image.alpha_composite(image, glow)

    draw = ImageDraw.Draw(image)
    font, lines = _fit_title(draw, drawable(title), width=int(size * 0.84))
    line_h = font.size * 1.2
    y = size * 0.70 - line_h * len(lines) / 2
    for line in lines:
        draw.text((size / 2, y), line, font=font, fill=(250, 246, 238), anchor="ma")
        y += line_h
    draw.text((size / 2, size * 0.93), "audioguide", font=title_font(22), fill=(232, 240, 236, 200), anchor="ms")

    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def cover_lines(title: str) -> list[str]:
    """The lines of ``title`` as ``cover_png`` draws them (after ``drawable`` and wrapping)."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    return _fit_title(draw, drawable(title), width=int(COVER_SIZE * 0.84))[1]


def drawable(title: str) -> str:
    """``title`` without the characters the cover font cannot draw, spaces collapsed (NFC first,
    so that ``e`` + combining acute is drawn as the one glyph ``é``)."""
    glyphs = font_characters()
    kept = "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", title)
                   if ch.isspace() or ord(ch) in glyphs)
    return " ".join(kept.split())


def title_font(size: int) -> ImageFont.FreeTypeFont:
    """The cover font at ``size`` pixels: DejaVu Sans, or Pillow's built-in font without it."""
    source = _font_source()
    if source is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(source, size)


@functools.cache
def font_characters() -> frozenset[int]:
    """The code points the cover font has a glyph for (its cmap table)."""
    from fontTools.ttLib import TTFont  # only for covers: 0.1-0.5 s to import and read

    source: str | BinaryIO | None = _font_source()
    if source is None:
        source = ImageFont.load_default(size=10).path  # the built-in font's bytes
        source.seek(0)  # type: ignore[union-attr]
    return frozenset(TTFont(source, lazy=True).getBestCmap())


@functools.cache
def _font_source() -> str | None:
    try:
        with open(FONT_FILE, "rb"):
            return FONT_FILE
    except OSError:
        return None


def _fit_title(draw: ImageDraw.ImageDraw, title: str, width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which ``title`` wraps into at most ``MAX_LINES`` lines of ``width`` pixels.

    At the smallest size a word too long for one line is broken between
    characters, and lines past the last are left out.
    """
    for size in TITLE_SIZES:
        font = title_font(size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= MAX_LINES and all(draw.textlength(line, font=font) <= width for line in lines):
            return font, lines
    return font, _wrap(draw, title, font, width, break_words=True)[:MAX_LINES]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int,
          break_words: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` pixels; an over-long word keeps its own line unless ``break_words``."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
        while break_words and len(line) > 1 and draw.textlength(line, font=font) > width:
            cut = 1  # the longest start of the line that fits (at least one character)
            while cut < len(line) and draw.textlength(line[:cut + 1], font=font) <= width:
                cut += 1
            lines.append(line[:cut])
            line = line[cut:]
    return lines + [line] if line else lines
