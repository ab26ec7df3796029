"""Signaling over real WebSockets against the real app: pairing, bad input, dead sockets, shutdown."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from signaling.errors import CloseCode
from signaling.switchboard import MAX_ERRORS_PER_SOCKET
from tests.conftest import PartyFactory
from tests.support.media_party import Party
from video_bank import appkeys


async def call(party: PartyFactory, name: str = "Ann") -> tuple[Party, Party]:
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available", auto_accept=True)
    assert (await teller.expect("teller_state"))["state"] == "available"
    customer = await party("customer")
    await customer.send(type="join_queue", display_name=name, business="activation")
    customer.session_id = (await customer.expect("session_started"))["session_id"]
    assert (await teller.expect("teller_state"))["state"] == "in-call"
    started = await teller.expect("session_started")
    assert started["peer"] == {"role": "customer", "display_name": name, "elderly": False}
    teller.session_id = started["session_id"]
    return customer, teller


async def test_customer_and_teller_pair_and_hang_up_over_websockets(
    client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await call(party)
    await customer.send(type="hangup", session_id=customer.session_id)
    assert (await customer.expect("session_ended"))["reason"] == "customer_hangup"
    assert (await teller.expect("session_ended"))["reason"] == "customer_hangup"
    assert (await teller.expect("teller_state"))["state"] == "wrap-up"

    storage = client.app[appkeys.STORAGE]
    assert customer.session_id is not None
    row = await storage.get_session(customer.session_id)
    assert row is not None
    assert (row.business, row.customer_name, row.teller, row.outcome) == (
        "activation",
        "Ann",
        "teller1",
        "customer_hangup",
    )
    kinds = [e.kind for e in await storage.events(customer.session_id)]
    assert kinds[0] == "session_started" and kinds[-2:] == [
        "session_ended",
        "flow_finished",
    ]  # flow abandoned
    times = [e.at for e in await storage.events()]
    assert times == sorted(times)


async def test_wrong_password_is_refused_and_the_socket_may_retry(client: TestClient) -> None:
    ws = await client.ws_connect("/ws")
    await ws.send_json(
        {"type": "hello", "protocol": 1, "role": "teller", "username": "teller1", "password": "no"}
    )
    assert (await ws.receive_json())["code"] == "auth_failed"
    await ws.send_json(
        {"type": "hello", "protocol": 1, "role": "auditor", "username": "teller1", "password": "no"}
    )
    assert (await ws.receive_json())["code"] == "auth_failed"
    from tests.conftest import DEMO_PASSWORD

    await ws.send_json(
        {"type": "hello", "protocol": 1, "role": "teller", "username": "teller1", "password": DEMO_PASSWORD}
    )
    assert (await ws.receive_json())["type"] == "welcome"
    await ws.close()


async def test_bad_input_is_answered_and_never_reaches_another_session(party: PartyFactory) -> None:
    customer, teller = await call(party)
    noisy = await party("customer")
    for text in (
        "{not json",
        "[]",
        '{"type":"nope"}',
        '{"type":"join_queue","display_name":"","business":"x"}',
    ):
        await noisy.ws.send_str(text)
    await noisy.ws.send_bytes(b"\x00\x01")
    await noisy.send(type="hangup", session_id=customer.session_id)  # someone else's session
    codes = [(await noisy.expect("error"))["code"] for _ in range(6)]
    assert codes == ["bad_json", "bad_json", "unknown_type", "invalid_message", "bad_json", "not_allowed"]

    # The call is untouched: the next thing either side hears is its own hang-up.
    await teller.send(type="hangup", session_id=teller.session_id)
    assert (await customer.expect("session_ended"))["reason"] == "teller_hangup"
    assert (await teller.expect("session_ended"))["reason"] == "teller_hangup"


async def test_an_oversized_frame_closes_the_socket_with_1009(
    client: TestClient, party: PartyFactory
) -> None:
    customer = await party("customer")
    await customer.ws.send_str('{"type":"join_queue","display_name":"' + "x" * 200_000 + '"}')
    assert await customer.wait_closed() == CloseCode.MESSAGE_TOO_BIG


async def test_a_socket_that_keeps_sending_garbage_is_closed_with_4008(party: PartyFactory) -> None:
    noisy = await party("customer")
    for _ in range(MAX_ERRORS_PER_SOCKET):
        await noisy.ws.send_str("garbage")
    assert await noisy.wait_closed() == CloseCode.ABUSE


async def test_a_socket_must_say_hello_first(client: TestClient) -> None:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "join_queue", "display_name": "Ann", "business": "activation"})
    message = await ws.receive()
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == CloseCode.HELLO_REQUIRED


@pytest.mark.parametrize(("origin", "status"), [("http://evil.example", 403), (None, 101)])
async def test_foreign_origins_cannot_open_the_socket(
    client: TestClient, origin: str | None, status: int
) -> None:
    headers = {"Origin": origin} if origin else {}
    if status == 403:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await client.ws_connect("/ws", headers=headers)
        assert caught.value.status == 403
    else:
        ws = await client.ws_connect("/ws", headers=headers)
        await ws.close()


async def test_same_origin_browsers_may_open_the_socket(client: TestClient) -> None:
    origin = f"http://{client.host}:{client.port}"
    ws = await client.ws_connect("/ws", headers={"Origin": origin})
    await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
    assert (await ws.receive_json())["type"] == "welcome"
    await ws.close()


async def test_a_waiting_customer_whose_socket_dies_leaves_the_queue(
    client: TestClient, party: PartyFactory
) -> None:
    dead = await party("customer", autoping=False)  # never answers the server's heartbeat pings
    await dead.send(type="join_queue", display_name="Gone", business="activation")
    alive = await party("customer")
    await alive.send(type="join_queue", display_name="Here", business="activation")
    assert (await alive.expect("queue_update"))["position"] == 2
    assert (await alive.until("queue_update"))["position"] == 1  # moved up when the dead socket was dropped
    assert client.app[appkeys.SIGNALING].switchboard.waiting == 1


async def test_a_dead_teller_ends_the_call_for_the_customer_with_a_clear_reason(party: PartyFactory) -> None:
    teller = await party("teller", "teller1", autoping=False)
    await teller.send(type="set_state", state="available", auto_accept=True)
    customer = await party("customer")
    await customer.send(type="join_queue", display_name="Ann", business="activation")
    await customer.expect("session_started")
    assert (await customer.until("session_ended"))["reason"] == "teller_lost"


async def test_shutdown_tells_both_parties_and_closes_with_going_away(
    client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await call(party)
    await client.app.shutdown()
    assert (await customer.until("session_ended"))["reason"] == "server_shutdown"
    assert (await teller.until("session_ended"))["reason"] == "server_shutdown"
    assert await customer.wait_closed() == CloseCode.GOING_AWAY
    assert await teller.wait_closed() == CloseCode.GOING_AWAY


async def test_healthz_and_pages_are_served_with_a_strict_content_security_policy(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    redirect = await client.get("/teller", allow_redirects=False)
    assert (redirect.status, redirect.headers["Location"]) == (301, "/teller/")
    assert (await client.get("/no-such-page")).status == 404
    assert (await client.get("/shared/../../pyproject.toml")).status in (403, 404)
