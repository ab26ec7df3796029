"""Every session that starts ends with a sealed record, whatever the race (issue 11, item 3).

A customer who hangs up (or whose socket dies) in the instant a teller's action pairs them used to leave
the record ``writing`` until the next start: the session was closed while its record was still being
opened, so the seal found nothing to seal. Here the record's opening is held until the hang-up has been
handled, which makes that instant as long as the test needs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.support.waiting import eventually
from video_bank import appkeys
from video_bank.records.store import RecordState


@pytest.mark.parametrize("ending", ["hangup", "socket_closed"])
async def test_a_session_ended_while_its_record_opens_is_still_sealed(
    client: TestClient, party: PartyFactory, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    recorder = client.app[appkeys.RECORDER]
    opening = recorder.open
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def held_open(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await gate.wait()
        return await opening(*args, **kwargs)

    monkeypatch.setattr(recorder, "open", held_open)
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available")
    customer = await party("customer")
    await customer.send(type="join_queue", display_name="Ann", business="activation")
    offer = await teller.until("task_offer")
    # The teller's accept pairs them: the session opens in the teller's handler, while the customer's
    # handler is free to take the hang-up.
    await teller.send(type="offer_accept", task_id=offer["task_id"])
    session_id = (await customer.until("session_started"))["session_id"]
    await entered.wait()
    if ending == "hangup":
        await customer.send(type="hangup", session_id=session_id)
        assert (await teller.until("session_ended"))["reason"] == "customer_hangup"
    else:
        await customer.ws.close()
        assert (await teller.until("session_ended"))["reason"] == "customer_lost"
    gate.set()
    store = recorder.store
    await eventually(
        lambda: session_id in store.record_ids() and store.state(session_id) is RecordState.SEALED
    )
    row = await client.app[appkeys.STORAGE].get_session(session_id)
    assert row is not None and row.ended_at is not None
