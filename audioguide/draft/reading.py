"""A plain-text guide -> its title, sections and units of text (the shapes, not the meaning).

Shapes understood: a title line or a framed title block (``=====`` lines around
it), Markdown (``#`` headings, ``-``/``*`` bullets, ``1.`` steps, ``> `` quotes,
``**bold:**`` labels), plain short heading lines, plain paragraphs, and web
text whose sub-headings were glued onto the next sentence ("Chair MethodYou
can sit ..."). Every input problem is a ``GuideError`` with one line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from ..errors import GuideError

#: A guide is a few pages; a web article saved as text is under 100 KB.
MAX_BYTES = 200_000

_FRAME = re.compile(r"^\s*([=\-*#~_+])\1{2,}\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*\u2022+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(?:step\s+)?(\d{1,3})[.):]\s+(.*)$", re.IGNORECASE)
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_LABEL = re.compile(r"^\s*(?:\*\*|__)([^*_:]{1,40}?):?(?:\*\*|__):?\s*(.*)$")
#: "Chair MethodYou can ...": a capitalized phrase glued onto the next sentence.
_GLUED = re.compile(r"^((?:[A-Z][\w'-]*\s+){0,5}[A-Z][\w'-]*[a-z]{2})([A-Z][a-z]+\b.*)$")
_SENTENCE_END = re.compile(r"([.!?])([\"')\]]*)\s+(?=[\"'(]?[A-Z0-9])")
#: Byte order marks, longest first (UTF-32-LE's starts with UTF-16-LE's); each codec drops its own mark.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SHOWN = {"utf-32": "UTF-32", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}
_ABBREVIATIONS = {"e.g", "i.e", "etc", "no", "dr", "mr", "mrs", "ms", "approx", "vs", "st", "min", "sec", "fig", "cf"}


@dataclass
class Unit:
    """A paragraph or a list item: the sentences that belong together."""

    sentences: list[str]
    kind: str = "paragraph"
    """``paragraph``, ``bullet`` or ``numbered``."""
    label: str | None = None
    """A lead-in label: ``Sitting`` of ``**Sitting:** sit on ...``, ``Chair Method`` of glued web text."""
    quote: bool = False


@dataclass
class Section:
    heading: str | None
    units: list[Unit] = field(default_factory=list)


@dataclass
class Guide:
    title: str | None
    title_notes: list[str]
    """Other lines of a title block (a subtitle, a leaflet number ...)."""
    sections: list[Section]


def decode(raw: bytes, display: str) -> str:
    """The guide's text; GuideError for empty, binary or oversized input.

    A byte order mark names the encoding (UTF-8, or UTF-16 and UTF-32, which
    Windows Notepad calls "Unicode"); without one, UTF-8, else Windows-1252.
    """
    if len(raw) > MAX_BYTES:
        raise GuideError(f"{display}: {len(raw):,} bytes is too big for a guide; the limit is {MAX_BYTES:,}")
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            shown = _SHOWN[encoding]
            raise GuideError(f"{display}: starts with a {shown} byte order mark but is not {shown} text "
                             f"(byte {exc.start:,})") from None
    elif b"\x00" in raw:
        raise GuideError(f"{display}: is a binary file, not a plain-text guide")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # a guide saved on Windows is still a guide
    if "\x00" in text:
        raise GuideError(f"{display}: is a binary file, not a plain-text guide")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(2, len(text) // 100):
        raise GuideError(f"{display}: is a binary file, not a plain-text guide")
    if not text.strip():
        raise GuideError(f"{display}: is empty")
    return text


def normalize(text: str) -> str:
    """Straight quotes and dashes, plain spaces, no Markdown links or inline code.

    Braces become parentheses: in a routine, ``{name}`` in a spoken line is a
    placeholder, so a guide's own braces would be read as unknown names. The
    four letters that case-insensitive patterns take for ASCII ones (long s,
    Kelvin sign, dotted and dotless i) become those: "30\u017f" is matched as
    "30s" but ``lower()`` keeps the long s, so it was no key of the rules'
    tables (a KeyError), and "the other \u017fide" made the option \u017fides.
    """
    for a, b in (("{", "("), ("}", ")"), ("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"),
                 ("\u2014", " - "), ("\u00a0", " "), ("\t", "    "), ("\r\n", "\n"), ("\r", "\n"), ("\f", "\n"),
                 ("\u017f", "s"), ("\u212a", "K"), ("\u0130", "I"), ("\u0131", "i")):
        text = text.replace(a, b)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    # Control and other unprintable characters (YAML refuses most of them) become spaces.
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in text)
    return text.replace("`", "")


def _plain(text: str) -> str:
    """Inline emphasis markers removed, whitespace collapsed."""
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<!\w)[*_](\S(?:.*?\S)?)[*_](?!\w)", r"\1", text)
    return " ".join(text.split())


def _is_heading_line(line: str) -> bool:
    words = line.split()
    if not words or len(words) > 9 or len(line) > 60:
        return False
    if line.rstrip()[-1] in ".,;:!" or not line[0].isupper() and not line[0].isdigit():
        return False
    return not _BULLET.match(line) and not _NUMBERED.match(line)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, keeping abbreviations (e.g., no. 14) whole."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start:m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if m.group(1) == "." and (last in _ABBREVIATIONS or len(last) == 1 and last.isalpha()):
            continue
        out.append(text[start:m.end(2)].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _title_block(lines: list[str]) -> tuple[str | None, list[str], int]:
    """(title, other title-block lines, index of the first line after the title)."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return None, [], i
    if _FRAME.match(lines[i]):  # a framed block: ===== / lines / =====
        end = next((j for j in range(i + 1, min(len(lines), i + 12)) if _FRAME.match(lines[j])), None)
        if end is not None:
            inner = [_plain(x) for x in lines[i + 1:end] if x.strip()]
            if inner:
                return inner[0], inner[1:], end + 1
    heading = _MD_HEADING.match(lines[i])
    if heading and len(heading.group(1)) == 1:
        return _plain(heading.group(2)), [], i + 1
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if _FRAME.match(nxt) and nxt.strip()[0] in "=-":  # a setext title: text over ====
        return _plain(lines[i]), [], i + 2
    if _is_heading_line(lines[i].strip()) and not nxt.strip() and not lines[i].rstrip().endswith("?"):
        return _plain(lines[i]), [], i + 1
    return None, [], i


def parse_guide(text: str) -> Guide:
    """Split normalized guide text into a title and sections of units."""
    lines = normalize(text).split("\n")
    title, notes, i = _title_block(lines)
    sections = [Section(None)]
    current: Unit | None = None  # the unit that the next plain line continues

    def start_section(heading: str) -> None:
        nonlocal current
        sections.append(Section(_plain(heading).rstrip(":")))
        current = None

    def add_unit(text: str, kind: str, quote: bool = False) -> Unit:
        label = None
        labelled = _LABEL.match(text)
        if labelled and labelled.group(2):
            label, text = _plain(labelled.group(1)), labelled.group(2)
        else:
            glued = _GLUED.match(_plain(text))
            if glued and kind == "paragraph":
                label, text = glued.group(1), glued.group(2)
        unit = Unit([_plain(text)], kind, label, quote)
        sections[-1].units.append(unit)
        return unit

    lines = lines[i:]
    for n, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            current = None
            continue
        if _FRAME.match(line):  # a setext underline or a rule: the line before was a heading
            if current is not None and current.kind == "paragraph" and len(current.sentences) == 1 \
                    and _is_heading_line(current.sentences[0]):
                sections[-1].units.pop()
                start_section(current.sentences[0])
            current = None
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            start_section(heading.group(2))
            continue
        quote = _QUOTE.match(line)
        if quote:
            line = quote.group(1)
            if not line.strip():
                continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if numbered:
            current = add_unit(numbered.group(3), "numbered", bool(quote))
            continue
        if bullet:
            current = add_unit(bullet.group(2), "bullet", bool(quote))
            continue
        prev_blank = n == 0 or not lines[n - 1].strip()
        next_line = lines[n + 1] if n + 1 < len(lines) else ""
        if prev_blank and _is_heading_line(line.strip()) and next_line.strip() and not _FRAME.match(next_line) \
                or prev_blank and _is_heading_line(line.strip()) and not next_line.strip() and n + 1 < len(lines):
            start_section(line)
            continue
        if current is not None and (current.kind == "paragraph" or raw.startswith((" ", "\t"))):
            current.sentences[-1] = f"{current.sentences[-1]} {_plain(line)}"
            continue
        current = add_unit(line, "paragraph", bool(quote))
    for section in sections:
        for unit in section.units:
            unit.sentences = [s for part in unit.sentences for s in split_sentences(part)]
        section.units = [u for u in section.units if u.sentences]
    sections = [s for s in sections if s.units or s.heading]
    return Guide(title, notes, sections)
