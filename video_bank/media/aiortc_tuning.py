"""A measured performance fix for the pinned aiortc (1.16): the audio level of each sent audio frame.

aiortc's sender computes the RFC 6465 audio level of every outgoing audio frame with a Python loop
over the samples (``aiortc.rtp.compute_audio_level_dbov``). A relay sends two 48 kHz stereo streams
per call, and that loop alone took about 0.1 core per stream on our machine — a third of the hub's
event-loop time (``tests/bench/media_hub.py``). :func:`audio_level_dbov` computes the same value
with numpy; :func:`install` puts it in place. ``tests/unit/test_aiortc_tuning.py`` checks that both
give identical results, so an aiortc upgrade that changes the original is noticed.
"""

from __future__ import annotations

import math

import numpy as np
from aiortc import rtp
from av import AudioFrame

_MAX_SAMPLE = 32767
_MIN_LEVEL = -127
_original = rtp.compute_audio_level_dbov


def audio_level_dbov(frame: AudioFrame) -> int:
    """RFC 6465 audio level (-127..0 dBov) of a packed s16 frame, as aiortc defines it."""
    # Exact integer sum of squares, as aiortc's loop; no BLAS call (its worker threads spin).
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16).astype(np.int64)
    energy = int(np.square(samples).sum())
    rms = math.sqrt(energy / (frame.samples * _MAX_SAMPLE * _MAX_SAMPLE))
    if rms <= 0:
        return _MIN_LEVEL
    return round(min(max(20 * math.log10(rms), _MIN_LEVEL), 0))


def original_audio_level_dbov(frame: AudioFrame) -> int:
    """aiortc's own implementation, kept for comparison in tests."""
    return int(_original(frame))


def install() -> None:
    """Use :func:`audio_level_dbov` in aiortc's sender (idempotent)."""
    rtp.compute_audio_level_dbov = audio_level_dbov
