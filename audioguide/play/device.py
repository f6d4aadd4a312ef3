"""The sound device: the only place that imports simpleaudio.

simpleaudio opens the ALSA device for every ``play_buffer`` call, and an open
can take a few milliseconds (tens through PulseAudio). The loop therefore hands
it runs of whole cues (``cues.CueIndex.buffer_end``): re-opens happen only at
cue boundaries, which are digital silence or the end of a fade, so a re-open is
never heard as a gap inside a sound. Only one play object exists at a time:
two open streams would overlap (dmix, PulseAudio) or fail (a bare hw device).

Where playback stopped
----------------------
simpleaudio does not report how many frames it has played. Stopping sets a flag
that its thread checks between writes, after which it *drains* (plays what it
already queued) and closes. The position is taken as (time the play object
ended - time it started) x rate: on a sound card the drain returns once the last
queued sample has been played, so that is the count of samples that reached the
speaker, which makes pause/resume neither lose nor repeat audio beyond the
polling step (``STOP_POLL_S``). Sound stops within the device's queue (100 ms
of latency plus the chunk being written: up to about 0.2 s) of a command.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable

import numpy as np

from ..errors import PlaybackError
from ..pcm import SAMPLE_RATE, SAMPLE_WIDTH
from ..text import first_line

#: How often a stopping play object is looked at: the precision of a pause position.
STOP_POLL_S = 0.002
#: Longest wait for a stopping play object to drain and close.
STOP_TIMEOUT_S = 3.0

NO_DEVICE = "no sound device ({why}): use `audioguide export` to write a file instead"

#: Starts playing int16 mono samples at SAMPLE_RATE and returns a handle with
#: ``is_playing()`` and ``stop()`` (simpleaudio's PlayObject, or a test's stand-in).
PlayFn = Callable[[np.ndarray], Any]

_alsa_quiet: Any = None  # the no-op error handler must outlive every ALSA call


def _libasound():
    """libasound through ctypes, or None where there is no ALSA (other systems)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        lib = ctypes.CDLL("libasound.so.2")
    except OSError:
        return None
    global _alsa_quiet
    if _alsa_quiet is None and not os.environ.get("AUDIOGUIDE_DEBUG"):
        # alsa-lib prints its configuration errors ("ALSA lib confmisc.c:855 ...
        # cannot find card '0'") on stderr; the user gets our one line instead.
        # The handler is variadic in C; one that ignores its arguments is safe.
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)
        _alsa_quiet = handler_type(lambda *_args: None)
        lib.snd_lib_error_set_handler(_alsa_quiet)
    return lib


def check_device() -> None:
    """Raise PlaybackError if the default ALSA device cannot be opened.

    Opens ``default`` for playback (non-blocking) and closes it again: nothing
    is configured or written, so no sound is made and no sample reaches the
    device. A busy device passes (simpleaudio waits for it). Where ALSA is not
    available the first buffer reports any problem instead.
    """
    lib = _libasound()
    if lib is None:
        return
    import ctypes
    import errno

    lib.snd_strerror.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    rc = lib.snd_pcm_open(ctypes.byref(handle), b"default", 0, 1)  # SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK
    if rc >= 0:
        lib.snd_pcm_close(handle)
        return
    if -rc in (errno.EBUSY, errno.EAGAIN):
        return
    why = (lib.snd_strerror(rc) or b"").decode(errors="replace")
    raise PlaybackError(NO_DEVICE.format(why=f"ALSA cannot open its default device: {why}, code {rc}"))


def simpleaudio_play(samples: np.ndarray) -> Any:
    """Start ``samples`` (int16 mono at SAMPLE_RATE) on the default device; simpleaudio's PlayObject."""
    import simpleaudio

    return simpleaudio.play_buffer(samples.tobytes(), 1, SAMPLE_WIDTH, SAMPLE_RATE)


def _device_error(error: Exception) -> PlaybackError:
    text = first_line(error)
    if "opening PCM device" in text or "Error setting parameters" in text:
        return PlaybackError(NO_DEVICE.format(why=text))
    return PlaybackError(f"playback failed: {text}")


class Playing:
    """One buffer on the device: where it sits in the session, and since when it plays.

    Raises PlaybackError (one line) if the device cannot start it.
    """

    def __init__(self, play: PlayFn, samples: np.ndarray, start: int) -> None:
        try:
            self.handle = play(samples)
        except Exception as error:  # simpleaudio raises its own error type
            raise _device_error(error) from error
        self.t0 = time.monotonic()
        self.start = start
        """Session sample of the buffer's first sample."""
        self.length = len(samples)

    @property
    def end(self) -> int:
        return self.start + self.length

    def is_playing(self) -> bool:
        return bool(self.handle.is_playing())

    def position(self) -> int:
        """Session sample being heard now (from the clock)."""
        return self.start + min(self.length, int((time.monotonic() - self.t0) * SAMPLE_RATE))

    def stop(self, wait: bool = True) -> int:
        """Stop; with ``wait``, wait for the device to drain and close, and return
        the session sample to resume from (see the module docstring)."""
        self.handle.stop()
        if not wait:
            return self.position()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.handle.is_playing() and time.monotonic() < deadline:
            time.sleep(STOP_POLL_S)
        played = round((time.monotonic() - self.t0) * SAMPLE_RATE)
        return self.start + max(0, min(self.length, played))
