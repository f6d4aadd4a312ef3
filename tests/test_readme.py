"""The README's routine examples load and compile, and its routine section names every key."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from audioguide.compiler import compile_script
from audioguide.routine import _STEP_KINDS, parse_routine
from audioguide.settings import resolve

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
ROUTINE_SECTION = README[README.index("## Writing a routine"):]
ROUTINE_SECTION = ROUTINE_SECTION[: ROUTINE_SECTION.index("\n## ", 1)]
EXAMPLES = re.findall(r"```yaml\n(.*?)```", ROUTINE_SECTION, re.S)

#: Every key of the routine schema (step kinds come from the loader itself).
SCHEMA_KEYS = (
    "title", "steps", "description", "artist", "options", "choices", "default", "help", "settings", "min", "max",
    "unit", "sides", "names", "which", "first", "switch", "then", "ready", "again", "brief", "when", "count", "tempo",
    "style", "seconds", "release", "as", "items", "chimes", "halfway", "last",
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


def test_the_worked_example_says_what_it_promises():
    routine = parse_routine(EXAMPLES[0])
    texts = [c.text for c in compile_script(routine, resolve(routine, options={"first_hand": "left"})) if hasattr(c, "text")]
    assert "Shake out your left hand. Now your right hand." in texts
    assert "Squeeze your left hand with your right hand, and hold." in texts
    assert texts.count("Last one.") == 2  # once per hand, in the last round
