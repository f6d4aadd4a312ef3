"""The README cannot drift: its command examples run, its routine examples load and compile,
and its routine section names every key."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from audioguide.compiler import compile_script
from audioguide.routine import _STEP_KINDS, HOLD_STYLES, REPEAT_STYLES, parse_routine
from audioguide.script import CHIME_MS
from audioguide.settings import resolve

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
ROUTINE_SECTION = README[README.index("## Writing a routine"):]
ROUTINE_SECTION = ROUTINE_SECTION[: ROUTINE_SECTION.index("\n## ", 1)]
EXAMPLES = re.findall(r"```yaml\n(.*?)```", ROUTINE_SECTION, re.S)
#: The draft section's examples build on each other: tests/test_draft.py runs them in order.
DRAFT_SECTION = re.compile(r"\n## Drafting a routine from a guide\n.*?(?=\n## )", re.S)
#: Every other `audioguide ...` line of the README's shell examples, without its comment.
COMMANDS = [
    line.split("  #")[0].strip()
    for block in re.findall(r"```sh\n(.*?)```", DRAFT_SECTION.sub("", README), re.S)
    for line in block.splitlines()
    if line.startswith("audioguide ")
]
SYSTEM_ALSA_CONF = "/usr/share/alsa/alsa.conf"

#: Every key of the routine schema (step kinds come from the loader itself).
SCHEMA_KEYS = (
    "title", "steps", "description", "artist", "options", "choices", "default", "help", "settings", "min", "max",
    "unit", "sides", "names", "which", "first", "switch", "then", "ready", "again", "brief", "when", "count", "tempo",
    "style", "seconds", "release", "as", "items", "chimes", "halfway", "last", "lead_in", "from", "pronunciations",
    "{side}", "{Side}", "{other_side}", "{previous_side}", "{n}", "{count}",
) + _STEP_KINDS


def test_the_section_has_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_each_routine_example_loads_and_compiles_with_every_option(index):
    routine = parse_routine(EXAMPLES[index], display=f"README example {index + 1}")
    names = list(routine.options)
    for values in itertools.product(*(routine.options[n].choices for n in names)):
        for chimes in (True, False):
            script = compile_script(routine, resolve(routine, options=dict(zip(names, values)), chimes=chimes))
            assert script.total_ms > 0


@pytest.mark.parametrize("key", SCHEMA_KEYS)
def test_the_section_names_every_key(key):
    assert re.search(rf"`[^`]*{re.escape(key)}[^`]*`|\b{re.escape(key)}:", ROUTINE_SECTION), key


@pytest.mark.parametrize("key,values", [("hold", HOLD_STYLES), ("repeat", REPEAT_STYLES), ("chime", tuple(CHIME_MS))])
def test_the_steps_table_names_every_value_a_step_takes(key, values):
    row = next(line for line in ROUTINE_SECTION.splitlines() if line.startswith(f"| `{key}:"))
    assert [v for v in values if f"`{v}`" not in row and f"style: {v}`" not in row] == []


def test_the_worked_example_says_what_it_promises():
    routine = parse_routine(EXAMPLES[0])
    texts = [c.text for c in compile_script(routine, resolve(routine, options={"first_hand": "left"})) if hasattr(c, "text")]
    assert "Shake out your left hand. Now your right hand." in texts
    assert "Squeeze your left hand with your right hand, and hold." in texts
    assert texts.count("Last one.") == 2  # once per hand, in the last round


def test_the_readme_has_command_examples():
    assert len(COMMANDS) >= 10 and 'audioguide play --pace slow --start-at "left foot"' in COMMANDS
    assert not any(c.startswith("audioguide draft") for c in COMMANDS)


@pytest.mark.parametrize(
    "command", [pytest.param(c, marks=pytest.mark.slow) if c.split()[1] == "export" and "--help" not in c else c
                for c in COMMANDS]
)
def test_each_command_example_runs(command, tmp_path):
    """Each example as a user types it, in a fresh folder (after `audioguide timings > my-timings.yaml`).

    Exports and plays use the fast pyttsx3 voice unless the example names one;
    play runs with ALSA's default device pointing nowhere, so it must get as
    far as looking for the sound card (exit 1): its arguments were all good.
    """
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run("audioguide timings > my-timings.yaml", shell=True, cwd=tmp_path, env=env, check=True)
    args = shlex.split(command.split(">")[0])
    verb = args[1]
    if verb in ("export", "play") and "--engine" not in args and "--help" not in args:
        args += ["--engine", "pyttsx3"]
    if verb == "play":
        conf = tmp_path / "no-device.conf"
        conf.write_text('pcm.!default "audioguide_no_such_device"\n')
        env["ALSA_CONFIG_PATH"] = f"{SYSTEM_ALSA_CONF}:{conf}"
    run = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, input="", timeout=600)
    if verb == "play":
        assert run.returncode == 1 and "no sound device" in run.stderr, run.stderr
        return
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip(), "every example prints something"
    if verb == "export" and "--help" not in args:
        written = [Path(tmp_path, p) for p in run.stdout.split()]
        assert all(p.stat().st_size > 0 for p in written)
