"""What every speech engine provides: a small Protocol and the audio it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Speech:
    """Synthesized speech with its format attached (not a path)."""

    samples: np.ndarray
    """Mono signed 16-bit samples (dtype int16, 1-D)."""
    sample_rate: int
    """Samples per second."""

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / self.sample_rate)


@dataclass(frozen=True)
class Voice:
    """A voice an engine offers."""

    name: str
    """What ``--voice`` takes."""
    description: str = ""


class Engine(Protocol):
    """A speech engine. Built-in engines register themselves like any other would."""

    name: str

    def version(self) -> str:
        """Engine and voice-data version: part of every cache key."""
        ...

    def voices(self) -> list[Voice]:
        ...

    def default_voice(self) -> str:
        ...

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        """Speak ``text``; ``pace`` 1.0 is the normal calm rate, 1.2 is 20% faster.

        Raises EngineError (UnknownEngineError for a voice that does not exist).
        """
        ...
