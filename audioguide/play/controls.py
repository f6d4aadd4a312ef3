"""The user's control files: which key does what (keys.yaml), and the voice phrases (voice.yaml).

Both live in the user's configuration directory (``~/.config/audioguide`` on
Linux, from platformdirs; ``AUDIOGUIDE_CONFIG_DIR`` overrides it) or are named
with ``--keys FILE`` / ``--phrases FILE``. Both are optional: without them the
README's keys and phrases apply. A mistake in one is a located one-line error
(``keys.yaml:3: keys.x: unknown action 'paws'; ...``) before anything plays.

keys.yaml::

    any_key: toggle      # optional: every key not listed below does this (default: go)
    keys:                # key: action (a listed key replaces its default; "none" unmaps it)
      b: toggle          # a foot pedal that types b pauses and resumes
      space: toggle

voice.yaml::

    sensitivity: 0.5     # 0 (fewest false triggers) .. 1 (catches the most)
    phrases:             # phrase: action (these replace the default phrases)
      pause now: pause
      carry on: go
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ControlsError
from ..text import did_you_mean, oneline, read_number, show, show_given
from .. import yamlfile
from .commands import ACTIONS, Action
from .inputs.keys import DEFAULT_KEYS, HELP_KEYS
from .inputs.phrases import DEFAULT_SENSITIVITY

#: Names for keys that YAML cannot write plainly or that send escape sequences.
KEY_NAMES: dict[str, str] = {
    "space": " ", "enter": "\n", "return": "\n", "tab": "\t", "backspace": "\x7f", "escape": "escape",
    "up": "up", "down": "down", "left": "left", "right": "right", "home": "home", "end": "end",
    "page_up": "page_up", "page_down": "page_down", "insert": "insert", "delete": "delete",
}
#: How the keys line names a key that is not a plain character.
KEY_LABELS: dict[str, str] = {v: k for k, v in reversed(KEY_NAMES.items())}
#: How the keys line says what an action does.
ACTION_HELP: dict[str, str] = {
    "toggle": "pause/resume", "pause": "pause", "resume": "resume", "next": "next step",
    "back": "back (twice: previous step)", "repeat": "repeat instruction", "volume_up": "volume up",
    "volume_down": "volume down", "quit": "quit", "go": "go on", "suspend": "suspend",
}
NONE = "none"
KEYS_FILE = "keys.yaml"
VOICE_FILE = "voice.yaml"


def config_dir() -> Path:
    """Where the control files are looked for: ``$AUDIOGUIDE_CONFIG_DIR`` or the platform's config dir."""
    from platformdirs import user_config_dir

    return Path(os.environ.get("AUDIOGUIDE_CONFIG_DIR") or user_config_dir("audioguide"))


#: What a key that is not mapped does by default: "go" (press any key to go on: it
#: resumes a paused session and ends a self-paced wait; otherwise it does nothing).
OTHERWISE: Action = "go"


@dataclass(frozen=True)
class KeyMap:
    """What each key does: ``keys`` (a character, or a name from KEY_NAMES), and ``otherwise``
    the action of every other key (None: nothing)."""

    keys: Mapping[str, Action | None] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    """Each listed key's action; None for a key a file set to "none" (it does nothing)."""
    otherwise: Action | None = OTHERWISE
    source: str = ""
    """The file it came from ("" for the defaults)."""

    def action(self, key: str) -> Action | None:
        """The action for one key press."""
        return self.keys.get(key, self.otherwise)

    def help_line(self) -> str:
        """The keys line play shows: what each key in force does, in the order of the actions."""
        if not any(self.keys.values()) and self.otherwise == "toggle":
            return "keys: any key pauses and resumes · Ctrl-C quits"
        if dict(self.keys) == DEFAULT_KEYS and self.otherwise == OTHERWISE:
            return HELP_KEYS
        by_action: dict[str, list[str]] = {}
        for key, action in self.keys.items():
            if action is not None and not (key.isalpha() and len(key) == 1 and key.isupper()):
                by_action.setdefault(action, []).append(KEY_LABELS.get(key, key))
        parts = [f"{'/'.join(keys)} {ACTION_HELP[action]}" for action in ACTIONS if action in by_action
                 for keys in [by_action[action]]]
        if self.otherwise is not None:
            parts.append(f"other keys {ACTION_HELP[self.otherwise]}")
        return "keys: " + " · ".join(parts + ["Ctrl-C quits"])


@dataclass(frozen=True)
class VoiceConfig:
    """Phrases to listen for, how readily, and on which capture device."""

    phrases: Mapping[str, Action]
    sensitivity: float = DEFAULT_SENSITIVITY
    mic: str = "default"
    source: str = ""


def _document(path: str | Path | None, default_name: str, known: tuple[str, ...]) -> yamlfile.Document | None:
    """The control file named, or the default one if it exists, parsed; None if there is none.
    ``known``: its keys, named when the file is not a mapping of them."""
    if path is None:
        default = config_dir() / default_name
        if not default.is_file():
            return None
        path = default
    doc = yamlfile.load(Path(path), str(path), ControlsError)
    if doc.data is None:
        return yamlfile.Document({}, doc.display, doc.lines)
    if not isinstance(doc.data, dict):
        raise ControlsError(f"{doc.where('')}: expected keys such as {' and '.join(k + ':' for k in known)}, "
                            f"got {type(doc.data).__name__}")
    return doc


def _check_keys(doc: yamlfile.Document, known: set[str]) -> None:
    for key in doc.data:
        if key not in known:
            raise ControlsError(f"{doc.where(str(key))}: unknown key{did_you_mean(str(key), sorted(known))}; "
                                f"expected {', '.join(sorted(known))}")


def _action(doc: yamlfile.Document, where: str, value: Any, allow_none: bool = False) -> Action | None:
    if allow_none and value == NONE:
        return None
    if not isinstance(value, str) or value not in ACTIONS:
        hint = did_you_mean(value, list(ACTIONS)) if isinstance(value, str) else ""
        extra = f" or {NONE}" if allow_none else ""
        what = "no action given" if value is None or value == "" else f"unknown action {show(value)}{hint}"
        raise ControlsError(f"{doc.where(where)}: {what}; the actions are: {', '.join(ACTIONS)}{extra}")
    return value  # type: ignore[return-value]


def key_of(name: Any) -> str | None:
    """The key a keys.yaml entry names: one character, a digit, or a name from KEY_NAMES."""
    if isinstance(name, bool):
        return None
    if isinstance(name, int) and 0 <= name <= 9:
        return str(name)
    if not isinstance(name, str):
        return None
    if len(name) == 1:
        return name
    return KEY_NAMES.get(name.lower())


def load_keys(path: str | Path | None = None, any_key: bool = False) -> KeyMap:
    """The key map: the defaults, changed by keys.yaml (``path``, or the default file if it exists).

    ``any_key`` (``--any-key``): every key pauses and resumes, except keys the
    file lists explicitly. A file's ``any_key: ACTION`` does the same with its
    action; without either, keys not mapped do ``OTHERWISE``. Raises ControlsError (exit 2) with the file and line.
    """
    doc = _document(path, KEYS_FILE, ("keys", "any_key"))
    keys: dict[str, Action] = {} if any_key else dict(DEFAULT_KEYS)
    fallback: Action | None = "toggle" if any_key else OTHERWISE
    if doc is None:
        return KeyMap(keys, fallback)
    _check_keys(doc, {"any_key", "keys"})
    if "any_key" in doc.data and not any_key:
        fallback = _action(doc, "any_key", doc.data["any_key"], allow_none=True)
        if fallback is not None and fallback != OTHERWISE:
            keys = {}  # a big target: the default small keys go; the file's own keys stay
    listed = doc.data.get("keys") or {}
    if not isinstance(listed, dict):
        raise ControlsError(f"{doc.where('keys')}: expected key: action lines, got {show(listed)}")
    named: dict[str, str] = {}
    for name, value in listed.items():
        key = key_of(name)
        if key is None:
            # YAML reads yes/no/on/off/true/false as true or false: quoted, "on" is no key name either.
            why = "YAML read it as true/false" if isinstance(name, bool) else f"{show(name)} is not a key"
            raise ControlsError(f"{doc.where(f'keys.{name}')}: {why}: use one character or "
                                f"a name ({', '.join(KEY_NAMES)})")
        letter = key.isalpha() and len(key) == 1
        same = key.lower() if letter else key  # "b" is the key, with or without shift
        if same in named:
            raise ControlsError(f"{doc.where(f'keys.{name}')}: {name!r} is the same key as {named[same]!r}"
                                + (" (a letter means both cases)" if letter else ""))
        named[same] = str(name)
        action = _action(doc, f"keys.{name}", value, allow_none=True)
        # "none" takes the key's action away: it stays listed, doing nothing (not the other keys' action).
        keys[key] = action
        if key.isalpha() and len(key) == 1:
            keys[key.swapcase()] = action
    return KeyMap(keys, fallback, doc.display)


def load_voice(path: str | Path | None = None, sensitivity: float | str | None = None,
               mic: str | None = None) -> VoiceConfig:
    """Phrases and sensitivity from voice.yaml (``path``, or the default file if it exists).

    ``sensitivity`` and ``mic`` (the flags) win over the file; ``sensitivity``
    may be the flag's text. Raises
    ControlsError (exit 2): a bad file, an unknown action, a phrase the
    recognizer cannot spot (a word not in its dictionary, one syllable), or a
    sensitivity outside 0..1.
    """
    from .inputs.phrases import DEFAULT_PHRASES, VoiceUnavailable, check_phrases, normalize_phrase

    doc = _document(path, VOICE_FILE, ("phrases", "sensitivity"))
    phrases: dict[str, Action] = dict(DEFAULT_PHRASES)
    level = DEFAULT_SENSITIVITY
    if doc is not None:
        _check_keys(doc, {"phrases", "sensitivity"})
        if "sensitivity" in doc.data:
            level = _sensitivity(doc.data["sensitivity"], doc.where("sensitivity"))
        if "phrases" in doc.data:
            listed = doc.data["phrases"]
            if not isinstance(listed, dict) or not listed:
                raise ControlsError(f"{doc.where('phrases')}: expected phrase: action lines")
            phrases = {}
            first: dict[str, str] = {}  # phrase as compared -> as written first
            for text, value in listed.items():
                phrase = normalize_phrase(str(text))
                if not phrase:
                    raise ControlsError(f"{doc.where(f'phrases.{text}')}: an empty phrase; write the words to say")
                if phrase in first:
                    raise ControlsError(f"{doc.where(f'phrases.{text}')}: {text!r} is the same phrase as "
                                        f"{first[phrase]!r} (case, spaces and end punctuation do not count)")
                first[phrase] = str(text)
                phrases[phrase] = _action(doc, f"phrases.{text}", value)  # type: ignore[assignment]
                try:
                    check_phrases({phrase: phrases[phrase]})
                except ValueError as error:
                    raise ControlsError(f"{doc.where(f'phrases.{text}')}: {error}") from None
                except VoiceUnavailable:
                    break  # no recognizer: --listen says so once, without failing the file
    if sensitivity is not None:
        level = _sensitivity(sensitivity, oneline(f"--sensitivity {sensitivity}"))
    if mic is not None and not mic.strip():
        raise ControlsError("--mic: give a capture device (arecord -L lists them; 'default' is ALSA's default)")
    return VoiceConfig(phrases, level, mic or "default", doc.display if doc is not None else "")


def _sensitivity(value: Any, where: str) -> float:
    """A sensitivity 0..1: a number, or text ``read_number`` reads as one (``1e-1``; ``0x1`` is refused)."""
    try:
        number = read_number(value)
    except ValueError as exc:
        raise ControlsError(f"{where}: {exc}") from None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= 1:
        raise ControlsError(f"{where}: must be a number from 0 to 1, got {show_given(value)}")
    return float(number)
