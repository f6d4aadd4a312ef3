"""Train the voice commands' classifier head (``audioguide/data/voice_commands.npz``).

``.venv/bin/python scripts/train_voice.py [--work DIR]`` (about 20 minutes on 2 cores; needs the
dev tools: scikit-learn). Everything comes from the TUNING pool of scripts/bench --listen
(listen_audio.py: its speakers, rooms and seeds), never the report pool that measures it:

* commands: the tuning set's 180 trials (seed 1) and 600 more (seed 11), each of the six
  default phrases said in the guide's pauses;
* not commands: 400 other short things said in pauses (``TRAIN_ASIDES``, none of them the
  benchmark's ``ASIDES``; seed 12) and the tuning sessions' narration and chimes through a room.

Each recording goes through the product's own streaming ``neural.Embedder``. Inputs (16
embeddings, 1.96 s) ending within ``POSITIVE_S`` after a command's end are that command;
inputs ending before ``PARTIAL_S`` ahead of its end, and every input of the other recordings,
are "none"; the rest (a command just passing out of the window) are left out. The head is
scikit-learn's MLPClassifier (one hidden layer of ``HIDDEN`` ReLUs, L2 ``ALPHA``, Adam),
saved as plain arrays that ``neural.probabilities`` runs with numpy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_listen as bl  # noqa: E402

from audioguide.play.inputs import neural  # noqa: E402
from audioguide.play.inputs.phrases import DEFAULT_PHRASES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "audioguide" / "data" / "voice_commands.npz"
PHRASES = list(DEFAULT_PHRASES)
#: Other short things people say in a pause: the "none" class's speech (disjoint from bench_listen.ASIDES).
TRAIN_ASIDES = ["that feels much better", "a little lower", "too much pressure", "ah that is the spot", "hmm", "yes",
                "no", "right", "wait", "hold on", "one moment", "I can't reach it", "my toes are cold", "lovely",
                "it tickles", "sorry", "what time is it", "the phone is ringing", "come in", "I'm fine thanks",
                "okay then", "let me see", "is that right", "where is the towel", "the heel hurts",
                "pass me the cream", "much better now", "oh dear", "one two three", "is this the arch", "I'm tired",
                "how long is left", "go away", "step by step", "now then", "say that", "carry the bag", "back there",
                "next time maybe", "go ahead", "not now", "again and again", "the guide is nice", "pause the music",
                "stop that noise", "say hello", "a step back", "go for it"]
POSITIVE_S = 0.35
PARTIAL_S = 0.25
HIDDEN = 64
ALPHA = 1e-3

_embedder: neural.Embedder | None = None


def _start() -> None:
    global _embedder
    _embedder = neural.Embedder()


def embed(mic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, shape (n, 1536); the time each ends, s from the recording's start)."""
    _embedder.reset()
    rows, ends = [], []
    for i in range(0, len(mic) - neural.HOP + 1, neural.HOP):
        for fed in _embedder.feed(mic[i:i + neural.HOP]):
            rows.append(_embedder.features())
            ends.append(fed / neural.RATE)
    return np.array(rows, np.float32), np.array(ends)


def _labelled(job: tuple) -> tuple[np.ndarray, np.ndarray]:
    mic, phrase, end, step = job
    x, ends = embed(mic)
    y = np.full(len(ends), -1)
    if phrase is None:
        y[:] = 0
    else:
        y[ends < end - PARTIAL_S] = 0
        y[(ends >= end) & (ends <= end + POSITIVE_S)] = PHRASES.index(phrase) + 1
    keep = np.flatnonzero(y >= 0)[::step]
    return x[keep], y[keep]


def jobs(work: Path, audioguide: str, env: dict) -> list[tuple]:
    """(int16 microphone, phrase or None, the phrase's end in s from the mic's start, keep every n-th)."""
    made = []
    for n, seed, phrases in ((180, 1, None), (600, 11, None), (400, 12, TRAIN_ASIDES)):
        sessions, trials, speech = bl.build(work, "tune", "piper", audioguide, env, n, seed=seed, phrases=phrases)
        for i, trial in enumerate(trials):
            mic, t0 = bl.trial_mic(trial, speech[i], sessions[0])
            made.append((mic, None if phrases else trial.phrase, trial.onset + trial.duration - t0, 1))
    made += [(bl.narration_mic(s, 900 + k, 0.1), None, 0.0, 2) for k, s in enumerate(sessions)]
    return made


def main() -> None:
    from sklearn.neural_network import MLPClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "train-voice")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AUDIOGUIDE_CACHE_DIR": str(args.work / "cache")}
    started = time.time()
    todo = jobs(args.work, str(ROOT / ".venv" / "bin" / "audioguide"), env)
    with get_context("fork").Pool(os.cpu_count() or 1, initializer=_start) as pool:
        parts = pool.map(_labelled, todo, chunksize=4)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    print(f"{len(todo)} recordings, {len(y)} inputs, per class {np.bincount(y).tolist()} "
          f"({time.time() - started:.0f} s)", file=sys.stderr)
    head = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=ALPHA, max_iter=200, random_state=0).fit(x, y)
    assert list(head.classes_) == list(range(len(PHRASES) + 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, w0=head.coefs_[0].astype(np.float32), b0=head.intercepts_[0].astype(np.float32),
                        w1=head.coefs_[1].astype(np.float32), b1=head.intercepts_[1].astype(np.float32),
                        phrases=np.array(PHRASES),
                        about=np.array(f"scripts/train_voice.py: {len(todo)} tuning-pool recordings, "
                                       f"{len(y)} inputs, classes {np.bincount(y).tolist()}"))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB, {time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
