"""The hub forwards what each side sends as it is: no decoding or encoding on the relay path.

Instrumented aiortc codecs show that the hub's senders only pack (never encode) and that its
receivers never start a decoder, while the same instruments see the in-process clients encode and
decode (so they would notice). Frames arrive bit for bit as sent; a receiver that joins late asks
the sender for a keyframe and starts there; the encoded tap for recording decodes with PyAV.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import av
import pytest
from aiohttp.test_utils import TestClient
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, rtcrtpreceiver
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from av import AudioFrame, Packet

from tests.conftest import PartyFactory
from tests.support.media_party import (
    KeyframeOnRequestTrack,
    Party,
    ToneAudioTrack,
    dominant_frequency,
    read_bars,
    start_call,
    wait_until,
)
from video_bank import appkeys
from video_bank.errors import MediaError
from video_bank.media.forwarding import EncodedFrame, vp8_is_keyframe
from video_bank.media.hub import MediaHub

CUSTOMER_ID, TELLER_ID = 3, 12
CUSTOMER_TONE, TELLER_TONE = 500.0, 1200.0


@dataclass
class CodecCalls:
    """Which aiortc encoders encoded or packed, and which threads created an aiortc decoder."""

    encoded: set[int] = field(default_factory=set)
    packed: Counter[int] = field(default_factory=Counter)
    decoder_threads: set[int] = field(default_factory=set)


@pytest.fixture
def codec_calls(monkeypatch: pytest.MonkeyPatch) -> CodecCalls:
    calls = CodecCalls()
    for cls in (Vp8Encoder, OpusEncoder):

        def encode(self: Any, frame: Any, force_keyframe: bool = False, _original: Any = cls.encode) -> Any:
            calls.encoded.add(id(self))
            return _original(self, frame, force_keyframe)

        def pack(self: Any, packet: Any, _original: Any = cls.pack) -> Any:
            calls.packed[id(self)] += 1
            return _original(self, packet)

        monkeypatch.setattr(cls, "encode", encode)
        monkeypatch.setattr(cls, "pack", pack)
    original_get_decoder = rtcrtpreceiver.get_decoder

    def get_decoder(codec: Any) -> Any:
        # aiortc creates a receiver's decoder in that receiver's decoder thread, at its first frame.
        calls.decoder_threads.add(threading.get_ident())
        return original_get_decoder(codec)

    monkeypatch.setattr(rtcrtpreceiver, "get_decoder", get_decoder)
    return calls


def encoder_of(sender: RTCRtpSender) -> Any:
    return sender._RTCRtpSender__encoder  # type: ignore[attr-defined]


def decoder_thread_of(pc: RTCPeerConnection, kind: str) -> int | None:
    receiver = next(t.receiver for t in pc.getTransceivers() if t.kind == kind and t.mid is not None)
    thread = receiver._RTCRtpReceiver__decoder_thread  # type: ignore[attr-defined]
    return None if thread is None else thread.ident


async def hang_up(customer: Party, teller: Party) -> None:
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def test_the_hub_sends_on_the_bytes_it_received_and_encodes_and_decodes_nothing(
    codec_calls: CodecCalls, client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await start_call(party)
    assert customer.session_id is not None
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE, keyframes_on_request=True)
    await teller.connect_media(TELLER_ID, TELLER_TONE, keep_received=True)
    await wait_until(lambda: len(teller.received.video) >= 30, what="customer video at the teller")
    await wait_until(lambda: len(customer.received.video) >= 30, what="teller video at the customer")
    await wait_until(lambda: len(customer.received.audio) >= 50, what="teller audio at the customer")

    # Bit for bit: every frame the teller's receiver reassembled is one the customer's track made.
    sent = customer.video_track
    assert isinstance(sent, KeyframeOnRequestTrack) and teller.reassembled is not None
    counter_of = {data: counter for counter, data in enumerate(sent.sent)}
    received = list(teller.reassembled.frames)
    assert len(received) >= 30
    assert all(data in counter_of for data in received), "a frame changed on its way through the hub"
    counters = [counter_of[data] for data in received]
    assert counters == sorted(set(counters)), "frames arrive once each, in order"
    assert counters[0] in sent.keyframes and vp8_is_keyframe(received[0]), "the teller starts at a keyframe"
    decoded = [counter for counter, _ in teller.received.video]
    assert set(decoded) <= set(counters) and {s for _, s in teller.received.video} == {CUSTOMER_ID}

    # The hub's senders packed every frame and encoded none; its receivers never made a decoder.
    for leg in ("customer", "teller"):
        pc = hub.peer_connection(customer.session_id, leg)
        assert pc is not None
        for transceiver in pc.getTransceivers():
            if transceiver.mid is None:
                continue
            encoder = encoder_of(transceiver.sender)
            assert isinstance(encoder, Vp8Encoder if transceiver.kind == "video" else OpusEncoder)
            assert codec_calls.packed[id(encoder)] >= 30, f"{leg} {transceiver.kind} was not forwarded"
            assert id(encoder) not in codec_calls.encoded, f"the hub encoded {leg} {transceiver.kind}"
            thread = decoder_thread_of(pc, transceiver.kind)
            assert thread is not None and thread not in codec_calls.decoder_threads
    assert hub.decoding_streams() == 0

    # The instruments work: they saw the teller's client encode, and the clients decode.
    assert teller.pc is not None and customer.pc is not None
    teller_video = next(s for s in teller.pc.getSenders() if s.kind == "video")
    assert id(encoder_of(teller_video)) in codec_calls.encoded
    assert decoder_thread_of(teller.pc, "video") in codec_calls.decoder_threads
    assert decoder_thread_of(customer.pc, "audio") in codec_calls.decoder_threads

    await hang_up(customer, teller)


async def test_a_receiver_that_joins_late_gets_a_picture_from_a_keyframe_made_at_its_request(
    client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await start_call(party)
    sid = customer.session_id
    assert sid is not None
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE, keyframes_on_request=True)
    track = customer.video_track
    assert isinstance(track, KeyframeOnRequestTrack)
    await wait_until(
        lambda: hub.forwarding_stats(sid, "customer", "video").frames >= 30, what="customer video at the hub"
    )
    assert track.keyframes == [0], "so far the customer made only its first keyframe"
    assert hub.forwarding_stats(sid, "customer", "video").keyframe_requests == 0

    # The teller joins a second into the customer's stream: its first frame must be a new keyframe.
    await teller.connect_media(TELLER_ID, TELLER_TONE, keep_received=True)
    await wait_until(lambda: len(teller.received.video) >= 10, what="customer video at the late teller")
    assert teller.reassembled is not None
    first = teller.reassembled.frames[0]
    assert vp8_is_keyframe(first)
    first_counter = track.sent.index(first)
    assert first_counter >= 30 and first_counter in track.keyframes
    assert teller.received.video[0] == (first_counter, CUSTOMER_ID)
    assert hub.forwarding_stats(sid, "customer", "video").keyframe_requests >= 1

    # Each reader has its own keyframe state: a recording tap opened now also starts at a keyframe.
    tap = hub.subscribe_encoded(sid, "customer", "video", maxsize=8)
    frame = await tap.get()
    assert frame.keyframe and vp8_is_keyframe(frame.data)
    assert track.sent.index(frame.data) > first_counter + 10, "not the teller's keyframe: a new one"
    tap.close()

    await hang_up(customer, teller)


def decode_video(frames: list[EncodedFrame]) -> list[tuple[int, int]]:
    codec = av.CodecContext.create("libvpx", "r")
    out = []
    for frame in frames:
        packet = Packet(frame.data)
        packet.pts, packet.time_base = frame.timestamp, frame.time_base
        out += [read_bars(f) for f in codec.decode(packet)]
    return out


def decode_audio(frames: list[EncodedFrame]) -> list[AudioFrame]:
    codec = av.CodecContext.create("libopus", "r")
    out: list[AudioFrame] = []
    for frame in frames:
        packet = Packet(frame.data)
        packet.pts, packet.time_base = frame.timestamp, frame.time_base
        out += codec.decode(packet)
    return out


async def test_the_encoded_tap_gives_frames_pyav_decodes_from_the_first_keyframe(
    client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await start_call(party)
    sid = customer.session_id
    assert sid is not None
    video = hub.subscribe_encoded(sid, "customer", "video", maxsize=64)
    audio = hub.subscribe_encoded(sid, "customer", "audio", maxsize=128)
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)  # encoded by aiortc, as a browser would
    await teller.connect_media(TELLER_ID, TELLER_TONE)

    video_frames = [await video.get() for _ in range(30)]
    audio_frames = [await audio.get() for _ in range(60)]
    assert video_frames[0].keyframe and all(f.codec == "VP8" for f in video_frames)
    assert all(f.codec == "opus" and f.keyframe for f in audio_frames)
    for frames in (video_frames, audio_frames):
        timestamps = [f.timestamp for f in frames]
        assert timestamps == sorted(set(timestamps)), "RTP timestamps increase"
        arrivals = [f.received_at for f in frames]
        assert arrivals == sorted(arrivals), "server receive times never go back"

    pictures = decode_video(video_frames)
    assert len(pictures) == 30 and {sender for _, sender in pictures} == {CUSTOMER_ID}
    counters = [counter for counter, _ in pictures]
    assert counters == sorted(set(counters))
    sound = decode_audio(audio_frames)
    assert abs(dominant_frequency(sound[10:]) - CUSTOMER_TONE) < 20
    video.close()
    audio.close()

    await hang_up(customer, teller)


async def test_an_offer_without_vp8_is_refused_with_a_clear_reason(
    client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await start_call(party)
    assert customer.session_id is not None
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ToneAudioTrack(CUSTOMER_TONE))
    video = pc.addTransceiver("video")
    video.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs if c.name == "H264"])
    await pc.setLocalDescription(await pc.createOffer())
    with pytest.raises(MediaError, match="VP8"):
        await hub.negotiate(customer.session_id, "customer", pc.localDescription.sdp)
    await pc.close()
    await hang_up(customer, teller)
