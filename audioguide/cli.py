"""The command line: flags -> public API calls -> stdout; errors -> exit codes.

It imports only the public API (``audioguide``) and click. Data goes to
stdout, messages to stderr. Exit codes: 0 ok, 2 bad usage or bad input, 1 a
failure at run time, 130 interrupted, 128 + the signal's number for SIGTERM
(143) and SIGHUP (129). Errors are one line; set AUDIOGUIDE_DEBUG=1 to see
tracebacks. Process signals are handled here, at the edge: SIGTERM and SIGHUP
end every command like Ctrl-C (temporary files removed, sound stopped, the
terminal restored), Ctrl-Z suspends a live session.
"""

from __future__ import annotations

import errno
import os
import queue
import signal
import sys
from typing import Any, Callable

import click

import audioguide as ag


ROUTINE_META = "audioguide.routine"
#: What to give instead of nothing, where the metavar does not say it well enough.
GIVE = {"routine": "a routine's name (audioguide routines lists them), its file, or -",
        "guide": "the guide's file, or - for standard input",
        "mic": "a capture device (arecord -L lists them; 'default' is ALSA's default)"}


def got_nothing(ctx: click.Context, param: click.Parameter) -> click.UsageError:
    """``--pace: got nothing; give slow|normal|fast|FACTOR, or leave --pace out``: an empty value, one line."""
    give = GIVE.get(param.name or "")
    if isinstance(param, click.Argument):
        name = (param.name or "").upper()
        return click.UsageError(f"{name}: got nothing; give {give or name}", ctx=ctx)
    flag = max(param.opts, key=len)
    metavar = param.make_metavar(ctx)
    if metavar.startswith("[") and metavar.endswith("]"):  # click's [on|off] for a choice: said plainly
        metavar = metavar[1:-1]
    return click.UsageError(f"{flag}: got nothing; give {give or metavar}, or leave {flag} out", ctx=ctx)


def blank(value: object) -> bool:
    """Whether a value as typed is nothing: empty or only blanks (``--length "  "``)."""
    return isinstance(value, str) and not value.strip()


class Command(click.Command):
    """A command that refuses an empty or blank value for any option or argument (``--timings ''``,
    ``--length "  "``) before anything reads it: it would otherwise mean the current folder, the
    default routine or no length."""

    #: Left to the output-path handling, which has its own rules for an empty path.
    UNCHECKED = ("output",)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:  # a first look at the raw texts; any other mistake is the real parse's to report
            raw, _, _ = self.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:
            raw = {}
        for param in self.get_params(ctx):
            value = raw.get(param.name) if param.name not in self.UNCHECKED else None
            if blank(value) or (isinstance(value, (list, tuple)) and any(map(blank, value))):
                raise got_nothing(ctx, param)
        return super().parse_args(ctx, args)


class Group(click.Group):
    """The command group: its commands refuse empty values (``Command``)."""

    command_class = Command


class RoutineCommand(Command):
    """A session command whose flags include the routine's own options.

    The routine (the first argument, default foot-massage) is read before the
    flags are parsed, so that each of its options becomes a flag
    (``--first-hand left`` for ``first_hand``) and ``--help`` lists them with
    the routine's settings. An option whose flag would clash with a command's
    own flag stays reachable with ``--set NAME=VALUE``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ref = self.peek_routine(ctx, args)
        if blank(ref):  # not the default routine
            raise got_nothing(ctx, next(p for p in self.params if p.name == "routine"))
        wants_help = any(a in ctx.help_option_names for a in args)
        try:
            routine = ag.load_routine(ref)
        except ag.AudioguideError:
            if not wants_help:
                raise
            routine = None  # a broken routine still gets the command's help
        ctx.meta[ROUTINE_META] = routine
        ctx.meta[ROUTINE_META + ".params"] = self.routine_params(ctx, routine)
        if ref is not None:
            ctx.meta[ROUTINE_META + ".help"] = f"{ctx.command_path} {ref} --help"
        choices = routine.options["help"].choices if routine is not None and "help" in routine.options else ()
        for flag, value in zip(args, args[1:]):
            if flag in ctx.help_option_names and value in choices:  # click would print the help and drop the value
                raise click.UsageError(f"{flag} {value}: {flag} is the command's own flag; the routine's option "
                                       f"help is set with --set help={value}", ctx=ctx)
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            elsewhere = [name for name, command in sorted(cli.commands.items())
                         if any(exc.option_name in p.opts for p in command.params if isinstance(p, click.Option))]
            if elsewhere:  # `script --bed brown`: a flag of other commands, not a routine option gone missing
                raise click.UsageError(f"no such option: {exc.option_name} for {ctx.info_name}; it is an option of "
                                       f"{' and '.join(elsewhere)}", ctx=ctx) from None
            if routine is None:
                raise
            flags = [p.opts[0] for p in ctx.meta[ROUTINE_META + ".params"]]
            own = f"its options are {', '.join(flags)}" if flags else "it has no options"
            raise click.UsageError(f"no such option: {exc.option_name} for routine {routine.name!r} ({own})",
                                   ctx=ctx) from None

    def peek_routine(self, ctx: click.Context, args: list[str]) -> str | None:
        """The ROUTINE argument among ``args``: the first word that is neither a flag nor a flag's value."""
        takes_value = {o: not (p.is_flag or p.count) for p in self.params if isinstance(p, click.Option)
                       for o in p.opts + p.secondary_opts}
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                return args[i + 1] if i + 1 < len(args) else None
            if not arg.startswith("-") or arg == "-":
                return arg
            attached = "=" in arg or (not arg.startswith("--") and len(arg) > 2)  # --pace=slow, -oFILE
            # a flag not known yet is the routine's, and every routine option takes a value
            # (unless a flag follows: then it is a mistake the parser will name)
            value_follows = i + 1 < len(args) and not args[i + 1].startswith("-")
            known = arg in ctx.help_option_names or not takes_value.get(arg, value_follows)
            i += 1 if attached or known else 2
        return None

    def routine_params(self, ctx: click.Context, routine: ag.Routine | None) -> list[click.Option]:
        """A flag for each of the routine's options but those whose flag or name the command has
        (``--output``, and ``--help``, which click would answer first): those are ``--set`` only."""
        if routine is None:
            return []
        taken = {o for p in self.params for o in getattr(p, "opts", [])} | {p.name for p in self.params}
        taken |= {*ctx.help_option_names, "help"}
        out = []
        for name, spec in routine.options.items():
            flag = "--" + name.replace("_", "-")
            if flag in taken or name in taken:
                continue
            help_text = f"{spec.help} (default: {spec.default})".strip()
            out.append(click.Option([flag, name], metavar="|".join(spec.choices), help=help_text))
        return out

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = [*self.params, *ctx.meta.get(ROUTINE_META + ".params", [])]
        help_option = self.get_help_option(ctx)
        return params + [help_option] if help_option is not None else params

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        own = ctx.meta.get(ROUTINE_META + ".params", [])
        routine = ctx.meta.get(ROUTINE_META)
        records = [p.get_help_record(ctx) for p in self.get_params(ctx)
                   if p not in own and not isinstance(p, click.Argument)]
        with formatter.section("Options"):
            formatter.write_dl([r for r in records if r])
        if routine is None:
            return
        flagged = {p.name for p in own}
        unflagged = [(f"--set {name}={'|'.join(spec.choices)}", f"{spec.help} (default: {spec.default}; no flag: "
                      f"--{name.replace('_', '-')} is the command's own)".strip())
                     for name, spec in routine.options.items() if name not in flagged]
        if own or unflagged:
            with formatter.section(f"Options of {routine.name} (or --set NAME=VALUE)"):
                formatter.write_dl([p.get_help_record(ctx) for p in own] + unflagged)
        if routine.settings:
            with formatter.section(f"Settings of {routine.name} (--set NAME=VALUE, or a --timings file)"):
                formatter.write_dl([(name, spec.describe()) for name, spec in routine.settings.items()])


def session_options(command: Callable) -> Callable:
    """ROUTINE plus every option that shapes a session's timing (the routine's own come from RoutineCommand)."""
    decorators = [
        click.argument("routine", required=False, metavar="[ROUTINE]"),
        click.option("--timings", "timings", type=click.Path(dir_okay=False), metavar="FILE",
                     help="A timings YAML file (see: audioguide timings)."),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Change one setting or option; repeatable; wins over --timings."),
        click.option("--pace", metavar="slow|normal|fast|FACTOR",
                     help=f"Speech and pauses together ({', '.join(f'{k}={v:g}' for k, v in ag.PACES.items())}, "
                          f"or any factor {ag.PACE_RANGE[0]:g}-{ag.PACE_RANGE[1]:g})."),
        click.option("--length", metavar="MINUTES",
                     help="Fit the session to this length by stretching or shrinking only the pauses."),
        click.option("--chimes", type=click.Choice(["on", "off"]), default=None,
                     help="Sounds between steps (off speaks the cues instead)."),
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


def bed_options(command: Callable) -> Callable:
    """--bed and --bed-volume (export and play: the commands that make sound)."""
    command = click.option("--bed-volume", "bed_volume", metavar="DB",
                           help="The bed's level in the pauses, in dB relative to the voice (-40..-6; default -18)."
                           )(command)
    return click.option("--bed", metavar="NAME|FILE",
                        help=f"A soft sound under the session, lower while the guide speaks: "
                             f"{', '.join(ag.BED_NAMES)}, an audio file, or none.")(command)


def load_session(
    routine: str | None, timings: str | None, sets: tuple[str, ...], pace: str | None, length: str | None,
    chimes: str | None, bed: str | None = None, bed_volume: str | None = None, **options: str | None,
) -> tuple[ag.Routine, ag.Settings]:
    """The routine RoutineCommand read, and its settings from every flag (``options``: the routine's own)."""
    loaded = click.get_current_context().meta.get(ROUTINE_META) or ag.load_routine(routine)
    settings = ag.resolve_settings(
        loaded, timings=timings, sets=sets, pace=pace, length=length, options=options,
        chimes=None if chimes is None else chimes == "on", bed=bed, bed_volume=bed_volume,
    )
    if bed_volume is not None and settings.bed is None:  # a level asked for and nothing to set it on: say so
        click.echo(f"audioguide: note: --bed-volume {bed_volume} has no effect without a bed "
                   f"(--bed {'|'.join(ag.BED_NAMES)}|FILE)", err=True)
    return loaded, settings


class ProgressBars:
    """Draws the API's progress events as click progress bars on a terminal's stderr; silent elsewhere."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._bar: Any = None
        self._unit = ""

    def __call__(self, event: ag.Progress) -> None:
        if not self.tty:
            return
        if self._bar is None or event.unit != self._unit:
            self.close()
            self._unit = event.unit
            self._bar = click.progressbar(length=event.total, label=event.stage, file=sys.stderr,
                                          show_pos=True, width=24)
            self._bar.__enter__()
        self._bar.label = event.stage
        self._bar.update(event.done - self._bar.pos)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(ag.__version__, "-V", "--version", prog_name="audioguide")
def cli() -> None:
    """Hands-free audio guides: a routine becomes a timed, spoken session.

    \b
    Start here:
      audioguide script              the timed narration of the foot massage
      audioguide timings > my.yaml   every timing you can change, as a file
      audioguide script --timings my.yaml --pace slow
    """


def voice_options(command: Callable) -> Callable:
    """--engine and --voice."""
    command = click.option("--voice", metavar="NAME", help="A voice of the engine (see: audioguide voices).")(command)
    return click.option("--engine", default="auto", show_default=True, metavar="auto|piper|pyttsx3",
                        help="Speech engine; auto uses piper when installed, else pyttsx3.")(command)


@cli.command(cls=RoutineCommand)
@session_options
@voice_options
@click.option("--json", "as_json", is_flag=True, help="Print the script as JSON (format audioguide.script/1).")
@click.option("--spoken", is_flag=True, help="Show each line as the voice will say it (numbers, units, shorthand in words).")
def script(engine: str, voice: str | None, as_json: bool, spoken: bool, **session: Any) -> None:
    """Print the timed narration script: time, chapter and cue, one line each.

    The timing is measured when every line is in the speech cache for the
    engine and voice (after an export or a play with the same options), else
    estimated from the text; the first line (or "timing" in JSON) says which.
    Nothing is synthesized.
    """
    routine, settings = load_session(**session)
    compiled = ag.script_session(routine, settings, engine=engine, voice=voice)
    click.echo(compiled.dumps() if as_json else compiled.render_table(spoken=spoken), nl=False)


@cli.command()
@click.argument("routine", required=False, metavar="[ROUTINE]")
def check(routine: str | None) -> None:
    """Check a routine: warn where an instruction leaves too little time to do it, or text may be read literally.

    \b
    Each warning is one line on stdout: FILE:LINE: STEP: what, then how many.
    Exit 0 with or without warnings; 2 if the routine does not load or compile.
    """
    findings = ag.check_routine(routine)
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} warning{'' if len(findings) == 1 else 's'}" if findings else "no warnings")


@cli.command()
@click.argument("routine", required=False, metavar="[ROUTINE]")
def timings(routine: str | None) -> None:
    """Print every setting with its default, range and description, as a --timings file."""
    click.echo(ag.timings_text(ag.load_routine(routine)), nl=False)


@cli.command()
def routines() -> None:
    """List the bundled routines: name, title, length at the defaults (estimated) and chapters."""
    import textwrap

    summaries = ag.list_routines()
    name_width = max(len(s.name) for s in summaries)
    title_width = max(len(s.title) for s in summaries)
    for s in summaries:
        click.echo(f"{s.name:<{name_width}}  {s.title:<{title_width}}  about {ag.fmt_clock(s.total_ms)}")
        chapters = " · ".join(c.replace(" ", "\u00a0") for c in s.chapters)  # wrap between chapters only
        click.echo(textwrap.fill(chapters, width=96, initial_indent="    ", subsequent_indent="    ").replace("\u00a0", " "))


@cli.command()
@click.argument("guide", metavar="GUIDE")
@click.option("-o", "--output", type=click.Path(), metavar="PATH",
              help="Write the routine here (atomically) instead of printing it.")
@click.option("--force", is_flag=True, help="Replace PATH if it already exists (otherwise: refused, exit 2).")
def draft(guide: str, output: str | None, force: bool) -> None:
    """Draft a routine from a plain-text how-to (a file, or - for stdin).

    \b
    Headings become chapters, counts repeats, durations holds, "the other
    leg" a per-side block, "sit ... or lie ..." an option. Each guess is
    marked with a "# CHECK:" comment. Then:
      audioguide script ROUTINE.yaml
    """
    from pathlib import Path

    if guide == "-" and sys.stdin is None:  # started with standard input closed (`<&-`)
        raise click.UsageError("standard input is closed: give the guide's file instead of -")
    source = click.get_binary_stream("stdin") if guide == "-" else Path(guide)
    text = ag.draft_routine(source, display="stdin" if guide == "-" else guide)
    if output is None:
        click.echo(text, nl=False)
        return
    # standard input redirected from a file is that file: "draft - -o g.txt --force < g.txt" would replace it
    path = ag.save_draft(text, output, force=force, guide="/proc/self/fd/0" if guide == "-" else guide)
    checks = text.count("# CHECK:")
    click.echo(f"wrote {path}: {checks} CHECK comment{'s' * (checks != 1)} to read; then: audioguide script {path}",
               err=True)


def bitrate_help() -> str:
    """--bitrate's help: each format's range, from ``ag.BITRATES``."""
    ranges = "; ".join(f"{fmt} {allowed.describe()}" for fmt, allowed in ag.BITRATES.items())
    return (f"{ranges}; wav takes none (default {ag.DEFAULT_BITRATE}). For AAC and Vorbis it is a target: pauses "
            "take far less; the summary line gives the file's measured bitrate.")


def bitrate_summary(result: ag.ExportResult) -> str:
    """``, mp3 at 64 kbps`` or, where the figure is not constant, what was measured against what was asked."""
    if result.measured_bps is None:
        return ""
    suffix = result.paths[0].suffix.lower().lstrip(".")
    container = suffix if suffix in (*ag.FORMATS, "m4a") else result.format  # the name asked for: m4a, not m4b
    text = f", {container} at {round(result.measured_bps / 100) / 10:g} kbps"
    allowed = ag.BITRATES.get(result.format)
    if allowed is not None and not allowed.constant:
        text += f" measured ({result.bitrate} asked: a target for {allowed.codec}, not a constant)"
    return text


@cli.command(cls=RoutineCommand)
@session_options
@voice_options
@bed_options
@click.option("-o", "--output", type=click.Path(), metavar="PATH",
              help="Where to write (default: build/ROUTINE.mp3); sidecars .vtt and .json go beside it.")
@click.option("--format", "fmt", type=click.Choice(ag.FORMATS), help="Default: from the suffix.")
@click.option("--bitrate", metavar="KBPS", help=bitrate_help())
def export(engine: str, voice: str | None, output: str | None, fmt: str | None, bitrate: str | None,
           **session_args: Any) -> None:
    """Speak, stitch and write one audio file with chapters, plus a transcript (.vtt) and timeline (.json)."""
    routine, settings = load_session(**session_args)
    bars = ProgressBars()
    try:
        result = ag.export_session(routine, settings, output, fmt=fmt, bitrate=bitrate, engine=engine, voice=voice,
                                   progress=bars)
    finally:
        bars.close()
    for path in result.paths:
        click.echo(path)
    chapters, spoken = len(result.chapters), result.lines_synthesized
    click.echo(f"{result.title}: {ag.fmt_clock(result.duration_ms)}, {chapters} chapter{'s' * (chapters != 1)}, "
               f"voice {result.voice}, {spoken} line{'s' * (spoken != 1)} synthesized, "
               f"{result.lines_from_cache} from cache{bitrate_summary(result)}", err=True)


@cli.command(cls=RoutineCommand)
@session_options
@voice_options
@bed_options
@click.option("--start-at", "start_at", metavar="CHAPTER",
              help="Start at this chapter: its number (1 is the first), its title (any case), or words "
                   "from its title (\"left foot\": the first of the chapters in a row that match).")
@click.option("--any-key", "any_key", is_flag=True, help="Every key pauses and resumes (a big target; Ctrl-C quits).")
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="What each key does (default: keys.yaml in the config directory, if there is one).")
@click.option("--listen", is_flag=True, help="Voice commands: listen on the microphone for the phrases.")
@click.option("--mic", metavar="DEVICE", help="The ALSA capture device to listen on (default: ALSA's default; "
                                              "implies --listen).")
@click.option("--phrases", "phrases_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Voice phrases and sensitivity (default: voice.yaml in the config directory; implies --listen).")
@click.option("--sensitivity", metavar="0..1",
              help="How readily a phrase is heard: 0 fewest false triggers, 1 catches the most (default 0.5; "
                   "implies --listen).")
def play(engine: str, voice: str | None, start_at: str | None, any_key: bool, keys_file: str | None, listen: bool,
         mic: str | None, phrases_file: str | None, sensitivity: str | None, **session_args: Any) -> None:
    """Play the session live: speech, exact pauses and chimes, starting within about a second.

    \b
    Keys, when run in a terminal:
      space  pause / resume where it stopped     r      repeat the last instruction
      n      next step                            + / -  volume up / down (3 dB)
      b      back to the start of this step       q      quit
             (twice within 2 s: the previous step)  any other key: go on
    Media keys and headset buttons work through MPRIS (the D-Bus session bus).
    With --listen, say "pause now", "carry on", "next step", "go back",
    "say again" or "stop the guide" in the guide's pauses.
    Later lines are spoken in the background while earlier ones play. With
    --length every line is prepared first (fitting needs all of their lengths).
    The sound is exactly what `audioguide export` writes for the same options.
    """
    routine, settings = load_session(**session_args)
    commands: queue.SimpleQueue = queue.SimpleQueue()
    bars = ProgressBars()
    handlers: dict[int, Any] = {}  # SIGTERM and SIGHUP are main()'s, as for every command
    try:
        if hasattr(signal, "SIGTSTP") and sys.stdin.isatty():
            handlers[signal.SIGTSTP] = signal.signal(
                signal.SIGTSTP, lambda *_: commands.put(ag.Command("suspend", "signal")))
        ag.play_session(routine, settings, engine=engine, voice=voice, start_at=start_at, commands=commands,
                        progress=bars, keys=keys_file, any_key=any_key, listen=listen, mic=mic,
                        phrases=phrases_file, sensitivity=sensitivity)
    finally:
        bars.close()
        for sig, old in handlers.items():
            signal.signal(sig, old)


@cli.command()
def voices() -> None:
    """List speech engines, their voices, and whether each is installed."""
    for engine in ag.list_voices():
        mark = " (auto)" if engine.auto else ""
        if not engine.installed:
            click.echo(f"{engine.name}{mark}: not installed: {engine.missing}")
            continue
        click.echo(f"{engine.name}{mark}: installed")
        for v in engine.voices:
            click.echo(f"  {'*' if v.default else ' '} {v.name}  {v.description}")


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, metavar="PORT",
              help="The port to listen on (0 picks a free one).")
@click.option("--lan", is_flag=True,
              help="Also serve phones and computers on the local network, behind a random access code "
                   "carried by the link and the QR code it prints.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in this computer's web browser.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where uploads, presets and made sessions live "
                   "(default: AUDIOGUIDE_DATA_DIR, else ~/.local/share/audioguide).")
def serve(port: int, lan: bool, open_browser: bool, data_dir: str | None) -> None:
    """A web page to pick a routine, set its timings, make the session, listen and download it.

    \b
    On this computer only (127.0.0.1), unless --lan; Ctrl-C stops it.
      audioguide serve --open      then use the page in the browser
      audioguide serve --lan       a phone scans the printed QR code
    """
    ag.serve(port=port, lan=lan, open_browser=open_browser, data_dir=data_dir,
             announce=lambda line: click.echo(line, err=True))


@cli.group()
def cache() -> None:
    """The on-disk speech cache (AUDIOGUIDE_CACHE_DIR overrides where it lives)."""


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, how many lines it holds, and its size."""
    info = ag.cache_info()
    click.echo(f"path: {info.path}\nentries: {info.entries}\nsize: {info.size_bytes / 1e6:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached line of speech."""
    click.echo(f"removed {ag.clear_cache()} entries")


#: Write errors that standard output may meet (a full disk, a quota, a device error, a file too big).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one line and an exit code."""
    debug = bool(os.environ.get("AUDIOGUIDE_DEBUG"))
    if sys.stdout is None:  # started with standard output closed (`>&-`): what it prints would vanish
        click.echo("audioguide: error: standard output is closed; to discard what audioguide prints, "
                   "send it to /dev/null (>/dev/null)", err=True)
        sys.exit(2)
    restore = ag.on_stop_signals()
    try:
        code = cli.main(args=argv, prog_name="audioguide", standalone_mode=False)
        sys.stdout.flush()  # a full disk behind `> file` shows here, not at exit
    except ag.Stopped as exc:
        # On a terminal, off the line a status or progress bar may have left (as Ctrl-C's newline does).
        fresh_line = "\n" if sys.stderr is not None and sys.stderr.isatty() else ""
        try:
            click.echo(f"{fresh_line}audioguide: stopped by {signal.Signals(exc.signum).name}", err=True)
        except OSError:
            pass  # SIGHUP: the terminal that would show it is gone
        code = exc.code
    except click.exceptions.Abort:
        click.echo("audioguide: interrupted", err=True)
        code = 130
    except KeyboardInterrupt:
        click.echo("\naudioguide: interrupted", err=True)
        code = 130
    except click.UsageError as exc:
        # One line, like every other bad input, with where to look for help.
        where = (exc.ctx.meta.get(ROUTINE_META + ".help") or f"{exc.ctx.command_path} --help") if exc.ctx else \
            "audioguide --help"
        click.echo(f"audioguide: error: {exc.format_message()} (see: {where})", err=True)
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except ag.AudioguideError as exc:
        if debug:
            raise
        click.echo(f"audioguide: error: {exc}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        # `audioguide script | head`: the reader left; that is not our failure.
        sys.stderr.close()
        code = 0
    except OSError as exc:
        if debug or exc.filename is not None or exc.errno not in _OUTPUT_ERRNOS:
            raise
        # Our own files are named in our errors; a nameless write error is standard output's (`> /dev/full`).
        click.echo(f"audioguide: error: cannot write to standard output: {exc.strerror}", err=True)
        sys.stdout = None  # what is left in its buffer cannot be written either: do not try again at exit
        code = 1
    except Exception as exc:  # the last line of defence: never a traceback for users
        if debug:
            raise
        click.echo(f"audioguide: internal error: {type(exc).__name__}: {exc} "
                   "(AUDIOGUIDE_DEBUG=1 shows the traceback)", err=True)
        code = 1
    finally:
        restore()
    sys.exit(code if isinstance(code, int) else 0)
