"""Atomic file writes: a file is only ever replaced by a complete new one.

Every output (audio, transcript, script JSON) and every speech cache entry is
written to a hidden temporary file in the same folder (``.NAME.PID.RANDOM.part``),
fsynced and renamed into place. The writer's pid in the name lets a later run
tell a temp file left by a killed writer (removed) from one still being written
(left alone).
"""

from __future__ import annotations

import glob
import os
import secrets
import tempfile
from pathlib import Path
from typing import Callable, Iterator

PART_SUFFIX = ".part"


def write_atomic(path: str | os.PathLike[str], write_fn: Callable[[Path], object], *, durable: bool = True) -> Path:
    """Have ``write_fn(tmp)`` fill a new temp file beside ``path``, then rename it over ``path``.

    The temp file already exists (empty) when ``write_fn`` runs; it may write
    it, truncate it or have a tool overwrite it. It is fsynced before the
    rename, so a crash leaves either the old file or the complete new one; with
    ``durable`` the folder is fsynced after the rename too (POSIX makes a
    rename durable only then; a cache entry whose loss costs one synthesis can
    skip that). On any exception the temp file is removed and the exception
    propagates; ``path`` is untouched. Raises OSError from the file system.
    """
    path = Path(path)
    remove_stale_parts(path)
    # Same directory, so os.replace is an atomic rename on one filesystem;
    # hidden and random so it never collides with or looks like a real output.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{PART_SUFFIX}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write_fn(tmp)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def stale_parts(folder: Path, pattern: str = "*") -> Iterator[Path]:
    """Temp files in ``folder`` (for targets matching ``pattern``) whose writer's process is gone."""
    for part in folder.glob(f".{pattern}{PART_SUFFIX}"):
        pid = part.name[: -len(PART_SUFFIX)].rsplit(".", 2)[-2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            yield part
        except PermissionError:
            pass  # alive, someone else's


def remove_stale_parts(path: Path) -> None:
    """Delete temp files a killed writer left beside ``path``."""
    for part in stale_parts(path.parent, f"{glob.escape(path.name)}.*"):
        part.unlink(missing_ok=True)


def probe_writable(folder: Path, name: str) -> None:
    """Create and remove a hidden file in ``folder`` (named after ``name``); OSError if that cannot be done.

    A real write, not ``os.access``: access() says yes to root on read-only mounts and /proc.
    """
    tempfile.TemporaryFile(dir=folder, prefix=f".{name}.probe-").close()


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_bounded(path: Path, display: str, error: type[Exception], limit: int, kind: str) -> bytes:
    """The file's bytes, at most ``limit + 1`` of them (so a caller can tell "too big").

    Never trusts ``st_size``: /dev/zero and pipes report 0, so the read itself is
    bounded. Raises ``error`` with one line naming ``display`` when the file is
    missing, a directory (not ``kind``, e.g. "a YAML file"), not permitted, or
    unreadable.
    """
    try:
        if path.is_dir():
            raise error(f"{display}: is a directory, not {kind}")
        with path.open("rb") as stream:
            return stream.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{display}: no such file") from None
    except PermissionError:
        raise error(f"{display}: permission denied") from None
    except OSError as exc:
        raise error(f"{display}: cannot read: {exc.strerror or exc}") from None
