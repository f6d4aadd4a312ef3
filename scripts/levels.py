"""Measure the bundled voices' loudness gain and write audioguide/data/voice-levels.json.

Run after changing a bundled voice, the engine settings or mixer.REFERENCE_PASSAGE:
    .venv/bin/python scripts/levels.py
tests/test_levels.py fails when the shipped numbers drift from a fresh measurement.
"""

import json
from pathlib import Path

from audioguide.synth import make_synthesizer
from audioguide import mixer, pipeline
from audioguide.cache import SpeechCache

OUT = Path(__file__).resolve().parent.parent / "audioguide" / "data" / "voice-levels.json"
BUNDLED = [("piper", "en_US-joe-medium"), ("pyttsx3", "gmw/en-us")]

levels = {}
for engine, voice in BUNDLED:
    synth = make_synthesizer(engine, voice, 1.0, SpeechCache())
    levels[pipeline.voice_key(synth)] = round(mixer.voice_gain_db(synth.speak), 2)
OUT.write_text(json.dumps(levels, indent=2) + "\n")
print(OUT.read_text())
