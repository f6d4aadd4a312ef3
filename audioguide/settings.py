"""Settings: every duration, count and choice that shapes a session.

Sources, weakest first: the routine's defaults, a timings file
(``--timings FILE``), ``--set KEY=VALUE`` (repeatable), then the dedicated
flags (``--pace``, ``--length``, ``--position`` ...). ``timings_yaml`` writes
a file that ``--timings`` accepts unchanged.
"""

from __future__ import annotations

import shlex

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from . import yamlfile
from .errors import SettingsError
from .routine import Routine
from .text import close_matches, fmt_number, oneline, read_number, show, show_given

#: Named paces: a factor on speaking rate and on the pauses between instructions.
PACES = {"slow": 0.8, "normal": 1.0, "fast": 1.25}
PACE_RANGE = (0.5, 2.0)
#: ``--length`` limits in minutes: a typo guard, not a promise the routine can reach them.
LENGTH_RANGE = (1.0, 600.0)
#: Keys a timings file may hold besides the routine's settings and options.
GLOBAL_KEYS = ("pace", "length", "chimes", "bed", "bed_volume", "bed_duck")  # each is in routine.RESERVED_NAMES
#: The generated sound beds (``bed.py`` synthesizes each); any other ``bed`` value is an audio file.
BED_NAMES = ("brown", "pink", "pad")
#: ``bed`` values that mean no bed.
NO_BED = ("none", "off")
#: The bed's level in the pauses relative to the voice, in dB: default and range.
BED_VOLUME_DB, BED_VOLUME_RANGE = -18.0, (-40.0, -6.0)
#: How far the bed goes down under speech, in dB: default and range.
BED_DUCK_DB, BED_DUCK_RANGE = 12.0, (0.0, 30.0)


@dataclass(frozen=True)
class Settings:
    """Resolved values for one session."""

    values: dict[str, float | int] = field(default_factory=dict)
    """Every setting the routine declares, in its own unit (seconds or count)."""
    options: dict[str, str] = field(default_factory=dict)
    """Every option's chosen value."""
    pace: float = 1.0
    """Speed factor: 1.25 speaks 25% faster and shortens pauses and tempos to match."""
    length_ms: int | None = None
    """Target session length, or None for the natural length."""
    chimes: bool = True
    """False replaces sounds by spoken cues ("And release.")."""
    bed: str | None = None
    """A generated bed's name (``BED_NAMES``) or an audio file's path; None for no bed."""
    bed_volume_db: float = BED_VOLUME_DB
    """The bed's loudness in the pauses, relative to the voice's."""
    bed_duck_db: float = BED_DUCK_DB
    """How much lower the bed is under speech."""
    bed_where: str = field(default="", compare=False)
    """Where ``bed`` was set (``--bed``, ``my.yaml:3: bed``), for messages about the file."""
    length_where: str = field(default="", compare=False)
    """Where ``length`` was set (``--length 1``, ``my.yaml:3: length``), for a length the session cannot fit."""

    def record(self) -> dict[str, Any]:
        """A plain dict for the script's JSON document."""
        return {
            "pace": self.pace,
            "length_ms": self.length_ms,
            "chimes": self.chimes,
            **({"bed": self.bed, "bed_volume_db": self.bed_volume_db, "bed_duck_db": self.bed_duck_db}
               if self.bed is not None else {}),
            "options": dict(self.options),
            "values": dict(self.values),
        }


def defaults(routine: Routine) -> Settings:
    return Settings(
        values={name: spec.default for name, spec in routine.settings.items()},
        options={name: spec.default for name, spec in routine.options.items()},
    )


def resolve(
    routine: Routine,
    *,
    timings: str | Path | None = None,
    sets: Sequence[str] = (),
    pace: str | float | None = None,
    length: str | float | None = None,
    options: Mapping[str, str | None] | None = None,
    chimes: bool | None = None,
    values: Mapping[str, Any] | None = None,
    bed: str | None = None,
    bed_volume: str | float | None = None,
) -> Settings:
    """Apply every source in order of precedence; SettingsError names the culprit.

    ``values`` holds what a timings file holds (settings, options, ``pace``,
    ``length`` in minutes, ``chimes``), from a web form or a saved preset; it
    comes right after ``timings``, and messages name its key (``tender_hold:
    must be 1..600 seconds, got 700``). Text values are read like ``--set``'s
    (``"20"`` is 20, ``""`` is nothing).
    """
    s = defaults(routine)
    if timings is not None:
        s = _apply_timings_file(routine, s, Path(timings), str(timings))
    for key, value in (values or {}).items():
        s = _apply(routine, s, str(key), _text(value), oneline(str(key)))
    for item in sets:
        key, sep, raw = item.partition("=")
        where = f"--set {oneline(item)}"
        if not sep or not key.strip():
            raise SettingsError(f"{where}: expected KEY=VALUE, for example --set tender_hold=20")
        s = _apply(routine, s, key.strip(), _text(raw), where)
    if pace is not None:
        s = replace(s, pace=parse_pace(pace, oneline(f"--pace {pace}")))
    if length is not None:
        where = oneline(f"--length {length}")
        s = replace(s, length_ms=parse_length(_text(length), where), length_where=where)
    for name, value in (options or {}).items():
        if value is not None:
            s = _apply(routine, s, name, value, oneline(f"--{name.replace('_', '-')} {value}"))
    if chimes is not None:
        s = replace(s, chimes=chimes)
    if bed is not None:
        s = _apply(routine, s, "bed", bed, oneline(f"--bed {bed}"))
    if bed_volume is not None:
        s = _apply(routine, s, "bed_volume", _text(bed_volume),
                   oneline(f"--bed-volume {bed_volume if str(bed_volume).strip() else repr(bed_volume)}"))
    return s


def parse_pace(value: Any, where: str) -> float:
    """A pace: a name from PACES or a factor within PACE_RANGE (text read by ``read_number``)."""
    if isinstance(value, str) and value.strip() in PACES:
        return PACES[value.strip()]
    number = _number(value, "", where)
    lo, hi = PACE_RANGE
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not lo <= number <= hi:
        raise SettingsError(f"{where}: must be slow, normal, fast or a factor {lo:g}..{hi:g}, got {show_given(value)}")
    return float(number)


def parse_length(value: Any, where: str) -> int | None:
    """Minutes (a number, M:SS or H:MM:SS; None for natural length) -> ms."""
    if value is None:
        return None
    number = _number(value, "minutes", where)
    lo, hi = LENGTH_RANGE
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not lo <= number <= hi:
        raise SettingsError(f"{where}: must be a number of minutes {lo:g}..{hi:g}, got {show_given(value)}")
    return round(number * 60_000)


def _text(value: Any) -> Any:
    """A value given as text (``--set``, a flag, a web form): stripped, and "" is nothing; others unchanged."""
    if not isinstance(value, str):
        return value
    return value.strip() or None


def _number(value: Any, unit: str, where: str) -> Any:
    """``read_number`` with the place in its message."""
    try:
        return read_number(value, unit)
    except ValueError as exc:
        raise SettingsError(f"{where}: {exc}") from None


def parse_bed(value: Any, where: str, base: Path | None = None) -> str | None:
    """A ``bed`` value: a generated bed's name, a file's path (relative to ``base``), or None for none."""
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in NO_BED):
        return None
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where}: must be {', '.join(BED_NAMES)}, none or an audio file's path, got {show(value)}")
    value = value.strip()
    if value.lower() in BED_NAMES:  # any case, like none and off
        return value.lower()
    if base is None or Path(value).expanduser().is_absolute():
        return value
    return str(base / value)


def parse_db(value: Any, where: str, span: tuple[float, float], what: str) -> float:
    """A level in dB within ``span`` (a number, or text ``read_number`` reads as one: ``-1e1``)."""
    lo, hi = span
    number = _number(value, "", where)
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not lo <= number <= hi:
        raise SettingsError(f"{where}: {what} must be {fmt_number(lo)}..{fmt_number(hi)} dB, got {show_given(value)}")
    return float(number)


def _apply(routine: Routine, s: Settings, key: str, value: Any, where: str, base: Path | None = None) -> Settings:
    if key in routine.settings:
        try:
            checked = routine.settings[key].check(value)
        except ValueError as exc:
            raise SettingsError(f"{where}: {exc}") from None
        return replace(s, values={**s.values, key: checked})
    if key in routine.options:
        spec = routine.options[key]
        if value not in spec.choices:
            raise SettingsError(f"{where}: must be one of {', '.join(spec.choices)}, got {show(value)}")
        return replace(s, options={**s.options, key: value})
    if key == "pace":
        return replace(s, pace=parse_pace(value, where))
    if key == "length":
        return replace(s, length_ms=parse_length(value, where), length_where=where)
    if key == "chimes":
        if isinstance(value, str):
            value = _boolean(value)
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: must be true or false, got {show(value)}")
        return replace(s, chimes=value)
    if key == "bed":
        return replace(s, bed=parse_bed(value, where, base), bed_where=where)
    if key == "bed_volume":
        return replace(s, bed_volume_db=parse_db(value, where, BED_VOLUME_RANGE, "the bed's volume"))
    if key == "bed_duck":
        return replace(s, bed_duck_db=parse_db(value, where, BED_DUCK_RANGE, "the ducking depth"))
    known = list(routine.settings) + list(routine.options) + list(GLOBAL_KEYS)
    close = close_matches(key, known)
    hint = f" (did you mean {close[0]!r}?)" if close else "; see: audioguide timings"
    raise SettingsError(f"{where}: unknown setting {show(key)} for routine {routine.name!r}{hint}")


def _boolean(text: str) -> Any:
    """``text`` as YAML reads a word (true, false, yes, no, on, off); other text unchanged."""
    try:  # the guarded reader: "[[[[..." must not end in a RecursionError
        value = yamlfile.parse(text, "", SettingsError).data
    except SettingsError:
        return text
    return value if isinstance(value, bool) else text


def _apply_timings_file(routine: Routine, s: Settings, path: Path, display: str) -> Settings:
    doc = yamlfile.load(path, display, SettingsError)
    if doc.data is None:
        return s  # an empty timings file changes nothing
    if not isinstance(doc.data, dict):
        raise SettingsError(f"{doc.where('')}: must be a mapping of setting: value, like 'tender_hold: 20'")
    for key, value in doc.data.items():
        if str(key) in doc.written and (str(key) in routine.options or not isinstance(value, bool)):
            value = doc.written[str(key)]  # `warm: no` is the choice no, `gap: 1e400` shown as typed
        s = _apply(routine, s, str(key), value, oneline(doc.where(str(key))), base=path.parent)
    return s


def timings_yaml(routine: Routine, s: Settings | None = None) -> str:
    """Every setting with its description and range, as a timings file."""
    s = s or defaults(routine)
    # How to name the routine again: a bundled one by its name, a file by its path.
    ref = routine.display if Path(routine.display).exists() else routine.name
    ref = "ROUTINE" if routine.display == "stdin" else shlex.quote(ref)
    out = [
        f"# Timings for {routine.title!r} (routine: {routine.name}).",
        "# Change any value, then pass this file back, for example:",
        f"#   audioguide export {ref} --timings my-timings.yaml",
        "# Durations are seconds (decimals allowed, or M:SS: 1:30 is 90); counts are whole numbers.",
        "",
    ]

    def entry(help_text: str, key: str, value: Any) -> None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # "settle: 10" reads better than "settle: 10.0"
        out.append(f"# {help_text}")
        out.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True).rstrip())

    for name, spec in routine.options.items():
        entry(f"{spec.help} One of: {', '.join(spec.choices)}.".lstrip(), name, s.options[name])
    pace_name = next((k for k, v in PACES.items() if v == s.pace), s.pace)
    entry(f"slow, normal, fast, or a factor {PACE_RANGE[0]:g}..{PACE_RANGE[1]:g} for speech and pauses together.", "pace", pace_name)
    length = None if s.length_ms is None else s.length_ms / 60_000
    entry("Target length in minutes (only the pauses between instructions stretch); null = natural.", "length", length)
    entry("Chimes and ticks (false speaks the cues instead).", "chimes", s.chimes)
    entry(f"A sound bed under the session: {', '.join(BED_NAMES)}, an audio file's path, or none.", "bed",
          s.bed or "none")
    lo, hi = BED_VOLUME_RANGE
    entry(f"The bed's level in the pauses, in dB relative to the voice ({fmt_number(lo)}..{fmt_number(hi)}).",
          "bed_volume", s.bed_volume_db)
    lo, hi = BED_DUCK_RANGE
    entry(f"How much lower the bed is while the guide speaks, in dB ({fmt_number(lo)}..{fmt_number(hi)}).",
          "bed_duck", s.bed_duck_db)
    out.append("")
    for name, spec in routine.settings.items():
        entry(spec.describe(), name, s.values[name])
    return "\n".join(out) + "\n"
