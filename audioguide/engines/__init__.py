"""The speech engine registry.

Engines register a factory under a name; the built-in ones do it exactly as a
third-party engine would::

    from audioguide import engines
    engines.register("myvoice", MyEngine)

Factories run on first ``get()``, and the built-in factories import their
module only then: importing piper and onnxruntime costs 0.05-0.25 s, which a
command that only prints a script must not pay.
"""

from __future__ import annotations

import threading
from typing import Callable

from ..errors import EngineError, UnknownEngineError
from .base import Engine, Speech, Voice

__all__ = ["AUTO", "Engine", "Speech", "Voice", "check_voice", "describe", "get", "names", "register", "resolve"]

AUTO = "auto"
"""The engine name that means: the best engine that is installed."""

_factories: dict[str, Callable[[], Engine]] = {}
_instances: dict[str, Engine] = {}
_lock = threading.RLock()
"""Reentrant: a factory may itself look at the registry."""


def register(name: str, factory: Callable[[], Engine]) -> None:
    """Make ``factory()`` the engine called ``name`` (replacing an earlier registration)."""
    if not name or name == AUTO:
        raise ValueError(f"cannot register an engine called {name!r}")
    with _lock:
        _factories[name] = factory
        _instances.pop(name, None)


def names() -> list[str]:
    """Registered engine names, in registration order."""
    with _lock:
        return list(_factories)


def get(name: str) -> Engine:
    """The engine called ``name`` ("auto" resolved), created once and then shared."""
    if name == AUTO:
        name = resolve(name)
    with _lock:
        if name not in _instances:
            if name not in _factories:
                raise UnknownEngineError(f"unknown engine {name!r}; known engines: {', '.join([AUTO, *_factories])}")
            _instances[name] = _factories[name]()
        return _instances[name]


def resolve(name: str) -> str:
    """The concrete engine for ``name``: "auto" means piper if it is installed, else pyttsx3."""
    if name == AUTO:
        from . import piper_engine

        return "piper" if piper_engine.is_installed() else "pyttsx3"
    if name not in names():
        raise UnknownEngineError(f"unknown engine {name!r}; known engines: {', '.join([AUTO, *names()])}")
    return name


def check_voice(engine: Engine, voice: str) -> None:
    """UnknownEngineError unless ``engine`` can speak with ``voice``, before any work.

    An engine may check for itself (``check_voice``: piper also takes a path
    to an ``.onnx`` file); otherwise the voice must be one it lists, if it lists
    any. When another installed engine has the voice, the message says to
    choose that engine (``gmw/en-us`` is an espeak voice, through pyttsx3).
    """
    try:
        check = getattr(engine, "check_voice", None)
        if check is not None:
            check(voice)
        elif (known := [v.name for v in engine.voices()]) and voice not in known:
            raise UnknownEngineError(f"unknown {engine.name} voice {voice!r} (all: audioguide voices)")
    except UnknownEngineError as error:
        owner = next((name for name in names() if name != engine.name and _has_voice(name, voice)), None)
        if owner is None:
            raise
        raise UnknownEngineError(f"{error}; {voice!r} is a {owner} voice: add --engine {owner}") from None


def _has_voice(name: str, voice: str) -> bool:
    """Whether the engine called ``name`` is installed and lists ``voice``."""
    try:
        return voice in {v.name for v in get(name).voices()}
    except EngineError:
        return False


def describe() -> list[tuple[str, bool, list[Voice] | str]]:
    """For ``audioguide voices``: (engine, installed, its voices or the line saying what to install)."""
    rows: list[tuple[str, bool, list[Voice] | str]] = []
    for name in names():
        try:
            rows.append((name, True, get(name).voices()))
        except EngineError as error:
            rows.append((name, False, str(error)))
    return rows


def _pyttsx3() -> Engine:
    from .pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


def _piper() -> Engine:
    from .piper_engine import PiperEngine

    return PiperEngine()


register("piper", _piper)
register("pyttsx3", _pyttsx3)
