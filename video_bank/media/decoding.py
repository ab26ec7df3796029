"""Decoding of one forwarded stream for subscribers that want frames (verification), off the event loop.

The hub forwards encoded media and decodes nothing on its relay path. A :class:`FrameDecoder` exists
only while a leg's audio or video has decoded subscribers: it reads the stream's encoded frames from
an :class:`~video_bank.media.forwarding.EncodedSubscription` (which starts at a keyframe and skips to
the next one whenever frames are lost), decodes each in a worker thread of the loop's default
executor, and publishes the frames to a :class:`~video_bank.media.fanout.Fanout` with the time the
hub received their encoded data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import av
from av import Packet
from av.audio.codeccontext import AudioCodecContext
from av.codec.context import CodecContext
from av.frame import Frame
from av.video.codeccontext import VideoCodecContext

from video_bank.media.fanout import Delivery, Fanout
from video_bank.media.forwarding import CLOCK_RATES, EncodedFrame, EncodedSubscription, Kind

logger = logging.getLogger(__name__)

OPUS_SAMPLE_RATE = CLOCK_RATES["audio"]


Decoder = AudioCodecContext | VideoCodecContext


def open_decoder(kind: Kind) -> Decoder:
    """A VP8 decoder (yuv420p frames), or an Opus decoder giving 48 kHz stereo s16 frames."""
    if kind == "video":
        video = CodecContext.create("libvpx", "r")
        # One thread per stream: sessions give the parallelism, and libvpx's threads spin when they
        # wait, which wastes a busy server's cores.
        video.thread_count = 1
        return video
    codec = CodecContext.create("libopus", "r")
    codec.format = "s16"
    codec.layout = "stereo"
    codec.sample_rate = OPUS_SAMPLE_RATE
    return codec


def decode(codec: Decoder, frame: EncodedFrame) -> list[Frame]:
    """Decode one encoded frame (blocking: call it from a worker thread)."""
    packet = Packet(frame.data)
    packet.pts = frame.timestamp
    packet.time_base = frame.time_base
    return list(codec.decode(packet))


class FrameDecoder:
    """Decodes the frames of one subscription in worker threads and publishes them to a fanout."""

    def __init__(self, source: EncodedSubscription, sink: Fanout, name: str) -> None:
        self._source = source
        self._sink = sink
        self._name = name
        self._codec = open_decoder(source.kind)
        self.errors = 0
        """Frames the decoder refused (each one restarts the stream at the next keyframe)."""
        self._task = asyncio.create_task(self._run(), name=f"decoder-{name}")

    @property
    def running(self) -> bool:
        """Still reading its subscription."""
        return not self._task.done()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        async for encoded in self._source:
            try:
                frames = await loop.run_in_executor(None, decode, self._codec, encoded)
            except av.FFmpegError as exc:
                self.errors += 1
                logger.info(
                    "%s: a frame did not decode (%s); waiting for a keyframe", self._name, type(exc).__name__
                )
                self._source.restart()
                continue
            for frame in frames:
                self._sink.publish(Delivery(frame, encoded.received_at))

    def stop(self) -> None:
        """Stop after the frame being decoded (no one wants frames any more)."""
        self._source.close()

    async def close(self) -> None:
        """Stop now and wait for the task to finish."""
        self._source.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
