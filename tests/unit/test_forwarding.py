"""The forwarding core without a network: keyframes, per-reader keyframe state, request limits, bounds."""

from __future__ import annotations

import asyncio
import fractions

import pytest
from aiortc.mediastreams import MediaStreamError

from tests.support.media_party import CounterVp8Encoder, wait_until
from video_bank.media.forwarding import (
    EncodedSubscription,
    ForwardedTrack,
    Forwarder,
    KeyframeGate,
    KeyframeRequestLimiter,
    MissingPacketWatch,
    TimestampUnwrapper,
    vp8_is_keyframe,
    vp8_keyframe_size,
)

INTERVAL = 0.5


def key(n: int) -> bytes:
    """A frame that parses as a VP8 keyframe (frame tag with P=0, start code, 320x240), tagged ``n``."""
    return b"\x50\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00" + n.to_bytes(4, "big")


def delta(n: int) -> bytes:
    """A frame that parses as a VP8 inter frame (P=1), tagged ``n``."""
    return b"\x51\x02\x00" + n.to_bytes(4, "big")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    """Counts the keyframe requests that reach the sender of a stream."""

    def __init__(self) -> None:
        self.requests = 0

    def request_keyframe(self) -> None:
        self.requests += 1


def video_forwarder() -> tuple[Forwarder, Source, Clock]:
    clock, source = Clock(), Source()
    forwarder = Forwarder("video", request_interval=INTERVAL, clock=clock)
    forwarder.set_source(source.request_keyframe)
    return forwarder, source, clock


def drain(subscription: EncodedSubscription) -> list[bytes]:
    out = []
    while len(subscription):
        out.append(subscription._items.popleft().data)
    return out


# --- VP8 payload header -----------------------------------------------------------------------------


def test_keyframes_are_told_from_inter_frames_by_the_vp8_payload_header() -> None:
    encoder = CounterVp8Encoder(sender=1)
    first, second, forced = encoder.encode(0, False), encoder.encode(1, False), encoder.encode(2, True)
    assert vp8_is_keyframe(first), "a stream starts with a keyframe"
    assert not vp8_is_keyframe(second)
    assert vp8_is_keyframe(forced)
    assert vp8_keyframe_size(first) == (320, 240)
    assert vp8_keyframe_size(second) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x50\x02\x00\x9d\x01",  # too short for a keyframe header
        b"\x50\x02\x00\x00\x00\x00\x40\x01\xf0\x00",  # P=0 but no start code: a frame missing its start
        b"\x51\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00",  # start code bytes, but P=1
    ],
)
def test_anything_but_a_whole_keyframe_header_is_not_a_keyframe(data: bytes) -> None:
    assert not vp8_is_keyframe(data)
    assert vp8_keyframe_size(data) is None


# --- timestamps ---------------------------------------------------------------------------------------


def test_rtp_timestamps_are_extended_across_the_32_bit_wrap_and_keep_reordered_ones_in_place() -> None:
    unwrap = TimestampUnwrapper()
    assert unwrap.newest is None
    assert unwrap.unwrap(2**32 - 3000) == 2**32 - 3000
    assert unwrap.unwrap(0) == 2**32
    assert unwrap.unwrap(2**32 - 1500) == 2**32 - 1500, "a late packet from before the wrap"
    assert unwrap.newest == 2**32
    assert unwrap.unwrap(3000) == 2**32 + 3000
    assert unwrap.unwrap(3000) == 2**32 + 3000, "a repeat maps to the same value"


# --- missing packets ---------------------------------------------------------------------------------


def test_a_packet_missing_longer_than_the_patience_is_reported_once() -> None:
    watch = MissingPacketWatch(patience=1.0)
    assert not watch.add(100, 0.0)
    assert not watch.add(103, 0.1) and watch.missing == 2  # 101 and 102 missing since 0.1
    assert not watch.add(101, 0.5) and watch.missing == 1, "a retransmission fills its gap"
    assert not watch.add(104, 1.0)
    assert watch.add(105, 1.1), "102 has been missing for a second"
    assert watch.missing == 0 and not watch.add(106, 5.0), "the watch starts afresh"


def test_gaps_across_the_sequence_wrap_repeats_and_late_packets_are_understood() -> None:
    watch = MissingPacketWatch(patience=1.0)
    watch.add(65534, 0.0)
    assert not watch.add(1, 0.0) and watch.missing == 2  # 65535 and 0
    assert not watch.add(1, 0.1) and not watch.add(65535, 0.2) and watch.missing == 1
    assert not watch.add(0, 0.3) and watch.missing == 0
    assert not watch.add(2, 9.0)


def test_a_jump_wider_than_the_window_is_left_to_the_jitter_buffer() -> None:
    watch = MissingPacketWatch(patience=1.0, window=512)
    watch.add(0, 0.0)
    assert not watch.add(600, 0.0) and watch.missing == 0
    assert not watch.add(601, 5.0)


# --- wait-for-keyframe state ----------------------------------------------------------------------------


def test_a_gate_waits_for_a_keyframe_at_first_and_again_after_each_gap() -> None:
    gate = KeyframeGate()
    assert gate.waiting
    assert not gate.admit(keyframe=False)
    assert gate.admit(keyframe=True)
    assert gate.admit(keyframe=False)
    gate.interrupt()
    assert not gate.admit(keyframe=False)
    assert gate.admit(keyframe=True) and not gate.waiting


# --- keyframe request rate ------------------------------------------------------------------------------


def test_keyframe_requests_are_limited_to_one_per_interval() -> None:
    limiter = KeyframeRequestLimiter(INTERVAL)
    assert limiter.allow(10.0)
    assert not limiter.allow(10.0)
    assert not limiter.allow(10.0 + INTERVAL - 0.001)
    assert limiter.allow(10.0 + INTERVAL)
    assert not limiter.allow(10.0 + INTERVAL + 0.1)
    with pytest.raises(ValueError, match="negative"):
        KeyframeRequestLimiter(-1)


def test_waiting_readers_ask_at_most_once_per_interval_and_again_while_still_waiting() -> None:
    forwarder, source, clock = video_forwarder()
    reader = forwarder.subscribe(maxsize=8)
    for n in range(10):
        forwarder.push(delta(n), n * 3000, 0.0)
    assert source.requests == 1 and forwarder.keyframe_requests == 1
    assert reader.skipped == 10 and len(reader) == 0
    clock.now += INTERVAL
    forwarder.push(delta(10), 30000, 0.0)
    assert source.requests == 2, "the keyframe did not come: ask again"


# --- forwarder and its readers --------------------------------------------------------------------------


def test_a_reader_that_joins_mid_stream_starts_at_the_next_keyframe() -> None:
    forwarder, source, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=8)
    assert reader.waiting_for_keyframe
    forwarder.push(delta(1), 3000, 0.0)
    forwarder.push(key(2), 6000, 0.0)
    forwarder.push(delta(3), 9000, 0.0)
    assert drain(reader) == [key(2), delta(3)]
    assert source.requests == 1 and not reader.waiting_for_keyframe


def test_each_reader_has_its_own_keyframe_state() -> None:
    forwarder, source, _ = video_forwarder()
    early = forwarder.subscribe(maxsize=8)
    forwarder.push(key(0), 0, 0.0)
    forwarder.push(delta(1), 3000, 0.0)
    late = forwarder.subscribe(maxsize=8)
    forwarder.push(delta(2), 6000, 0.0)
    assert drain(early) == [key(0), delta(1), delta(2)], "the early reader is not held back"
    assert drain(late) == [] and late.waiting_for_keyframe and source.requests == 1
    forwarder.push(key(3), 9000, 0.0)
    assert drain(early) == [key(3)] and drain(late) == [key(3)]


def test_an_upstream_loss_makes_every_reader_wait_and_asks_for_one_keyframe() -> None:
    forwarder, source, _ = video_forwarder()
    readers = [forwarder.subscribe(maxsize=8) for _ in range(3)]
    forwarder.push(key(0), 0, 0.0)
    forwarder.lose()
    forwarder.push(delta(5), 15000, 0.0)
    assert forwarder.losses == 1 and source.requests == 1, "one request for all readers"
    for reader in readers:
        assert drain(reader) == [key(0)], "frames from before the loss stay; the ones after wait"
        assert reader.waiting_for_keyframe


def test_a_full_video_queue_drops_the_oldest_and_the_frames_that_depend_on_it() -> None:
    forwarder, source, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=3)
    for frame in (key(0), delta(1), key(2)):
        forwarder.push(frame, 0, 0.0)
    forwarder.push(delta(3), 0, 0.0)
    assert drain(reader) == [key(2), delta(3)], "resumes at the queued keyframe"
    assert reader.dropped == 2 and source.requests == 0

    for frame in (delta(4), delta(5), delta(6)):
        forwarder.push(frame, 0, 0.0)
    forwarder.push(delta(7), 0, 0.0)
    assert len(reader) == 0, "no keyframe queued: nothing left that decodes"
    assert reader.waiting_for_keyframe and source.requests == 1
    forwarder.push(delta(8), 0, 0.0)
    forwarder.push(key(9), 0, 0.0)
    assert drain(reader) == [key(9)]


def test_a_full_queue_keeps_an_arriving_keyframe() -> None:
    forwarder, _, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=2)
    for frame in (key(0), delta(1), key(2)):
        forwarder.push(frame, 0, 0.0)
    assert drain(reader) == [key(2)]
    assert not reader.waiting_for_keyframe


def test_audio_readers_drop_only_the_oldest_and_never_wait_or_ask() -> None:
    source = Source()
    forwarder = Forwarder("audio")
    forwarder.set_source(source.request_keyframe)
    reader = forwarder.subscribe(maxsize=2)
    assert not reader.waiting_for_keyframe, "every Opus packet decodes on its own"
    for n in range(4):
        forwarder.push(bytes([0xFC, n]), n * 960, 0.0)
    forwarder.lose()
    forwarder.request_keyframe()
    assert drain(reader) == [bytes([0xFC, 2]), bytes([0xFC, 3])]
    assert reader.dropped == 2 and reader.skipped == 0 and source.requests == 0
    assert forwarder.keyframes == forwarder.frames == 4


def test_frames_carry_their_codec_timestamp_and_receive_time() -> None:
    forwarder, _, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=2)
    forwarder.push(b"", 0, 0.0)  # empty frames (padding) are not frames
    forwarder.push(key(0), 2**32 + 5, 1234.5)
    frame = reader._items[0]
    assert (frame.codec, frame.kind, frame.timestamp, frame.keyframe, frame.received_at) == (
        "VP8",
        "video",
        2**32 + 5,
        True,
        1234.5,
    )
    assert frame.time_base == fractions.Fraction(1, 90000)
    assert forwarder.frames == 1


def test_requests_without_a_source_are_dropped_and_a_second_source_is_refused() -> None:
    forwarder = Forwarder("video")
    forwarder.request_keyframe()
    assert forwarder.keyframe_requests == 0
    forwarder.set_source(Source().request_keyframe)
    with pytest.raises(RuntimeError, match="already has a source"):
        forwarder.set_source(Source().request_keyframe)


async def test_after_the_end_readers_get_what_is_queued_then_stop() -> None:
    forwarder, source, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=4)
    forwarder.push(key(0), 0, 0.0)
    forwarder.end()
    forwarder.push(key(1), 3000, 0.0)
    forwarder.request_keyframe()
    assert (await reader.get()).data == key(0)
    with pytest.raises(MediaStreamError):
        await reader.get()
    assert [f async for f in reader] == []
    assert forwarder.subscribe(maxsize=1).ended and source.requests == 0


async def test_a_closed_reader_is_unsubscribed_and_sees_the_end() -> None:
    forwarder, _, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=4)
    forwarder.push(key(0), 0, 0.0)
    reader.close()
    assert forwarder.subscribers == 0 and reader.ended and len(reader) == 0
    with pytest.raises(MediaStreamError):
        await reader.get()
    with pytest.raises(ValueError, match="maxsize"):
        forwarder.subscribe(maxsize=0)


async def test_a_forwarded_track_subscribes_at_its_first_read_and_yields_packets_with_rtp_timestamps() -> (
    None
):
    forwarder, _, _ = video_forwarder()
    track = ForwardedTrack(forwarder, maxsize=4)
    forwarder.push(key(0), 1000, 0.0)
    assert track.subscription is None and forwarder.subscribers == 0, "nothing queues before the sender reads"
    reading = asyncio.create_task(track.recv())
    await wait_until(lambda: track.subscription is not None, what="the track to subscribe")
    assert forwarder.subscribers == 1
    forwarder.push(key(1), 4000, 0.0)
    packet = await reading
    assert bytes(packet) == key(1) and packet.pts == 4000
    assert packet.time_base == fractions.Fraction(1, 90000)
    track.stop()
    assert forwarder.subscribers == 0
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_audio_packets_use_the_48_khz_clock() -> None:
    forwarder = Forwarder("audio")
    track = ForwardedTrack(forwarder, maxsize=4)
    assert track.kind == "audio"
    reading = asyncio.create_task(track.recv())
    await wait_until(lambda: track.subscription is not None, what="the track to subscribe")
    forwarder.push(b"\xfc\x01", 960, 0.0)
    packet = await reading
    assert packet.pts == 960 and packet.time_base == fractions.Fraction(1, 48000)
    track.stop()


def test_a_reader_that_could_not_use_a_frame_resumes_at_the_next_queued_keyframe_or_waits() -> None:
    forwarder, source, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=8)
    for frame in (key(0), delta(1), key(2), delta(3)):
        forwarder.push(frame, 0, 0.0)
    reader._items.popleft()  # the reader took key(0) and its decoder refused it
    reader.restart()
    assert drain(reader) == [key(2), delta(3)] and source.requests == 0
    reader.restart()
    assert reader.waiting_for_keyframe and source.requests == 1
    forwarder.push(delta(4), 0, 0.0)
    assert len(reader) == 0


# --- a fresh media path: a new source for the same stream ------------------------------------------


def test_a_new_source_continues_the_stream_after_the_gap_from_its_first_keyframe() -> None:
    forwarder, old, clock = video_forwarder()
    reader = forwarder.subscribe(maxsize=16)
    forwarder.push(key(1), 90_000, received_at=10.0)
    forwarder.push(delta(2), 93_000, received_at=10.033)
    new = Source()
    clock.now += 1  # past the request interval of the old source's requests
    forwarder.replace_source(new.request_keyframe)
    assert (new.requests, old.requests, forwarder.sources) == (1, 0, 2)  # a keyframe asked of the new one
    # The new peer connection's sender counts from its own random origin; its first delta is useless.
    forwarder.push(delta(3), 5_000, received_at=12.0)
    forwarder.push(key(4), 8_000, received_at=12.033)
    forwarder.push(delta(5), 11_000, received_at=12.066)
    assert drain(reader) == [key(1), delta(2), key(4), delta(5)]


def test_the_new_sources_timestamps_are_shifted_by_the_time_that_passed() -> None:
    forwarder, _, _ = video_forwarder()
    reader = forwarder.subscribe(maxsize=16)
    forwarder.push(key(1), 4_000_000_000, received_at=10.0)
    forwarder.replace_source(Source().request_keyframe)
    forwarder.push(key(2), 77, received_at=12.5)  # 2.5 s later on the server clock
    forwarder.push(delta(3), 77 + 3_000, received_at=12.533)
    frames = [reader._items.popleft() for _ in range(3)]
    assert [f.timestamp for f in frames] == [4_000_000_000, 4_000_000_000 + 225_000, 4_000_000_000 + 228_000]


def test_without_a_source_keyframe_requests_go_nowhere() -> None:
    forwarder, source, clock = video_forwarder()
    forwarder.detach_source()
    clock.now += 1
    forwarder.request_keyframe()
    assert source.requests == 0
