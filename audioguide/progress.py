"""How long work reports its progress and hears that it should stop.

The library never prints: a front end passes a callback that draws a bar (the
CLI, with click, on a terminal), updates a web page, or does nothing, and a
cancel token (anything with ``is_set()``, such as ``threading.Event``) that
long work checks between lines of speech and between export stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One step of long work: ``done`` of ``total`` units of ``stage`` are finished."""

    stage: str
    """What is happening: ``speaking``, ``encoding mp3``, ``writing transcript`` ..."""
    done: int
    total: int
    unit: str = ""
    """What is counted: ``line`` (of speech) or ``stage`` (of an export)."""


ProgressFn = Callable[[Progress], None]


class CancelToken(Protocol):
    """Set by another thread to ask long work to stop (``threading.Event`` is one)."""

    def is_set(self) -> bool: ...


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise ``Cancelled`` if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")
