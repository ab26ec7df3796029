"""Forwarding of received encoded frames: the hub relays media without decoding or encoding it.

Each received stream (one leg's audio or video) has a :class:`Forwarder`. Its source is an aiortc
receiver tapped by :mod:`video_bank.media.aiortc_forwarding`, which hands over every reassembled
encoded frame (VP8 frame or Opus packet) with its RTP timestamp. The forwarder passes each frame to
its sinks, each an :class:`EncodedSubscription` with its own bound and its own keyframe state:

- a :class:`ForwardedTrack` per receiving peer connection: aiortc's sender packs the frames into RTP
  without encoding (``Vp8Encoder.pack`` / ``OpusEncoder.pack``);
- the decoder of :mod:`video_bank.media.decoding`, only while someone wants decoded frames;
- recording, through :meth:`video_bank.media.hub.MediaHub.subscribe_encoded`.

Video frames depend on earlier frames back to the last keyframe, so a sink may only start at a
keyframe and must wait for the next one whenever it misses a frame: when it joins, when the upstream
stream loses packets (:meth:`Forwarder.lose`), when its own queue overflows, or when its decoder
fails. A waiting sink asks for a keyframe; the forwarder passes such requests (and those of the
receiving browsers) upstream as a PLI, at most one per :data:`KEYFRAME_REQUEST_INTERVAL`. Every Opus
packet decodes on its own, so audio counts every frame as a keyframe and never waits.

Known gap: there is no per-receiver bitrate adaptation. The sending browser's encoder follows the
bandwidth estimate of the hub's receiver only; a receiver on a slower link gets the same bitrate
(the REMB it sends to the hub steers an encoder that forwarding does not use), and relies on NACK
retransmissions and keyframe requests. Simulcast or SVC layer selection would close that gap.

Everything here is plain Python on one event loop and is tested without a network
(``tests/unit/test_forwarding.py``).
"""

from __future__ import annotations

import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import Packet
from av.stream import Stream

from video_bank.media.feed import Feed

Kind = Literal["audio", "video"]
Codec = Literal["VP8", "opus"]

CODECS: dict[Kind, Codec] = {"audio": "opus", "video": "VP8"}
"""The one codec the hub negotiates per kind, so that any leg's frames can be sent to any other."""
CLOCK_RATES: dict[Kind, int] = {"audio": 48000, "video": 90000}
"""RTP clock rates (Hz) of :data:`CODECS`."""
KEYFRAME_REQUEST_INTERVAL = 0.5
"""Seconds between two keyframe requests sent upstream for one stream."""
MISSING_PACKET_PATIENCE = 1.0
"""Seconds a video packet may stay missing (NACK and retransmission under way) before the frames
held back behind it are given up."""

_VP8_START_CODE = b"\x9d\x01\x2a"
_VP8_KEYFRAME_HEADER = 10
"""Frame tag (3 bytes), start code (3) and the two 16-bit size fields of a VP8 keyframe."""
_UINT32 = 1 << 32
_UINT16 = 1 << 16


def vp8_is_keyframe(data: bytes) -> bool:
    """Whether a VP8 frame (RFC 6386 9.1; the VP8 payload header of RFC 7741 4.3) is a keyframe.

    The frame tag's lowest bit is 0 for a keyframe, which also carries a start code. Checking both
    keeps a frame whose beginning was lost from passing for a keyframe.
    """
    return len(data) >= _VP8_KEYFRAME_HEADER and not data[0] & 1 and data[3:6] == _VP8_START_CODE


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels coded in a VP8 keyframe, ``None`` for any other frame."""
    if not vp8_is_keyframe(data):
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One encoded frame as the hub received it."""

    data: bytes
    """The frame: a whole VP8 frame (RTP payload descriptors removed) or one Opus packet."""
    codec: Codec
    """``"VP8"`` (video) or ``"opus"`` (audio)."""
    timestamp: int
    """The sender's RTP timestamp, extended past 32-bit wrap-around (``timestamp % 2**32`` is the
    value on the wire); 90 kHz for video, 48 kHz for audio. Increases with capture time."""
    keyframe: bool
    """A decoder can start here: a VP8 keyframe, or any Opus packet."""
    received_at: float
    """Server time (epoch seconds) the hub had the whole frame."""

    @property
    def kind(self) -> Kind:
        """``"audio"`` or ``"video"``."""
        return "video" if self.codec == "VP8" else "audio"

    @property
    def time_base(self) -> fractions.Fraction:
        """Seconds per :attr:`timestamp` unit."""
        return fractions.Fraction(1, CLOCK_RATES[self.kind])


class TimestampUnwrapper:
    """Extends 32-bit RTP timestamps to a count that does not wrap around.

    Each timestamp is placed nearest to the newest one seen, so reordered or repeated packets map to
    their true position (earlier or equal) rather than to a jump of 2**32.
    """

    def __init__(self) -> None:
        self._newest: int | None = None

    @property
    def newest(self) -> int | None:
        """The largest extended timestamp returned so far."""
        return self._newest

    def unwrap(self, timestamp: int) -> int:
        """The extended value of a 32-bit RTP ``timestamp``."""
        if self._newest is None:
            self._newest = timestamp
            return timestamp
        delta = (timestamp - self._newest) % _UINT32
        if delta >= _UINT32 // 2:
            delta -= _UINT32
        value = self._newest + delta
        self._newest = max(self._newest, value)
        return value


class MissingPacketWatch:
    """Notices an RTP packet that stays missing, by sequence number.

    aiortc's video jitter buffer hands out frames only in sequence: one packet lost for good (its
    retransmission lost too) holds every later frame back until the buffer overflows, hundreds of
    packets later. The watch tells its owner when a gap has stayed open for ``patience`` seconds,
    so that it can give up the frames behind it and ask for a keyframe instead.
    """

    def __init__(self, patience: float = MISSING_PACKET_PATIENCE, window: int = 512) -> None:
        self.patience = patience
        self.window = window
        """Gaps wider than this are left to the jitter buffer, which flushes them itself."""
        self._highest: int | None = None
        self._missing: dict[int, float] = {}
        """Missing sequence numbers and when each was first missed, oldest first."""

    @property
    def missing(self) -> int:
        """Packets missing now."""
        return len(self._missing)

    def add(self, sequence: int, now: float) -> bool:
        """Note a received packet (monotonic ``now``); return whether a gap has stayed open too long.

        After ``True`` the watch starts afresh, as the owner starts a new buffer.
        """
        if self._highest is None:
            self._highest = sequence
            return False
        ahead = (sequence - self._highest) % _UINT16
        if ahead == 0:
            pass  # a repeat
        elif ahead < _UINT16 // 2:
            if ahead > self.window:
                self._missing.clear()  # a jump the jitter buffer handles by flushing
            else:
                for step in range(1, ahead):
                    self._missing.setdefault((self._highest + step) % _UINT16, now)
            self._highest = sequence
        else:
            self._missing.pop(sequence, None)  # a late packet or a retransmission fills its gap
        while len(self._missing) > self.window:
            del self._missing[next(iter(self._missing))]
        if self._missing and now - next(iter(self._missing.values())) >= self.patience:
            self._missing.clear()
            self._highest = sequence
            return True
        return False


class KeyframeGate:
    """Whether one sink may take the next frame: after any gap it waits for a keyframe.

    A new gate waits, since a sink joining a running stream cannot use delta frames.
    """

    def __init__(self) -> None:
        self.waiting = True
        """The sink's decoding chain is broken; only a keyframe may pass."""

    def admit(self, keyframe: bool) -> bool:
        """Whether a frame may pass; a keyframe ends the wait."""
        if keyframe:
            self.waiting = False
        return not self.waiting

    def interrupt(self) -> None:
        """The sink missed a frame: wait for the next keyframe."""
        self.waiting = True


class KeyframeRequestLimiter:
    """Lets at most one keyframe request through per ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        if interval < 0:
            raise ValueError("interval must not be negative")
        self.interval = interval
        self._last: float | None = None

    def allow(self, now: float) -> bool:
        """Whether a request at monotonic time ``now`` may be sent; if so it counts as sent."""
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True


class EncodedSubscription(Feed[EncodedFrame]):
    """A bounded queue of one forwarder's frames whose reader can always decode what it gets.

    The first frame a reader gets is a keyframe, and every later one can be decoded after the frames
    before it. When the queue is full, the oldest frame is dropped; for video, so are the frames
    after it up to the next queued keyframe, and with none queued the subscription waits for (and
    asks for) the next keyframe.
    """

    def __init__(self, forwarder: Forwarder, maxsize: int) -> None:
        super().__init__(maxsize)
        self.kind: Kind = forwarder.kind
        self.skipped = 0
        """Frames not queued because the reader's decoding chain was broken (waiting for a keyframe)."""
        self._forwarder: Forwarder | None = forwarder
        self._gate = KeyframeGate()
        if self.kind == "audio":
            self._gate.admit(keyframe=True)  # every Opus packet decodes on its own

    @property
    def waiting_for_keyframe(self) -> bool:
        """Only a keyframe will be queued next."""
        return self._gate.waiting

    def lost(self) -> None:
        """Frames after those queued were lost upstream: queue nothing until the next keyframe."""
        if self.kind == "video" and not self._ended:
            self._gate.interrupt()

    def restart(self) -> None:
        """The reader could not use the frame it took (a decoder error): skip to the next keyframe.

        Queued frames up to the next queued keyframe are dropped; with none queued, the subscription
        waits for (and asks for) the next keyframe.
        """
        if self.kind != "video" or self._ended:
            return
        while self._items and not self._items[0].keyframe:
            self._items.popleft()
            self.dropped += 1
        if not self._items:
            self._gate.interrupt()
            self._request_keyframe()

    def _admit(self, item: EncodedFrame) -> bool:
        if self._gate.admit(item.keyframe):
            return True
        self.skipped += 1
        self._request_keyframe()
        return False

    def _make_room(self, item: EncodedFrame) -> bool:
        self._items.popleft()
        self.dropped += 1
        # The frames after a dropped one reference it: drop up to the next keyframe.
        while self._items and not self._items[0].keyframe:
            self._items.popleft()
            self.dropped += 1
        if self._items or item.keyframe:
            return True
        self.dropped += 1
        self._gate.interrupt()
        self._request_keyframe()
        return False

    def _request_keyframe(self) -> None:
        if self._forwarder is not None:
            self._forwarder.request_keyframe()

    def close(self) -> None:
        """Unsubscribe; the reader sees the end of the stream."""
        forwarder, self._forwarder = self._forwarder, None
        super().close()
        if forwarder is not None:
            forwarder.unsubscribe(self)


class Forwarder:
    """Hands one received stream's encoded frames to its subscriptions; passes keyframe requests up."""

    def __init__(
        self,
        kind: Kind,
        *,
        request_interval: float = KEYFRAME_REQUEST_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind: Kind = kind
        self.codec: Codec = CODECS[kind]
        self.frames = 0
        """Frames received."""
        self.keyframes = 0
        """Frames received that a decoder can start at (for audio: every frame)."""
        self.losses = 0
        """Times the source reported lost data."""
        self.keyframe_requests = 0
        """Keyframe requests passed to the source (after rate limiting)."""
        self.sources = 0
        """Sources connected so far (more than one: the leg came back with a new peer connection)."""
        self._subscriptions: set[EncodedSubscription] = set()
        self._request_upstream: Callable[[], None] | None = None
        self._limiter = KeyframeRequestLimiter(request_interval)
        self._clock = clock
        self._ended = False
        self._offset = 0
        """Added to the source's timestamps so that they continue those of an earlier source."""
        self._last: tuple[int, float] | None = None
        """(timestamp, received_at) of the last frame handed on."""
        self._rebase = False
        """The next frame is the first of a new source: choose :attr:`_offset` for it."""

    @property
    def subscribers(self) -> int:
        """Current number of subscriptions."""
        return len(self._subscriptions)

    @property
    def ended(self) -> bool:
        """The stream is over; new subscriptions end at once."""
        return self._ended

    def set_source(self, request_keyframe: Callable[[], None]) -> None:
        """Connect the source; ``request_keyframe`` asks its sender for a keyframe (sends a PLI)."""
        if self._request_upstream is not None:
            raise RuntimeError(f"{self.kind} forwarder already has a source")
        self._request_upstream = request_keyframe
        self.sources += 1

    def replace_source(self, request_keyframe: Callable[[], None]) -> None:
        """A new peer connection of the same leg sends this stream from now on (a fresh media path).

        The subscriptions stay: every one waits for the new source's first keyframe (which is asked
        for at once), and the new source's timestamps are shifted to continue the old ones after the
        time that passed, so that readers (the other leg's sender, the recording) see one stream with
        a gap rather than a jump back in time."""
        if self._ended:
            return
        self._request_upstream = request_keyframe
        self.sources += 1
        self._rebase = self._last is not None
        self.lose()

    def detach_source(self) -> None:
        """The source's peer connection is gone: keyframe requests go nowhere until a new one comes."""
        self._request_upstream = None

    def subscribe(self, maxsize: int) -> EncodedSubscription:
        """A new subscription; its first frame will be a keyframe."""
        subscription = EncodedSubscription(self, maxsize)
        if self._ended:
            subscription.end()
        else:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: EncodedSubscription) -> None:
        """Stop feeding a subscription."""
        self._subscriptions.discard(subscription)

    def push(self, data: bytes, timestamp: int, received_at: float) -> None:
        """Hand a received frame (extended RTP timestamp) to every subscription."""
        if self._ended or not data:
            return
        keyframe = self.kind == "audio" or vp8_is_keyframe(data)
        if self._rebase and self._last is not None:
            last_timestamp, last_at = self._last
            elapsed = max(1, round((received_at - last_at) * CLOCK_RATES[self.kind]))
            self._offset = last_timestamp + elapsed - timestamp
            self._rebase = False
        timestamp += self._offset
        self._last = (timestamp, received_at)
        frame = EncodedFrame(data, self.codec, timestamp, keyframe, received_at)
        self.frames += 1
        if keyframe:
            self.keyframes += 1
        for subscription in tuple(self._subscriptions):
            subscription.push(frame)

    def lose(self) -> None:
        """The source lost data: every subscription waits for the next keyframe, and one is requested."""
        self.losses += 1
        for subscription in tuple(self._subscriptions):
            subscription.lost()
        self.request_keyframe()

    def request_keyframe(self) -> None:
        """Ask the source for a keyframe, unless one was asked for in the last interval (video only)."""
        if self.kind != "video" or self._request_upstream is None or self._ended:
            return
        if self._limiter.allow(self._clock()):
            self.keyframe_requests += 1
            self._request_upstream()

    def end(self) -> None:
        """The stream is over: end every subscription (readers get what is queued) and drop the source."""
        self._ended = True
        self._request_upstream = None
        for subscription in tuple(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()


class ForwardedTrack(MediaStreamTrack):
    """A sendable track whose items are a forwarder's encoded frames as ``av.Packet``s.

    aiortc's sender packs packets into RTP as they are, without encoding. The track subscribes when
    the sender first reads it, so nothing queues before the connection is up, and its first frame
    is a keyframe.
    """

    def __init__(self, forwarder: Forwarder, maxsize: int) -> None:
        super().__init__()
        self.kind = forwarder.kind
        self._forwarder = forwarder
        self._maxsize = maxsize
        self._subscription: EncodedSubscription | None = None

    @property
    def subscription(self) -> EncodedSubscription | None:
        """The queue this track reads, once the sender has started."""
        return self._subscription

    async def recv(self) -> Packet[Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        if self._subscription is None:
            self._subscription = self._forwarder.subscribe(self._maxsize)
        frame = await self._subscription.get()
        packet = Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = frame.time_base
        return packet

    def stop(self) -> None:
        super().stop()
        if self._subscription is not None:
            self._subscription.close()
