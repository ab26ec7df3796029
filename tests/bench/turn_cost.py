"""TURN benchmark: the server-side CPU of one TURN-relayed 1:1 session beside a direct one.

    .venv/bin/python tests/bench/turn_cost.py [--paths direct client-relay relay] [--sessions 1 2]
                                              [--seconds 10]

The sessions of ``tests/bench/media_hub.py`` (640x480@30 VP8 at ~1 Mbit/s and 48 kHz Opus, both
ways; pre-encoded peers in this process; the real app in a child process, hub in ``forward`` mode)
run beside a private coturn on loopback (``tests/support/coturn.py``, as ``nobody`` when root), by
path:

- ``direct``: no TURN server configured; peers and hub pair host candidates (the baseline);
- ``client-relay``: the server offers TURN with the ``all`` policy and the peers use relay only, as a
  customer behind a symmetric NAT would; the hub is reached at its own address: every packet
  passes coturn once;
- ``relay``: ``VIDEO_BANK_ICE_TRANSPORT_POLICY=relay``: peers and hub relay, so every packet passes
  coturn twice (into the sender's allocation, out of the receiver's).

Prints per session: the hub's CPU (child process, all threads, minus idle), coturn's CPU (all its
threads, from /proc/<pid>/stat; its idle rate is printed, not subtracted), their sum and its ratio
to ``direct``; the peers' CPU in this process (what an aiortc client pays for aioice's TURN client,
for reference); the hub's loop lag and the received frame rate. Loopback only; stops coturn and the
child by their PIDs. ``tests/bench/reconnect.py`` measures the other half of issue 14 (resume).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import media_hub  # noqa: E402
from tests.support.coturn import Coturn, running_coturn, turnserver_path  # noqa: E402

PATHS = ("direct", "client-relay", "relay")
TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 5.0


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat(5)


class MeteredChild(media_hub.Child):
    """The app's child process; each measuring window also samples coturn's CPU and this process's."""

    def __init__(self, process: asyncio.subprocess.Process, coturn: Coturn) -> None:
        super().__init__(process)
        self.coturn = coturn
        self._start = (0.0, 0.0)

    async def ask(self, command: str) -> dict[str, float]:
        report = await super().ask(command)
        turn, peers = process_cpu(self.coturn.process.pid), time.process_time()
        if command == "reset":
            self._start = (turn, peers)
        elif command == "report":
            report["turn_cpu"] = turn - self._start[0]
            report["peer_cpu"] = peers - self._start[1]
        return report


def relay_only(started: dict[str, Any]) -> Any:
    """A peer that uses TURN relays whatever the server's policy (a customer behind a symmetric NAT)."""
    return media_hub.peer_configuration({**started, "ice_transport_policy": "relay"})


async def measure(
    path: str, sessions: int, seconds: float, media: dict[str, list[bytes]], coturn: Coturn
) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("VIDEO_BANK_")}
    if path != "direct":
        env["VIDEO_BANK_TURN_URLS"] = coturn.udp_url
        env["VIDEO_BANK_TURN_SECRET"] = coturn.secret
        env["VIDEO_BANK_ICE_TRANSPORT_POLICY"] = "relay" if path == "relay" else "all"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        media_hub.__file__,
        "--child",
        "forward",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env=env,
    )
    assert process.stdout and process.stdin
    child = MeteredChild(process, coturn)
    port = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))["port"]
    await child.ask("reset")
    await asyncio.sleep(2.0)
    idle = await child.ask("report")
    configure = relay_only if path == "client-relay" else media_hub.peer_configuration
    report = await media_hub.run_sessions(port, child, sessions, seconds, media, configure)
    process.stdin.close()
    await asyncio.wait_for(process.wait(), 30)
    wall = report["wall"]
    report["hub"] = (report["cpu"] / wall - idle["cpu"] / idle["wall"]) / sessions
    # coturn idles at about one clock tick per few seconds: subtracting a 2 s idle sample adds noise.
    report["turn"] = report["turn_cpu"] / wall / sessions
    report["peers"] = report["peer_cpu"] / wall / sessions
    return report


async def main(args: argparse.Namespace) -> None:
    if turnserver_path() is None:
        raise SystemExit(
            "turn_cost: no turnserver (Debian's coturn; scripts/setup.sh --dev installs it as root)"
        )
    load_before = os.getloadavg()
    frames = media_hub.camera_frames()
    media = {"video": media_hub.pre_encode_video(frames), "audio": media_hub.pre_encode_audio()}
    results: list[tuple[str, int, dict]] = []
    with running_coturn() as coturn:
        before = process_cpu(coturn.process.pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle = (process_cpu(coturn.process.pid) - before) / IDLE_SECONDS
        for sessions in args.sessions:
            for path in args.paths:
                results.append((path, sessions, await measure(path, sessions, args.seconds, media, coturn)))

    print(f"coturn idle: {idle:.4f} core (not subtracted below)")
    print("server CPU per 1:1 session (both directions, audio + video), in cores; hub = app child process")
    print(
        f"{'path':<13} {'sessions':>8} {'hub':>7} {'coturn':>7} {'server':>7} {'vs direct':>10} "
        f"{'peers':>7} {'loop lag p50':>13} {'p99':>8} {'fps/stream':>11}"
    )
    direct: dict[int, float] = {
        n: r["hub"] + r["turn"] for p, n, r in results if p == "direct" and not media_hub.is_starved(r)
    }
    for path, sessions, report in results:
        server = report["hub"] + report["turn"]
        ratio = f"{server / direct[sessions]:>10.2f}" if sessions in direct else f"{'-':>10}"
        print(
            f"{path:<13} {sessions:>8} {report['hub']:>7.3f} {report['turn']:>7.3f} {server:>7.3f} {ratio} "
            f"{report['peers']:>7.3f} {report['lag_p50_ms']:>10.2f} ms {report['lag_p99_ms']:>5.2f} ms "
            f"{report['received_fps_per_stream']:>11.1f}"
            + ("  starved" if media_hub.is_starved(report) else "")
        )
    for path in args.paths:
        valid = [r for p, _, r in results if p == path and not media_hub.is_starved(r)]
        if valid:
            hub = statistics.mean(r["hub"] for r in valid)
            turn = statistics.mean(r["turn"] for r in valid)
            print(f"mean {path}: hub {hub:.3f} + coturn {turn:.3f} = {hub + turn:.3f} core per session")
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if max(args.sessions) > media_hub.BENCH_TELLERS:
        parser.error(f"at most {media_hub.BENCH_TELLERS} sessions")
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
