"""Reconnect benchmark: how fast a dropped customer's video comes back, and what the record lost.

    .venv/bin/python tests/bench/reconnect.py [--drops 20] [--outage 1.0] [--frames 3]

The real app runs as ``python -m video_bank serve`` in a child process on loopback (resume grace
30 s). In this process an aiortc customer and teller hold a call through it, sending 30 fps counter
video (``tests/support/media_party.py``). Each drop closes the customer's socket and peer connection
(the network goes), waits ``--outage`` seconds (the network is back at the end of it), then does what
the page does: a new socket, ``hello``, ``resume`` with the latest token, a new peer connection and
``offer``. Measured per drop, from the network coming back:

- **resumed**: ``session_resumed`` received;
- **video back**: the teller's remote video shows ``--frames`` frames of the customer's new stream
  (decoded, content-checked: the customer's sender id, counting from 0 again).

After the drops the teller hangs up and the sealed record is exported with the demo auditor key:
for each ``leg_lost``/``leg_resumed`` pair of its timeline, the customer video missing from the
record (the gap between the last frame before and the first frame after), beside the socket gap
(``away_seconds``) and the outage. Prints p50/p95/max over the drops. Loopback only; the child is
stopped by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import av

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.media_party import Party, read_bars, wait_until  # noqa: E402
from tests.support.server_process import LISTENING, child_env, run_cli  # noqa: E402

CUSTOMER_ID, TELLER_ID = 5, 9
GRACE_SECONDS = 30


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, values: list[float], unit: str = "s") -> str:
    return (
        f"{name:<34} p50 {statistics.median(values):6.3f} {unit}   p95 {percentile(values, 0.95):6.3f} {unit}"
        f"   max {max(values):6.3f} {unit}   (n={len(values)})"
    )


async def start_server(data_dir: Path, password: str) -> tuple[asyncio.subprocess.Process, str]:
    env = child_env(
        VIDEO_BANK_DEMO_PASSWORD=password,
        VIDEO_BANK_RESUME_GRACE_SECONDS=str(GRACE_SECONDS),
        VIDEO_BANK_HEARTBEAT_SECONDS="2",
        VIDEO_BANK_SERVICE_HOURS="00:00-24:00",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "video_bank",
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    async with asyncio.timeout(120):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError("the server exited before listening")
            match = LISTENING.search(line)
            if match:
                return process, f"ws://127.0.0.1:{match.group(2)}/ws"


async def party(
    http: aiohttp.ClientSession, url: str, role: str, password: str, user: str | None = None
) -> Party:
    p = Party(await http.ws_connect(url), user or role)
    hello: dict[str, Any] = {"type": "hello", "protocol": 1, "role": role}
    if user:
        hello |= {"username": user, "password": password}
    await p.send(**hello)
    p.welcome = await p.expect("welcome")
    return p


def newest(frames: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The frames since the sender last started counting from 0 (its newest peer connection)."""
    starts = [i for i in range(1, len(frames)) if frames[i][0] < frames[i - 1][0]]
    return frames[starts[-1] :] if starts else frames


async def run(drops: int, outage: float, frames: int) -> None:
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="reconnect-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        process, url = await start_server(data_dir, password)
        try:
            async with aiohttp.ClientSession() as http:
                await measure(http, url, password, data_dir, drops, outage, frames)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 60)


async def measure(
    http: aiohttp.ClientSession,
    url: str,
    password: str,
    data_dir: Path,
    drops: int,
    outage: float,
    frames: int,
) -> None:
    teller = await party(http, url, "teller", password, "teller1")
    await teller.expect("teller_state")
    await teller.send(type="set_state", state="available", auto_accept=True)
    customer = await party(http, url, "customer", password)
    await customer.send(type="join_queue", display_name="Bench", business="activation")
    started = await customer.until("session_started")
    session_id = started["session_id"]
    token = started["resume_token"]
    customer.session_id = teller.session_id = session_id
    await teller.until("session_started")
    await customer.connect_media(CUSTOMER_ID, 440.0)
    await teller.connect_media(TELLER_ID, 1000.0)
    await wait_until(lambda: len(teller.received.video) >= 30, timeout=60, what="the first video")

    resumed_after: list[float] = []
    video_after: list[float] = []
    for n in range(drops):
        await customer.close()  # the network goes: socket and peer connection
        await teller.until("leg_state", timeout=30)
        await asyncio.sleep(outage)  # the outage itself (the scenario, not a synchronisation)
        back = time.monotonic()
        seen = len(teller.received.video)
        customer = await party(http, url, "customer", password)
        await customer.send(type="resume", resume_token=token)
        resumed = await customer.until("session_resumed", timeout=30)
        resumed_after.append(time.monotonic() - back)
        token = resumed["resume_token"]
        customer.session_id = session_id
        await customer.connect_media(CUSTOMER_ID, 440.0)

        def fresh(seen: int = seen) -> bool:
            stream = newest(teller.received.video[seen:])
            return len(stream) >= frames and stream[0][0] < 30 and {s for _, s in stream} == {CUSTOMER_ID}

        await wait_until(fresh, timeout=60, what="the customer's video again")
        video_after.append(time.monotonic() - back)
        await teller.until("leg_state", timeout=30)  # resumed
        print(
            f"drop {n + 1:2d}: resumed {resumed_after[-1]:.3f} s, video back {video_after[-1]:.3f} s",
            flush=True,
        )

    await wait_until(
        lambda: len(newest(teller.received.video)) >= 30, timeout=60, what="a last second of video"
    )
    await teller.send(type="hangup", session_id=session_id)
    await customer.until("session_ended", timeout=30)
    await customer.close()
    await teller.close()
    gaps = await record_gaps(data_dir, session_id)

    print()
    print(f"{drops} drops of {outage:.1f} s, customer video 30 fps, loopback, resume grace {GRACE_SECONDS} s")
    print(summary("network back -> session_resumed", resumed_after))
    print(summary(f"network back -> {frames} new frames shown", video_after))
    print(summary("socket gap in the record (away)", [g["away"] for g in gaps]))
    print(summary("customer video missing per gap", [g["missing"] for g in gaps]))
    extra = [g["missing"] - g["away"] for g in gaps]
    print(summary("  of which after the resume", extra))


async def record_gaps(data_dir: Path, session_id: str) -> list[dict[str, float]]:
    """Per leg_lost/leg_resumed pair: the socket gap and the customer video missing from the record."""
    out = data_dir.parent / "export"
    key = data_dir / "keys" / "demo-auditor.pem"
    deadline = time.monotonic() + 60
    command = (
        "records",
        "export",
        session_id,
        "--key",
        str(key),
        "--out",
        str(out),
        "--data-dir",
        str(data_dir),
    )
    while (await asyncio.to_thread(run_cli, *command)).returncode != 0:  # sealed a moment after the end
        if time.monotonic() > deadline:
            raise RuntimeError("the record could not be exported (not sealed?)")
        await asyncio.sleep(0.5)
    manifest = json.loads((out / "manifest.json").read_text())
    opened = manifest["opened_at_us"]
    events = json.loads((out / "timeline.json").read_text())["events"]
    lost = [(e["at_us"] - opened) / 1e6 for e in events if e["kind"] == "leg_lost"]
    resumed = [e for e in events if e["kind"] == "leg_resumed"]
    media = next(p for p in out.iterdir() if p.name.startswith("customer") and p.suffix == ".webm")
    with av.open(str(media)) as container:
        times = [
            float(f.time)
            for f in container.decode(video=0)
            if f.time is not None and read_bars(f)[1] == CUSTOMER_ID
        ]
    gaps = []
    for at, event in zip(lost, resumed, strict=True):
        before = max((t for t in times if t <= at + 0.5), default=at)
        after = min((t for t in times if t > before + 0.2), default=before)
        gaps.append({"away": float(event["data"]["away_seconds"]), "missing": after - before})
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drops", type=int, default=20)
    parser.add_argument("--outage", type=float, default=1.0, help="seconds the network stays down")
    parser.add_argument("--frames", type=int, default=3, help="new frames that count as video back")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(run(args.drops, args.outage, args.frames))


if __name__ == "__main__":
    main()
