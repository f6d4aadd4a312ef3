"""MPRIS on a real D-Bus session daemon: method calls become Commands, what plays is published.

A client (dbus-fast, as a desktop's media-key handler or playerctl would be)
calls the player's methods and reads its properties over the bus.
"""

from __future__ import annotations

import asyncio
import queue

import pytest

from audioguide.play.commands import Command
from audioguide.play.inputs import mpris

PLAYER = "org.mpris.MediaPlayer2.Player"


async def client(address: str, name: str = mpris.BUS_NAME):
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address).connect()
    introspection = await bus.introspect(name, mpris.OBJECT_PATH)
    proxy = bus.get_proxy_object(name, mpris.OBJECT_PATH, introspection)
    return bus, proxy


@pytest.fixture
def served(session_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    commands: queue.SimpleQueue = queue.SimpleQueue()
    server = mpris.Mpris(commands, "Tiny massage", length_s=42.0).start()
    yield server, commands, session_bus
    server.close()


def drain(commands: queue.SimpleQueue, n: int) -> list[Command]:
    return [commands.get(timeout=5) for _ in range(n)]


def test_media_keys_become_commands(served):
    server, commands, address = served

    async def press():
        bus, proxy = await client(address)
        player = proxy.get_interface(PLAYER)
        for call in (player.call_play_pause, player.call_next, player.call_previous, player.call_pause,
                     player.call_play, player.call_stop):
            await call()
        await proxy.get_interface("org.mpris.MediaPlayer2").call_quit()
        bus.disconnect()

    asyncio.run(press())
    assert drain(commands, 7) == [Command(a, "mpris") for a in
                                  ("toggle", "next", "back", "pause", "go", "quit", "quit")]
    assert commands.empty()


def test_what_plays_is_published_and_signalled(served):
    server, _, address = served

    async def watch():
        bus, proxy = await client(address)
        player = proxy.get_interface(PLAYER)
        props = proxy.get_interface("org.freedesktop.DBus.Properties")
        seen: list[dict] = []
        props.on_properties_changed(lambda iface, changed, _inv: seen.append(changed))
        assert await player.get_playback_status() == "Stopped"
        assert await player.get_can_go_next() and await player.get_can_pause()
        server.update("Playing", chapter="Right foot", line="Press your right heel.", chapter_index=2,
                      position_s=12.5)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        status = await player.get_playback_status()
        meta = await player.get_metadata()
        position = await player.get_position()
        bus.disconnect()
        return seen, status, meta, position

    seen, status, meta, position = asyncio.run(watch())
    assert status == "Playing"
    assert meta["xesam:title"].value == "Right foot"
    assert meta["xesam:album"].value == "Tiny massage"
    assert meta["xesam:comment"].value == ["Press your right heel."]
    assert meta["mpris:trackid"].value == "/org/audioguide/chapter/2"
    assert meta["mpris:length"].value == 42_000_000
    assert position == 12_500_000
    assert seen and seen[0]["PlaybackStatus"].value == "Playing" and "Metadata" in seen[0]


def test_a_second_player_takes_an_instance_name(served, session_bus):
    second = mpris.Mpris(queue.SimpleQueue(), "Other").start()
    try:
        assert second.bus_name.startswith(mpris.BUS_NAME + ".instance")
    finally:
        second.close()


def test_no_session_bus_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-bus")
    with pytest.raises(mpris.MprisUnavailable) as caught:
        mpris.Mpris(queue.SimpleQueue(), "Tiny").start()
    assert str(caught.value).startswith("media keys off: no D-Bus session bus (")
    assert "\n" not in str(caught.value)


def test_play_says_when_another_player_holds_the_name(served):
    from audioguide.play.hands import HandsFree

    class Lines:
        def __init__(self):
            self.said: list[str] = []

        def line(self, text: str) -> None:
            self.said.append(text)

    status = Lines()
    hands = HandsFree(queue.SimpleQueue(), status, None, None, "Other", 60.0).start()
    try:
        assert status.said == [f"media keys: {mpris.BUS_NAME} is taken by another player; "
                               f"this one is {hands.mpris.bus_name}"]
        assert hands.mpris.bus_name.startswith(mpris.BUS_NAME + ".instance")
    finally:
        hands.close()
