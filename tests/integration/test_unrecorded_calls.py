"""A session that cannot be recorded does no business (issue 11, item 10).

Without a registered auditor key no record can be opened. By default (``unrecorded_calls=refuse``)
such a call is ended at once with reason ``not_recorded``; with ``restrict`` the parties may talk and
the customer may answer the consent, but the policy gate refuses every step after it, and the teller
is told why when the call starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import DEMO_PASSWORD
from tests.support.flows import flow_input, flow_until, refused, state_at
from tests.support.media_party import Party
from video_bank import appkeys
from video_bank.accounts import seed_demo_accounts
from video_bank.app import create_app
from video_bank.config import Settings
from video_bank.storage import SqliteStorage


async def keyless_app(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]], policy: str
) -> TestClient:
    """The real app with demo accounts but no auditor key (nothing can be recorded)."""
    storage = await SqliteStorage.open(settings.sqlite_path)
    await seed_demo_accounts(storage, DEMO_PASSWORD)
    await storage.close()
    return await aiohttp_client(create_app(dataclasses.replace(settings, unrecorded_calls=policy)))


async def pair(client: TestClient) -> tuple[Party, Party, str]:
    teller = Party(await client.ws_connect("/ws"), "teller")
    await teller.send(type="hello", protocol=1, role="teller", username="teller1", password=DEMO_PASSWORD)
    await teller.until("welcome")
    await teller.send(type="set_state", state="available", auto_accept=True)
    customer = Party(await client.ws_connect("/ws"), "customer")
    await customer.send(type="hello", protocol=1, role="customer")
    await customer.until("welcome")
    await customer.send(type="join_queue", display_name="Ann", business="info_update")
    session_id = (await customer.until("session_started"))["session_id"]
    customer.session_id = teller.session_id = session_id
    return customer, teller, session_id


async def test_by_default_a_call_that_cannot_be_recorded_is_ended_at_once(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> None:
    client = await keyless_app(settings, aiohttp_client, "refuse")
    customer, teller, session_id = await pair(client)
    assert (await customer.until("session_ended"))["reason"] == "not_recorded"
    assert (await teller.until("session_ended"))["reason"] == "not_recorded"
    kinds = [e.kind for e in await client.app[appkeys.STORAGE].events(session_id)]
    assert "recording_failed" in kinds
    row = await client.app[appkeys.STORAGE].get_session(session_id)
    assert row is not None and row.outcome == "not_recorded"


@pytest.mark.parametrize("kind", ["identify"])
async def test_with_restrict_the_parties_talk_but_no_business_step_runs(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]], kind: str
) -> None:
    client = await keyless_app(settings, aiohttp_client, "restrict")
    customer, teller, _ = await pair(client)
    told = await flow_until(teller, "flow_message", "not_recorded")
    assert "not being recorded" in told["text"]
    await flow_input(customer, "consent", recording=True, biometric=True)
    await state_at(customer, "identification")  # the consent was taken
    await flow_input(customer, kind, resident_id="11010519491231002X")
    await refused(customer, "not_recorded")
