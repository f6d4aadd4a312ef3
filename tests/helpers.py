"""Small helpers shared by test files (not fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run_cli(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 120, cwd=None):
    """Run the real `audioguide` console script; returns CompletedProcess with text output."""
    exe = BIN / "audioguide"
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(exe), *args], input=input, capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd
    )


def decoded_ms(path: Path, sample_rate: int = 22050) -> float:
    """Length of ``path`` decoded by ffmpeg (encoder delay and padding trimmed, as a player would)."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(sample_rate), "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 2 / sample_rate * 1000


def ffprobe(path: Path, *what: str) -> dict:
    """ffprobe's JSON for ``path``: ``ffprobe(p, "-show_chapters")``."""
    import json

    out = subprocess.run(
        ["ffprobe", "-v", "error", *what, "-of", "json", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of ``path`` as ffmpeg's ebur128 filter measures it."""
    import re

    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    summary = out[out.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


#: A two-foot routine of a few seconds that uses every cue type: for export and play tests.
TINY_ROUTINE = """
title: Tiny massage
options:
  position: {choices: [chair, floor]}
  first_foot: {choices: [right, left]}
  feet: {choices: [both, right, left]}
settings:
  hold: {default: 2, min: 1, max: 20, unit: seconds, help: Hold.}
  wait: {default: 1, min: 0, max: 20, unit: seconds, help: Wait.}
steps:
  - chapter: Start
  - say: Sit comfortably.
    then: wait
  - per_side:
      steps:
        - chapter: "{Side} foot"
        - say: Press your {side} heel.
        - hold: {seconds: hold, style: chime}
        - repeat: {count: 2, tempo: 1.5, style: count}
  - chapter: End
  - say: All done.
"""
