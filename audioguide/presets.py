"""Named presets: a routine, its settings and the listener's name, saved as small YAML files.

A physiotherapist keeps one per patient and makes that patient's session again
in a click. A preset file (``audioguide serve`` keeps them in its data folder,
``presets/``; any folder works)::

    # audioguide preset
    name: Anna, left foot
    routine: foot-massage
    listener: Anna
    engine: auto
    voice: null
    format: m4b
    timings:              # what a timings file holds: settings, options, pace, length, chimes
      feet: left
      tender_hold: 20
      pace: slow

The timings are checked when the preset is used
(``resolve_settings(routine, values=preset.timings)``), so a preset saved
against an older version of a routine says exactly which value no longer fits.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import slugs, yamlfile
from .errors import SettingsError
from .files import write_atomic
from .formats import FORMATS
from .text import oneline, show

SUFFIX = ".yaml"
#: Longest preset or listener name, in characters: a name on a phone's screen, not a letter.
MAX_NAME = 80
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Preset:
    """A routine and everything chosen for it, under a name a person picked.

    ``timings`` maps setting, option, ``pace``, ``length`` (minutes or None)
    and ``chimes`` to values, as a timings file does. ``listener`` goes into the
    exported file's title ("... for Anna"); empty for none.
    """

    name: str
    routine: str
    """A bundled routine's name or an uploaded one's (what ``load_routine`` or a server looks up)."""
    timings: dict[str, Any] = field(default_factory=dict)
    listener: str = ""
    engine: str = "auto"
    voice: str | None = None
    format: str = "mp3"

    @property
    def slug(self) -> str:
        """The file stem and URL name: ``Anna, left foot`` -> ``anna-left-foot``."""
        return preset_slug(self.name)


def preset_slug(name: str) -> str:
    """Lowercase ASCII letters, digits and hyphens from ``name``; SettingsError if nothing is left."""
    slug = slugs.slug(name, MAX_NAME)
    if not slug:
        raise SettingsError(f"name {show(name)}: needs at least one letter or digit")
    return slug


def check_name(value: Any, what: str, *, allow_empty: bool = False) -> str:
    """A one-line name of at most ``MAX_NAME`` characters, spaces collapsed; SettingsError otherwise."""
    if not isinstance(value, str):
        raise SettingsError(f"{what}: must be text, got {show(value)}")
    text = " ".join(value.split())
    if not text and not allow_empty:
        raise SettingsError(f"{what}: must not be empty")
    if len(text) > MAX_NAME:
        raise SettingsError(f"{what}: is {len(text)} characters; the limit is {MAX_NAME}")
    if not text.isprintable():
        raise SettingsError(f"{what}: {oneline(text)} holds control characters")
    return text


def save_preset(folder: str | os.PathLike[str], preset: Preset) -> Path:
    """Write ``preset`` to ``folder/SLUG.yaml`` atomically (replacing a preset of the same name).

    The folder is created if missing. Raises SettingsError for a bad name or
    value, OSError from the file system.
    """
    preset = _checked(preset.__dict__, "preset")
    doc = {"name": preset.name, "routine": preset.routine, "listener": preset.listener, "engine": preset.engine,
           "voice": preset.voice, "format": preset.format, "timings": preset.timings}
    text = "# audioguide preset\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / f"{preset.slug}{SUFFIX}", lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_preset(folder: str | os.PathLike[str], slug: str) -> Preset:
    """The preset saved as ``folder/SLUG.yaml``; SettingsError (one line) if it is missing or broken."""
    if not _SLUG.match(slug):
        raise SettingsError(f"no preset called {show(slug)}")
    path = Path(folder) / f"{slug}{SUFFIX}"
    if not path.is_file():
        raise SettingsError(f"no preset called {show(slug)}")
    doc = yamlfile.load(path, path.name, SettingsError)
    if not isinstance(doc.data, dict):
        raise SettingsError(f"{doc.where('')}: a preset is a mapping with name, routine and timings")
    return _checked(doc.data, path.name)


def list_presets(folder: str | os.PathLike[str]) -> list[Preset]:
    """Every readable preset in ``folder``, by name (case-insensitive); files that do not load are left out."""
    found = []
    for path in sorted(Path(folder).glob(f"*{SUFFIX}")):
        try:
            found.append(load_preset(folder, path.stem))
        except SettingsError:
            continue  # a hand-edited file gone wrong: load_preset names the problem
    return sorted(found, key=lambda p: p.name.lower())


def delete_preset(folder: str | os.PathLike[str], slug: str) -> bool:
    """Remove ``folder/SLUG.yaml``; False if there was no such preset."""
    if not _SLUG.match(slug):
        return False
    path = Path(folder) / f"{slug}{SUFFIX}"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _checked(raw: dict[str, Any], where: str) -> Preset:
    known = ("name", "routine", "listener", "engine", "voice", "format", "timings")
    for key in raw:
        if key not in known:
            raise SettingsError(f"{where}: unknown key {show(key)} (a preset has {', '.join(known)})")
    name = check_name(raw.get("name"), f"{where}: name")
    try:
        preset_slug(name)
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None
    routine = raw.get("routine")
    if not isinstance(routine, str) or not _SLUG.match(routine.replace("_", "-")):
        raise SettingsError(f"{where}: routine: must be a routine's name, got {show(routine)}")
    listener = check_name(raw.get("listener") or "", f"{where}: listener", allow_empty=True)
    engine = check_name(raw.get("engine") or "auto", f"{where}: engine")
    voice = raw.get("voice")
    if voice is not None:
        voice = check_name(voice, f"{where}: voice")
    fmt = raw.get("format") or "mp3"
    if fmt not in FORMATS:
        raise SettingsError(f"{where}: format: must be one of {', '.join(FORMATS)}, got {show(fmt)}")
    timings = raw.get("timings") or {}
    if not isinstance(timings, dict) or not all(isinstance(k, str) and isinstance(v, _SCALARS)
                                                for k, v in timings.items()):
        raise SettingsError(f"{where}: timings: must map names to single values, like tender_hold: 20")
    return Preset(name, routine, dict(timings), listener, engine, voice, fmt)
