"""Media keys and headset buttons: live play as an MPRIS media player on the D-Bus session bus.

MPRIS (Media Player Remote Interfacing Specification, version 2.2) is how a
Linux desktop's media keys, its sound menu, ``playerctl``, and Bluetooth
headset buttons (through the desktop, or BlueZ's ``mpris-proxy`` without one)
reach a player. While `audioguide play` runs it owns the bus name
``org.mpris.MediaPlayer2.audioguide`` (plus ``.instance<pid>`` if another
session has it) and serves ``/org/mpris/MediaPlayer2`` with the two required
interfaces, through dbus-fast on an asyncio loop in its own thread.

Each method call becomes a ``Command(action, "mpris")`` on the player's one
queue (PlayPause -> toggle, Play -> go, Pause -> pause, Next -> next,
Previous -> back, Stop and Quit -> quit); nothing else moves playback.
``update`` publishes what plays: ``PlaybackStatus`` and ``Metadata`` (the
chapter as the title, the routine as the album, the line being spoken as
``xesam:comment``), with ``PropertiesChanged`` signals.

No session bus (a console, a service, a container): ``Mpris.start`` raises
``MprisUnavailable`` with one line, and play goes on without it.
"""

# No `from __future__ import annotations` here: dbus-fast reads the D-Bus
# signatures from the annotations of the methods and properties at class creation.

import asyncio
import os
import threading
from typing import Annotated, Any

from ..commands import Action, Command, Commands

BUS_NAME = "org.mpris.MediaPlayer2.audioguide"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
#: How long ``start`` waits for the bus to answer (seconds).
CONNECT_TIMEOUT_S = 5.0

#: MPRIS method -> the player's action.
ACTIONS: dict[str, Action] = {"PlayPause": "toggle", "Play": "go", "Pause": "pause", "Next": "next",
                              "Previous": "back", "Stop": "quit", "Quit": "quit"}


class MprisUnavailable(Exception):
    """The session bus cannot be reached or the name cannot be owned; the message is one line."""


def _interfaces(post, state):
    """The two MPRIS interfaces, built here so that dbus-fast is imported only when MPRIS starts."""
    from dbus_fast import PropertyAccess, Variant
    from dbus_fast.annotations import DBusBool, DBusDouble, DBusInt64, DBusObjectPath, DBusSignature, DBusStr
    from dbus_fast.service import ServiceInterface, dbus_method, dbus_property, dbus_signal

    StrList = Annotated[list, DBusSignature("as")]
    VariantDict = Annotated[dict, DBusSignature("a{sv}")]
    read = PropertyAccess.READ

    class Root(ServiceInterface):
        def __init__(self) -> None:
            super().__init__("org.mpris.MediaPlayer2")

        @dbus_method()
        def Raise(self) -> None:  # no window to raise (CanRaise is false)
            return None

        @dbus_method()
        def Quit(self) -> None:
            post("Quit")

        @dbus_property(access=read)
        def CanQuit(self) -> DBusBool:
            return True

        @dbus_property(access=read)
        def CanRaise(self) -> DBusBool:
            return False

        @dbus_property(access=read)
        def HasTrackList(self) -> DBusBool:
            return False

        @dbus_property(access=read)
        def Identity(self) -> DBusStr:
            return "audioguide"

        @dbus_property(access=read)
        def SupportedUriSchemes(self) -> StrList:
            return []

        @dbus_property(access=read)
        def SupportedMimeTypes(self) -> StrList:
            return []

    class Player(ServiceInterface):
        def __init__(self) -> None:
            super().__init__("org.mpris.MediaPlayer2.Player")

        @dbus_method()
        def Next(self) -> None:
            post("Next")

        @dbus_method()
        def Previous(self) -> None:
            post("Previous")

        @dbus_method()
        def Pause(self) -> None:
            post("Pause")

        @dbus_method()
        def PlayPause(self) -> None:
            post("PlayPause")

        @dbus_method()
        def Stop(self) -> None:
            post("Stop")

        @dbus_method()
        def Play(self) -> None:
            post("Play")

        @dbus_method()
        def Seek(self, offset: DBusInt64) -> None:  # CanSeek is false: the spec says to ignore it
            return None

        @dbus_method()
        def SetPosition(self, track: DBusObjectPath, position: DBusInt64) -> None:
            return None

        @dbus_method()
        def OpenUri(self, uri: DBusStr) -> None:
            return None

        @dbus_signal()
        def Seeked(self, position: DBusInt64) -> DBusInt64:
            return position

        @dbus_property(access=read)
        def PlaybackStatus(self) -> DBusStr:
            return state["status"]

        @dbus_property(access=read)
        def Rate(self) -> DBusDouble:
            return 1.0

        @dbus_property(access=read)
        def MinimumRate(self) -> DBusDouble:
            return 1.0

        @dbus_property(access=read)
        def MaximumRate(self) -> DBusDouble:
            return 1.0

        @dbus_property(access=read)
        def Metadata(self) -> VariantDict:
            return metadata(state)

        @dbus_property(access=read)
        def Volume(self) -> DBusDouble:
            return 1.0

        @dbus_property(access=read)
        def Position(self) -> DBusInt64:
            return int(state["position_us"])

        @dbus_property(access=read)
        def CanGoNext(self) -> DBusBool:
            return True

        @dbus_property(access=read)
        def CanGoPrevious(self) -> DBusBool:
            return True

        @dbus_property(access=read)
        def CanPlay(self) -> DBusBool:
            return True

        @dbus_property(access=read)
        def CanPause(self) -> DBusBool:
            return True

        @dbus_property(access=read)
        def CanSeek(self) -> DBusBool:
            return False

        @dbus_property(access=read)
        def CanControl(self) -> DBusBool:
            return True

    def metadata(s: dict) -> dict:
        return {"mpris:trackid": Variant("o", f"/org/audioguide/chapter/{s['chapter_index']}"),
                "mpris:length": Variant("x", int(s["length_us"])),
                "xesam:title": Variant("s", s["chapter"]),
                "xesam:album": Variant("s", s["album"]),
                "xesam:artist": Variant("as", ["audioguide"]),
                "xesam:comment": Variant("as", [s["line"]] if s["line"] else [])}

    return Root(), Player(), metadata


class Mpris:
    """The MPRIS server for one live session: posts Commands, publishes what plays.

    ``album`` is the routine's title; ``length_s`` the session's length.
    """

    def __init__(self, commands: Commands, album: str, length_s: float = 0.0) -> None:
        self.commands = commands
        self.bus_name = BUS_NAME
        self._state: dict[str, Any] = {"status": "Stopped", "chapter": "", "chapter_index": 0, "line": "",
                                       "album": album, "length_us": int(length_s * 1e6), "position_us": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._bus: Any = None
        self._player: Any = None
        self._metadata: Any = None

    def _post(self, method: str) -> None:
        self.commands.put(Command(ACTIONS[method], "mpris"))

    def start(self) -> "Mpris":
        """Connect to the session bus and own the name; raises MprisUnavailable (one line) if it cannot."""
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not address and not os.environ.get("XDG_RUNTIME_DIR"):
            raise MprisUnavailable("media keys off: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            import dbus_fast  # noqa: F401
        except ImportError as error:
            raise MprisUnavailable(f"media keys off: dbus-fast is not installed ({error})") from None
        self._thread = threading.Thread(target=self._run, name="audioguide-mpris", daemon=True)
        self._thread.start()
        if not self._ready.wait(CONNECT_TIMEOUT_S):
            self.close()
            raise MprisUnavailable("media keys off: the D-Bus session bus did not answer")
        if self._error is not None:
            self.close()
            text = (str(self._error).splitlines() or [type(self._error).__name__])[0]
            raise MprisUnavailable(f"media keys off: no D-Bus session bus ({text})")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._connect())
        except Exception as error:  # no bus, refused, bad address: reported by start()
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _connect(self) -> None:
        from dbus_fast import RequestNameReply
        from dbus_fast.aio import MessageBus

        bus = await MessageBus().connect()
        root, player, metadata = _interfaces(
            lambda method: self._loop.call_soon(self._post, method) if self._loop else None, self._state)
        bus.export(OBJECT_PATH, root)
        bus.export(OBJECT_PATH, player)
        reply = await bus.request_name(BUS_NAME)
        if reply not in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            # Another session plays: the spec's way for a second instance.
            self.bus_name = f"{BUS_NAME}.instance{os.getpid()}"
            await bus.request_name(self.bus_name)
        self._bus, self._player, self._metadata = bus, player, metadata

    def update(self, status: str, chapter: str = "", line: str = "", chapter_index: int = 0,
               position_s: float = 0.0) -> None:
        """Publish what plays: ``status`` is "Playing", "Paused" or "Stopped"; signals only what changed."""
        new = {"status": status, "chapter": chapter, "chapter_index": chapter_index, "line": line,
               "position_us": int(position_s * 1e6)}
        loop = self._loop
        if loop is None or self._player is None or loop.is_closed():
            self._state.update(new)
            return
        loop.call_soon_threadsafe(self._apply, new)

    def _apply(self, new: dict) -> None:
        state = self._state
        changed: dict[str, Any] = {}
        if new["status"] != state["status"]:
            changed["PlaybackStatus"] = new["status"]
        meta_changed = any(new[k] != state[k] for k in ("chapter", "chapter_index", "line"))
        state.update(new)
        if meta_changed:
            changed["Metadata"] = self._metadata(state)
        if changed:
            self._player.emit_properties_changed(changed)

    def close(self) -> None:
        """Leave the bus and stop the thread (idempotent)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            def stop() -> None:
                if self._bus is not None:
                    self._bus.disconnect()
                loop.stop()

            try:
                loop.call_soon_threadsafe(stop)
            except RuntimeError:  # the loop closed meanwhile
                pass
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
