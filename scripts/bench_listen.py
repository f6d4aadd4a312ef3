"""Voice commands benchmark (``scripts/bench --listen``): how well `audioguide play --listen` hears.

Figures, on test audio made by scripts/listen_audio.py (seeded, offline):

* detection: command phrases said by simulated people (Piper's voice
  pitch- and tempo-shifted, espeak-ng voices) in simulated rooms, at random
  onsets within the guide's pauses, with the guide's session around them;
  heard as the right command = detected. Goal >= 95%.
* false triggers per hour of the guide's own narration and chimes heard
  through a room, nobody speaking; with the gate on (the player tells the
  listener when it sounds) and off (the recognizer alone). Goal <= 1 per hour.
* asides: 60 things that are not commands ("ouch", "hang on a second"), said in
  the guide's pauses by the same kind of people and rooms: how many were taken
  as a command; and detection and asides again at a lower sensitivity (``LOW``).
* response: from the end of a phrase to its command, offline (recognizer
  alone), and live to the player's sound stopping at the speaker (the real
  microphone path through PulseAudio while `audioguide play` synthesizes a
  cold session: see bench_live.py).
* CPU of the recognizer per second of audio.

The recognizer is the product's own: the classifier that hears the default
phrases (``neural.NeuralSpotter``, its head trained by scripts/train_voice.py on
the tuning pool only), and keyword spotting (``voice.Spotter``, what phrases of
the user's own get) measured on the same recordings; fed in the microphone's
periods on a simulated clock, the gate the product's ``SoundGate`` fed with the
sounding intervals of the exported session, as the player feeds it.
Tuning (``--tune``, about 30 minutes) runs keyword spotting on the tuning
set with every threshold moved by each of a few offsets and prints, per phrase,
what each heard and how often it false-triggered, and the thresholds it picks;
the report set (different speakers, rooms, seeds and narration variants) then
measures what ships.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import listen_audio as la  # noqa: E402

from audioguide.play.gate import SoundGate, sounding_runs  # noqa: E402
from audioguide.play.inputs import neural, voice  # noqa: E402

RATE = la.RATE
PERIOD = voice.PERIOD
#: Export variants of the default routine whose narration makes the false-trigger hour.
NARRATION = {
    "tune": [[], ["--position", "floor"]],
    "report": [["--pace", "slow"], ["--pace", "fast"], ["--first-foot", "left"], [],
               ["--position", "floor", "--pace", "0.9"]],
}
#: Simulated output latency: the guide is heard this much after the player says it sounds (s).
OUT_LATENCY = (0.02, 0.2)
#: Each trial's microphone starts this long before its pause (s): the recognizer's live
#: cepstral mean needs some seconds of the room to settle (in use it hears the one room
#: from the start; trial after trial it moves from room to room).
LEAD_IN_S = 12.0
#: A user begins a command at the earliest this long after hearing the guide stop (s): a
#: simple reaction time (about 0.2 s for a sound, e.g. Kosinski, "A literature review on
#: reaction time", 2008).
REACTION_S = 0.2


@dataclass
class Session:
    """The guide's exported session at RATE, when it sounds, and its pauses (seconds)."""

    audio: np.ndarray  # float32, full scale 1.0
    runs: list[tuple[float, float]]
    pauses: list[tuple[float, float]]

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


def export_session(work: Path, engine: str, args: list[str], audioguide: str, env: dict) -> Session:
    name = "session" + "".join(a.strip("-").replace(".", "") for a in args)
    out = work / f"{name}.wav"
    if not out.exists():
        subprocess.run([audioguide, "export", "--engine", engine, *args, "-o", str(out)], env=env, check=True,
                       capture_output=True)
    with wave.open(str(out)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    runs = [(a / rate, b / rate) for a, b in sounding_runs(samples, rate)]
    pauses = [(e, s) for (_, e), (s, _) in zip(runs, runs[1:]) if s - e >= 1.5]
    return Session(la.to_rate(samples, rate) / 32768, runs, pauses)


def feed_stream(spotter: voice.Spotter | neural.NeuralSpotter, mic: np.ndarray, t0: float) -> list[voice.Heard]:
    """Feed ``mic`` (int16) in microphone periods starting at time ``t0``; every phrase heard."""
    heard = []
    spotter.gap()
    for i in range(0, len(mic) - PERIOD + 1, PERIOD):
        heard += spotter.feed(mic[i:i + PERIOD], t0 + i / RATE)
    spotter.gap()
    return heard


#: What hears, in the benchmark's workers: ("neural", sensitivity) is the classifier the default
#: phrases ship with; ("kws", {phrase: exponent}) keyword spotting, as phrases of the user's own get.
Hearer = tuple


def gate_for(runs: list[tuple[float, float]]) -> SoundGate:
    """A gate told of the guide's sounding ``runs`` (seconds), as the player tells it."""
    gate = SoundGate(clock=lambda: 0.0)
    for start, end in runs:
        gate.sounding(start, end)
    return gate


# -- detection trials --------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    phrase: str
    speaker: la.Speaker
    room_seed: int
    pause: tuple[float, float]
    onset: float
    duration: float
    out_latency: float


def make_trials(pool: str, n: int, seed: int, session: Session, phrases: list[str]) -> tuple[list[Trial], dict]:
    rng = np.random.default_rng(seed)
    people = la.speakers(pool, n, seed)
    speech: dict[int, np.ndarray] = {}
    trials = []
    usable = [p for p in session.pauses if p[1] - p[0] >= 2.0]
    for i in range(n):
        phrase = phrases[i % len(phrases)]
        audio = la.say(phrase, people[i])
        speech[i] = audio
        duration = len(audio) / RATE
        pause = usable[int(rng.integers(len(usable)))]
        # A random onset anywhere the whole phrase fits inside the pause as the user hears it:
        # from when the guide's sound stops reaching them (the output latency) and they react.
        latency = float(rng.uniform(*OUT_LATENCY))
        onset = float(rng.uniform(pause[0] + latency + REACTION_S, pause[1] - duration))
        trials.append(Trial(phrase, people[i], seed * 1000 + i, pause, onset, duration, latency))
    return trials, speech


def trial_mic(trial: Trial, speech: np.ndarray, session: Session) -> tuple[np.ndarray, float]:
    """The microphone around one trial: (int16 samples, time of the first)."""
    room = la.room(trial.room_seed)
    a = max(0.0, trial.pause[0] - LEAD_IN_S)
    b = min(session.seconds, trial.pause[1] + 1.5)
    lag = int(trial.out_latency * RATE)
    i, j = int(a * RATE), int(b * RATE)
    guide = session.audio[max(0, i - lag - len(room.guide_ir)): j - lag]
    heard = la.reverb(room.guide_ir, guide)[: len(guide)][-(j - i):] * _guide_scale(room, session)
    mic = la.background(room, j - i, i)
    mic[len(mic) - len(heard):] += heard
    user = la.through(room.user_ir, speech, room.user_dbfs)
    k = int((trial.onset - a) * RATE)
    mic[k:k + len(user)] += user[: len(mic) - k]
    return la.to_int16(mic), a


def _guide_scale(room: la.Room, session: Session) -> float:
    """Gain putting the session's loudest moment at the room's guide level (IR energy ~ 1)."""
    return 10 ** (room.guide_dbfs / 20) / max(1e-9, float(np.abs(session.audio).max()))


def judge(trial: Trial, heard: list[voice.Heard], actions: dict[str, str]) -> tuple[str, voice.Heard | None]:
    """'hit', 'wrong' (another command) or 'miss', and the matching Heard."""
    end = trial.onset + trial.duration
    near = [h for h in heard if h.end >= trial.onset - 0.3 and h.start <= end + 0.3]
    for h in near:
        if h.action == actions[trial.phrase]:
            return "hit", h
    return ("wrong", near[0]) if near else ("miss", None)


# -- false triggers on the guide's narration ------------------------------------------------------


def narration_mic(session: Session, room_seed: int, out_latency: float) -> np.ndarray:
    room = la.room(room_seed)
    lag = int(out_latency * RATE)
    guide = np.concatenate([np.zeros(lag, np.float32), session.audio])[: len(session.audio)]
    mic = la.background(room, len(guide)) + la.reverb(room.guide_ir, guide)[: len(guide)] * _guide_scale(room, session)
    return la.to_int16(mic)


def false_triggers(hearer: Hearer, sessions: list[Session], seed: int, by_phrase: bool = False) -> dict:
    """Phrases heard in the narration, per hour: with the gate off (the recognizer alone) and on."""
    rng = np.random.default_rng(seed)
    mics = [narration_mic(session, seed * 100 + k, float(rng.uniform(*OUT_LATENCY))) for k, session in enumerate(sessions)]
    results = spot_all(hearer, [(mic, 0.0, None) for mic in mics] + [(mic, 0.0, s.runs) for mic, s in zip(mics, sessions)])
    off = [(k, h) for k, (heard, _) in enumerate(results[:len(mics)]) for h in heard]
    on = [(k, h) for k, (heard, _) in enumerate(results[len(mics):]) for h in heard]
    seconds = sum(s.seconds for s in sessions)
    hours = seconds / 3600
    return {"hours": hours, "gate_off": len(off) / hours, "gate_on": len(on) / hours,
            "cpu_per_audio_s": sum(cpu for _, cpu in results[:len(mics)]) / seconds,
            "off_examples": [f"session {k} at {h.start:.1f} s: {h.phrase!r}" for k, h in off[:12]],
            "on_examples": [f"session {k} at {h.start:.1f} s: {h.phrase!r}" for k, h in on[:12]],
            **({"off_by_phrase": Counter(h.phrase for _, h in off), "on_by_phrase": Counter(h.phrase for _, h in on)}
               if by_phrase else {})}


def detection(hearer: Hearer, trials: list[Trial], speech: dict, session: Session,
              by_phrase: bool = False) -> dict:
    """Each trial's microphone through the spotter, the gate told of the guide's sound as the player
    tells it: hit (the right command), wrong (another) or miss; response times of the hits."""
    actions = voice.DEFAULT_PHRASES
    results = {"hit": 0, "wrong": 0, "miss": 0}
    by_engine: dict[str, list[int]] = {}
    latencies, failures, extra, hits = [], [], 0, []
    heards = spot_all(hearer, [(*trial_mic(trial, speech[i], session), session.runs)
                               for i, trial in enumerate(trials)])
    for trial, (heard, _) in zip(trials, heards):
        verdict, h = judge(trial, heard, actions)
        results[verdict] += 1
        hits.append(verdict == "hit")
        by_engine.setdefault(trial.speaker.engine, []).append(verdict == "hit")
        extra += sum(1 for x in heard if x is not h)
        if h is not None and verdict == "hit":
            latencies.append(h.at - (trial.onset + trial.duration))
        else:
            failures.append(f"{trial.phrase!r} by {trial.speaker.label()} at {trial.onset - trial.pause[0]:.2f} s "
                            f"into a {trial.pause[1] - trial.pause[0]:.1f} s pause: {verdict}"
                            + (f" ({h.phrase!r})" if h is not None else ""))
    n = len(trials)
    return {"trials": n, "detected": results["hit"] / n, **{k: v for k, v in results.items()},
            "by_engine": {e: f"{sum(v)}/{len(v)}" for e, v in by_engine.items()},
            "other_triggers_in_trials": extra,
            "response_median_s": float(np.median(latencies)) if latencies else None,
            "response_p95_s": float(np.percentile(latencies, 95)) if latencies else None,
            "failures": failures,
            **({"by_phrase": Counter(t.phrase for t, ok in zip(trials, hits) if ok)} if by_phrase else {})}


# -- the spotter on many recordings, in parallel ------------------------------------------------------

_spotter: voice.Spotter | neural.NeuralSpotter | None = None  # each worker's own


def _start_worker(hearer: Hearer) -> None:
    global _spotter
    kind, setting = hearer
    _spotter = (neural.NeuralSpotter(voice.DEFAULT_PHRASES, setting) if kind == "neural"
                else voice.Spotter(exponents=setting))


def _spot(job: tuple[np.ndarray, float, list[tuple[float, float]] | None]) -> tuple[list[voice.Heard], float]:
    mic, t0, runs = job
    _spotter.gate = None if runs is None else gate_for(runs)
    c0 = time.process_time()
    heard = feed_stream(_spotter, mic, t0)
    return heard, time.process_time() - c0


def spot_all(hearer: Hearer, jobs: list) -> list[tuple[list[voice.Heard], float]]:
    """Each job ``(int16 microphone, time of its first sample, the guide's sounding runs or None for
    no gate)`` through the spotter ``hearer`` names: (phrases heard, CPU seconds), in order. One
    worker process per core, each with its own spotter, which hears its jobs one after another
    (as a player's spotter hears one session)."""
    from multiprocessing import get_context

    with get_context("fork").Pool(os.cpu_count() or 1, initializer=_start_worker, initargs=(hearer,)) as pool:
        return pool.map(_spot, jobs, chunksize=1)


def build(work: Path, pool: str, engine: str, audioguide: str, env: dict, n_trials: int, seed: int,
          phrases: list[str] | None = None):
    sessions = [export_session(work, engine, args, audioguide, env) for args in NARRATION[pool]]
    phrases = phrases or list(voice.DEFAULT_PHRASES)
    trials, speech = make_trials(pool, n_trials, seed, sessions[0], phrases)
    return sessions, trials, speech


#: A lower sensitivity the figures are also measured at: what turning it down trades.
LOW = 0.3
#: Things a user might say in the guide's pauses that are not commands (``asides``).
ASIDES = ["oh that feels good", "ouch", "that hurts a bit", "where was I", "hang on a second", "okay",
          "that's better", "my foot is sore", "this is nice", "hello", "go on then", "what was that",
          "not so hard", "I need some water", "is it time yet", "all right", "my back aches", "good",
          "that was quick", "thank you"]


def asides(hearer: Hearer, session: Session, n: int, seed: int) -> dict:
    """``n`` things that are not commands (``ASIDES``), said in the guide's pauses by the report
    set's kind of people and rooms: how many were taken as a command."""
    trials, speech = make_trials("report", n, seed, session, ASIDES)
    heards = spot_all(hearer, [(*trial_mic(trial, speech[i], session), session.runs)
                               for i, trial in enumerate(trials)])
    taken = [(t, h) for t, (heard, _) in zip(trials, heards) for h in heard
             if h.end >= t.onset - 0.3 and h.start <= t.onset + t.duration + 0.3]
    return {"said": n, "taken": len({id(t) for t, _ in taken}),
            "examples": [f"{t.phrase!r} by {t.speaker.label()}: {h.phrase!r}" for t, h in taken[:12]]}


def report(work: Path, engine: str, audioguide: str, env: dict, n_trials: int = 150) -> dict:
    """The report set with what ships: the classifier (the default phrases) at the default
    sensitivity and at ``LOW``: detection, asides taken as commands, false triggers (gate on and
    off), CPU; and keyword spotting (what phrases of the user's own get) on the same recordings."""
    sessions, trials, speech = build(work, "report", engine, audioguide, env, n_trials, seed=2)
    shipped, low = ("neural", voice.DEFAULT_SENSITIVITY), ("neural", LOW)
    kws = ("kws", voice.Spotter().exponents)
    return {"detection": detection(shipped, trials, speech, sessions[0]),
            "asides": asides(shipped, sessions[0], 60, seed=7),
            "detection_low": detection(low, trials, speech, sessions[0]),
            "asides_low": asides(low, sessions[0], 60, seed=7),
            "false_triggers": false_triggers(shipped, sessions, seed=5),
            "kws_detection": detection(kws, trials, speech, sessions[0]),
            "kws_asides": asides(kws, sessions[0], 60, seed=7),
            "kws_false_triggers": false_triggers(kws, sessions, seed=5)}


def main(argv: list[str]) -> None:
    """``scripts/bench --listen [--tune] [--trials N] [--no-live]``: print the figures and the goals."""
    import argparse

    parser = argparse.ArgumentParser(prog="scripts/bench --listen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="piper", help="the guide's voice (the narration heard): piper")
    parser.add_argument("--trials", type=int, default=150, help="commands in the report set (default 150)")
    parser.add_argument("--tune", action="store_true", help="run the tuning set and print the thresholds it picks")
    parser.add_argument("--no-live", dest="live", action="store_false", help="skip the live figures")
    opts = parser.parse_args(argv)
    audioguide = str(Path(sys.executable).parent / "audioguide")
    work = Path(tempfile.mkdtemp(prefix="audioguide-bench-listen-"))
    env = {**os.environ, "AUDIOGUIDE_CACHE_DIR": str(work / "cache")}
    print(f"voice commands benchmark, work dir {work}", file=sys.stderr)
    if opts.tune:
        tuned = tune(work, opts.engine, audioguide, env, n_trials=max(opts.trials, 180))
        print("phrase           exponent: share heard / false triggers per hour without / with the gate")
        for phrase, rows in tuned["table"].items():
            print(f"{phrase:16s}", " ".join(f"{r['exp']:.0f}: {r['detect']:.2f}/{r['fa_off_per_h']:.0f}/"
                                            f"{r['fa_on_per_h']:.0f}" for r in rows))
        print("picked (-log10 threshold at sensitivity 0.5):", json.dumps(tuned["chosen"]))
        print("formula for other phrases:", json.dumps(tuned["formula"]))
        return
    figures = report(work, opts.engine, audioguide, env, opts.trials)
    det, fa = figures["detection"], figures["false_triggers"]
    print(f"\ndetection: {det['hit']}/{det['trials']} = {det['detected']:.1%} "
          f"(by voice: {det['by_engine']}; another command instead: {det['wrong']}; missed: {det['miss']})")
    for failure in det["failures"]:
        print(f"  not heard: {failure}")
    low = figures["detection_low"]
    print(f"at sensitivity {LOW}: {low['hit']}/{low['trials']} = {low['detected']:.1%} (by voice: {low['by_engine']})")
    for key, name in (("asides", f"sensitivity {voice.DEFAULT_SENSITIVITY}"), ("asides_low", f"sensitivity {LOW}")):
        a = figures[key]
        print(f"things said in the pauses that are not commands, taken as one ({name}): {a['taken']} of {a['said']}")
        for example in a["examples"]:
            print(f"  taken: {example}")
    print(f"false triggers over {fa['hours']:.2f} h of the guide's narration and chimes, nobody speaking: "
          f"{fa['gate_on']:.1f}/h with the gate, {fa['gate_off']:.1f}/h without it")
    for example in fa["on_examples"]:
        print(f"  with the gate: {example}")
    for example in fa["off_examples"]:
        print(f"  without the gate: {example}")
    kd, ka, kf = figures["kws_detection"], figures["kws_asides"], figures["kws_false_triggers"]
    print(f"keyword spotting (phrases of the user's own; the same recordings): {kd['hit']}/{kd['trials']} = "
          f"{kd['detected']:.1%} (by voice: {kd['by_engine']}); asides taken: {ka['taken']} of {ka['said']}; "
          f"false triggers {kf['gate_on']:.1f}/h with the gate, {kf['gate_off']:.1f}/h without; "
          f"CPU {kf['cpu_per_audio_s']:.1%} of a core")
    print(f"response, recognizer alone: median {det['response_median_s']:.3f} s, 95th percentile "
          f"{det['response_p95_s']:.3f} s after the phrase ends")
    print(f"recognizer CPU: {fa['cpu_per_audio_s']:.1%} of a core per second of audio")
    goals = [("commands heard in the guide's pauses", det["detected"] * 100, 95, ">=", "%"),
             ("false triggers per hour (gate on)", fa["gate_on"], 1, "<=", "/h"),
             ("false triggers per hour (gate off: the recognizer alone)", fa["gate_off"], 1, "<=", "/h")]
    missed_live = 0
    if opts.live:
        from bench_live import live

        heard = live(audioguide, opts.engine)
        if "skipped" in heard:
            print(f"live figures skipped: {heard['skipped']}")
        elif heard["stop_max_s"] is None or heard["cpu_share"] is None:
            print(f"live figures not measured (no earcon after a phrase, or no CPU line): see {heard['work']}")
            missed_live = 1
        else:
            print(f"live, cold play (piper synthesizing {heard['lines_synthesized_while_listening']} lines): "
                  f"{heard['heard']} of {heard['said']} phrases heard; phrase end to the sound stopping at the "
                  f"speaker: median {heard['stop_median_s']:.3f} s, max {heard['stop_max_s']:.3f} s; to the earcon: "
                  f"median {heard['response_median_s']:.3f} s, max {heard['response_max_s']:.3f} s; "
                  f"from the recognizer's end of the phrase to the sound stopping, max "
                  f"{heard['stop_from_recognizer_max_s']:.3f} s; listening CPU {heard['cpu_share']:.1%} of a core")
            goals += [("response: phrase end to the sound stopping (max, live)", heard["stop_max_s"], 0.7, "<=", " s"),
                      ("CPU while listening (live)", heard["cpu_share"] * 100, 10, "<=", "%")]
            figures["live"] = heard
    print()
    missed = missed_live
    for text, value, goal, op, unit in goals:
        ok = value >= goal if op == ">=" else value <= goal
        missed += not ok
        print(f"{'ok  ' if ok else 'MISS'} {text}: {value:.2f}{unit} (goal {op} {goal}{unit})")
    print(json.dumps({"figures": {k: {kk: vv for kk, vv in v.items() if kk not in ("failures",)}
                                  for k, v in figures.items()}, "goals_missed": missed}), file=sys.stderr)


# -- tuning ----------------------------------------------------------------------------------------


def tune(work: Path, engine: str, audioguide: str, env: dict, n_trials: int = 180,
         offsets: tuple[float, ...] = (-8, -4, 0, 4, 8, 12), target: float = 0.95) -> dict:
    """The product's spotter on the tuning set with every phrase's threshold exponent moved by
    each of ``offsets`` from the one it ships with: per phrase, the share of its commands heard
    and the false triggers per hour with the gate off and on. Then each phrase's pick: the
    smallest exponent (fewest false triggers) that hears ``target`` of its commands, else the
    one that hears the most. One spotter per offset (not one decoder with every threshold in
    it: pocketsphinx restarts all of a search's phrases when one is spotted, which would make
    the thresholds interfere)."""
    phrases = list(voice.DEFAULT_PHRASES)
    sessions, trials, speech = build(work, "tune", engine, audioguide, env, n_trials, seed=1, phrases=phrases)
    shipped = voice.Spotter().exponents
    hours = sum(s.seconds for s in sessions) / 3600
    counts = {p: sum(t.phrase == p for t in trials) for p in phrases}
    table: dict[str, list[dict]] = {p: [] for p in phrases}
    for offset in offsets:
        exponents = {p: e + offset for p, e in shipped.items()}
        det = detection(("kws", exponents), trials, speech, sessions[0], by_phrase=True)
        fa = false_triggers(("kws", exponents), sessions, seed=9, by_phrase=True)
        for p in phrases:
            table[p].append({"exp": shipped[p] + offset, "detect": det["by_phrase"].get(p, 0) / max(1, counts[p]),
                             "fa_off_per_h": fa["off_by_phrase"].get(p, 0) / hours,
                             "fa_on_per_h": fa["on_by_phrase"].get(p, 0) / hours})
    chosen = {}
    for p, rows in table.items():
        good = [r for r in rows if r["detect"] >= target]
        chosen[p] = (good[0] if good else max(rows, key=lambda r: (r["detect"], -r["exp"])))["exp"]
    n = np.array([len(voice.check_phrases({p: "pause"})[p]) for p in phrases], float)
    e = np.array([chosen[p] for p in phrases], float)
    per_phone, base = np.polyfit(n, e, 1)
    return {"hours": hours, "trials": counts, "table": table, "chosen": chosen,
            "formula": {"base": float(base), "per_phone": float(per_phone)}}


if __name__ == "__main__":
    main(sys.argv[1:])
