"""The server's data folder: uploaded routines, presets and made sessions, with their limits.

Layout (``--data DIR``, else ``AUDIOGUIDE_DATA_DIR``, else the platform's
user data folder: ``~/.local/share/audioguide`` on Linux)::

    routines/NAME.yaml        uploaded routines (a plain-text guide is stored as the routine drafted from it)
    presets/NAME.yaml         named presets (audioguide.presets)
    sessions/ID/              one made session: the audio, .vtt, .json and meta.json
    sessions/.new-ID/         a session being made (renamed into place when complete)

Nothing outside this folder (and the package's own templates and static
files) is ever served: files are looked up by a session id and a name the
session's ``meta.json`` lists, never by a path from a request.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

import audioguide as ag

DATA_ENV = "AUDIOGUIDE_DATA_DIR"
#: Limits (README "Limits"): an upload is read whole into memory, so it is small;
#: counts keep one forgotten browser tab or script from filling the disk.
MAX_UPLOAD_BYTES = 1_000_000
MAX_ROUTINES = 50
MAX_PRESETS = 200
MAX_SESSIONS = 30
"""Made sessions kept; making another removes the oldest."""

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
SESSION_ID = re.compile(r"^[0-9a-f]{16}$")
META = "meta.json"


class LimitError(ag.BadInputError):
    """A count limit is reached (uploaded routines, presets)."""


def default_data_dir() -> Path:
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else platformdirs.user_data_path("audioguide")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by a complete new file (temp file in the same folder, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class SessionInfo:
    """A made session as its ``meta.json`` records it."""

    id: str
    title: str
    routine: str
    listener: str
    created: float
    duration_ms: int
    voice: str
    audio: str
    """The MP3 the player plays."""
    files: tuple[str, ...]
    """Every file in the session folder that may be served (audio, extra format, .vtt, .json)."""


class DataFolder:
    """The folder and its rules; every path the server touches comes from here."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_data_dir()
        self.routines = self.root / "routines"
        self.presets = self.root / "presets"
        self.sessions = self.root / "sessions"
        # What the person named (or AUDIOGUIDE_DATA_DIR) is wrong: bad input, exit 2, as for an export's -o.
        if self.root.exists() and not self.root.is_dir():  # a file, /dev/null
            raise ag.DataFolderError(f"data folder {self.root}: is not a folder; give a folder's path")
        try:
            for folder in (self.routines, self.presets, self.sessions):
                folder.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-")
            probe.close()
        except OSError as exc:
            raise ag.DataFolderError(f"data folder {self.root}: cannot write there: {exc.strerror or exc}") from None
        # name -> ((mtime_ns, size), row): the home page lists every upload on every load
        self._checked: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        for stale in self.sessions.glob(".new-*"):  # a server stopped while making a session
            shutil.rmtree(stale, ignore_errors=True)

    # -- routines --

    @functools.cached_property
    def summaries(self) -> list[ag.RoutineSummary]:
        """The bundled routines (they cannot change while the server runs)."""
        return ag.list_routines()

    def bundled(self) -> list[str]:
        return [s.name for s in self.summaries]

    def uploaded(self) -> list[str]:
        return sorted(p.stem for p in self.routines.glob("*.yaml") if NAME.match(p.stem))

    def load(self, name: str) -> ag.Routine:
        """A bundled routine by name, else an uploaded one; RoutineError names what is wrong."""
        if NAME.match(name) and (self.routines / f"{name}.yaml").is_file():
            return ag.parse_routine((self.routines / f"{name}.yaml").read_bytes(), f"{name}.yaml", name)
        if name in self.bundled():
            return ag.load_routine(name)
        raise LookupError(name)

    def checked(self, name: str) -> dict[str, Any]:
        """An uploaded routine's row for the list: name, title and length with its defaults, or ``error``.

        Compiled once per version of its file (modification time and size):
        a stored routine that fails to compile (written by hand, or by an older
        version) costs one compile, not one per load of the page.
        """
        path = self.routines / f"{name}.yaml"
        try:
            stat = path.stat()
            version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # a replaced file is a new inode
            cached = self._checked.get(name)
            if cached is not None and cached[0] == version:
                return cached[1]
            routine = self.load(name)
            script = ag.compile_script(routine, ag.resolve_settings(routine))
            row = {"name": name, "title": routine.title, "total_ms": script.total_ms, "error": ""}
        except ag.AudioguideError as exc:
            row = {"name": name, "title": name, "total_ms": 0, "error": str(exc)}
        except (OSError, LookupError):  # deleted meanwhile, or unreadable: not worth remembering
            return {"name": name, "title": name, "total_ms": 0, "error": f"{name}.yaml: cannot be read"}
        self._checked[name] = (version, row)
        return row

    def source(self, name: str) -> str | None:
        """An uploaded routine's YAML text (None for a bundled or unknown one)."""
        path = self.routines / f"{name}.yaml"
        return path.read_text(encoding="utf-8") if NAME.match(name) and path.is_file() else None

    def save_routine(self, name: str, text: str) -> bool:
        """Store an uploaded routine (already validated); True if it replaced one of that name."""
        path = self.routines / f"{name}.yaml"
        replacing = path.is_file()
        if not replacing and len(self.uploaded()) >= MAX_ROUTINES:
            raise LimitError(f"there are {MAX_ROUTINES} uploaded routines, the most this page keeps: delete one first")
        write_atomic(path, text.encode("utf-8"))
        return replacing

    def delete_routine(self, name: str) -> bool:
        if not NAME.match(name):
            return False
        try:
            (self.routines / f"{name}.yaml").unlink()
        except FileNotFoundError:
            return False
        self._checked.pop(name, None)
        return True

    # -- presets --

    def save_preset(self, preset: ag.Preset) -> None:
        exists = any(p.slug == preset.slug for p in ag.list_presets(self.presets))
        if not exists and len(list(self.presets.glob("*.yaml"))) >= MAX_PRESETS:
            raise LimitError(f"there are {MAX_PRESETS} presets, the most this page keeps: delete one first")
        ag.save_preset(self.presets, preset)

    # -- sessions --

    def new_session(self) -> tuple[str, Path]:
        """A fresh session id and the hidden folder to make it in."""
        sid = secrets.token_hex(8)
        folder = self.sessions / f".new-{sid}"
        folder.mkdir()
        return sid, folder

    def commit_session(self, sid: str, folder: Path, meta: dict[str, Any]) -> SessionInfo:
        """Write ``meta.json``, rename the folder into place, and drop the oldest sessions past the limit."""
        write_atomic(folder / META, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
        os.replace(folder, self.sessions / sid)
        for old in self.list_sessions()[MAX_SESSIONS:]:
            shutil.rmtree(self.sessions / old.id, ignore_errors=True)
        info = self.session(sid)
        assert info is not None
        return info

    def session(self, sid: str) -> SessionInfo | None:
        if not SESSION_ID.match(sid):
            return None
        try:
            meta = json.loads((self.sessions / sid / META).read_text(encoding="utf-8"))
            return SessionInfo(sid, meta["title"], meta["routine"], meta.get("listener", ""), meta["created"],
                               meta["duration_ms"], meta["voice"], meta["audio"], tuple(meta["files"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def list_sessions(self) -> list[SessionInfo]:
        """Made sessions, newest first."""
        found = (self.session(p.name) for p in self.sessions.iterdir() if SESSION_ID.match(p.name))
        return sorted((s for s in found if s is not None), key=lambda s: s.created, reverse=True)

    def session_file(self, sid: str, name: str) -> Path | None:
        """The file ``name`` of session ``sid`` if the session lists it and it is a plain file inside it."""
        info = self.session(sid)
        if info is None or name not in info.files:
            return None
        path = self.sessions / sid / name
        if path.is_symlink() or not path.is_file() or path.resolve().parent != (self.sessions / sid).resolve():
            return None
        return path

    def delete_session(self, sid: str) -> bool:
        if self.session(sid) is None:
            return False
        shutil.rmtree(self.sessions / sid, ignore_errors=True)
        return True

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
