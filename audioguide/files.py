"""Atomic file writes: a file is only ever replaced by a complete new one.

Every output (audio, transcript, script JSON) and every speech cache entry is
written to a hidden temporary file in the same folder (``.NAME.PID.RANDOM.part``),
fsynced and renamed into place; an export's files are renamed together once all
are written (``FileSet``). A symbolic link is written through: its target is
replaced, the link stays. The writer's pid in the name lets a later run
tell a temp file left by a killed writer (removed) from one still being written
(left alone); where ``NAME`` would make the temp name longer than the file
system allows, a shortened ``NAME`` with a hash of the whole name stands in.
``check_target`` refuses what must not be replaced (a named pipe, a device,
``/dev/stdout``, a name too long); ``read_bounded`` refuses to read what is not
a regular file (a named pipe would wait for a writer for ever).
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator

PART_SUFFIX = ".part"
#: Room a temp name takes beyond the target's name: ``.`` + ``.PID`` (up to 7 digits, Linux's pid_max)
#: + ``.RANDOM`` (8) + ``-aac`` (an m4b's intermediate) + ``.part``; a probe's ``.probe-XXXXXXXX`` fits too.
_PART_ROOM = 1 + 8 + 9 + 4 + len(PART_SUFFIX)


def write_atomic(path: str | os.PathLike[str], write_fn: Callable[[Path], object], *, durable: bool = True) -> Path:
    """Have ``write_fn(tmp)`` fill a new temp file beside ``path``, then rename it over ``path``.

    The temp file already exists (empty) when ``write_fn`` runs; it may write
    it, truncate it or have a tool overwrite it. It is fsynced before the
    rename, so a crash leaves either the old file or the complete new one; with
    ``durable`` the folder is fsynced after the rename too (POSIX makes a
    rename durable only then; a cache entry whose loss costs one synthesis can
    skip that). A symbolic link is written through (``destination``). On any
    exception the temp file is removed and the exception propagates; ``path``
    is untouched. Raises OSError from the file system.
    """
    with FileSet(durable=durable) as files:
        files.write(path, write_fn)
        files.commit()
    return Path(path)


class FileSet:
    """Files that replace their old versions together or not at all (an export's audio and sidecars).

    ``write`` fills each one's temp file beside its destination and fsyncs it;
    ``commit`` then renames them all into place. Until ``commit``, nothing at
    the paths has changed, so a failure in any write (a full disk) keeps the
    whole old set; leaving the ``with`` block removes every temp file not
    renamed. The renames take no space, so once every file is written they
    do not fail for want of room::

        with FileSet() as files:
            files.write(audio, fill_audio)
            files.write(transcript, fill_transcript)
            files.commit()
    """

    def __init__(self, *, durable: bool = True) -> None:
        self.durable = durable
        self._parts: list[tuple[Path, Path]] = []  # (temp file, destination), in order

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, *exc: object) -> None:
        for tmp, _ in self._parts:
            tmp.unlink(missing_ok=True)
        self._parts.clear()

    def write(self, path: str | os.PathLike[str], write_fn: Callable[[Path], object]) -> Path:
        """Have ``write_fn(tmp)`` fill a new, empty temp file for ``path`` (see ``write_atomic``); returns ``tmp``."""
        dest = destination(Path(path))
        remove_stale_parts(dest)
        # Same directory, so os.replace is an atomic rename on one filesystem;
        # hidden and random so it never collides with or looks like a real output.
        tmp = dest.with_name(f".{part_stem(dest)}.{os.getpid()}.{secrets.token_hex(4)}{PART_SUFFIX}")
        self._parts.append((tmp, dest))  # first: a signal right after the create still gets it removed
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write_fn(tmp)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp

    def commit(self) -> None:
        """Rename every written file into place (then, if ``durable``, fsync their folders)."""
        folders = []
        for tmp, dest in self._parts:
            os.replace(tmp, dest)
            if dest.parent not in folders:
                folders.append(dest.parent)
        self._parts.clear()
        if self.durable:
            for folder in folders:
                fsync_dir(folder)


def destination(path: Path) -> Path:
    """The file that writing ``path`` replaces: ``path``, or the file its symbolic links lead to.

    A link is written through: its target gets the new contents and the link
    stays a link. A dangling link leads to the file it names (created).
    """
    return link_hops(path)[-1]


def link_hops(path: Path) -> list[Path]:
    """``path`` (its folder's links resolved) and each place its own symbolic links lead to, in order.

    The last is where a write lands. At most 40 links are followed (Linux's
    limit); a loop ends there, still a link, and any use of it fails with ELOOP.
    """
    hops = [Path(os.path.realpath(path.parent)) / path.name]
    while len(hops) <= 40 and hops[-1].is_symlink():
        step = hops[-1].parent / os.readlink(hops[-1])  # a relative link is relative to its own folder
        hops.append(Path(os.path.realpath(step.parent)) / step.name)
    return hops


#: What a path is, when it is neither a regular file nor a folder (``stat.S_IFMT`` -> words).
_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket"}


def check_target(path: Path, error: type[Exception]) -> Path:
    """Where writing the output ``path`` lands (``destination``), once it is known to be a file one may replace.

    Raises ``error`` with one line naming ``path`` when it is a folder, when
    it leads into /proc through a link (``/dev/stdout``, ``/dev/fd/3``: a file
    descriptor of this process, not a file), or when what is there is not a
    regular file (a named pipe, a device, a socket) or cannot be looked at (a
    link loop), or when its name is longer than the file system takes. A path
    that does not exist yet (or whose folder does not) passes.
    """
    size, limit = len(os.fsencode(path.name)), name_max(Path(os.path.abspath(path)).parent)
    if size > limit:
        raise error(f"{path}: the file name is too long ({size} bytes; this file system takes at most {limit}); "
                    "give a shorter name")
    try:
        hops = link_hops(path)
    except OSError as exc:  # a folder on the way too long, or a link to a name too long
        raise error(f"{path}: cannot be used: {exc.strerror or exc}") from None
    literal = Path(os.path.abspath(path))
    # A link in /proc, or one leading there, is a process's open file (/dev/stdout -> /proc/self/fd/1),
    # whatever it points at now; a plain name in /proc is left to the folder's own checks.
    if any(hop.parts[1:2] == ("proc",) and (hop != literal or i < len(hops) - 1) for i, hop in enumerate(hops)):
        raise error(f"{path}: leads into /proc (standard output or another open file descriptor), not to a file; "
                    "give a file name")
    try:
        mode = os.stat(hops[-1]).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return hops[-1]  # a new file (a missing folder is the caller's to make)
    except OSError as exc:
        raise error(f"{path}: cannot be used: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is a directory, give a file name")
    if not stat.S_ISREG(mode):
        raise error(f"{path}: is {_KINDS.get(stat.S_IFMT(mode), 'an unusual kind of file')}, not a regular file; "
                    "give another name")
    return hops[-1]


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
    for part in stale_parts(path.parent, f"{glob.escape(part_stem(path))}.*"):
        part.unlink(missing_ok=True)


def name_max(folder: Path) -> int:
    """The longest file name, in bytes, the file system of ``folder`` (or its nearest existing parent) takes."""
    for place in (folder, *folder.parents):
        try:
            return os.pathconf(place, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue  # not there yet (made later), or a system without pathconf
    return 255


def part_stem(path: Path) -> str:
    """The name ``path``'s temp files start with (after the dot): its name, or, where that would make a
    temp name too long for the file system, as much of it as fits and a hash of the whole name (unique)."""
    name, limit = path.name, name_max(path.parent) - _PART_ROOM
    if len(os.fsencode(name)) <= limit:
        return name
    digest = "~" + hashlib.sha1(os.fsencode(name)).hexdigest()[:10]
    while name and len(os.fsencode(name + digest)) > limit:
        name = name[:-1]  # by characters, so a UTF-8 name is never cut inside a character
    return name + digest


def probe_writable(folder: Path, name: str) -> None:
    """Create and remove a hidden file in ``folder`` (named after ``name``); OSError if that cannot be done.

    A real write, not ``os.access``: access() says yes to root on read-only mounts and /proc.
    """
    tempfile.TemporaryFile(dir=folder, prefix=f".{part_stem(folder / name)}.probe-").close()


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_source(path: Path, display: str, error: type[Exception], kind: str) -> None:
    """Refuse to read ``path`` unless it is a regular file: ``error`` with one line naming ``display``.

    A folder is not ``kind`` ("a YAML file"); a named pipe, a socket or a device
    (``/dev/stdin``, a terminal) would wait for a writer for ever or never end.
    A missing file or one that cannot be looked at is left to the read to report.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    _refuse_unless_regular(mode, display, error, kind)


def _refuse_unless_regular(mode: int, display: str, error: type[Exception], kind: str) -> None:
    if stat.S_ISDIR(mode):
        raise error(f"{display}: is a directory, not {kind}")
    if not stat.S_ISREG(mode):
        raise error(f"{display}: is {_KINDS.get(stat.S_IFMT(mode), 'an unusual kind of file')}, not a regular "
                    f"file; give {kind}")


def read_bounded(path: Path, display: str, error: type[Exception], limit: int, kind: str) -> bytes:
    """The file's bytes, at most ``limit + 1`` of them (so a caller can tell "too big").

    Never trusts ``st_size`` (a file may grow as it is read), so the read itself
    is bounded. Raises ``error`` with one line naming ``display`` when the file
    is missing, not a regular file (``check_source``; ``kind`` is what it should
    be, e.g. "a YAML file"), not permitted, or unreadable.
    """
    try:
        check_source(path, display, error, kind)
        # Non-blocking: a pipe put in its place since that look cannot hang the open; checked again below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as stream:
            _refuse_unless_regular(os.fstat(fd).st_mode, display, error, kind)
            os.set_blocking(fd, True)
            return stream.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{display}: no such file") from None
    except PermissionError:
        raise error(f"{display}: permission denied") from None
    except OSError as exc:
        raise error(f"{display}: cannot read: {exc.strerror or exc}") from None
