"""The synthesize stage: texts become Speech through the cache, or the engine on a miss.

Every text is first rewritten as it is to be spoken (``spoken.normalize``: no
symbol, digit or emoji reaches an engine) and then said phrase by phrase with
the pauses of a calm guide (``phrasing.speak_phrases``). The cache is keyed on
the spoken text, with the versions of both rules.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Mapping

from .cache import SpeechCache, speech_key
from .engines.base import Engine, Speech
from .errors import EngineError, UnknownEngineError
from .progress import CancelToken, Progress, ProgressFn, check_cancel
from .text import first_line
from .phrasing import PHRASING_VERSION, speak_phrases
from .spoken import SPEECH_RULES_VERSION, normalize

_SHOWN_TEXT = 60
"""How much of a failing text an error message quotes."""


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN_TEXT else flat[: _SHOWN_TEXT - 3] + "..."


class Synthesizer:
    """Speaks texts with one engine, voice and pace, through an optional speech cache.

    Safe to share between threads (the live player speaks ahead on a worker).
    """

    def __init__(
        self,
        engine: Engine,
        voice: str | None = None,
        pace: float = 1.0,
        cache: SpeechCache | None = None,
        pronunciations: Mapping[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.voice = voice if voice is not None else engine.default_voice()
        """The voice used for every text (the engine's default if none was given)."""
        self.pace = pace
        """1.0 is the normal calm rate; 1.2 is 20% faster."""
        self.cache = cache
        """Where speech is looked up and stored; None synthesizes every time."""
        self.pronunciations = dict(pronunciations or {})
        """The routine's own words: word -> how to say it (``spoken.normalize``)."""
        self.engine_calls = 0
        """How many texts the engine synthesized (cache misses)."""
        self.cache_hits = 0
        """How many texts came from the cache."""
        self._engine_version: str | None = None
        self._count_lock = threading.Lock()

    def spoken(self, text: str) -> str:
        """``text`` as the engine will be given it (idempotent: spoken text stays as it is)."""
        return normalize(text, self.pronunciations).text

    def key(self, text: str) -> str:
        """The cache key of ``text`` with this engine, voice and pace: that of its spoken form."""
        if self._engine_version is None:
            self._engine_version = (
                f"{self.engine.version()}; speech rules {SPEECH_RULES_VERSION}; {PHRASING_VERSION}"
            )
        return speech_key(self.engine.name, self._engine_version, self.voice, self.pace, self.spoken(text))

    def speak(self, text: str) -> Speech:
        """The speech for ``text``: from the cache, else from the engine (and then cached)."""
        key = self.key(text)
        speech = self._cached(key)
        return speech if speech is not None else self._synthesize(key, text)

    def is_cached(self, text: str) -> bool:
        """Whether ``text`` is in the cache: speaking it will not need the engine (unless the entry is damaged)."""
        return self.cache is not None and self.cache.has(self.key(text))

    def speak_all(self, texts: Iterable[str], progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None) -> dict[str, Speech]:
        """Speech for every distinct text, in first-seen order.

        ``progress`` hears ``Progress("speaking (ENGINE)", done, total, "line")`` before
        the first and after each line the engine synthesizes (cache hits are
        not counted: a warm run reports nothing). ``cancel`` is checked before
        each of those lines (``Cancelled``); what was spoken stays cached.
        """
        keys = {text: self.key(text) for text in texts}
        found = {text: self._cached(key) for text, key in keys.items()}
        missing = [text for text, speech in found.items() if speech is None]
        stage = f"speaking ({self.engine.name})"
        for done, text in enumerate(missing):
            if progress is not None:
                progress(Progress(stage, done, len(missing), "line"))
            check_cancel(cancel)
            found[text] = self._synthesize(keys[text], text)
        if progress is not None and missing:
            progress(Progress(stage, len(missing), len(missing), "line"))
        return found

    def speak_ahead(self, texts: Iterable[str], ahead: int = 2) -> SpeakAhead:
        """Speech for ``texts`` in order, synthesized up to ``ahead`` texts ahead on a worker thread.

        Use it as ``with synth.speak_ahead(texts) as speeches: for speech in speeches: ...``
        or call ``close()``; leaving the loop early stops the worker.
        """
        return SpeakAhead(self, texts, ahead)

    def _cached(self, key: str) -> Speech | None:
        if self.cache is None:
            return None
        speech = self.cache.get(key)
        if speech is not None:
            with self._count_lock:
                self.cache_hits += 1
        return speech

    def _synthesize(self, key: str, text: str) -> Speech:
        with self._count_lock:
            self.engine_calls += 1
        try:
            speech = speak_phrases(
                lambda phrase: self.engine.synthesize(phrase, voice=self.voice, pace=self.pace),
                self.spoken(text), self.pace,
                cut_at_commas=not getattr(self.engine, "makes_phrase_breaks", False),
            )
        except UnknownEngineError:
            raise  # A bad --voice is the user's input, not this text's fault.
        except Exception as error:
            raise EngineError(f'{self.engine.name} failed on "{_shorten(text)}": {first_line(error)}') from error
        if self.cache is not None:
            self.cache.put(key, speech)
        return speech


class SpeakAhead:
    """Iterator of Speech for a list of texts, synthesized ahead on a daemon thread.

    At most ``ahead`` finished segments wait in memory. An engine error is
    raised from ``__next__`` at the position of the text that failed.
    ``close()`` (or leaving a ``with`` block) stops the worker after the text it
    is speaking and waits for it to end; iteration then stops.
    """

    _END = object()
    _POLL_SECONDS = 0.1
    """How often blocked calls look whether the other side has closed."""

    def __init__(self, synth: Synthesizer, texts: Iterable[str], ahead: int = 2) -> None:
        if ahead < 1:
            raise ValueError(f"ahead must be at least 1, got {ahead}")
        self._queue: queue.Queue[object] = queue.Queue(maxsize=ahead)
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(synth, list(texts)), name="audioguide-speak-ahead", daemon=True
        )
        self._thread.start()

    def _work(self, synth: Synthesizer, texts: list[str]) -> None:
        try:
            for text in texts:
                if self._closed.is_set() or not self._offer(synth.speak(text)):
                    return
        except Exception as error:
            # Handed to the consumer, which raises it in its own thread.
            self._offer(error)
            return
        self._offer(self._END)

    def _offer(self, item: object) -> bool:
        """Queue ``item``, waiting for room; False if closed meanwhile."""
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=self._POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> SpeakAhead:
        return self

    def __next__(self) -> Speech:
        while True:
            if self._closed.is_set():
                raise StopIteration
            try:
                item = self._queue.get(timeout=self._POLL_SECONDS)
                break
            except queue.Empty:
                continue
        if item is self._END:
            self.close()
            raise StopIteration
        if isinstance(item, Exception):
            self.close()
            raise item
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop synthesizing ahead; returns once the worker has finished its current text."""
        self._closed.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> SpeakAhead:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def make_synthesizer(engine: str = "auto", voice: str | None = None, pace: float = 1.0,
                     cache: SpeechCache | None = None, pronunciations: Mapping[str, str] | None = None
                     ) -> Synthesizer:
    """A Synthesizer for the named engine ("auto": piper if installed, else pyttsx3) with the on-disk cache.

    An unknown engine or voice raises UnknownEngineError here, before any work.
    """
    from . import engines

    chosen = engines.get(engines.resolve(engine))
    if voice is not None:
        engines.check_voice(chosen, voice)
    return Synthesizer(chosen, voice, pace, cache if cache is not None else SpeechCache(), pronunciations)
