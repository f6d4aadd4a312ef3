"""The routine page's form: fields made from a routine's declared options and settings, and read back.

Every option becomes a choice, every setting a number field with its range,
unit and help text; then pace, length, chimes, voice, download format and the
listener's name. What comes back is checked by the library itself
(``resolve_settings(routine, values=...)``), so the page says exactly what
``--set`` would: ``tender_hold: must be 1..600 seconds, got 700``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode

import audioguide as ag

#: Longest text accepted in any one field (a number, a choice, a name).
MAX_FIELD = 200
MAX_LISTENER = 80
SESSION_KEYS = ("pace", "length", "chimes")
AUTO_VOICE = "auto"
PACE_LABELS = {"slow": "slow (0.8×)", "normal": "normal", "fast": "fast (1.25×)"}


@dataclass(frozen=True)
class Field:
    """One control on the page."""

    name: str
    label: str
    kind: str
    """``choice`` (a select), ``number`` or ``text``."""
    value: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """(value, label) of a select's options."""
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """A select's labelled option groups (voices by engine)."""
    unit: str = ""
    min: str = ""
    max: str = ""
    step: str = ""
    default: str = ""


@dataclass(frozen=True)
class SessionForm:
    """What the person chose for one session, as the text the form carries."""

    timings: dict[str, str] = field(default_factory=dict)
    """Setting, option, ``pace``, ``length`` (minutes, "" = natural) and ``chimes`` -> text."""
    voice: str = AUTO_VOICE
    """``auto`` or ``ENGINE:VOICE``."""
    format: str = "mp3"
    listener: str = ""

    @classmethod
    def defaults(cls, routine: ag.Routine) -> SessionForm:
        timings = {n: spec.default for n, spec in routine.options.items()}
        timings |= {n: _number(spec.default) for n, spec in routine.settings.items()}
        return cls({**timings, "pace": "normal", "length": "", "chimes": "true"})

    @classmethod
    def read(cls, routine: ag.Routine, data: Mapping[str, str]) -> SessionForm:
        """The form's values over the routine's defaults; unknown keys are ignored, long values refused."""
        for key, value in data.items():
            if len(value) > MAX_FIELD:
                raise ag.BadInputError(f"{key}: {len(value)} characters is too long for this field")
        base = cls.defaults(routine)
        timings = _as_numbers(routine, {k: data.get(k, v) for k, v in base.timings.items()})
        return cls(timings, data.get("voice", AUTO_VOICE), data.get("format", "mp3"), data.get("listener", ""))

    @classmethod
    def from_preset(cls, routine: ag.Routine, preset: ag.Preset) -> SessionForm:
        base = cls.defaults(routine)
        timings = dict(base.timings)
        for key, value in preset.timings.items():
            if key in timings:
                timings[key] = _text(value)
        timings = _as_numbers(routine, timings)
        voice = AUTO_VOICE if preset.engine == AUTO_VOICE else f"{preset.engine}:{preset.voice or ''}"
        return cls(timings, voice, preset.format, preset.listener)

    def settings(self, routine: ag.Routine) -> ag.Settings:
        """The resolved settings; SettingsError names the field that is wrong."""
        return ag.resolve_settings(routine, values=self.timings)

    def check(self, voices: list[ag.EngineInfo]) -> None:
        """Voice, format and listener are possible; BadInputError says which is not."""
        if self.voice != AUTO_VOICE and self.voice not in {v for _, group in voice_groups(voices) for v, _ in group}:
            raise ag.BadInputError(f"voice: {self.voice!r} is not an installed voice")
        if self.format not in ag.FORMATS:
            raise ag.BadInputError(f"format: must be one of {', '.join(ag.FORMATS)}, got {self.format!r}")
        listener = " ".join(self.listener.split())
        if len(listener) > MAX_LISTENER or not listener.isprintable():
            raise ag.BadInputError(f"listener: a name of at most {MAX_LISTENER} characters on one line")

    def engine_voice(self) -> tuple[str, str | None]:
        if self.voice == AUTO_VOICE:
            return AUTO_VOICE, None
        engine, _, voice = self.voice.partition(":")
        return engine, voice or None

    def preset(self, name: str, routine: ag.Routine) -> ag.Preset:
        """This form saved as a preset; its timings keep numbers as numbers."""
        engine, voice = self.engine_voice()
        timings = {k: _plain(v, k in routine.options) for k, v in self.timings.items()}
        return ag.Preset(name, routine.name, timings, " ".join(self.listener.split()), engine, voice, self.format)

    def query(self) -> str:
        """The form as a URL query (the script preview's link back to the form keeps every value)."""
        return urlencode({**self.timings, "voice": self.voice, "format": self.format, "listener": self.listener})

    def fields(self, routine: ag.Routine, voices: list[ag.EngineInfo]) -> tuple[list[Field], list[Field], list[Field]]:
        """(option fields, setting fields, session fields) for the template, holding this form's values."""
        options = [Field(n, _label(n), "choice", self.timings[n], spec.help, tuple((c, c) for c in spec.choices),
                         default=spec.default) for n, spec in routine.options.items()]
        settings = [Field(n, _label(n), "number", self.timings[n], spec.help, unit=spec.unit, min=_number(spec.min),
                          max=_number(spec.max), step="1" if spec.unit == "count" else "any",
                          default=_number(spec.default)) for n, spec in routine.settings.items()]
        pace = self.timings["pace"]
        paces = tuple((k, PACE_LABELS.get(k, k)) for k in ag.PACES) + (((pace, f"{pace}×"),) if pace not in ag.PACES else ())
        session = [
            Field("pace", "Pace", "choice", pace, "Speech, pauses and repetitions together.", paces, default="normal"),
            Field("length", "Length", "number", self.timings["length"],
                  "Fit the whole session to this many minutes by stretching or shrinking only the pauses "
                  "between instructions; empty for its natural length.", unit="minutes", min="1", max="600",
                  step="any"),
            Field("chimes", "Chimes", "choice", self.timings["chimes"],
                  "Sounds between steps; off speaks the cues instead (\u201cAnd release.\u201d).",
                  (("true", "on"), ("false", "off")), default="true"),
            Field("voice", "Voice", "choice", self.voice, "Piper is natural; pyttsx3 (espeak-ng) is robotic but instant.",
                  ((AUTO_VOICE, "automatic (piper when installed)"),), voice_groups(voices), default=AUTO_VOICE),
            Field("format", "Download as", "choice", self.format,
                  "The player always gets an MP3; M4B is an audiobook with a saved position.",
                  tuple((f, f.upper()) for f in ag.FORMATS), default="mp3"),
            Field("listener", "For (listener's name)", "text", self.listener,
                  "Goes into the file's title: \u201cSelf foot massage, for Anna\u201d. Optional."),
        ]
        return options, settings, session


def voice_groups(voices: list[ag.EngineInfo]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Installed engines' voices as select option groups; values are ``ENGINE:VOICE``."""
    groups = []
    for engine in voices:
        if engine.installed:
            choices = tuple((f"{engine.name}:{v.name}", f"{engine.name}: {v.name}{' (default)' if v.default else ''}")
                            for v in sorted(engine.voices, key=lambda v: (not v.default, v.name)))
            groups.append((engine.name, choices))
    return tuple(groups)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _as_numbers(routine: ag.Routine, timings: dict[str, str]) -> dict[str, str]:
    """Each setting's value, and the length, as the plain number the library reads it as (``1:30`` -> ``90``).

    A number field shows nothing for ``1:30`` (the browser blanks it), and a
    preset keeps what the form holds. A value the setting refuses stays as
    typed, for the error to name it.
    """
    shown = dict(timings)
    for name, spec in routine.settings.items():
        try:
            shown[name] = _number(spec.check(timings[name]))
        except (ValueError, TypeError, KeyError):
            pass
    try:  # the length too: "14:20" (M:SS) is 14.33 minutes, and a number field blanks "14:20"
        length = ag.read_number(timings.get("length", "").strip(), "minutes")
        if isinstance(length, (int, float)) and not isinstance(length, bool):
            shown["length"] = _number(length)
    except ValueError:
        pass
    return shown


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def _plain(text: str, is_option: bool) -> object:
    """A form's text as a preset file keeps it: numbers as numbers, "" as nothing, true/false as booleans."""
    text = text.strip()
    if is_option:
        return text
    if text in ("true", "false"):
        return text == "true"
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
