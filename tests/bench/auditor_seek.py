"""Auditor seek-to-play benchmark: a one-hour record, replayed in Chromium, seeked to random points.

    .venv/bin/python tests/bench/auditor_seek.py [--minutes 60] [--seeks 12]

1. Writes a record of ``--minutes`` into a fresh data dir with the real writer: both parties' VP8
   (320x240@15, ~150 kbit/s, a keyframe every 2 s as the hub asks for) and Opus, muxed by
   ``WebmFragmenter`` into fragments of >= 2 s and encrypted, chained and sealed like any record;
   timeline events every 30 s.
2. Starts ``python -m video_bank serve`` on that data dir and drives the auditor console in Chromium
   (Playwright): sign in, search, open with a reason, load the demo auditor key.
3. Seeks to ``--seeks`` random points (fixed seed) with the position slider and measures, in the
   page, the time from the seek until *both* videos play past the target (not seeking, ready, and
   currentTime advanced 50 ms beyond it). The console's background integrity pass runs meanwhile
   and competes for the same server, as in real use.

Prints each seek, the median, p90 and max (goal: every seek plays within 1 s), and the record's size.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 320, 240, 15
GOP = 2 * FPS
ORIGIN = 1_790_000_000.0
CHROMIUM = os.environ.get("VIDEO_BANK_CHROMIUM", "/usr/bin/chromium")

JS_SEEK = """
async (target) => {
  const range = document.querySelector('[data-testid=replay-seek]');
  const videos = [...document.querySelectorAll('video')];
  const started = performance.now();
  range.value = String(target);
  range.dispatchEvent(new Event('change'));
  await new Promise((resolve) => {
    const check = () => {
      const ok = videos.every(
        (v) => !v.seeking && !v.paused && v.readyState >= 3 && v.currentTime > target + 0.05,
      );
      if (ok || performance.now() - started > 10000) resolve(); else requestAnimationFrame(check);
    };
    check();
  });
  return {
    ms: performance.now() - started,
    at: videos.map((v) => [v.currentTime, v.seeking, v.paused, v.readyState, v.ended,
      Array.from({length: v.buffered.length}, (_, i) => [v.buffered.start(i), v.buffered.end(i)])]),
    integrity: document.querySelector('[data-testid=integrity-status]').textContent,
  };
}
"""


def gop(seed: int) -> list[bytes]:
    """One 2 s GOP of VP8 (keyframe first) of a moving pattern."""
    import av

    context = av.CodecContext.create("libvpx", "w")
    context.width, context.height, context.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    context.time_base = fractions.Fraction(1, FPS)
    context.framerate = FPS
    context.bit_rate = 150_000
    context.gop_size = GOP
    context.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(seed)
    out: list[bytes] = []
    for n in range(GOP):
        image = np.full((HEIGHT, WIDTH, 3), (seed * 60 + n * 8) % 256, dtype=np.uint8)
        image[:, (n * 10) % WIDTH :][:, :20] = rng.integers(0, 255, (HEIGHT, 20, 3), dtype=np.uint8)[:, :20]
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        out += [bytes(p) for p in context.encode(frame)]
    out += [bytes(p) for p in context.encode(None)]
    return out[:GOP]


def opus_second() -> list[bytes]:
    import av

    context = av.CodecContext.create("libopus", "w")
    context.sample_rate, context.layout, context.format = 48_000, "stereo", "s16"
    context.time_base = fractions.Fraction(1, 48_000)
    context.bit_rate = 32_000
    t = np.arange(960) / 48_000
    out: list[bytes] = []
    for n in range(50):
        samples = (np.sin(2 * np.pi * 330 * (t + n * 0.02)) * 6000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(samples, 2)[None, :], format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, n * 960
        out += [bytes(p) for p in context.encode(frame)]
    return out[:50]


async def write_record(data_dir: Path, minutes: float) -> str:
    from video_bank.records import Recorder, SessionInfo, TimelineEvent
    from video_bank.records.webm import WebmFragmenter

    clock_now = [ORIGIN]
    recorder = Recorder.local(data_dir, clock=lambda: clock_now[0])
    record_id = "bench-hour-" + secrets.token_hex(4)
    writer = await recorder.open(SessionInfo.of(record_id, "activation", ORIGIN, teller="teller1"))
    streams = {
        "customer": (gop(1), WebmFragmenter(writer.opened_at)),
        "teller": (gop(2), WebmFragmenter(writer.opened_at)),
    }
    audio = opus_second()
    seconds = minutes * 60
    pending = []
    events = []
    frames_v = int(seconds * FPS)
    frames_a = int(seconds * 50)
    video_step, audio_step = 1 / FPS, 0.02
    i_v = i_a = 0
    while i_v < frames_v or i_a < frames_a:
        t_v, t_a = i_v * video_step, i_a * audio_step
        for name, (clip, fragmenter) in streams.items():
            if t_v <= t_a and i_v < frames_v:
                made = fragmenter.video_frame(clip[i_v % GOP], (i_v * 6000) % 2**32, ORIGIN + t_v)
            else:
                made = fragmenter.audio_frame(audio[i_a % 50], (i_a * 960) % 2**32, ORIGIN + t_a)
            for f in made:
                pending.append(
                    writer.append_media(
                        name, f.data, f.t0, f.t1, content_type=fragmenter.content_type, init=f.init
                    )
                )
        if t_v <= t_a and i_v < frames_v:
            i_v += 1
        else:
            i_a += 1
        if i_v % (30 * FPS) == 0 and t_v <= t_a:
            events.append(TimelineEvent.of(ORIGIN + t_v, "bench_mark", None, {"minute": round(t_v / 60, 2)}))
        if len(pending) > 32:
            await asyncio.gather(*pending)
            pending.clear()
            if events:
                pending.append(writer.append_events(events))
                events = []
    for name, (_, fragmenter) in streams.items():
        for f in fragmenter.finish():
            pending.append(
                writer.append_media(
                    name, f.data, f.t0, f.t1, content_type=fragmenter.content_type, init=f.init
                )
            )
    if events:
        pending.append(writer.append_events(events))
    await asyncio.gather(*pending)
    clock_now[0] = ORIGIN + seconds
    await writer.seal(ended_at=ORIGIN + seconds, summary={"outcome": "completed", "verification": None})
    await recorder.close()
    return record_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def drive(base: str, password: str, key: Path, duration: float, seeks: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        await page.goto(f"{base}/auditor/")
        await page.get_by_test_id("username").fill("audit1")
        await page.get_by_test_id("password").fill(password)
        await page.get_by_test_id("login-button").click()
        await page.get_by_test_id("open-record").first.click(timeout=30_000)
        await page.get_by_test_id("open-reason").fill("seek benchmark")
        await page.get_by_test_id("open-confirm").click()
        started = time.perf_counter()
        await page.get_by_test_id("key-file").set_input_files(str(key))
        replay = page.get_by_test_id("replay")
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=replay]').dataset.state === 'ready'", timeout=60_000
        )
        first_seek = await replay.get_attribute("data-seek-ms")
        print(
            f"open to first frame (signature, chain over {duration / 60:.0f} min, key unwrap, timeline, "
            f"first fragments): {(time.perf_counter() - started) * 1000:.0f} ms "
            f"(first seek in page {first_seek} ms)"
        )
        rng = random.Random(7)
        times = []
        for n in range(seeks):
            target = rng.uniform(5, duration - 10)
            result = await page.evaluate(JS_SEEK, target)
            times.append(result["ms"])
            print(f"seek {n + 1:2d} to {target:7.1f} s: playing after {result['ms']:6.0f} ms")
            if result["ms"] > 1000:
                print(f"    slow seek, video states: {result['at']}")
        state = await page.get_by_test_id("integrity-status").get_attribute("data-state")
        print(f"integrity state during the seeks: {state}")
        await browser.close()
    return times


def wait_healthy(base: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # readiness polling
    raise SystemExit("the server did not start")


def run(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="vb-seek-"))
    password = secrets.token_urlsafe(10)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seed = [
        sys.executable,
        "-m",
        "video_bank",
        "seed-demo",
        "--password",
        password,
        "--data-dir",
        str(data_dir),
    ]
    subprocess.run(seed, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    record_id = asyncio.run(write_record(data_dir, args.minutes))
    chunks = list((data_dir / "records" / record_id / "chunks").iterdir())
    size = sum(p.stat().st_size for p in chunks)
    elapsed = time.perf_counter() - t0
    print(
        f"wrote a {args.minutes:.0f}-minute record: {len(chunks)} chunks, "
        f"{size / 1e6:.1f} MB, in {elapsed:.1f} s"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "video_bank", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        key = data_dir / "keys" / "demo-auditor.pem"
        times = asyncio.run(drive(base, password, key, args.minutes * 60, args.seeks))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ordered = sorted(times)
    print(
        f"seek-to-play over {len(times)} seeks: median {statistics.median(times):.0f} ms, "
        f"p90 {ordered[int(0.9 * (len(ordered) - 1))]:.0f} ms, max {ordered[-1]:.0f} ms; "
        f"within 1 s: {sum(t <= 1000 for t in times)}/{len(times)}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seeks", type=int, default=12)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
