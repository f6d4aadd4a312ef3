"""audioguide benchmark: speed and memory of exports and live play (run it with scripts/bench).

Each figure runs as its own process so that time includes start-up and peak
memory (max RSS, from wait4) belongs to that run alone. Goals are checked and
reported, never asserted in the test suite (a busy machine must not fail CI).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
AUDIOGUIDE = str(Path(PY).parent / "audioguide")
#: The long session: a loop of two short lines, about 36 s a round (300 rounds: 3 hours).
LONG = ROOT / "scripts" / "long-breathing.yaml"
#: Session lengths compared for memory and time: (label, routine and settings).
LENGTHS = (("13min", []), ("1h", [str(LONG), "--set", "rounds=100"]), ("3h", [str(LONG)]))


#: CPU seconds (user + system) of the last ``run``, its own and its encoder's:
#: on a busy machine a steadier measure of work than wall time.
last_cpu_s = 0.0


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; raises if it fails."""
    global last_cpu_s
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {' '.join(args)} failed:\n{err}")
    last_cpu_s = usage.ru_utime + usage.ru_stime  # includes the children it waited for (ffmpeg)
    return elapsed, usage.ru_maxrss / 1024


RAW_SYNTH = """
import json, sys, time
from audioguide import engines
from audioguide.compiler import compile_script, speech_texts
from audioguide.routine import load_routine
from audioguide.settings import defaults
from audioguide.synth import Synthesizer
routine = load_routine()
texts = speech_texts(compile_script(routine, defaults(routine)))  # with the counts' shorter forms
# The engine through the synthesizer with no cache: each line said as export says
# it (normalized, phrase by phrase), nothing stored, nothing prepared or mixed.
synth = Synthesizer(engines.get(engines.resolve(sys.argv[1])), pronunciations=routine.pronunciations)
synth.speak("Warm up.")  # load the voice first
start, cpu = time.perf_counter(), time.process_time()
audio_s = 0.0
for text in texts:
    speech = synth.speak(text)
    audio_s += len(speech.samples) / speech.sample_rate
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
                  "audio_s": audio_s, "lines": len(texts)}))
"""

ENCODE = """
import json, resource, sys, time, wave
import numpy as np
from pydub import AudioSegment
from audioguide.exporter import MP3_ENCODER_ARGS
with wave.open(sys.argv[1]) as w:
    seg = AudioSegment(data=w.readframes(w.getnframes()), sample_width=2, frame_rate=w.getframerate(), channels=1)
start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
seg.export(sys.argv[2], format="mp3", codec="libmp3lame", bitrate="64k",
           parameters=["-v", "error", *MP3_ENCODER_ARGS]).close()  # the encoder and settings export runs
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_s": cpu}))
"""


def first_audio(env: dict[str, str], cache: Path, engine: str, work: Path) -> float:
    """Seconds from starting `audioguide play` until its first non-silent sample reaches the sound card.

    The card is tests/alsa_sink.py: ALSA's default device captured through a
    FIFO by a pacer that plays it in real time and timestamps the first chunk
    holding a non-zero sample (on the same monotonic clock). The player is then
    interrupted; only the start is measured.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from alsa_sink import AlsaSink

    with AlsaSink(work, paced=True) as sink:
        child_env = {**env, **sink.env, "AUDIOGUIDE_CACHE_DIR": str(cache)}
        start = time.monotonic()
        proc = subprocess.Popen([AUDIOGUIDE, "play", "--engine", engine], env=child_env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = start + 60
        while not sink.samples().any():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"bench: audioguide play made no sound:\n{proc.stderr.read().decode()}")
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    return sink.log["first_sound"] - start


def long_sessions(env: dict[str, str], work: Path, engine: str) -> dict[str, float]:
    """Time and peak RSS of cold MP3 exports of 13 minutes (the default session), 1 hour and 3 hours.

    Each starts from an empty cache, so the engine is loaded and used in every
    run; the long sessions repeat two lines, so their synthesis is seconds.
    """
    figures = {}
    for label, args in LENGTHS:
        child_env = {**env, "AUDIOGUIDE_CACHE_DIR": str(work / f"cache-{engine}-{label}")}
        out = work / f"{engine}-{label}.mp3"
        seconds, peak = run([AUDIOGUIDE, "export", *args, "--engine", engine, "-o", str(out)], child_env)
        figures[f"{engine}_{label}_s"], figures[f"{engine}_{label}_peak_mb"] = seconds, peak
    return figures


def installed_engines() -> list[str]:
    out = subprocess.run([AUDIOGUIDE, "voices"], capture_output=True, text=True)
    installed = {line.split()[0].rstrip(":") for line in out.stdout.splitlines() if line.strip().endswith(": installed")}
    return [e for e in ("piper", "pyttsx3") if e in installed]
def instruction_wpm(doc: dict) -> float:
    """Words per minute of the instruction lines of a script JSON (spoken words over cue lengths)."""
    from audioguide.spoken import words_per_minute

    return words_per_minute((c["spoken"], c["duration_ms"]) for c in doc["cues"]
                            if c["type"] == "say" and c["role"] == "instruction")


LOUDNESS = """
import json, sys, wave
import numpy as np
from audioguide.loudness import measure
with wave.open(sys.argv[1]) as w:
    samples = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    lufs, peak = measure(samples, w.getframerate())
print(json.dumps({"lufs": lufs, "true_peak_dbtp": peak}))
"""


def child_json(code: str, args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([PY, "-c", code, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: helper failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--listen" in sys.argv[1:]:  # the voice commands benchmark: its own options (scripts/bench_listen.py)
        sys.path.insert(0, str(ROOT / "scripts"))
        import bench_listen

        return bench_listen.main(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="auto", help="auto (piper when installed), piper or pyttsx3")
    parser.add_argument("--long-engines", default="all",
                        help="engines for the 13 min / 1 h / 3 h exports: all (every installed one), none, or a list")
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="audioguide-bench-"))
    # Measure what users get: Python writes bytecode (some shells here set
    # PYTHONDONTWRITEBYTECODE, which recompiles every module at every start),
    # and audioguide's own modules are compiled once up front, as pip does for
    # the installed packages.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["AUDIOGUIDE_CACHE_DIR"] = str(work / "cache")
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "audioguide")], check=True, env=env)
    export = [AUDIOGUIDE, "export", "--engine", opts.engine]
    figures: dict[str, float] = {}

    print(f"audioguide benchmark, engine {opts.engine}, work dir {work}", file=sys.stderr)
    raw = child_json(RAW_SYNTH, [opts.engine], {**env, "AUDIOGUIDE_CACHE_DIR": str(work / "unused")})
    figures["raw_synthesis_s"] = raw["seconds"]
    figures["raw_synthesis_cpu_s"] = raw["cpu_s"]
    figures["rtf"] = raw["seconds"] / raw["audio_s"]

    figures["cold_export_s"], figures["cold_export_peak_mb"] = run(export + ["-o", str(work / "cold.mp3")], env)
    figures["cold_export_cpu_s"] = last_cpu_s
    figures["warm_regenerate_s"], figures["warm_peak_mb"] = run(
        export + ["--set", "gap=4", "-o", str(work / "warm.mp3")], env)  # a timing that changes no words
    run(export + ["-o", str(work / "session.wav")], env)
    encode = child_json(ENCODE, [str(work / "session.wav"), str(work / "encode.mp3")], env)
    figures["one_mp3_encode_s"], figures["one_mp3_encode_cpu_s"] = encode["seconds"], encode["cpu_s"]
    figures["default_export_warm_s"], _ = run(export + ["-o", str(work / "default.mp3")], env)
    # A bed change re-mixes and re-encodes only: the speech cache is untouched (issue 16).
    figures["bed_change_regenerate_s"], _ = run(export + ["--bed", "pad", "-o", str(work / "bed-pad.mp3")], env)
    run(export + ["--bed", "brown", "-o", str(work / "bed-brown.wav")], env)
    for label, wav in (("no_bed", "session.wav"), ("brown_bed", "bed-brown.wav")):
        level = child_json(LOUDNESS, [str(work / wav)], env)
        figures[f"lufs_{label}"], figures[f"true_peak_{label}_dbtp"] = level["lufs"], level["true_peak_dbtp"]
    figures["length60_export_s"], figures["length60_peak_mb"] = run(
        export + ["--length", "60", "-o", str(work / "sixty.mp3")], env)
    long_engines = (installed_engines() if opts.long_engines == "all"
                    else [] if opts.long_engines == "none" else opts.long_engines.split(","))
    long_goals = []
    for engine in long_engines:
        figures.update(long_sessions(env, work, engine))
        long_goals += [
            (f"{engine}: 3 h export's peak memory above the 13 min one's",
             figures[f"{engine}_3h_peak_mb"] - figures[f"{engine}_13min_peak_mb"], 50, "<=", " MB"),
            (f"{engine}: 3 h export's time against the 1 h one's",
             figures[f"{engine}_3h_s"] / figures[f"{engine}_1h_s"], 3.3, "<=", "x"),
        ]
    # Speaking rate: words of each instruction line over its length in the export's JSON timeline.
    for pace in ("slow", "normal", "fast"):
        out = work / f"pace-{pace}.wav"
        run(export + ["--pace", pace, "-o", str(out)], env)
        figures[f"wpm_{pace}"] = instruction_wpm(json.loads(out.with_suffix(".json").read_text()))
    play_goals = []
    if Path("/usr/share/alsa/alsa.conf").exists():
        # Median of three: a start-up time is noisy. Cold: an empty speech cache
        # each time (engine load + first line); warm: the cache the exports filled.
        figures["play_first_audio_cold_s"] = statistics.median(
            first_audio(env, work / f"cache-play-{i}", opts.engine, work / f"sink-cold-{i}") for i in range(3))
        figures["play_first_audio_warm_s"] = statistics.median(
            first_audio(env, work / "cache", opts.engine, work / f"sink-warm-{i}") for i in range(3))
        play_goals = [
            ("play: first audio with an empty cache", figures["play_first_audio_cold_s"], 1.5, "<=", " s"),
            ("play: first audio with a warm cache", figures["play_first_audio_warm_s"], 0.5, "<=", " s"),
        ]
    else:
        print("bench: no ALSA configuration here: time to first audio not measured", file=sys.stderr)

    cold_budget = figures["raw_synthesis_s"] + figures["one_mp3_encode_s"]
    goals = [
        ("cold export within 1.1x of (raw synthesis + one encode)",
         figures["cold_export_s"] / cold_budget, 1.1, "<=", "x"),
        ("warm regenerate at least 5x faster than cold",
         figures["cold_export_s"] / figures["warm_regenerate_s"], 5, ">=", "x"),
        ("a bed change within 2x of a warm export without a bed",
         figures["bed_change_regenerate_s"] / figures["default_export_warm_s"], 2, "<=", "x"),
        ("loudness with the default bed within 1 LU of -19 LUFS", abs(figures["lufs_brown_bed"] + 19), 1, "<=", " LU"),
        ("--length 60 export within 7x of the default export",
         figures["length60_export_s"] / figures["default_export_warm_s"], 7, "<=", "x"),
        *long_goals,
        ("instructions at normal pace: at least 130 words per minute", figures["wpm_normal"], 130, ">=", " wpm"),
        ("instructions at normal pace: at most 160 words per minute", figures["wpm_normal"], 160, "<=", " wpm"),
        *play_goals,
    ]
    print(f"\n{'figure':<28}{'value':>10}")
    for name, value in figures.items():
        print(f"{name:<28}{value:>10.3f}")
    print()
    failed = 0
    for text, ratio, goal, op, unit in goals:
        ok = ratio <= goal if op == "<=" else ratio >= goal
        failed += not ok
        print(f"{'ok  ' if ok else 'MISS'} {text}: {ratio:.2f}{unit} (goal {op} {goal}{unit})")
    cpu_budget = figures["raw_synthesis_cpu_s"] + figures["one_mp3_encode_cpu_s"]
    print(f"info cold export's CPU time over (raw synthesis + one encode)'s: "
          f"{figures['cold_export_cpu_s'] / cpu_budget:.2f}x (the work beyond them, steadier than wall time"
          " on a busy machine)")
    print(json.dumps({"figures": figures, "goals_missed": failed}), file=sys.stderr)


if __name__ == "__main__":
    main()
