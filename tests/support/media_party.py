"""Test peers for the media hub: synthetic tracks whose content can be checked after VP8/Opus round trips.

Video frames carry a 12-bit frame counter and a 4-bit sender id drawn as 16 wide black/white bars,
which survive lossy coding; audio is a pure tone whose frequency identifies the sender.

A party's video is either encoded by aiortc's own sender (:class:`CounterVideoTrack`, as a browser
would) or by the track itself (:class:`KeyframeOnRequestTrack`), which makes a keyframe only at the
start and when the hub asks for one, and remembers the bytes it sent. A party can also keep the
encoded frames its receiver reassembled (:class:`ReassembledFrames`), to compare bytes end to end.
Both reach into aiortc 1.16 the way ``video_bank.media.aiortc_forwarding`` does (tests only).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import functools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from aiortc.rtp import RtpPacket
from av import AudioFrame, CodecContext, Packet, VideoFrame
from av.video.frame import PictureType

from video_bank.media.hub import MONITOR_SECTIONS, MediaHub, RelayMode

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


class CounterVp8Encoder:
    """Encodes counter frames to VP8 with libvpx; keyframes only at the start and when asked."""

    def __init__(self, sender: int) -> None:
        self.sender = sender
        self._codec = CodecContext.create("libvpx", "w")
        self._codec.width, self._codec.height, self._codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        self._codec.time_base = fractions.Fraction(1, 30)
        self._codec.framerate = 30
        self._codec.bit_rate = 300_000
        self._codec.gop_size = 1_000_000  # no periodic keyframes
        self._codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        # libvpx's worker threads spin while they wait: on a busy machine they starve the test.
        self._codec.thread_count = 1

    def encode(self, counter: int, keyframe: bool) -> bytes:
        """One VP8 frame showing ``counter``."""
        frame = VideoFrame.from_ndarray(draw_bars(counter, self.sender), format="gray").reformat(
            format="yuv420p"
        )
        frame.pts = counter
        if keyframe:
            frame.pict_type = PictureType.I
        return b"".join(bytes(p) for p in self._codec.encode(frame))


class KeyframeOnRequestTrack(VideoStreamTrack):
    """30 fps counter video as pre-encoded VP8 packets: aiortc's sender packs them without encoding.

    A keyframe comes first and then only after :meth:`request_keyframe` (wired to the sender's
    PLI/FIR handling by :meth:`Party.connect_media`), so a receiver that joins late sees a picture
    only if its keyframe request reaches this track.
    """

    def __init__(self, sender: int) -> None:
        super().__init__()
        self.sender = sender
        self.sent: list[bytes] = []
        """Every frame sent, indexed by its counter."""
        self.keyframes: list[int] = []
        """Counters of the keyframes sent."""
        self._encoder = CounterVp8Encoder(sender)
        self._keyframe_wanted = True

    def request_keyframe(self) -> None:
        self._keyframe_wanted = True

    async def recv(self) -> Packet:  # type: ignore[override]
        pts, time_base = await self.next_timestamp()
        counter = len(self.sent)
        keyframe, self._keyframe_wanted = self._keyframe_wanted, False
        data = self._encoder.encode(counter, keyframe)
        self.sent.append(data)
        if keyframe:
            self.keyframes.append(counter)
        packet = Packet(data)
        packet.pts, packet.time_base = pts, time_base
        return packet


class ReassembledFrames:
    """Stands in for a receiver's jitter buffer, keeping a copy of every frame it completes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.frames: list[bytes] = []

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        lost, frame = self.inner.add(packet)
        if frame is not None:
            self.frames.append(frame.data)
        return lost, frame


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


def rtc_configuration_from(started: dict[str, Any]) -> RTCConfiguration:
    """The peer connection configuration a browser builds from ``session_started``/``monitor_started``."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in started["ice_servers"]
        ],
        iceTransportPolicy=RTCIceTransportPolicy(started["ice_transport_policy"]),
    )


FLOW_TYPES = frozenset({"flow_state", "flow_message"})


class Party:
    """A signaling client plus one aiortc peer connection: what a browser tab does, in-process."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, name: str) -> None:
        self.ws = ws
        self.name = name
        self.pc: RTCPeerConnection | None = None
        self.received = Received()
        self.session_id: str | None = None
        self.started: dict[str, Any] | None = None
        """The ``session_started`` message of the current call (set by :func:`start_call`)."""
        self.welcome: dict[str, Any] | None = None
        """The ``welcome`` message (set by the ``party`` fixture)."""
        self._readers: list[asyncio.Task[None]] = []
        self.video_track: CounterVideoTrack | KeyframeOnRequestTrack | None = None
        self.reassembled: ReassembledFrames | None = None
        """The encoded video frames this party received, when asked for in :meth:`connect_media`."""
        # Read the socket all the time, as a browser does: aiohttp answers heartbeat pings only while
        # someone is reading.
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.flow_inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        """Business-flow traffic (``flow_state``, ``flow_message`` and errors answering ``flow_input``),
        kept apart so that tests of other things never see it (tests/support/flows.py reads it)."""
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self._socket_reader = asyncio.create_task(self._read_socket())

    async def _read_socket(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                data = message.json()
                flow = data.get("type") in FLOW_TYPES or data.get("ref_type") == "flow_input"
                (self.flow_inbox if flow else self.inbox).put_nowait(data)
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

    async def connect_media(
        self,
        sender: int,
        tone: float,
        *,
        keyframes_on_request: bool = False,
        keep_received: bool = False,
        camera: MediaStreamTrack | None = None,
        configuration: RTCConfiguration | None = None,
    ) -> None:
        """Offer one peer connection with counter video and a tone, apply the hub's answer.

        ``keyframes_on_request``: send a :class:`KeyframeOnRequestTrack` instead of letting aiortc
        encode; ``keep_received``: keep the encoded video frames received (:attr:`reassembled`);
        ``camera``: send this video track (e.g. a synthetic face) instead of the counter bars;
        ``configuration``: ICE servers and policy (default: host candidates only).
        """
        assert self.session_id is not None
        pc = RTCPeerConnection(configuration or RTCConfiguration(iceServers=[]))
        self.pc = pc
        if camera is not None:
            video_sender = pc.addTrack(camera)
        elif keyframes_on_request:
            track = KeyframeOnRequestTrack(sender)
            self.video_track = track
            video_sender = pc.addTrack(track)
            video_sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]
        else:
            self.video_track = CounterVideoTrack(sender)
            video_sender = pc.addTrack(self.video_track)
        if keep_received:
            receiver = next(t.receiver for t in pc.getTransceivers() if t.sender is video_sender)
            self.reassembled = ReassembledFrames(receiver._RTCRtpReceiver__jitter_buffer)
            receiver._RTCRtpReceiver__jitter_buffer = self.reassembled
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


@dataclass
class Monitor:
    """A supervisor's receive-only peer connection, reading each section in the protocol's order."""

    # Max-bundle as browsers do; aiortc's default (balanced) breaks a second receiver of a kind.
    pc: RTCPeerConnection = field(
        default_factory=lambda: RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
    )
    video: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {"customer": [], "teller": []})
    audio: dict[str, list[AudioFrame]] = field(default_factory=lambda: {"customer": [], "teller": []})
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def offer(self, kinds: tuple[str, ...] = tuple(kind for _, kind in MONITOR_SECTIONS)) -> str:
        for kind in kinds:
            self.pc.addTransceiver(kind, direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answered(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        for transceiver, (leg, kind) in zip(self.pc.getTransceivers(), MONITOR_SECTIONS, strict=True):
            self.readers.append(asyncio.create_task(self._read(transceiver.receiver.track, leg, kind)))

    async def _read(self, track: MediaStreamTrack, leg: str, kind: str) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if kind == "video":
                    self.video[leg].append(read_bars(frame))  # type: ignore[arg-type]
                else:
                    self.audio[leg].append(frame)  # type: ignore[arg-type]

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for task in self.readers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pc.close()


async def start_call(party: Callable[..., Awaitable[Party]]) -> tuple[Party, Party]:
    """A teller goes available, a customer joins and both are paired: (customer, teller)."""
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available", auto_accept=True)
    await teller.expect("teller_state")
    customer = await party("customer")
    await customer.send(type="join_queue", display_name="Wang Fang", business="activation")
    customer.started = await customer.until("session_started")
    customer.session_id = customer.started["session_id"]
    teller.started = await teller.until("session_started")
    teller.session_id = teller.started["session_id"]
    assert customer.session_id == teller.session_id
    return customer, teller


def use_relay_mode(monkeypatch: pytest.MonkeyPatch, mode: RelayMode) -> None:
    """Make the app (created after this call) build its media hub in ``mode``."""
    import video_bank.app  # only integration tests need the app

    monkeypatch.setattr(video_bank.app, "MediaHub", functools.partial(MediaHub, relay_mode=mode))
