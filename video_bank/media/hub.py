"""The media hub: each participant holds one ``RTCPeerConnection`` with the server, which relays between them.

Per session the hub keeps two legs (customer, teller). Each leg's received audio and video enter a
:class:`~video_bank.media.fanout.Fanout`; the other leg's peer connection sends a
:class:`~video_bank.media.fanout.RelayTrack` subscribed to it. Other subscribers — verification
(decoded customer video) and recording (any leg, any kind) — use :meth:`MediaHub.subscribe`.

Every peer connection, track and task of a session is closed by :meth:`MediaHub.close_session`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from signaling.ports import MediaStateListener
from signaling.session import LEGS, Leg
from video_bank.config import IceServer
from video_bank.errors import MediaError
from video_bank.media import aiortc_tuning
from video_bank.media.fanout import Fanout, RelayTrack, Subscription

logger = logging.getLogger(__name__)

Kind = Literal["audio", "video"]
KINDS: tuple[Kind, Kind] = ("audio", "video")
RELAY_QUEUE: dict[Kind, int] = {"audio": 10, "video": 2}
"""Frames a relay sender may lag behind before the oldest are dropped (200 ms audio, 2 video frames)."""


@dataclass(slots=True)
class _LegMedia:
    """One participant's peer connection and its media."""

    inbound: dict[Kind, Fanout] = field(default_factory=lambda: {k: Fanout(k) for k in KINDS})
    pc: RTCPeerConnection | None = None
    outbound: list[RelayTrack] = field(default_factory=list)


@dataclass(slots=True)
class _HubSession:
    id: str
    legs: dict[Leg, _LegMedia] = field(default_factory=lambda: {leg: _LegMedia() for leg in LEGS})
    closed: bool = False


def rtc_configuration(ice_servers: Sequence[IceServer]) -> RTCConfiguration:
    """The aiortc configuration from settings; empty means host candidates only (no public STUN)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential) for s in ice_servers
        ]
    )


def _other(leg: Leg) -> Leg:
    return "teller" if leg == "customer" else "customer"


class MediaHub:
    """Relays media between the two legs of each session."""

    def __init__(self, ice_servers: Sequence[IceServer] = ()) -> None:
        aiortc_tuning.install()
        self._ice_servers = tuple(ice_servers)
        self._sessions: dict[str, _HubSession] = {}
        self._listener: MediaStateListener | None = None

    def set_listener(self, listener: MediaStateListener) -> None:
        """Register the callback told about each leg's connection state."""
        self._listener = listener

    # --- sessions ------------------------------------------------------------------------------------

    def open_session(self, session_id: str) -> None:
        """Prepare the fan-outs of a session so that either leg may offer first."""
        if session_id in self._sessions:
            raise MediaError("session already open")
        self._sessions[session_id] = _HubSession(session_id)

    def _session(self, session_id: str) -> _HubSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise MediaError("this session has no media (it may have ended)")
        return session

    async def negotiate(self, session_id: str, leg: Leg, sdp: str) -> str:
        """Answer a leg's offer: receive its audio/video, send it the other leg's."""
        session = self._session(session_id)
        media = session.legs[leg]
        if media.pc is not None:
            raise MediaError("this side has already negotiated; renegotiation is not supported")
        pc = RTCPeerConnection(configuration=rtc_configuration(self._ice_servers))
        media.pc = pc
        self._watch(session, leg, pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            kinds = [t.kind for t in pc.getTransceivers()]
            if sorted(kinds) not in (["audio", "video"], ["audio"], ["video"]):
                raise MediaError("the offer must have at most one audio and one video section")
            other = session.legs[_other(leg)]
            for transceiver in pc.getTransceivers():
                kind: Kind = "audio" if transceiver.kind == "audio" else "video"
                track = RelayTrack(other.inbound[kind].subscribe(RELAY_QUEUE[kind]))
                media.outbound.append(track)
                pc.addTrack(track)
            await pc.setLocalDescription(await pc.createAnswer())
        except MediaError:
            raise
        except Exception as exc:
            # aiortc raises many types for unusable SDP; say what failed, never echo the SDP.
            logger.info("session %s: %s offer refused (%s)", session_id, leg, type(exc).__name__)
            raise MediaError("the offer could not be used") from exc
        if session.closed:
            raise MediaError("the session ended during negotiation")
        return str(pc.localDescription.sdp)

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
        except (ValueError, IndexError) as exc:
            raise MediaError("the ICE candidate could not be parsed") from exc
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = sdp_mline_index
        try:
            await pc.addIceCandidate(parsed)
        except Exception as exc:
            raise MediaError("the ICE candidate could not be used") from exc

    def _watch(self, session: _HubSession, leg: Leg, pc: RTCPeerConnection) -> None:
        media = session.legs[leg]

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            fanout = media.inbound.get("audio" if track.kind == "audio" else "video")
            if fanout is not None and not fanout.attached and not session.closed:
                fanout.attach(track)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            if session.closed or self._listener is None:
                return
            if state == "connected":
                self._listener(session.id, leg, "connected")
            elif state == "failed":
                self._listener(session.id, leg, "failed")

    def subscribe(self, session_id: str, leg: Leg, kind: Kind, maxsize: int = 2) -> Subscription:
        """Decoded frames a leg sends (with server receive times), at most ``maxsize`` queued."""
        return self._session(session_id).legs[leg].inbound[kind].subscribe(maxsize)

    async def close_session(self, session_id: str) -> None:
        """Stop relay tracks, fan-out tasks and peer connections of a session (idempotent)."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        session.closed = True
        for media in session.legs.values():
            for track in media.outbound:
                track.stop()
            await asyncio.gather(*(fanout.close() for fanout in media.inbound.values()))
            if media.pc is not None:
                await media.pc.close()
                media.pc.remove_all_listeners()
            media.outbound.clear()

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
        """Peer connections currently held."""
        return sum(1 for s in self._sessions.values() for m in s.legs.values() if m.pc is not None)
