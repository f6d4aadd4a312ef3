"""A sound card for a machine without one: ALSA's default PCM captured into a file.

Programs run with ``sink.env`` play through the real ALSA path (simpleaudio ->
libasound -> the ``file`` plugin over the ``null`` PCM), and every sample they
send lands, in order, in ``sink.samples()``::

    with AlsaSink(tmp_path, paced=True) as sink:
        run_cli("play", ..., env=sink.env)
    sink.samples()          # int16, everything played, concatenated
    sink.log["chunks"]      # [[monotonic time, byte offset], ...] as the sink consumed them

``pcm.!default`` is a ``file`` plugin in ``raw`` format writing into a FIFO that
tests/pacer.py holds open and copies to the capture file, in real time when
``paced`` (22050 Hz mono 16-bit: 44100 bytes/s) or as fast as possible. See
pacer.py for why a FIFO and not the plugin's own file or a ``|command`` pipe.

What it can and cannot tell: the samples are exactly what was sent. Timing is
that of a card whose buffer (the one-page pipe) is 93 ms, with differences from
hardware: ALSA's drain returns once the last bytes are *in* the pipe, up to
93 ms before the pacer has "played" them (a card's drain returns after playing
them); the pipe outlives each open, so a new stream can queue behind the end of
the previous one (a card's previous stream is drained and closed first); and
the ``file`` plugin holds back one period buffer (100 ms at simpleaudio's
latency) until it drains, so after a stop more sound arrives than a card would
play.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

PACER = Path(__file__).with_name("pacer.py")
SYSTEM_CONF = "/usr/share/alsa/alsa.conf"
BYTES_PER_SECOND = 22050 * 2


class AlsaSink:
    def __init__(self, directory: Path, paced: bool = True, name: str = "sink", microphone: str | None = None) -> None:
        """``microphone``: an ALSA PCM definition for the default device's capture side
        (``{ type pulse device "mic.monitor" }``: tests/pulse.py's microphone); None: playback only."""
        self.dir = Path(directory)
        self.paced = paced
        self.microphone = microphone
        self.fifo = self.dir / f"{name}.fifo"
        self.capture = self.dir / f"{name}.raw"
        self.log_path = self.dir / f"{name}.log.json"
        self.conf = self.dir / f"{name}.asoundrc"
        self.log: dict = {}
        self._pacer: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        # The system file must come first (it defines the "null" PCM); ours overrides the default.
        return {"ALSA_CONFIG_PATH": f"{SYSTEM_CONF}:{self.conf}"}

    def __enter__(self) -> "AlsaSink":
        self.dir.mkdir(parents=True, exist_ok=True)
        os.mkfifo(self.fifo)
        self.capture.write_bytes(b"")
        sink = f'type file slave.pcm "null" file "{self.fifo}" format "raw"'
        if self.microphone is None:
            self.conf.write_text(f"pcm.!default {{ {sink} }}\n")
        else:  # playback into the file, capture from elsewhere
            self.conf.write_text(f"pcm.audioguide_sink {{ {sink} }}\n"
                                 f"pcm.!default {{ type asym playback.pcm \"audioguide_sink\" "
                                 f"capture.pcm {self.microphone} }}\n")
        rate = ["--rate", str(BYTES_PER_SECOND)] if self.paced else ["--fast"]
        self._pacer = subprocess.Popen(
            [sys.executable, "-I", "-S", str(PACER), str(self.fifo), str(self.capture), str(self.log_path), *rate],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        if self._pacer.stdout.readline().strip() != "ready":
            raise RuntimeError("the pacer did not start")
        return self

    def close(self) -> None:
        """Copy what is still in the pipe, stop the pacer and read its log (idempotent)."""
        if self._pacer is None:
            return
        self._pacer.stdin.close()
        self._pacer.wait(timeout=10)
        self._pacer.stdout.close()
        self._pacer = None
        self.log = json.loads(self.log_path.read_text())

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def samples(self) -> np.ndarray:
        """Everything played so far, as int16 (call close() first for the complete capture)."""
        return np.frombuffer(self.capture.read_bytes(), dtype="<i2")

    def captured_seconds(self) -> float:
        return self.capture.stat().st_size / BYTES_PER_SECOND

    def arrival(self, sample: int) -> float:
        """Monotonic time at which sample number ``sample`` reached the sink (after close())."""
        byte = 2 * sample
        for t, offset in self.log["chunks"]:
            if offset > byte:
                return t
        raise ValueError(f"sample {sample} never arrived")


def occurrences(haystack: np.ndarray, needle: np.ndarray) -> list[int]:
    """Where ``needle`` occurs in ``haystack``, sample for sample."""
    raw, key = haystack.tobytes(), needle.tobytes()
    found, at = [], raw.find(key)
    while at >= 0:
        if at % 2 == 0:
            found.append(at // 2)
        at = raw.find(key, at + 1)
    return found
