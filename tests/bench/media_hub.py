"""Media hub benchmark: CPU per relayed 1:1 session against the cost of one VP8 transcode.

    .venv/bin/python tests/bench/media_hub.py [--sessions 1 2 4] [--seconds 10]

(a) transcode unit: decode + encode of one VP8 640x480@30 stream with aiortc's own codecs, measured
    as process CPU time in this process.
(b) the real application (``create_app``) runs in a child process; in-process aiortc peers in this
    process send 640x480@30 moving video and 48 kHz audio both ways through it. The child reports its
    own CPU time (all threads) and its event loop's lag, sampled every 10 ms, over a measuring window.

Prints CPU per session, sessions per core, the ratio b/a and loop lag p50/p99. Loopback only; stops
by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 640, 480, 30


def camera_frames(count: int = 60) -> list[np.ndarray]:
    """Camera-like BGR frames: a face photo drifting and breathing, with sensor noise."""
    from tests.support.faces import face_path

    photo = cv2.imread(str(face_path("obama.jpg")))
    photo = cv2.resize(photo, (WIDTH + 64, HEIGHT + 48))
    rng = np.random.default_rng(7)
    frames = []
    for i in range(count):
        dx = int(32 + 24 * np.sin(i / count * 2 * np.pi))
        dy = int(24 + 16 * np.cos(i / count * 2 * np.pi))
        crop = photo[dy : dy + HEIGHT, dx : dx + WIDTH].astype(np.int16)
        crop += rng.integers(-6, 7, crop.shape, dtype=np.int16)
        frames.append(np.clip(crop, 0, 255).astype(np.uint8))
    return frames


# --- (a) transcode unit ---------------------------------------------------------------------------------


def transcode_unit(frames: list[np.ndarray], seconds: float = 5.0) -> dict[str, float]:
    """CPU cores used by decode + encode of one 640x480@30 VP8 stream."""
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame
    from av import VideoFrame

    source = Vp8Encoder()
    transcoder_encoder = Vp8Encoder()
    decoder = Vp8Decoder()
    time_base = fractions.Fraction(1, 90000)
    encoded = []
    for i in range(int(seconds * FPS)):
        frame = VideoFrame.from_ndarray(frames[i % len(frames)], format="bgr24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * 3000, time_base
        payloads, timestamp = source.encode(frame, force_keyframe=i == 0)
        # What a receiver's depacketizer hands its decoder: the frame's VP8 bitstream.
        encoded.append((b"".join(vp8_depayload(p) for p in payloads), timestamp))
    start = time.process_time()
    for data, timestamp in encoded:
        for decoded in decoder.decode(JitterFrame(data=data, timestamp=timestamp)):
            transcoder_encoder.encode(decoded)
    cpu = time.process_time() - start
    per_frame = cpu / len(encoded)
    return {"cpu_ms_per_frame": per_frame * 1000, "cores": per_frame * FPS}


def pre_encode(frames: list[np.ndarray], bitrate: int = 1_000_000) -> list[bytes]:
    """The frames as a VP8 stream at ``bitrate`` whose first frame is a keyframe (GOP = the clip)."""
    import av
    from av import VideoFrame

    context = av.CodecContext.create("libvpx", "w")
    context.width, context.height, context.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    context.time_base = fractions.Fraction(1, FPS)
    context.framerate = FPS
    context.bit_rate = bitrate
    context.gop_size = len(frames)
    context.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    out: list[bytes] = []
    for i, image in enumerate(frames):
        frame = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in context.encode(frame)]
    out += [bytes(p) for p in context.encode(None)]
    return out


# --- (b) child: the real app with a loop-lag sampler ------------------------------------------------------


async def child_main() -> None:
    from aiohttp import web

    from video_bank.accounts import seed_demo_accounts
    from video_bank.app import create_app
    from video_bank.config import Settings
    from video_bank.storage import SqliteStorage

    data = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    settings = Settings(data_dir=data, port=0, log_level="WARNING")
    storage = await SqliteStorage.open(settings.sqlite_path)
    await seed_demo_accounts(storage, "bench")
    await storage.close()
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)

    lags: list[float] = []

    async def sample() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    sampler = asyncio.create_task(sample())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    while line := (await reader.readline()).decode().strip():
        if line == "reset":
            lags.clear()
            cpu0, wall0 = time.process_time(), time.monotonic()
            print("{}", flush=True)
        elif line == "report":
            ordered = sorted(lags) or [0.0]
            report = {
                "cpu": time.process_time() - cpu0,
                "wall": time.monotonic() - wall0,
                "lag_p50_ms": ordered[len(ordered) // 2] * 1000,
                "lag_p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
                "lag_max_ms": ordered[-1] * 1000,
            }
            print(json.dumps(report), flush=True)
    sampler.cancel()
    await runner.cleanup()


# --- (b) parent: peers driving sessions ----------------------------------------------------------------


class Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, command: str) -> dict[str, float]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return dict(json.loads(await asyncio.wait_for(self.process.stdout.readline(), 30)))


async def run_sessions(
    port: int, child: Child, sessions: int, seconds: float, frames: list[np.ndarray]
) -> dict:
    import aiohttp
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from av import Packet

    from tests.support.media_party import ToneAudioTrack

    packets = pre_encode(frames)

    class CameraTrack(VideoStreamTrack):
        """Sends pre-encoded VP8 (looping a 2 s clip that starts with a keyframe): the client costs
        almost nothing, so the two cores are left to the server being measured."""

        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        async def recv(self) -> Packet:
            pts, time_base = await self.next_timestamp()
            packet = Packet(packets[self.n % len(packets)])
            packet.pts, packet.time_base = pts, time_base
            self.n += 1
            return packet

    received = {"video": 0}
    tasks: list[asyncio.Task[None]] = []
    pcs: list[RTCPeerConnection] = []
    http = aiohttp.ClientSession()
    base = f"http://127.0.0.1:{port}"

    async def read(track) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(Exception):
            while True:
                await track.recv()
                if track.kind == "video":
                    received["video"] += 1

    async def next_of(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict:
        while True:
            message = await ws.receive_json(timeout=20)
            if message["type"] == kind:
                return message

    async def media(ws: aiohttp.ClientWebSocketResponse, session_id: str) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        pc.addTrack(CameraTrack())
        pc.addTrack(ToneAudioTrack(440.0))
        pc.on("track", lambda track: tasks.append(asyncio.create_task(read(track))))
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send_json({"type": "offer", "session_id": session_id, "sdp": pc.localDescription.sdp})
        answer = await next_of(ws, "answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    sockets = []
    for n in range(sessions):
        teller = await http.ws_connect(f"{base}/ws")
        await teller.send_json(
            {
                "type": "hello",
                "protocol": 1,
                "role": "teller",
                "username": f"teller{n % 2 + 1}",
                "password": "bench",
            }
        )
        customer = await http.ws_connect(f"{base}/ws")
        await customer.send_json({"type": "hello", "protocol": 1, "role": "customer"})
        await teller.send_json({"type": "set_state", "state": "available", "auto_accept": True})
        await next_of(teller, "teller_state")
        await next_of(teller, "teller_state")
        await customer.send_json(
            {"type": "join_queue", "display_name": f"Bench {n}", "business": "activation"}
        )
        session_id = (await next_of(customer, "session_started"))["session_id"]
        await next_of(teller, "session_started")
        await media(customer, session_id)
        await media(teller, session_id)
        await next_of(customer, "media_state")
        sockets += [teller, customer]

    await asyncio.sleep(3.0)  # warm-up: let bitrates and the encoders settle before measuring
    await child.ask("reset")
    before = received["video"]
    await asyncio.sleep(seconds)
    report = await child.ask("report")
    report["received_fps_per_stream"] = (received["video"] - before) / seconds / (2 * sessions)

    for pc in pcs:
        await pc.close()
    for task in tasks:
        task.cancel()
    for ws in sockets:
        await ws.close()
    await http.close()
    return report


async def parent_main(args: argparse.Namespace) -> None:
    frames = camera_frames()
    unit = transcode_unit(frames)
    print(
        f"(a) transcode unit, VP8 640x480@30 decode+encode: {unit['cpu_ms_per_frame']:.2f} ms/frame "
        f"= {unit['cores']:.3f} core"
    )

    results = []
    for sessions in args.sessions:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=str(ROOT),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        child = Child(process)
        assert process.stdout
        port = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))["port"]
        idle = await child.ask("reset")
        await asyncio.sleep(2.0)
        idle = await child.ask("report")
        report = await run_sessions(port, child, sessions, args.seconds, frames)
        assert process.stdin
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)
        per_session = (report["cpu"] / report["wall"] - idle["cpu"] / idle["wall"]) / sessions
        results.append((sessions, per_session, report))

    print(
        "(b) server CPU per relayed 1:1 session (both directions, audio + video), real app in a child process"
    )
    print(
        f"{'sessions':>8} {'core/session':>13} {'sessions/core':>14} {'ratio b/a':>10} "
        f"{'loop lag p50':>13} {'p99':>8} {'max':>8} {'fps/stream':>11}"
    )
    for sessions, per_session, report in results:
        ratio = per_session / unit["cores"]
        print(
            f"{sessions:>8} {per_session:>13.3f} {1 / per_session:>14.1f} {ratio:>10.2f} "
            f"{report['lag_p50_ms']:>10.2f} ms {report['lag_p99_ms']:>5.2f} ms "
            f"{report['lag_max_ms']:>5.1f} ms {report['received_fps_per_stream']:>11.1f}"
        )
    mean = statistics.mean(p for _, p, _ in results)
    print(
        f"mean: {mean:.3f} core per session, {1 / mean:.1f} sessions per core, "
        f"ratio b/a {mean / unit['cores']:.2f} (one session relays two streams)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(child_main() if args.child else parent_main(args))


if __name__ == "__main__":
    main()
