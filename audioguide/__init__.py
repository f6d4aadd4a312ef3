"""audioguide: voice-first, hands-free guides for routines like a self foot massage.

The public API does what each command does (the CLI only parses flags, calls
these and turns errors into exit codes)::

    import audioguide as ag
    routine = ag.load_routine("foot-massage")
    settings = ag.resolve_settings(routine, sets=["tender_hold=20"], pace="slow")
    print(ag.compile_script(routine, settings).render_table())
    result = ag.export_session(routine, settings, "build/foot.m4b")
    ag.play_session(routine, settings, start_at="2")

Nothing here prints or exits. Errors are ``AudioguideError`` subclasses whose
``exit_code`` is 2 for bad input and 1 for failures at run time.
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402
    CacheInfo,
    EngineInfo,
    ExportResult,
    VoiceInfo,
    cache_info,
    clear_cache,
    default_output,
    export_session,
    list_routines,
    list_voices,
    play_session,
    script_session,
    serve,
    timings_text,
)
from .check import Finding, check_routine  # noqa: E402
from .compiler import compile_script  # noqa: E402
from .draft import draft_routine, save_draft  # noqa: E402
from .library import RoutineSummary  # noqa: E402
from .errors import AudioguideError, BadInputError, Cancelled, DataFolderError, GuideError, ServeError  # noqa: E402
from .formats import BITRATES, DEFAULT_BITRATE, FORMATS, WAV_KBPS  # noqa: E402
from .play.commands import ACTIONS, Command  # noqa: E402
from .presets import Preset, delete_preset, list_presets, load_preset, save_preset  # noqa: E402
from .progress import Progress  # noqa: E402
from .routine import Routine, load_routine, parse_routine  # noqa: E402
from .script import Script  # noqa: E402
from .settings import BED_NAMES, PACE_RANGE, PACES, Settings  # noqa: E402
from .settings import resolve as resolve_settings  # noqa: E402
from .slugs import slug  # noqa: E402
from .stop_signals import Stopped, on_stop_signals  # noqa: E402
from .text import fmt_clock, read_number  # noqa: E402

__all__ = [
    "ACTIONS",
    "BED_NAMES",
    "BITRATES",
    "DEFAULT_BITRATE",
    "FORMATS",
    "PACES",
    "PACE_RANGE",
    "AudioguideError",
    "BadInputError",
    "CacheInfo",
    "Cancelled",
    "Command",
    "DataFolderError",
    "EngineInfo",
    "Finding",
    "ExportResult",
    "GuideError",
    "Preset",
    "Progress",
    "Routine",
    "RoutineSummary",
    "Script",
    "ServeError",
    "Settings",
    "Stopped",
    "VoiceInfo",
    "WAV_KBPS",
    "__version__",
    "cache_info",
    "check_routine",
    "on_stop_signals",
    "clear_cache",
    "compile_script",
    "default_output",
    "delete_preset",
    "draft_routine",
    "export_session",
    "fmt_clock",
    "read_number",
    "list_presets",
    "list_routines",
    "list_voices",
    "load_preset",
    "load_routine",
    "parse_routine",
    "play_session",
    "resolve_settings",
    "save_draft",
    "save_preset",
    "script_session",
    "serve",
    "slug",
    "timings_text",
]
