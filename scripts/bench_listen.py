"""Voice commands benchmark (``scripts/bench --listen``): how well `audioguide play --listen` hears.

Figures, on test audio made by scripts/listen_audio.py (seeded, offline):

* detection: command phrases said by simulated people (Piper's voice
  pitch- and tempo-shifted, espeak-ng voices) in simulated rooms, at random
  onsets within the guide's pauses, with the guide's session around them;
  heard as the right command = detected. Goal >= 95%.
* false triggers per hour of the guide's own narration and chimes heard
  through a room, nobody speaking; with the gate on (the player tells the
  listener when it sounds) and off (the recognizer alone). Goal <= 1 per hour.
* response: from the end of a phrase to its command, offline (recognizer
  alone) and live (``--live``: the real microphone path through PulseAudio
  while `audioguide play` synthesizes a cold session: see bench_live.py).
* CPU of the recognizer per second of audio.

The recognizer is the product's own ``Spotter`` fed in the microphone's
periods on a simulated clock, and the gate the product's ``SoundGate`` fed
with the sounding intervals of the exported session, as the player feeds it.
Tuning (``--tune``) runs the tuning set at several thresholds in one pass and
prints the threshold formula's constants it picks; the report set (different
speakers, rooms, seeds and narration variants) then measures the constants
that ship.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import listen_audio as la  # noqa: E402

from audioguide.play.gate import SoundGate, sounding_runs  # noqa: E402
from audioguide.play.inputs import voice  # noqa: E402

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


def feed_stream(spotter: voice.Spotter, mic: np.ndarray, t0: float) -> list[voice.Heard]:
    """Feed ``mic`` (int16) in microphone periods starting at time ``t0``; every phrase heard."""
    heard = []
    spotter.gap()
    for i in range(0, len(mic) - PERIOD + 1, PERIOD):
        heard += spotter.feed(mic[i:i + PERIOD], t0 + i / RATE)
    spotter.gap()
    return heard


def gate_for(session: Session, tail: float | None = None) -> SoundGate:
    gate = SoundGate(clock=lambda: 0.0, **({} if tail is None else {"tail_s": tail}))
    for start, end in session.runs:
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
        # A random onset anywhere the whole phrase fits inside the pause.
        onset = float(rng.uniform(pause[0], pause[1] - duration))
        trials.append(Trial(phrase, people[i], seed * 1000 + i, pause, onset, duration,
                            float(rng.uniform(*OUT_LATENCY))))
    return trials, speech


def trial_mic(trial: Trial, speech: np.ndarray, session: Session) -> tuple[np.ndarray, float]:
    """The microphone around one trial: (int16 samples, time of the first)."""
    room = la.room(trial.room_seed)
    a = max(0.0, trial.pause[0] - 4.0)
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


def false_triggers(spotter: voice.Spotter, sessions: list[Session], seed: int, tail: float | None = None) -> dict:
    """Phrases heard in the narration: per hour with the gate off and on."""
    rng = np.random.default_rng(seed)
    off, on, seconds, cpu = [], [], 0.0, 0.0
    for k, session in enumerate(sessions):
        mic = narration_mic(session, seed * 100 + k, float(rng.uniform(*OUT_LATENCY)))
        c0 = time.process_time()
        heard = feed_stream(spotter, mic, 0.0)
        cpu += time.process_time() - c0
        gate = gate_for(session, tail)
        off += [(k, h) for h in heard]
        on += [(k, h) for h in heard if gate.allows(h.start, h.end)]
        seconds += session.seconds
    hours = seconds / 3600
    return {"hours": hours, "gate_off": len(off) / hours, "gate_on": len(on) / hours,
            "cpu_per_audio_s": cpu / seconds,
            "off_examples": [f"session {k} at {h.start:.1f} s: {h.phrase!r}" for k, h in off[:12]],
            "on_examples": [f"session {k} at {h.start:.1f} s: {h.phrase!r}" for k, h in on[:12]]}


def detection(spotter: voice.Spotter, trials: list[Trial], speech: dict, session: Session,
              tail: float | None = None) -> dict:
    gate = gate_for(session, tail)
    actions = spotter.phrases
    results = {"hit": 0, "wrong": 0, "miss": 0}
    by_engine: dict[str, list[int]] = {}
    latencies, failures, extra = [], [], 0
    for i, trial in enumerate(trials):
        mic, t0 = trial_mic(trial, speech[i], session)
        heard = [h for h in feed_stream(spotter, mic, t0) if gate.allows(h.start, h.end)]
        verdict, h = judge(trial, heard, actions)
        results[verdict] += 1
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
            "failures": failures}


def build(work: Path, pool: str, engine: str, audioguide: str, env: dict, n_trials: int, seed: int,
          phrases: list[str] | None = None):
    sessions = [export_session(work, engine, args, audioguide, env) for args in NARRATION[pool]]
    phrases = phrases or list(voice.DEFAULT_PHRASES)
    trials, speech = make_trials(pool, n_trials, seed, sessions[0], phrases)
    return sessions, trials, speech


def report(work: Path, engine: str, audioguide: str, env: dict, n_trials: int = 150) -> dict:
    """The report set with the shipped thresholds: detection, false triggers (gate on and off), CPU."""
    sessions, trials, speech = build(work, "report", engine, audioguide, env, n_trials, seed=2)
    spotter = voice.Spotter()
    return {"detection": detection(spotter, trials, speech, sessions[0]),
            "false_triggers": false_triggers(spotter, sessions, seed=5)}


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
    print(f"false triggers over {fa['hours']:.2f} h of the guide's narration and chimes, nobody speaking: "
          f"{fa['gate_on']:.1f}/h with the gate, {fa['gate_off']:.1f}/h without it")
    for example in fa["off_examples"]:
        print(f"  without the gate: {example}")
    print(f"response, recognizer alone: median {det['response_median_s']:.3f} s, 95th percentile "
          f"{det['response_p95_s']:.3f} s after the phrase ends")
    print(f"recognizer CPU: {fa['cpu_per_audio_s']:.1%} of a core per second of audio")
    goals = [("commands heard in the guide's pauses", det["detected"] * 100, 95, ">=", "%"),
             ("false triggers per hour (gate on)", fa["gate_on"], 1, "<=", "/h")]
    missed_live = 0
    if opts.live:
        from bench_live import live

        heard = live(audioguide, opts.engine)
        if "skipped" in heard:
            print(f"live figures skipped: {heard['skipped']}")
        elif heard["response_max_s"] is None or heard["cpu_share"] is None:
            print(f"live figures not measured (no earcon after a phrase, or no CPU line): see {heard['work']}")
            missed_live = 1
        else:
            print(f"live, cold play (piper synthesizing {heard['lines_synthesized_while_listening']} lines): "
                  f"{heard['heard']} of {heard['said']} phrases heard; response "
                  f"median {heard['response_median_s']:.3f} s, max {heard['response_max_s']:.3f} s "
                  f"(phrase end to the earcon at the speaker); listening CPU {heard['cpu_share']:.1%} of a core")
            goals += [("response: phrase end to the earcon (max, live)", heard["response_max_s"], 0.7, "<=", " s"),
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


class LevelSpotter:
    """Every phrase at several thresholds in one decoder: each level's phrase is spelled with
    its own copies of the words (same phones), so a detection names its level. Nothing is
    reset after a detection (each level must see the whole stream); a level's repeated
    detection of one phrase within a second counts once. The product's loudness check
    (``voice.MIN_LEVEL_DB``) applies to every detection."""

    def __init__(self, exponents: dict[str, list[float]]) -> None:
        import tempfile

        from pocketsphinx import Decoder

        hmm, dictionary = voice.model_paths()
        known = voice.pronunciations({w for p in exponents for w in p.split()}, dictionary)
        self.levels = exponents
        leveled = {f"{p}#{k}": e for p, exps in exponents.items() for k, e in enumerate(exps)}
        words, keyphrases, spelled = voice.keyphrase_files(leveled, known, tag=lambda p: f"{p.split('#')[1]}_")
        self.spelled = {text: (p.split("#")[0], int(p.split("#")[1])) for text, p in spelled.items()}
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "d").write_text(words)
            Path(tmp, "k").write_text(keyphrases)
            self.decoder = Decoder(hmm=hmm, dict=str(Path(tmp, "d")), kws=str(Path(tmp, "k")), samprate=RATE,
                                   cmn="live", loglevel="FATAL")

    def run(self, mic: np.ndarray, t0: float) -> list[tuple[str, int, float, float]]:
        """(phrase, level, start, end) of every detection in ``mic`` loud enough to count."""
        d = self.decoder
        loudness = voice.Loudness(keep_s=len(mic) / RATE + 10)
        d.start_utt()
        for i in range(0, len(mic) - PERIOD + 1, PERIOD):
            loudness.add(mic[i:i + PERIOD], t0 + i / RATE)
            d.process_raw(mic[i:i + PERIOD].tobytes(), False, False)
        d.end_utt()
        found: dict[tuple[str, int, int], tuple[str, int, float, float]] = {}
        for seg in d.seg() or []:
            if seg.word.strip() not in self.spelled:
                continue
            phrase, level = self.spelled[seg.word.strip()]
            start, end = t0 + seg.start_frame / 100, t0 + (seg.end_frame + 1) / 100
            inside = loudness.between(start, end)
            if not inside.size or np.percentile(inside, 90) - loudness.floor(start) < voice.MIN_LEVEL_DB:
                continue
            found.setdefault((phrase, level, int(end)), (phrase, level, start, end))
        return list(found.values())


def tune(work: Path, engine: str, audioguide: str, env: dict, n_trials: int = 180,
         grid: tuple[float, ...] = tuple(range(10, 71, 4)), phrases: list[str] | None = None,
         target: float = 0.97) -> dict:
    """Per phrase and threshold exponent on the tuning set: detection, false triggers per hour
    with the gate off and on; then the exponent each phrase ships with (the smallest that
    detects ``target`` of its trials) and the formula's constants fitted to them."""
    phrases = phrases or list(voice.DEFAULT_PHRASES)
    sessions, trials, speech = build(work, "tune", engine, audioguide, env, n_trials, seed=1, phrases=phrases)
    spotter = LevelSpotter({p: list(grid) for p in phrases})
    hits = {p: np.zeros(len(grid)) for p in phrases}
    ungated = {p: np.zeros(len(grid)) for p in phrases}
    counts = {p: 0 for p in phrases}
    gate = gate_for(sessions[0])
    for i, trial in enumerate(trials):
        mic, t0 = trial_mic(trial, speech[i], sessions[0])
        counts[trial.phrase] += 1
        end = trial.onset + trial.duration
        near = [(level, gate.allows(start, stop)) for phrase, level, start, stop in spotter.run(mic, t0)
                if phrase == trial.phrase and stop >= trial.onset - 0.3 and start <= end + 0.3]
        for level in {level for level, quiet in near if quiet}:
            hits[trial.phrase][level] += 1
        for level in {level for level, _ in near}:
            ungated[trial.phrase][level] += 1
    fa_off = {p: np.zeros(len(grid)) for p in phrases}
    fa_on = {p: np.zeros(len(grid)) for p in phrases}
    hours = 0.0
    for k, session in enumerate(sessions):
        mic = narration_mic(session, 900 + k, 0.1)
        g = gate_for(session)
        for phrase, level, start, stop in spotter.run(mic, 0.0):
            fa_off[phrase][level] += 1
            fa_on[phrase][level] += g.allows(start, stop)
        hours += session.seconds / 3600
    table, chosen = {}, {}
    for p in phrases:
        rows = [{"exp": e, "detect": hits[p][k] / max(1, counts[p]), "detect_gate_off": ungated[p][k] / max(1, counts[p]),
                 "fa_off_per_h": fa_off[p][k] / hours,
                 "fa_on_per_h": fa_on[p][k] / hours} for k, e in enumerate(grid)]
        table[p] = rows
        good = [r for r in rows if r["detect"] >= target]
        chosen[p] = (good[0] if good else rows[-1])["exp"]
    n = np.array([len(voice.check_phrases({p: "pause"})[p]) for p in phrases], float)
    e = np.array([chosen[p] for p in phrases], float)
    per_phone, base = np.polyfit(n, e, 1)
    return {"hours": hours, "trials": counts, "table": table, "chosen": chosen,
            "formula": {"base": float(base), "per_phone": float(per_phone)}}


if __name__ == "__main__":
    main(sys.argv[1:])
