"""Recording encoded VP8 and Opus frames as WebM fragments, without decoding or re-encoding anything.

The media hub forwards each leg's encoded frames (VP8 with 90 kHz RTP timestamps, Opus with 48 kHz
RTP timestamps). :class:`WebmStreamRecorder` takes them from the event loop (appending to a list,
nothing more), and hands them in batches to the record writer's thread, where a
:class:`WebmFragmenter` muxes them with PyAV/libavformat's Matroska muxer and cuts the output into what
Media Source Extensions play: one initialisation segment (EBML header, Segment, Tracks), then
fragments of whole Clusters, each Cluster starting at a video keyframe. Fragments are then encrypted
and stored like any other media chunk.

Timestamps: each track's RTP timestamps are unwrapped and anchored to the server clock at their first
frame (:class:`RtpClock`), so both legs and the timeline share one clock; WebM times are
milliseconds since the record opened (``manifest.opened_at_us``). A fragment's ``t0`` is its first
Cluster's time and ``t1`` where the next fragment starts (the next keyframe); for the last fragment,
the time of its last frame.

For seekable records the hub should ask for a keyframe (PLI) every 2-4 s: a fragment is one or more
keyframe intervals (at least ``min_fragment_seconds``), and a crash loses at most the fragment being
built. Without keyframes the muxer still starts a Cluster every 10 s, which plays from the previous
keyframe only.
"""

from __future__ import annotations

import asyncio
import fractions
import heapq
import io
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import av
import av.error

from video_bank.records.errors import RecordError, RecordInputError, RecordStateError
from video_bank.records.model import ChunkEntry
from video_bank.records.writer import Fragment, RecordWriter

logger = logging.getLogger(__name__)

WEBM_VP8_OPUS = 'video/webm; codecs="vp8, opus"'
WEBM_VP8 = 'video/webm; codecs="vp8"'
WEBM_OPUS = 'audio/webm; codecs="opus"'
VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
MS = fractions.Fraction(1, 1000)
REORDER_SECONDS = 0.5
"""Frames are held this long so that both tracks reach the muxer in one time order."""
MUXER_OPTIONS = {
    "live": "1",  # unknown Segment size, no Cues: the output can be cut and concatenated
    "cluster_time_limit": "10000",  # ms: a new Cluster at least every 10 s even without keyframes
    "cluster_size_limit": str(16 * 1024 * 1024),
    "max_interleave_delta": "1000000",  # µs: one stalled track holds the other back at most 1 s
}

# Matroska element ids
_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_CLUSTER = 0x1F43B675
_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1


# --- pure helpers ----------------------------------------------------------------------------------------


def vp8_is_keyframe(payload: bytes) -> bool:
    """Whether a VP8 frame is a keyframe (bit 0 of the frame tag is 0, RFC 6386 §9.1)."""
    return len(payload) >= 10 and payload[0] & 0x01 == 0 and payload[3:6] == b"\x9d\x01\x2a"


def vp8_keyframe_size(payload: bytes) -> tuple[int, int] | None:
    """(width, height) from a VP8 keyframe's header, or ``None`` for anything else."""
    if not vp8_is_keyframe(payload):
        return None
    width = int.from_bytes(payload[6:8], "little") & 0x3FFF
    height = int.from_bytes(payload[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


class RtpClock:
    """Maps one track's 32-bit RTP timestamps to server time.

    The first frame anchors the track: its RTP timestamp is its arrival time. Later frames keep the
    sender's spacing (smooth playback), with wrap-around unwrapped. When the result strays more than
    ``max_skew`` seconds from the arrival time (the sender restarted its timestamps), the track is
    anchored again.
    """

    def __init__(self, rate: int, max_skew: float = 2.0) -> None:
        self.rate = rate
        self.max_skew = max_skew
        self._last: int | None = None  # last unwrapped timestamp
        self._base_ts = 0
        self._base_time = 0.0

    def to_server(self, rtp_timestamp: int, arrival: float) -> float:
        """Server time of the frame with ``rtp_timestamp`` that arrived at ``arrival``."""
        if not 0 <= rtp_timestamp < 2**32:
            raise RecordInputError("an RTP timestamp is a 32-bit unsigned integer")
        if self._last is None:
            self._anchor(rtp_timestamp, arrival)
            return arrival
        delta = (rtp_timestamp - self._last) % 2**32
        if delta >= 2**31:
            delta -= 2**32  # an older frame (reordered)
        extended = self._last + delta
        self._last = max(self._last, extended)
        server = self._base_time + (extended - self._base_ts) / self.rate
        if abs(server - arrival) > self.max_skew:
            self._anchor(rtp_timestamp, arrival)
            return arrival
        return server

    def _anchor(self, rtp_timestamp: int, arrival: float) -> None:
        self._last = self._base_ts = rtp_timestamp
        self._base_time = arrival


def _read_id(data: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    if pos >= len(data):
        return None
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 4 and not first & mask:
        mask >>= 1
        length += 1
    if length > 4:
        raise RecordInputError("WebM output has an invalid element id")
    if pos + length > len(data):
        return None
    return int.from_bytes(data[pos : pos + length], "big"), length


def _read_size(data: bytes | bytearray, pos: int) -> tuple[int | None, int] | None:
    """(size or None when unknown, length of the size field), or None when incomplete."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise RecordInputError("WebM output has an invalid element size")
    if pos + length > len(data):
        return None
    value = first & (mask - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = value == (1 << (7 * length)) - 1
    return (None if unknown else value), length


@dataclass(frozen=True, slots=True)
class Cluster:
    """One complete WebM Cluster cut from the muxer's output."""

    data: bytes
    """The Cluster element, id and size included."""
    start_ms: int
    """Its Timecode."""
    last_ms: int
    """Time of its last block."""
    keyframe_first: bool
    """Whether its first block is a keyframe."""


def _children(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(id, content) of each element in ``data``, which must hold whole elements of known size."""
    pos = 0
    while pos < len(data):
        head = _read_id(data, pos)
        if head is None:
            raise RecordInputError("WebM element is cut short")
        size_field = _read_size(data, pos + head[1])
        if size_field is None:
            raise RecordInputError("WebM element is cut short")
        size, size_len = size_field
        if size is None:
            raise RecordInputError("WebM element of unknown size inside a Cluster")
        start = pos + head[1] + size_len
        if start + size > len(data):
            raise RecordInputError("WebM element is cut short")
        yield head[0], data[start : start + size]
        pos = start + size


def _cluster_times(body: bytes) -> tuple[int, int, bool]:
    """(Timecode, time of the last block, whether the first block is a keyframe) of a Cluster's body."""
    start = 0
    times: list[int] = []
    keyframe_first: bool | None = None
    for element, content in _children(body):
        if element == _TIMECODE:
            start = int.from_bytes(content, "big")
            continue
        if element == _SIMPLE_BLOCK:
            block = content
        elif element == _BLOCK_GROUP:
            block = next((c for child, c in _children(content) if child == _BLOCK), b"")
        else:
            continue
        track = _read_size(block, 0)
        if track is None or len(block) < track[1] + 3:
            raise RecordInputError("WebM block is malformed")
        times.append(int.from_bytes(block[track[1] : track[1] + 2], "big", signed=True))
        if keyframe_first is None:
            keyframe_first = element == _SIMPLE_BLOCK and bool(block[track[1] + 2] & 0x80)
    return start, start + max(times, default=0), bool(keyframe_first)


def _block_time(element: int, content: bytes) -> int | None:
    """The relative timecode of a SimpleBlock or BlockGroup, ``None`` for other elements."""
    if element == _SIMPLE_BLOCK:
        block = content
    elif element == _BLOCK_GROUP:
        block = next((c for child, c in _children(content) if child == _BLOCK), b"")
    else:
        return None
    track = _read_size(block, 0)
    if track is None or len(block) < track[1] + 3:
        raise RecordInputError("WebM block is malformed")
    return int.from_bytes(block[track[1] : track[1] + 2], "big", signed=True)


def in_time_order(raw: bytes, head_length: int, body: bytes) -> bytes:
    """The Cluster ``raw`` with its blocks in time order across tracks (each track keeps its order).

    libavformat writes each track's blocks in order, but shifts Opus blocks by the codec delay
    (pre-skip, 6.5 ms), so an audio block can precede a video block a few milliseconds older.
    Chromium's Media Source Extensions refuse such a Cluster ("a block with a timecode before the
    previous block"). Reordering the children keeps the Cluster's size and every byte of every block.
    """
    children: list[tuple[int, int, bytes]] = []  # (time, position, element bytes)
    others: list[bytes] = []
    pos = 0
    for element, content in _children(body):
        head = _read_id(body, pos)
        size = _read_size(body, pos + head[1]) if head is not None else None
        if head is None or size is None:  # _children has parsed the same bytes already
            raise RecordInputError("WebM element is cut short")
        end = pos + head[1] + size[1] + len(content)
        piece = body[pos:end]
        time = _block_time(element, content)
        if time is None:
            others.append(piece)
        else:
            children.append((time, len(children), piece))
        pos = end
    ordered = sorted(children)
    if [c[1] for c in ordered] == list(range(len(children))):
        return raw
    return raw[:head_length] + b"".join(others) + b"".join(piece for _, _, piece in ordered)


class WebmSplitter:
    """Cuts a live WebM byte stream into its initialisation segment and complete Clusters.

    Feed it the muxer's output in any pieces; it returns what became complete. Level-1 elements after
    the first Cluster that are not Clusters (Cues, Tags at the end) are dropped: the record's manifest
    is the index.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._init_done = False

    def feed(self, data: bytes) -> list[bytes | Cluster]:
        """The init segment (``bytes``, once) and the Clusters completed by ``data``."""
        self._buffer += data
        out: list[bytes | Cluster] = []
        if not self._init_done:
            init = self._take_init()
            if init is None:
                return out
            out.append(init)
        while (element := self._take_element()) is not None:
            element_id, raw, body = element
            if element_id == _CLUSTER:
                raw = in_time_order(raw, len(raw) - len(body), body)
                start, last, keyframe_first = _cluster_times(raw[len(raw) - len(body) :])
                out.append(Cluster(raw, start, last, keyframe_first))
        return out

    def _take_init(self) -> bytes | None:
        buffer = self._buffer
        head = _read_id(buffer, 0)
        if head is None:
            return None
        if head[0] != _EBML:
            raise RecordInputError("WebM output does not start with an EBML header")
        size = _read_size(buffer, head[1])
        if size is None or size[0] is None:
            return None
        pos = head[1] + size[1] + size[0]
        segment = _read_id(buffer, pos)
        if segment is None:
            return None
        if segment[0] != _SEGMENT:
            raise RecordInputError("WebM output has no Segment after its EBML header")
        segment_size = _read_size(buffer, pos + segment[1])
        if segment_size is None:
            return None
        pos += segment[1] + segment_size[1]
        while True:  # level-1 elements up to the first Cluster belong to the init segment
            child = _read_id(buffer, pos)
            if child is None:
                return None
            if child[0] == _CLUSTER:
                break
            child_size = _read_size(buffer, pos + child[1])
            if child_size is None:
                return None
            if child_size[0] is None:
                raise RecordInputError("WebM header element of unknown size")
            pos += child[1] + child_size[1] + child_size[0]
            if pos > len(buffer):
                return None
        init = bytes(buffer[:pos])
        del buffer[:pos]
        self._init_done = True
        return init

    def _take_element(self) -> tuple[int, bytes, bytes] | None:
        buffer = self._buffer
        head = _read_id(buffer, 0)
        if head is None:
            return None
        size = _read_size(buffer, head[1])
        if size is None:
            return None
        if size[0] is None:
            raise RecordInputError("WebM Cluster of unknown size (the muxer must write sizes)")
        end = head[1] + size[1] + size[0]
        if end > len(buffer):
            return None
        raw = bytes(buffer[:end])
        del buffer[:end]
        return head[0], raw, raw[head[1] + size[1] :]


class _Sink(io.RawIOBase):
    """A non-seekable file for the muxer: everything written lands in ``data``."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.data += view
        return view.nbytes

    def take(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


# --- fragmenter (CPU work: run it off the event loop) ------------------------------------------------------


class WebmFragmenter:
    """Encoded VP8/Opus frames in, WebM init segment and fragments out. One per recorded stream.

    Not thread-safe; :class:`WebmStreamRecorder` drives it on the record writer's thread. With video,
    the WebM header is written at the first keyframe (its size gives the track's dimensions); audio
    that comes earlier waits, up to ``max_audio_wait`` seconds.
    """

    def __init__(
        self,
        origin: float,
        *,
        video: bool = True,
        audio: bool = True,
        min_fragment_seconds: float = 2.0,
        max_audio_wait: float = 5.0,
        reorder_seconds: float = REORDER_SECONDS,
    ) -> None:
        if not video and not audio:
            raise RecordInputError("a WebM stream needs video, audio or both")
        self.origin = origin
        """Server time of WebM time 0 (the record's opening)."""
        self.has_video = video
        self.has_audio = audio
        self.content_type = WEBM_VP8_OPUS if video and audio else WEBM_VP8 if video else WEBM_OPUS
        """The MIME type of the fragments."""
        self.dropped = 0
        """Frames dropped: before the first keyframe, unusable, or refused by the muxer."""
        self._min_ms = round(min_fragment_seconds * 1000)
        self._max_wait_ms = round(max_audio_wait * 1000)
        self._clocks = {"video": RtpClock(VIDEO_CLOCK), "audio": RtpClock(AUDIO_CLOCK)}
        self._last_ms = {"video": -1, "audio": -1}
        self._waiting_audio: list[tuple[int, bytes]] = []
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._sink = _Sink()
        self._splitter = WebmSplitter()
        self._group: list[tuple[Cluster, int]] = []  # with each Cluster's end
        self._keyframes_ms: deque[int] = deque()  # muxed video keyframes: where Clusters end
        self._reorder_ms = round(reorder_seconds * 1000)
        self._pending: list[tuple[int, int, Literal["video", "audio"], bytes, bool]] = []  # a heap
        self._pushed = 0
        self._newest_ms = -1
        self._written_ms = -1
        self._track_written_ms = {"video": -1, "audio": -1}
        self._finished = False

    @property
    def started(self) -> bool:
        """Whether the WebM header was written."""
        return self._container is not None

    def video_frame(
        self, payload: bytes, rtp_timestamp: int, arrival: float, keyframe: bool | None = None
    ) -> list[Fragment]:
        """Add one VP8 frame; returns the fragments it completed."""
        if not self.has_video:
            raise RecordInputError("this stream records no video")
        ms = self._media_ms("video", rtp_timestamp, arrival)
        is_key = vp8_is_keyframe(payload) if keyframe is None else keyframe
        if self._container is None:
            size = vp8_keyframe_size(payload) if is_key else None
            if size is None:
                self.dropped += 1  # nothing before the first keyframe can be decoded
                return []
            self._start(size)
            for audio_ms, audio_payload in self._waiting_audio:
                self._push("audio", audio_payload, audio_ms, False)
            self._waiting_audio.clear()
        self._push("video", bytes(payload), ms, is_key)
        return self._collect()

    def audio_frame(self, payload: bytes, rtp_timestamp: int, arrival: float) -> list[Fragment]:
        """Add one Opus packet; returns the fragments it completed."""
        if not self.has_audio:
            raise RecordInputError("this stream records no audio")
        ms = self._media_ms("audio", rtp_timestamp, arrival)
        if self._container is None:
            if not self.has_video:
                self._start(None)
            else:
                self._waiting_audio.append((ms, bytes(payload)))
                while self._waiting_audio and ms - self._waiting_audio[0][0] > self._max_wait_ms:
                    self._waiting_audio.pop(0)
                    self.dropped += 1
                return []
        self._push("audio", bytes(payload), ms, False)
        return self._collect()

    def finish(self) -> list[Fragment]:
        """Write the last Cluster and return the remaining fragments (idempotent)."""
        if self._finished:
            return []
        self._finished = True
        self.dropped += len(self._waiting_audio)
        self._waiting_audio.clear()
        if self._container is None:
            return []
        self._drain(None)
        self._container.close()
        fragments = self._collect()
        if self._group:
            fragments.append(self._fragment(self._group))
            self._group = []
        return fragments

    # --- internals -----------------------------------------------------------------------------------

    def _media_ms(self, kind: Literal["video", "audio"], rtp_timestamp: int, arrival: float) -> int:
        if self._finished:
            raise RecordStateError("the WebM stream is finished")
        server = self._clocks[kind].to_server(rtp_timestamp, arrival)
        ms = max(0, round((server - self.origin) * 1000))
        ms = max(ms, self._last_ms[kind] + 1)  # strictly increasing per track, as the muxer needs
        self._last_ms[kind] = ms
        return ms

    def _start(self, size: tuple[int, int] | None) -> None:
        container = av.open(self._sink, "w", format="webm", options=MUXER_OPTIONS)
        if size is not None:
            video = container.add_mux_stream("vp8", width=size[0], height=size[1])
            video.time_base = MS
            self._streams["video"] = video
        if self.has_audio:
            # An Opus *encoder* context only to get a valid OpusHead (CodecPrivate); it never encodes.
            audio = container.add_stream("libopus", rate=48_000)
            audio.layout = "stereo"
            audio.time_base = MS
            self._streams["audio"] = audio
        self._container = container

    def _push(self, kind: Literal["video", "audio"], payload: bytes, ms: int, keyframe: bool) -> None:
        """Queue a frame; mux, in time order, every queued frame older than the newest by ``reorder_ms``.

        The two tracks' frames arrive through separate taps, each in its own order; Chromium's MSE
        refuses a Cluster whose blocks go back in time across tracks ("a block with a timecode before
        the previous block"), so the muxer must get them in one time order.
        """
        heapq.heappush(self._pending, (ms, self._pushed, kind, payload, keyframe))
        self._pushed += 1
        self._newest_ms = max(self._newest_ms, ms)
        self._drain(self._newest_ms - self._reorder_ms)

    def _drain(self, upto_ms: int | None) -> None:
        """Mux the queued frames up to ``upto_ms`` (all with ``None``), never going back in time."""
        while self._pending and (upto_ms is None or self._pending[0][0] <= upto_ms):
            ms, _, kind, payload, keyframe = heapq.heappop(self._pending)
            # A frame later than the reorder window is moved up to what was written (rare, small).
            ms = max(ms, self._written_ms, self._track_written_ms[kind] + 1)
            if self._mux(kind, payload, ms, keyframe):
                self._written_ms = ms
                self._track_written_ms[kind] = ms
                if kind == "video" and keyframe:
                    self._keyframes_ms.append(ms)

    def _mux(self, kind: str, payload: bytes, ms: int, keyframe: bool) -> bool:
        packet = av.Packet(bytes(payload))
        packet.pts = packet.dts = ms
        packet.time_base = MS
        packet.stream = self._streams[kind]
        packet.is_keyframe = keyframe
        try:
            self._container.mux(packet)
        except (av.error.FFmpegError, ValueError) as error:
            self.dropped += 1
            if self.dropped == 1:
                logger.warning("WebM muxer refused a %s frame: %s", kind, error)
            return False
        return True

    def _collect(self) -> list[Fragment]:
        fragments: list[Fragment] = []
        for piece in self._splitter.feed(self._sink.take()):
            if isinstance(piece, bytes):
                t = self.origin
                fragments.append(Fragment(data=piece, t0=t, t1=t, init=True))
                continue
            # A Cluster ends where the next one starts: at the next keyframe muxed after its start
            # (the muxer closes a Cluster when that keyframe comes), else at its last block.
            while self._keyframes_ms and self._keyframes_ms[0] <= piece.start_ms:
                self._keyframes_ms.popleft()
            end = self._keyframes_ms[0] if self._keyframes_ms else piece.last_ms
            self._group.append((piece, max(end, piece.last_ms)))
            if self._group[-1][1] - self._group[0][0].start_ms >= self._min_ms:
                fragments.append(self._fragment(self._group))
                self._group = []
        return fragments

    def _fragment(self, clusters: list[tuple[Cluster, int]]) -> Fragment:
        start = min(c.start_ms for c, _ in clusters)
        end = max(end for _, end in clusters)
        return Fragment(
            data=b"".join(c.data for c, _ in clusters),
            t0=self.origin + start / 1000,
            t1=self.origin + max(start, end) / 1000,
        )


# --- the event-loop side -----------------------------------------------------------------------------------


_Frame = tuple[Literal["video", "audio"], bytes, int, float, "bool | None"]


class WebmStreamRecorder:
    """Records one leg's encoded frames into a record as WebM, muxing on the writer's thread.

    ``video_frame``/``audio_frame`` only append to a list (cheap enough for the hub's frame tap on the
    event loop); every ``batch_frames`` frames, at each video keyframe and at :meth:`close`, the batch
    goes to the writer thread. Call :meth:`close` before :meth:`RecordWriter.seal`. Frames that come
    after the writer failed or was sealed are counted in ``dropped`` instead of raising.
    """

    def __init__(
        self,
        writer: RecordWriter,
        stream: str,
        *,
        video: bool = True,
        audio: bool = True,
        min_fragment_seconds: float = 2.0,
        batch_frames: int = 16,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self.stream = stream
        """The record stream name (``customer``, ``teller``)."""
        self._fragmenter = WebmFragmenter(
            writer.opened_at, video=video, audio=audio, min_fragment_seconds=min_fragment_seconds
        )
        self._batch: list[_Frame] = []
        self._batch_bytes = 0
        self._batch_frames = batch_frames
        self._clock = clock
        self._pending: set[asyncio.Future[list[ChunkEntry]]] = set()
        self._closed = False
        self.dropped = 0
        """Frames not recorded because the writer had stopped."""

    @property
    def content_type(self) -> str:
        """MIME type of the stream's fragments."""
        return self._fragmenter.content_type

    @property
    def muxer_dropped(self) -> int:
        """Frames the fragmenter dropped (before the first keyframe, or refused); read after close."""
        return self._fragmenter.dropped

    def video_frame(
        self,
        payload: bytes,
        rtp_timestamp: int,
        *,
        keyframe: bool | None = None,
        arrival: float | None = None,
    ) -> None:
        """One reassembled VP8 frame with its 90 kHz RTP timestamp (``arrival``: server time, default now)."""
        is_key = vp8_is_keyframe(payload) if keyframe is None else keyframe
        self._add(
            ("video", bytes(payload), rtp_timestamp, self._clock() if arrival is None else arrival, is_key)
        )
        if is_key:
            self.flush()

    def audio_frame(self, payload: bytes, rtp_timestamp: int, *, arrival: float | None = None) -> None:
        """One Opus packet with its 48 kHz RTP timestamp."""
        self._add(
            ("audio", bytes(payload), rtp_timestamp, self._clock() if arrival is None else arrival, None)
        )

    def _add(self, frame: _Frame) -> None:
        if self._closed:
            raise RecordStateError(f"the {self.stream} stream recorder is closed")
        self._batch.append(frame)
        self._batch_bytes += len(frame[1])
        if len(self._batch) >= self._batch_frames:
            self.flush()

    def flush(self) -> None:
        """Send the frames collected so far to the writer thread."""
        if not self._batch:
            return
        batch, size = self._batch, self._batch_bytes
        self._batch, self._batch_bytes = [], 0
        self._send(lambda: self._mux_batch(batch), size)

    def _send(self, produce: Callable[[], list[Fragment]], size: int) -> None:
        if self._writer.failed or self._writer.sealing:
            self.dropped += 1
            return
        try:
            future = self._writer.append_produced(self.stream, self.content_type, produce, size=size)
        except RecordError:
            self.dropped += 1  # the writer stopped (it has logged why)
            return
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _mux_batch(self, batch: list[_Frame]) -> list[Fragment]:
        """On the writer thread."""
        fragments: list[Fragment] = []
        for kind, payload, rtp_timestamp, arrival, keyframe in batch:
            if kind == "video":
                fragments += self._fragmenter.video_frame(payload, rtp_timestamp, arrival, keyframe)
            else:
                fragments += self._fragmenter.audio_frame(payload, rtp_timestamp, arrival)
        return fragments

    async def close(self) -> None:
        """Mux what is left, store the last fragment, and wait until everything sent is stored."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._send(self._fragmenter.finish, 0)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
