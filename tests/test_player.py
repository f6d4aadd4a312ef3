"""`audioguide play` end to end: the real console script, simpleaudio and ALSA, into a captured sink.

The sink (tests/alsa_sink.py) is ALSA's default PCM routed by the ``file``
plugin into a FIFO that tests/pacer.py copies to a file: the capture is exactly
the samples the player sent, concatenated over every open of the device.
Comparisons with the export are sample for sample.

Tests that press keys run the sink in real time and give the player a
pseudo-terminal as stdin. Their expectations are exact splices of the exported
session: "the capture is wav[:k] + wav[next step:] for some k". Where the
player has to measure how much it played (pause, repeat, volume), the splice
may repeat or skip a little audio. The player takes that position as the time
from starting a buffer to its play object ending, which on a sound card is
exact (ALSA's drain returns after the last queued sample has been played).
This sink differs from a card in two ways, each worth up to one pipe (4096
bytes = 93 ms) plus one pacer read (12 ms):

* repeated audio: the drain returns as soon as the last bytes are *in* the
  pipe, before the pacer has "played" them, so the player thinks it played less;
* skipped audio: the pipe outlives each ALSA open, so a new buffer can start
  behind up to 93 ms of the previous one's tail, and its clock runs early.

Hence ``DUP_MS`` and ``LOST_MS`` below; typical runs stay well inside them (see
the printed figures with ``pytest -s``).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import termios
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from alsa_sink import SYSTEM_CONF, AlsaSink
from audioguide import mixer
from audioguide.compiler import compile_script
from audioguide.pcm import SAMPLE_RATE, ms_to_samples
from audioguide.play.cues import pick_chapter
from audioguide.play.feed import Feed
from audioguide.play.loop import Loop
from audioguide.play.status import Status
from fakes import ToneEngine, recording_device
from helpers import BIN, TINY_ROUTINE, run_cli

DUP_MS = 110
LOST_MS = 110
MS = SAMPLE_RATE // 1000 + 1  # samples per ms, rounded up (for tolerances)

TINY = TINY_ROUTINE

# Short steps for the real-time tests (played with --chimes off: about 8 s).
KEYS = """
title: Keys
steps:
  - chapter: First
  - say: Press your heel.
    then: 1
  - say: Now the toes.
    then: 1
  - chapter: Second
  - say: Rub the arch.
    then: 0.5
"""
KEYS_ARGS = ("--engine", "pyttsx3", "--chimes", "off")


def wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def export(routine: Path, out: Path, *args: str, env: dict | None = None) -> tuple[np.ndarray, dict]:
    run = run_cli("export", str(routine), *args, "-o", str(out), env=env)
    assert run.returncode == 0, run.stderr
    return wav_samples(out), json.loads(out.with_suffix(".json").read_text())


def play_into(sink: AlsaSink, routine: Path, *args: str, input: str = "", env: dict | None = None):
    """Run `audioguide play` with stdin a pipe (not a terminal); returns the run with the sink closed."""
    with sink:
        run = run_cli("play", str(routine), *args, input=input, env={**sink.env, **(env or {})}, timeout=120)
    return run


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def common_suffix(a: np.ndarray, b: np.ndarray) -> int:
    return common_prefix(a[::-1], b[::-1])


def cut_before(part: np.ndarray, wav: np.ndarray, target: int, search_ms: int = 300) -> int | None:
    """k such that part == wav[:k] + wav[target:target + len(part) - k], or None."""
    top = common_prefix(part, wav)
    for k in range(top, max(-1, top - search_ms * MS), -1):
        rest = part[k:]
        if np.array_equal(rest, wav[target:target + len(rest)]):
            return k
    return None


def step_starts(doc: dict) -> list[int]:
    """First sample of each step of an exported session."""
    first: dict[int, int] = {}
    for cue in doc["cues"]:
        first.setdefault(cue["step"], ms_to_samples(cue["start_ms"]))
    return [first[s] for s in sorted(first)]


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def keys_session(tmp_path_factory) -> dict:
    """The KEYS routine exported once; its speech cache is shared by the key tests
    (espeak-ng output is bit-identical only through the cache)."""
    work = tmp_path_factory.mktemp("keys")
    routine = work / "keys.yaml"
    routine.write_text(KEYS)
    env = {"AUDIOGUIDE_CACHE_DIR": str(work / "cache")}
    wav, doc = export(routine, work / "keys.wav", *KEYS_ARGS, env=env)
    return {"routine": routine, "env": env, "wav": wav, "doc": doc, "steps": step_starts(doc)}


class Live:
    """`audioguide play` in real time with a pseudo-terminal as stdin, playing into a paced sink."""

    def __init__(self, sink: AlsaSink, routine: Path, *args: str, env: dict, stderr_tty: bool = False) -> None:
        self.sink = sink
        self.master, self.slave = os.openpty()
        self.attrs_before = termios.tcgetattr(self.slave)
        self.tty_output = bytearray()
        self.proc = subprocess.Popen(
            [str(BIN / "audioguide"), "play", str(routine), *args],
            stdin=self.slave, stdout=subprocess.PIPE, stderr=self.slave if stderr_tty else subprocess.PIPE,
            env={**os.environ, **sink.env, **env},
            # As a user's foreground command: a suite started as a background job (`... &`) has
            # SIGINT ignored, its children inherit that, and the Ctrl-C test would time out.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        # Keep reading the terminal: a full pty would block the player's writes.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.tty_output += data

    def at(self, seconds: float, timeout: float = 20) -> None:
        """Wait until the sink has received ``seconds`` of audio."""
        deadline = time.monotonic() + timeout
        while self.sink.captured_seconds() < seconds:
            assert self.proc.poll() is None, "the player ended early"
            assert time.monotonic() < deadline, f"no {seconds} s of audio after {timeout} s"
            time.sleep(0.002)

    def press(self, keys: str) -> float:
        os.write(self.master, keys.encode())
        return time.monotonic()

    def wait(self, timeout: float = 40) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        self.attrs_after = termios.tcgetattr(self.slave)
        os.close(self.slave)
        time.sleep(0.05)
        os.close(self.master)
        return self.proc.returncode, out.decode(), (err or b"").decode()


# -- the same samples as the export ------------------------------------------------


@pytest.mark.parametrize("engine", ["pyttsx3", pytest.param("piper", marks=pytest.mark.piper)])
def test_a_full_play_sends_exactly_the_exported_samples(tiny, tmp_path, engine):
    # Play first, on an empty cache: the streamed path with real synthesis. The
    # export then speaks nothing (everything is cached) and must hold the same.
    sink = AlsaSink(tmp_path / "sink", paced=False)
    run = play_into(sink, tiny, "--engine", engine)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    wav, doc = export(tiny, tmp_path / "tiny.wav", "--engine", engine)
    captured = sink.samples()
    assert len(captured) == len(wav) == ms_to_samples(doc["total_ms"])
    assert np.array_equal(captured, wav)
    # Not a terminal: plain progress lines, one per chapter and instruction; no key help.
    lines = run.stderr.splitlines()
    assert "0:00 chapter 1/4: Start" in lines and "0:00   Sit comfortably." in lines
    assert any(line.endswith("chapter 3/4: Left foot") for line in lines)
    assert lines[-1] == "finished" and not any(line.startswith("keys:") for line in lines)


def test_stdin_not_a_terminal_plays_straight_through(tiny, tmp_path):
    wav, _ = export(tiny, tmp_path / "tiny.wav", "--engine", "pyttsx3")
    sink = AlsaSink(tmp_path / "sink", paced=False)
    run = play_into(sink, tiny, "--engine", "pyttsx3", input="n q +++ b\n")  # keys in a pipe are not keys
    assert run.returncode == 0, run.stderr
    assert np.array_equal(sink.samples(), wav)


def test_length_prepares_everything_then_plays_the_fitted_session(tiny, tmp_path):
    fit = ("--engine", "pyttsx3", "--set", "wait=20", "--length", "1")  # only "wait" stretches
    wav, doc = export(tiny, tmp_path / "tiny.wav", *fit)
    assert doc["total_ms"] == 60_000
    sink = AlsaSink(tmp_path / "sink", paced=False)
    run = play_into(sink, tiny, *fit)
    assert run.returncode == 0, run.stderr
    assert "preparing every line first" in run.stderr
    assert np.array_equal(sink.samples(), wav)


def test_start_at_plays_from_that_chapter_start_sample(tiny, tmp_path):
    wav, doc = export(tiny, tmp_path / "tiny.wav", "--engine", "pyttsx3")
    starts = {c["title"]: ms_to_samples(c["start_ms"]) for c in doc["chapters"]}
    for i, (wanted, title) in enumerate([("left", "Left foot"), ("2", "Right foot"), ("END", "End")]):
        sink = AlsaSink(tmp_path / f"sink{i}", paced=False)
        run = play_into(sink, tiny, "--engine", "pyttsx3", "--start-at", wanted)
        assert run.returncode == 0, run.stderr
        assert np.array_equal(sink.samples(), wav[starts[title]:]), wanted
        first = next(line for line in run.stderr.splitlines() if " chapter " in line)
        assert f"chapter {list(starts).index(title) + 1}/4: {title}" in first


def test_an_unknown_start_at_is_a_usage_error_listing_the_chapters(tiny, isolated_cache):
    run = run_cli("play", str(tiny), "--engine", "pyttsx3", "--start-at", "elbow", input="")
    assert run.returncode == 2
    assert "--start-at elbow: no chapter 'elbow'" in run.stderr
    assert '1 "Start", 2 "Right foot", 3 "Left foot", 4 "End"' in run.stderr
    assert not any(isolated_cache.rglob("*.*")), "nothing may be synthesized"


def test_no_sound_device_is_one_line_pointing_at_export(tiny, tmp_path, isolated_cache):
    conf = tmp_path / "nothing.conf"
    conf.write_text('pcm.!default "audioguide_no_such_device"\n')
    run = run_cli("play", str(tiny), "--engine", "pyttsx3", input="",
                  env={"ALSA_CONFIG_PATH": f"{SYSTEM_CONF}:{conf}"})
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr  # no traceback, no "ALSA lib ..." noise
    assert lines[0].startswith("audioguide: error: no sound device (")
    assert "use `audioguide export` to write a file instead" in lines[0]
    assert not any(isolated_cache.rglob("*.*")), "the device is checked before any synthesis"


# -- keys, in real time ---------------------------------------------------------------


def test_pause_resumes_at_the_point_it_stopped(keys_session, tmp_path):
    wav = keys_session["wav"]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(0.3)  # inside "Press your heel."
        pressed_at = len(sink.samples())
        t_pause = live.press(" ")
        time.sleep(0.8)
        live.press(" ")
        code, out, err = live.wait()
    assert code == 0, err
    assert out == ""
    assert "paused at" in err and "resumed at" in err
    captured = sink.samples()
    head, tail = common_prefix(captured, wav), common_suffix(captured, wav)
    assert head + tail >= len(captured), "the capture is not wav[:k] + wav[j:]"
    # Any k in [len - tail, head] splits it so; silence around the cut widens that range.
    assert len(captured) - tail <= pressed_at + SAMPLE_RATE // 2 and head >= pressed_at
    repeated_ms = (len(captured) - len(wav)) / SAMPLE_RATE * 1000
    chunks = sink.log["chunks"]
    gap, went_quiet = max((b[0] - a[0], a[0]) for a, b in zip(chunks, chunks[1:]))
    print(f"pause: {repeated_ms:+.1f} ms repeated (+) or lost (-); cut in "
          f"[{(len(captured) - tail) / SAMPLE_RATE:.3f}, {head / SAMPLE_RATE:.3f}] s; "
          f"sound stopped {went_quiet - t_pause:.3f} s after the key; silent {gap:.3f} s")
    assert -LOST_MS <= repeated_ms <= DUP_MS
    # The sink really was silent for a while (0.8 s minus what was queued when space was pressed).
    assert gap > 0.35


def test_next_then_back(keys_session, tmp_path):
    wav, steps = keys_session["wav"], keys_session["steps"]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(0.5)  # step 1 of 4
        live.press("n")  # -> step 2
        live.at(steps[1] / SAMPLE_RATE + 0.1)  # any time now; wait until it is audible
        time.sleep(0.5)
        live.press("b")  # -> back to the start of step 2
        code, _, err = live.wait()
    assert code == 0, err
    captured = sink.samples()
    # wav[:k1] (step 1, cut short) + wav[s1 : s1 + m] (step 2, cut short) + wav[s1:] (step 2 to the end)
    rest = len(wav) - steps[1]
    assert np.array_equal(captured[-rest:], wav[steps[1]:]), "after b: the step's first samples again"
    before = captured[:-rest]
    k1 = cut_before(before, wav, steps[1])
    assert k1 is not None, "after n: the next step's first sample"
    assert 0.5 * SAMPLE_RATE <= k1 < steps[1]
    assert len(before) - k1 > 0.4 * SAMPLE_RATE  # step 2 played a while before b


def test_back_twice_goes_to_the_previous_step(keys_session, tmp_path):
    wav, steps = keys_session["wav"], keys_session["steps"]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(steps[1] / SAMPLE_RATE + 0.6)  # inside step 2
        live.press("b")
        time.sleep(0.4)
        live.press("b")  # within 2 s: step 1
        code, _, err = live.wait()
    assert code == 0, err
    captured = sink.samples()
    # wav[:k1] + wav[s1 : s1 + m] + wav[s0:]  (s0 = 0)
    assert np.array_equal(captured[-len(wav):], wav)
    before = captured[:-len(wav)]
    k1 = cut_before(before, wav, steps[1])
    assert k1 is not None and k1 > steps[1]
    assert len(before) - k1 > 0.2 * SAMPLE_RATE


def test_repeat_says_the_last_instruction_again_then_goes_on(keys_session, tmp_path):
    wav, doc = keys_session["wav"], keys_session["doc"]
    say = next(c for c in doc["cues"] if c["type"] == "say")
    a, b = ms_to_samples(say["start_ms"]), ms_to_samples(say["start_ms"] + say["duration_ms"])
    instruction = wav[a:b]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(b / SAMPLE_RATE + 0.15)  # in the pause after "Press your heel."
        live.press("r")
        code, _, err = live.wait()
    assert code == 0, err
    captured = sink.samples()
    head, tail = common_prefix(captured, wav), common_suffix(captured, wav)
    cut = next((k for k in range(head, max(-1, head - 300 * MS), -1)
                if np.array_equal(captured[k:k + len(instruction)], instruction)), None)
    assert cut is not None and cut >= b, "the instruction again, from its first sample"
    assert tail >= len(captured) - cut - len(instruction), "then the session from where it was"
    repeated_ms = (len(captured) - len(instruction) - len(wav)) / SAMPLE_RATE * 1000
    print(f"repeat: {repeated_ms:+.1f} ms of the pause repeated (+) or lost (-)")
    assert -LOST_MS <= repeated_ms <= DUP_MS


def test_volume_down_scales_the_rest_by_3_db(keys_session, tmp_path):
    wav = keys_session["wav"]
    softer = np.clip(np.rint(wav * 10 ** (-3 / 20)), -32768, 32767).astype(np.int16)
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(0.6)
        live.press("-")
        code, _, err = live.wait()
    assert code == 0, err
    assert "volume -3 dB" in err
    captured = sink.samples()
    head, tail = common_prefix(captured, wav), common_suffix(captured, softer)
    assert head + tail >= len(captured), "the capture is not wav[:k] + softer[j:]"
    assert tail > len(captured) - SAMPLE_RATE  # everything after the press is softer
    assert -LOST_MS <= (len(captured) - len(wav)) / SAMPLE_RATE * 1000 <= DUP_MS


def test_q_quits_cleanly(keys_session, tmp_path):
    wav = keys_session["wav"]
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"])
        live.at(0.5)
        pressed = live.press("q")
        code, out, err = live.wait(timeout=5)
        done = time.monotonic()
    assert code == 0 and out == ""
    assert done - pressed < 1.0
    assert err.splitlines()[-1] == "stopped"
    captured = sink.samples()
    assert 0.5 * SAMPLE_RATE <= len(captured) < len(wav) / 2
    assert np.array_equal(captured, wav[:len(captured)])
    assert live.attrs_after == live.attrs_before


@pytest.mark.parametrize("sig, code, said", [
    (signal.SIGINT, 130, "audioguide: interrupted"),
    (signal.SIGTERM, 143, "audioguide: stopped by SIGTERM"),  # `kill`, a service stop: main()'s handler, as for export
    (signal.SIGHUP, 129, "audioguide: stopped by SIGHUP"),
], ids=["ctrl-c", "sigterm", "sighup"])
def test_ctrl_c_or_a_stop_signal_stops_at_once_restores_the_terminal_and_exits_128_plus_it(
        keys_session, tmp_path, sig, code, said):
    with AlsaSink(tmp_path / "sink") as sink:
        live = Live(sink, keys_session["routine"], *KEYS_ARGS, env=keys_session["env"], stderr_tty=True)
        live.at(0.8)
        interrupted = time.monotonic()
        live.proc.send_signal(sig)
        exit_code, out, _ = live.wait(timeout=5)
        exited = time.monotonic()
    assert exit_code == code
    assert exited - interrupted < 1.0
    assert live.attrs_after == live.attrs_before, "terminal attributes restored"
    # Sound keeps arriving only for what was queued: simpleaudio's current chunk
    # and drain (up to 0.2 s), plus the sink's pipe and the file plugin's 0.1 s.
    stop_latency = sink.log["chunks"][-1][0] - interrupted
    print(f"Ctrl-C: exit after {exited - interrupted:.3f} s, last sound reached the sink after {stop_latency:.3f} s")
    assert stop_latency < 0.45
    assert len(sink.samples()) < len(keys_session["wav"])
    screen = live.tty_output.decode(errors="replace")
    assert screen.startswith("keys: space pause/resume")  # the help line, then the status in place
    assert "\r\x1b[K" in screen and "step 1/4" in screen and "vol +0 dB" in screen and "Press your heel." in screen
    assert said in screen and "Traceback" not in screen
    assert out == ""


# -- pieces ----------------------------------------------------------------------------


def test_chapters_are_picked_by_number_title_or_words_of_chapters_in_a_row():
    titles = ["Welcome", "Right foot: ankle", "Right foot: sole", "Change to the left foot", "Left foot: ankle"]
    assert pick_chapter(titles, "1") == 0
    assert pick_chapter(titles, "right foot: SOLE") == 2
    assert pick_chapter(titles, "left") == 3  # where the left foot begins: its change, then its chapters
    assert pick_chapter(titles, "left foot") == 3
    assert pick_chapter(titles, "  Left   FOOT: ") == 4
    assert pick_chapter(titles, "wel") == 0
    assert pick_chapter(titles, "right") == 1  # chapters in a row: the first of them
    with pytest.raises(ValueError, match="could be \"Right foot: ankle\", \"Left foot: ankle\""):
        pick_chapter(titles, "ankle")
    with pytest.raises(ValueError, match="no chapter 'oot'"):
        pick_chapter(titles, "oot")  # words match from their start only
    with pytest.raises(ValueError, match='no chapter .elbow.; the chapters are: 1 "Welcome", 2'):
        pick_chapter(titles, "elbow")
    with pytest.raises(ValueError, match="there is no chapter 6"):
        pick_chapter(titles, "6")


def test_when_synthesis_falls_behind_playback_waits_between_whole_cues(tiny, monkeypatch):
    """A slow engine: buffers stop at cue boundaries, nothing is cut, and together they are the mix."""
    from audioguide import pipeline
    from audioguide.routine import load_routine
    from audioguide.settings import defaults
    from audioguide.synth import Synthesizer

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: -3.0)
    routine = load_routine(str(tiny))
    settings = defaults(routine)
    synth = Synthesizer(ToneEngine(delay=0.05))
    feed = Feed(routine, settings, synth, compile_script(routine, settings).spoken_texts()).start()
    sent: list[tuple[int, np.ndarray]] = []

    device = recording_device(sent, stamp=True)

    status = Status(feed.cues, compile_script(routine, settings), io.StringIO())
    Loop(feed.cues, status, play=device).run()
    feed.stop()
    script, speech = pipeline.exact_script(routine, settings, synth)
    timeline = mixer.mix(script, speech)
    assert np.array_equal(np.concatenate([s for _, s in sent]), timeline.samples)
    boundaries = {ms_to_samples(c.start_ms) for c in script.cues} | {len(timeline.samples)}
    at = 0
    for _, samples in sent:
        at += len(samples)
        assert at in boundaries, "a buffer ended inside a cue"
    assert len(sent) > 3  # it had to wait for speech several times


def test_an_engine_failing_mid_session_stops_with_its_error_after_what_was_ready(tiny, monkeypatch):
    from audioguide import pipeline
    from audioguide.errors import EngineError
    from audioguide.routine import load_routine
    from audioguide.settings import defaults
    from audioguide.synth import Synthesizer

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: 0.0)
    routine = load_routine(str(tiny))
    settings = defaults(routine)
    feed = Feed(routine, settings, Synthesizer(ToneEngine(fail_on="left")), compile_script(routine, settings).spoken_texts())
    sent = []

    device = recording_device(sent, stamp=False)

    status = Status(feed.cues, compile_script(routine, settings), io.StringIO())
    with pytest.raises(EngineError, match='tone failed on "Press your left heel.": synthesis backend crashed'):
        Loop(feed.start().cues, status, play=device).run()
    feed.stop()
    assert sum(map(len, sent)) == feed.cues.end > 0  # everything before the failing line was played


def test_volume_above_0_db_is_limited_never_clipped(tiny, monkeypatch):
    """The export's peaks sit at the ceiling: +9 dB lifts the rest, and a limiter keeps the peaks there."""
    from audioguide import pipeline
    from audioguide.loudness import TRUE_PEAK_CEILING_DBTP, true_peaks
    from audioguide.pcm import FULL_SCALE
    from audioguide.routine import load_routine
    from audioguide.settings import defaults
    from audioguide.synth import Synthesizer

    monkeypatch.setattr(pipeline, "voice_gain", lambda synth: 0.0)
    routine = load_routine(str(tiny))
    settings = defaults(routine)
    synth = Synthesizer(ToneEngine(level=20000))
    feed = Feed(routine, settings, synth, compile_script(routine, settings).spoken_texts()).start()
    sent: list[np.ndarray] = []
    loop = Loop(feed.cues, Status(feed.cues, compile_script(routine, settings), io.StringIO()),
                play=recording_device(sent))
    loop.transport.volume_db = 9.0
    loop.run()
    feed.stop()
    played = np.concatenate(sent).astype(np.float64)
    script, speech = pipeline.exact_script(routine, settings, synth)
    exported = mixer.mix(script, speech).samples.astype(np.float64)
    assert len(played) == len(exported)
    ceiling = FULL_SCALE * 10 ** (TRUE_PEAK_CEILING_DBTP / 20)
    assert np.abs(exported).max() > 0.8 * ceiling  # +9 dB would clip it
    assert true_peaks(played).max() <= ceiling + 2 and np.abs(played).max() < 32767  # no clipping
    quiet = (np.abs(exported) > 100) & (np.abs(exported) < 0.2 * ceiling)
    assert np.median(np.abs(played[quiet]) / np.abs(exported[quiet])) > 2.5  # the rest is ~+9 dB louder
