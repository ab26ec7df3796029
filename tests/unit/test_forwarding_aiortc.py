"""The aiortc internals forwarding relies on, exercised on the installed aiortc's own objects.

If an aiortc upgrade moves the jitter buffer, the PLI helper, the sender's keyframe hook or the
packing of ``av.Packet``s, these tests fail before any call is relayed (or decoded by mistake).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiortc
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import get_capabilities
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpDecodingParameters, RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPacket,
    RtcpPsfbPacket,
    RtpPacket,
)

from tests.support.media_party import CounterVp8Encoder, wait_until
from video_bank.media.aiortc_forwarding import (
    TESTED_AIORTC_VERSION,
    AiortcInternalsError,
    forwardable_codecs,
    on_keyframe_request,
    tap_receiver,
)
from video_bank.media.forwarding import ForwardedTrack, Forwarder, vp8_is_keyframe

REMOTE_SSRC, OUR_SSRC = 0x1234, 0x9999
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


class FakeDtlsTransport:
    """Just enough of ``RTCDtlsTransport`` for a receiver or sender: records what is sent."""

    state = "connected"

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)

    def _register_rtp_receiver(self, receiver: Any, parameters: Any) -> None:
        pass

    def _unregister_rtp_receiver(self, receiver: Any) -> None:
        pass

    def plis(self) -> list[int]:
        """Media SSRCs of the PLIs sent."""
        return [
            p.media_ssrc
            for data in self.sent
            for p in RtcpPacket.parse(data)
            if isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_PLI
        ]


class Source:
    def __init__(self) -> None:
        self.requests = 0

    def request_keyframe(self) -> None:
        self.requests += 1


@pytest.fixture
def transport() -> FakeDtlsTransport:
    return FakeDtlsTransport()


async def started_receiver(kind: str, codec: RTCRtpCodecParameters, transport: FakeDtlsTransport) -> Any:
    receiver = RTCRtpReceiver(kind, transport)  # type: ignore[arg-type]
    receiver._track = RemoteStreamTrack(kind=kind)
    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[codec],
            encodings=[RTCRtpDecodingParameters(ssrc=REMOTE_SSRC, payloadType=codec.payloadType)],
        )
    )
    receiver._set_rtcp_ssrc(OUR_SSRC)
    return receiver


@pytest.fixture
async def video_receiver(transport: FakeDtlsTransport) -> AsyncIterator[Any]:
    receiver = await started_receiver("video", VP8, transport)
    yield receiver
    await receiver.stop()


@pytest.fixture
async def audio_receiver(transport: FakeDtlsTransport) -> AsyncIterator[Any]:
    receiver = await started_receiver("audio", OPUS, transport)
    yield receiver
    await receiver.stop()


def vp8_packets(data: bytes, sequence: int, timestamp: int) -> list[RtpPacket]:
    """RTP packets of one VP8 frame: payload descriptor (S bit on the first) + up to 100 bytes."""
    chunks = [data[i : i + 100] for i in range(0, len(data), 100)]
    return [
        RtpPacket(
            payload_type=VP8.payloadType,
            sequence_number=(sequence + i) % 65536,
            timestamp=timestamp % 2**32,
            ssrc=REMOTE_SSRC,
            payload=(b"\x10" if i == 0 else b"\x00") + chunk,
            marker=int(i == len(chunks) - 1),
        )
        for i, chunk in enumerate(chunks)
    ]


def decoder_queue_of(receiver: Any) -> Any:
    return receiver._RTCRtpReceiver__decoder_queue


def test_the_installed_aiortc_is_the_version_these_hooks_were_tested_with() -> None:
    assert aiortc.__version__ == TESTED_AIORTC_VERSION


def test_transceivers_are_offered_vp8_with_rtx_and_opus_only() -> None:
    assert [c.mimeType for c in forwardable_codecs("video")] == ["video/VP8", "video/rtx"]
    assert [c.mimeType for c in forwardable_codecs("audio")] == ["audio/opus"]
    assert all(c in get_capabilities("video").codecs for c in forwardable_codecs("video"))


async def test_a_tapped_video_receiver_hands_whole_frames_to_the_forwarder_and_nothing_to_its_decoder(
    video_receiver: Any, transport: FakeDtlsTransport
) -> None:
    forwarder = Forwarder("video")
    reader = forwarder.subscribe(maxsize=16)
    tap_receiver(video_receiver, "video", forwarder)
    encoder = CounterVp8Encoder(sender=2)
    frames = [encoder.encode(n, keyframe=n == 0) for n in range(4)]
    sequence, base = 1000, 2**32 - 6000  # the RTP timestamp wraps during the stream
    for n, data in enumerate(frames):
        for packet in vp8_packets(data, sequence, base + n * 3000):
            await video_receiver._handle_rtp_packet(packet, arrival_time_ms=0)
        sequence += len(vp8_packets(data, 0, 0))

    # aiortc's jitter buffer completes a frame when the next one starts: three of four are out.
    got = [reader._items[i] for i in range(len(reader))]
    assert [f.data for f in got] == frames[:3]
    assert [f.timestamp for f in got] == [base, base + 3000, base + 6000], "extended past 2**32"
    assert [f.keyframe for f in got] == [True, False, False] and vp8_is_keyframe(got[0].data)
    assert decoder_queue_of(video_receiver).empty(), "nothing was queued for aiortc's decoder"
    assert transport.plis() == []


async def test_a_loss_in_the_jitter_buffer_makes_readers_wait_and_sends_one_pli_upstream(
    video_receiver: Any, transport: FakeDtlsTransport
) -> None:
    forwarder = Forwarder("video")
    reader = forwarder.subscribe(maxsize=16)
    tap_receiver(video_receiver, "video", forwarder)
    encoder = CounterVp8Encoder(sender=2)
    for packet in vp8_packets(encoder.encode(0, keyframe=True), 0, 0):
        await video_receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    # 600 packets never arrive: more than aiortc's video jitter buffer holds (512).
    for packet in vp8_packets(encoder.encode(1, keyframe=False), 600, 3000):
        await video_receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    assert forwarder.losses == 1 and reader.waiting_for_keyframe
    await wait_until(lambda: transport.plis() == [REMOTE_SSRC], what="a PLI to the stream's sender")
    assert forwarder.keyframe_requests == 1


async def test_a_packet_lost_for_good_costs_a_keyframe_request_not_seconds_of_held_back_video(
    video_receiver: Any, transport: FakeDtlsTransport
) -> None:
    forwarder = Forwarder("video")
    reader = forwarder.subscribe(maxsize=16)
    clock = [0.0]
    tap_receiver(video_receiver, "video", forwarder, clock=lambda: clock[0])
    encoder = CounterVp8Encoder(sender=2)
    first = encoder.encode(0, keyframe=True)
    frames = [first, encoder.encode(1, keyframe=False) + bytes(300)]  # the second spans 3+ packets
    sequence = 0
    for n, data in enumerate(frames):
        packets = vp8_packets(data, sequence, n * 3000)
        sequence += len(packets)
        for i, packet in enumerate(packets):
            if not (n == 1 and i == 1):  # one packet of the second frame never comes
                await video_receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    assert [f.data for f in reader._items] == [first] and forwarder.losses == 0

    clock[0] += 1.0  # the retransmission did not come either
    keyframe = encoder.encode(2, keyframe=True)
    for data, timestamp in ((keyframe, 6000), (encoder.encode(3, keyframe=False), 9000)):
        packets = vp8_packets(data, sequence, timestamp)
        sequence += len(packets)
        for packet in packets:
            await video_receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    assert forwarder.losses == 1
    await wait_until(lambda: transport.plis() == [REMOTE_SSRC], what="a PLI to the stream's sender")
    assert [f.data for f in reader._items] == [first, keyframe], "video goes on at the next keyframe"


async def test_a_tapped_audio_receiver_forwards_each_opus_packet_at_once_and_drops_late_ones(
    audio_receiver: Any,
) -> None:
    forwarder = Forwarder("audio")
    reader = forwarder.subscribe(maxsize=16)
    tap_receiver(audio_receiver, "audio", forwarder)

    async def receive(sequence: int, timestamp: int, payload: bytes) -> None:
        packet = RtpPacket(
            payload_type=OPUS.payloadType,
            sequence_number=sequence,
            timestamp=timestamp % 2**32,
            ssrc=REMOTE_SSRC,
            payload=payload,
        )
        await audio_receiver._handle_rtp_packet(packet, arrival_time_ms=0)

    base = 2**32 - 960
    await receive(1, base, b"\xfc\x01")
    assert [f.data for f in reader._items] == [b"\xfc\x01"], "no wait for later packets"
    await receive(3, base + 1920, b"\xfc\x03")
    await receive(2, base + 960, b"\xfc\x02")  # late: the next packet was already forwarded
    await receive(3, base + 1920, b"\xfc\x03")  # repeated
    assert [(f.data, f.timestamp) for f in reader._items] == [(b"\xfc\x01", base), (b"\xfc\x03", base + 1920)]
    assert decoder_queue_of(audio_receiver).empty()


async def test_keyframe_requests_from_the_receiving_peer_reach_the_forwarder_not_an_encoder(
    transport: FakeDtlsTransport,
) -> None:
    sender = RTCRtpSender("video", transport)  # type: ignore[arg-type]
    clock = [10.0]
    forwarder = Forwarder("video", request_interval=0.5, clock=lambda: clock[0])
    source = Source()
    forwarder.set_source(source.request_keyframe)
    on_keyframe_request(sender, forwarder)
    for fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR, RTCP_PSFB_PLI):
        await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc))
    assert source.requests == 1, "rate-limited"
    clock[0] += 0.5
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=1, media_ssrc=sender._ssrc))
    assert source.requests == 2
    assert sender._RTCRtpSender__force_keyframe is False  # type: ignore[attr-defined]


async def test_aiortcs_packers_send_forwarded_frames_as_they_are() -> None:
    video, audio = Forwarder("video"), Forwarder("audio")
    frame = CounterVp8Encoder(sender=4).encode(0, keyframe=True) + bytes(range(256)) * 12  # > 1 payload
    video_track, audio_track = ForwardedTrack(video, maxsize=2), ForwardedTrack(audio, maxsize=2)
    video_packet, audio_packet = (
        asyncio.create_task(video_track.recv()),
        asyncio.create_task(audio_track.recv()),
    )
    await wait_until(lambda: video.subscribers == audio.subscribers == 1, what="the tracks to subscribe")
    video.push(frame, 2**32 + 3000, 0.0)
    audio.push(b"\xfc\xff\xfe", 960, 0.0)

    payloads, timestamp = Vp8Encoder().pack(await video_packet)
    assert len(payloads) > 1 and b"".join(vp8_depayload(p) for p in payloads) == frame
    assert timestamp == 2**32 + 3000  # the sender adds its origin modulo 2**32
    assert OpusEncoder().pack(await audio_packet) == ([b"\xfc\xff\xfe"], 960)


def test_missing_internals_are_reported_instead_of_decoding_silently() -> None:
    class NotAReceiver:
        pass

    class NotASender:
        pass

    with pytest.raises(AiortcInternalsError, match="jitter buffer"):
        tap_receiver(NotAReceiver(), "video", Forwarder("video"))  # type: ignore[arg-type]
    with pytest.raises(AiortcInternalsError, match="_send_keyframe"):
        on_keyframe_request(NotASender(), Forwarder("video"))  # type: ignore[arg-type]
