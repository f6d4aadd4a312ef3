"""The content-addressed speech cache: keys, entries, damage, atomic writes."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioguide import cache as cache_module
from audioguide.cache import SpeechCache, speech_key
from audioguide.engines.base import Speech
from audioguide.errors import CacheError
from audioguide.synth import Synthesizer
from fakes import FakeEngine

KEY = speech_key("fake", "1", "v", 1.0, "Hello.")


def _speech(n: int = 1000, value: int = 1234, rate: int = 22050) -> Speech:
    return Speech(samples=np.full(n, value, dtype=np.int16), sample_rate=rate)


def _temp_files(root: Path) -> list[Path]:
    return list(root.rglob("*.part"))


def test_key_covers_every_field():
    base = ("piper", "1.8", "joe", 1.0, "Breathe in.")
    keys = {speech_key(*base)}
    for i, changed in enumerate(("pyttsx3", "1.9", "amy", 1.1, "Breathe in. ")):
        fields = list(base)
        fields[i] = changed
        keys.add(speech_key(*fields))
    assert len(keys) == 6
    assert speech_key("piper", "1.8", "joe", 1, "x") == speech_key("piper", "1.8", "joe", 1.0, "x")
    # Fields cannot bleed into each other.
    assert speech_key("a", "b", "c", 1.0, "d") != speech_key("a", "b", "c d", 1.0, "")


def test_hit_and_miss_and_fan_out():
    store = SpeechCache()
    assert store.get(KEY) is None
    store.put(KEY, _speech(rate=16000))
    got = store.get(KEY)
    assert got is not None and got.sample_rate == 16000
    assert np.array_equal(got.samples, _speech().samples) and got.samples.dtype == np.int16
    assert store.path_for(KEY).parent.name == KEY[:2]
    assert _temp_files(store.root) == []


@settings(max_examples=40, deadline=None)
@given(samples=st.lists(st.integers(-32768, 32767), max_size=300), rate=st.integers(1, 192000))
def test_round_trip_of_any_audio(samples, rate, tmp_path_factory):
    store = SpeechCache(tmp_path_factory.mktemp("rt"))
    speech = Speech(samples=np.array(samples, dtype=np.int16), sample_rate=rate)
    store.put(KEY, speech)
    got = store.get(KEY)
    assert got.sample_rate == rate and np.array_equal(got.samples, speech.samples)


def test_cache_dir_env_is_respected(isolated_cache, monkeypatch):
    assert SpeechCache().root == isolated_cache
    monkeypatch.delenv(cache_module.CACHE_DIR_ENV)
    default = SpeechCache().root
    assert default.name == "speech" and "audioguide" in str(default)


def _flip_pcm_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-7] ^= 0x01
    path.write_bytes(bytes(data))


def _flip_header_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[9] ^= 0x40  # inside the sample rate
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _truncate_header(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:20])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(3000))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_flip_pcm_byte, _flip_header_byte, _truncate, _truncate_header, _garbage, _empty])
def test_damaged_entry_is_a_miss_and_is_synthesized_again(damage):
    engine = FakeEngine()
    synth = Synthesizer(engine, cache=SpeechCache())
    good = synth.speak("Hello there.")
    path = synth.cache.path_for(synth.key("Hello there."))
    damage(path)
    again = synth.speak("Hello there.")
    assert len(engine.calls) == 2 and synth.cache_hits == 0
    assert np.array_equal(again.samples, good.samples)
    # Re-synthesizing stored a good entry again.
    assert synth.speak("Hello there.") is not None and synth.cache_hits == 1


def test_damaged_entry_is_deleted():
    store = SpeechCache()
    store.put(KEY, _speech())
    _garbage(store.path_for(KEY))
    assert store.get(KEY) is None
    assert not store.path_for(KEY).exists()


def test_readers_never_see_a_partial_entry():
    store = SpeechCache()
    big_a, big_b = _speech(200_000, 1), _speech(150_000, -2)
    stop = threading.Event()
    seen: list[int] = []

    def write() -> None:
        for i in range(40):
            store.put(KEY, big_a if i % 2 else big_b)
        stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not stop.is_set():
        got = store.get(KEY)
        if got is not None:
            seen.append(len(got.samples))
    writer.join()
    assert set(seen) <= {200_000, 150_000}
    assert store.get(KEY) is not None  # never deleted as damaged
    assert _temp_files(store.root) == []


def test_unwritable_cache_raises_cache_error_naming_the_path(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    store = SpeechCache(blocker)
    with pytest.raises(CacheError) as caught:
        store.put(KEY, _speech())
    assert str(blocker) in str(caught.value) and "\n" not in str(caught.value)


def test_full_disk_leaves_no_temp_file(monkeypatch):
    store = SpeechCache()

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "fsync", disk_full)
    with pytest.raises(CacheError, match="No space left on device") as caught:
        store.put(KEY, _speech())
    assert str(store.path_for(KEY)) in str(caught.value)
    assert _temp_files(store.root) == []
    assert not store.path_for(KEY).exists()


def test_put_refuses_non_int16_samples_and_bad_keys():
    store = SpeechCache()
    with pytest.raises(ValueError):
        store.put(KEY, Speech(samples=np.zeros(10, dtype=np.float32), sample_rate=22050))
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_info_and_clear():
    store = SpeechCache()
    assert store.info() == (store.root, 0, 0)
    keys = [speech_key("fake", "1", "v", 1.0, str(i)) for i in range(5)]
    for key in keys:
        store.put(key, _speech(100))
    root, entries, size = store.info()
    assert root == store.root and entries == 5
    assert size == sum(store.path_for(key).stat().st_size for key in keys)
    # A temp file of a writer that died goes; a live writer's stays.
    dead = subprocess.Popen(["true"])
    dead.wait()
    name = store.path_for(keys[0]).name
    stale = store.path_for(keys[0]).parent / f".{name}.{dead.pid}.0badf00d.part"
    live = store.path_for(keys[0]).parent / f".{name}.{os.getpid()}.0badf00d.part"
    stale.write_bytes(b"x")
    live.write_bytes(b"x")
    assert store.clear() == 5
    assert store.info()[1:] == (0, 0)
    assert not stale.exists() and live.exists()
    assert all(store.get(key) is None for key in keys)
