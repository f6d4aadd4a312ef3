"""A saved web page -> guide text in the shapes ``reading`` understands (Markdown headings, bullets, steps).

Read with the standard library's HTML parser (it tolerates the broken markup
real pages have, and decodes every character reference). Headings become
``#`` headings of their level, list items ``-`` bullets or ``1.`` steps,
paragraphs and other blocks paragraphs, ``<strong>`` Markdown bold (so a
``<strong>Sitting:</strong>`` lead-in is a label). Scripts, styles and the
page's furniture (navigation, forms, asides, footers) are dropped; when the
page marks its content (``<main>``, ``<article>``), only that is read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: A page: a doctype or an html/head/body tag first (after comments), or any text that starts
#: with a tag and closes a block (a fragment copied from a page).
_PAGE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_FRAGMENT = re.compile(r"^\s*<[a-z!]", re.I)
_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|ul|ol|section|article)\s*>", re.I)
#: Not part of what the page says: skipped with everything inside.
_SKIP = frozenset("script style noscript template svg canvas iframe object nav aside footer form button select "
                  "textarea dialog".split())
_BLOCKS = frozenset("p div section article main header blockquote pre table tr ul ol dl dt dd figure figcaption "
                    "address details summary center".split())
#: Elements whose end tag a page may leave out: never skipped by their marks, or the skip would never end.
_OPTIONAL_END = frozenset("p li dt dd tr td th option optgroup colgroup caption thead tbody tfoot rt rp".split())
#: Elements that never have a closing tag.
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_CONTENT = ("main", "article")
_ITEM = re.compile(r"^(?:- |\d+\. )")
#: Class or id words of a page's furniture inside its content: share buttons, ads, banners, comments.
_FURNITURE = re.compile(r"(?:^|[\s_-])(?:share|sharing|social|ads?|advert\w*|sponsored|promo|cookies?|consent|"
                        r"newsletter|subscribe|related|breadcrumbs?|comments?|popup|modal)(?:$|[\s_-])", re.I)


def is_html(text: str) -> bool:
    """Does ``text`` look like a web page (or a piece of one) rather than plain text or Markdown?"""
    return bool(_PAGE.match(text) or _FRAGMENT.match(text) and _BLOCK_END.search(text))


def page_text(html: str) -> str:
    """The page's words as guide text: ``# Title``, ``## Heading``, ``- item``, ``1. step``, paragraphs."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    return parser.text()


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []
        """(a block's text with its Markdown prefix, whether it is inside <main>/<article>)."""
        self.line: list[str] = []
        self.prefix = ""
        self.skipping: list[str] = []
        self.content = 0
        self.lists: list[list] = []
        """Open lists, innermost last: [tag, items so far]."""
        self.title: list[str] = []
        self.in_title = False

    # -- the parser's callbacks --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1] and tag not in _VOID:
                self.skipping.append(tag)  # the same element nested: count it to find the right end
            return
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        hidden = ("hidden", None) in attrs or ("aria-hidden", "true") in attrs or _FURNITURE.search(marks)
        if tag in _SKIP or hidden and tag not in _OPTIONAL_END:
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag == "title":
            self.in_title = True
        elif tag in _CONTENT:
            self.end_block()
            self.content += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.end_block()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol"):
            self.end_block()
            self.lists.append([tag, 0])
        elif tag == "li":
            self.end_block()
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                self.prefix = f"{self.lists[-1][1]}. "
            else:
                self.prefix = "- "
        elif tag == "blockquote":
            self.end_block()
            self.prefix = "> "
        elif tag in ("strong", "b"):
            self.line.append(" **")
        elif tag == "br":
            self.line.append("\n")  # a line of the same block: "1. Sit<br>2. Press" are two steps
        elif tag == "hr" or tag in _BLOCKS:
            self.end_block()
        elif tag in ("td", "th"):
            self.line.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag == "title":
            self.in_title = False
        elif tag in _CONTENT:
            self.end_block()
            self.content = max(0, self.content - 1)
        elif tag in ("ul", "ol"):
            self.end_block(closing=True)
            if self.lists:
                self.lists.pop()
        elif tag in ("strong", "b"):
            self.line.append("** ")
        elif re.fullmatch(r"h[1-6]", tag) or tag in ("li", "blockquote") or tag in _BLOCKS:
            self.end_block(closing=True)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        (self.title if self.in_title else self.line).append(data)

    # -- blocks --

    def end_block(self, closing: bool = False) -> None:
        """Emit the text gathered so far as one block; its prefix stays for the text still to come
        (``<li><p>``) unless something was emitted or the element closes."""
        lines = []
        for line in "".join(self.line).split("\n"):
            line = " ".join(line.split())
            line = re.sub(r"\*\*\s*\*\*", " ", line)  # bold with nothing in it
            line = re.sub(r"\*\*\s+(.*?)\s*\*\*", r"**\1**", line).strip()
            if line.strip("* "):
                lines.append(line)
        self.line = []
        if lines:
            self.blocks.append((self.prefix + "\n".join(lines), self.content > 0))
        if lines or closing:
            self.prefix = ""

    def text(self) -> str:
        self.end_block()
        content = [text for text, inside in self.blocks if inside]
        lines = content or [text for text, _ in self.blocks]
        title = " ".join("".join(self.title).split())
        title = re.split(r"\s+[|\u2013\u2014-]\s+", title)[0]  # "Neck stretches | Health Site" -> the first part
        if title and not any(line.startswith("# ") for line in lines):
            lines.insert(0, f"# {title}")
        out = lines[:1]
        for before, line in zip(lines, lines[1:]):  # a list's items on consecutive lines, as Markdown has them
            out.append(("\n" if _ITEM.match(before) and _ITEM.match(line) else "\n\n") + line)
        return "".join(out) + "\n"
