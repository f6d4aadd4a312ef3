"""One base error for the whole package, one subclass per pipeline stage.

The CLI is the only place that turns these into exit codes: ``exit_code`` 2
means the user gave bad input (fix the file or the flag), 1 means something in
the environment failed at run time (missing engine, no sound device, full disk).
"""

from __future__ import annotations


class AudioguideError(Exception):
    """Base of every error audioguide raises on purpose; the message is one line for the user."""

    exit_code = 1


class BadInputError(AudioguideError):
    """The user's input is wrong: a routine, a timings file, a flag."""

    exit_code = 2


class RoutineError(BadInputError):
    """A routine file cannot be loaded or does not validate."""


class GuideError(BadInputError):
    """A plain-text guide cannot be drafted into a routine (empty, binary, too big, no instructions)."""


class SettingsError(BadInputError):
    """A timing, option, pace or length value is unknown or out of range."""


class CompileError(BadInputError):
    """Routine + settings cannot make a script (for example an unreachable --length)."""


class EngineError(AudioguideError):
    """A speech engine is missing, broken, or failed on a text."""


class UnknownEngineError(EngineError):
    """The user named an engine or voice that does not exist."""

    exit_code = 2


class CacheError(AudioguideError):
    """The speech cache cannot be read or written."""


class MixError(AudioguideError):
    """Audio could not be stitched together."""


class ExportError(AudioguideError):
    """An output file could not be encoded or written."""


class OutputPathError(ExportError):
    """The output path given by the user cannot be used (a directory, unknown format)."""

    exit_code = 2


class BitrateError(ExportError):
    """The output format's encoder cannot make the bitrate asked (the message gives its range)."""

    exit_code = 2


class PlaybackError(AudioguideError):
    """Live playback failed (for example, no sound device)."""


class ServeError(AudioguideError):
    """The web page cannot be served (a port in use, an unusable data folder)."""


class DataFolderError(ServeError, BadInputError):
    """The web page's data folder (``--data``) is not a folder or cannot be written: bad input, exit 2."""

    exit_code = 2


class Cancelled(AudioguideError):
    """The caller asked long work (an export) to stop through its cancel token."""

    exit_code = 130


class ControlsError(BadInputError):
    """A control file (keys.yaml, voice.yaml) or a control flag (--sensitivity) is wrong."""
