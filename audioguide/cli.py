"""The command line. It knows the stages; no stage knows it.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 2 bad usage or bad
input, 1 a failure at run time, 130 interrupted. Errors are one line; set
AUDIOGUIDE_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import click

from . import __version__
from .compiler import compile_script
from .errors import AudioguideError
from .routine import Routine, bundled_names, load_routine
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
    """List the bundled routines."""
    for name in bundled_names():
        loaded = load_routine(name)
        click.echo(f"{name}\t{loaded.title}")


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

