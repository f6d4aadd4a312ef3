"""The one command type every input source produces, and the queue the loop reads.

Keys today, media keys and voice tomorrow: each source turns its own events
into ``Command`` values on one ``queue.SimpleQueue``; the loop hands them to
the transport in order. No source moves playback by a path of its own.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Literal, get_args

Action = Literal[
    "toggle",  # pause, or resume where it stopped
    "pause",
    "resume",
    "next",  # the next step
    "back",  # the start of this step; again within BACK_AGAIN_S: the previous step
    "repeat",  # the last instruction again, then on from where it was
    "volume_up",
    "volume_down",
    "quit",
    "go",  # the user's go-ahead: resumes a paused session
    "suspend",  # Ctrl-Z: pause, give the terminal back, stop the process until `fg`
]
ACTIONS: tuple[Action, ...] = get_args(Action)


@dataclass(frozen=True)
class Command:
    """One request to the player, from any input source."""

    action: Action
    source: str = "keys"
    """Where it came from (``keys``, ``signal``, ...), for status lines and tests."""


Commands = queue.SimpleQueue
"""The loop's one inbox: ``Commands[Command]``; every source ``put``\\ s into it."""
