"""The drafted routine's steps as a small tree (Node), and the text helpers the rules share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import audioguide.draft.phrases as ph
from .. import slugs


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
    m = re.match(r"(?:to|finish with|start with|begin with)\s+([^,:;]+)", sentence, re.I)
    # a comma inside a number ("10,000") does not end the clause
    text = m.group(1) if m else re.split(r"(?<!\d),|,(?!\d)|[:;]| and | while ", ph.core(sentence) or sentence)[0]
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
