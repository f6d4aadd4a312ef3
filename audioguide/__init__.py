"""audioguide: voice-first, hands-free guides for routines like a self foot massage.

The public API is the pipeline, one stage per module (imports point down):

    routine.load_routine  ->  settings.resolve  ->  compiler.compile_script  ->
    synth.Synthesizer  ->  mixer.mix  ->  exporter.export / player.play
"""

__version__ = "0.1.0"

from .compiler import compile_script  # noqa: E402
from .errors import AudioguideError  # noqa: E402
from .routine import load_routine  # noqa: E402
from .settings import resolve as resolve_settings  # noqa: E402

__all__ = ["AudioguideError", "compile_script", "load_routine", "resolve_settings", "__version__"]
