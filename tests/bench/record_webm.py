"""Cost of recording one leg's encoded frames as encrypted WebM fragments (no decoding, no encoding).

    .venv/bin/python tests/bench/record_webm.py [--seconds 20]

First (untimed) encodes ``--seconds`` of 640x480@30 VP8 (moving noise, ≈1.5 Mbit/s) and 20 ms Opus
packets with PyAV, giving them RTP timestamps. Then feeds them as fast as possible:

(a) ``WebmFragmenter`` alone (muxing + cutting into fragments), process CPU time;
(b) ``WebmStreamRecorder`` → ``RecordWriter`` → local store: the whole recording path (event-loop
    side, muxing, AES-GCM, hashing, signing, fsyncs), process CPU time (all threads), and the time
    spent in the event-loop-side calls alone.

Prints CPU per second of recorded media (= share of one core for one leg in real time) and the
event-loop cost per frame.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from video_bank.records import Recorder, SessionInfo  # noqa: E402
from video_bank.records.keyring import KeyRing  # noqa: E402
from video_bank.records.keywrap import generate_auditor_key  # noqa: E402
from video_bank.records.webm import WebmFragmenter, WebmStreamRecorder  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 480, 30
Frame = tuple[str, bytes, int, float]


def encode(seconds: int, origin: float) -> list[Frame]:
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.time_base = fractions.Fraction(1, 90_000)
    video.framerate = FPS
    video.gop_size = 3 * FPS
    video.bit_rate = 1_500_000
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, (HEIGHT + 64, WIDTH + 64, 3), dtype=np.uint8)
    frames: list[Frame] = []
    for n in range(seconds * FPS):
        dx, dy = n % 64, (n // 2) % 64
        image = base[dy : dy + HEIGHT, dx : dx + WIDTH]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24").reformat(
            format="yuv420p"
        )
        frame.pts = n * 3000
        for packet in video.encode(frame):
            frames.append(
                ("video", bytes(packet), (123_456 + packet.pts) % 2**32, origin + packet.pts / 90_000)
            )
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48_000, "stereo", "s16"
    audio.time_base = fractions.Fraction(1, 48_000)
    for n in range(seconds * 50):
        samples = (rng.standard_normal(1920) * 3000).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, n * 960
        for packet in audio.encode(frame):
            frames.append(
                ("audio", bytes(packet), (987_654 + packet.pts) % 2**32, origin + packet.pts / 48_000)
            )
    frames.sort(key=lambda f: f[3])
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20, help="seconds of media (default 20)")
    args = parser.parse_args()
    origin = time.time()
    frames = encode(args.seconds, origin)
    video_bytes = sum(len(f[1]) for f in frames if f[0] == "video")
    video_count = sum(f[0] == "video" for f in frames)
    rate = video_bytes * 8 / args.seconds / 1e6
    audio_count = len(frames) - video_count
    print(f"{args.seconds} s of one leg: {video_count} VP8 frames ({rate:.2f} Mbit/s), {audio_count} Opus")

    fragmenter = WebmFragmenter(origin)
    start = time.process_time()
    for kind, payload, ts, arrival in frames:
        if kind == "video":
            fragmenter.video_frame(payload, ts, arrival)
        else:
            fragmenter.audio_frame(payload, ts, arrival)
    fragmenter.finish()
    mux_cpu = time.process_time() - start

    with tempfile.TemporaryDirectory(prefix="record-webm-bench-") as tmp:
        data_dir = Path(tmp)
        KeyRing(data_dir / "keys").add_auditor("bench", generate_auditor_key().public_key())

        async def record() -> tuple[float, float]:
            writer = await Recorder.local(data_dir).open(SessionInfo.of("bench", "activation", origin))
            leg = WebmStreamRecorder(writer, "customer")
            loop_time = 0.0
            cpu = time.process_time()
            for kind, payload, ts, arrival in frames:
                t = time.perf_counter()
                if kind == "video":
                    leg.video_frame(payload, ts, arrival=arrival)
                else:
                    leg.audio_frame(payload, ts, arrival=arrival)
                loop_time += time.perf_counter() - t
                await asyncio.sleep(0)  # let completions run, as a live loop would
            await leg.close()
            manifest = await writer.seal()
            assert len(manifest.chunks) > 1
            return time.process_time() - cpu, loop_time

        total_cpu, loop_time = asyncio.run(record())

    print(f"{'measurement':<62} {'CPU s per media s':>18}")
    rows = (
        ("(a) WebmFragmenter alone (mux + cut)", mux_cpu),
        ("(b) whole path: append, mux, encrypt, sign, store with fsyncs", total_cpu),
    )
    for name, cpu in rows:
        print(f"{name:<62} {cpu / args.seconds:>18.4f}")
    per_frame = loop_time / len(frames) * 1e6
    print(f"event-loop side: {per_frame:.1f} µs per frame, {loop_time / args.seconds * 100:.3f} % of a core")


if __name__ == "__main__":
    main()
