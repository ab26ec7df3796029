"""Recording benchmark: server CPU per recorded 1:1 session against relay-only, and loop lag with 4 recorded.

    .venv/bin/python tests/bench/recording_cost.py [--seconds 10] [--repeat 2] [--sessions 1 4]

The real application runs in a child process and in-process aiortc peers drive sessions through it,
exactly as ``tests/bench/media_hub.py`` does (its helpers are reused): 640x480@30 VP8 (~1 Mbit/s)
and Opus both ways, pre-encoded, frames counted without decoding. Two child modes, alternated in
one run so that the machine's load affects both alike:

- ``relay``: the app as shipped but with no auditor key registered, so no record can be opened:
  the hub forwards, nothing is recorded (what the app costs without recording);
- ``record``: the same with an auditor key: every session is recorded (WebM muxing of the
  forwarded frames, AES-256-GCM, SHA-256 chain, Ed25519 journal, fsync per chunk, keyframe
  requests every 2 s) and sealed at the end.

Prints CPU per session in each mode, the ratio record/relay (goal: recording adds <= 10 %), the
event-loop lag p50/p99 (goal with 4 recorded sessions: p99 <= 10 ms), and what the record mode
wrote (records, chunks, bytes), so a run that recorded nothing is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import media_hub as hub_bench  # noqa: E402

MODES = ("relay", "record")
DATA_FILE_ENV = "VIDEO_BANK_BENCH_DATA_FILE"


def child_main(mode: str) -> None:
    """The app in ``forward`` mode; with ``record``, an auditor key is registered before it starts."""
    import video_bank.app
    from video_bank.records import Recorder
    from video_bank.records.keywrap import generate_auditor_key

    original = Recorder.local

    class BenchRecorder:
        @staticmethod
        def local(data_dir: Path) -> Recorder:
            recorder = original(data_dir)
            Path(os.environ[DATA_FILE_ENV]).write_text(str(data_dir))
            if mode == "record":
                recorder.keyring.add_auditor("bench", generate_auditor_key().public_key())
            return recorder

    video_bank.app.Recorder = BenchRecorder  # type: ignore[misc, assignment]
    asyncio.run(hub_bench.child_main("forward"))


def written(data_dir: Path) -> dict[str, int]:
    """What the child wrote: sealed records, chunks, bytes."""
    records = data_dir / "records"
    sealed = [d for d in records.iterdir() if (d / "manifest.json").exists()] if records.is_dir() else []
    chunks = [c for d in sealed for c in (d / "chunks").iterdir()]
    return {"records": len(sealed), "chunks": len(chunks), "bytes": sum(c.stat().st_size for c in chunks)}


async def measure(mode: str, sessions: int, seconds: float, media: dict[str, list[bytes]], tmp: Path) -> dict:
    data_file = tmp / f"data-{mode}-{sessions}-{os.getpid()}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT), DATA_FILE_ENV: str(data_file)},
    )
    child = hub_bench.Child(process)
    assert process.stdout and process.stdin
    port = json.loads(await asyncio.wait_for(process.stdout.readline(), 120))["port"]
    await child.ask("reset")
    await asyncio.sleep(2.0)  # idle CPU baseline window
    idle = await child.ask("report")
    report = await hub_bench.run_sessions(port, child, sessions, seconds, media)
    process.stdin.close()
    await asyncio.wait_for(process.wait(), 60)
    report["core_per_session"] = (report["cpu"] / report["wall"] - idle["cpu"] / idle["wall"]) / sessions
    report["written"] = written(Path(data_file.read_text()))
    return report


async def parent_main(args: argparse.Namespace) -> None:
    import tempfile

    load_before = os.getloadavg()
    frames = hub_bench.camera_frames()
    media = {"video": hub_bench.pre_encode_video(frames), "audio": hub_bench.pre_encode_audio()}
    tmp = Path(tempfile.mkdtemp(prefix="vb-bench-rec-"))
    results: list[tuple[str, int, dict]] = []
    for sessions in args.sessions:
        for _ in range(args.repeat if sessions == 1 else 1):
            for mode in MODES:
                report = await measure(mode, sessions, args.seconds, media, tmp)
                results.append((mode, sessions, report))
                print(
                    f"{mode:<7} sessions {sessions}: {report['core_per_session']:.4f} core/session, "
                    f"loop lag p50 {report['lag_p50_ms']:.2f} p99 {report['lag_p99_ms']:.2f} "
                    f"max {report['lag_max_ms']:.1f} ms, {report['received_fps_per_stream']:.1f} fps/stream, "
                    f"wrote {report['written']}",
                    flush=True,
                )
    print()
    for sessions in args.sessions:
        by_mode = {
            m: [r for mode, s, r in results if mode == m and s == sessions and not hub_bench.is_starved(r)]
            for m in MODES
        }
        if not all(by_mode.values()):
            print(f"{sessions} session(s): a mode has no run that kept {hub_bench.MIN_FPS} fps; no ratio")
            continue
        relay = statistics.mean(r["core_per_session"] for r in by_mode["relay"])
        record = statistics.mean(r["core_per_session"] for r in by_mode["record"])
        p99 = max(r["lag_p99_ms"] for r in by_mode["record"])
        print(
            f"{sessions} session(s): relay {relay:.4f}, record {record:.4f} core per session; "
            f"record/relay = {record / relay:.3f} (recording adds {100 * (record / relay - 1):+.1f} %); "
            f"recorded loop lag p99 (worst run) {p99:.2f} ms"
        )
    load_after = os.getloadavg()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=2, help="relay/record pairs at one session")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
    else:
        asyncio.run(parent_main(args))


if __name__ == "__main__":
    main()
