"""The one slug function: letters of any script are transliterated, never dropped, and the result is path-safe."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import audioguide as ag

SAFE = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$")


@pytest.mark.parametrize("text, expected", [
    ("Ünïcødé 🦵 name", "unicode-name"),
    ("Anna Ünï 🦵 / ../x", "anna-uni-x"),
    ("Straße", "strasse"),
    ("Søren, left foot", "soren-left-foot"),
    ("Łódź", "lodz"),
    ("Привет", "privet"),
    ("My Routine (v2)", "my-routine-v2"),
    ("../../etc/passwd", "etc-passwd"),
    ("..", ""),
    ("🦵", ""),
])
def test_letters_are_transliterated_and_nothing_else_survives(text, expected):
    assert ag.slug(text) == expected


def test_length_is_bounded_and_never_ends_on_a_separator():
    assert ag.slug("ab " * 50, max_length=10) == "ab-ab-ab-a"
    assert ag.slug("abcd efgh", max_length=5) == "abcd"
    assert ag.slug("Café au lait", separator="_") == "cafe_au_lait"
    with pytest.raises(ValueError):
        ag.slug("x", separator="/")


@given(st.text(max_size=200), st.integers(min_value=1, max_value=80))
def test_any_text_gives_a_safe_file_name(text, max_length):
    out = ag.slug(text, max_length=max_length)
    assert SAFE.match(out) and len(out) <= max_length  # no dots, no slashes, no leading or trailing '-'


def test_presets_and_uploads_use_it():
    assert ag.Preset("Jürgen, linker Fuß", "foot-massage").slug == "jurgen-linker-fuss"
