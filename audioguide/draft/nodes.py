"""The drafted routine's steps as a small tree (Node), and the text helpers the rules share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import audioguide.draft.phrases as ph
from .. import slugs
from ..routine import MAX_TEXT


@dataclass
class Node:
    """One step of the drafted routine: its YAML key, its fields and any comments before it."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict)
    steps: list["Node"] = field(default_factory=list)
    """Inner steps of loop, for_each and per_side."""
    switch: list["Node"] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    group: int = -1
    """Which paragraph or list of the guide it came from."""
    role: str = ""
    """For a say: ``instruction``, ``note`` (advice or information), ``hold`` (says what to hold), ``choice``."""
    source: str = ""

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.steps + self.switch:
            yield from child.walk()


def say(text: str, group: int, role: str, then: Any = None, source: str = "", **extra: Any) -> Node:
    fields = {"say": text, **extra}
    if then is not None:
        fields["then"] = then
    return Node("say", fields, group=group, role=role, source=source or text)


#: Where a spoken line too long for one ``say`` is cut, in order of preference: after a sentence, after a
#: clause (a comma, a semicolon, a colon, a dash), between words. Each cut is a place just before a space.
_CUTS = (re.compile(r"[.!?][\"')\]]*(?= )"), re.compile(r"[,;:](?= )|(?<= )-(?= )"), re.compile(r"\S(?= )"))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` (spaces collapsed, as a routine reads it) in as few lines of at most ``limit`` characters as its
    sentences allow, of about the same length: cut after sentences, else after clauses, else between words.

    Only a single word longer than ``limit`` (a pasted link) is cut inside, never inside a ``{placeholder}``.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return [text]
    pieces = _pieces(text, 0, limit)
    target = len(text) / -(-len(text) // limit)  # the length of each line, were the text cut evenly
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) < target and len(lines[-1]) + 1 + len(piece) <= limit:
            lines[-1] = f"{lines[-1]} {piece}"
        else:
            lines.append(piece)
    return lines


def _pieces(text: str, level: int, limit: int) -> list[str]:
    """``text`` cut at every place of ``_CUTS[level]`` (and finer, where a piece is still too long)."""
    if len(text) <= limit:
        return [text]
    if level == len(_CUTS):  # one "word" longer than a line
        cut = limit
        brace = text.rfind("{", 0, cut)
        if brace > 0 and text.find("}", brace) >= cut:
            cut = brace
        return [text[:cut]] + _pieces(text[cut:], level, limit)
    ends = [m.end() for m in _CUTS[level].finditer(text)]
    parts = [text[a:b].strip() for a, b in zip([0] + ends, ends + [len(text)])]
    return [p for part in parts if part for p in _pieces(part, level + 1, limit)]


def fit_title(text: str, what: str) -> tuple[str, str]:
    """A title (or chapter title) the routine can hold, and a CHECK comment if the guide's was too long.

    Longer than ``MAX_TEXT`` less room for a side's name ("{Side} foot: ...", put before a chapter title in a
    per-side block), it is shortened to its first words (about 100 characters); else it is kept whole.
    """
    text = " ".join(text.split())
    if len(text) <= MAX_TEXT - 100:
        return text, ""
    return short(text, 100), (f"CHECK: the guide's {what} ({len(text):,} characters) is too long for a title: "
                              "shortened to its first words")


def fit_lines(nodes: list[Node]) -> list[Node]:
    """The steps with every spoken line too long for a routine split into several ``say`` lines (CHECK).

    The parts are spoken one after the other; the last keeps the line's time (``then`` or ``ready``), and
    its ``again``/``brief`` (the others say nothing then); each keeps its ``when``.
    """
    out: list[Node] = []
    for node in nodes:
        node.steps, node.switch = fit_lines(node.steps), fit_lines(node.switch)
        parts = split_text(node.fields["say"]) if node.key == "say" else []
        if len(parts) < 2:
            out.append(node)
            continue
        check = (f"CHECK: this line of the guide ({len(' '.join(node.fields['say'].split())):,} characters) is longer "
                 f"than a spoken line may be ({MAX_TEXT}): it is said as {len(parts)} lines, split where its "
                 "sentences (or clauses) end")
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            fields = {key: value if last else "" for key, value in node.fields.items() if key in ("brief", "again")}
            fields.update((key, value) for key, value in node.fields.items()
                          if key == "when" or last and key in ("then", "ready"))
            comments = node.comments + [check] if k == 0 else []
            out.append(Node("say", {"say": part, **fields}, comments=comments, group=node.group, role=node.role,
                            source=node.source))
    return out


def chapter_name_words(title: str) -> list[str]:
    """Content words of a chapter title that are not verbs: "Move To The Top" -> ["top"]."""
    words = re.sub(r"\{\w+\}", "", title).split()
    if words and words[0].lower() in ph.VERBS:
        words = words[1:]  # "Move To The Top" -> top
    return ph.name_words(" ".join(words))


def num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 1)


def short(text: str, n: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0].rstrip(",;:.") + " ..."


def help_text(what: str, text: str, amount: ph.Amount) -> str:
    clause = short(ph.clause_before(text, amount.start).strip(" ,") or text, 50)
    return f"{what} for \"{clause}\" (the guide: \"{amount.phrase}\")."


def speak(text: str, amount: ph.Amount, name: str) -> str:
    if amount.replace is None:
        return text
    a, b = amount.replace
    return text[:a] + amount.template.format("{" + name + "}") + text[b:]


def slug(text: str) -> str:
    """A choice's name (a YAML identifier: a letter first) from a guide's label: ``Café`` -> ``cafe``."""
    slug = slugs.slug(text, separator="_")
    return slug if slug and slug[0].isalpha() else f"choice_{slug}".strip("_")


def unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        candidate, n = name, 2
        while candidate in out:
            candidate, n = f"{name}_{n}", n + 1
        out.append(candidate)
    return out


def capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def strip_or(text: str) -> str:
    """"Or, if the first method does not appeal to you, you can sit ..." -> "You can sit ..."."""
    stripped = re.sub(r"^(?:or|alternatively)\b,?\s*(?:if [^,]*,\s*)?", "", text.strip(), flags=re.I)
    return capital(stripped)


def title_from(sentence: str) -> str:
    """A chapter title from a paragraph's first sentence: "To release a cramp, ..." -> "Release a cramp"."""
    # a comma or colon inside a number ("10,000", a clock "1:30") does not end the clause
    m = re.match(r"(?:to|finish with|start with|begin with)\s+((?:[^,:;]|(?<=\d)[,:](?=\d))+)", sentence, re.I)
    clause_end = r"(?<!\d)[,:]|[,:](?!\d)|;| and | while "
    text = m.group(1) if m else re.split(clause_end, ph.core(sentence) or sentence)[0]
    words = text.strip(" .").split()[:6]
    return capital(" ".join(words)) or "Part"


def movement(text: str) -> bool:
    return ph.first_word(ph.core(text)) in {"move", "turn", "tilt", "roll", "rotate", "circle", "flex", "point",
                                            "bend", "lift", "raise", "shrug", "nod", "rock", "curl", "spread",
                                            "make", "wiggle", "stroke", "rub", "tap", "pull", "push", "squeeze"}


def sequence(nodes: list[Node], says: list[int]) -> bool:
    """"First, move ... Then, move ...": several movements, each to repeat."""
    moves = [i for i in says if movement(nodes[i].source)]
    return len(moves) >= 2 and re.match(r"first\b", nodes[moves[0]].source, re.I) is not None
