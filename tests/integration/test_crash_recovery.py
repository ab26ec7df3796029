"""A server killed with SIGKILL mid-call loses no more than the last two seconds of its session's timeline,
and recovery closes both the record and the session's database row (issue 11, item 4).

A real ``serve`` process records a call between two protocol clients. The test waits until the record
on disk holds a timeline chunk that covers the last event logged (the server writes pending events
every two seconds even when no further event arrives), kills the server with SIGKILL, runs
``records recover``, exports the record with the demo auditor key and compares its timeline with the
plaintext event log.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from tests.support.media_party import Party
from tests.support.server_process import Serve, run_cli, serve_fixture
from video_bank.records.encoding import to_us
from video_bank.records.keyring import KeyRing
from video_bank.records.model import ChunkType
from video_bank.records.store import LocalRecordStore, RecordState
from video_bank.records.verify import scan_unsealed

PASSWORD = "crash-test-password"
WAIT_SECONDS = 30.0


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async for start in serve_fixture():
        yield start


async def party(http: aiohttp.ClientSession, url: str, **hello: str) -> Party:
    """A client that reads its socket all the time (so heartbeats are answered), after hello."""
    p = Party(await http.ws_connect(url), hello.get("role", "?"))
    await p.send(type="hello", protocol=1, **hello)
    await p.until("welcome", WAIT_SECONDS)
    return p


def logged_events(data: Path, session_id: str) -> list[tuple[float, str]]:
    with closing(sqlite3.connect(data / "video_bank.sqlite3")) as db:
        rows = db.execute("SELECT at, kind FROM events WHERE session_id=? ORDER BY seq", (session_id,))
        return [(at, kind) for at, kind in rows]


async def logged(data: Path, session_id: str, kind: str) -> list[tuple[float, str]]:
    """The session's plaintext event log once it holds an event of ``kind``."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:  # another process's database: polled until the row is there
            events = logged_events(data, session_id)
            if any(k == kind for _, k in events):
                return events
            await asyncio.sleep(0.05)


async def timeline_covers(data: Path, session_id: str, at_us: int) -> None:
    """Wait until the unsealed record holds a timeline chunk reaching ``at_us`` (checked as it grows)."""
    store = LocalRecordStore(data / "records")
    trusted = KeyRing(data / "keys").trusted_signing_keys()
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                scan = scan_unsealed(store.source(session_id), trusted)
                if scan is not None and any(
                    e.chunk_type is ChunkType.TIMELINE and e.t1_us >= at_us for e in scan.entries
                ):
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"no timeline chunk reached the last event within {WAIT_SECONDS} s") from None


async def test_a_killed_server_keeps_the_timeline_and_recovery_closes_record_and_row(
    serve: Serve, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    seeded = await asyncio.to_thread(run_cli, "seed-demo", "--password", PASSWORD, "--data-dir", str(data))
    assert seeded.returncode == 0, seeded.stderr
    server = await serve("--port", "0", "--data-dir", str(data))
    async with aiohttp.ClientSession() as http:
        teller = await party(http, server.ws_url, role="teller", username="teller1", password=PASSWORD)
        await teller.send(type="set_state", state="available", auto_accept=True)
        customer = await party(http, server.ws_url, role="customer")
        await customer.send(type="join_queue", display_name="Ann", business="info_update")
        session_id = str((await customer.until("session_started", WAIT_SECONDS))["session_id"])
        await customer.send(
            type="flow_input",
            session_id=session_id,
            kind="consent",
            fields={"recording": True, "biometric": True},
        )
        # A second event right behind the first: no further event comes to push it into the record.
        await teller.send(type="cobrowse_request", session_id=session_id)
        await customer.until("cobrowse_state", WAIT_SECONDS)
        await logged(data, session_id, "flow_consent_recorded")  # the two parties' handlers run apart
        events = await logged(data, session_id, "cobrowse_requested")
        await timeline_covers(data, session_id, to_us(events[-1][0]))
        assert await server.stop(signal.SIGKILL) == -signal.SIGKILL

    store = LocalRecordStore(data / "records")
    assert store.state(session_id) is RecordState.UNSEALED
    recovered = await asyncio.to_thread(run_cli, "records", "recover", "--data-dir", str(data))
    assert recovered.returncode == 0, recovered.stderr
    assert f"record {session_id}: sealed" in recovered.stdout
    assert f"session {session_id}: closed as server_lost" in recovered.stdout
    assert store.state(session_id) is RecordState.SEALED

    out = tmp_path / "export"
    key = data / "keys" / "demo-auditor.pem"
    exported = await asyncio.to_thread(
        run_cli,
        "records",
        "export",
        session_id,
        "--key",
        str(key),
        "--out",
        str(out),
        "--data-dir",
        str(data),
    )
    assert exported.returncode == 0, exported.stderr
    timeline = json.loads((out / "timeline.json").read_text())["events"]
    in_record = {(e["at_us"], e["kind"]) for e in timeline}
    flushed = [(to_us(at), kind) for at, kind in events]
    missing = [e for e in flushed if e not in in_record]
    assert not missing, f"logged but not in the recovered record: {missing}"

    with closing(sqlite3.connect(data / "video_bank.sqlite3")) as db:
        ended_at, outcome = db.execute(
            "SELECT ended_at, outcome FROM sessions WHERE id=?", (session_id,)
        ).fetchone()
    assert outcome == "server_lost" and ended_at is not None
