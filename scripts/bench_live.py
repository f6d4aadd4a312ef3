"""Voice commands live (``scripts/bench --listen``): response time and CPU through the real capture path,
during a cold play (an empty speech cache, so Piper synthesizes the session ahead while it listens).

The player is the real console script, playing into the paced sink of
tests/alsa_sink.py (its log says when each sample reached the "speaker") and
listening, through ALSA, to a PulseAudio null sink's monitor (tests/pulse.py)
into which the bench speaks with paplay. Each command is "pause now" said in
one of the guide's pauses, then "carry on" while paused; the speakers come
from the report pool of scripts/listen_audio.py.

Stop: from the end of the phrase at the microphone (where its speech ended on
the capture clock: its last 10 ms frame within 30 dB of its loudest,
``voice.Heard.spoken_end``, which ``AUDIOGUIDE_DEBUG`` prints; tests/test_voice.py
checks it against the recordings' own ends) to the last
sample of what the player was playing reaching the speaker ("pause now": the
player stops its buffer, the device drains it); response: to the first sample
of the command's earcon reaching the speaker (after that drain and a new
buffer's start; for "carry on" while paused, the only sound there is). CPU: the listening thread's own CPU time over the time
it listened, as the player reports it at the end. Also reported, as earlier
rounds measured it: the stop from the recognizer's word boundary instead,
which is often earlier than the speech's end ("pause now" up to 0.3 s: it
spots a phrase before its last sound), so that figure overstates the wait.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

import listen_audio as la  # noqa: E402
from alsa_sink import occurrences  # noqa: E402

#: A phrase acted on (a spot the player passed over ends in "ignored").
SPOTTED = re.compile(r"voice: spotted '([a-z ]+)' ([\d.]+)-([\d.]+) s, speech ended ([\d.]+) s \(read at [\d.]+\)"
                     r"(, -?\d+ dB over the background)?$", re.MULTILINE)
CPU = re.compile(r"voice: listened ([\d.]+) s using ([\d.]+) s of CPU")


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(la.RATE)
        w.writeframes(la.to_int16(audio * 10 ** (-8 / 20)).tobytes())
    return path


def live(audioguide: str, engine: str, commands: int = 8, seed: int = 11, timeout_s: float = 480.0) -> dict:
    """Run the live figures; returns them (response times in s, CPU share, counts)."""
    from alsa_sink import AlsaSink
    from pulse import PulseAudio, available

    missing = available()
    if missing:
        return {"skipped": missing}
    work = Path(tempfile.mkdtemp(prefix="audioguide-bench-live-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE", "DBUS"))}
    # The exact timeline, exported with a cache of its own (the play's cache stays empty: cold).
    timeline = work / "session.wav"
    subprocess.run([audioguide, "export", "--engine", engine, "-o", str(timeline)], check=True, capture_output=True,
                   env={**env, "AUDIOGUIDE_CACHE_DIR": str(work / "export-cache")})
    cues = json.loads(timeline.with_suffix(".json").read_text())["cues"]
    # Instructions followed by a pause of 6 s or more: where the commands are said.
    waits = {}
    for cue, nxt in zip(cues, cues[1:]):
        if cue["type"] == "say" and nxt["type"] == "pause" and nxt["duration_ms"] >= 6000:
            waits.setdefault(cue["text"], cue["duration_ms"] / 1000)
    rng = np.random.default_rng(seed)
    people = la.speakers("report", commands * 2, seed)
    pause_wavs = [write_wav(work / f"pause{i}.wav", la.say("pause now", p)) for i, p in enumerate(people[::2])]
    go_wavs = [write_wav(work / f"go{i}.wav", la.say("carry on", p)) for i, p in enumerate(people[1::2])]

    with PulseAudio(work / "pulse") as pulse:
        mic = f'{{ type pulse server "{pulse.client_env["PULSE_SERVER"]}" device "mic.monitor" }}'
        with AlsaSink(work / "sink", microphone=mic) as sink:
            err_path = work / "stderr.txt"
            started = time.monotonic()
            with open(err_path, "w") as err:
                proc = subprocess.Popen([audioguide, "play", "--engine", engine, "--listen"],
                                        env={**env, **sink.env, "AUDIOGUIDE_CACHE_DIR": str(work / "play-cache"),
                                             "AUDIOGUIDE_DEBUG": "1"},
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                        # Ctrl-C ends it (SIGINT is ignored in a background job's children).
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            said, seen = 0, 0
            try:
                while said < commands and time.monotonic() - started < timeout_s:
                    lines = err_path.read_text().splitlines()
                    new = lines[seen:]
                    seen = len(lines)
                    line = next((x for x in new for text in waits if x.endswith("   " + text)), None)
                    if line is None:
                        if proc.poll() is not None:
                            break
                        time.sleep(0.02)
                        continue
                    text = next(t for t in waits if line.endswith("   " + t))
                    time.sleep(waits[text] + 0.4 + float(rng.uniform(0, 1.5)))  # at a random moment of the pause
                    before = err_path.read_text()
                    pulse.speak(pause_wavs[said])
                    # Counted from what is there: a phrase not heard leaves one pause fewer.
                    if _wait(err_path, "paused at", before.count("paused at") + 1, 8):
                        time.sleep(1.0)
                        pulse.speak(go_wavs[said])
                        if not _wait(err_path, "resumed at", before.count("resumed at") + 1, 8):
                            break  # still paused: no line will come to say the next phrase after
                    said += 1
                    seen = len(err_path.read_text().splitlines())
            finally:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return measure(err_path.read_text(), sink, said, work)


def measure(text: str, sink, said: int, work: Path) -> dict:
    """The figures from the player's stderr and what reached the sink (also for a past run: ``AlsaSink``
    pointed at its directory, with ``log`` read from its log file)."""
    from audioguide.sounds import earcon

    captured = sink.samples()
    spots = [(float(m.group(4)), float(m.group(3))) for m in SPOTTED.finditer(text)]  # (speech end, recognizer's)
    starts = occurrences(captured, np.asarray(earcon("heard")))
    arrivals = [sink.arrival(k) for k in starts]
    responses, stops, stops_recognizer = [], [], []
    for end, recognized_end in spots:  # each phrase acted on has the next earcon after it
        later = [i for i, a in enumerate(arrivals) if a > end]
        if not later:
            continue
        k = starts[later[0]]
        responses.append(arrivals[later[0]] - end)
        # The player stopped what it was playing before the earcon: its last sample reached the
        # speaker then. Before it, nothing was playing (a "carry on" while paused): no stop.
        stopped = sink.arrival(k - 1) if k > 0 else 0.0
        if stopped > end:
            stops.append(stopped - end)
            stops_recognizer.append(stopped - recognized_end)
    cpu = CPU.search(text)
    synthesized = len(list((work / "play-cache").rglob("*.*")))
    return {
        "said": said * 2, "heard": len(spots), "paused": text.count("paused at"), "resumed": text.count("resumed at"),
        "response_median_s": float(np.median(responses)) if responses else None,
        "response_max_s": float(np.max(responses)) if responses else None,
        "responses_s": [round(r, 3) for r in responses],
        "stop_median_s": float(np.median(stops)) if stops else None,
        "stop_max_s": float(np.max(stops)) if stops else None,
        "stops_s": [round(r, 3) for r in stops],
        "stop_from_recognizer_max_s": float(np.max(stops_recognizer)) if stops_recognizer else None,
        "stops_from_recognizer_s": [round(r, 3) for r in stops_recognizer],
        "cpu_share": float(cpu.group(2)) / float(cpu.group(1)) if cpu else None,
        "lines_synthesized_while_listening": synthesized,
        "work": str(work),
    }


def _wait(path: Path, text: str, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.read_text().count(text) >= count:
            return True
        time.sleep(0.02)
    return False


if __name__ == "__main__":
    print(json.dumps(live(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "piper"), indent=1))
