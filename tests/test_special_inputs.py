"""Inputs that are not regular files (a named pipe, a socket, a device) are refused with one line naming
them, exit 2: read, a named pipe would wait for a writer for ever. Real files, the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from helpers import BIN, TINY_ROUTINE, run_cli


def make_fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a named pipe (FIFO)"


def make_socket(path: Path) -> str:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return "a socket"


def one_error(run) -> str:
    assert run.returncode == 2, run.stderr
    assert run.stdout == "" and "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audioguide: error: "), run.stderr
    return lines[0][len("audioguide: error: "):]


#: (arguments with {f} for the special file, what the message names, what it asks for instead)
CASES = [
    (["script", "{f}"], "{f}", "a YAML file"),
    (["script", "--timings", "{f}"], "{f}", "a YAML file"),
    (["export", "{tiny}", "--engine", "pyttsx3", "--bed", "{f}", "-o", "{tmp}/o.wav"], "--bed {f}", "an audio file"),
    (["play", "{tiny}", "--engine", "pyttsx3", "--keys", "{f}"], "{f}", "a YAML file"),
    (["play", "{tiny}", "--engine", "pyttsx3", "--phrases", "{f}"], "{f}", "a YAML file"),
    (["draft", "{f}"], "{f}", "a guide"),
]


@pytest.mark.parametrize("make", [make_fifo, make_socket])
@pytest.mark.parametrize("args, names, give", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_named_pipe_or_a_socket_is_refused_at_once(tmp_path, isolated_cache, make, args, names, give):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY_ROUTINE)
    special = tmp_path / "special.yaml"
    kind = make(special)
    fill = {"f": str(special), "tiny": str(tiny), "tmp": str(tmp_path)}
    run = run_cli(*[a.format(**fill) for a in args], timeout=30)  # a hang fails here, not for ever
    assert one_error(run) == f"{names.format(**fill)}: is {kind}, not a regular file; give {give}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["special.yaml", "tiny.yaml"]
    assert not [p for p in isolated_cache.rglob("*") if p.is_file()]


def test_a_device_is_refused_and_a_redirected_file_still_reads(tmp_path):
    assert one_error(run_cli("script", "/dev/zero")) == \
        "/dev/zero: is a character device, not a regular file; give a YAML file"
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY_ROUTINE)
    with open(tiny) as stdin:  # /dev/stdin is then the regular file itself
        run = subprocess.run([str(BIN / "audioguide"), "script", "/dev/stdin"], stdin=stdin, capture_output=True,
                             text=True, timeout=60)
    assert run.returncode == 0 and "Tiny massage" in run.stdout, run.stderr
