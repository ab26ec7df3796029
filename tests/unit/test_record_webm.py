"""Encoded VP8/Opus frames muxed into WebM fragments without re-encoding, checked by reopening with PyAV.

The frames are made once with PyAV's libvpx and libopus encoders (small picture, keyframe every
second) and given RTP-style timestamps that start near the 32-bit wrap-around.
"""

from __future__ import annotations

import fractions
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from video_bank.records import Recorder, SessionInfo
from video_bank.records.errors import RecordInputError, RecordStateError
from video_bank.records.keyring import KeyRing
from video_bank.records.keywrap import generate_auditor_key
from video_bank.records.reader import open_record
from video_bank.records.store import LocalRecordStore
from video_bank.records.verify import verify_record
from video_bank.records.webm import (
    WEBM_OPUS,
    WEBM_VP8_OPUS,
    RtpClock,
    WebmFragmenter,
    WebmSplitter,
    WebmStreamRecorder,
    vp8_is_keyframe,
    vp8_keyframe_size,
)
from video_bank.records.writer import Fragment

SECONDS = 6
FPS = 30
WIDTH, HEIGHT = 160, 120
ORIGIN = 1_780_000_000.0
VIDEO_BASE = 2**32 - 90_000  # wraps after one second
AUDIO_BASE = 2**32 - 48_000 * 3


@dataclass(frozen=True)
class Frame:
    kind: str
    payload: bytes
    rtp_timestamp: int
    arrival: float


def _encode() -> list[Frame]:
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.time_base = fractions.Fraction(1, 90_000)
    video.framerate = FPS
    video.gop_size = FPS
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(1)
    frames: list[Frame] = []
    for n in range(SECONDS * FPS):
        image = np.full((HEIGHT, WIDTH, 3), (n * 4) % 256, dtype=np.uint8)
        image[:, : (n * 3) % WIDTH] = rng.integers(0, 255, (HEIGHT, (n * 3) % WIDTH, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = n * 3000
        for packet in video.encode(frame):
            ts = (VIDEO_BASE + packet.pts) % 2**32
            frames.append(Frame("video", bytes(packet), ts, ORIGIN + 0.5 + packet.pts / 90_000))
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48_000, "stereo", "s16"
    audio.time_base = fractions.Fraction(1, 48_000)
    t = np.arange(960) / 48_000
    for n in range(SECONDS * 50):
        samples = (np.sin(2 * np.pi * 440 * (t + n * 0.02)) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(samples, 2)[None, :], format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, n * 960
        for packet in audio.encode(frame):
            ts = (AUDIO_BASE + packet.pts) % 2**32
            frames.append(Frame("audio", bytes(packet), ts, ORIGIN + 0.5 + packet.pts / 48_000))
    frames.sort(key=lambda f: f.arrival)
    return frames


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    return _encode()


def feed(fragmenter: WebmFragmenter, frames: list[Frame]) -> list[Fragment]:
    out: list[Fragment] = []
    for f in frames:
        if f.kind == "video":
            out += fragmenter.video_frame(f.payload, f.rtp_timestamp, f.arrival)
        else:
            out += fragmenter.audio_frame(f.payload, f.rtp_timestamp, f.arrival)
    return out + fragmenter.finish()


def packets(data: bytes, kind: str) -> list[av.Packet]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        return [p for p in container.demux(stream) if p.size]


def decoded_video(data: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


# --- pure helpers ---------------------------------------------------------------------------------------


def test_vp8_keyframes_and_their_size_are_read_from_the_frame_header(frames: list[Frame]) -> None:
    video = [f for f in frames if f.kind == "video"]

    assert [n for n, f in enumerate(video) if vp8_is_keyframe(f.payload)] == [0, 30, 60, 90, 120, 150]
    assert vp8_keyframe_size(video[0].payload) == (WIDTH, HEIGHT)
    assert vp8_keyframe_size(video[1].payload) is None
    assert vp8_keyframe_size(b"\x00") is None


def test_rtp_timestamps_are_unwrapped_and_anchored_to_the_server_clock() -> None:
    clock = RtpClock(90_000)

    assert clock.to_server(2**32 - 3000, 100.0) == 100.0
    assert clock.to_server(0, 100.02) == pytest.approx(100.0 + 3000 / 90_000)  # across the wrap
    assert clock.to_server(90_000 - 3000, 101.0) == pytest.approx(101.0)
    assert clock.to_server(2**32 - 6000, 101.0) == pytest.approx(100.0 - 3000 / 90_000)  # a late frame
    assert clock.to_server(500_000_000, 102.0) == 102.0  # the sender restarted: anchored again
    with pytest.raises(RecordInputError, match="32-bit"):
        clock.to_server(2**32, 102.0)


# --- fragments --------------------------------------------------------------------------------------------


def test_frames_become_an_init_segment_and_keyframe_led_fragments_that_concatenate_to_a_playable_file(
    frames: list[Frame],
) -> None:
    fragments = feed(WebmFragmenter(ORIGIN, min_fragment_seconds=2.0), frames)

    assert fragments[0].init and not any(f.init for f in fragments[1:])
    assert len(fragments) - 1 == 3  # 6 s, a keyframe every second, fragments of at least 2 s
    whole = b"".join(f.data for f in fragments)
    video_in = [f for f in frames if f.kind == "video"]
    audio_in = [f for f in frames if f.kind == "audio"]
    assert [bytes(p) for p in packets(whole, "video")] == [f.payload for f in video_in]  # not re-encoded
    assert [bytes(p) for p in packets(whole, "audio")] == [f.payload for f in audio_in]
    pictures = decoded_video(whole)
    assert len(pictures) == len(video_in) == SECONDS * FPS
    assert (pictures[0].width, pictures[0].height) == (WIDTH, HEIGHT)
    video_times = [float(p.pts * p.time_base) for p in packets(whole, "video")]
    assert video_times[0] == pytest.approx(0.5, abs=0.002)  # ms since the record opened
    assert video_times[-1] - video_times[0] == pytest.approx((SECONDS * FPS - 1) / FPS, abs=0.002)


def test_each_fragment_plays_on_its_own_after_the_init_segment(frames: list[Frame]) -> None:
    fragments = feed(WebmFragmenter(ORIGIN), frames)
    init, media = fragments[0], fragments[1:]

    for fragment in media:
        pictures = decoded_video(init.data + fragment.data)
        first = packets(init.data + fragment.data, "video")[0]
        assert first.is_keyframe
        assert len(pictures) == len(packets(init.data + fragment.data, "video"))
    starts = [f.t0 for f in media]
    assert starts == sorted(starts)
    assert all(a.t1 == b.t0 for a, b in itertools.pairwise(media))  # contiguous
    assert [round(f.t0 - ORIGIN, 3) for f in media] == [0.5, 2.5, 4.5]
    assert media[-1].t1 == pytest.approx(ORIGIN + 0.5 + SECONDS - 0.02, abs=0.03)


def test_audio_before_the_first_keyframe_waits_and_video_before_it_is_dropped(frames: list[Frame]) -> None:
    video = [f for f in frames if f.kind == "video"]
    late_start = [f for f in frames if f.kind == "audio" or f.arrival >= video[30].arrival]
    fragmenter = WebmFragmenter(ORIGIN)

    whole = b"".join(f.data for f in feed(fragmenter, late_start))

    assert len(packets(whole, "audio")) == SECONDS * 50  # nothing lost
    assert bytes(packets(whole, "video")[0]) == video[30].payload
    assert fragmenter.dropped == 0


def test_video_without_any_keyframe_yet_is_dropped(frames: list[Frame]) -> None:
    fragmenter = WebmFragmenter(ORIGIN, audio=False)
    delta = next(f for f in frames if f.kind == "video" and not vp8_is_keyframe(f.payload))

    assert fragmenter.video_frame(delta.payload, delta.rtp_timestamp, delta.arrival) == []
    assert fragmenter.dropped == 1 and not fragmenter.started
    assert fragmenter.finish() == []


def test_audio_only_streams_are_cut_by_time(frames: list[Frame]) -> None:
    fragmenter = WebmFragmenter(ORIGIN, video=False)

    fragments = feed(fragmenter, [f for f in frames if f.kind == "audio"])

    assert fragmenter.content_type == WEBM_OPUS
    whole = b"".join(f.data for f in fragments)
    assert len(packets(whole, "audio")) == SECONDS * 50
    with av.open(io.BytesIO(whole)) as container:
        assert [s.type for s in container.streams] == ["audio"]
    with pytest.raises(RecordInputError, match="no video"):
        fragmenter.video_frame(b"x", 0, ORIGIN)


def test_the_splitter_gives_the_same_pieces_whatever_the_write_sizes(frames: list[Frame]) -> None:
    whole = b"".join(f.data for f in feed(WebmFragmenter(ORIGIN), frames))
    at_once = WebmSplitter().feed(whole)

    splitter = WebmSplitter()
    bytewise = [piece for n in range(0, len(whole), 777) for piece in splitter.feed(whole[n : n + 777])]

    assert bytewise == at_once
    assert isinstance(at_once[0], bytes) and len(at_once) == 1 + SECONDS  # a Cluster per keyframe


def test_a_finished_fragmenter_takes_no_more_frames(frames: list[Frame]) -> None:
    fragmenter = WebmFragmenter(ORIGIN)
    feed(fragmenter, frames[:10])

    with pytest.raises(RecordStateError, match="finished"):
        fragmenter.audio_frame(frames[0].payload, 0, ORIGIN)
    assert fragmenter.finish() == []


# --- into a record ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def auditor() -> rsa.RSAPrivateKey:
    return generate_auditor_key()


def arrivals(frames: list[Frame], leg_offset: float) -> Iterator[Frame]:
    for f in frames:
        yield Frame(f.kind, f.payload, f.rtp_timestamp, f.arrival + leg_offset)


async def test_both_legs_recorded_through_the_writer_replay_with_the_expected_frames(
    tmp_path: Path, auditor: rsa.RSAPrivateKey, frames: list[Frame]
) -> None:
    KeyRing(tmp_path / "keys").add_auditor("audit1", auditor.public_key())
    recorder = Recorder.local(tmp_path, clock=lambda: ORIGIN)
    writer = await recorder.open(SessionInfo.of("call-1", "activation", ORIGIN))
    legs = {
        "customer": WebmStreamRecorder(writer, "customer", batch_frames=10),
        "teller": WebmStreamRecorder(writer, "teller", batch_frames=10),
    }

    for leg, offset in zip(legs.values(), (0.0, 0.25), strict=True):
        for f in arrivals(frames, offset):
            if f.kind == "video":
                leg.video_frame(f.payload, f.rtp_timestamp, arrival=f.arrival)
            else:
                leg.audio_frame(f.payload, f.rtp_timestamp, arrival=f.arrival)
    for leg in legs.values():
        await leg.close()
    manifest = await writer.seal(ended_at=ORIGIN + 7)

    assert manifest.streams == {"customer": WEBM_VP8_OPUS, "teller": WEBM_VP8_OPUS}
    source = LocalRecordStore(tmp_path / "records").source("call-1")
    trusted = KeyRing(tmp_path / "keys").trusted_signing_keys()
    assert verify_record(source, trusted).intact
    with open_record(source, trusted, auditor) as reader:
        for name, offset in (("customer", 0.0), ("teller", 0.25)):
            whole = b"".join(payload for _, payload in reader.media(name))
            assert len(decoded_video(whole)) == SECONDS * FPS
            assert len(packets(whole, "audio")) == SECONDS * 50
            first = packets(whole, "video")[0]
            assert float(first.pts * first.time_base) == pytest.approx(0.5 + offset, abs=0.002)
    assert all(leg.dropped == 0 and leg.muxer_dropped == 0 for leg in legs.values())


async def test_frames_after_the_writer_was_sealed_are_counted_not_raised(
    tmp_path: Path, auditor: rsa.RSAPrivateKey, frames: list[Frame]
) -> None:
    KeyRing(tmp_path / "keys").add_auditor("audit1", auditor.public_key())
    writer = await Recorder.local(tmp_path).open(SessionInfo.of("call-2", "activation", ORIGIN))
    leg = WebmStreamRecorder(writer, "customer", batch_frames=1)
    await writer.seal()

    leg.audio_frame(frames[0].payload, frames[0].rtp_timestamp, arrival=ORIGIN)

    assert leg.dropped == 1
    await leg.close()
    with pytest.raises(RecordStateError, match="closed"):
        leg.audio_frame(frames[0].payload, frames[0].rtp_timestamp)
