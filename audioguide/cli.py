"""The command line. It knows the stages; no stage knows it.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 2 bad usage or bad
input, 1 a failure at run time, 130 interrupted. Errors are one line; set
AUDIOGUIDE_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable

import click

from pathlib import Path

from . import __version__
from .compiler import compile_script
from .errors import AudioguideError
from .routine import Routine, load_routine
from .script import fmt_clock
from .settings import PACES, Settings, resolve, timings_yaml

ROUTINE_HELP = "A routine file, or a bundled routine's name (default: foot-massage)."


def session_options(command: Callable) -> Callable:
    """ROUTINE plus every option that shapes a session's timing."""
    decorators = [
        click.argument("routine", required=False, metavar="[ROUTINE]"),
        click.option("--timings", "timings", type=click.Path(dir_okay=False), metavar="FILE",
                     help="A timings YAML file (see: audioguide timings)."),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Change one setting or option; repeatable; wins over --timings."),
        click.option("--pace", metavar="slow|normal|fast|FACTOR",
                     help=f"Speech and pauses together ({', '.join(f'{k}={v:g}' for k, v in PACES.items())})."),
        click.option("--length", metavar="MINUTES",
                     help="Fit the session to this length by stretching or shrinking only the pauses."),
        click.option("--position", metavar="chair|floor", help="Sit on a chair or on the floor."),
        click.option("--first-foot", "first_foot", metavar="left|right", help="Which foot to start with."),
        click.option("--feet", metavar="both|left|right", help="Massage both feet or only one."),
        click.option("--chimes", type=click.Choice(["on", "off"]), default=None,
                     help="Sounds between steps (off speaks the cues instead)."),
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


def load_session(
    routine: str | None, timings: str | None, sets: tuple[str, ...], pace: str | None, length: str | None,
    position: str | None, first_foot: str | None, feet: str | None, chimes: str | None,
) -> tuple[Routine, Settings]:
    loaded = load_routine(routine)
    flags = {"position": position, "first_foot": first_foot, "feet": feet}
    for name, value in flags.items():
        if value is not None and name not in loaded.options:
            raise click.UsageError(f"--{name.replace('_', '-')}: routine {loaded.name!r} has no such option")
    settings = resolve(
        loaded, timings=timings, sets=sets, pace=pace, length=length, options=flags,
        chimes=None if chimes is None else chimes == "on",
    )
    return loaded, settings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="audioguide")
def cli() -> None:
    """Hands-free audio guides: a routine becomes a timed, spoken session.

    \b
    Start here:
      audioguide script              the timed narration of the foot massage
      audioguide timings > my.yaml   every timing you can change, as a file
      audioguide script --timings my.yaml --pace slow
    """


@cli.command()
@session_options
@click.option("--json", "as_json", is_flag=True, help="Print the script as JSON (format audioguide.script/1).")
def script(as_json: bool, **session: Any) -> None:
    """Print the timed narration script: time, chapter and cue, one line each."""
    routine, settings = load_session(**session)
    compiled = compile_script(routine, settings)
    click.echo(compiled.dumps() if as_json else compiled.render_table(), nl=False)


@cli.command()
@click.argument("routine", required=False, metavar="[ROUTINE]")
def timings(routine: str | None) -> None:
    """Print every setting with its default, range and description, as a --timings file."""
    click.echo(timings_yaml(load_routine(routine)), nl=False)


@cli.command()
def routines() -> None:
    """List the bundled routines: name, title, length at the defaults (estimated) and chapters."""
    import textwrap

    from .library import bundled

    summaries = bundled()
    name_width = max(len(s.name) for s in summaries)
    title_width = max(len(s.title) for s in summaries)
    for s in summaries:
        click.echo(f"{s.name:<{name_width}}  {s.title:<{title_width}}  about {fmt_clock(s.total_ms)}")
        chapters = " · ".join(c.replace(" ", "\u00a0") for c in s.chapters)  # wrap between chapters only
        click.echo(textwrap.fill(chapters, width=96, initial_indent="    ", subsequent_indent="    ").replace("\u00a0", " "))


def check_bitrate(value: str) -> str:
    match = re.fullmatch(r"(\d+)k", value)
    if not match or not 32 <= int(match.group(1)) <= 320:
        raise click.BadParameter(f"must be like 64k, from 32k to 320k; got {value!r}")
    return value


def voice_options(command: Callable) -> Callable:
    """--engine and --voice."""
    command = click.option("--voice", metavar="NAME", help="A voice of the engine (see: audioguide voices).")(command)
    return click.option("--engine", default="auto", show_default=True, metavar="auto|piper|pyttsx3",
                        help="Speech engine; auto uses piper when installed, else pyttsx3.")(command)


@cli.command()
@session_options
@voice_options
@click.option("-o", "--output", type=click.Path(), metavar="PATH",
              help="Where to write (default: build/ROUTINE.mp3); sidecars .vtt and .json go beside it.")
@click.option("--format", "fmt", type=click.Choice(["mp3", "m4b", "ogg", "wav"]), help="Default: from the suffix.")
@click.option("--bitrate", default="64k", show_default=True, callback=lambda _c, _p, v: check_bitrate(v),
              help="For mp3, m4b and ogg: 32k..320k (speech is clear at 64k mono).")
def export(engine: str, voice: str | None, output: str | None, fmt: str | None, bitrate: str, **session_args: Any) -> None:
    """Speak, stitch and write one audio file with chapters, plus a transcript (.vtt) and timeline (.json)."""
    from . import session
    from .exporter import Metadata, check_output, export as write
    from .synth import make_synthesizer

    routine, settings = load_session(**session_args)
    path = Path(output) if output else Path("build") / f"{routine.name}.{fmt or 'mp3'}"
    check_output(path, fmt)  # a bad path or a missing ffmpeg costs nothing
    synth = make_synthesizer(engine, voice, settings.pace)
    timeline = session.build_timeline(routine, settings, synth)
    meta = Metadata(title=routine.title, artist=routine.artist, album="audioguide", comment=routine.description)
    written = write(timeline, path, fmt=fmt, meta=meta, bitrate=bitrate)
    for p in written:
        click.echo(p)
    minutes, seconds = divmod(round(timeline.duration_ms / 1000), 60)
    click.echo(f"{routine.title}: {minutes}:{seconds:02d}, {len(timeline.script.chapters())} chapters, "
               f"voice {synth.engine.name}/{synth.voice}, {synth.engine_calls} lines synthesized, "
               f"{synth.cache_hits} from cache", err=True)


@cli.command()
@session_options
@voice_options
@click.option("--start-at", "start_at", metavar="CHAPTER",
              help="Start at this chapter: its number (1 is the first), its title (any case) or a unique prefix.")
def play(engine: str, voice: str | None, start_at: str | None, **session_args: Any) -> None:
    """Play the session live: speech, exact pauses and chimes, starting within about a second.

    \b
    Keys, when run in a terminal:
      space  pause / resume where it stopped     r      repeat the last instruction
      n      next step                            + / -  volume up / down (3 dB)
      b      back to the start of this step       q      quit
             (twice within 2 s: the previous step)
    Later lines are spoken in the background while earlier ones play. With
    --length every line is prepared first (fitting needs all of their lengths).
    The sound is exactly what `audioguide export` writes for the same options.
    """
    # Not `session` (it imports the mixer and numpy): the player starts the
    # engine first and imports those on its feed thread while the voice loads.
    from . import player
    from .synth import make_synthesizer

    routine, settings = load_session(**session_args)
    chapter = None
    if start_at is not None:
        titles = [c.title for c in compile_script(routine, settings).chapters()]
        try:
            chapter = player.pick_chapter(titles, start_at)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--start-at'") from None
    synth = make_synthesizer(engine, voice, settings.pace)  # an unknown engine fails here (exit 2)
    player.check_device()  # before any synthesis: no sound card should cost nothing
    player.play(routine, settings, synth, start_chapter=chapter)


@cli.command()
def voices() -> None:
    """List speech engines, their voices, and whether each is installed."""
    from . import engines

    default = engines.resolve(engines.AUTO)
    for name, installed, detail in engines.describe():
        mark = " (auto)" if name == default else ""
        if not installed:
            click.echo(f"{name}{mark}: not installed: {detail}")
            continue
        engine = engines.get(name)
        click.echo(f"{name}{mark}: installed")
        for v in detail:
            star = "*" if v.name == engine.default_voice() else " "
            state = "" if v.installed else "  [not installed]"
            click.echo(f"  {star} {v.name}  {v.description}{state}")


@cli.group()
def cache() -> None:
    """The on-disk speech cache (AUDIOGUIDE_CACHE_DIR overrides where it lives)."""


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, how many lines it holds, and its size."""
    from .cache import SpeechCache

    path, entries, size = SpeechCache().info()
    click.echo(f"path: {path}\nentries: {entries}\nsize: {size / 1e6:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached line of speech."""
    from .cache import SpeechCache

    removed = SpeechCache().clear()
    click.echo(f"removed {removed} entries")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one line and an exit code."""
    debug = bool(os.environ.get("AUDIOGUIDE_DEBUG"))
    try:
        code = cli.main(args=argv, prog_name="audioguide", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("audioguide: interrupted", err=True)
        code = 130
    except KeyboardInterrupt:
        click.echo("\naudioguide: interrupted", err=True)
        code = 130
    except click.UsageError as exc:
        # One line, like every other bad input, with where to look for help.
        where = exc.ctx.command_path if exc.ctx else "audioguide"
        click.echo(f"audioguide: error: {exc.format_message()} (see: {where} --help)", err=True)
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except AudioguideError as exc:
        if debug:
            raise
        click.echo(f"audioguide: error: {exc}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        # `audioguide script | head`: the reader left; that is not our failure.
        sys.stderr.close()
        code = 0
    except Exception as exc:  # the last line of defence: never a traceback for users
        if debug:
            raise
        click.echo(f"audioguide: internal error: {type(exc).__name__}: {exc} "
                   "(AUDIOGUIDE_DEBUG=1 shows the traceback)", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)

