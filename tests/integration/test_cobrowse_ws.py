"""Co-browsing through the real app over real WebSockets: consent, relay to one teller, limits, stop.

Two calls run side by side; "nothing else arrived" is shown by order on the socket (the next message
a party gets is the one a later action causes), never by waiting.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.support.media_party import Party
from tests.support.records import sealed_timeline
from video_bank import appkeys

SNAPSHOT: dict[str, Any] = {
    "seq": 0,
    "screen": "my_info",
    "viewport": {"width": 390, "height": 844},
    "nodes": [
        {"id": 1, "parent": 0, "tag": "section", "attrs": {"data-testid": "app", "data-screen": "my_info"}},
        {"id": 2, "parent": 1, "tag": "input", "attrs": {"data-testid": "app-address", "value": ""}},
        {"id": 3, "parent": 1, "tag": "input", "attrs": {"type": "password", "value": "••••"}},
    ],
}


async def call(
    party: PartyFactory, teller_name: str, customer_name: str, business: str
) -> tuple[Party, Party]:
    """A teller goes available (auto-accept) and a customer for ``business`` is paired with them."""
    teller = await party("teller", teller_name)
    await teller.send(type="set_state", state="available", auto_accept=True)
    await teller.until("teller_state")
    customer = await party("customer")
    await customer.send(type="join_queue", display_name=customer_name, business=business)
    customer.session_id = (await customer.until("session_started"))["session_id"]
    teller.session_id = (await teller.until("session_started"))["session_id"]
    return customer, teller


async def test_the_customers_screen_reaches_only_their_teller_after_consent_and_never_after_stop(
    party: PartyFactory, client: TestClient, auditor_key: rsa.RSAPrivateKey
) -> None:
    customer, teller = await call(party, "teller1", "Wang Fang", "activation")
    other_customer, other_teller = await call(party, "teller2", "Li Na", "card_review")
    sid = customer.session_id

    # Before consent the customer's screen is refused.
    await customer.send(type="cobrowse_snapshot", session_id=sid, **SNAPSHOT)
    refused = await customer.until("error")
    assert (refused["code"], refused["ref_type"]) == ("not_allowed", "cobrowse_snapshot")

    await teller.send(type="cobrowse_request", session_id=sid)
    state = await customer.until("cobrowse_state")
    assert (state["state"], state["by"]) == ("requested", "teller")
    assert (await teller.until("cobrowse_state"))["state"] == "requested"
    await customer.send(type="cobrowse_consent", session_id=sid, scope="view", allow=True)
    assert (await teller.until("cobrowse_state"))["state"] == "sharing"

    await customer.send(type="cobrowse_snapshot", session_id=sid, **SNAPSHOT)
    relayed = await teller.until("cobrowse_snapshot")
    assert relayed == {"type": "cobrowse_snapshot", "session_id": sid, **SNAPSHOT}
    typed = [{"kind": "input", "id": 2, "value": "5 Guangming Lane"}]
    await customer.send(type="cobrowse_events", session_id=sid, seq=1, events=typed)
    assert (await teller.until("cobrowse_events"))["events"] == typed

    # The other call saw none of it: its teller's next co-browse message is its own request's state.
    await other_teller.send(type="cobrowse_request", session_id=other_teller.session_id)
    first = await other_teller.next()
    assert (first["type"], first["state"], first["session_id"]) == (
        "cobrowse_state",
        "requested",
        other_teller.session_id,
    )
    assert (await other_customer.until("cobrowse_state"))["session_id"] == other_teller.session_id

    # Oversize payloads and typing are refused with a clear error.
    big = {**SNAPSHOT, "seq": 2, "nodes": [{"id": n, "parent": 0, "text": "x" * 1900} for n in range(1, 56)]}
    await customer.send(type="cobrowse_snapshot", session_id=sid, **big)
    error = await customer.until("error")
    assert error["code"] == "invalid_message" and "the limit is 98304 bytes" in error["message"]
    await teller.send(type="cobrowse_control", session_id=sid, action="tap", node=2, value="1234")
    error = await teller.until("error")
    assert error["code"] == "invalid_message" and "unexpected field(s) value" in error["message"]

    # After the customer stops, late changes are dropped and never reach the teller.
    await customer.send(type="cobrowse_stop", session_id=sid)
    assert (await teller.until("cobrowse_state"))["state"] == "stopped"
    late = [{"kind": "input", "id": 2, "value": "after the stop"}]
    await customer.send(type="cobrowse_events", session_id=sid, seq=3, events=late)
    await customer.send(type="hangup", session_id=sid)
    assert (await teller.next())["type"] in {"session_ended", "teller_state"}

    storage = client.server.app[appkeys.STORAGE]
    events = await storage.events(sid)
    kinds = [e.kind for e in events]
    assert kinds.count("cobrowse_snapshot") == 1 and kinds.count("cobrowse_events") == 1
    snapshot_row = next(e for e in events if e.kind == "cobrowse_snapshot")
    assert snapshot_row.actor == "customer"
    # The plaintext log keeps the fact and the size; the screen's content is in the encrypted record only.
    assert snapshot_row.data["screen"] == "my_info" and snapshot_row.data["nodes"] == 3
    assert snapshot_row.data["bytes"] > 100
    plaintext = json.dumps([e.data for e in events])
    assert "app-address" not in plaintext and "5 Guangming Lane" not in plaintext
    assert "after the stop" not in plaintext
    recorded = await sealed_timeline(client.server.app, sid, auditor_key)
    in_record = {e.kind: dict(e.data) for e in recorded}
    assert in_record["cobrowse_snapshot"] == SNAPSHOT
    assert in_record["cobrowse_events"]["events"] == typed
    assert "after the stop" not in json.dumps([dict(e.data) for e in recorded])
    assert not [e for e in await storage.events(other_teller.session_id) if e.kind.startswith("cobrowse_s")]
