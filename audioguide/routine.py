"""Routines: the YAML schema, loading, and validation with located messages.

A routine is data: a title, options with choices, named settings (every
duration and count, with default, range and description) and a list of steps.
See README "Writing a routine" for the schema; ``foot-massage.yaml`` is the
worked example. Loading either returns a fully checked ``Routine`` or raises
``RoutineError`` with one line such as
``foot.yaml:42: steps[3].hold.seconds: must be 1..600 seconds, got -4``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal

from . import sides as side_specs, yamlfile
from .amounts import LIMITS, UNITS, Amount, check_amount, parse_expression
from .errors import RoutineError
from .script import CHIME_MS, ChimeKind
from .sides import Sides
from .spoken import readable
from .text import did_you_mean, fmt_number, oneline, read_number, show

BUNDLED_PACKAGE = "audioguide.routines"
DEFAULT_ROUTINE = "foot-massage"

RepeatStyle = Literal["count", "tick", "silent"]
HoldStyle = Literal["countdown", "chime"]
REPEAT_STYLES: tuple[RepeatStyle, ...] = ("count", "tick", "silent")
HOLD_STYLES: tuple[HoldStyle, ...] = ("countdown", "chime")

#: Loop-round conditions besides round numbers (README "Conditions"): halfway is round count // 2 + 1.
ROUND_WORDS = ("first", "last", "halfway")
#: The longest text of one field (a spoken line, a title, a help text), in characters.
MAX_TEXT = 1000
#: Names an option or a setting cannot take: the session's own settings (a timings file's
#: keys; the web form's and a preset's fields) and the placeholders loops and sides fill in.
RESERVED_NAMES = ("pace", "length", "chimes", "bed", "bed_volume", "bed_duck", "voice", "engine", "format",
                  "listener", "n", "count", "side", "other_side", "previous_side")


@dataclass(frozen=True)
class OptionSpec:
    """A choice the user makes (``--position floor``)."""

    name: str
    choices: tuple[str, ...]
    default: str
    help: str = ""


@dataclass(frozen=True)
class SettingSpec:
    """A named duration or count the user can change (``--set tender_hold=20``)."""

    name: str
    default: float | int
    min: float | int
    max: float | int
    unit: str
    """``seconds`` (decimals allowed) or ``count`` (whole numbers)."""
    help: str = ""

    def check(self, value: Any) -> float | int:
        """``value`` converted to this setting's type, or ValueError with the reason."""
        return check_amount(value, self.unit, self.min, self.max)

    def describe(self) -> str:
        """``help (seconds, 2..30; default 3)``: how help and timings files show the setting."""
        return f"{self.help} ({self.unit}, {fmt_number(self.min)}..{fmt_number(self.max)}; default {fmt_number(self.default)})"


# -- steps ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Step:
    when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """Conditions: (option, loop variable or ``chimes``, accepted values); all must hold."""
    path: str = ""
    """Where in the file this step is, for messages."""


@dataclass(frozen=True, kw_only=True)
class SayStep(Step):
    text: str
    brief: str | None = None
    """Shorter text for the second side of a per_side block ("" = say nothing)."""
    again: str | None = None
    """Text for later rounds of an enclosing loop."""
    then: Amount | None = None
    """Time to do it, after speaking: a flexible pause."""
    ready: Amount | None = None
    """Self-paced: after speaking, wait for the user's go-ahead, at most this long (seconds)."""


@dataclass(frozen=True, kw_only=True)
class PauseStep(Step):
    seconds: Amount


@dataclass(frozen=True, kw_only=True)
class ChimeStep(Step):
    kind: ChimeKind


@dataclass(frozen=True, kw_only=True)
class ChapterStep(Step):
    title: str


@dataclass(frozen=True, kw_only=True)
class RepeatStep(Step):
    """``count`` repetitions, one every ``tempo`` seconds, counted, ticked or silent."""

    count: Amount
    tempo: Amount
    style: RepeatStyle = "count"
    lead_in: Amount = 0
    """Seconds of silence before the first beat (divided by the pace, like the tempo): time to start."""


@dataclass(frozen=True, kw_only=True)
class HoldStep(Step):
    """Hold for ``seconds`` (a fixed time), ended by a countdown or a release chime."""

    seconds: Amount
    style: HoldStyle = "chime"
    release: str = "And release."
    """Spoken at the end when chimes are off or with a countdown; "" says nothing."""
    count_from: Amount = 5
    """A countdown counts the last seconds from this number ("from:"), as far as the hold allows."""


@dataclass(frozen=True, kw_only=True)
class LoopStep(Step):
    """Do ``steps`` ``count`` times; ``{n}`` and ``{count}`` are available inside."""

    count: Amount
    steps: tuple[Step, ...]


@dataclass(frozen=True, kw_only=True)
class ForEachStep(Step):
    """Do ``steps`` once per item, with ``{<as>}`` set to the item (each toe, by name)."""

    var: str
    items: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True, kw_only=True)
class PerSideStep(Step):
    """Do ``steps`` once per side of the routine's ``sides`` (see sides.py), in the chosen order.

    ``{side}``, ``{Side}`` and ``{other_side}`` are available inside. ``first``
    runs before the first side, ``switch`` between sides (with ``{previous_side}``).
    """

    steps: tuple[Step, ...]
    first: tuple[Step, ...] = ()
    switch: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Routine:
    """A validated routine: what ``load_routine`` returns and the compiler lays out."""

    name: str
    """The routine's name: its file stem (``foot-massage``)."""
    title: str
    description: str
    options: dict[str, OptionSpec]
    settings: dict[str, SettingSpec]
    steps: tuple[Step, ...]
    display: str = ""
    """How messages name the routine's file."""
    artist: str = "audioguide"
    sides: Sides | None = None
    """What ``per_side`` repeats over; None when the routine declares no sides."""
    pronunciations: dict[str, str] = field(default_factory=dict)
    """The routine's own words: word -> how to say it (``spoken.normalize`` applies them)."""
    where: Callable[[str], str] | None = field(default=None, compare=False, repr=False)
    """``"steps[0].loop.count"`` -> ``"file:3: steps[0].loop.count"`` for messages (None: the file alone)."""


# -- loading -------------------------------------------------------------------


def bundled_names() -> list[str]:
    folder = resources.files(BUNDLED_PACKAGE)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def locate(ref: str | None) -> tuple[Path, str]:
    """(file, display name) for a path or a bundled routine's name."""
    ref = ref or DEFAULT_ROUTINE
    path = Path(ref)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in ref or path.exists()
    if looks_like_path:
        return path, ref
    if ref in bundled_names():
        return Path(str(resources.files(BUNDLED_PACKAGE) / f"{ref}.yaml")), f"{ref}.yaml"
    known = ", ".join(bundled_names())
    raise RoutineError(f"unknown routine {show(ref)}{did_you_mean(ref, tuple(bundled_names()))}: no such file, "
                       f"and the bundled routines are: {known}")


#: ``ROUTINE`` that means "the routine YAML on standard input" (named ``stdin`` in messages and outputs).
STDIN = "-"


def load_routine(ref: str | None = None) -> Routine:
    """Load and validate a routine by path, bundled name, or ``-`` (standard input, read once)."""
    return load_routine_document(ref)[0]


def load_routine_document(ref: str | None = None) -> tuple[Routine, yamlfile.Document]:
    """The routine (as ``load_routine``) and the YAML document it came from (for its line numbers)."""
    if ref == STDIN:
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise RoutineError("stdin: standard input is closed: give the routine's file instead of -")
        try:
            raw = sys.stdin.buffer.read(yamlfile.MAX_BYTES + 1)
        except OSError as error:  # e.g. opened write-only (`0>file`)
            raise RoutineError(f"stdin: cannot read: {error.strerror or error}") from None
        doc, name = yamlfile.parse(yamlfile.decode(raw, "stdin", RoutineError), "stdin", RoutineError), "stdin"
    else:
        path, display = locate(ref)
        doc, name = yamlfile.load(path, display, RoutineError), path.stem
    return _Validator(doc).routine(name), doc


def parse_routine(source: str | bytes, display: str = "routine.yaml", name: str = "routine") -> Routine:
    """Validate a routine given as YAML text, or as raw bytes (an upload), exactly as a file is.

    Bytes get a file's checks first (at most 1 MB, not binary, UTF-8). ``display``
    names it in messages (``display:LINE: path: problem``); ``name`` is the
    routine's name. Raises ``RoutineError`` (one line).
    """
    text = yamlfile.decode(source, display, RoutineError) if isinstance(source, bytes) else source
    return _Validator(yamlfile.parse(text, display, RoutineError)).routine(name)


_VAR = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_STEP_KINDS = ("say", "pause", "chime", "chapter", "repeat", "hold", "loop", "for_each", "per_side")


class _Validator:
    """Walks the plain data of a routine document and builds typed steps."""

    def __init__(self, doc: yamlfile.Document):
        self.doc = doc
        self.options: dict[str, OptionSpec] = {}
        self.settings: dict[str, SettingSpec] = {}
        self.sides: Sides | None = None

    def fail(self, path: str, message: str) -> RoutineError:
        return RoutineError(oneline(f"{self.doc.where(path)}: {message}"))

    # -- generic shape checks --

    def mapping(self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping with keys {', '.join(required + optional)}, got {_kind(value)}")
        for key in value:
            if key not in required + optional:
                raise self.fail(f"{path}.{key}" if path else str(key),
                                f"unknown key{did_you_mean(key, required + optional) or self.comma_hint(value, key, path)}")
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def comma_hint(self, mapping: dict, key: Any, path: str) -> str:
        """For ``{release: Relax, and breathe.}``: the comma ended the text, and the rest became a key."""
        keys = list(mapping)
        if path not in self.doc.flow or mapping[key] is not None or keys.index(key) == 0:
            return ""
        before = keys[keys.index(key) - 1]
        text = f"{mapping[before]}, {key}"
        return (f": inside {{...}} a comma ends the text, so put the text in quotes: "
                f"{before}: {yamlfile.quote(text)}")

    def text(self, value: Any, path: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) and path in self.doc.written:
            value = self.doc.written[path]  # `say: 1:30` is the text 1:30, not YAML 1.1's number 90
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = fmt_number(value)
        if isinstance(value, dict) and value and all(v is None for v in value.values()):
            written = "{" + ", ".join(map(str, value)) + "}"  # `say: {count}` is a YAML mapping
            raise self.fail(path, f"must be text, got the mapping {written}: a value that starts with {{ is read "
                                  f"as a mapping, so put the whole text in quotes: {path.rsplit('.', 1)[-1]}: "
                                  f"{yamlfile.quote(written)}")
        if not isinstance(value, str):
            raise self.fail(path, f"must be text, got {_kind(value)}")
        try:
            value = " ".join(readable(value).split())
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None
        if not value and not allow_empty:
            raise self.fail(path, "must not be empty")
        if len(value) > MAX_TEXT:
            raise self.fail(path, f"is {len(value)} characters; keep a spoken line under {MAX_TEXT}")
        return value

    def unreserved(self, key: str, path: str) -> None:
        if key in RESERVED_NAMES:
            raise self.fail(path, f"is a reserved name (the reserved names: {', '.join(RESERVED_NAMES)})")

    def typed(self, value: Any, path: str) -> Any:
        """An unquoted number or yes/no as written in the file: ``1e400``, not YAML's inf; ``yes``, not true.

        Choices are names as typed (``choices: [yes, no]``), and messages show numbers as typed.
        """
        if isinstance(value, (int, float)):
            return self.doc.written.get(path, value)
        return value

    def name(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _NAME.match(value):
            raise self.fail(path, f"must be a lowercase name like tender_hold, got {show(value)}")
        return value

    # -- top level --

    def routine(self, name: str) -> Routine:
        top = self.doc.data
        if top is None:
            raise self.fail("", "is empty; a routine needs at least a title and steps")
        top = self.mapping(top, "", ("title", "steps"), ("description", "artist", "options", "settings", "sides",
                                                                "pronunciations"))
        title = self.text(top["title"], "title")
        description = self.text(top.get("description", ""), "description", allow_empty=True)
        artist = self.text(top.get("artist", "audioguide"), "artist")
        self.options = self.option_specs(top.get("options", {}))
        self.settings = self.setting_specs(top.get("settings", {}))
        clash = set(self.options) & set(self.settings)
        if clash:
            raise self.fail(f"settings.{sorted(clash)[0]}", "has the same name as an option")
        if "sides" in top:
            self.sides = side_specs.validate(top["sides"], self.options, self.fail)
        else:
            self.sides = side_specs.legacy(self.options, self.fail)
        scope = frozenset(self.options) | frozenset(self.settings)
        steps = self.steps(top["steps"], "steps", scope, loops=frozenset())
        if not steps:
            raise self.fail("steps", "must list at least one step")
        return Routine(name, title, description, self.options, self.settings, steps, self.doc.display, artist,
                       sides=self.sides,
                       pronunciations=self.pronunciations(top.get("pronunciations", {})), where=self.doc.where)

    def pronunciations(self, raw: Any) -> dict[str, str]:
        """``{Achilles: a kill eez}``: each word (or phrase) and how to say it, both plain text."""
        if not isinstance(raw, dict):
            raise self.fail("pronunciations", f"must be a mapping of word: how to say it, got {_kind(raw)}")
        return {self.text(word, f"pronunciations.{word}"): self.text(say, f"pronunciations.{word}")
                for word, say in raw.items()}

    def option_specs(self, raw: Any) -> dict[str, OptionSpec]:
        if not isinstance(raw, dict):
            raise self.fail("options", f"must be a mapping of option names, got {_kind(raw)}")
        out = {}
        for key, spec in raw.items():
            path = f"options.{key}"
            self.name(key, path)
            self.unreserved(key, path)
            spec = self.mapping(spec, path, ("choices",), ("default", "help"))
            choices = spec["choices"]
            if not isinstance(choices, list) or not choices:
                raise self.fail(f"{path}.choices", "must be a non-empty list")
            choices = tuple(self.name(self.typed(c, f"{path}.choices[{i}]"), f"{path}.choices[{i}]")
                            for i, c in enumerate(choices))
            default = self.typed(spec.get("default", choices[0]), f"{path}.default")
            if default not in choices:
                raise self.fail(f"{path}.default", f"must be one of {', '.join(choices)}, got {show(default)}")
            out[key] = OptionSpec(key, choices, default, self.text(spec.get("help", ""), f"{path}.help", allow_empty=True))
        return out

    def setting_specs(self, raw: Any) -> dict[str, SettingSpec]:
        if not isinstance(raw, dict):
            raise self.fail("settings", f"must be a mapping of setting names, got {_kind(raw)}")
        out = {}
        for key, spec in raw.items():
            path = f"settings.{key}"
            self.name(key, path)
            self.unreserved(key, path)
            spec = self.mapping(spec, path, ("default", "unit"), ("min", "max", "help"))
            unit = spec["unit"]
            if not isinstance(unit, str) or unit not in UNITS:  # a list is unhashable
                raise self.fail(f"{path}.unit", f"must be seconds or count, got {show(unit)}")
            lo_limit, hi_limit = LIMITS[unit]
            bounds = {}
            for bound, fallback in (("min", lo_limit), ("max", hi_limit)):
                try:
                    bounds[bound] = check_amount(self.typed(spec.get(bound, fallback), f"{path}.{bound}"), unit,
                                                 lo_limit, hi_limit)
                except ValueError as exc:
                    raise self.fail(f"{path}.{bound}", str(exc)) from None
            if bounds["min"] > bounds["max"]:
                raise self.fail(path, f"min {bounds['min']} is above max {bounds['max']}")
            try:
                default = check_amount(self.typed(spec["default"], f"{path}.default"), unit, bounds["min"], bounds["max"])
            except ValueError as exc:
                raise self.fail(f"{path}.default", str(exc)) from None
            help_text = self.text(spec.get("help", ""), f"{path}.help", allow_empty=True)
            out[key] = SettingSpec(key, default, bounds["min"], bounds["max"], unit, help_text)
        return out

    # -- steps --

    def steps(self, raw: Any, path: str, scope: frozenset, loops: frozenset) -> tuple[Step, ...]:
        if not isinstance(raw, list):
            raise self.fail(path, f"must be a list of steps, got {_kind(raw)}")
        return tuple(self.step(item, f"{path}[{i}]", scope, loops) for i, item in enumerate(raw))

    def step(self, raw: Any, path: str, scope: frozenset, loops: frozenset) -> Step:
        if not isinstance(raw, dict):
            raise self.fail(path, f"must be a mapping with one of {', '.join(_STEP_KINDS)}, got {_kind(raw)}")
        kinds = [k for k in raw if k in _STEP_KINDS]
        if len(kinds) != 1:
            found = f"got {', '.join(kinds)}" if kinds else f"got keys {', '.join(map(str, raw))}"
            raise self.fail(path, f"needs exactly one of {', '.join(_STEP_KINDS)}; {found}")
        kind = kinds[0]
        extra = {"say": ("brief", "again", "then", "ready")}.get(kind, ())
        self.mapping(raw, path, (kind,), extra + ("when",))
        common = {"when": self.when(raw.get("when"), f"{path}.when", loops), "path": path}
        value, vpath = raw[kind], f"{path}.{kind}"
        if kind == "say":
            texts = {}
            for key in ("brief", "again"):
                if key in raw:
                    texts[key] = self.template(raw[key], f"{path}.{key}", scope, allow_empty=True)
            if "then" in raw and "ready" in raw:
                raise self.fail(f"{path}.ready", "a line has either then (time to do it) or ready (wait for the go-ahead), not both")
            for key in ("then", "ready"):
                if key in raw:
                    texts[key] = self.amount(raw[key], f"{path}.{key}", "seconds", lo=1 if key == "ready" else 0)
            return SayStep(text=self.template(value, vpath, scope), **texts, **common)
        if kind == "pause":
            return PauseStep(seconds=self.amount(value, vpath, "seconds"), **common)
        if kind == "chime":
            if not isinstance(value, str) or value not in CHIME_MS:
                raise self.fail(vpath, f"must be one of {', '.join(CHIME_MS)}, got {show(value)}")
            return ChimeStep(kind=value, **common)
        if kind == "chapter":
            return ChapterStep(title=self.template(value, vpath, scope), **common)
        if kind == "repeat":
            spec = self.mapping(value, vpath, ("count", "tempo"), ("style", "lead_in"))
            style = self.choice(spec.get("style", "count"), f"{vpath}.style", REPEAT_STYLES)
            return RepeatStep(
                count=self.amount(spec["count"], f"{vpath}.count", "count", lo=1),
                tempo=self.amount(spec["tempo"], f"{vpath}.tempo", "seconds", lo=0.5),
                style=style,
                lead_in=self.amount(spec.get("lead_in", 0), f"{vpath}.lead_in", "seconds"),
                **common,
            )
        if kind == "hold":
            spec = self.mapping(value, vpath, ("seconds",), ("style", "release", "from"))
            return HoldStep(
                seconds=self.amount(spec["seconds"], f"{vpath}.seconds", "seconds", lo=1),
                style=self.choice(spec.get("style", "chime"), f"{vpath}.style", HOLD_STYLES),
                release=self.template(spec.get("release", "And release."), f"{vpath}.release", scope, allow_empty=True),
                count_from=self.amount(spec.get("from", 5), f"{vpath}.from", "count", lo=1),
                **common,
            )
        if kind == "loop":
            spec = self.mapping(value, vpath, ("count", "steps"), ())
            inner = scope | {"n", "count"}
            return LoopStep(
                count=self.amount(spec["count"], f"{vpath}.count", "count", lo=1),
                steps=self.steps(spec["steps"], f"{vpath}.steps", inner, loops | {"n"}),
                **common,
            )
        if kind == "for_each":
            spec = self.mapping(value, vpath, ("items", "as", "steps"), ())
            var = self.name(spec["as"], f"{vpath}.as")
            if var in scope:
                raise self.fail(f"{vpath}.as", f"{var!r} is already a name in use here")
            items = spec["items"]
            if not isinstance(items, list) or not items:
                raise self.fail(f"{vpath}.items", "must be a non-empty list")
            items = tuple(self.template(x, f"{vpath}.items[{i}]", scope) for i, x in enumerate(items))
            return ForEachStep(var=var, items=items, steps=self.steps(spec["steps"], f"{vpath}.steps", scope | {var}, loops), **common)
        # per_side
        spec = self.mapping(value, vpath, ("steps",), ("first", "switch"))
        if self.sides is None:
            raise self.fail(vpath, "needs the routine's sides: add a top-level sides: {names: [right, left]} "
                                   "(and which:/first: options to choose them; see README 'Sides')")
        side_scope = scope | {"side", "other_side"}
        return PerSideStep(
            steps=self.steps(spec["steps"], f"{vpath}.steps", side_scope, loops),
            first=self.steps(spec.get("first", []), f"{vpath}.first", side_scope, loops),
            switch=self.steps(spec.get("switch", []), f"{vpath}.switch", side_scope | {"previous_side"}, loops),
            **common,
        )

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(path, f"must be one of {', '.join(choices)}, got {show(value)}")
        return value

    def amount(self, value: Any, path: str, unit: str, lo: float = 0) -> Amount:
        """A setting name of the right unit, a literal number within sane limits, or an expression.

        Text that is a number (``"1e3"``, and ``1:30`` for seconds, which YAML leaves as text) is a literal."""
        value = self.typed(value, path)
        try:
            number = read_number(value, unit)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None
        if isinstance(number, str) and not _NAME.match(number):
            try:
                return parse_expression(value, self.settings, self.options, unit=unit, lo=lo, where=self.doc.where(path))
            except ValueError as exc:
                raise self.fail(path, str(exc)) from None
        if isinstance(number, str):
            spec = self.settings.get(value)
            if spec is None:
                raise self.fail(path, f"unknown setting {show(value)}{did_you_mean(value, tuple(self.settings))}")
            if spec.unit != unit:
                raise self.fail(path, f"setting {value!r} is a {spec.unit} setting; this needs {unit}")
            if spec.min < lo:
                raise self.fail(f"settings.{value}.min", f"must be at least {fmt_number(lo)} where it is used as {path}")
            return value
        try:
            return check_amount(value, unit, lo, 600 if unit == "seconds" else 100)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def template(self, value: Any, path: str, scope: frozenset, *, allow_empty: bool = False) -> str:
        text = self.text(value, path, allow_empty=allow_empty)
        for match in _VAR.finditer(text):
            var = match.group(1)
            if var[:1].isupper():
                var = var[0].lower() + var[1:]
            if var not in scope:
                raise self.fail(path, f"unknown name {{{match.group(1)}}} in text{did_you_mean(var, tuple(scope))}")
        return text

    def when(self, raw: Any, path: str, loops: frozenset) -> tuple:
        if raw is None:
            return ()
        if not isinstance(raw, dict) or not raw:
            raise self.fail(path, f"must be a mapping like {{position: chair}}, got {_kind(raw)}")
        out = []
        for key, accepted in raw.items():
            values = tuple(accepted) if isinstance(accepted, list) else (accepted,)
            if key in self.options:  # `when: {warm: yes}` is the choice yes, as typed
                values = tuple(self.typed(v, f"{path}.{key}[{i}]" if isinstance(accepted, list) else f"{path}.{key}")
                               for i, v in enumerate(values))
            if key in loops:
                for v in values:
                    if v not in ROUND_WORDS and (isinstance(v, bool) or not isinstance(v, int) or v == 0):
                        raise self.fail(f"{path}.{key}", "must be a round: 1, 2 ... from the start, -1 (the last), "
                                                         f"-2 ... from the end, or first, last or halfway; got {show(v)}")
            elif key == "chimes":
                if any(not isinstance(v, bool) for v in values):
                    raise self.fail(f"{path}.{key}", f"must be true or false, got {show(accepted)}")
            elif key in self.options:
                for v in values:
                    if v not in self.options[key].choices:
                        raise self.fail(f"{path}.{key}", f"must be one of {', '.join(self.options[key].choices)}, got {show(v)}")
            else:
                raise self.fail(f"{path}.{key}", f"unknown option{did_you_mean(str(key), tuple(self.options) + tuple(loops))}")
            out.append((key, values))
        return tuple(out)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(type(value), type(value).__name__)

