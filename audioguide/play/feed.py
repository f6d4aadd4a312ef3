"""The feed: fills the cue index from the streaming compiler, speech synthesized ahead.

A daemon thread iterates ``compiler.stream_cues`` with ``pipeline.Measure`` as
its ``speech_ms``, as the export does. Asked for a text, it pulls speech from
``Synthesizer.speak_ahead`` (which synthesizes the session's texts in order on
its own worker) until that text is there, prepares it with the voice's one gain
(``pipeline.voice_gain``: instant for the bundled voices) and returns its
measured length (``pipeline.PreparedSpeech`` keeps every length and a bounded
number of segments). So the first cue is known as soon as the first line is
spoken, and synthesis runs on ahead of playback through the whole session.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..bed import BedTrack
from ..compiler import stream_cues
from ..errors import Cancelled
from ..routine import Routine
from ..settings import Settings
from ..synth import Synthesizer
from .cues import CueIndex

if TYPE_CHECKING:
    from ..pipeline import PreparedSpeech

#: How many lines the synthesizer may finish ahead of the feed (as the export's ``pipeline.SPEAK_AHEAD``).
SPEAK_AHEAD = 8


class Feed:
    """Builds the exact cues of a session into ``cues`` on a daemon thread, speech synthesized ahead."""

    def __init__(self, routine: Routine, settings: Settings, synth: Synthesizer, texts: list[str],
                 bed: BedTrack | None = None, prompts: Sequence[str] = ()) -> None:
        self.routine, self.settings, self.synth = routine, settings, synth
        self.texts = texts
        """Every distinct spoken text, in order of first use (the estimated script's)."""
        self.prompt_texts = list(prompts)
        """Lines live play says that are not the session (voice commands' announcement), spoken first."""
        self.prompts: dict[str, np.ndarray] = {}
        """Each prompt, prepared like the session's speech, once spoken."""
        self.gain = 0.0
        self.speech: PreparedSpeech | None = None
        """text -> prepared segment (``pipeline.PreparedSpeech``), once the voice's gain is known."""
        self.cues = CueIndex(bed=bed)
        self.stopped = threading.Event()
        self.speaker = None
        self.thread = threading.Thread(target=self._run, name="audioguide-play-feed", daemon=True)

    def start(self) -> Feed:
        self.speaker = self.synth.speak_ahead(self.prompt_texts + self.texts, ahead=SPEAK_AHEAD)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            # Imported here, while the synthesis worker loads the engine and speaks
            # the first line; voice_gain is instant for the bundled voices (any
            # other voice speaks a reference passage once, then it is cached).
            from .. import mixer, pipeline

            self.gain = pipeline.voice_gain(self.synth)
            for text in self.prompt_texts:  # spoken first: play says them before the session
                spoken = next(self.speaker, None)
                if spoken is None:  # the speaker was closed: the player left
                    raise Cancelled("cancelled")
                self.prompts[text] = mixer.prepare_speech(spoken, self.gain)
            self.speech = self.cues.speech = pipeline.PreparedSpeech(self.synth, self.gain)
            lengths = pipeline.Measure(self.speech, self.texts, cancel=self.stopped, speeches=self.speaker)
            for cue in stream_cues(self.routine, self.settings, lengths):
                if self.stopped.is_set():
                    break
                self.cues.add(cue)
            self.cues.finish()
        except Cancelled:  # the player left
            self.cues.finish()
        except BaseException as error:  # handed to the loop, which raises it on its own thread
            self.cues.finish(error)
        finally:
            self.speaker.close()

    @property
    def prepared(self) -> int:
        """How many texts are spoken and prepared so far."""
        return len(self.speech) if self.speech is not None else 0

    def stop(self) -> None:
        """Stop speaking ahead, and wait for the line being synthesized now.

        Waiting matters: an engine running native code on a worker thread while
        the interpreter shuts down can crash the process (onnxruntime aborted
        with "terminate called without an active exception" when Ctrl-C came
        while piper was loading its voice). The sound is already stopped by
        then; only the exit waits, for one line at most.
        """
        self.stopped.set()
        if self.speaker is not None:
            self.speaker.close()  # joins the synthesis worker after its current line
        self.thread.join(5.0)
