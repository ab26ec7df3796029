"""HTTP hardening (issue 11, item 11): no versions in ``Server``, HSTS over TLS, the ``/ws`` origin
compared by scheme, host and port, a Host allow-list against DNS rebinding (421), and ``/metrics``
behind a bearer token when one is set."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from video_bank.app import create_app
from video_bank.config import Settings
from video_bank.http_security import host_name

TOKEN = "metrics-token-0123456789"


async def test_the_server_header_names_no_versions(client: TestClient) -> None:
    for path in ("/healthz", "/customer/", "/nowhere"):
        response = await client.get(path)
        assert response.headers["Server"] == "video_bank"
    assert "Strict-Transport-Security" not in (await client.get("/healthz")).headers  # plain HTTP


async def test_a_websocket_from_the_same_host_but_another_scheme_or_port_is_refused(
    client: TestClient,
) -> None:
    here = f"{client.server.scheme}://127.0.0.1:{client.server.port}"
    ws = await client.ws_connect("/ws", headers={"Origin": here})
    await ws.close()
    for origin in (
        f"https://127.0.0.1:{client.server.port}",
        f"http://127.0.0.1:{client.server.port + 1}",
        "http://evil.example",
        "null",
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers={"Origin": origin})
        assert refused.value.status == 403, origin


async def test_a_rebound_host_name_gets_421_on_a_loopback_server(client: TestClient) -> None:
    assert (await client.get("/healthz", headers={"Host": "evil.example"})).status == 421
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Host": f"evil.example:{client.server.port}"})
    assert refused.value.status == 421
    for host in (f"localhost:{client.server.port}", f"127.0.0.1:{client.server.port}"):
        assert (await client.get("/healthz", headers={"Host": host})).status == 200


async def test_an_allow_list_of_hosts_is_enforced(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> None:
    client = await aiohttp_client(create_app(dataclasses.replace(settings, allowed_hosts=("bank.example",))))
    assert (await client.get("/healthz", headers={"Host": "bank.example:8443"})).status == 200
    assert (await client.get("/healthz", headers={"Host": "127.0.0.1"})).status == 421


async def test_metrics_need_the_bearer_token_when_one_is_set(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> None:
    client = await aiohttp_client(create_app(dataclasses.replace(settings, metrics_token=TOKEN)))
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 401
    allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status == 200 and "video_bank" in await allowed.text()


def test_host_names_are_read_without_ports() -> None:
    assert host_name("Bank.Example:8443") == "bank.example"
    assert host_name("[::1]:8080") == "[::1]"
    assert host_name("127.0.0.1") == "127.0.0.1"
