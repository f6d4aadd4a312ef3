"""Nothing lost under faults: SIGKILL mid-export, concurrent exports, missing or failing
encoder, a full disk, an engine failing on one line; and deterministic output."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from audioguide.cli import main
from audioguide.script import Script
from fakes import ToneEngine
from helpers import BIN, run_cli

TINY = """
title: Tiny massage
settings:
  hold: {default: 2, min: 1, max: 30, unit: seconds, help: Hold.}
steps:
  - chapter: Start
  - say: Sit comfortably, and breathe out slowly.
    then: 1
  - chapter: Press
  - say: Press your heel.
  - hold: {seconds: hold, style: chime}
  - say: Now relax your foot, and let it rest.
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_cmd(routine: Path, out: Path, *extra: str) -> list[str]:
    return [str(BIN / "audioguide"), "export", str(routine), "--engine", "pyttsx3", "-o", str(out), *extra]


def test_sigkill_at_random_points_never_leaves_a_truncated_file(tiny, tmp_path, isolated_cache):
    out = tmp_path / "out" / "s.mp3"
    assert subprocess.run(export_cmd(tiny, out), capture_output=True).returncode == 0
    previous = {p.name: digest(p) for p in out.parent.iterdir()}
    # The complete new outputs, made once elsewhere (same cache, so the same samples).
    ref = tmp_path / "ref" / "s.mp3"
    started = time.monotonic()
    assert subprocess.run(export_cmd(tiny, ref, "--set", "hold=5"), capture_output=True).returncode == 0
    full_run = time.monotonic() - started  # kills land anywhere within a whole (warm) run
    new = {p.name: digest(p) for p in ref.parent.iterdir()}

    rng = random.Random(5)
    kills = 0
    for round_ in range(12):
        # Half the rounds start from an empty cache, so kills land during synthesis too.
        env = {**os.environ}
        if round_ % 2:
            env["AUDIOGUIDE_CACHE_DIR"] = str(tmp_path / f"cold{round_}")
        proc = subprocess.Popen(export_cmd(tiny, out, "--set", "hold=5"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.95 * full_run))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        for p in out.parent.iterdir():
            if p.name.endswith(".part"):
                continue  # a killed writer's temp file: hidden, removed by the next export
            assert digest(p) in (previous.get(p.name), new.get(p.name)), f"round {round_}: {p.name} is neither"
    assert kills >= 6
    # The next run cleans up, succeeds, and gives the same audio as the reference.
    run = subprocess.run(export_cmd(tiny, out, "--set", "hold=5"), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert {p.name: digest(p) for p in out.parent.iterdir()} == new
    for round_ in range(1, 12, 2):  # caches that were killed mid-synthesis are still usable
        cache = tmp_path / f"cold{round_}"
        run = subprocess.run(export_cmd(tiny, tmp_path / f"again{round_}.wav"), capture_output=True, text=True,
                             env={**os.environ, "AUDIOGUIDE_CACHE_DIR": str(cache)})
        assert run.returncode == 0, run.stderr


@pytest.mark.piper
def test_four_exports_sharing_one_cache_at_once(tiny, tmp_path, isolated_cache):
    procs = [
        subprocess.Popen([str(BIN / "audioguide"), "export", str(tiny), "--engine", "piper",
                          "-o", str(tmp_path / f"run{i}.wav")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for i in range(4)
    ]
    for p in procs:
        assert p.wait(timeout=240) == 0, p.stderr.read().decode()
    digests = {digest(tmp_path / f"run{i}.wav") for i in range(4)}
    assert len(digests) == 1
    assert not [p for p in isolated_cache.rglob("*") if p.name.endswith(".part")]


def test_missing_encoder_is_one_line_and_keeps_the_old_file(tiny, tmp_path):
    out = tmp_path / "s.mp3"
    out.write_bytes(b"previous")
    run = run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(out), env={"PATH": "/nonexistent"})
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"audioguide: error: ffmpeg not found: sudo apt-get install ffmpeg (needed to write {out})"
    ]
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mp3", "tiny.yaml"]


@pytest.fixture
def small_disk(tmp_path):
    """Mount a tiny tmpfs and return a function that fills it to leave ``free`` bytes."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")

    def fill(leave: int) -> None:
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        (mount / "filler").write_bytes(b"\0" * max(0, free - leave))

    fill.path = mount
    yield fill
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_full_disk_while_writing_corrupts_nothing(tiny, small_disk, fmt):
    out = small_disk.path / "out" / f"s.{fmt}"
    assert subprocess.run(export_cmd(tiny, out), capture_output=True).returncode == 0
    before = {p.name: digest(p) for p in out.parent.iterdir()}
    small_disk(leave=out.stat().st_size // 2)  # the new, longer file cannot fit
    run = subprocess.run(export_cmd(tiny, out, "--set", "hold=20"), capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert lines[0].startswith(f"audioguide: error: cannot write {out}") and "No space left" in lines[0]
    assert {p.name: digest(p) for p in out.parent.iterdir()} == before  # nothing lost, no temp file left


@pytest.mark.parametrize("runs_out_at", [".vtt", ".json"])
def test_full_disk_at_a_sidecar_keeps_the_whole_previous_set(tiny, tmp_path, small_disk, runs_out_at):
    """The new audio fits, a sidecar does not: no file of the set may be the new one (a user once got the
    new .mp3 and .vtt beside the old .json)."""
    out = small_disk.path / "out" / "s.mp3"
    assert subprocess.run(export_cmd(tiny, out), capture_output=True).returncode == 0
    before = {p.name: digest(p) for p in out.parent.iterdir()}
    # The new set, made elsewhere first (same cache, so the same bytes), to know what each file takes.
    ref = tmp_path / "ref" / "s.mp3"
    assert subprocess.run(export_cmd(tiny, ref, "--set", "hold=5"), capture_output=True).returncode == 0
    page = os.statvfs(small_disk.path).f_frsize  # tmpfs gives each file whole pages

    def pages(p: Path) -> int:
        return -(-p.stat().st_size // page) * page

    room = pages(ref) + (pages(ref.with_suffix(".vtt")) if runs_out_at == ".json" else 0)
    small_disk(leave=room)  # the new audio (and .vtt) exactly; not one page more
    run = subprocess.run(export_cmd(tiny, out, "--set", "hold=5"), capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        f"audioguide: error: cannot write {out.with_suffix(runs_out_at)}: No space left on device"]
    assert {p.name: digest(p) for p in out.parent.iterdir()} == before  # all old, no temp file left
    (small_disk.path / "filler").unlink()
    assert subprocess.run(export_cmd(tiny, out, "--set", "hold=5"), capture_output=True).returncode == 0
    assert {p.name: digest(p) for p in out.parent.iterdir()} == {p.name: digest(p) for p in ref.parent.iterdir()}


def test_the_last_file_failing_to_write_keeps_the_whole_previous_set(tiny, tmp_path, capsys, register_engine,
                                                                     monkeypatch):
    """The user's case exactly, by fault injection: the audio and the transcript are written, the
    script JSON is not (a full disk). None of the three may be new."""
    register_engine("tone", ToneEngine)
    previous = {name: f"previous {name}".encode() for name in ("s.mp3", "s.vtt", "s.json")}
    for name, data in previous.items():
        (tmp_path / name).write_bytes(data)

    def full_disk(_script) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Script, "dumps", full_disk)  # what the exporter writes into the .json
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(tiny), "--engine", "tone", "-o", str(tmp_path / "s.mp3")])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"audioguide: error: cannot write {tmp_path / 's.json'}: No space left on device"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "tiny.yaml"} == previous


LONG = """
title: Long session
steps:
  - chapter: Start
  - say: Sit comfortably.
    then: 600
  - say: Now rest.
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("group", [False, True], ids=["kill-pid", "whole-group"])
def test_sigterm_or_sighup_mid_m4b_export_unwinds_like_ctrl_c(tmp_path, sig, group):
    """`kill PID` (the process alone), or a closed terminal / service stop (its ffmpeg too): exit 128 + the
    signal, one line, the previous set untouched and no temporary file left (the AAC's included)."""
    routine = tmp_path / "long.yaml"
    routine.write_text(LONG)
    out = tmp_path / "out" / "long.m4b"
    out.parent.mkdir()
    for name in ("long.m4b", "long.vtt", "long.json"):
        (out.parent / name).write_bytes(f"previous {name}".encode())
    before = {p.name: digest(p) for p in out.parent.iterdir()}
    proc = subprocess.Popen(export_cmd(routine, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=group)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith("-aac.part") and p.stat().st_size > 0 for p in out.parent.iterdir()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the AAC encoding never started"
            time.sleep(0.02)
        # 10 minutes of audio: the AAC takes seconds to encode, so the signal lands in the middle of it.
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig
    assert err.splitlines() == [f"audioguide: stopped by {sig.name}"]
    assert {p.name: digest(p) for p in out.parent.iterdir()} == before  # no .part, no -aac.part


def test_full_disk_in_the_cache_is_a_clear_error_and_the_cache_stays_usable(tiny, tmp_path, small_disk):
    cache = small_disk.path / "cache"
    small_disk(leave=60_000)  # room for a line or two of speech, not the session
    env = {**os.environ, "AUDIOGUIDE_CACHE_DIR": str(cache)}
    run = subprocess.run(export_cmd(tiny, tmp_path / "s.wav"), capture_output=True, text=True, env=env)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "No space left" in run.stderr and str(cache) in run.stderr
    assert not [p for p in cache.rglob("*") if p.name.endswith(".part")]
    (small_disk.path / "filler").unlink()
    run = subprocess.run(export_cmd(tiny, tmp_path / "s.wav"), capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr


def test_engine_failing_on_one_line_names_that_line(tiny, tmp_path, capsys, register_engine):
    register_engine("tone", lambda: ToneEngine(fail_on="Press your heel."))
    out = tmp_path / "s.wav"
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(tiny), "--engine", "tone", "-o", str(out)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Press your heel." in err[0] and "synthesis backend crashed" in err[0]
    assert not out.exists()


@pytest.mark.piper
def test_piper_output_is_byte_identical_from_cold_caches(tiny, tmp_path):
    """Same inputs, same engine, fresh processes and empty caches: the same WAV bytes."""
    wavs = []
    for i in range(2):
        out = tmp_path / f"d{i}.wav"
        run = run_cli("export", str(tiny), "--engine", "piper", "-o", str(out),
                      env={"AUDIOGUIDE_CACHE_DIR": str(tmp_path / f"cache{i}")})
        assert run.returncode == 0, run.stderr
        wavs.append(out.read_bytes())
    assert wavs[0] == wavs[1]


def test_pyttsx3_output_is_byte_identical_through_the_cache(tiny, tmp_path):
    digests = set()
    for i in range(2):
        out = tmp_path / f"d{i}.wav"
        assert run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(out)).returncode == 0
        digests.add(digest(out))
    assert len(digests) == 1
