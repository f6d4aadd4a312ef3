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
