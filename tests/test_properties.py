"""Properties, checked on generated routines and settings with Hypothesis.

(a) any valid routine with any valid settings compiles to cues laid end to end:
    starts never decrease, each starts where the previous ended, the total is the
    sum of the durations, and no duration is negative;
(b) ``--length`` lands exactly on any target between ``length_bounds`` and
    refuses any other, stating both bounds;
(c) junk only ever raises the stage's own error: RoutineError from
    ``parse_routine``, SettingsError from ``settings.resolve``.

Every test is derandomized (the same examples on every run, so CI is stable)
and sized to run in a few seconds.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audioguide.compiler import compile_script, length_bounds
from audioguide.errors import CompileError, RoutineError, SettingsError
from audioguide.routine import Routine, load_routine, parse_routine
from audioguide.script import CHIME_MS, Script
from audioguide.settings import GLOBAL_KEYS, LENGTH_RANGE, PACE_RANGE, Settings, defaults, resolve

FAST = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                     HealthCheck.function_scoped_fixture])

WORDS = ["Breathe", "in,", "and", "out.", "Press", "slowly", "your", "thumb", "Hold", "it", "release", "now", "Café", "—"]
SECONDS_NAMES = ["hold_time", "rest", "beat"]
COUNT_NAMES = ["reps", "rounds"]
LOOP_VARS = ["item", "toe", "finger", "place"]
MAX_DEPTH = 3


# -- valid routines ---------------------------------------------------------------------


def tenths(lo: float, hi: float) -> st.SearchStrategy[float | int]:
    """A number of seconds in lo..hi with at most one decimal, sometimes written as an int."""
    return st.integers(round(lo * 10), round(hi * 10)).map(lambda t: t // 10 if t % 10 == 0 else t / 10)


def seconds(lo: float, hi: float) -> st.SearchStrategy[float | int]:
    """Literal seconds in a routine: tenths mostly, and sometimes milliseconds (tiny pauses test rounding)."""
    return tenths(lo, hi) | st.integers(round(lo * 1000), round(hi * 1000)).map(lambda ms: ms / 1000)


@st.composite
def setting_specs(draw) -> dict[str, dict]:
    out = {}
    for name in draw(st.lists(st.sampled_from(SECONDS_NAMES), unique=True, max_size=3)):
        lo = draw(tenths(1, 10))
        hi = draw(tenths(lo, lo + 50))
        spec = {"default": draw(tenths(lo, hi)), "unit": "seconds", "min": lo, "max": hi}
        if draw(st.booleans()):
            spec["help"] = "Seconds for it."
        out[name] = spec
    for name in draw(st.lists(st.sampled_from(COUNT_NAMES), unique=True, max_size=2)):
        lo = draw(st.integers(1, 3))
        hi = draw(st.integers(lo, 4))
        out[name] = {"default": draw(st.integers(lo, hi)), "unit": "count", "min": lo, "max": hi}
    return out


class Scope:
    """What a step may refer to where it stands."""

    def __init__(self, options: dict, settings: dict, names: frozenset = frozenset(), loop: bool = False,
                 side: bool = False, depth: int = 0, previous_side: bool = False):
        self.options, self.settings, self.names = options, settings, names
        self.loop, self.side, self.depth, self.previous_side = loop, side, depth, previous_side

    def inner(self, **changes) -> "Scope":
        fields = dict(options=self.options, settings=self.settings, names=self.names, loop=self.loop,
                      side=self.side, depth=self.depth + 1, previous_side=self.previous_side)
        fields.update(changes)
        return Scope(**fields)

    def variables(self) -> list[str]:
        out = list(self.options) + list(self.settings) + sorted(self.names)
        if self.loop:
            out += ["n", "count"]
        if self.side:
            out += ["side", "other_side", "Side"]
        if self.previous_side:
            out.append("previous_side")
        return out

    def amounts(self, unit: str, lo: float) -> list[str]:
        return [k for k, v in self.settings.items() if v["unit"] == unit and v["min"] >= lo]


@st.composite
def template(draw, scope: Scope) -> str:
    names = scope.variables()
    part = st.sampled_from(WORDS) | (st.sampled_from(names).map(lambda v: "{" + v + "}") if names else st.nothing())
    return " ".join(draw(st.lists(part, min_size=1, max_size=6)))


@st.composite
def amount(draw, scope: Scope, unit: str, literal: st.SearchStrategy, lo: float = 0):
    named = scope.amounts(unit, lo)
    if named and draw(st.booleans()):
        return draw(st.sampled_from(named))
    return draw(literal)


@st.composite
def when(draw, scope: Scope) -> dict:
    out: dict[str, Any] = {}
    for name, spec in scope.options.items():
        if draw(st.integers(0, 3)) == 0:
            choices = spec["choices"]
            out[name] = draw(st.sampled_from(choices) | st.lists(st.sampled_from(choices), min_size=1, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        out["chimes"] = draw(st.booleans())
    if scope.loop and draw(st.integers(0, 3)) == 0:
        out["n"] = draw(st.integers(1, 3) | st.lists(st.integers(1, 3), min_size=1, max_size=2))
    return out


@st.composite
def step(draw, scope: Scope) -> dict:
    leaves = ["say", "say", "pause", "chime", "chapter", "repeat", "hold"]
    nests = ["loop", "for_each"] + (["per_side"] if "feet" in scope.options else [])
    kind = draw(st.sampled_from(leaves + (nests if scope.depth < MAX_DEPTH else [])))
    out: dict[str, Any]
    if kind == "say":
        out = {"say": draw(template(scope))}
        if draw(st.booleans()):
            out["then"] = draw(amount(scope, "seconds", seconds(0, 20)))
        if scope.loop and draw(st.booleans()):
            out["again"] = draw(template(scope))
        if draw(st.integers(0, 2)) == 0:
            out["brief"] = draw(st.just("") | template(scope))
    elif kind == "pause":
        out = {"pause": draw(amount(scope, "seconds", seconds(0, 20)))}
    elif kind == "chime":
        out = {"chime": draw(st.sampled_from(sorted(CHIME_MS)))}
    elif kind == "chapter":
        out = {"chapter": draw(template(scope))}
    elif kind == "repeat":
        spec = {"count": draw(amount(scope, "count", st.integers(1, 5), lo=1)),
                "tempo": draw(amount(scope, "seconds", seconds(0.5, 4), lo=0.5))}
        style = draw(st.sampled_from([None, "count", "tick", "silent"]))
        if style:
            spec["style"] = style
        out = {"repeat": spec}
    elif kind == "hold":
        spec = {"seconds": draw(amount(scope, "seconds", seconds(1, 30), lo=1))}
        style = draw(st.sampled_from([None, "countdown", "chime"]))
        if style:
            spec["style"] = style
        if draw(st.booleans()):
            spec["release"] = draw(template(scope))
        out = {"hold": spec}
    elif kind == "loop":
        inner = scope.inner(loop=True)
        out = {"loop": {"count": draw(amount(scope, "count", st.integers(1, 3), lo=1)),
                        "steps": draw(steps(inner))}}
    elif kind == "for_each":
        free = [v for v in LOOP_VARS if v not in scope.names]
        assume(free)
        var = draw(st.sampled_from(free))
        items = draw(st.lists(template(scope), min_size=1, max_size=3))
        out = {"for_each": {"as": var, "items": items, "steps": draw(steps(scope.inner(names=scope.names | {var})))}}
    else:  # per_side
        inner = scope.inner(side=True)
        spec = {"steps": draw(steps(inner))}
        if draw(st.booleans()):
            spec["first"] = draw(steps(inner, min_size=0))
        if draw(st.booleans()):
            spec["switch"] = draw(steps(scope.inner(side=True, previous_side=True), min_size=0))
        out = {"per_side": spec}
    condition = draw(when(scope))
    if condition:
        out["when"] = condition
    return out


@st.composite
def steps(draw, scope: Scope, min_size: int = 1) -> list[dict]:
    return draw(st.lists(step(scope), min_size=min_size, max_size=4 if scope.depth == 0 else 3))


@st.composite
def routine_docs(draw) -> dict:
    options: dict[str, dict] = {}
    if draw(st.booleans()):
        options["feet"] = {"choices": ["both", "right", "left"], "default": draw(st.sampled_from(["both", "right", "left"]))}
        options["first_foot"] = {"choices": ["right", "left"], "help": "Which foot first."}
    if draw(st.booleans()):
        options["position"] = {"choices": ["chair", "floor"]}
    specs = draw(setting_specs())
    doc: dict[str, Any] = {"title": draw(template(Scope({}, {})))}
    if draw(st.booleans()):
        doc["description"] = "A generated routine."
    if options:
        doc["options"] = options
    if specs:
        doc["settings"] = specs
    doc["steps"] = draw(steps(Scope(options, specs)))
    return doc


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@st.composite
def sessions(draw) -> tuple[Routine, Settings]:
    """A valid routine (through its YAML text) and valid settings for it."""
    routine = parse_routine(dump(draw(routine_docs())), display="gen.yaml", name="gen")
    sets = []
    for name, spec in routine.settings.items():
        if draw(st.booleans()):
            value = (draw(st.integers(spec.min, spec.max)) if spec.unit == "count"
                     else draw(tenths(spec.min, spec.max)))
            sets.append(f"{name}={value}")
    options = {name: draw(st.sampled_from(spec.choices)) for name, spec in routine.options.items() if draw(st.booleans())}
    pace = draw(st.sampled_from(["slow", "normal", "fast"]) | st.floats(*PACE_RANGE))
    chimes = draw(st.booleans())
    return routine, resolve(routine, sets=sets, pace=pace, options=options, chimes=chimes)


def assert_laid_end_to_end(script: Script) -> None:
    t = 0
    previous_start = 0
    for cue in script.cues:
        assert isinstance(cue.start_ms, int) and isinstance(cue.duration_ms, int)
        assert cue.duration_ms >= 0, cue
        assert cue.start_ms >= previous_start, cue
        assert cue.start_ms == t, cue  # where the previous one ended
        previous_start = cue.start_ms
        t += cue.duration_ms
    assert script.total_ms == t == sum(c.duration_ms for c in script.cues)
    spans = script.chapters()
    assert all(a.end_ms == b.start_ms for a, b in zip(spans, spans[1:]))
    assert spans[0].start_ms == 0 and spans[-1].end_ms == script.total_ms  # chapters cover it all


# -- (a) compiling --------------------------------------------------------------------------


@settings(max_examples=200, **FAST)
@given(sessions())
def test_valid_routines_compile_to_cues_laid_end_to_end(session):
    routine, chosen = session
    script = compile_script(routine, chosen)
    assert script.cues, "a session always ends with the end chime or the closing line"
    assert_laid_end_to_end(script)


# -- (b) length fitting ------------------------------------------------------------------------


@settings(max_examples=150, **FAST)
@given(sessions(), st.data())
def test_a_feasible_length_is_met_to_the_millisecond(session, data):
    routine, chosen = session
    natural = compile_script(routine, chosen)
    lo, hi = length_bounds(list(natural.cues))
    target = data.draw(st.sampled_from([lo, hi]) | st.integers(lo, hi), label="target_ms")
    fitted = compile_script(routine, replace(chosen, length_ms=target))
    assert_laid_end_to_end(fitted)
    assert abs(fitted.total_ms - target) <= 1000
    assert fitted.total_ms == target
    fixed = lambda s: [(c.type, c.duration_ms) for c in s.cues if not getattr(c, "flexible", False)]  # noqa: E731
    assert fixed(fitted) == fixed(natural), "only flexible pauses may change"


@settings(max_examples=150, **FAST)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=80), st.floats(*PACE_RANGE), st.data())
def test_length_fitting_keeps_many_tiny_pauses_non_negative(pauses_ms, pace, data):
    """Rounding each of many 1-9 ms pauses adds up: the fit must still be exact and never negative."""
    text = "title: Tiny\nsteps:\n" + "".join(f"  - pause: {ms / 1000}\n" for ms in pauses_ms) + "  - say: Done.\n"
    routine = parse_routine(text)
    chosen = resolve(routine, pace=pace)
    lo, hi = length_bounds(list(compile_script(routine, chosen).cues))
    target = data.draw(st.integers(lo, hi), label="target_ms")
    fitted = compile_script(routine, replace(chosen, length_ms=target))
    assert_laid_end_to_end(fitted)
    assert fitted.total_ms == target


@settings(max_examples=100, **FAST)
@given(sessions(), st.data())
def test_an_infeasible_length_states_both_bounds(session, data):
    routine, chosen = session
    lo, hi = length_bounds(list(compile_script(routine, chosen).cues))
    below = st.integers(0, lo - 1) if lo > 0 else st.nothing()
    target = data.draw(below | st.integers(hi + 1, hi + 10 * 60_000), label="target_ms")
    with pytest.raises(CompileError) as err:
        compile_script(routine, replace(chosen, length_ms=target))
    message = str(err.value)
    assert f"{lo / 60000:.1f} to {hi / 60000:.1f} minutes" in message
    assert "\n" not in message


# -- (c) junk ------------------------------------------------------------------------------------

ROUTINE_WORDS = ["title", "steps", "say", "then", "again", "brief", "when", "pause", "chime", "chapter", "repeat",
                 "hold", "loop", "for_each", "per_side", "count", "tempo", "style", "seconds", "items", "as", "first",
                 "switch", "options", "settings", "choices", "default", "min", "max", "unit", "help", "release",
                 "feet", "first_foot", "n", "chimes", "seconds", "{n}", "{side}", "{x}", "end", "tick", "countdown"]
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.sampled_from(ROUTINE_WORDS) | st.sampled_from([-1, 0, 0.5, 601, 10**6, 10**120, 1e300]))
keys = st.sampled_from(ROUTINE_WORDS) | st.text(max_size=8) | st.integers(-5, 5) | st.booleans() | st.none()
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                    max_leaves=25)
yaml_text = st.text(st.sampled_from(list("[]{}:-&*!|>'\"#%@`,?\t\n\r abcxyz019._\\") + ["\x07", "\x85", "é", "\ufeff"])
                    | st.characters(), max_size=120)


def parse_or_routine_error(text: str) -> Routine | None:
    """Parse ``text``; RoutineError is fine (and must be one line), anything else fails the test."""
    try:
        routine = parse_routine(text, display="junk.yaml")
    except RoutineError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("junk.yaml")
        return None
    try:  # a routine that validates must also compile, or say why as a CompileError
        assert_laid_end_to_end(compile_script(routine, defaults(routine)))
    except CompileError:
        pass
    return routine


@settings(max_examples=400, **FAST)
@given(junk)
def test_junk_documents_only_raise_routine_error(doc):
    parse_or_routine_error(dump(doc))


@settings(max_examples=400, **FAST)
@given(yaml_text)
def test_junk_text_only_raises_routine_error(text):
    parse_or_routine_error(text)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place inside a document, as a tuple of keys and indices."""
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += paths(inner, prefix + (i,))
    return out


def get(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@settings(max_examples=200, **FAST)
@given(routine_docs(), st.data())
def test_mutated_routines_only_raise_routine_error(doc, data):
    """Any change anywhere: delete, replace with junk or an out-of-range number, add a key."""
    doc = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(paths(doc)[1:]), label="path")
    parent, last = get(doc, path[:-1]), path[-1]
    how = data.draw(st.sampled_from(["delete", "junk", "number", "unknown key"]), label="mutation")
    if how == "delete":
        del parent[last]
    elif how == "junk":
        parent[last] = data.draw(junk, label="junk")
    elif how == "number":
        parent[last] = data.draw(st.sampled_from([-1, 0, -0.5, 0.25, 601, 3601, 10**6, 1e300, math.inf, math.nan]))
    else:
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target[data.draw(st.sampled_from(["colour", "then", "brief", "style", "extra"]), label="key")] = 1
    parse_or_routine_error(dump(doc))


def step_dicts(doc: dict) -> list[dict]:
    out = []

    def walk(items):
        for s in items:
            out.append(s)
            for kind in ("loop", "for_each", "per_side"):
                if kind in s:
                    for block in ("steps", "first", "switch"):
                        walk(s[kind].get(block, []))

    walk(doc["steps"])
    return out


#: Places whose value is a number with a range, and values outside that range.
OUT_OF_RANGE = {
    ("pause",): [-1, 601, -0.001, 1e9],
    ("then",): [-1, 601, math.inf],
    ("hold", "seconds"): [0, 0.5, 601],
    ("repeat", "count"): [0, 101, 2.5, -3],
    ("repeat", "tempo"): [0, 0.4, 601],
    ("loop", "count"): [0, 101, 1.5],
}


@settings(max_examples=200, **FAST)
@given(routine_docs(), st.data())
def test_invalid_mutations_always_raise_routine_error(doc, data):
    """Mutations that cannot be valid: a missing title or steps, an unknown key, a wrong type, a number out of range."""
    doc = copy.deepcopy(doc)
    targets = step_dicts(doc)
    ranged = [(s, place) for s in targets for place in OUT_OF_RANGE if place[0] in s and
              (len(place) == 1 or place[1] in s[place[0]])]
    kinds = ["missing title", "missing steps", "unknown key", "steps not a list", "step not a mapping", "say not text"]
    if ranged:
        kinds.append("out of range")
    how = data.draw(st.sampled_from(kinds), label="mutation")
    if how.startswith("missing"):
        del doc[how.split()[1]]
    elif how == "unknown key":
        data.draw(st.sampled_from(targets), label="step")["colour"] = "red"
    elif how == "steps not a list":
        doc["steps"] = data.draw(st.sampled_from(["Hello.", 3, {"say": "Hi."}, None]))
    elif how == "step not a mapping":
        doc["steps"][data.draw(st.integers(0, len(doc["steps"]) - 1))] = data.draw(st.sampled_from(["say", 1, [], None]))
    elif how == "say not text":
        sayers = [s for s in targets if "say" in s]
        assume(sayers)
        # (An unquoted true or 5 is text as written: `say: Yes` says "Yes".)
        data.draw(st.sampled_from(sayers), label="step")["say"] = data.draw(st.sampled_from([[], {}, None, ["a"]]))
    else:
        step_, place = data.draw(st.sampled_from(ranged), label="place")
        holder = step_ if len(place) == 1 else step_[place[0]]
        holder[place[-1]] = data.draw(st.sampled_from(OUT_OF_RANGE[place]), label="value")
    with pytest.raises(RoutineError) as err:
        parse_routine(dump(doc), display="mutant.yaml")
    assert "\n" not in str(err.value) and str(err.value).startswith("mutant.yaml")


# -- (c) junk timings ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def foot() -> Routine:
    return load_routine("foot-massage")


@pytest.fixture(scope="module")
def timings_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("timings")


def resolve_or_settings_error(routine: Routine, **kwargs) -> None:
    try:
        s = resolve(routine, **kwargs)
    except SettingsError as exc:
        assert "\n" not in str(exc)
        return
    for name, spec in routine.settings.items():
        assert spec.min <= s.values[name] <= spec.max
    for name, spec in routine.options.items():
        assert s.options[name] in spec.choices
    assert PACE_RANGE[0] <= s.pace <= PACE_RANGE[1] and isinstance(s.chimes, bool)
    assert s.length_ms is None or LENGTH_RANGE[0] * 60_000 <= s.length_ms <= LENGTH_RANGE[1] * 60_000


timing_keys = st.sampled_from(["gap", "settle", "ankle_reps", "tender_hold", "toe_rounds", "position", "feet",
                               "first_foot", *GLOBAL_KEYS, "tender_hodl"]) | keys
timing_docs = junk | st.dictionaries(timing_keys, scalars | junk, max_size=6)


@settings(max_examples=300, **FAST)
@given(timing_docs)
def test_junk_timings_files_only_raise_settings_error(foot, timings_dir, doc):
    path = timings_dir / "junk.yaml"
    path.write_text(dump(doc), encoding="utf-8")
    resolve_or_settings_error(foot, timings=path)


@settings(max_examples=200, **FAST)
@given(st.binary(max_size=200) | yaml_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_junk_timings_bytes_only_raise_settings_error(foot, timings_dir, raw):
    path = timings_dir / "raw.yaml"
    path.write_bytes(raw)
    resolve_or_settings_error(foot, timings=path)


flag_text = st.text(max_size=30) | st.sampled_from(["0", "-1", ".nan", ".inf", "1e400", "[[[", "*a", "&a [*a]",
                                                     "!!int x", "0x" + "f" * 300, "9" * 5000, "slow", "2.0001"])


@settings(max_examples=300, **FAST)
@given(st.lists(st.tuples(timing_keys.map(str), flag_text), max_size=3), st.none() | flag_text,
       st.none() | flag_text, st.dictionaries(st.sampled_from(["position", "feet", "first_foot"]), flag_text))
def test_junk_flags_only_raise_settings_error(foot, sets, pace, length, options):
    resolve_or_settings_error(foot, sets=[f"{k}={v}" for k, v in sets], pace=pace, length=length, options=options)
