"""What each command does, as library calls: the CLI, a web page or a remote call these.

Nothing here prints or exits: results come back as values, failures as
``AudioguideError`` subclasses with one-line messages (``exit_code`` 2 for bad
input, 1 for failures at run time), long work reports through a progress
callback and stops when its cancel token is set. Audio modules (numpy, the
mixer, the engines) are imported only by the calls that need them, so that
``audioguide script`` starts in a fraction of a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Mapping, TextIO

from .compiler import compile_script, speech_texts
from .errors import CompileError, ServeError, SettingsError
from .progress import CancelToken, ProgressFn
from .library import RoutineSummary, bundled
from .presets import check_name
from .routine import Routine
from .script import ChapterSpan, Script
from .settings import Settings

if TYPE_CHECKING:
    from .bed import BedSound
    from .play.commands import Action, Commands

#: What ``audioguide serve`` imports that the rest does not (the ``web`` extra).
WEB_MODULES = ("starlette", "uvicorn", "jinja2", "multipart", "python_multipart", "segno", "psutil")

#: Where ``export_session`` writes when no output is given: ``build/ROUTINE.FORMAT``.
DEFAULT_OUTPUT_DIR = Path("build")


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    description: str
    default: bool
    """The engine's default voice."""


@dataclass(frozen=True)
class EngineInfo:
    """A speech engine, as ``audioguide voices`` lists it."""

    name: str
    installed: bool
    auto: bool
    """What ``--engine auto`` picks."""
    voices: tuple[VoiceInfo, ...] = ()
    missing: str = ""
    """When not installed: the line saying what to install."""


@dataclass(frozen=True)
class ExportResult:
    """What ``export_session`` wrote and made."""

    paths: tuple[Path, ...]
    """The audio file, its ``.vtt`` transcript and its ``.json`` script, in that order."""
    title: str
    duration_ms: int
    chapters: tuple[ChapterSpan, ...]
    voice: str
    """``engine/voice`` that spoke it."""
    lines_synthesized: int
    lines_from_cache: int
    format: str = "mp3"
    """The format written (one of ``FORMATS``)."""
    bitrate: str | None = None
    """The bitrate asked for (``64k``); None for WAV."""
    measured_bps: int | None = None
    """The audio's real bitrate in bits/s, measured on the file written (None if ffprobe is missing).
    For AAC and Vorbis the asked figure is a target (pauses take far less), so this is usually lower."""


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    size_bytes: int


def list_routines() -> list[RoutineSummary]:
    """The bundled routines by name, each with its title, estimated default length and chapters."""
    return bundled()


def timings_text(routine: Routine, settings: Settings | None = None) -> str:
    """Every setting with its default (or ``settings``' value), range and description, as a timings file."""
    from .settings import timings_yaml

    return timings_yaml(routine, settings)


def script_session(routine: Routine, settings: Settings, *, engine: str = "auto", voice: str | None = None) -> Script:
    """The session's timed script, measured when it can be, without synthesizing anything.

    When the speech cache holds every line of the session for this engine,
    voice and pace (after an export or a play), the script has the real
    lengths (``timing == "measured"``), exactly the export's; otherwise it is
    estimated from the text (``"estimated"``). Raises ``UnknownEngineError``
    (exit 2) for an unknown engine or voice, and ``EngineError`` for a named
    engine that is not installed; with ``engine="auto"`` and no engine
    installed the script is estimated.
    """
    from .errors import EngineError, UnknownEngineError
    from .synth import make_synthesizer

    try:
        synth = make_synthesizer(engine, voice, settings.pace, pronunciations=routine.pronunciations)
    except UnknownEngineError:
        raise
    except EngineError:
        if engine != "auto":
            raise
        return compile_script(routine, settings)
    estimated = compile_script(routine, settings)
    if synth.cache is None:
        return estimated
    from .mixer import prepared_ms

    lengths = {}
    said = set(estimated.spoken_texts())
    for text in speech_texts(estimated):  # with the shorter forms a count may be fitted with
        speech = synth.cache.get(synth.key(text))
        if speech is None:
            if text in said:
                return estimated  # a line not spoken yet: only an export or a play speaks it
            continue  # a shorter count form no beat has needed so far
        lengths[text] = prepared_ms(speech)
    try:
        return compile_script(routine, settings, speech_ms=lengths)
    except CompileError:  # a beat needs a shorter form that was never spoken
        return estimated


def default_output(routine: Routine, fmt: str | None = None) -> Path:
    """``build/ROUTINE.mp3`` (or the given format's suffix), relative to the working folder."""
    return DEFAULT_OUTPUT_DIR / f"{routine.name}.{fmt or 'mp3'}"


def export_session(
    routine: Routine,
    settings: Settings,
    output: str | os.PathLike[str] | None = None,
    *,
    fmt: str | None = None,
    bitrate: str | None = None,
    engine: str = "auto",
    voice: str | None = None,
    listener: str = "",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Speak, stitch and write one audio file plus its ``.vtt`` and ``.json`` sidecars.

    ``listener`` (a name, at most 80 characters) goes into the title tag and
    the cover: "Self foot massage, for Anna" (``SettingsError`` if it is not
    one short line). ``output`` defaults to ``default_output(routine, fmt)``. The path, format,
    bitrate and encoder are checked before any synthesis (``OutputPathError``,
    ``BitrateError`` with the format's range: exit 2; a missing ffmpeg is
    ``ExportError``). ``bitrate`` None is ``DEFAULT_BITRATE`` (WAV takes none). ``progress`` hears the lines being
    spoken and then each export stage; ``cancel`` stops the work between lines
    and stages (``Cancelled``), leaving earlier files untouched and the lines
    spoken so far cached. Raises ``UnknownEngineError`` for an unknown engine or
    voice, ``EngineError``, ``CacheError``, ``ExportError``.
    """
    from . import pipeline
    from .exporter import Metadata, check_output, export, measured_bitrate
    from .formats import check_bitrate
    from .synth import make_synthesizer

    path = Path(output) if output is not None else default_output(routine, fmt)
    title = routine.title
    if listener:
        title = f"{title}, for {check_name(listener, 'listener')}"
    # A bad path or bitrate, or a missing ffmpeg, costs nothing; given as it came ("" and "-" are not paths).
    kind = check_output(path if output is None else output, fmt, bitrate)
    bed = load_bed(settings)  # so does a bad bed file
    synth = make_synthesizer(engine, voice, settings.pace, pronunciations=routine.pronunciations)
    meta = Metadata(title=title, artist=routine.artist, album="audioguide", comment=routine.description)
    # Speech is synthesized, mixed and encoded as the file is written, chunk by chunk.
    with pipeline.SessionStream(routine, settings, synth, progress, cancel, bed=bed) as session:
        written = export(session, path, fmt=fmt, meta=meta, bitrate=bitrate, progress=progress, cancel=cancel)
    script = session.script
    return ExportResult(
        paths=tuple(written),
        title=title,
        duration_ms=script.total_ms,
        chapters=tuple(script.chapters()),
        voice=f"{synth.engine.name}/{synth.voice}",
        lines_synthesized=synth.engine_calls,
        lines_from_cache=synth.cache_hits,
        format=kind,
        bitrate=check_bitrate(kind, bitrate),
        measured_bps=measured_bitrate(written[0]),
    )


def play_session(
    routine: Routine,
    settings: Settings,
    *,
    engine: str = "auto",
    voice: str | None = None,
    start_at: str | None = None,
    commands: Commands | None = None,
    keymap: Mapping[str, Action] | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    progress: ProgressFn | None = None,
    keys: str | Path | None = None,
    any_key: bool = False,
    listen: bool = False,
    mic: str | None = None,
    phrases: str | Path | None = None,
    sensitivity: float | str | None = None,
    media_keys: bool = True,
) -> Literal["finished", "stopped"]:
    """Play the session live through the sound card until its end or a quit.

    ``start_at`` names a chapter (number, title or unique prefix; a bad one is
    ``SettingsError`` listing the chapters). The engine and the sound device
    are checked before any synthesis (``UnknownEngineError``, exit 2;
    ``PlaybackError``, exit 1). ``commands`` is the queue input sources post
    ``play.Command`` values to; keys are read from ``stdin`` when it is a
    terminal, with ``keymap`` if given, else the keys file ``keys`` (default:
    keys.yaml in the user's config directory, if there is one) and ``any_key``
    (every key pauses and resumes). ``listen`` turns voice commands on: the
    phrases and sensitivity of voice.yaml (or the file ``phrases``), on
    ``mic`` (ALSA's default capture device if None); ``sensitivity`` 0..1
    (a number, or text read like every number typed: ``"0.3"``) overrides the file. A bad control file or value is ``ControlsError`` (exit
    2), raised before anything is synthesized. ``media_keys`` publishes the
    session on the D-Bus session bus (MPRIS). The status goes to ``stderr``.
    See ``play.play`` for the rest.
    """
    from .play import run as play
    from .synth import make_synthesizer

    chapter = None
    if start_at is not None:
        titles = [c.title for c in compile_script(routine, settings).chapters()]
        try:
            chapter = play.pick_chapter(titles, start_at)
        except ValueError as exc:
            raise SettingsError(f"--start-at {start_at}: {exc}") from None
    bed = load_bed(settings)  # a bad bed file: one line (exit 2) before anything else
    key_map = play.KeyMap(dict(keymap), None) if keymap is not None else play.load_keys(keys, any_key)
    wants_voice = listen or mic is not None or phrases or sensitivity is not None
    listening = play.load_voice(phrases, sensitivity, mic) if wants_voice else None
    synth = make_synthesizer(engine, voice, settings.pace, pronunciations=routine.pronunciations)  # unknown: exit 2
    play.check_device()  # before any synthesis: no sound card should cost nothing
    return play.play(routine, settings, synth, start_chapter=chapter, commands=commands, bed=bed, keymap=key_map,
                     stdin=stdin, stderr=stderr, progress=progress, voice=listening, media_keys=media_keys)


def load_bed(settings: Settings) -> BedSound | None:
    """The sound bed ``settings.bed`` names, ready to loop, or None for no bed.

    Raises ``SettingsError`` (one line naming where the bed was set, exit 2)
    for a missing, unreadable, silent or too short file.
    """
    if settings.bed is None:
        return None
    from .bed import load

    return load(settings.bed, settings.bed_where or "bed")


def list_voices() -> list[EngineInfo]:
    """Every registered speech engine, whether it is installed, and its voices."""
    from . import engines

    auto = engines.resolve(engines.AUTO)
    out = []
    for name, installed, detail in engines.describe():
        if not installed:
            out.append(EngineInfo(name, False, name == auto, missing=str(detail)))
            continue
        default = engines.get(name).default_voice()
        voices = tuple(VoiceInfo(v.name, v.description, v.name == default) for v in detail)  # type: ignore[union-attr]
        out.append(EngineInfo(name, True, name == auto, voices))
    return out


def cache_info() -> CacheInfo:
    """Where the speech cache is, how many lines it holds, and their size."""
    from .cache import SpeechCache

    return CacheInfo(*SpeechCache().info())


def clear_cache() -> int:
    """Delete every cached line of speech; how many were removed."""
    from .cache import SpeechCache

    return SpeechCache().clear()



def serve(
    *,
    port: int = 8765,
    lan: bool = False,
    open_browser: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run the web page (``audioguide serve``) until interrupted: see ``audioguide.web``.

    It listens on 127.0.0.1:``port`` (0 picks a free port), or with ``lan`` on
    every interface behind a random access token; ``announce`` hears the
    lines to show the person who started it (the address, a QR code in
    text). ``data_dir`` holds uploads, presets and sessions (default:
    ``AUDIOGUIDE_DATA_DIR`` or the platform's user data folder). Raises
    ``ServeError`` (exit 1) when the port is taken, and its ``DataFolderError``
    (exit 2, bad input) when the folder is not a folder or cannot be written.
    The web package imports Starlette, uvicorn and Jinja2 only here.
    """
    try:
        from .web.server import run
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in WEB_MODULES:
            raise
        raise ServeError(f"the web page needs the web extra ({missing} is missing): "
                         "pip install 'audioguide[web]' (./scripts/setup installs it)") from None
    run(port=port, lan=lan, open_browser=open_browser, data_dir=data_dir, announce=announce)
