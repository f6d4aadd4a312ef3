"""Settings: every duration, count and choice that shapes a session.

Sources, weakest first: the routine's defaults, a timings file
(``--timings FILE``), ``--set KEY=VALUE`` (repeatable), then the dedicated
flags (``--pace``, ``--length``, ``--position`` ...). ``timings_yaml`` writes
a file that ``--timings`` accepts unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from . import yamlfile
from .errors import SettingsError
from .routine import Routine
from .text import close_matches, oneline, show

#: Named paces: a factor on speaking rate and on the pauses between instructions.
PACES = {"slow": 0.8, "normal": 1.0, "fast": 1.25}
PACE_RANGE = (0.5, 2.0)
#: ``--length`` limits in minutes: a typo guard, not a promise the routine can reach them.
LENGTH_RANGE = (1.0, 600.0)
#: Keys a timings file may hold besides the routine's settings and options.
GLOBAL_KEYS = ("pace", "length", "chimes")


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

    def record(self) -> dict[str, Any]:
        """A plain dict for the script's JSON document."""
        return {
            "pace": self.pace,
            "length_ms": self.length_ms,
            "chimes": self.chimes,
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
        if isinstance(value, str) and key not in routine.options:  # a choice is a name, never a YAML boolean
            value = _scalar(value.strip())
        s = _apply(routine, s, str(key), value, oneline(str(key)))
    for item in sets:
        key, sep, raw = item.partition("=")
        where = f"--set {oneline(item)}"
        if not sep or not key.strip():
            raise SettingsError(f"{where}: expected KEY=VALUE, for example --set tender_hold=20")
        s = _apply(routine, s, key.strip(), _scalar(raw.strip()), where)
    if pace is not None:
        s = replace(s, pace=parse_pace(pace, oneline(f"--pace {pace}")))
    if length is not None:
        s = replace(s, length_ms=parse_length(_scalar(str(length)), oneline(f"--length {length}")))
    for name, value in (options or {}).items():
        if value is not None:
            s = _apply(routine, s, name, value, oneline(f"--{name.replace('_', '-')} {value}"))
    if chimes is not None:
        s = replace(s, chimes=chimes)
    return s


def parse_pace(value: Any, where: str) -> float:
    if isinstance(value, str) and value in PACES:
        return PACES[value]
    if isinstance(value, str):
        value = _scalar(value)
    lo, hi = PACE_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise SettingsError(f"{where}: must be slow, normal, fast or a factor {lo:g}..{hi:g}, got {show(value)}")
    return float(value)


def parse_length(value: Any, where: str) -> int | None:
    """Minutes (a number, or None for natural length) -> ms."""
    if value is None:
        return None
    lo, hi = LENGTH_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise SettingsError(f"{where}: must be a number of minutes {lo:g}..{hi:g}, got {show(value)}")
    return round(value * 60_000)


def _scalar(raw: str) -> Any:
    """Read a command-line value the way YAML would (``20`` -> 20, ``2.5`` -> 2.5)."""
    try:  # the guarded reader: "[[[[..." must not end in a RecursionError
        value = yamlfile.parse(raw, "", SettingsError).data
    except SettingsError:
        return raw
    return value if isinstance(value, (int, float, str, bool)) or value is None else raw


def _apply(routine: Routine, s: Settings, key: str, value: Any, where: str) -> Settings:
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
        return replace(s, length_ms=parse_length(value, where))
    if key == "chimes":
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: must be true or false, got {show(value)}")
        return replace(s, chimes=value)
    known = list(routine.settings) + list(routine.options) + list(GLOBAL_KEYS)
    close = close_matches(key, known)
    hint = f" (did you mean {close[0]!r}?)" if close else "; see: audioguide timings"
    raise SettingsError(f"{where}: unknown setting {show(key)} for routine {routine.name!r}{hint}")


def _apply_timings_file(routine: Routine, s: Settings, path: Path, display: str) -> Settings:
    doc = yamlfile.load(path, display, SettingsError)
    if doc.data is None:
        return s  # an empty timings file changes nothing
    if not isinstance(doc.data, dict):
        raise SettingsError(f"{doc.where('')}: must be a mapping of setting: value, like 'tender_hold: 20'")
    for key, value in doc.data.items():
        s = _apply(routine, s, str(key), value, oneline(doc.where(str(key))))
    return s


def timings_yaml(routine: Routine, s: Settings | None = None) -> str:
    """Every setting with its description and range, as a timings file."""
    s = s or defaults(routine)
    out = [
        f"# Timings for {routine.title!r} (routine: {routine.name}).",
        "# Change any value, then pass this file back, for example:",
        "#   audioguide export --timings my-timings.yaml",
        "# Durations are seconds (decimals allowed); counts are whole numbers.",
        "",
    ]

    def entry(help_text: str, key: str, value: Any) -> None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # "settle: 10" reads better than "settle: 10.0"
        out.append(f"# {help_text}")
        out.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True).rstrip())

    for name, spec in routine.options.items():
        entry(f"{spec.help} One of: {', '.join(spec.choices)}.", name, s.options[name])
    pace_name = next((k for k, v in PACES.items() if v == s.pace), s.pace)
    entry(f"slow, normal, fast, or a factor {PACE_RANGE[0]:g}..{PACE_RANGE[1]:g} for speech and pauses together.", "pace", pace_name)
    length = None if s.length_ms is None else s.length_ms / 60_000
    entry("Target length in minutes (only the pauses between instructions stretch); null = natural.", "length", length)
    entry("Chimes and ticks (false speaks the cues instead).", "chimes", s.chimes)
    out.append("")
    for name, spec in routine.settings.items():
        entry(spec.describe(), name, s.values[name])
    return "\n".join(out) + "\n"
