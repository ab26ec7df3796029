"""Crash safety: a process recording a session is killed with SIGKILL; recovery seals what it wrote.

The child process records with the real :class:`Recorder` and prints a line each time a chunk is
durable. The test kills it (no clean-up of any kind can run) once enough chunks were reported, while
it is in the middle of writing more, then runs ``python -m video_bank records recover`` and checks
that the record is sealed, marked recovered, verifies, and decrypts to exactly the fragments written,
in order, including every chunk the child had reported as durable. Timeouts only bound a hung child.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from video_bank.records.keyring import KeyRing, load_private_key_file
from video_bank.records.reader import open_record
from video_bank.records.store import LocalRecordStore, RecordState
from video_bank.records.verify import verify_record

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0

CHILD = r"""
import asyncio, hashlib, sys, time
from pathlib import Path
from video_bank.records import Recorder, SessionInfo, TimelineEvent

def fragment(n):
    return hashlib.sha256(b"%d" % n).digest() * (1000 + n)

async def main(data_dir, mode):
    writer = await Recorder.local(Path(data_dir)).open(SessionInfo.of("crash-1", "activation", time.time()))
    n = 0
    while True:
        t = time.time()
        if mode == "queued":
            # Many appends in flight at once: the kill lands with work queued on the writer thread.
            futures = [
                writer.append_media("customer", fragment(n + k), t, t, content_type="video/webm")
                for k in range(8)
            ]
            for future in futures:
                entry = await future
                print(f"durable {entry.index} media {n}", flush=True)
                n += 1
        else:
            entry = await writer.append_media("customer", fragment(n), t, t, content_type="video/webm")
            print(f"durable {entry.index} media {n}", flush=True)
            n += 1
            if n % 3 == 0:
                entry = await writer.append_events([TimelineEvent.of(t, "tick", "server", {"n": n})])
                print(f"durable {entry.index} events {n}", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def fragment(n: int) -> bytes:
    return hashlib.sha256(b"%d" % n).digest() * (1000 + n)


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}


async def record_then_kill(data_dir: Path, mode: str, kill_after: int) -> list[str]:
    """Run the recording child until it reported ``kill_after`` durable chunks, then SIGKILL it."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(data_dir),
        mode,
        cwd=ROOT,
        env=env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    reported: list[str] = []
    try:
        async with asyncio.timeout(TIMEOUT):
            while len(reported) < kill_after:
                line = await child.stdout.readline()
                if not line:
                    pytest.fail("the recording child stopped:\n" + (await child.stderr.read()).decode())
                reported.append(line.decode().strip())
            child.send_signal(signal.SIGKILL)
            assert await child.wait() == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return reported


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    KeyRing(data / "keys").generate_auditor("audit1", tmp_path / "audit1.pem")
    return data


@pytest.mark.parametrize("mode", ["sequential", "queued"])
async def test_a_record_killed_mid_write_is_sealed_as_recovered_with_everything_reported_durable(
    mode: str, data_dir: Path, tmp_path: Path
) -> None:
    reported = await record_then_kill(data_dir, mode, kill_after=12)
    store = LocalRecordStore(data_dir / "records")
    assert store.state("crash-1") is RecordState.UNSEALED  # the kernel released the dead writer's lock

    recover = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "video_bank", "records", "recover", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert recover.returncode == 0, recover.stderr
    assert recover.stdout.startswith("record crash-1: sealed (")
    trusted = KeyRing(data_dir / "keys").trusted_signing_keys()
    manifest = verify_record(store.source("crash-1"), trusted).raise_for_problems()
    assert manifest.recovered and manifest.recovery_reason == "crash"
    durable = {int(line.split()[1]) for line in reported}
    assert durable <= {c.index for c in manifest.chunks}  # nothing reported durable was lost
    with open_record(
        store.source("crash-1"), trusted, load_private_key_file(tmp_path / "audit1.pem")
    ) as reader:
        media = [payload for _, payload in reader.media("customer")]
        events = reader.timeline()
    assert media == [fragment(n) for n in range(len(media))]  # in order, none altered, none missing
    assert [e.data["n"] for e in events] == [3 * (k + 1) for k in range(len(events))]


async def test_records_verify_and_export_work_on_a_recovered_record(data_dir: Path, tmp_path: Path) -> None:
    await record_then_kill(data_dir, "sequential", kill_after=5)
    run = [sys.executable, "-m", "video_bank", "records"]
    common = ["--data-dir", str(data_dir)]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*run, *args, *common], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=TIMEOUT
        )

    listed = await asyncio.to_thread(cli, "list", "--json")
    assert [(r["id"], r["state"]) for r in json.loads(listed.stdout)] == [("crash-1", "unsealed")]
    assert (await asyncio.to_thread(cli, "recover")).returncode == 0
    verified = await asyncio.to_thread(cli, "verify", "crash-1")
    assert verified.returncode == 0 and "sealed by recovery" in verified.stdout
    exported = await asyncio.to_thread(
        cli, "export", "crash-1", "--key", str(tmp_path / "audit1.pem"), "--out", str(tmp_path / "out")
    )
    assert exported.returncode == 0, exported.stderr
    data = (tmp_path / "out" / "customer.webm").read_bytes()
    fragments: list[bytes] = []
    while sum(map(len, fragments)) < len(data):
        fragments.append(fragment(len(fragments)))
    assert len(fragments) >= 4 and data == b"".join(fragments)
