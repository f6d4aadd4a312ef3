"""Keys: single key presses from the terminal, turned into Commands on the loop's queue.

cbreak mode (no echo, no line editing; Ctrl-C still interrupts and Ctrl-Z
still suspends), restored on every way out. A reader thread waits for keys and
posts one ``Command`` per mapped key; it never touches playback itself.
"""

from __future__ import annotations

import os
import re
import select
import threading
from typing import Mapping, TextIO

from ..commands import Action, Command, Commands

#: Key -> action, as the README's key table documents them.
DEFAULT_KEYS: dict[str, Action] = {
    " ": "toggle",
    "n": "next",
    "N": "next",
    "b": "back",
    "B": "back",
    "r": "repeat",
    "R": "repeat",
    "+": "volume_up",
    "=": "volume_up",
    "-": "volume_down",
    "_": "volume_down",
    "q": "quit",
    "Q": "quit",
}

#: Escape sequences of the keys that send them (xterm and the Linux console) -> the key's name.
SEQUENCES = {
    "[A": "up", "[B": "down", "[C": "right", "[D": "left", "[H": "home", "[F": "end", "OH": "home",
    "OF": "end", "[1~": "home", "[4~": "end", "[2~": "insert", "[3~": "delete", "[5~": "page_up",
    "[6~": "page_down",
}
#: One key press in what a terminal sends: an escape sequence (CSI or SS3), Esc alone, or a character.
_KEY = re.compile(r"\x1b(\[[0-9;?]*[@-~]|O.)|\x1b|.", re.S)
_INCOMPLETE = re.compile(r"\x1b(\[[0-9;?]*|O)?$")
#: How long a read waits for the rest of an escape sequence (terminals send it at once).
ESCAPE_WAIT_S = 0.03

HELP_KEYS = ("keys: space pause/resume · n next step · b back (twice: previous step) · "
             "r repeat instruction · +/- volume · q quit")

#: How long the reader waits for a key before looking whether it should stop.
READ_POLL_S = 0.05


def foreground_tty(stream: TextIO) -> int | None:
    """The fd of ``stream`` if it is a terminal this process may read keys from, else None."""
    try:
        import termios  # noqa: F401  (POSIX only: elsewhere, play straight through)

        fd = stream.fileno()
    except (ImportError, AttributeError, OSError, ValueError):
        return None
    if not os.isatty(fd):
        return None
    try:
        if os.tcgetpgrp(fd) != os.getpgrp():
            return None  # started in the background: touching the terminal would stop us (SIGTTOU)
    except OSError:
        pass  # not our controlling terminal: no job control applies to it
    return fd


def split_keys(data: str) -> list[str]:
    """The key presses in what the terminal sent: characters, and names for keys that send
    escape sequences (``up``, ``page_down`` ...; ``escape`` for Esc; ``key`` for any other)."""
    keys = []
    for match in _KEY.finditer(data):
        text = match.group(0)
        if text == "\x1b":
            keys.append("escape")
        elif text.startswith("\x1b"):
            keys.append(SEQUENCES.get(match.group(1), "key"))
        else:
            keys.append(text)
    return keys


class Keys:
    """The terminal in cbreak mode while alive, and a thread posting Commands for mapped keys.

    ``otherwise``: the action of any key not in ``keymap`` (None: such keys do
    nothing). Raises OSError or termios.error if the terminal cannot be set.
    """

    def __init__(self, fd: int, commands: Commands, keymap: Mapping[str, Action] = DEFAULT_KEYS,
                 otherwise: Action | None = None) -> None:
        import termios
        import tty

        self.fd = fd
        self.commands = commands
        self.keymap = dict(keymap)
        self.otherwise = otherwise
        self._termios, self._tty = termios, tty
        self.saved = termios.tcgetattr(fd)
        self.eof = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.enter()

    def start(self) -> Keys:
        self._thread = threading.Thread(target=self._read_loop, name="audioguide-keys", daemon=True)
        self._thread.start()
        return self

    def enter(self) -> None:
        """Put the terminal (back) into cbreak mode."""
        # cbreak, not raw: ISIG stays on, so Ctrl-C raises KeyboardInterrupt and Ctrl-Z suspends.
        self._tty.setcbreak(self.fd, self._termios.TCSANOW)

    def restore(self) -> None:
        """Give the terminal its saved mode back."""
        self._termios.tcsetattr(self.fd, self._termios.TCSADRAIN, self.saved)

    def close(self) -> None:
        """Stop reading and restore the terminal."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
        self.restore()

    def _read_loop(self) -> None:
        while not self._stop.is_set() and not self.eof:
            for key in self.read(READ_POLL_S):
                action = self.keymap.get(key, self.otherwise)
                if action is not None:
                    self.commands.put(Command(action, "keys"))

    def read(self, timeout: float) -> list[str]:
        """Keys pressed within ``timeout`` seconds (none: []), as ``split_keys`` names them."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 64).decode("latin-1")
        if not data:
            self.eof = True  # the terminal went away: play on without keys
        # An escape sequence cut between two reads would be Esc, "[" and "A": three keys.
        while _INCOMPLETE.search(data) and select.select([self.fd], [], [], ESCAPE_WAIT_S)[0]:
            more = os.read(self.fd, 64).decode("latin-1")
            if not more:
                break
            data += more
        return split_keys(data)
