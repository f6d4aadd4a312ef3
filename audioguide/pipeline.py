"""A whole session: the stages strung together, for export, live play and the benchmark.

routine + settings --compile (estimated)--> texts --synthesize--> speech
--prepare (one gain for the voice)--> measured lengths --compile (measured)-->
exact cues --render_span--> samples. Export and play both start from here, so
what the speakers get and what the file holds are the same samples.

Nothing here holds a whole session's audio: ``SessionStream`` speaks each line
when its cue is reached and hands the exporter the session in chunks, and
``PreparedSpeech`` keeps every line's length but only a bounded number of
prepared segments (a line that falls out is re-made from the speech cache).
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from importlib import resources

import numpy as np

from . import mixer
from .compiler import compile_script, speech_texts, stream_cues
from .engines.base import Speech
from .errors import MixError
from .pcm import SAMPLE_RATE, samples_to_ms
from .progress import CancelToken, Progress, ProgressFn, check_cancel
from .bed import BedSound, bed_track
from .render import CueTimes, render_span
from .routine import Routine
from .script import Script
from .settings import Settings
from .synth import Synthesizer

#: Bytes of prepared speech kept in memory (about 250 lines of 3 s). A line is
#: used right after it is prepared; a later repeat that has fallen out is
#: re-made from the speech cache (a file read and a prepare: milliseconds), so
#: memory stays flat however many lines a session has.
PREPARED_BUDGET_BYTES = 32 * 2**20


class PreparedSpeech(Mapping[str, np.ndarray]):
    """text -> prepared segment (``mixer.prepare_speech`` with the voice's one gain), made on demand.

    Every measured text keeps its length; the samples live in a
    least-recently-used store of at most ``budget`` bytes (always keeping the
    last one used). A text that fell out is spoken again through the
    synthesizer (a cache read) and prepared again: the same samples, since
    preparing is deterministic. Without a speech cache nothing is dropped (the
    engine might not say it the same way twice). Safe to share between threads
    (the live feed adds, the player reads). Raises ``KeyError`` for a text never
    measured, ``MixError`` if a re-made segment differs in length.
    """

    def __init__(self, synth: Synthesizer, gain_db: float, budget: int | None = None) -> None:
        self.synth, self.gain_db = synth, gain_db
        self.budget = None if synth.cache is None else budget if budget is not None else PREPARED_BUDGET_BYTES
        """Bytes of segments kept (``PREPARED_BUDGET_BYTES``); None keeps every one (no speech cache)."""
        self.samples: dict[str, int] = {}
        """text -> length of its prepared segment in samples, for every text measured."""
        self._store: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, text: str, speech: Speech) -> int:
        """Prepare ``speech`` as ``text``'s segment and keep it; its length in ms."""
        segment = mixer.prepare_speech(speech, self.gain_db)
        with self._lock:
            self.samples[text] = len(segment)
            self._keep(text, segment)
        return samples_to_ms(len(segment))

    def ms(self, text: str) -> int:
        """Milliseconds a measured text's segment needs (``mixer.speech_ms``)."""
        return samples_to_ms(self.samples[text])

    @property
    def lengths_ms(self) -> dict[str, int]:
        """text -> milliseconds, for every measured text (what the exact script is compiled with)."""
        return {text: samples_to_ms(n) for text, n in self.samples.items()}

    def __getitem__(self, text: str) -> np.ndarray:
        with self._lock:
            if text not in self.samples:
                raise KeyError(text)
            segment = self._store.get(text)
            if segment is not None:
                self._store.move_to_end(text)
                return segment
            segment = mixer.prepare_speech(self.synth.speak(text), self.gain_db)
            if len(segment) != self.samples[text]:
                raise MixError(f"the speech for {text[:60]!r} changed while it was being used"
                               " (was the speech cache cleared?): export again")
            self._keep(text, segment)
            return segment

    def __contains__(self, text: object) -> bool:
        return text in self.samples

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.samples))

    def __len__(self) -> int:
        return len(self.samples)

    def _keep(self, text: str, segment: np.ndarray) -> None:
        old = self._store.pop(text, None)
        self._bytes -= 0 if old is None else old.nbytes
        self._store[text] = segment
        self._bytes += segment.nbytes
        while self.budget is not None and self._bytes > self.budget and len(self._store) > 1:
            _, dropped = self._store.popitem(last=False)
            self._bytes -= dropped.nbytes


def uncached(synth: Synthesizer, texts: list[str]) -> set[str]:
    """The texts that are not in the speech cache: the engine will speak them."""
    return {text for text in texts if not synth.is_cached(text)}


class Measure(Mapping[str, int]):
    """text -> measured ms, speaking and preparing each text the first time it is asked for.

    The ``speech_ms`` of ``compiler.stream_cues`` and ``compile_script``.
    ``speeches``, if given, yields the Speech of ``texts`` in that order (a
    ``Synthesizer.speak_ahead``, which speaks on its own thread): asked for a
    text, the mapping takes speeches from it until that text is there.
    Otherwise each text is spoken when asked for. ``progress`` hears
    ``Progress("speaking (ENGINE)", done, total, "line")`` for the lines the
    engine must speak (cache hits are not counted: a warm run reports nothing);
    ``cancel`` is checked before each line (``Cancelled``).
    """

    def __init__(self, speech: PreparedSpeech, texts: list[str], progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, speeches: Iterator[Speech] | None = None,
                 missing: set[str] | None = None) -> None:
        self.speech, self.progress, self.cancel = speech, progress, cancel
        synth = speech.synth
        self.missing = missing if missing is not None else uncached(synth, texts)
        """The texts the engine speaks (found before ``speeches`` began filling the cache)."""
        self.stage = f"speaking ({synth.engine.name})"
        self.spoken = 0
        self._pairs = zip(texts, speeches) if speeches is not None else None
        self._report()

    def __getitem__(self, text: str) -> int:
        speech = self.speech
        while text not in speech:
            check_cancel(self.cancel)
            said, spoken = self._next(text)
            speech.add(said, spoken)
            if said in self.missing:
                self.spoken += 1
                self._report()
        return speech.ms(text)

    def _next(self, text: str) -> tuple[str, Speech]:
        if self._pairs is not None:
            try:
                return next(self._pairs)
            except StopIteration:
                check_cancel(self.cancel)  # the speaker was closed: stopping, not out of texts
                # Not among the estimated script's texts: cannot happen (speech
                # lengths never change the words), but speak it rather than fail.
        return text, self.speech.synth.speak(text)

    def _report(self) -> None:
        if self.progress is not None and self.missing:
            self.progress(Progress(self.stage, self.spoken, len(self.missing), "line"))

    def __iter__(self) -> Iterator[str]:
        return iter(self.speech)

    def __len__(self) -> int:
        return len(self.speech)


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


#: Lines the synthesizer may finish ahead of the line being laid out (bounded memory:
#: raw segments of a few seconds each).
SPEAK_AHEAD = 8


def exact_script(routine: Routine, settings: Settings, synth: Synthesizer, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> tuple[Script, PreparedSpeech]:
    """The script with measured speech lengths (every line spoken first), and its speech."""
    texts = speech_texts(compile_script(routine, settings))  # with every count's shorter forms, to fit beats
    speech = PreparedSpeech(synth, voice_gain(synth))
    missing = uncached(synth, texts)
    with synth.speak_ahead(texts, SPEAK_AHEAD) as speeches:
        lengths = Measure(speech, texts, progress, cancel, speeches, missing)
        for text in texts:
            lengths[text]
    return compile_script(routine, settings, speech_ms=speech.lengths_ms), speech


def build_timeline(routine: Routine, settings: Settings, synth: Synthesizer, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None, bed: BedSound | None = None) -> mixer.Timeline:
    """The whole session as one exact buffer (mono int16 at ``pcm.SAMPLE_RATE``), over ``bed`` if given."""
    script, speech = exact_script(routine, settings, synth, progress, cancel)
    return mixer.mix(script, speech, bed_track(bed, settings))


class SessionStream:
    """A session's exact samples, made as they are read: what ``exporter.export`` streams to the encoder.

    Making one starts speaking the session's lines on a worker thread
    (``Synthesizer.speak_ahead``), so the engine loads while the caller sets up
    the encoder. ``chunks()`` lays out the exact cues as each line is spoken
    (or read from the cache), measured and prepared, and renders every
    ``chunk`` samples once the cues cover them; ``script`` is the exact script
    once ``chunks()`` is done. Only ``--length`` measures every line before the
    first chunk (fitting needs all the lengths). A ``bed`` (``bed.load``) lies
    under the session at the settings' volume and ducking. The samples equal
    ``build_timeline``'s. Raises what the stages raise (``EngineError``,
    ``CacheError``, ``Cancelled``, ``CompileError``). Use it in a ``with`` block
    (or call ``close()``) so the worker stops if the chunks are not all read.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, routine: Routine, settings: Settings, synth: Synthesizer, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, chunk: int = mixer.CHUNK_SAMPLES,
                 bed: BedSound | None = None) -> None:
        self.routine, self.settings, self.synth = routine, settings, synth
        self.progress, self.cancel, self.chunk, self.bed = progress, cancel, chunk, bed
        self._texts = speech_texts(compile_script(routine, settings))  # counts' shorter forms too
        self._missing = uncached(synth, self._texts)  # before the worker fills the cache
        self._speeches = synth.speak_ahead(self._texts, SPEAK_AHEAD)
        self._script: Script | None = None

    @property
    def script(self) -> Script:
        if self._script is None:
            raise RuntimeError("the script is known once every chunk has been read")
        return self._script

    def chunks(self) -> Iterator[np.ndarray]:
        try:
            yield from self._render()
        finally:
            self.close()

    def _render(self) -> Iterator[np.ndarray]:
        routine, settings, texts = self.routine, self.settings, self._texts
        speech = PreparedSpeech(self.synth, voice_gain(self.synth))
        lengths = Measure(speech, texts, self.progress, self.cancel, self._speeches, self._missing)
        if settings.length_ms is not None:
            for text in texts:
                lengths[text]
            script = compile_script(routine, settings, speech_ms=speech.lengths_ms)
            cue_source: Iterator = iter(script.cues)
        else:
            cue_source = stream_cues(routine, settings, lengths)
        cues = CueTimes(speech, bed_track(self.bed, settings))
        done = 0
        for cue in cue_source:
            cues.add(cue)
            while cues.ready_end - done >= self.chunk:
                yield render_span(cues, done, done + self.chunk)
                done += self.chunk
        cues.finish()
        while done < cues.end:
            yield render_span(cues, done, min(cues.end, done + self.chunk))
            done += self.chunk
        self._script = Script(routine.name, routine.title, tuple(cues.cues), "measured", settings.record())

    def close(self) -> None:
        """Stop speaking ahead (after the line being spoken now)."""
        self._speeches.close()

    def __enter__(self) -> SessionStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
