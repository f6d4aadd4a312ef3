"""A real-time sound system with no hardware: PulseAudio in user mode with two null sinks.

    with PulseAudio(tmp_path) as pulse:
        run_cli("play", ..., env=pulse.env)      # ALSA default -> pulse: plays into `spk`,
                                                 # records from `mic.monitor`
        pulse.speak(wav_path)                    # into the "microphone", in real time

ALSA's default device is routed to PulseAudio by the ``.asoundrc`` of a HOME
made for it (``pcm.!default { type pulse }``, Debian's libasound2-plugins);
``spk`` is the default sink (what is played), ``mic.monitor`` the default
source (what the microphone hears): anything played into the ``mic`` sink
with ``paplay --device=mic`` comes back through ALSA capture, paced in real
time. The daemon has its own XDG_RUNTIME_DIR, no autospawn, and is stopped by
the pid in its pid file.

Measured (``shared/design/stack-notes.md``): a 1.0 s tone played into ``mic``
came back through ``arecord`` as 1.00 s; a null sink delays what reaches its
monitor by 1 to 2.5 s, so tests wait for what they expect with a timeout and
take no latency figures from here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SPEAKER = "spk"
MICROPHONE = "mic"


def available() -> str | None:
    """None if PulseAudio and its ALSA plugin are installed, else what is missing."""
    for tool in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/setup installs pulseaudio pulseaudio-utils)"
    if not any(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")):
        return "the ALSA pulse plugin is not installed (scripts/setup installs libasound2-plugins)"
    return None


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


class PulseAudio:
    """A private PulseAudio daemon with a speaker sink and a microphone sink (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.home = self.dir / "home"
        self.runtime = self.dir / "runtime"
        self.pid: int | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment for programs that should use this daemon through ALSA or libpulse."""
        return {"HOME": str(self.home), "XDG_RUNTIME_DIR": str(self.runtime),
                "PULSE_SERVER": f"unix:{self.runtime / 'pulse' / 'native'}",
                "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:" + str(self.home / ".asoundrc")}

    @property
    def client_env(self) -> dict[str, str]:
        """Only what a PulseAudio client needs to find this daemon (for an ALSA config of one's own)."""
        return {"XDG_RUNTIME_DIR": str(self.runtime), "PULSE_SERVER": f"unix:{self.runtime / 'pulse' / 'native'}"}

    def __enter__(self) -> PulseAudio:
        self.home.mkdir(parents=True, exist_ok=True)
        self.runtime.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        (self.home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
        (self.home / ".config" / "pulse").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        env.pop("PULSE_SERVER")  # the daemon itself listens there
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", "--disallow-exit",
             "--log-target=stderr", "--log-level=error",
             "--load=module-native-protocol-unix auth-anonymous=1",  # clients need no cookie (any HOME)
             f"--load=module-null-sink sink_name={SPEAKER} rate=22050 channels=1",
             f"--load=module-null-sink sink_name={MICROPHONE} rate=16000 channels=1"],
            env=env, check=True, capture_output=True, timeout=20)
        pid_file = self.runtime / "pulse" / "pid"
        deadline = time.monotonic() + 10
        while not pid_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not write its pid file")
            time.sleep(0.02)
        self.pid = int(pid_file.read_text().split()[0])
        self.pactl("set-default-sink", SPEAKER)
        self.pactl("set-default-source", f"{MICROPHONE}.monitor")
        return self

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env={**os.environ, **self.env}, check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def speak(self, wav: Path, wait: bool = True) -> subprocess.Popen | None:
        """Play ``wav`` into the microphone sink (real time); returns the paplay process if not waiting."""
        proc = subprocess.Popen(["paplay", f"--device={MICROPHONE}", str(wav)], env={**os.environ, **self.env})
        if not wait:
            return proc
        proc.wait(timeout=60)
        return None

    def close(self) -> None:
        """Stop the daemon by its pid (idempotent)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _alive(self.pid):
                time.sleep(0.02)
            if not _alive(self.pid):
                self.pid = None
                return
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.pid = None

    def __exit__(self, *_exc: object) -> None:
        self.close()
