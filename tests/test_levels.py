"""The shipped loudness of the bundled voices is still what a fresh measurement gives."""

from __future__ import annotations

import pytest

from audioguide.synth import make_synthesizer
from audioguide import mixer, pipeline
from audioguide.cache import SpeechCache


@pytest.mark.parametrize("engine,voice", [pytest.param("piper", "en_US-joe-medium", marks=pytest.mark.piper),
                                          ("pyttsx3", "gmw/en-us")])
def test_shipped_level_matches_fresh_measurement(engine, voice):
    synth = make_synthesizer(engine, voice, 1.0, SpeechCache())
    shipped = pipeline.shipped_levels()[pipeline.voice_key(synth)]
    fresh = mixer.voice_gain_db(synth.speak)
    assert fresh == pytest.approx(shipped, abs=0.5), "re-run scripts/levels.py and commit the result"
    assert pipeline.voice_gain(synth) == shipped


def test_other_voices_are_measured(monkeypatch):
    synth = make_synthesizer("pyttsx3", "gmw/en", 1.0, SpeechCache())
    assert pipeline.voice_key(synth) not in pipeline.shipped_levels()
    assert pipeline.voice_gain(synth) == pytest.approx(mixer.voice_gain_db(synth.speak), abs=1e-9)
    assert synth.cache_hits > 0  # the second measurement came from the cache
