"""The consuming end of the test sound card (see alsa_sink.py): FIFO -> file, in real time.

    python pacer.py FIFO OUT LOG [--rate BYTES_PER_SECOND | --fast]

ALSA's ``file`` plugin writes everything a program plays into FIFO. This
process holds FIFO open read-write for its whole life, so

* the pipe survives every ALSA open and close (simpleaudio opens the device
  once per buffer) and the capture OUT is the plain concatenation of
  everything sent, in order (the file plugin itself truncates its file, or
  makes numbered files with ``truncate false``, at every open);
* the pipe can be shrunk to one page (F_SETPIPE_SZ, 4096 bytes = 93 ms of
  22050 Hz mono 16-bit): a writer then blocks like on a sound card with a small
  ring buffer. A popen'd pipe (``file "|cmd"``) cannot be used for that: ALSA
  fills its 64 KiB (1.5 s) before the command has started, and the kernel
  refuses to shrink a pipe below what it holds (EBUSY).

Paced (the default), it copies at most ``rate`` bytes per second: 512-byte
reads, each followed by a sleep until that data is "played". When the writer
stops (a pause, a re-open) the clock restarts, as a sound card's does after an
underrun, so silence is never made up for by a burst. ``--fast`` copies as fast
as it can (for tests that only compare samples).

It prints ``ready`` on stdout once FIFO is open; closing its stdin ends it
(after copying whatever the pipe still holds). LOG gets a JSON document:
``chunks`` is [[CLOCK_MONOTONIC seconds when read, byte offset after it], ...]
and ``first_sound`` the time the first chunk holding a non-zero sample arrived.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import sys
import time

F_SETPIPE_SZ = 1031  # Linux; fcntl.F_SETPIPE_SZ from Python 3.10 on some builds only
PIPE_BYTES = 4096
PACED_READ = 512
FAST_READ = 65536


def main(argv: list[str]) -> None:
    fifo, out_path, log_path, *opts = argv
    rate = None if "--fast" in opts else float(opts[opts.index("--rate") + 1]) if "--rate" in opts else 44100.0
    fd = os.open(fifo, os.O_RDWR)  # read-write: never sees EOF, keeps the pipe (and its size) alive
    fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
    out = open(out_path, "ab", buffering=0)
    chunks: list[list[float]] = []
    first_sound = None
    offset = 0
    due = 0.0
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    ctl = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([fd, ctl], [], [])
        if fd not in readable:
            if not os.read(ctl, 4096):  # stdin closed: copy what is left, then stop
                break
            continue
        data = os.read(fd, PACED_READ if rate else FAST_READ)
        now = time.monotonic()
        out.write(data)
        offset += len(data)
        chunks.append([now, offset])
        if first_sound is None and data.strip(b"\0"):
            first_sound = now
        if rate:
            due = max(due, now) + len(data) / rate  # an idle sink restarts its clock
            time.sleep(max(0.0, due - time.monotonic()))
    os.set_blocking(fd, False)
    while True:
        try:
            data = os.read(fd, FAST_READ)
        except BlockingIOError:
            break
        out.write(data)
        offset += len(data)
        chunks.append([time.monotonic(), offset])
    out.close()
    with open(log_path, "w") as log:
        json.dump({"chunks": chunks, "first_sound": first_sound}, log)


if __name__ == "__main__":
    main(sys.argv[1:])
