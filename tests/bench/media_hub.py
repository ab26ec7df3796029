"""Media hub benchmark: CPU per relayed 1:1 session against the cost of one VP8 transcode.

    .venv/bin/python tests/bench/media_hub.py [--modes forward forward+decode transcode]
                                              [--sessions 1 2 4] [--seconds 10]

(a) transcode unit: decode + encode of one VP8 640x480@30 stream with aiortc's own codecs, measured
    as process CPU time in this process.
(b) the real application (``create_app``) runs in a child process; in-process aiortc peers in this
    process send 640x480@30 moving video (~1 Mbit/s VP8) and 48 kHz Opus both ways through it. The
    child reports its own CPU time (all threads) and its event loop's lag, sampled every 10 ms, over
    a measuring window, minus its idle CPU. One run per hub mode and session count:

    - ``forward``: the app as shipped: encoded frames forwarded, nothing decoded or encoded;
    - ``forward+decode``: the same, plus a reader of every session's decoded customer video (what
      verification adds while it runs);
    - ``transcode``: the naive relay (aiortc decodes, each sender encodes again), the baseline.

    The app always builds ``MediaHub(ice)``; the child swaps in the mode by replacing
    ``video_bank.app.MediaHub`` before creating the app. The child reads ``VIDEO_BANK_*`` settings
    from its environment and the peers configure ICE from ``session_started`` as the pages do, so
    ``tests/bench/turn_cost.py`` runs the same sessions through a TURN server.

The peers cost the server-side measurement as little as possible: they send pre-encoded media and
count the frames their receivers reassemble without decoding them. Prints CPU per session,
sessions per core, the ratio b/a, loop lag p50/p99/max, received frame rate, and the load average
of the machine before and after (other processes distort the figures). Loopback only; stops by itself.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 640, 480, 30
MODES = ("forward", "forward+decode", "transcode")
BENCH_TELLERS = 8
MIN_FPS = 27.0
"""Below this received frame rate per stream (of 30) a run is marked starved."""
PASSWORD = "bench"


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


def pre_encode_video(frames: list[np.ndarray], bitrate: int = 1_000_000) -> list[bytes]:
    """The frames as a VP8 stream at ``bitrate`` whose first frame is a keyframe (GOP = the clip)."""
    import av
    from av import VideoFrame

    context = av.CodecContext.create("libvpx", "w")
    context.width, context.height, context.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    context.time_base = fractions.Fraction(1, FPS)
    context.framerate = FPS
    context.bit_rate = bitrate
    context.gop_size = len(frames)
    context.thread_count = 1
    context.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    out: list[bytes] = []
    for i, image in enumerate(frames):
        frame = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in context.encode(frame)]
    out += [bytes(p) for p in context.encode(None)]
    return out


def pre_encode_audio(seconds: float = 1.0, frequency: float = 440.0) -> list[bytes]:
    """A tone as 20 ms Opus packets (48 kHz stereo, 64 kbit/s), a whole number of periods long."""
    import av
    from av import AudioFrame

    context = av.CodecContext.create("libopus", "w")
    context.sample_rate, context.format, context.layout = 48000, "s16", "stereo"
    context.bit_rate = 64000
    context.time_base = fractions.Fraction(1, 48000)
    out: list[bytes] = []
    for n in range(int(seconds * 50)):
        t = (np.arange(960) + n * 960) / 48000
        pcm = (np.sin(2 * np.pi * frequency * t) * 8000).astype(np.int16)
        frame = AudioFrame.from_ndarray(np.repeat(pcm, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, n * 960
        out += [bytes(p) for p in context.encode(frame)]
    return out


# --- (b) child: the real app with a loop-lag sampler ------------------------------------------------------


def hub_factory(mode: str) -> Any:
    """What the child's app should build instead of ``MediaHub(ice)``."""
    import functools

    from video_bank.media.hub import MediaHub

    if mode == "transcode":
        return functools.partial(MediaHub, relay_mode="transcode")
    if mode == "forward":
        return MediaHub

    class DecodingHub(MediaHub):
        """Forwards, and decodes every session's customer video for a reader (as verification would)."""

        readers: ClassVar[set[asyncio.Task[None]]] = set()

        def open_session(self, session_id: str) -> None:
            super().open_session(session_id)
            frames = self.subscribe(session_id, "customer", "video", maxsize=2)

            async def read() -> None:
                async for _ in frames:
                    pass

            task = asyncio.create_task(read())
            self.readers.add(task)
            task.add_done_callback(self.readers.discard)

    return DecodingHub


async def child_main(mode: str) -> None:
    from aiohttp import web

    import video_bank.app
    from video_bank.accounts import seed_demo_accounts
    from video_bank.app import create_app
    from video_bank.config import load_settings
    from video_bank.passwords import hash_password
    from video_bank.storage import SqliteStorage

    data = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    # + VIDEO_BANK_* (TURN). No auditor key: the relay is measured without recording, which the
    # server refuses by default (unrecorded_calls=refuse) — this benchmark lets such calls run.
    settings = load_settings(data_dir=data, port=0, log_level="WARNING", unrecorded_calls="restrict")
    storage = await SqliteStorage.open(settings.sqlite_path)
    await seed_demo_accounts(storage, PASSWORD)
    encoded = hash_password(PASSWORD)
    for n in range(BENCH_TELLERS):
        await storage.put_account(f"bench{n}", "teller", f"Bench teller {n}", encoded)
        await storage.set_teller_skills(f"bench{n}", {"activation": 5}, False)
    await storage.close()
    video_bank.app.MediaHub = hub_factory(mode)  # type: ignore[misc]
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


def peer_configuration(started: dict) -> Any:
    """The ``RTCConfiguration`` a page builds from ``session_started``: its ICE servers and policy."""
    from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in started["ice_servers"]
        ],
        iceTransportPolicy=RTCIceTransportPolicy(started["ice_transport_policy"]),
    )


async def run_sessions(
    port: int,
    child: Child,
    sessions: int,
    seconds: float,
    media: dict[str, list[bytes]],
    configure: Callable[[dict], Any] = peer_configuration,
) -> dict:
    """``sessions`` calls with media both ways; ``configure`` makes each peer's ``RTCConfiguration``
    from its ``session_started``. Returns the child's report for the measuring window."""
    import aiohttp
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AUDIO_PTIME, VIDEO_PTIME, MediaStreamError
    from av import Packet

    class PreEncodedTrack(MediaStreamTrack):
        """Loops pre-encoded packets in real time (a 2 s VP8 clip that starts with a keyframe, or a
        1 s tone): aiortc's sender packs them without encoding, so the client costs almost nothing."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind
            self._packets = media[kind]
            self._ptime = VIDEO_PTIME if kind == "video" else AUDIO_PTIME
            self._rate = 90000 if kind == "video" else 48000
            self._n = 0
            self._start: float | None = None

        async def recv(self) -> Packet:
            if self.readyState != "live":
                raise MediaStreamError
            loop = asyncio.get_running_loop()
            if self._start is None:
                self._start = loop.time()
            wait = self._start + self._n * self._ptime - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            packet = Packet(self._packets[self._n % len(self._packets)])
            packet.pts = round(self._n * self._ptime * self._rate)
            packet.time_base = fractions.Fraction(1, self._rate)
            self._n += 1
            return packet

    received = {"video": 0}

    class CountingBuffer:
        """Stands in for a client receiver's jitter buffer: counts completed frames, decodes nothing."""

        def __init__(self, inner: Any, kind: str) -> None:
            self.inner, self.kind = inner, kind

        def add(self, packet: Any) -> tuple[bool, None]:
            lost, frame = self.inner.add(packet)
            if frame is not None and self.kind == "video":
                received["video"] += 1
            return lost, None

    pcs: list[RTCPeerConnection] = []
    readers: list[asyncio.Task[None]] = []
    http = aiohttp.ClientSession()
    base = f"http://127.0.0.1:{port}"

    async def next_of(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict:
        while True:
            message = await ws.receive_json(timeout=20)
            if message["type"] == kind:
                return message

    async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
        """Keep reading (aiohttp answers the server's heartbeat pings only while someone reads)."""
        async for _ in ws:
            pass

    async def media_for(ws: aiohttp.ClientWebSocketResponse, started: dict) -> None:
        session_id = started["session_id"]
        pc = RTCPeerConnection(configure(started))
        pcs.append(pc)
        for kind in ("audio", "video"):
            pc.addTrack(PreEncodedTrack(kind))
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            receiver._RTCRtpReceiver__jitter_buffer = CountingBuffer(
                receiver._RTCRtpReceiver__jitter_buffer, transceiver.kind
            )
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send_json({"type": "offer", "session_id": session_id, "sdp": pc.localDescription.sdp})
        answer = await next_of(ws, "answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    sockets = []
    for n in range(sessions):
        teller = await http.ws_connect(f"{base}/ws")
        hello = {
            "type": "hello",
            "protocol": 1,
            "role": "teller",
            "username": f"bench{n}",
            "password": PASSWORD,
        }
        await teller.send_json(hello)
        customer = await http.ws_connect(f"{base}/ws")
        await customer.send_json({"type": "hello", "protocol": 1, "role": "customer"})
        await teller.send_json({"type": "set_state", "state": "available", "auto_accept": True})
        await next_of(teller, "teller_state")
        await next_of(teller, "teller_state")
        await customer.send_json(
            {"type": "join_queue", "display_name": f"Bench {n}", "business": "activation"}
        )
        customer_started = await next_of(customer, "session_started")
        teller_started = await next_of(teller, "session_started")
        await media_for(customer, customer_started)
        await media_for(teller, teller_started)
        await next_of(customer, "media_state")
        sockets += [teller, customer]
        readers += [asyncio.create_task(drain(teller)), asyncio.create_task(drain(customer))]

    await asyncio.sleep(3.0)  # warm-up: let bitrates settle and every receiver reach a keyframe
    await child.ask("reset")
    before = received["video"]
    await asyncio.sleep(seconds)
    report = await child.ask("report")
    report["received_fps_per_stream"] = (received["video"] - before) / seconds / (2 * sessions)

    for pc in pcs:
        await pc.close()
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await http.close()
    return report


async def measure(mode: str, sessions: int, seconds: float, media: dict[str, list[bytes]]) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    child = Child(process)
    assert process.stdout and process.stdin
    port = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))["port"]
    await child.ask("reset")
    await asyncio.sleep(2.0)
    idle = await child.ask("report")
    report = await run_sessions(port, child, sessions, seconds, media)
    process.stdin.close()
    await asyncio.wait_for(process.wait(), 30)
    report["core_per_session"] = (report["cpu"] / report["wall"] - idle["cpu"] / idle["wall"]) / sessions
    return report


def is_starved(report: dict) -> bool:
    """The peers received too few frames: the machine (or this process) could not carry the load."""
    return bool(report["received_fps_per_stream"] < MIN_FPS)


async def parent_main(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()
    frames = camera_frames()
    unit = transcode_unit(frames)
    print(
        f"(a) transcode unit, VP8 640x480@30 decode+encode: {unit['cpu_ms_per_frame']:.2f} ms/frame "
        f"= {unit['cores']:.3f} core"
    )
    media = {"video": pre_encode_video(frames), "audio": pre_encode_audio()}

    results: list[tuple[str, int, dict]] = []
    for mode in args.modes:
        for sessions in args.sessions:
            results.append((mode, sessions, await measure(mode, sessions, args.seconds, media)))

    print(
        "(b) server CPU per relayed 1:1 session (both directions, audio + video), real app in a child process"
    )
    print(
        f"{'mode':<15} {'sessions':>8} {'core/session':>13} {'sessions/core':>14} {'ratio b/a':>10} "
        f"{'loop lag p50':>13} {'p99':>8} {'max':>9} {'fps/stream':>11}"
    )
    starved = False
    for mode, sessions, report in results:
        per_session = report["core_per_session"]
        print(
            f"{mode:<15} {sessions:>8} {per_session:>13.3f} {1 / per_session:>14.1f} "
            f"{per_session / unit['cores']:>10.2f} {report['lag_p50_ms']:>10.2f} ms "
            f"{report['lag_p99_ms']:>5.2f} ms {report['lag_max_ms']:>6.1f} ms "
            f"{report['received_fps_per_stream']:>11.1f}" + ("  starved" if is_starved(report) else "")
        )
        starved |= is_starved(report)
    if starved:
        print(
            f"starved: below {MIN_FPS} fps per stream the machine could not carry the load (other processes, "
            "or the peers in this process): such a run's CPU per session is too low, do not use it"
        )
    means: dict[str, float] = {}
    for m in args.modes:
        valid = [r["core_per_session"] for mode, _, r in results if mode == m and not is_starved(r)]
        if not valid:
            print(f"mean {m}: no run without starvation")
            continue
        means[m] = mean = statistics.mean(valid)
        print(
            f"mean {m} ({len(valid)} run(s) not starved): {mean:.3f} core per session, "
            f"{1 / mean:.1f} sessions per core, ratio b/a {mean / unit['cores']:.2f} "
            "(one session relays two streams)"
        )
    if "forward" in means and "transcode" in means:
        print(f"forward / transcode: {means['forward'] / means['transcode']:.2f}")
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if max(args.sessions) > BENCH_TELLERS:
        parser.error(f"at most {BENCH_TELLERS} sessions")
    asyncio.run(child_main(args.child) if args.child else parent_main(args))


if __name__ == "__main__":
    main()
