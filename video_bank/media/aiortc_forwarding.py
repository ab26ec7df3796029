"""The three places where forwarding reaches into aiortc (pinned: ``aiortc==1.16.0``).

aiortc has no public API for relaying encoded media, so the hub uses these internals, and nothing
else of aiortc's privates; ``tests/unit/test_forwarding_aiortc.py`` exercises each of them against
the installed aiortc so that an upgrade that moves them fails loudly instead of silently decoding:

1. **Receiver** — ``RTCRtpReceiver._RTCRtpReceiver__jitter_buffer``. The receiver depacketizes each RTP
   packet (VP8 payload descriptors removed), passes it to the jitter buffer's ``add(packet)``, which
   returns ``(lost, frame)``; ``lost`` makes the receiver send a PLI, and a ``frame`` goes to the
   decoder thread. :func:`tap_receiver` puts a :class:`ReceiverTap` in the jitter buffer's place:
   video packets still go through aiortc's jitter buffer (reassembly, reordering, retransmissions),
   but its frames go to a :class:`~video_bank.media.forwarding.Forwarder` and never to the decoder,
   and its losses make the forwarder's sinks wait for a keyframe. A packet that stays missing for
   :data:`~video_bank.media.forwarding.MISSING_PACKET_PATIENCE` would hold every later frame back
   until the buffer overflows (512 packets, seconds of video); the tap then starts a new
   ``JitterBuffer`` (public constructor) and treats it as a loss. Opus packets are whole frames and
   are forwarded as they arrive (aiortc's audio buffer would hold each back for four more packets);
   late or repeated ones are dropped. Keyframe requests go upstream with the receiver's
   ``_send_rtcp_pli(media_ssrc)``. The receiver's (idle) decoder thread still starts and stops as
   usual, which also ends its ``RemoteStreamTrack``.
2. **Sender** — ``RTCRtpSender._send_keyframe()``, which the sender calls for each PLI or FIR from
   its remote peer (to make its encoder send a keyframe). :func:`on_keyframe_request` replaces it on
   one sender instance so that the request goes upstream instead.
3. **Packing** (documented behaviour, no private name): a track that yields ``av.Packet``s makes the
   sender call ``Encoder.pack(packet)`` instead of ``encode``: ``Vp8Encoder.pack`` splits the frame
   into RTP payloads with fresh picture ids, ``OpusEncoder.pack`` sends the packet as it is; the RTP
   timestamp is the packet's pts in 1/90000 (video) or 1/48000 (audio) plus the sender's own random
   origin.

:func:`forwardable_codecs` gives the codec preferences (VP8 with RTX, Opus) that make every leg use
the same codecs, so that any leg's frames can be sent to any other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.rtp import RtpPacket

from video_bank.media.forwarding import Forwarder, Kind, MissingPacketWatch, TimestampUnwrapper

logger = logging.getLogger(__name__)

TESTED_AIORTC_VERSION = "1.16.0"
"""The aiortc release these hooks were written and tested against (``pyproject.toml`` pins it)."""

_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_FORWARDABLE_MIME_TYPES: dict[Kind, frozenset[str]] = {
    "audio": frozenset({"audio/opus"}),
    "video": frozenset({"video/vp8", "video/rtx"}),
}


class AiortcInternalsError(RuntimeError):
    """The installed aiortc does not have the internals forwarding relies on (our fault: bad upgrade)."""


def forwardable_codecs(kind: Kind) -> list[RTCRtpCodecCapability]:
    """Codec preferences for a transceiver of ``kind``: Opus, or VP8 with its retransmission codec."""
    wanted = _FORWARDABLE_MIME_TYPES[kind]
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]
    if {c.mimeType.lower() for c in codecs} != wanted:
        raise AiortcInternalsError(f"aiortc {aiortc.__version__} does not offer {sorted(wanted)}")
    return codecs


class ReceiverTap:
    """Stands in for one receiver's jitter buffer and hands its encoded frames to a forwarder."""

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        kind: Kind,
        buffer: JitterBuffer,
        forwarder: Forwarder,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._receiver = receiver
        self._kind = kind
        self._buffer = buffer
        self._forwarder = forwarder
        self._clock = clock
        self._unwrapper = TimestampUnwrapper()
        self._missing = MissingPacketWatch()
        self._media_ssrc: int | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        """Take one depacketized RTP packet; return what the receiver should act on (nothing)."""
        self._media_ssrc = packet.ssrc
        if self._kind == "video":
            if self._missing.add(packet.sequence_number, self._clock()):
                # A packet stayed missing: drop the frames held back behind it, start a new buffer.
                self._buffer = JitterBuffer(capacity=self._buffer.capacity, is_video=True)
                self._forwarder.lose()
            lost, frame = self._buffer.add(packet)
            if lost:
                self._forwarder.lose()
            if frame is not None:
                self._forwarder.push(frame.data, self._unwrapper.unwrap(frame.timestamp), time.time())
        else:
            newest = self._unwrapper.newest
            timestamp = self._unwrapper.unwrap(packet.timestamp)
            if newest is None or timestamp > newest:
                self._forwarder.push(packet.payload, timestamp, time.time())
        # No PLI from aiortc (the forwarder sends them, rate-limited) and no frame for its decoder.
        return False, None

    def request_keyframe(self) -> None:
        """Send a PLI to the remote sender of this receiver's stream."""
        if self._media_ssrc is None:
            return  # nothing received yet: the stream will start with a keyframe
        task = asyncio.ensure_future(self._receiver._send_rtcp_pli(self._media_ssrc))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def close(self) -> None:
        """Cancel keyframe requests still being sent (the session is over)."""
        for task in tuple(self._pending):
            task.cancel()


def tap_receiver(
    receiver: RTCRtpReceiver,
    kind: Kind,
    forwarder: Forwarder,
    clock: Callable[[], float] = time.monotonic,
    *,
    replace: bool = False,
) -> ReceiverTap:
    """Send ``receiver``'s encoded frames to ``forwarder`` instead of its decoder (before it starts).

    ``replace``: the forwarder had a source on an earlier peer connection of the same leg, which
    this receiver takes over (:meth:`~video_bank.media.forwarding.Forwarder.replace_source`)."""
    buffer = getattr(receiver, _JITTER_BUFFER, None)
    if not isinstance(buffer, JitterBuffer):
        raise AiortcInternalsError(
            f"aiortc {aiortc.__version__}: RTCRtpReceiver has no jitter buffer to tap "
            f"(forwarding is tested with {TESTED_AIORTC_VERSION})"
        )
    tap = ReceiverTap(receiver, kind, buffer, forwarder, clock)
    setattr(receiver, _JITTER_BUFFER, tap)
    if replace:
        forwarder.replace_source(tap.request_keyframe)
    else:
        forwarder.set_source(tap.request_keyframe)
    return tap


def on_keyframe_request(sender: RTCRtpSender, forwarder: Forwarder) -> None:
    """Pass the keyframe requests (PLI, FIR) ``sender``'s remote peer sends to ``forwarder``."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise AiortcInternalsError(
            f"aiortc {aiortc.__version__}: RTCRtpSender has no _send_keyframe "
            f"(forwarding is tested with {TESTED_AIORTC_VERSION})"
        )
    sender._send_keyframe = forwarder.request_keyframe  # type: ignore[method-assign]
