"""Sockets the server closes are closed with the WebSocket closing handshake (RFC 6455 § 7.1.1).

Before the fix, a close decided while the socket's handler waited for a frame (most closes: 4008,
4029, 4001, 4009, 1001) cut the TCP connection right after sending the close frame. A client still
sending (a flooder, or a page that had a message in flight) then met a TCP reset, and now and then
its own stack dropped the close frame and reported 1006 (abnormal) instead of the code we sent.
Now the server reads and drops what the client still sends until the client's close frame arrives.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from signaling import service as service_module
from signaling.errors import CloseCode
from signaling.switchboard import MAX_ERRORS_PER_SOCKET
from tests.support.waiting import eventually
from video_bank import appkeys

CLIENT_CLOSE_CODE = 4321
"""A code only this client sends: the server's socket shows it only if it read the client's close frame."""


async def test_the_server_waits_for_the_clients_close_frame_after_closing_a_flooder(
    client: TestClient,
) -> None:
    service = client.app[appkeys.SIGNALING]
    ws = await client.ws_connect("/ws", autoclose=False)
    await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
    assert (await ws.receive_json())["type"] == "welcome"
    [conn] = list(service._conns.values())
    server_ws = conn.ws
    for _ in range(MAX_ERRORS_PER_SOCKET):
        await ws.send_bytes(b"not json")
    while (frame := await ws.receive()).type is not WSMsgType.CLOSE:
        assert frame.type is WSMsgType.TEXT and frame.json()["code"] == "bad_json"
    assert frame.data == CloseCode.ABUSE
    # Frames the client sent before it read the close frame are read and dropped, not answered.
    await ws.send_bytes(b"still flooding")
    await ws.send_str('{"type":"leave_queue"}')
    await ws.close(code=CLIENT_CLOSE_CODE)
    await eventually(lambda: server_ws.closed and server_ws.close_code == CLIENT_CLOSE_CODE)
    # The switchboard forgot the socket as soon as the close was decided.
    assert service.open_connections == 0


async def test_a_flooder_closed_while_it_still_sends_reads_the_servers_close_code(
    client: TestClient,
) -> None:
    for _ in range(20):
        ws = await client.ws_connect("/ws")
        await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
        assert (await ws.receive_json())["type"] == "welcome"
        try:
            for n in range(4 * MAX_ERRORS_PER_SOCKET):
                await (ws.send_bytes(b"not json") if n % 2 else ws.send_str('{"type":"nope"}'))
        except aiohttp.ClientConnectionResetError:
            pass  # the close arrived while sending: the reader below still finds its code
        async for _frame in ws:
            pass
        assert ws.close_code == CloseCode.ABUSE


async def test_a_reader_too_slow_for_its_outbox_is_closed_with_4009_by_handshake(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "OUTBOX_LIMIT", 3)
    service = client.app[appkeys.SIGNALING]
    ws = await client.ws_connect("/ws", autoclose=False)
    [conn] = list(service._conns.values())
    stuck = asyncio.Event()  # never set: the server's writes to this socket never finish

    async def send_str(data: str, compress: int | None = None) -> None:
        await stuck.wait()

    monkeypatch.setattr(conn.ws, "send_str", send_str)
    for _ in range(5):  # each is answered with an error: one being written, three queued, one too many
        await ws.send_bytes(b"not json")
    frame = await ws.receive()
    assert (frame.type, frame.data) == (WSMsgType.CLOSE, CloseCode.TOO_SLOW)
    await ws.close(code=CLIENT_CLOSE_CODE)
    await eventually(lambda: conn.ws.closed and conn.ws.close_code == CLIENT_CLOSE_CODE)
    assert service.open_connections == 0
