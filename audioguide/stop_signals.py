"""Stop signals: SIGTERM and SIGHUP unwind a command the way Ctrl-C does.

A service manager, a closed terminal or ``kill`` asks a command to stop; the
work then unwinds as for Ctrl-C (temporary files removed, encoders killed,
sound stopped, terminal restored) and the CLI prints one line and exits with
128 + the signal, the shell's convention.
"""

from __future__ import annotations

import signal
from typing import Any, Callable


class Stopped(SystemExit):
    """SIGTERM or SIGHUP arrived: raised in the main thread wherever it is, so the work unwinds as
    for Ctrl-C (temporary files removed, encoders killed, sound stopped, terminal restored).

    A SystemExit, so that even where nothing catches it the exit status is still 128 + the signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def on_stop_signals() -> Callable[[], None]:
    """Make SIGTERM and SIGHUP raise ``Stopped``; returns the function that puts the old handlers back.

    Only the first one raises: a second (a service manager repeating itself)
    must not cut the cleanup the first one started; SIGKILL still ends it all.
    """
    stopping: list[int] = []

    def leave(signum: int, _frame: Any) -> None:
        if not stopping:
            stopping.append(signum)
            raise Stopped(signum)

    handlers: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue  # Windows has no SIGHUP
        try:
            handlers[sig] = signal.signal(sig, leave)
        except ValueError:
            break  # not the main thread (main() called from a test's thread): the default handlers stay

    def restore() -> None:
        for sig, old in handlers.items():
            signal.signal(sig, old)

    return restore
