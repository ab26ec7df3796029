"""Test peers for the media hub: synthetic tracks whose content can be checked after VP8/Opus round trips.

Video frames carry a 12-bit frame counter and a 4-bit sender id drawn as 16 wide black/white bars,
which survive lossy coding; audio is a pure tone whose frequency identifies the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from av import AudioFrame, VideoFrame

BITS = 16
WIDTH, HEIGHT = 320, 240


def draw_bars(counter: int, sender: int) -> np.ndarray:
    """A gray image of 16 bars: bits 0-11 the counter, bits 12-15 the sender id."""
    value = (counter & 0xFFF) | ((sender & 0xF) << 12)
    image = np.empty((HEIGHT, WIDTH), dtype=np.uint8)
    bar = WIDTH // BITS
    for bit in range(BITS):
        image[:, bit * bar : (bit + 1) * bar] = 235 if value >> bit & 1 else 16
    return image


def read_bars(frame: VideoFrame) -> tuple[int, int]:
    """(counter, sender) decoded from a received frame of any size."""
    gray = frame.to_ndarray(format="gray")
    height, width = gray.shape
    bar = width / BITS
    row = gray[height // 4 : 3 * height // 4]
    value = 0
    for bit in range(BITS):
        column = int((bit + 0.5) * bar)
        if row[:, column - 1 : column + 2].mean() > 128:
            value |= 1 << bit
    return value & 0xFFF, value >> 12


class CounterVideoTrack(VideoStreamTrack):
    """30 fps video whose frames show their own number and the sender id."""

    def __init__(self, sender: int) -> None:
        super().__init__()
        self.sender = sender
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(draw_bars(self.sent, self.sender), format="gray").reformat(
            format="yuv420p"
        )
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


class ToneAudioTrack(AudioStreamTrack):
    """48 kHz mono sine tone at ``frequency`` Hz, 20 ms per frame, paced in real time."""

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        rate, count = 48000, 960
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        wait = self._start + self._samples / rate - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(count) + self._samples) / rate
        pcm = (np.sin(2 * math.pi * self.frequency * t) * 12000).astype(np.int16).reshape(1, -1)
        frame = AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, rate)
        self._samples += count
        return frame


def dominant_frequency(frames: list[AudioFrame]) -> float:
    """Strongest frequency (Hz) in a list of received audio frames (mixed to mono)."""
    chunks = []
    for frame in frames:
        data = frame.to_ndarray().astype(np.float64)
        channels = len(frame.layout.channels)
        if data.shape[0] == 1 and channels > 1:  # packed interleaved
            data = data.reshape(-1, channels).T
        chunks.append(data.mean(axis=0))
    signal = np.concatenate(chunks)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    rate = frames[0].sample_rate
    return float(np.argmax(spectrum[1:]) + 1) * rate / len(signal)


@dataclass
class Received:
    """What a party got from the hub."""

    video: list[tuple[int, int]] = field(default_factory=list)
    audio: list[AudioFrame] = field(default_factory=list)
    video_event: asyncio.Event = field(default_factory=asyncio.Event)
    audio_event: asyncio.Event = field(default_factory=asyncio.Event)


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Wait for a condition that other tasks make true, polling the loop; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Party:
    """A signaling client plus one aiortc peer connection: what a browser tab does, in-process."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, name: str) -> None:
        self.ws = ws
        self.name = name
        self.pc: RTCPeerConnection | None = None
        self.received = Received()
        self.session_id: str | None = None
        self._readers: list[asyncio.Task[None]] = []
        self.video_track: CounterVideoTrack | None = None
        # Read the socket all the time, as a browser does: aiohttp answers heartbeat pings only while
        # someone is reading.
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self._socket_reader = asyncio.create_task(self._read_socket())

    async def _read_socket(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.inbox.put_nowait(message.json())
        self.close_code = self.ws.close_code
        self.closed.set()

    async def send(self, **message: Any) -> None:
        await self.ws.send_json(message)

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message from the server."""
        try:
            return await asyncio.wait_for(self.inbox.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no message within {timeout} s") from None

    async def expect(self, message_type: str, timeout: float = 10.0) -> dict[str, Any]:
        """Next message, which must be of ``message_type``."""
        message = await self.next(timeout)
        assert message["type"] == message_type, f"{self.name}: expected {message_type}, got {message}"
        return message

    async def until(self, message_type: str, timeout: float = 10.0) -> dict[str, Any]:
        """Skip messages until one of ``message_type`` arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.next(max(0.01, deadline - loop.time()))
            if message["type"] == message_type:
                return message

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Wait for the server to close the socket; return the close code."""
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def close(self) -> None:
        """Close media and the socket."""
        await self.close_media()
        await self.ws.close()
        await self._socket_reader

    async def connect_media(self, sender: int, tone: float) -> None:
        """Offer one peer connection with counter video and a tone, apply the hub's answer."""
        assert self.session_id is not None
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc
        self.video_track = CounterVideoTrack(sender)
        pc.addTrack(self.video_track)
        pc.addTrack(ToneAudioTrack(tone))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._readers.append(asyncio.create_task(self._read(track)))

        await pc.setLocalDescription(await pc.createOffer())
        await self.send(type="offer", session_id=self.session_id, sdp=pc.localDescription.sdp)
        answer = await self.until("answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.received.video.append(read_bars(frame))  # type: ignore[arg-type]
                    self.received.video_event.set()
                else:
                    self.received.audio.append(frame)  # type: ignore[arg-type]
                    self.received.audio_event.set()

    async def close_media(self) -> None:
        for task in self._readers:
            task.cancel()
        for task in self._readers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._readers.clear()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
