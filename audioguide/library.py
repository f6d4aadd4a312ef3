"""The bundled routines at a glance: title, default length and chapters of each.

What ``audioguide routines`` lists. Lengths are the compiler's estimate at the
routine's defaults (speech lengths guessed from the text, see
``compiler.estimate_speech_ms``); an export measures the real audio, usually
within a few percent of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .compiler import compile_script
from .routine import bundled_names, load_routine
from .settings import defaults


@dataclass(frozen=True)
class RoutineSummary:
    """One routine at its default settings."""

    name: str
    """The name to pass as ROUTINE (the file stem)."""
    title: str
    total_ms: int
    """Estimated length at the defaults, in ms."""
    chapters: tuple[str, ...]
    """Chapter titles in order, at the default options."""


def summarize(ref: str) -> RoutineSummary:
    """The summary of a routine by bundled name or path; RoutineError if it does not load."""
    routine = load_routine(ref)
    script = compile_script(routine, defaults(routine))
    return RoutineSummary(routine.name, routine.title, script.total_ms, tuple(c.title for c in script.chapters()))


def bundled() -> list[RoutineSummary]:
    """Every bundled routine's summary, by name."""
    return [summarize(name) for name in bundled_names()]
