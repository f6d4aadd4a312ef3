"""`audioguide play --listen`, end to end, each voice command through the real capture path.

The player is the real console script. ALSA's default device plays into the
paced file sink of tests/alsa_sink.py (so the gate's clock is the sink's real
time) and captures from PulseAudio: the monitor of tests/pulse.py's
"microphone" null sink, into which the test speaks Piper's phrases with paplay
in the guide's pauses. stdin is not a terminal, so the player prints a plain
line per chapter, instruction and change (``paused at 0:02``): the test waits
for those. What the guide says first and each earcon are found, sample for
sample, in what was played.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from alsa_sink import AlsaSink, occurrences
from audioguide.pcm import SAMPLE_RATE
from audioguide.sounds import earcon
from helpers import BIN
from test_player import export

LISTEN = """
title: Listen
steps:
  - chapter: One
  - say: Press your heel.
    then: 10
  - chapter: Two
  - say: Now the toes.
    then: 10
  - chapter: Three
  - say: Rub the arch.
    then: 3
"""
ARGS = ("--engine", "pyttsx3", "--chimes", "off", "--listen")

def microphone(pulse) -> str:
    """The capture side of ALSA's default device: the daemon's microphone monitor, its server named
    here. The player's environment does not point at the daemon, so that the pulse plugin's hook
    ("PulseAudio is running: make it the default") leaves the paced sink as the playback side."""
    return f'{{ type pulse server "{pulse.client_env["PULSE_SERVER"]}" device "mic.monitor" }}'
#: Speak this long after a line is announced: the line (about a second) has ended, and the
#: phrase reaches the microphone inside the 10 s pause whatever the null sink's delay (1-2.5 s).
AFTER_LINE_S = 2.5


@pytest.fixture(scope="module")
def listen_routine(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("listen")
    routine = work / "listen.yaml"
    routine.write_text(LISTEN)
    env = {"AUDIOGUIDE_CACHE_DIR": str(work / "cache")}
    wav, doc = export(routine, work / "listen.wav", "--engine", "pyttsx3", "--chimes", "off", env=env)
    return {"routine": routine, "env": env, "wav": wav, "doc": doc}


class Guide:
    """`audioguide play --listen` running, its stderr lines as they come."""

    def __init__(self, sink: AlsaSink, pulse, routine: Path, env: dict) -> None:
        self.pulse = pulse
        self.err = sink.dir / "stderr.txt"
        self.t0 = time.monotonic()
        with open(self.err, "w") as err:
            # The sink's ALSA config says what goes where (see ``microphone``).
            self.proc = subprocess.Popen([str(BIN / "audioguide"), "play", str(routine), *ARGS],
                                         env={**os.environ, **sink.env, **env},
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)

    def lines(self) -> list[str]:
        return self.err.read_text().splitlines()

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines()) < count:
            assert self.proc.poll() is None, f"the player ended early:\n{self.err.read_text()}"
            assert time.monotonic() < deadline, f"no {text!r} (x{count}) after {timeout} s:\n{self.err.read_text()}"
            time.sleep(0.02)

    def say(self, wav: Path, after: float = AFTER_LINE_S) -> None:
        time.sleep(after)
        self.pulse.speak(wav)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        try:
            self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the player did not end:\n{self.err.read_text()}")
        return self.proc.returncode, self.err.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.timeout(240)
def test_every_voice_command_through_the_microphone(listen_routine, pulse, phrases, tmp_path, request):
    wav = listen_routine["wav"]
    with AlsaSink(tmp_path / "sink", microphone=microphone(pulse)) as sink:
        guide = Guide(sink, pulse, listen_routine["routine"], {**listen_routine["env"], "AUDIOGUIDE_DEBUG": "1"})
        request.addfinalizer(guide.stop)
        guide.wait_for("Press your heel.")
        guide.say(phrases["pause now"])
        guide.wait_for("paused at")
        guide.say(phrases["carry on"], after=1.5)
        guide.wait_for("resumed at")
        guide.say(phrases["next step"], after=1.5)
        guide.wait_for("next: step")
        guide.wait_for("Now the toes.")
        guide.say(phrases["say again"])
        guide.wait_for("the instruction again")
        guide.say(phrases["go back"], after=3.0)  # after the instruction said again
        guide.wait_for("back to step")
        guide.wait_for("Now the toes.", count=3)
        guide.say(phrases["stop the guide"])
        guide.wait_for("stop? say it again to stop")
        guide.say(phrases["stop the guide"], after=8.0)  # after the question has been asked
        code, err = guide.finish()
    assert code == 0, err
    lines = [line for line in err.splitlines() if not line.startswith("voice: ")]  # AUDIOGUIDE_DEBUG's
    assert lines[-1] == "stopped", err
    assert sum("Now the toes." in line for line in lines) == 3  # said, repeated, and again after going back
    assert "Rub the arch." not in err
    assert "voice commands off" not in err and "Traceback" not in err
    captured = sink.samples()
    # First the announcement of the phrases, then the session's first samples.
    first = wav[: SAMPLE_RATE // 2]
    start = occurrences(captured, first)
    assert start and start[0] > 3 * SAMPLE_RATE, "the guide speaks the phrases before the session"
    # One earcon per command heard: pause, carry on, next, say again, go back, stop (twice).
    assert len(occurrences(captured, np.asarray(earcon("heard")))) == 7


def test_without_a_microphone_play_goes_on_with_one_line(listen_routine, tmp_path):
    # The default device's capture side is a PCM that does not exist: ALSA has no microphone.
    sink = AlsaSink(tmp_path / "sink", paced=False, microphone='"audioguide_no_such_pcm"')
    with sink:
        run = subprocess.run([str(BIN / "audioguide"), "play", str(listen_routine["routine"]), *ARGS],
                             env={**os.environ, **sink.env, **listen_routine["env"]}, capture_output=True,
                             text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    off = [line for line in run.stderr.splitlines() if "voice commands off" in line]
    assert len(off) == 1 and off[0].startswith("voice commands off: no microphone: ALSA cannot open 'default'")
    assert off[0].endswith("; keys still work")
    assert np.array_equal(sink.samples(), listen_routine["wav"]), "no announcement, no earcon: the session as exported"
