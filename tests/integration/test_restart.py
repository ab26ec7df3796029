"""What a customer was promised survives the server being killed (issue 11, item 7).

A real ``serve`` process books two call-backs, is killed with SIGKILL and started again on the same
data dir: one reservation is cancelled with the token its customer kept, the other is offered to the
next teller as a call-back, and its customer follows the one-time link into the teller's session. The
database never holds the cancel token, and holds the link only while it is live.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.support.media_party import Party
from tests.support.server_process import ROOT, Serve, run_cli, serve_fixture

PASSWORD = "restart-test-password"
WAIT_SECONDS = 30.0


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async for start in serve_fixture():
        yield start


def routing_file(tmp_path: Path) -> Path:
    """The shipped policy, but call-backs are offered to anyone who waits."""
    text = (ROOT / "signaling" / "routing.toml").read_text()
    path = tmp_path / "routing.toml"
    path.write_text(re.sub(r"callback_offer_seconds = \d+", "callback_offer_seconds = 0", text))
    return path


async def party(http: aiohttp.ClientSession, url: str, **hello: str) -> Party:
    p = Party(await http.ws_connect(url), hello.get("username", hello.get("role", "?")))
    await p.send(type="hello", protocol=1, **hello)
    await p.until("welcome", WAIT_SECONDS)
    return p


async def outbox_text(data: Path, reference: str) -> str:
    """The text queued for a reservation, once the server (another process) has written it."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            with closing(sqlite3.connect(data / "video_bank.sqlite3")) as db:
                rows = db.execute("SELECT body FROM outbox WHERE reference=?", (reference,)).fetchall()
            if rows:
                return str(rows[0][0])
            await asyncio.sleep(0.05)


def database_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data.glob("video_bank.sqlite3*"))


async def test_booked_call_backs_survive_a_kill_and_are_offered_cancelled_and_answered(
    serve: Serve, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert (
        await asyncio.to_thread(run_cli, "seed-demo", "--password", PASSWORD, "--data-dir", str(data))
    ).returncode == 0
    env = {"VIDEO_BANK_ROUTING_FILE": str(routing_file(tmp_path))}
    server = await serve("--port", "0", "--data-dir", str(data), env=env)
    booked: dict[str, dict[str, object]] = {}
    async with aiohttp.ClientSession() as http:
        for name in ("first", "second", "third"):
            customer = await party(http, server.ws_url, role="customer")
            await customer.send(type="join_queue", display_name=name, business="activation")
            await customer.until("queue_update", WAIT_SECONDS)
            if name == "first":
                continue  # keeps the head of the line, so the others are offered call-backs
            await customer.until("callback_offer", WAIT_SECONDS)
            await customer.send(type="callback_request", phone="+8613800000001")
            booked[name] = await customer.until("callback_booked", WAIT_SECONDS)
        assert await server.stop(signal.SIGKILL) == -signal.SIGKILL

    server = await serve("--port", "0", "--data-dir", str(data), env=env)
    async with aiohttp.ClientSession() as http:
        phone = await party(http, server.ws_url, role="customer")
        third = booked["third"]
        await phone.send(
            type="callback_cancel", reservation_id=third["reservation_id"], cancel_token=third["cancel_token"]
        )
        cancelled = await phone.until("callback_cancelled", WAIT_SECONDS)
        assert cancelled["reservation_id"] == third["reservation_id"]

        teller = await party(http, server.ws_url, role="teller", username="teller1", password=PASSWORD)
        await teller.send(type="set_state", state="available")
        offer = await teller.until("task_offer", WAIT_SECONDS)
        second = booked["second"]
        assert (offer["task_id"], offer["kind"]) == (second["reservation_id"], "callback")
        await teller.send(type="offer_accept", task_id=offer["task_id"])
        started = await teller.until("session_started", WAIT_SECONDS)

        body = await outbox_text(data, str(second["reservation_id"]))
        link = re.search(r"https?://\S+", body)
        assert link is not None
        token = parse_qs(urlsplit(link.group(0)).query)["callback"][0]
        back = Party(await http.ws_connect(server.ws_url), "back")
        await back.send(type="hello", protocol=1, role="customer", callback_token=token)
        joined = await back.until("session_started", WAIT_SECONDS)
        assert joined["session_id"] == started["session_id"]
        await teller.until("callback_answered", WAIT_SECONDS)

        stored = database_bytes(data)
        for name in ("second", "third"):
            assert str(booked[name]["cancel_token"]).encode() not in stored, "a cancel token is stored"
        assert token.encode() not in stored, "the spent one-time link is still in the database files"
        await server.stop()
