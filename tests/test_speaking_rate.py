"""The default export speaks its instructions at a calm guide's 130-160 words per minute, on both voices.

The measure (issue 9): the words of each instruction line over its length in
the export's JSON timeline, over all instruction lines. scripts/bench reports
it per engine and pace.
"""

from __future__ import annotations

import json

import pytest

from audioguide.compiler import compile_script
from audioguide.routine import load_routine
from audioguide.settings import defaults
from audioguide.spoken import to_spoken, words_per_minute

from helpers import run_cli


def instruction_wpm(doc: dict) -> float:
    lines = [(c.get("spoken") or to_spoken(c["text"]), c["duration_ms"])
             for c in doc["cues"] if c["type"] == "say" and c["role"] == "instruction"]
    return words_per_minute(lines)


@pytest.fixture(scope="module", params=[pytest.param("piper", marks=pytest.mark.piper), "pyttsx3"])
def export_doc(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "foot.wav"
    run = run_cli("export", "--engine", request.param, "-o", str(out), timeout=600)
    assert run.returncode == 0, run.stderr
    return request.param, json.loads(out.with_suffix(".json").read_text())


@pytest.mark.slow
def test_default_export_speaks_instructions_at_130_to_160_wpm(export_doc):
    engine, doc = export_doc
    assert 130 <= instruction_wpm(doc) <= 160, engine


@pytest.mark.slow
def test_the_estimate_is_close_to_the_measured_session(export_doc):
    """`audioguide script` (estimated) is within 3% of what the voice really takes."""
    engine, doc = export_doc
    foot = load_routine()
    estimated = compile_script(foot, defaults(foot))
    assert estimated.total_ms == pytest.approx(doc["total_ms"], rel=0.03), engine
