"""The portable engine: pyttsx3 driving espeak-ng (robotic, but everywhere and instant).

pyttsx3's espeak driver has traps this module exists to contain (measured with
pyttsx3 2.99 / espeak-ng 1.51, see design/stack-notes.md):

* ``runAndWait()`` returns as soon as espeak *starts*: espeak synthesizes on its
  own thread and the driver writes the WAV from espeak's callback later. So we
  wait for the ``finished-utterance`` notification (sent after the file is
  closed), then check the WAV is complete, and retry once if it is not.
* A second save issued while the first is still running steals its buffer and
  the first file is lost: one pyttsx3 engine per process, one utterance at a
  time, under a lock.
* ``runAndWait()`` calls the driver's ``stop()``, which cancels everything in
  espeak's command queue if espeak is busy at that moment. espeak is still busy
  for about a millisecond after ``finished-utterance``, and busy again while it
  applies the ``setProperty('rate')`` we just queued: the cancel then drops the
  new rate (the text is spoken at the previous pace, measured) or the text
  itself. So we wait for espeak to be idle before every ``runAndWait()``, and
  treat an utterance reported as not completed as failed.
* ``getProperty('rate')`` reports stale values (pyttsx3 binds
  ``espeak_GetParameter`` without its second argument): set rate and voice
  before every utterance and never read them back.
* The driver ``print()``s "Audio saved to ..." on stdout, which carries data.
* espeak-ng's pitch *flutter* advances a global index with every sample it
  makes, so the same text sounds slightly different depending on what the
  process said before. We speak every voice through a one-line variant,
  ``+steady`` (``flutter 0``), from a private copy of espeak-ng's data folder
  (symlinks plus that file, found through ``ESPEAK_DATA_PATH``). Lengths are
  then stable; a smaller difference remains (measured: the same text alternates
  between two versions from one call to the next, about a quarter of the samples
  differing after the first half second; re-initializing espeak does not clear
  it). Bit-identical pyttsx3 output therefore comes from the speech cache: a
  line is synthesized once and reused. piper is bit-identical on its own.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import EngineError, UnknownEngineError
from ..text import close_matches
from .base import Speech, Voice

NORMAL_WPM = 160
"""espeak-ng's rate at pace 1.0: with the pauses of ``phrasing``, the default session's
instructions land at about 146 words per minute (tests/test_speaking_rate.py)."""
DEFAULT_VOICE = "gmw/en-us"
"""espeak-ng's US English voice (espeak's own default is British ``gmw/en``)."""
ESPEAK_WAV_RATE = 22050
"""The rate of the WAV files pyttsx3's espeak driver writes (it hard-codes the header)."""

INSTALL_PYTTSX3 = "pyttsx3 is not installed: pip install pyttsx3"
INSTALL_ESPEAK = "pyttsx3 needs espeak-ng: sudo apt-get install espeak-ng"

_log = logging.getLogger(__name__)

# One espeak-backed pyttsx3 engine per process: espeak can only be initialized
# once, and two overlapping utterances corrupt each other (see module docstring).
_lock = threading.Lock()
_driver = None
_voice_list: list[Voice] | None = None


class _Utterance:
    """What the finished-utterance callback reports about the utterance in flight."""

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.cancelled = False


_in_flight: _Utterance | None = None


def _on_finished(completed: bool = True, **_details: object) -> None:
    # Runs on espeak's thread after the driver closed the WAV file, or on ours
    # (completed=False) when the driver cancelled the utterance.
    utterance = _in_flight
    if utterance is not None:
        utterance.cancelled |= not completed
        utterance.finished.set()


def _shared_driver():
    """The process-wide pyttsx3 engine, created on first use. Call with ``_lock`` held."""
    global _driver
    if _driver is None:
        try:
            import pyttsx3
        except ImportError as error:
            raise EngineError(INSTALL_PYTTSX3) from error
        _use_steady_variant()
        try:
            driver = pyttsx3.init("espeak")
        except (OSError, RuntimeError) as error:
            # pyttsx3 loads libespeak-ng through ctypes and raises RuntimeError
            # when no library is found.
            raise EngineError(INSTALL_ESPEAK) from error
        from pyttsx3.drivers import espeak as espeak_driver

        # Shadow print() inside the driver module only. Redirecting fd 1 or
        # sys.stdout instead would be process-wide, and could swallow data that
        # another thread writes to stdout while espeak is speaking.
        espeak_driver.print = lambda *args, **_kw: _log.debug(" ".join(map(str, args)))
        driver.connect("finished-utterance", _on_finished)
        _driver = driver
        atexit.register(_release_driver)
    return _driver


STEADY = "steady"
"""The espeak-ng voice variant we add: only ``flutter 0`` (see the module docstring)."""
_steady_ok = False


def _use_steady_variant() -> None:
    """Point espeak-ng at a private data folder that adds the ``steady`` variant.

    Must run before espeak is initialized. The folder (symlinks to the system
    data plus one small file) lives in the user cache directory, is built once
    and renamed into place, so concurrent or killed processes never see half of it.
    If the system data cannot be found, speech still works, with flutter.
    """
    global _steady_ok
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return
    match = re.search(r"Data at:\s*(\S+)", out)
    system = Path(match.group(1)) if match else None
    if system is None or not (system / "voices" / "!v").is_dir():
        return
    from platformdirs import user_cache_dir

    # Beside the speech cache, not in it: derived from the system, shared by every run.
    home = Path(user_cache_dir("audioguide")) / f"espeak-{hashlib.sha256(str(system).encode()).hexdigest()[:12]}"
    try:
        if not (home / "espeak-ng-data" / "voices" / "!v" / STEADY).exists():
            _build_steady_home(system, home)
    except OSError as error:
        _log.debug("no steady espeak-ng variant: %s", error)
        return
    os.environ["ESPEAK_DATA_PATH"] = str(home)
    _steady_ok = True


def _build_steady_home(system: Path, home: Path) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".espeak-build-", dir=home.parent))
    try:
        data = build / "espeak-ng-data"
        data.mkdir()
        for entry in system.iterdir():
            if entry.name != "voices":
                (data / entry.name).symlink_to(entry)
        (data / "voices").mkdir()
        for entry in (system / "voices").iterdir():
            if entry.name != "!v":
                (data / "voices" / entry.name).symlink_to(entry)
        variants = data / "voices" / "!v"
        variants.mkdir()
        for entry in (system / "voices" / "!v").iterdir():
            (variants / entry.name).symlink_to(entry)
        (variants / STEADY).write_text(f"language variant\nname {STEADY}\nflutter 0\n")
        try:
            build.rename(home)
        except OSError:
            if not home.is_dir():  # another process finishing first is fine
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _release_driver() -> None:
    """Drop the driver while the interpreter is whole.

    Left to module teardown, pyttsx3's ``DriverProxy.__del__`` runs after
    ``contextlib`` is gone and prints "Exception ignored in ..." on stderr.
    """
    global _driver
    with _lock:
        _driver = None


def _espeak_version() -> str:
    """The version of the espeak-ng library pyttsx3 actually loaded (not of a CLI on PATH)."""
    try:
        from pyttsx3.drivers import _espeak
    except ImportError as error:
        raise EngineError(INSTALL_PYTTSX3) from error
    except (OSError, RuntimeError) as error:
        raise EngineError(INSTALL_ESPEAK) from error
    return _espeak.Info(None).decode("ascii", "replace")


def _wait_until_idle(timeout: float) -> None:
    """Return once espeak's command queue is empty (see the module docstring)."""
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise EngineError(f"espeak-ng stayed busy for {timeout:.0f} s")
        time.sleep(0.001)


def _read_complete_wav(path: str) -> Speech | None:
    """The speech in ``path`` if it is a whole, non-empty mono 16-bit WAV, else None."""
    try:
        with wave.open(path, "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                return None
            frames = wav.getnframes()
            pcm = wav.readframes(frames)
            rate = wav.getframerate()
    except (OSError, EOFError, wave.Error):
        return None
    if frames == 0 or len(pcm) != 2 * frames:
        return None
    return Speech(samples=np.frombuffer(pcm, dtype="<i2").astype(np.int16), sample_rate=rate)


class Pyttsx3Engine:
    """Speech through pyttsx3 and espeak-ng, saved to a temporary WAV and read back."""

    name = "pyttsx3"

    def version(self) -> str:
        return f"pyttsx3 {metadata.version('pyttsx3')}; espeak-ng {_espeak_version()}; rate {NORMAL_WPM}"

    def voices(self) -> list[Voice]:
        global _voice_list
        with _lock:
            if _voice_list is None:
                found = _shared_driver().getProperty("voices")
                _voice_list = sorted(
                    (Voice(name=v.id, description=f"{v.name} [{', '.join(v.languages)}]") for v in found),
                    key=lambda voice: voice.name,
                )
            return list(_voice_list)

    def default_voice(self) -> str:
        return DEFAULT_VOICE

    def synthesize(self, text: str, *, voice: str, pace: float) -> Speech:
        """Speak ``text`` at ``NORMAL_WPM * pace`` words per minute."""
        self.check_voice(voice)
        if not text.strip():
            return Speech(samples=np.zeros(0, dtype=np.int16), sample_rate=ESPEAK_WAV_RATE)
        rate = max(1, round(NORMAL_WPM * pace))
        with _lock:
            driver = _shared_driver()
            # A second attempt covers a file that was not complete after all.
            for _attempt in range(2):
                speech = self._save_and_read(driver, text, voice, rate)
                if speech is not None:
                    return speech
        raise EngineError("espeak-ng (through pyttsx3) produced no complete audio file")

    def check_voice(self, voice: str) -> None:
        """UnknownEngineError unless espeak-ng has ``voice``, naming the closest of its voices."""
        known = [v.name for v in self.voices()]
        if voice in known:
            return
        hints = close_matches(voice, known, n=3, cutoff=0.5)
        hints += [name for name in (DEFAULT_VOICE, "gmw/en", "gmw/en-gb-x-rp") if name not in hints]
        raise UnknownEngineError(
            f"unknown pyttsx3 voice {voice!r}; try {', '.join(hints[:4])} (all: audioguide voices)"
        )

    @staticmethod
    def _save_and_read(driver, text: str, voice: str, rate: int) -> Speech | None:
        """One utterance to a temp WAV; the speech, or None if it failed or the file is incomplete."""
        global _in_flight
        # espeak-ng runs at a few hundred times real time; the bound only guards
        # against an espeak that hangs or a callback that never comes.
        timeout = 10 + len(text) / 100
        fd, path = tempfile.mkstemp(prefix="audioguide-", suffix=".wav")
        os.close(fd)
        utterance = _Utterance()
        try:
            _wait_until_idle(timeout)
            driver.setProperty("voice", f"{voice}+{STEADY}" if _steady_ok else voice)
            driver.setProperty("rate", rate)
            _wait_until_idle(timeout)  # the rate is applied; runAndWait's stop() will find nothing to cancel
            _in_flight = utterance
            driver.save_to_file(text, path)
            driver.runAndWait()
            if not utterance.finished.wait(timeout):
                driver.stop()
                return None
            if utterance.cancelled:
                return None
            return _read_complete_wav(path)
        finally:
            _in_flight = None
            os.unlink(path)
