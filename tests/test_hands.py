"""Hands-free live play, end to end: any key, a remapped pedal key, the go-ahead of a self-paced
wait, and media keys through a real D-Bus session bus (MPRIS).

The real console script plays through simpleaudio and ALSA into the paced
sink of tests/alsa_sink.py (keys from a pseudo-terminal, as in
tests/test_player.py); expectations are exact splices of the exported session.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from alsa_sink import AlsaSink
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from test_player import KEYS_ARGS, Live, common_prefix, common_suffix, cut_before
from test_player import keys_session  # noqa: F401  (the shared exported KEYS session)

READY = """
title: Ready
steps:
  - chapter: Start
  - say: Take your time.
    ready: 8
  - say: Now the palm.
    then: 0.5
"""


def assert_paused_and_resumed(captured: np.ndarray, wav: np.ndarray, pressed_at: int) -> None:
    head, tail = common_prefix(captured, wav), common_suffix(captured, wav)
    assert head + tail >= len(captured), "the capture is not wav[:k] + wav[j:]"
    assert len(captured) - tail <= pressed_at + SAMPLE_RATE // 2 and head >= pressed_at
    # How exactly it resumes (DUP_MS, LOST_MS) is tests/test_player.py's; here: it paused, then went on.
    assert abs(len(captured) - len(wav)) < SAMPLE_RATE // 2


def pause_and_resume(keys_session, tmp_path, args: tuple[str, ...], first: str, second: str,  # noqa: F811
                     env: dict | None = None) -> str:
    wav = keys_session["wav"]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, *args, env={**keys_session["env"], **(env or {})})
        live.at(0.3)
        pressed_at = len(sink.samples())
        live.press(first)
        time.sleep(0.8)
        live.press(second)
        code, _, err = live.wait()
    assert code == 0, err
    assert err.count("paused at") == 1 and err.count("resumed at") == 1, err
    assert_paused_and_resumed(sink.samples(), wav, pressed_at)
    return err


def test_any_key_pauses_and_resumes(keys_session, tmp_path):  # noqa: F811
    err = pause_and_resume(keys_session, tmp_path, ("--any-key",), "x", "\x1b[A")  # a letter, then an arrow
    assert "keys: any key pauses and resumes" in err


def test_a_foot_pedal_key_is_remapped_by_the_keys_file(keys_session, tmp_path, isolated_config):  # noqa: F811
    (isolated_config / "keys.yaml").write_text("keys:\n  b: toggle   # the pedal types b\n")
    pause_and_resume(keys_session, tmp_path, (), "b", "b")


def go_ahead_at(tmp_path, seconds_from_wait) -> tuple[np.ndarray, np.ndarray, int, int]:
    """READY played live with the key "k" (any key: the go-ahead) pressed ``seconds_from_wait``
    after its self-paced wait starts: (the capture, the export, the wait's start and end samples)."""
    from test_player import export

    routine = tmp_path / "ready.yaml"
    routine.write_text(READY)
    env = {"AUDIOGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    wav, doc = export(routine, tmp_path / "ready.wav", "--engine", "pyttsx3", env=env)
    wait = next(c for c in doc["cues"] if c["type"] == "pause" and c["self_paced"])
    start, end = ms_to_samples(wait["start_ms"]), ms_to_samples(wait["start_ms"] + wait["duration_ms"])
    assert start > SAMPLE_RATE // 2
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, routine, "--engine", "pyttsx3", env=env)
        live.at(start / SAMPLE_RATE + seconds_from_wait)
        live.press("k")
        code, _, err = live.wait()
    assert code == 0, err
    return sink.samples(), wav, start, end


def test_the_go_ahead_ends_a_self_paced_wait_and_play_goes_on_at_its_end(tmp_path):
    captured, wav, start, end = go_ahead_at(tmp_path, 1.0)  # a second into the 8 s wait
    k = cut_before(captured, wav, end, search_ms=500)
    assert k is not None, "the capture is wav[:k] + wav[end of the wait:]"
    assert start + SAMPLE_RATE <= k < start + 2 * SAMPLE_RATE  # cut a second or so into the wait
    assert len(captured) < len(wav) - 5 * SAMPLE_RATE  # most of the wait was skipped


def test_a_go_ahead_pressed_as_the_prompt_ends_ends_the_wait_when_it_begins(tmp_path):
    captured, wav, start, end = go_ahead_at(tmp_path, -0.25)  # while "Take your time." is still spoken
    k = cut_before(captured, wav, end, search_ms=500)
    assert k is not None, "the capture is wav[:k] + wav[end of the wait:]"
    assert start <= k < start + SAMPLE_RATE // 2  # the whole prompt, then the wait ends as it begins


# -- media keys and headset buttons (MPRIS) -------------------------------------------------------------


class Remote:
    """An MPRIS client on the session bus (as a desktop's media keys or playerctl): one
    connection, so that each call takes milliseconds."""

    def __init__(self, address: str, timeout: float = 15.0) -> None:
        self.loop = asyncio.new_event_loop()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.bus, self.player = self.loop.run_until_complete(self._connect(address))
                return
            except Exception:  # the player is not on the bus yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    async def _connect(self, address: str):
        from dbus_fast.aio import MessageBus

        from audioguide.play.inputs.mpris import BUS_NAME, OBJECT_PATH

        bus = await MessageBus(bus_address=address).connect()
        try:
            introspection = await bus.introspect(BUS_NAME, OBJECT_PATH)
        except Exception:
            bus.disconnect()
            raise
        return bus, bus.get_proxy_object(BUS_NAME, OBJECT_PATH, introspection).get_interface(
            "org.mpris.MediaPlayer2.Player")

    def __call__(self, method: str) -> None:
        self.loop.run_until_complete(getattr(self.player, f"call_{method}")())

    def close(self) -> None:
        self.bus.disconnect()
        self.loop.close()


def test_media_play_pause_pauses_and_resumes_through_the_session_bus(keys_session, tmp_path,  # noqa: F811
                                                                   session_bus):
    wav = keys_session["wav"]
    env = {**keys_session["env"], "DBUS_SESSION_BUS_ADDRESS": session_bus}
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=env)
        remote = Remote(session_bus)  # waits until the player is on the bus
        live.at(0.3)
        pressed_at = len(sink.samples())
        remote("play_pause")
        time.sleep(0.8)
        remote("play_pause")
        remote.close()
        code, _, err = live.wait()
    assert code == 0, err
    assert err.count("paused at") == 1 and err.count("resumed at") == 1, err
    assert "media keys off" not in err
    assert_paused_and_resumed(sink.samples(), wav, pressed_at)


def test_media_next_then_previous_through_the_session_bus(keys_session, tmp_path, session_bus):  # noqa: F811
    wav, steps = keys_session["wav"], keys_session["steps"]
    env = {**keys_session["env"], "DBUS_SESSION_BUS_ADDRESS": session_bus}
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=env)
        remote = Remote(session_bus)
        live.at(0.5)  # step 1 of 4
        remote("next")  # -> step 2, at once
        time.sleep(0.6)
        remote("previous")  # -> back to the start of step 2
        remote.close()
        code, _, err = live.wait()
    assert code == 0, err
    captured = sink.samples()
    rest = len(wav) - steps[1]
    assert np.array_equal(captured[-rest:], wav[steps[1]:]), err
    before = captured[:-rest]
    k1 = cut_before(before, wav, steps[1])
    assert k1 is not None, "after Next: the next step's first sample"
    assert 0.5 * SAMPLE_RATE <= k1 < steps[1]
    assert len(before) - k1 > 0.4 * SAMPLE_RATE  # step 2 played a while before Previous
