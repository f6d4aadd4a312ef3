"""Routines are data: loading, schema, and located error messages."""

from __future__ import annotations

import time

import pytest

from audioguide.errors import AudioguideError, RoutineError
from audioguide.routine import (
    ForEachStep,
    HoldStep,
    LoopStep,
    PerSideStep,
    RepeatStep,
    bundled_names,
    load_routine,
    parse_routine,
)

MINIMAL = "title: T\nsteps:\n  - say: Hello.\n"


def test_bundled_foot_massage_loads_with_every_timing_semantic():
    routine = load_routine()
    assert routine.name == "foot-massage" and "foot-massage" in bundled_names()
    assert routine.options["position"].choices == ("chair", "floor")
    assert routine.options["first_foot"].choices == ("right", "left")
    assert routine.options["feet"].choices == ("both", "right", "left")

    def walk(steps):
        for s in steps:
            yield s
            for inner in ("steps", "first", "switch"):
                yield from walk(getattr(s, inner, ()))

    kinds = {type(s) for s in walk(routine.steps)}
    assert {RepeatStep, HoldStep, LoopStep, ForEachStep, PerSideStep} <= kinds
    for spec in routine.settings.values():
        assert spec.help and spec.min <= spec.default <= spec.max


def test_every_error_is_an_audioguide_error():
    assert issubclass(RoutineError, AudioguideError) and RoutineError.exit_code == 2


@pytest.mark.parametrize(
    "text,expected",
    [
        ("title: T\nsteps: [\n", "r.yaml:3: invalid YAML"),
        ("title: T\nsteps:\n  - say: Hi\n    colour: red\n", "r.yaml:4: steps[0].colour: unknown key"),
        ("title: T\nstep:\n  - say: Hi\n", "r.yaml:2: step: unknown key (did you mean 'steps'?)"),
        ("title: T\nsteps: hello\n", "r.yaml:2: steps: must be a list of steps, got text"),
        ("title: T\nsteps:\n  - hold: {seconds: -4}\n", "r.yaml:3: steps[0].hold.seconds: must be 1..600 seconds, got -4"),
        ("title: T\nsteps:\n  - pause: 100000\n", "steps[0].pause: must be 0..600 seconds, got 100000"),
        ("title: T\nsteps:\n  - repeat: {count: 2.5, tempo: 1}\n", "steps[0].repeat.count: must be a whole number"),
        ("title: T\nsteps:\n  - repeat: {count: 0, tempo: 1}\n", "steps[0].repeat.count: must be 1..100, got 0"),
        ("title: T\nsteps:\n  - say: Hi\n    then: wait\n", "steps[0].then: unknown setting 'wait'"),
        ("title: T\nsteps:\n  - say: Hi {who}\n", "steps[0].say: unknown name {who} in text"),
        ("title: T\nsteps:\n  - chime: gong\n", "steps[0].chime: must be one of step, hold, release, tick, end"),
        ("title: T\nsteps:\n  - say: Hi\n    when: {position: sofa}\n", "steps[0].when.position: unknown option"),
        ("title: T\nsteps:\n  - say: Hi\n    pause: 2\n", "steps[0]: needs exactly one of"),
        ("title: T\nsettings: {x: {default: 700, unit: seconds, max: 600}}\nsteps: [{say: Hi}]\n",
         "settings.x.default: must be 0..600 seconds, got 700"),
        ("title: T\nsettings: {x: {default: 3, unit: minutes}}\nsteps: [{say: Hi}]\n",
         "settings.x.unit: must be seconds or count"),
        ("title: T\noptions: {mode: {choices: [a, b], default: c}}\nsteps: [{say: Hi}]\n",
         "options.mode.default: must be one of a, b"),
        ("", "r.yaml: is empty"),
        ("- just\n- a list\n", "must be a mapping with keys title, steps"),
        ("title: T\nsteps:\n  - per_side: {steps: [{say: Hi}]}\n", "r.yaml:3: steps[0].per_side: needs the routine's sides"),
        ("title: T\ntitle: U\nsteps: [{say: Hi}]\n", "r.yaml:2: invalid YAML: duplicate key 'title'"),
        ("title: !!python/object:os.system echo\nsteps: [{say: Hi}]\n", "r.yaml:1: invalid YAML"),
    ],
)
def test_bad_routines_give_one_located_line(text, expected):
    with pytest.raises(RoutineError) as err:
        parse_routine(text, display="r.yaml")
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_alias_bomb_is_refused_fast():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    start = time.perf_counter()
    with pytest.raises(RoutineError, match="aliases"):
        parse_routine(bomb, display="bomb.yaml")
    assert time.perf_counter() - start < 1.0


def test_unknown_routine_name_lists_the_bundled_ones():
    with pytest.raises(RoutineError, match="unknown routine 'knee-massage'.*foot-massage"):
        load_routine("knee-massage")


def test_routine_file_problems(tmp_path):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\x00\x01\x02title")
    latin = tmp_path / "l.yaml"
    latin.write_bytes("title: Caf\xe9\nsteps: [{say: Hi}]\n".encode("latin-1"))
    with pytest.raises(RoutineError, match="is a binary file"):
        load_routine(str(binary))
    with pytest.raises(RoutineError, match=r"l.yaml:1: not valid UTF-8"):
        load_routine(str(latin))
    with pytest.raises(RoutineError, match="no such file"):
        load_routine(str(tmp_path / "missing.yaml"))
    with pytest.raises(RoutineError, match="is a directory"):
        load_routine(str(tmp_path) + "/")


def test_minimal_routine():
    routine = parse_routine(MINIMAL)
    assert routine.title == "T" and routine.options == {} and routine.settings == {}


@pytest.mark.parametrize("name", ["pace", "length", "chimes", "bed", "bed_volume", "bed_duck", "voice", "engine",
                                  "format", "listener", "n", "count", "side", "other_side", "previous_side"])
@pytest.mark.parametrize("kind", ["options", "settings"])
def test_a_name_the_session_uses_is_refused_for_an_option_or_a_setting_located(kind, name):
    # An option called pace made `audioguide timings` print pace twice, which the file then refused.
    spec = "{choices: [a, b]}" if kind == "options" else "{default: 3, unit: seconds}"
    with pytest.raises(RoutineError) as caught:
        parse_routine(f"title: T\n{kind}:\n  {name}: {spec}\nsteps:\n  - say: Hello.\n", "r.yaml")
    assert str(caught.value).startswith(f"r.yaml:3: {kind}.{name}: is a reserved name")


def test_every_key_a_timings_file_holds_besides_the_routines_own_is_reserved():
    from audioguide.routine import RESERVED_NAMES
    from audioguide.settings import GLOBAL_KEYS

    assert set(GLOBAL_KEYS) <= set(RESERVED_NAMES)
