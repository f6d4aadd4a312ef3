"""The sound bed: a soft background under a whole session, ducked while the guide speaks.

A bed is a loop (generated noise or drone, or the user's audio file) laid under
every sample of the session, at ``BedTrack.level_lufs`` in the pauses (the
voice's loudness plus ``--bed-volume``), lowered by the ducking depth under
speech, faded in over the first ``FADE_IN_MS`` and out over the last
``FADE_OUT_MS`` (the end bell).

Random access
-------------
The live player renders buffers from any position (after pause, next, back)
and the export renders the session in pieces; both must get the same samples.
So the bed at session sample ``n`` is a pure function of ``n`` and the cue
timeline: ``loop[n % len(loop)] * gain(n)``, where the gain comes from the cues
near ``n`` (``_Layer``) and from lookup tables indexed by whole sample offsets.
Every step is element-wise (table lookups, ``minimum``, products), so rendering
``[a, b)`` on its own gives exactly that span of a whole-session rendering.
The gain at ``n`` depends on cues up to ``LOOKAHEAD_MS`` after it (the hold
decision and the fade-out); ``BedTrack.ready`` says whether they are known.

Ducking rules (broadcast practice for voice over music): the bed starts down
``ATTACK_MS`` before each spoken cue, is at the full depth while it lasts,
comes back over ``RELEASE_MS``, and stays down through gaps shorter than
``HOLD_GAP_MS`` so pauses inside and between sentences do not pump. Chimes
duck it only as far as needed to stay ``CHIME_CLEARANCE_DB`` above it.
"""

from __future__ import annotations

import bisect
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import encoders, sounds
from .errors import MixError, SettingsError
from .files import check_source
from .loudness import TARGET_LUFS, limit, measure
from .pcm import FULL_SCALE, SAMPLE_RATE, ms_to_samples
from .script import CHIME_MS, Chime, Cue, Say
from .settings import BED_NAMES, Settings
from .text import did_you_mean

#: The bed reaches the ducking depth when speech starts, over this long (raised cosine in dB).
ATTACK_MS = 150
#: After speech ends, the bed comes back over this long.
RELEASE_MS = 500
#: Gaps between spoken cues shorter than this keep the bed down (commas,
#: sentences and counted beats inside one instruction do not pump).
HOLD_GAP_MS = 1500
#: Fade-in at the start of the session.
FADE_IN_MS = 3000
#: Fade-out over the end of the session: the end bell's length, so with chimes
#: on it fades with the bell (and with them off, under the closing words).
FADE_OUT_MS = CHIME_MS["end"]
#: Every chime stays at least this far above the bed under it (loudness over the chime)...
CHIME_CLEARANCE_DB = 10.0
#: ...counting the loudest 100 ms of the bed (``BedSound.swell_db``), plus this much
#: for the K-weighting a plain RMS leaves out (measured: under 0.6 dB on the generated beds).
CHIME_MARGIN_DB = 1.0
#: How far past a sample the cues must be known to compute the bed there.
LOOKAHEAD_MS = max(HOLD_GAP_MS, FADE_OUT_MS)

#: A bed file needs at least this much sound (after trimming silence at its ends).
MIN_FILE_S = 2.0
#: Longer files are cut to their first this many seconds (the loop), so memory stays small.
MAX_LOOP_S = 300
#: The crossfade that joins a file's end to its start: this long, or a quarter of the file.
LOOP_CROSSFADE_S = 3.0
#: Audio quieter than this (integrated, BS.1770's absolute gate) counts as silence.
SILENT_LUFS = -70.0
#: Longest span ``BedTrack.render`` computes at once (samples): keeps its temporary arrays small.
RENDER_CHUNK = 1 << 16
#: Leading and trailing audio below this (moving 10 ms RMS, dBFS) is trimmed off a file.
TRIM_DBFS = -60.0


@dataclass(frozen=True)
class BedSound:
    """A seamless loop at ``pcm.SAMPLE_RATE``, before any level or ducking."""

    name: str
    """A generated bed's name, or the file's path."""
    loop: np.ndarray
    """float32 mono, int16 scale, read-only: ``loop[-1]`` flows into ``loop[0]`` without a seam."""
    lufs: float
    """Integrated loudness (BS.1770) of the loop."""
    swell_db: float
    """How much louder (RMS) its loudest 100 ms are than the whole loop: what a chime must clear."""


# -- sources ----------------------------------------------------------------------------


def load(source: str, where: str) -> BedSound:
    """The bed ``source`` names: one of ``settings.BED_NAMES``, or an audio file's path.

    Files are decoded through pydub (ffmpeg for anything but WAV), mixed down to
    mono, resampled to the mix rate, trimmed of silence at both ends, cut to
    ``MAX_LOOP_S`` and looped with a crossfade. ``where`` names the setting in
    errors. Raises SettingsError (one line, exit 2) for a missing, unreadable,
    silent or too short file.
    """
    if source in BED_NAMES:
        return generated(source)
    # "--bed rain.mp3: no such file", "my.yaml:3: bed: rain.mp3: no such file"
    at = where if where.endswith(source) else f"{where}: {source}"
    path = Path(source).expanduser()
    if not path.exists():
        hint = did_you_mean(source.lower(), BED_NAMES) if "/" not in source and "." not in source else ""
        raise SettingsError(f"{at}: no such file; the generated beds are {', '.join(BED_NAMES)}{hint}")
    if path.is_dir():
        raise SettingsError(f"{at}: is a folder, not an audio file")
    check_source(path, at, SettingsError, "an audio file")  # ffmpeg would wait on a named pipe for ever
    x = _trim(_decode(path, at))
    if not x.any():
        raise SettingsError(f"{at}: is silent")
    if len(x) < MIN_FILE_S * SAMPLE_RATE:
        raise SettingsError(f"{at}: has {len(x) / SAMPLE_RATE:.1f} s of sound; a bed needs at least {MIN_FILE_S:g} s")
    loop = crossfade_loop(x[: MAX_LOOP_S * SAMPLE_RATE])
    lufs = measure(loop, SAMPLE_RATE)[0]
    if not lufs > SILENT_LUFS:
        raise SettingsError(f"{at}: is silent (quieter than {SILENT_LUFS:g} LUFS)")
    return _sound(str(path), loop, lufs)


def crossfade_loop(x: np.ndarray) -> np.ndarray:
    """``x`` made into a loop without a seam: its last ``c`` samples fade into its first ``c``.

    The result is ``len(x) - c`` long, ``c`` the smaller of ``LOOP_CROSSFADE_S``
    and a quarter of ``x``. The fade keeps the level steady whatever the two
    ends have in common: weights ``w`` and ``1 - w`` divided by the level their
    sum would have at the ends' correlation ``r`` (equal-power for unrelated
    ends such as noise or ambience, plain linear for ends in phase).
    """
    c = min(int(LOOP_CROSSFADE_S * SAMPLE_RATE), len(x) // 4)
    head, tail = np.asarray(x[:c], np.float64), np.asarray(x[len(x) - c :], np.float64)
    energy = math.sqrt(float(np.dot(head, head)) * float(np.dot(tail, tail)))
    r = min(1.0, max(0.0, float(np.dot(head, tail)) / energy)) if energy else 0.0
    w = (np.arange(c) + 0.5) / c
    out = np.array(x[: len(x) - c], dtype=np.float64)
    out[:c] = (head * w + tail * (1 - w)) / np.sqrt(w**2 + (1 - w) ** 2 + 2 * r * w * (1 - w))
    return out


@lru_cache(maxsize=None)
def generated(name: str) -> BedSound:
    """A generated bed (no binary assets), deterministic, cached.

    ``brown``: brown noise (power falling 6 dB per octave) from 30 Hz, softened
    above 3 kHz: a deep, even rumble. ``pink``: pink noise (3 dB per octave),
    softened above 6 kHz: steady rain. ``pad``: a soft sustained D chord
    (D2 A2 D3 F#3 A3 E4) of warm tones, each slowly swelling and gently
    detuned against itself. Each is built as a spectrum whose components all
    fit a whole number of cycles into the loop, so the loop joins itself exactly.
    """
    if name not in _GENERATORS:
        raise SettingsError(f"unknown generated bed {name!r}; expected one of {', '.join(BED_NAMES)}")
    loop = _GENERATORS[name]()
    return _sound(name, loop * (FULL_SCALE / np.sqrt(np.mean(loop**2))), _MEASURED_LUFS[name])


def _noise(slope: float, lowpass_hz: float, seconds: int = 60, seed: int = 16) -> np.ndarray:
    """Noise with power falling ``slope`` dB per octave, from 30 Hz up, rolled off above ``lowpass_hz``."""
    n = seconds * SAMPLE_RATE
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    f[0] = 1.0  # no division by zero; DC is zeroed below
    amp = f ** (-slope / 20 / math.log10(2)) * f**2 / (f**2 + 30.0**2) / np.sqrt(1 + (f / lowpass_hz) ** 4)
    amp[0] = 0.0
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(f))
    return np.fft.irfft(amp * np.exp(1j * phase), n)


#: (fundamental Hz, weight) of the pad's voices: D2 A2 D3 F#3 A3 E4, the low ones fuller.
_PAD_VOICES = ((73.42, 1.0), (110.0, 0.8), (146.83, 0.7), (185.0, 0.5), (220.0, 0.45), (329.63, 0.3))
#: (harmonic, amplitude) of each pad tone: a warm, nearly sine-like timbre.
_PAD_HARMONICS = ((1, 1.0), (2, 0.35), (3, 0.12), (4, 0.05))


def _pad(seconds: int = 32, seed: int = 16) -> np.ndarray:
    """The pad as a sparse spectrum: each tone a bin, its swell two side bins, three detuned copies."""
    n = seconds * SAMPLE_RATE
    spectrum = np.zeros(n // 2 + 1, np.complex128)
    rng = np.random.default_rng(seed)
    for v, (freq, weight) in enumerate(_PAD_VOICES):
        swell_bin, swell_depth = v % 3 + 1, 0.15  # one slow swell per voice: 1, 2 or 3 per loop
        swell_phase = rng.uniform(0, 2 * np.pi)
        for harmonic, amp in _PAD_HARMONICS:
            for detune in (-2, 0, 2):  # bins of 1/seconds Hz: a slow chorus
                k = round(freq * harmonic * seconds) + detune
                a, phase = weight * amp / 3 * n / 2, rng.uniform(0, 2 * np.pi)
                spectrum[k] += a * np.exp(1j * phase)
                for side, sign in ((k + swell_bin, 1), (k - swell_bin, -1)):
                    spectrum[side] += a * swell_depth / 2 * np.exp(1j * (phase + sign * swell_phase))
    return np.fft.irfft(spectrum, n)


_GENERATORS = {"brown": lambda: _noise(6.0, 3000.0), "pink": lambda: _noise(3.0, 6000.0), "pad": _pad}

#: BS.1770 loudness of each generated loop with its RMS at full scale, measured
#: once (tests/test_bed.py checks it): measuring needs pyloudnorm, whose import
#: a live session should not wait for.
_MEASURED_LUFS = {"brown": -3.168407608763572, "pink": 0.4158767127045583, "pad": -1.6761560498388874}


def _sound(name: str, loop: np.ndarray, lufs: float) -> BedSound:
    frozen = np.asarray(loop, np.float32)
    frozen.flags.writeable = False
    block = ms_to_samples(100)
    power = np.mean(frozen[: len(frozen) // block * block].astype(np.float64).reshape(-1, block) ** 2, axis=1)
    return BedSound(name, frozen, float(lufs), float(10 * np.log10(power.max() / power.mean())))


def _decode(path: Path, at: str) -> np.ndarray:
    """A file's audio as float64 mono at SAMPLE_RATE in int16 scale (pydub decodes, through ffmpeg).

    ``at`` starts every error message (the setting and the file)."""
    converter = encoders.ffmpeg()  # imports pydub without its warning about a missing ffmpeg
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    # pydub reads WAV itself; anything else needs ffmpeg and ffprobe (without them it
    # reports "No such file or directory", which reads as if the bed file were missing).
    if path.suffix.lower() != ".wav" and not (shutil.which(converter) and shutil.which("ffprobe")):
        raise MixError(f"{at}: reading it needs ffmpeg and ffprobe, not found: sudo apt-get install ffmpeg")
    try:
        segment = AudioSegment.from_file(str(path), duration=MAX_LOOP_S + 60)  # room for trimmed silence
    except CouldntDecodeError as e:
        detail = str(e).partition("Output from ffmpeg/avlib:")[2]
        lines = [ln.strip() for ln in detail.splitlines() if ln.strip()]
        reason = lines[-1].split(": ", 1)[-1] if lines else "not audio"
        raise SettingsError(f"{at}: cannot be decoded as audio ({reason})") from None
    except (IndexError, KeyError, ValueError, EOFError):  # ffprobe found no audio stream; a broken header
        raise SettingsError(f"{at}: cannot be decoded as audio (no audio stream)") from None
    except OSError as e:
        raise SettingsError(f"{at}: cannot be read: {e.strerror or e}") from None
    if segment.frame_count() == 0:
        raise SettingsError(f"{at}: is silent (no audio in it)")
    samples = np.array(segment.get_array_of_samples(), dtype=np.float64)
    mono = samples.reshape(-1, segment.channels).mean(axis=1)
    mono *= FULL_SCALE / 2 ** (8 * segment.sample_width - 1)
    return _resample(mono, segment.frame_rate)


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(rate, SAMPLE_RATE)
    return resample_poly(x, SAMPLE_RATE // g, rate // g)


def _trim(x: np.ndarray) -> np.ndarray:
    """``x`` without its leading and trailing near-silence (10 ms RMS under ``TRIM_DBFS``)."""
    from .loudness import moving_mean

    power = moving_mean(x * x, ms_to_samples(10))
    loud = np.flatnonzero(power > (FULL_SCALE * 10 ** (TRIM_DBFS / 20)) ** 2)
    return x[loud[0] : loud[-1] + 1] if loud.size else x[:0]


# -- ducking ----------------------------------------------------------------------------


class _Layer:
    """Spans that duck the bed, each to its own gain, with attack, release and holds between them.

    Spans are appended in time order (by one thread; readers take ``len`` first,
    as in ``play.cues.CueIndex``), as (first sample, end sample, gain) tuples.
    """

    def __init__(self, attack: int, release: int, hold: int) -> None:
        self.spans: list[tuple[int, int, float]] = []
        self.attack, self.release, self.hold = attack, release, hold

    def add(self, start: int, end: int, gain: float) -> None:
        if gain < 1.0 and end > start:
            self.spans.append((start, end, gain))

    def apply(self, out: np.ndarray, n: np.ndarray) -> None:
        """Lower ``out`` (the gains at the sorted session samples ``n``) to this layer's gains where it ducks."""
        spans = self.spans[: len(self.spans)]
        reach = max(self.release, self.hold)
        lo = bisect.bisect_right(spans, int(n[0]) - reach, key=lambda s: s[1])
        hi = bisect.bisect_right(spans, int(n[-1]) + self.attack, key=lambda s: s[0])
        for i in range(lo, hi):
            s, e, g = spans[i]
            _lower(out, n, s, e, g)
            _lower(out, n, s - self.attack, s, _ramp(g, self.attack, down=True))
            _lower(out, n, e, e + self.release, _ramp(g, self.release, down=False))
            if i + 1 < len(spans) and spans[i + 1][0] - e < self.hold:
                _lower(out, n, e, spans[i + 1][0], max(g, spans[i + 1][2]))


def _lower(out: np.ndarray, n: np.ndarray, start: int, end: int, gain: float | np.ndarray) -> None:
    """``out = min(out, gain)`` where the sorted samples ``n`` fall in [start, end).

    ``gain`` is a constant or a table over [start, end) (indexed from ``start``).
    """
    i, j = np.searchsorted(n, (start, end))
    if i < j:
        part = gain if np.isscalar(gain) else gain[n[i:j] - start]
        np.minimum(out[i:j], part, out=out[i:j])


def _scale(out: np.ndarray, n: np.ndarray, start: int, table: np.ndarray) -> None:
    """``out *= table`` where the sorted samples ``n`` fall in the table's span from ``start``."""
    i, j = np.searchsorted(n, (start, start + len(table)))
    if i < j:
        out[i:j] *= table[n[i:j] - start]


@lru_cache(maxsize=64)
def _ramp(gain: float, length: int, down: bool) -> np.ndarray:
    """Gains over ``length`` samples moving between 1 and ``gain`` along a raised cosine in dB.

    ``down``: sample 0 is 1 (0 dB), and the ramp approaches ``gain`` (reached
    the sample after it); otherwise sample 0 is ``gain`` and it approaches 1.
    One table per (gain, length, direction), shared by every rendering.
    """
    shape = np.sin(np.pi / 2 * np.arange(length) / length) ** 2
    depth_db = -20 * math.log10(gain)
    table = 10 ** (-depth_db * (shape if down else 1 - shape) / 20)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=8)
def _fade(length: int, up: bool) -> np.ndarray:
    """A raised-cosine fade over ``length`` samples: from 0 towards 1 (``up``), or from just under 1 to 0."""
    x = (np.arange(length) + (0 if up else 1)) / length
    table = np.sin(np.pi / 2 * x) ** 2 if up else np.cos(np.pi / 2 * x) ** 2
    if not up:
        table[-1] = 0.0  # exactly: cos(pi / 2) is 6e-17
    table.flags.writeable = False
    return table


class BedTrack:
    """A bed laid under one session: its loop, its level, and its gain from the session's cues.

    Give it the cues in order (``add``; ``finish`` with the session's length),
    then ``render`` any span of session samples. ``from_cues`` does both for a
    whole script. Levels: in the pauses the bed's loudness is ``level_lufs`` =
    ``TARGET_LUFS + volume_db`` (relative to the voice, which the mixer puts at
    the target); under speech ``duck_db`` lower.
    """

    def __init__(self, sound: BedSound, volume_db: float, duck_db: float) -> None:
        self.sound = sound
        self.volume_db, self.duck_db = volume_db, duck_db
        self.level_lufs = TARGET_LUFS + volume_db
        """The bed's loudness in the pauses."""
        self._loop = sound.loop * np.float32(10 ** ((self.level_lufs - sound.lufs) / 20))
        attack, release, hold = (ms_to_samples(ms) for ms in (ATTACK_MS, RELEASE_MS, HOLD_GAP_MS))
        self._speech = _Layer(attack, release, hold)
        self._chimes = _Layer(attack, release, hold)
        self._speech_gain = 10 ** (-duck_db / 20)
        self._chime_gain = {kind: 10 ** (-self.chime_duck_db(kind) / 20) for kind in CHIME_MS}
        self.known = 0
        """Session sample where the cues given so far end."""
        self.total: int | None = None
        """The session's length in samples, once ``finish`` gave it."""

    @classmethod
    def from_cues(cls, sound: BedSound, volume_db: float, duck_db: float, cues: Sequence[Cue]) -> BedTrack:
        """A track for a whole, known script (its cues laid end to end)."""
        track = cls(sound, volume_db, duck_db)
        for cue in cues:
            track.add(cue)
        track.finish()
        return track

    def chime_duck_db(self, kind: str) -> float:
        """How far a ``kind`` chime ducks the bed: enough for the chime to stay
        ``CHIME_CLEARANCE_DB`` above the bed's loudest moments, and no more."""
        wanted = sounds.level_lufs(kind) - CHIME_CLEARANCE_DB - self.sound.swell_db - CHIME_MARGIN_DB
        return max(0.0, self.level_lufs - wanted)

    def add(self, cue: Cue) -> None:
        """The next cue of the session (cues come in order, laid end to end)."""
        start, end = ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)
        if isinstance(cue, Say):
            self._speech.add(start, end, self._speech_gain)
        elif isinstance(cue, Chime):
            self._chimes.add(start, end, self._chime_gain[cue.kind])
        self.known = max(self.known, end)

    def finish(self, total: int | None = None) -> None:
        """No more cues: the session is ``total`` samples long (default: where the cues end)."""
        self.total = self.known if total is None else total

    def ready(self, end: int) -> bool:
        """Whether samples up to ``end`` can be rendered: the cues are known far enough past it."""
        return self.total is not None or self.known >= end + ms_to_samples(LOOKAHEAD_MS)

    def gain(self, n: np.ndarray) -> np.ndarray:
        """The bed's gain (1 = its level in the pauses) at the sorted session samples ``n``, float64.

        Each value depends only on its own sample and the cues, so any span or
        sampling of the session gets the same values.
        """
        out = np.ones(len(n))
        if not len(n):
            return out
        self._speech.apply(out, n)
        self._chimes.apply(out, n)
        _scale(out, n, 0, _fade(ms_to_samples(FADE_IN_MS), up=True))
        if self.total is not None:
            fade_out = min(ms_to_samples(FADE_OUT_MS), self.total)
            _scale(out, n, self.total - fade_out, _fade(fade_out, up=False))
            out[np.searchsorted(n, self.total):] = 0.0  # nothing after the end
        return out

    def under(self, sound: np.ndarray, start: int) -> np.ndarray:
        """A sounding cue (``sound``: int16, its whole span from session sample ``start``) with the bed under it.

        int16. The sum's true peak is kept under the voice's ceiling by the limiter
        over the cue (``loudness.limit``: a no-op unless the bed pushes a peak over;
        every Say cue starts and ends with padding, so its edges are never limited).
        """
        return _pcm(limit(sound + self.render(start, start + len(sound))))

    def alone(self, a: int, b: int) -> np.ndarray:
        """The bed by itself at session samples [a, b) (a pause), int16."""
        out = np.empty(max(0, b - a), np.int16)
        for lo in range(a, b, RENDER_CHUNK):
            hi = min(b, lo + RENDER_CHUNK)
            out[lo - a : hi - a] = _pcm(self.render(lo, hi))
        return out

    def render(self, a: int, b: int) -> np.ndarray:
        """The bed at session samples [a, b): float64 in int16 scale (not rounded; the mixer adds it).

        Equal to ``render(0, total)[a:b]`` for any span. Raises ValueError if the
        cues past ``b`` are not known yet (``ready``).
        """
        if not self.ready(b):
            raise ValueError(f"bed: cues known to sample {self.known}, not far enough past {b}")
        out = np.empty(max(0, b - a))
        for lo in range(a, b, RENDER_CHUNK):  # bounded temporary arrays for long spans
            n = np.arange(lo, min(b, lo + RENDER_CHUNK))
            out[lo - a : lo - a + len(n)] = np.take(self._loop, n, mode="wrap") * self.gain(n)
        return out



def bed_track(sound: BedSound | None, settings: Settings) -> BedTrack | None:
    """The settings' bed (``bed_volume``, ``bed_duck``) as a track with no cues yet
    (``render.CueTimes`` gives it each cue), or None without a bed."""
    if sound is None:
        return None
    return BedTrack(sound, settings.bed_volume_db, settings.bed_duck_db)


def _pcm(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)
