"""The supervisor's review pass rate comes from real card reviews: the flow's logged outcome reaches
the service figures of the snapshot through the signaling service."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.integration.test_flows_e2e import finish, vault_of, verified_flow
from tests.support.flows import flow_input, flow_until
from video_bank import appkeys
from video_bank.core_banking import demo
from video_bank.core_banking.store import CoreBankingStore


@pytest.fixture
async def bank(client: TestClient) -> None:
    store = await CoreBankingStore.open(client.app[appkeys.STORAGE])
    await demo.seed_demo_customers(store, vault_of(client), time.time())


async def test_a_decided_card_review_counts_in_the_supervisors_pass_rate(
    client: TestClient, party: PartyFactory, bank: None
) -> None:
    supervisor = await party("supervisor", "super1")
    first = await supervisor.until("supervisor_snapshot")
    assert first["service"]["today"]["review_pass_rate"] is None
    field, teller = await verified_flow(client, party, "card_review", field=True)
    await flow_until(teller, "flow_message", "review_card")
    await flow_input(
        teller, "card_reviewed", card_id=demo.FIELD_CARD.id, approve=False, reason="documents_incomplete"
    )
    told = await flow_until(field, "flow_message", "card_rejected")
    assert told["data"] == {"card": "****" + demo.FIELD_CARD.number[-4:], "reason": "documents_incomplete"}
    await finish(field, teller, "card_rejected", code="referred_to_branch")

    for _ in range(5):  # snapshots come every 2 s; the next one after the decision carries it
        service = (await supervisor.until("supervisor_snapshot", timeout=10))["service"]
        if service["today"]["reviews_rejected"]:
            break
    else:
        raise AssertionError(f"no snapshot counted the review: {service['today']}")
    for period in ("today", "last_15_minutes"):
        figures = service[period]
        assert (figures["reviews_approved"], figures["reviews_rejected"]) == (0, 1)
        assert figures["review_pass_rate"] == 0.0
    assert [i["standard"]["answered"] for i in service["intervals"]][-1] >= 1
