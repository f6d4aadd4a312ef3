"""Sides: what a ``per_side`` block repeats over (feet, hands, shoulders, upper and lower back ...).

A routine names its sides and, optionally, the options that pick them::

    sides:
      names: [right, left]   # the sides in their default order: any names, 2 or more
      which: hands           # an option: a choice that is a side's name = only that side,
                             #   any other choice (both, all ...) = every side
      first: first_hand      # an option whose choices are side names: that side goes first

Without ``sides:``, a routine with the options ``feet`` and ``first_foot`` gets
``{names: [right, left], which: feet, first: first_foot}``: the foot routine's
schema before sides existed (see /work/coord/ROUTINE-SCHEMA.md and README
"Sides"). Nothing here knows about feet beyond that one default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .text import did_you_mean

Fail = Callable[[str, str], Exception]

#: The schema of routines written before ``sides:`` existed.
LEGACY = {"names": ("right", "left"), "which": "feet", "first": "first_foot"}


@dataclass(frozen=True)
class Sides:
    """The sides of a routine, and the options that choose and order them."""

    names: tuple[str, ...]
    """Every side, in the default order (at least two, distinct)."""
    which: str | None = None
    """Option whose choice, when it is a side's name, limits the session to that side."""
    first: str | None = None
    """Option whose choice (a side's name) is done first; the rest follow in ``names`` order."""

    def order(self, options: Mapping[str, str]) -> list[str]:
        """The sides a session goes through, in order, for the chosen ``options``.

        ``which`` naming one side -> only that side; otherwise every side, the
        ``first`` option's side first, then the others in the order of ``names``.
        """
        chosen = options.get(self.which) if self.which else None
        if chosen in self.names:
            return [chosen]
        lead = options.get(self.first) if self.first else None
        if lead not in self.names:
            return list(self.names)
        return [lead] + [n for n in self.names if n != lead]

    def after(self, side: str, order: list[str]) -> str:
        """The side after ``side``: the next in the session's ``order``, wrapping round to the first.

        In a one-side session (``--hands left``) it is the next of ``names``, so
        "your other hand" still names a real hand. With two sides this is always
        the other one.
        """
        ring = order if len(order) > 1 else list(self.names)
        return ring[(ring.index(side) + 1) % len(ring)]


_SIDE_NAME = re.compile(r"^[a-z][a-z0-9'-]*( [a-z0-9'-]+)*$")


def validate(raw: Any, options: Mapping[str, Any], fail: Fail) -> Sides:
    """Check a ``sides:`` mapping against the routine's ``options`` (name -> spec with ``choices``).

    ``fail(path, message)`` makes the located error to raise. Checks: two or more
    distinct lowercase names; ``which`` is an option with at least one side
    among its choices and no choice that looks like a misspelt side; every
    choice of ``first`` is a side.
    """
    if not isinstance(raw, dict):
        raise fail("sides", "must be a mapping like {names: [right, left], which: hands, first: first_hand}")
    for key in raw:
        if key not in ("names", "which", "first"):
            raise fail(f"sides.{key}", f"unknown key{did_you_mean(key, ('names', 'which', 'first'))}")
    names = raw.get("names")
    if not isinstance(names, list) or len(names) < 2:
        raise fail("sides.names" if "names" in raw else "sides", "needs names: a list of two or more sides, like [right, left]")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not _SIDE_NAME.match(name) or len(name) > 40:
            raise fail(f"sides.names[{i}]", f"must be a short lowercase name like right or upper back, got {repr(name)}")
        if name in names[:i]:
            raise fail(f"sides.names[{i}]", f"{name!r} is listed twice")
    sides = Sides(tuple(names), raw.get("which"), raw.get("first"))
    _check_options(sides, options, fail, declared=True)
    return sides


def legacy(options: Mapping[str, Any], fail: Fail) -> Sides | None:
    """The foot routine's sides (``feet`` / ``first_foot`` options), or None if the routine has neither."""
    if LEGACY["which"] not in options or LEGACY["first"] not in options:
        return None
    sides = Sides(LEGACY["names"], LEGACY["which"], LEGACY["first"])
    hint = "; or declare the sides with a top-level sides: {names: [...], which: ..., first: ...}"
    _check_options(sides, options, lambda path, message: fail(path, message + hint), declared=False)
    return sides


def _check_options(sides: Sides, options: Mapping[str, Any], fail: Fail, *, declared: bool) -> None:
    listed = ", ".join(sides.names)
    for role in ("which", "first"):
        option = getattr(sides, role)
        if option is None:
            continue
        path = f"sides.{role}" if declared else f"options.{option}"
        if not isinstance(option, str) or option not in options:
            raise fail(path, f"must name one of the routine's options ({', '.join(options) or 'it has none'}), "
                             f"got {repr(option)}{did_you_mean(option, tuple(options))}")
        choices = options[option].choices
        for i, choice in enumerate(choices):
            if choice in sides.names:
                continue
            if role == "first":
                raise fail(f"options.{option}.choices[{i}]", f"{choice!r} is not a side ({listed}): "
                                                             f"every choice of the option that picks the first side must be a side")
            close = did_you_mean(choice, sides.names)
            if close:
                raise fail(f"options.{option}.choices[{i}]", f"{choice!r} is not a side ({listed}){close}")
        if role == "which" and not any(c in sides.names for c in choices):
            raise fail(path, f"option {option!r} picks no side: none of its choices ({', '.join(choices)}) is a side ({listed})")
