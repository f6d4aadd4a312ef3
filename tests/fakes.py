"""Test engines: fakes with exactly known output, and a fixture that registers them with undo.

Unit tests of logic use these beside the real engines (espeak-ng and piper),
which the pipeline, export and play tests use.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from audioguide import engines
from audioguide.engines.base import Speech
from audioguide.errors import UnknownEngineError


class FakeEngine:
    """10 samples per character at 8 kHz, each sample the length of the text; "FAIL" in a text fails.

    ``calls`` lists every text it was asked to speak (cache misses), in order.
    """

    name = "fake"

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()

    def version(self) -> str:
        return "fake 1"

    def voices(self):
        return []

    def default_voice(self) -> str:
        return "plain"

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        with self._lock:
            self.calls.append(text)
        time.sleep(self.delay)
        if "FAIL" in text.upper():  # texts arrive normalized: "FAIL" is lowered to "fail"
            raise RuntimeError("the fake engine choked\nsecond line of detail")
        if voice == "nobody":
            raise UnknownEngineError("unknown fake voice 'nobody'")
        n = round(len(text) * 10 / pace)
        return Speech(samples=np.full(n, len(text), dtype=np.int16), sample_rate=8000)


class ToneEngine:
    """A fake engine for pipeline tests: a 220 Hz tone, 20 ms per character of text.

    ``delay`` seconds per line imitates a slow engine; a text containing
    ``fail_on`` raises like an engine choking on one line.
    """

    name = "tone"

    def __init__(self, delay: float = 0.0, fail_on: str | None = None, level: int = 8000) -> None:
        self.delay, self.fail_on, self.level = delay, fail_on, level

    def version(self) -> str:
        return "1"

    def voices(self) -> list:
        return []

    def default_voice(self) -> str:
        return "v"

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in text:
            raise RuntimeError("synthesis backend crashed")
        t = np.arange(int(0.02 * len(text) * 22050)) / 22050
        return Speech((self.level * np.sin(2 * np.pi * 220 * t)).astype(np.int16), 22050)


@pytest.fixture
def register_engine(monkeypatch):
    """``register_engine(name, factory)``: an engine registered for one test and removed after it."""

    def register(name: str, factory) -> None:
        monkeypatch.setattr(engines, "_factories", dict(engines._factories))
        monkeypatch.setattr(engines, "_instances", dict(engines._instances))
        engines.register(name, factory)

    return register


class Finished:
    """What a stand-in sound device returns: playback that has already ended."""

    def is_playing(self) -> bool:
        return False

    def stop(self) -> None:
        pass


def recording_device(sent: list, stamp: bool = False, check=None):
    """A stand-in for the sound device that records what it is sent and finishes at once.

    ``sent`` gets each buffer (with ``stamp``: ``(time.monotonic(), buffer)``);
    ``check(buffer)``, if given, runs first (an assertion about what may be sent).
    """

    def device(samples):
        if check is not None:
            check(samples)
        sent.append((time.monotonic(), samples) if stamp else samples)
        return Finished()

    return device
