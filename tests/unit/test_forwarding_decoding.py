"""The on-demand decoder: forwarded frames in, decoded frames with the hub's receive times out."""

from __future__ import annotations

import fractions
import math

import numpy as np
from av import AudioFrame, CodecContext

from tests.support.media_party import CounterVp8Encoder, dominant_frequency, read_bars, wait_until
from video_bank.media.decoding import FrameDecoder
from video_bank.media.fanout import Fanout
from video_bank.media.forwarding import Forwarder


def broken_keyframe(encoder: CounterVp8Encoder) -> bytes:
    """A keyframe's header followed by zeros: it looks like a keyframe and does not decode."""
    keyframe = encoder.encode(0, keyframe=True)
    return keyframe[:10] + bytes(len(keyframe) - 10)


class Source:
    def __init__(self) -> None:
        self.requests = 0

    def request_keyframe(self) -> None:
        self.requests += 1


async def test_video_is_decoded_in_order_with_the_time_the_hub_received_each_frame() -> None:
    forwarder, fanout = Forwarder("video"), Fanout("video")
    frames = fanout.subscribe(maxsize=10)
    decoder = FrameDecoder(forwarder.subscribe(maxsize=8), fanout, "test/customer/video")
    encoder = CounterVp8Encoder(sender=6)
    for n in range(5):
        forwarder.push(encoder.encode(n, keyframe=n == 0), n * 3000, 1000.0 + n)
    got = [await frames.get() for _ in range(5)]
    assert [read_bars(d.frame) for d in got] == [(n, 6) for n in range(5)]  # type: ignore[arg-type]
    assert [d.received_at for d in got] == [1000.0 + n for n in range(5)]
    assert [d.frame.pts for d in got] == [n * 3000 for n in range(5)]
    await decoder.close()
    assert not decoder.running and forwarder.subscribers == 0


async def test_a_frame_the_decoder_refuses_skips_to_a_queued_keyframe() -> None:
    source = Source()
    forwarder, fanout = Forwarder("video"), Fanout("video")
    forwarder.set_source(source.request_keyframe)
    frames = fanout.subscribe(maxsize=10)
    decoder = FrameDecoder(forwarder.subscribe(maxsize=8), fanout, "test/customer/video")
    encoder = CounterVp8Encoder(sender=6)
    forwarder.push(broken_keyframe(encoder), 0, 0.0)
    forwarder.push(encoder.encode(1, keyframe=False), 3000, 0.0)
    forwarder.push(encoder.encode(2, keyframe=True), 6000, 0.0)
    forwarder.push(encoder.encode(3, keyframe=False), 9000, 0.0)
    got = [await frames.get() for _ in range(2)]
    assert [read_bars(d.frame)[0] for d in got] == [2, 3]  # type: ignore[arg-type]
    assert decoder.errors == 1 and source.requests == 0, "a keyframe was queued already"
    await decoder.close()


async def test_a_frame_the_decoder_refuses_makes_it_wait_for_and_ask_for_a_keyframe() -> None:
    source = Source()
    forwarder, fanout = Forwarder("video"), Fanout("video")
    forwarder.set_source(source.request_keyframe)
    frames = fanout.subscribe(maxsize=10)
    decoder = FrameDecoder(forwarder.subscribe(maxsize=8), fanout, "test/customer/video")
    encoder = CounterVp8Encoder(sender=6)
    forwarder.push(broken_keyframe(encoder), 0, 0.0)
    forwarder.push(encoder.encode(1, keyframe=False), 3000, 0.0)
    await wait_until(lambda: decoder.errors == 1, what="the decoder to refuse the broken frame")
    assert source.requests == 1
    forwarder.push(encoder.encode(2, keyframe=False), 6000, 0.0)  # skipped: its chain is broken
    forwarder.push(encoder.encode(3, keyframe=True), 9000, 0.0)
    assert [read_bars((await frames.get()).frame)[0]] == [3]  # type: ignore[arg-type]
    decoder.stop()
    await decoder.close()


async def test_opus_is_decoded_to_48_khz_stereo() -> None:
    forwarder, fanout = Forwarder("audio"), Fanout("audio")
    frames = fanout.subscribe(maxsize=60)
    decoder = FrameDecoder(forwarder.subscribe(maxsize=60), fanout, "test/customer/audio")
    opus = CodecContext.create("libopus", "w")
    opus.sample_rate, opus.format, opus.layout = 48000, "s16", "stereo"
    opus.time_base = fractions.Fraction(1, 48000)
    timestamp = 0
    for n in range(50):
        t = (np.arange(960) + n * 960) / 48000
        pcm = (np.sin(2 * math.pi * 700 * t) * 10000).astype(np.int16)
        frame = AudioFrame.from_ndarray(np.repeat(pcm, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, n * 960
        for packet in opus.encode(frame):
            forwarder.push(bytes(packet), timestamp, 0.0)
            timestamp += 960
    decoded = [(await frames.get()).frame for _ in range(40)]
    assert all(f.sample_rate == 48000 and f.layout.name == "stereo" for f in decoded)  # type: ignore[attr-defined]
    assert abs(dominant_frequency(decoded[5:]) - 700) < 20  # type: ignore[arg-type]
    await decoder.close()
