"""The well-behaved call that runs beside fuzzing (tests/integration/test_hostile_input_fuzz.py and
tests/bench/fuzz_ws.py): the customer shares the screen, and each round the teller points and the
customer sends a batch of events, each relayed by the server to the other party only.
"""

from __future__ import annotations

from typing import Any, Protocol

SNAPSHOT: dict[str, Any] = {
    "seq": 0,
    "screen": "my_info",
    "viewport": {"width": 390, "height": 844},
    "nodes": [{"id": 2, "parent": 0, "tag": "input", "attrs": {"value": ""}}],
}
"""The first screen the customer shares (events name its node 2)."""


class Client(Protocol):
    """A signaling client as the tests and benchmarks have them."""

    async def send(self, **message: Any) -> None: ...

    async def until(self, message_type: str) -> dict[str, Any]: ...


async def share_screen(customer: Client, teller: Client, session_id: str) -> None:
    """In a call that has just started: the teller asks, the customer allows, and sends a first screen."""
    await teller.send(type="cobrowse_request", session_id=session_id)
    await customer.until("cobrowse_state")
    await teller.until("cobrowse_state")
    await customer.send(type="cobrowse_consent", session_id=session_id, scope="view", allow=True)
    await customer.until("cobrowse_state")
    await teller.until("cobrowse_state")
    await customer.send(type="cobrowse_snapshot", session_id=session_id, **SNAPSHOT)
    await teller.until("cobrowse_snapshot")


def round_messages(session_id: str, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Round ``n`` (from 1): the teller's pointer for the customer, the customer's events for the teller
    (their ``seq`` must increase, so each round is sent once)."""
    guide = {
        "type": "cobrowse_guide",
        "session_id": session_id,
        "action": "pointer",
        "x": n % 100 / 100,
        "y": 0.5,
    }
    events = [{"kind": "input", "id": 2, "value": f"step {n}"}]
    batch = {"type": "cobrowse_events", "session_id": session_id, "seq": n, "events": events}
    return guide, batch
