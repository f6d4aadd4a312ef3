"""Settings: defaults, timings files, --set, pace and length, and their precedence."""

from __future__ import annotations

import pytest
import yaml

from audioguide.errors import SettingsError
from audioguide.routine import load_routine
from audioguide.settings import GLOBAL_KEYS, PACES, defaults, resolve, timings_yaml


@pytest.fixture(scope="module")
def foot():
    return load_routine("foot-massage")


def test_defaults_come_from_the_routine(foot):
    s = defaults(foot)
    assert s.values["tender_hold"] == 10 and s.values["ankle_reps"] == 5
    assert s.options == {"position": "chair", "first_foot": "right", "feet": "both"}
    assert s.pace == 1.0 and s.length_ms is None and s.chimes


def test_precedence_file_then_set_then_flags(foot, tmp_path):
    timings = tmp_path / "t.yaml"
    timings.write_text("tender_hold: 20\nankle_reps: 8\nposition: floor\npace: slow\n")
    s = resolve(foot, timings=timings)
    assert (s.values["tender_hold"], s.values["ankle_reps"], s.options["position"], s.pace) == (20, 8, "floor", PACES["slow"])
    s = resolve(foot, timings=timings, sets=["tender_hold=30", "position=chair"])
    assert (s.values["tender_hold"], s.values["ankle_reps"], s.options["position"]) == (30, 8, "chair")
    s = resolve(foot, timings=timings, sets=["position=chair", "pace=fast"], options={"position": "floor"}, pace="0.9")
    assert s.options["position"] == "floor" and s.pace == 0.9


def test_timings_output_is_accepted_unchanged_and_means_the_defaults(foot, tmp_path):
    text = timings_yaml(foot)
    doc = yaml.safe_load(text)
    assert set(foot.settings) | set(foot.options) | set(GLOBAL_KEYS) == set(doc)
    for name, spec in foot.settings.items():
        assert spec.help in text
    path = tmp_path / "timings.yaml"
    path.write_text(text)
    assert resolve(foot, timings=path) == defaults(foot)


@pytest.mark.parametrize("value,expected", [("slow", 0.8), ("normal", 1.0), ("fast", 1.25), ("1.1", 1.1), (0.5, 0.5)])
def test_pace_names_and_factors(foot, value, expected):
    assert resolve(foot, pace=value).pace == expected


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"sets": ["tender_hold=5"]}, "--set tender_hold=5: must be 10..120 seconds, got 5"),
        ({"sets": ["ankle_reps=2.5"]}, "--set ankle_reps=2.5: must be a whole number"),
        ({"sets": ["tender_hol=20"]}, "unknown setting 'tender_hol' for routine 'foot-massage' (did you mean 'tender_hold'?)"),
        ({"sets": ["position=sofa"]}, "--set position=sofa: must be one of chair, floor, got 'sofa'"),
        ({"sets": ["gap"]}, "--set gap: expected KEY=VALUE"),
        ({"sets": ["gap=soon"]}, "--set gap=soon: must be a number of seconds"),
        ({"pace": "warp"}, "--pace warp: must be slow, normal, fast or a factor 0.5..2"),
        ({"pace": "9"}, "--pace 9: must be slow, normal, fast or a factor"),
        ({"length": "-5"}, "--length -5: must be a number of minutes 1..600"),
        ({"length": "soon"}, "--length soon: must be a number of minutes"),
        ({"options": {"feet": "three"}}, "--feet three: must be one of both, right, left"),
    ],
)
def test_bad_values_name_the_source(foot, kwargs, message):
    with pytest.raises(SettingsError) as err:
        resolve(foot, **kwargs)
    assert message in str(err.value)


def test_bad_timings_file_names_file_and_line(foot, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("gap: 3\nsettle: 10\ntender_hold: -4\n")
    with pytest.raises(SettingsError, match=r"mine.yaml:3: tender_hold: must be 10..120 seconds, got -4"):
        resolve(foot, timings=str(path))
    path.write_text("- a\n- b\n")
    with pytest.raises(SettingsError, match="mine.yaml:1: must be a mapping"):
        resolve(foot, timings=str(path))
    path.write_text("")
    assert resolve(foot, timings=str(path)) == defaults(foot)
