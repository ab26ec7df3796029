"""An aiortc video track that plays a synthetic camera in real time.

:class:`SyntheticCameraTrack` asks its frame source for the frame at the track's own clock (seconds
since the first frame) and sends it at ``fps``, as a browser camera would. Frames are rendered in a
thread so the event loop stays free. Give it a :class:`~verification.synth.attacks.Scenario`'s
``frame`` method; forward the server's prompts to ``scenario.prompt`` to play an obedient customer.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable

import av
from aiortc import VideoStreamTrack
from aiortc.mediastreams import MediaStreamError

from verification.synth.rig import Image

CLOCK_RATE = 90000


class SyntheticCameraTrack(VideoStreamTrack):
    """Sends ``frame_at(t)`` at ``fps`` frames per second, ``t`` counting from the first frame.

    Like a real camera it keeps to the wall clock: when rendering or the consumer falls behind, it
    skips frame times instead of drifting late (a prompt answered "now" must show now).
    """

    kind = "video"

    def __init__(self, frame_at: Callable[[float], Image], fps: int = 30) -> None:
        super().__init__()
        if fps <= 0:
            raise ValueError("fps must be positive")
        self._frame_at = frame_at
        self._fps = fps
        self._t0: float | None = None
        self._index = 0
        self.started_at: float | None = None
        """Wall-clock time (``time.time()``) of the first frame; prompts are relative to it."""

    def elapsed(self, wall_time: float) -> float:
        """Seconds of the track's clock at ``wall_time`` (``time.time()``)."""
        return 0.0 if self.started_at is None else wall_time - self.started_at

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._t0 is None:
            self._t0 = time.monotonic()
            self.started_at = time.time()
        now = time.monotonic()
        self._index = max(self._index, int((now - self._t0) * self._fps))
        delay = self._t0 + self._index / self._fps - now
        if delay > 0:
            await asyncio.sleep(delay)
        t = self._index / self._fps
        image = await asyncio.to_thread(self._frame_at, t)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = round(t * CLOCK_RATE)
        frame.time_base = fractions.Fraction(1, CLOCK_RATE)
        self._index += 1
        return frame
