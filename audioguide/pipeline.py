"""A whole session: the stages strung together, for export, live play and the benchmark.

routine + settings --compile (estimated)--> texts --synthesize--> speech
--prepare (one gain for the voice)--> measured lengths --compile (measured)-->
exact script --mix--> Timeline. Export and play both start from here, so what
the speakers get and what the file holds are the same samples.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from . import mixer
from .compiler import compile_script
from .routine import Routine
from .script import Script
from .progress import CancelToken, ProgressFn
from .settings import Settings
from .synth import Synthesizer


@dataclass(frozen=True)
class PreparedSpeech:
    """Every spoken line of a session, trimmed, levelled and measured."""

    audio: dict[str, np.ndarray]
    """text -> samples at pcm.SAMPLE_RATE, ready to place (one gain for the whole voice)."""

    @property
    def lengths_ms(self) -> dict[str, int]:
        """text -> milliseconds its prepared segment needs (what the exact script is compiled with)."""
        return {text: mixer.speech_ms(samples) for text, samples in self.audio.items()}


#: Measured gains of the bundled voices (scripts/levels writes it; a test checks it is still true).
LEVELS = resources.files("audioguide") / "data" / "voice-levels.json"


def voice_key(synth: Synthesizer) -> str:
    """``engine/voice``: how the shipped level table names a voice."""
    return f"{synth.engine.name}/{synth.voice}"


@functools.cache
def shipped_levels() -> dict[str, float]:
    """voice key -> its measured gain in dB (``data/voice-levels.json``)."""
    return json.loads(LEVELS.read_text())


def voice_gain(synth: Synthesizer) -> float:
    """The one gain that puts this voice at the mix's target loudness.

    Bundled voices use their shipped measurement, so a first export or a live
    session does not wait for the reference passage; any other voice is
    measured on it (its lines are cached like any speech).
    """
    shipped = shipped_levels().get(voice_key(synth))
    return shipped if shipped is not None else mixer.voice_gain_db(synth.speak)


def prepare(texts: list[str], synth: Synthesizer, progress: ProgressFn | None = None,
            cancel: CancelToken | None = None) -> PreparedSpeech:
    """Every text spoken (through the cache), trimmed and levelled with the voice's one gain."""
    gain = voice_gain(synth)
    speech = synth.speak_all(texts, progress, cancel)
    return PreparedSpeech({t: mixer.prepare_speech(speech[t], gain) for t in texts})


def exact_script(routine: Routine, settings: Settings, synth: Synthesizer, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> tuple[Script, PreparedSpeech]:
    """The script with measured speech lengths, and the speech it was measured from."""
    texts = compile_script(routine, settings).spoken_texts()
    speech = prepare(texts, synth, progress, cancel)
    return compile_script(routine, settings, speech_ms=speech.lengths_ms), speech


def build_timeline(routine: Routine, settings: Settings, synth: Synthesizer, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> mixer.Timeline:
    """The whole session as one exact buffer (mono int16 at ``pcm.SAMPLE_RATE``)."""
    script, speech = exact_script(routine, settings, synth, progress, cancel)
    return mixer.mix(script, speech.audio)
