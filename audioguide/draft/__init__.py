"""Draft a routine from a plain-text how-to: ``draft_routine(guide) -> YAML text``.

Stages (imports point down): ``webpage`` (a saved web page -> guide text, when
the guide is HTML), ``reading`` (bytes -> title, sections, units),
``phrases`` (one sentence -> kind, counts, durations, sides), ``build`` (the
rules -> steps, options, sides, settings), ``emit`` (-> YAML with ``# CHECK:``
comments). Rule-based and offline; README "Drafting a routine from a guide".
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import BinaryIO

from ..errors import AudioguideError, BadInputError, ExportError, GuideError, OutputPathError
from ..files import check_target, probe_writable, read_bounded, write_atomic
from ..routine import MAX_TEXT
from .build import TIME_SETTINGS, Drafter
from .emit import document
from .nodes import short, split_text
from .reading import MAX_BYTES, decode, parse_guide
from .webpage import is_html, page_text

__all__ = ["draft_routine", "read_guide", "save_draft", "MAX_BYTES"]


def read_guide(source: str | os.PathLike | BinaryIO, display: str | None = None) -> bytes:
    """The bytes of a guide file or stream, at most ``MAX_BYTES``; GuideError (one line) when it cannot be read."""
    display = display or str(source if not hasattr(source, "read") else "stdin")
    if hasattr(source, "read"):
        try:
            raw = source.read(MAX_BYTES + 1)
        except OSError as exc:
            raise GuideError(f"{display}: cannot read: {exc.strerror or exc}") from None
    else:
        raw = read_bounded(Path(source), display, GuideError, MAX_BYTES, "a guide")
    if len(raw) > MAX_BYTES:
        raise GuideError(f"{display}: more than {MAX_BYTES:,} bytes is too big for a guide")
    return raw


def draft_routine(guide: str | bytes | os.PathLike | BinaryIO, *, display: str | None = None) -> str:
    """A routine (YAML text with ``# CHECK:`` comments) drafted from a plain-text guide.

    ``guide`` is the guide's text (``str``), its raw bytes (an upload), a path
    (``pathlib.Path``) or a binary stream (stdin) to read, at most ``MAX_BYTES``
    (200,000). ``display`` names it in messages and in the header comment
    (default: the path, or ``guide.txt``). The returned routine loads and
    compiles for every choice of its options. Raises ``GuideError`` (a
    ``BadInputError``, exit 2, one-line message) for an empty, binary,
    oversized or unreadable guide, or one with no instructions in it; an
    ``AudioguideError`` (exit 1) if a draft ever failed to compile (a bug).
    The rules: README "Drafting a routine from a guide".
    """
    if isinstance(guide, (str, bytes)):
        display = display or "guide.txt"
        raw = guide.encode("utf-8") if isinstance(guide, str) else guide
    else:
        display = display or (str(guide) if not hasattr(guide, "read") else "stdin")
        raw = read_guide(guide, display)
    text = decode(raw, display)
    if is_html(text):  # a saved web page: its words, not its tags, are the guide
        text = page_text(text)
    parsed = parse_guide(text)
    stem = "" if display == "stdin" else Path(display).stem
    fallback = re.sub(r"[-_]+", " ", stem).strip().capitalize() or "Drafted routine"
    drafter = Drafter(parsed, fallback)
    drafter.run()
    if drafter.instructions == 0:
        raise GuideError(f"{display}: no instructions found: no sentence tells the reader to do something "
                         "(like \"Press your thumb into the sole\")")
    header = [f"Drafted by `audioguide draft` from {Path(display).name}. Read it through: each",
              "\"CHECK:\" comment marks a guess to confirm. Then: audioguide script THIS_FILE.yaml"]
    if not parsed.title:
        header.append(f"CHECK: the title: the guide has none, so it is {'made from the file name' if stem else 'a default one'}")
    if parsed.title_notes[1:]:
        header.append("CHECK: not used from the title block: " + "; ".join(f'"{n}"' for n in parsed.title_notes[1:]))
    header += drafter.header_checks
    subtitle = [parsed.title_notes[0].rstrip(".") + "."] if parsed.title_notes else []
    description, *rest = split_text(" ".join(subtitle + drafter.description))
    if rest:  # the description is a summary: what does not fit a routine's text is left to the guide
        header.append(f"CHECK: the description keeps the first {len(description):,} characters of the guide's "
                      f"introduction (a routine's text is at most {MAX_TEXT}); not used: "
                      f"\"{short(' '.join(rest), 60)}\"")
    # The guide's own counts and durations first, then the times the draft had to choose.
    settings = {k: v for k, v in drafter.settings.items() if k not in TIME_SETTINGS}
    settings.update((k, v) for k, v in drafter.settings.items() if k in TIME_SETTINGS)
    text = document(
        header=header, title=drafter.title(), description=description, options=drafter.options,
        sides=drafter.sides, settings=settings, setting_checks=drafter.setting_checks, steps=drafter.out,
    )
    check_compiles(text, display)
    return text


def check_compiles(text: str, display: str) -> None:
    """The draft must load and compile for every choice of its options; if not, that is our bug (exit 1)."""
    from ..compiler import compile_script
    from ..routine import parse_routine
    from ..settings import resolve

    try:
        routine = parse_routine(text, f"draft of {display}", "draft")
        names = list(routine.options)
        for values in itertools.product(*(routine.options[n].choices for n in names)):
            compile_script(routine, resolve(routine, options=dict(zip(names, values))))
    except BadInputError as exc:
        raise AudioguideError(f"{display}: the draft does not compile (a bug in audioguide draft, "
                              f"please report it with the guide): {exc}") from None


def save_draft(text: str, path: str | os.PathLike, *, force: bool = False,
               guide: str | os.PathLike | None = None) -> Path:
    """Write a drafted routine to ``path`` atomically (a complete file or none); returns the path.

    An existing file is replaced only with ``force``; a symbolic link is
    written through (its target replaced, the link kept). Missing folders are
    created. Raises ``OutputPathError`` (exit 2) for an existing file without
    ``force``, the ``guide`` it was drafted from (the same file, by any name or
    link, even with ``force``), an empty path or ``-``, a directory, a named
    pipe, a device or ``/dev/stdout`` (``files.check_target``), or a folder that
    cannot be made or written to; ``ExportError`` (exit 1) when writing fails
    (a full disk), leaving any old file as it was.
    """
    if os.fspath(path).strip() in ("", "-"):  # Path("") would be ".", and "  " a file named two blanks
        raise OutputPathError("-: give a file name; without -o the routine is printed to standard output"
                              if os.fspath(path) == "-" else "the output path is empty; give a file name "
                              "(like routine.yaml)")
    path = Path(path)
    check_target(path, OutputPathError)  # before "already exists": --force would not make a pipe writable
    if guide is not None and _same_file(path, Path(guide)):  # --force would replace the only copy of the guide
        raise OutputPathError(f"{path}: is the guide being drafted from; give another name for the routine")
    if path.exists() and not force:
        raise OutputPathError(f"{path}: already exists; add --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"{path}: cannot create folder {path.parent}: {exc.strerror or exc}") from None
    try:
        probe_writable(path.parent, path.name)  # a folder one cannot write to is bad input, as for export
    except OSError as exc:
        raise OutputPathError(f"{path}: folder {path.parent} is not writable: {exc.strerror or exc}") from None
    try:
        return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file (through links and hard links); False when either is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
