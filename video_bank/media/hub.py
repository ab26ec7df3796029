"""The media hub: each participant holds one ``RTCPeerConnection`` with the server, which relays between them.

Per session the hub keeps two legs (customer, teller), and per leg one :class:`_Stream` for the
audio and one for the video it receives. By default (``relay_mode="forward"``) the hub decodes and
encodes nothing on the relay path:

- each received stream's encoded frames go to a :class:`~video_bank.media.forwarding.Forwarder`
  (aiortc's receiver is tapped by :mod:`video_bank.media.aiortc_forwarding`);
- the other leg's peer connection sends a :class:`~video_bank.media.forwarding.ForwardedTrack` of
  them, which aiortc packs into RTP as they are; that leg's keyframe requests go upstream as PLIs;
- recording reads the same encoded frames (:meth:`MediaHub.subscribe_encoded`);
- decoded frames (:meth:`MediaHub.subscribe`, for verification) come from a
  :class:`~video_bank.media.decoding.FrameDecoder` that runs in worker threads only while a stream
  has decoded subscribers.

Every leg negotiates the same codecs (VP8 with RTX for video, Opus for audio), so any leg's frames
can be sent to any other; an offer without them is refused.

A supervisor may watch a session (silent monitoring, :meth:`MediaHub.negotiate_monitor`): its
receive-only peer connection gets forwarded tracks of both parties, like a third leg that sends
nothing.

``relay_mode="transcode"`` is the naive relay kept as a measured baseline (``tests/bench/media_hub.py``):
aiortc decodes every received stream and each sender encodes it again. It offers no encoded frames.

Every bound: a sender lags at most :data:`RELAY_QUEUE` frames, a decoder :data:`DECODER_QUEUE`
frames, and every subscriber its own ``maxsize``; whoever lags loses its own oldest frames.
Every peer connection, track and task of a session is closed by :meth:`MediaHub.close_session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, get_args

from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import OperationError
from aiortc.sdp import candidate_from_sdp

from signaling.ports import MediaStateListener
from signaling.session import LEGS, Leg
from video_bank.errors import MediaError
from video_bank.media import aiortc_tuning
from video_bank.media.aiortc_forwarding import (
    AiortcInternalsError,
    ReceiverTap,
    forwardable_codecs,
    on_keyframe_request,
    tap_receiver,
)
from video_bank.media.decoding import FrameDecoder
from video_bank.media.fanout import Fanout, RelayTrack, Subscription
from video_bank.media.forwarding import EncodedSubscription, ForwardedTrack, Forwarder, Kind
from video_bank.media.ice import IcePlan, leg_id

logger = logging.getLogger(__name__)

RelayMode = Literal["forward", "transcode"]
KINDS: tuple[Kind, Kind] = ("audio", "video")
MONITOR_SECTIONS: tuple[tuple[Leg, Kind], ...] = (
    ("customer", "audio"),
    ("customer", "video"),
    ("teller", "audio"),
    ("teller", "video"),
)
"""The media sections of a monitor's offer, in order (``docs/protocol.md``, silent monitoring)."""
RELAY_QUEUE: dict[Kind, int] = {"audio": 10, "video": 8}
"""Frames a relay sender may lag behind before the oldest are dropped (200 ms audio, 8 video frames)."""
DECODER_QUEUE: dict[Kind, int] = {"audio": 25, "video": 8}
"""Encoded frames waiting for a decoder before the oldest are dropped (500 ms audio, 8 video frames)."""


@dataclass(frozen=True, slots=True)
class ForwardingStats:
    """Counters of one received stream (``forward`` mode)."""

    frames: int
    """Encoded frames received."""
    keyframes: int
    """Frames a decoder can start at (for audio: every frame)."""
    losses: int
    """Times the receiver lost data and every reader had to wait for a keyframe."""
    keyframe_requests: int
    """PLIs sent to the sender of the stream (rate-limited)."""
    subscribers: int
    """Readers of the encoded frames: the other leg's sender, recording, the decoder."""


class _Stream:
    """One leg's received audio or video, and the decoder that runs while someone wants frames."""

    def __init__(self, kind: Kind, name: str, decode_on_demand: bool) -> None:
        self.kind: Kind = kind
        self.name = name
        self.forwarder = Forwarder(kind)
        self.decoded = Fanout(kind, on_idle=self.stop_decoding if decode_on_demand else None)
        self.decoder: FrameDecoder | None = None
        self._stopped: list[FrameDecoder] = []

    def start_decoding(self) -> None:
        """Decode the forwarded frames into :attr:`decoded` (no-op while already decoding)."""
        if self.decoder is None and not self.forwarder.ended:
            self._stopped = [d for d in self._stopped if d.running]
            source = self.forwarder.subscribe(DECODER_QUEUE[self.kind])
            self.decoder = FrameDecoder(source, self.decoded, self.name)

    def stop_decoding(self) -> None:
        """The last decoded subscriber left."""
        if self.decoder is not None:
            self.decoder.stop()
            self._stopped.append(self.decoder)
            self.decoder = None

    async def close(self) -> None:
        self.forwarder.end()
        decoders = [*self._stopped, *([self.decoder] if self.decoder else [])]
        self.decoder = None
        self._stopped.clear()
        await asyncio.gather(*(d.close() for d in decoders))
        await self.decoded.close()


@dataclass(slots=True)
class _LegMedia:
    """One participant's peer connection and its media."""

    streams: dict[Kind, _Stream]
    pc: RTCPeerConnection | None = None
    outbound: list[MediaStreamTrack] = field(default_factory=list)
    taps: list[ReceiverTap] = field(default_factory=list)


@dataclass(slots=True)
class _Watcher:
    """A supervisor's receive-only peer connection (silent monitoring)."""

    pc: RTCPeerConnection
    outbound: list[MediaStreamTrack] = field(default_factory=list)

    async def close(self) -> None:
        for track in self.outbound:
            track.stop()
        self.outbound.clear()
        await self.pc.close()
        self.pc.remove_all_listeners()


@dataclass(slots=True)
class _HubSession:
    id: str
    legs: dict[Leg, _LegMedia]
    watchers: dict[str, _Watcher] = field(default_factory=dict)
    closed: bool = False


@contextlib.contextmanager
def _offer_errors(session_id: str, who: str) -> Iterator[None]:
    """Turn whatever aiortc raises for an unusable offer into a :class:`MediaError` (never echo SDP)."""
    try:
        yield
    except (MediaError, AiortcInternalsError):
        raise
    except OperationError as exc:
        logger.info("session %s: %s offer has no usable codec", session_id, who)
        raise MediaError("the offer must include VP8 video and Opus audio") from exc
    except Exception as exc:
        logger.info("session %s: %s offer refused (%s)", session_id, who, type(exc).__name__)
        raise MediaError("the offer could not be used") from exc


def _has_candidates(sdp: str) -> bool:
    """Whether a session description carries at least one ICE candidate."""
    return "\na=candidate:" in sdp


def _other(leg: Leg) -> Leg:
    return "teller" if leg == "customer" else "customer"


class MediaHub:
    """Relays media between the two legs of each session."""

    def __init__(
        self,
        ice: IcePlan | None = None,
        relay_mode: RelayMode = "forward",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``ice``: the ICE servers, TURN credentials and policy of the hub's peer connections (none:
        host candidates only); ``clock``: Unix time, for the expiry of TURN credentials."""
        if relay_mode not in get_args(RelayMode):
            raise ValueError(f"relay_mode must be one of {get_args(RelayMode)}")
        aiortc_tuning.install()
        self.relay_mode: RelayMode = relay_mode
        self._ice = ice if ice is not None else IcePlan()
        self._clock = clock
        self._sessions: dict[str, _HubSession] = {}
        self._listener: MediaStateListener | None = None

    def set_listener(self, listener: MediaStateListener) -> None:
        """Register the callback told about each leg's connection state."""
        self._listener = listener

    @property
    def _forwarding(self) -> bool:
        return self.relay_mode == "forward"

    # --- sessions ------------------------------------------------------------------------------------

    def open_session(self, session_id: str) -> None:
        """Prepare the streams of a session so that either leg may offer first."""
        if session_id in self._sessions:
            raise MediaError("session already open")
        legs = {
            leg: _LegMedia({k: _Stream(k, f"{session_id}/{leg}/{k}", self._forwarding) for k in KINDS})
            for leg in LEGS
        }
        self._sessions[session_id] = _HubSession(session_id, legs)

    def has_session(self, session_id: str) -> bool:
        """Whether the session's media is open (between :meth:`open_session` and :meth:`close_session`)."""
        return session_id in self._sessions

    def _session(self, session_id: str) -> _HubSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise MediaError("this session has no media (it may have ended)")
        return session

    async def negotiate(self, session_id: str, leg: Leg, sdp: str) -> str:
        """Answer a leg's offer: receive its audio/video, send it the other leg's.

        A leg that offers again (it came back after a lost connection, or its peer connection failed)
        gets a fresh media path: its old peer connection is closed and a new one takes over the leg's
        streams, so that the other leg, recording and verification keep reading the same forwarders
        (aiortc has no ICE restart)."""
        session = self._session(session_id)
        media = session.legs[leg]
        if media.pc is not None:
            logger.info("session %s: the %s leg negotiates a new peer connection", session_id, leg)
            await self._drop_pc(media)
        pc = RTCPeerConnection(configuration=self._ice.for_hub(leg_id(session_id, leg), self._clock()))
        media.pc = pc
        self._watch(session, leg, pc)
        with _offer_errors(session_id, leg):
            # Transceivers made before the offer is applied take its sections, with our codecs only.
            for kind in KINDS:
                pc.addTransceiver(kind, direction="sendrecv").setCodecPreferences(forwardable_codecs(kind))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            used = [t for t in pc.getTransceivers() if t.mid is not None]
            if sorted(t.kind for t in used) not in (["audio", "video"], ["audio"], ["video"]):
                raise MediaError("the offer must have at most one audio and one video section")
            for transceiver in used:
                self._connect(transceiver, media, session.legs[_other(leg)])
            await pc.setLocalDescription(await pc.createAnswer())
        if session.closed:
            raise MediaError("the session ended during negotiation")
        answer = str(pc.localDescription.sdp)
        if not _has_candidates(answer):
            # aiortc never starts ICE without a local candidate, so the leg would hang in "connecting".
            logger.warning(
                "session %s: the hub gathered no ICE candidate for the %s leg (policy %s: is the TURN "
                "server reachable and does it accept our credentials?)",
                session_id,
                leg,
                self._ice.transport_policy,
            )
            if self._listener is not None:
                self._listener(session.id, leg, "failed")
        return answer

    async def _drop_pc(self, media: _LegMedia) -> None:
        """Close a leg's peer connection, its relay tracks and taps; its streams stay for the next one."""
        pc, media.pc = media.pc, None
        for track in media.outbound:
            track.stop()
        media.outbound.clear()
        for tap in media.taps:
            tap.close()
        media.taps.clear()
        for stream in media.streams.values():
            stream.forwarder.detach_source()
        if pc is not None:
            await pc.close()
            pc.remove_all_listeners()

    def _connect(self, transceiver: RTCRtpTransceiver, media: _LegMedia, other: _LegMedia) -> None:
        """Receive this leg's stream of the transceiver's kind and send it the other leg's."""
        kind: Kind = "audio" if transceiver.kind == "audio" else "video"
        inbound = media.streams[kind]
        if self._forwarding:
            replace = inbound.forwarder.sources > 0  # an earlier peer connection of this leg sent it
            media.taps.append(tap_receiver(transceiver.receiver, kind, inbound.forwarder, replace=replace))
        elif transceiver.receiver.track is not None:
            inbound.decoded.attach(transceiver.receiver.track)
        media.outbound.append(self._send(transceiver, other.streams[kind]))

    def _send(self, transceiver: RTCRtpTransceiver, stream: _Stream) -> MediaStreamTrack:
        """Make ``transceiver`` send ``stream``; return the track it sends."""
        track: MediaStreamTrack
        if self._forwarding:
            on_keyframe_request(transceiver.sender, stream.forwarder)
            track = ForwardedTrack(stream.forwarder, RELAY_QUEUE[stream.kind])
        else:
            track = RelayTrack(stream.decoded.subscribe(RELAY_QUEUE[stream.kind]))
        transceiver.sender.replaceTrack(track)
        return track

    async def negotiate_monitor(self, session_id: str, watcher_id: str, sdp: str) -> str:
        """Answer a supervisor's receive-only offer: send it both parties' audio and video.

        The offer has four sections in the order of :data:`MONITOR_SECTIONS`. The parties are not
        affected beyond a keyframe request when the watcher starts (and whenever it loses packets).
        """
        session = self._session(session_id)
        if watcher_id in session.watchers:
            raise MediaError("this supervisor is already receiving the session")
        # Max-bundle: with aiortc's default (balanced) a second transceiver of a kind keeps a transport
        # that applying the offer's BUNDLE group then discards, and its sender never starts.
        monitor = leg_id(session_id, f"monitor.{watcher_id}")
        pc = RTCPeerConnection(self._ice.for_hub(monitor, self._clock(), RTCBundlePolicy.MAX_BUNDLE))
        watcher = _Watcher(pc)
        session.watchers[watcher_id] = watcher
        try:
            with _offer_errors(session_id, "monitor"):
                for _, kind in MONITOR_SECTIONS:
                    pc.addTransceiver(kind, direction="sendonly").setCodecPreferences(
                        forwardable_codecs(kind)
                    )
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                used = [t for t in pc.getTransceivers() if t.mid is not None]
                if [t.kind for t in used] != [kind for _, kind in MONITOR_SECTIONS]:
                    raise MediaError(
                        "a monitor offers customer audio, customer video, teller audio, teller video"
                    )
                for transceiver, (leg, kind) in zip(used, MONITOR_SECTIONS, strict=True):
                    watcher.outbound.append(self._send(transceiver, session.legs[leg].streams[kind]))
                await pc.setLocalDescription(await pc.createAnswer())
                if not _has_candidates(str(pc.localDescription.sdp)):
                    logger.warning("session %s: the hub gathered no ICE candidate for a monitor", session_id)
                    raise MediaError("the media server has no network path for monitoring now")
        except MediaError:
            if session.watchers.get(watcher_id) is watcher:
                del session.watchers[watcher_id]
            await watcher.close()
            raise
        if session.closed:
            raise MediaError("the session ended during negotiation")
        return str(pc.localDescription.sdp)

    async def close_monitor(self, session_id: str, watcher_id: str) -> None:
        """Stop sending a session to a supervisor (idempotent; nothing to do once the session ended)."""
        session = self._sessions.get(session_id)
        watcher = session.watchers.pop(watcher_id, None) if session is not None else None
        if watcher is not None:
            await watcher.close()

    async def add_candidate(
        self, session_id: str, leg: Leg, candidate: str, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None:
        """Add a trickled candidate for a leg that has offered; an empty candidate is accepted and ignored."""
        pc = self._session(session_id).legs[leg].pc
        if pc is None:
            raise MediaError("send the offer before ICE candidates")
        if not candidate:
            return
        try:
            parsed = candidate_from_sdp(candidate.removeprefix("candidate:"))
        except Exception as exc:  # aioice asserts on too few fields: any failure is the client's input
            raise MediaError("the ICE candidate could not be parsed") from exc
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = sdp_mline_index
        try:
            await pc.addIceCandidate(parsed)
        except Exception as exc:
            raise MediaError("the ICE candidate could not be used") from exc

    def _watch(self, session: _HubSession, leg: Leg, pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            if session.closed or self._listener is None or session.legs[leg].pc is not pc:
                return  # over, or a peer connection a newer one of the same leg replaced
            if state == "connected":
                self._listener(session.id, leg, "connected")
            elif state == "failed":
                self._listener(session.id, leg, "failed")

    # --- readers ---------------------------------------------------------------------------------------

    def subscribe(self, session_id: str, leg: Leg, kind: Kind, maxsize: int = 2) -> Subscription:
        """Decoded frames a leg sends (with server receive times), at most ``maxsize`` queued.

        In ``forward`` mode the stream is decoded (in worker threads) only while it has decoded
        subscribers; close the subscription when done.
        """
        stream = self._session(session_id).legs[leg].streams[kind]
        subscription = stream.decoded.subscribe(maxsize)
        if self._forwarding and not subscription.ended:
            stream.start_decoding()
        return subscription

    def subscribe_encoded(
        self, session_id: str, leg: Leg, kind: Kind, maxsize: int = 32
    ) -> EncodedSubscription:
        """Encoded frames a leg sends (for recording), at most ``maxsize`` queued.

        The first frame is a keyframe; when the reader lags, frames are dropped so that what it gets
        still decodes (video resumes at the next keyframe). ``forward`` mode only.
        """
        if not self._forwarding:
            raise RuntimeError("encoded frames are only available with relay_mode='forward'")
        return self._session(session_id).legs[leg].streams[kind].forwarder.subscribe(maxsize)

    def request_keyframe(self, session_id: str, leg: Leg) -> None:
        """Ask ``leg``'s sender for a video keyframe (rate-limited by its forwarder; no-op without media).

        Recording asks every few seconds so that every record fragment starts at a keyframe and a
        replay can start anywhere (docs/record-format.md §11).
        """
        session = self._sessions.get(session_id)
        if session is None or not self._forwarding:
            return
        session.legs[leg].streams["video"].forwarder.request_keyframe()

    async def close_session(self, session_id: str) -> None:
        """Stop monitors, relay tracks, decoders, subscriptions and peer connections (idempotent)."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        session.closed = True
        for watcher in session.watchers.values():
            await watcher.close()
        session.watchers.clear()
        for media in session.legs.values():
            for track in media.outbound:
                track.stop()
            media.outbound.clear()
        for media in session.legs.values():
            await asyncio.gather(*(stream.close() for stream in media.streams.values()))
            if media.pc is not None:
                await media.pc.close()
                media.pc.remove_all_listeners()
            for tap in media.taps:
                tap.close()
            media.taps.clear()

    async def close(self) -> None:
        """Close every session (server shutdown)."""
        for session_id in list(self._sessions):
            await self.close_session(session_id)

    # --- introspection ---------------------------------------------------------------------------------

    @property
    def open_sessions(self) -> int:
        """Sessions with media state."""
        return len(self._sessions)

    def peer_connections(self) -> int:
        """Peer connections currently held (parties' and monitors')."""
        return sum(
            sum(1 for m in s.legs.values() if m.pc is not None) + len(s.watchers)
            for s in self._sessions.values()
        )

    def peer_connection(self, session_id: str, leg: Leg) -> RTCPeerConnection | None:
        """A leg's peer connection with the hub, once it has offered (for diagnostics and tests)."""
        return self._session(session_id).legs[leg].pc

    def decoding_streams(self) -> int:
        """Received streams being decoded for subscribers (``forward`` mode)."""
        return sum(
            1
            for s in self._sessions.values()
            for m in s.legs.values()
            for stream in m.streams.values()
            if stream.decoder is not None
        )

    def forwarding_stats(self, session_id: str, leg: Leg, kind: Kind) -> ForwardingStats:
        """Counters of the stream ``leg`` sends."""
        forwarder = self._session(session_id).legs[leg].streams[kind].forwarder
        return ForwardingStats(
            frames=forwarder.frames,
            keyframes=forwarder.keyframes,
            losses=forwarder.losses,
            keyframe_requests=forwarder.keyframe_requests,
            subscribers=forwarder.subscribers,
        )
