"""The customer's rating after the call, over real sockets against the real app: after a hang-up
and after a lost connection (from a new socket), stored once against the session and counted in
/metrics; a wrong token, a second rating or a rating of a live call is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.support.media_party import Party
from video_bank.config import Settings


async def served(party: PartyFactory, name: str) -> tuple[Party, Party, dict[str, Any]]:
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available", auto_accept=True)
    customer = await party("customer")
    await customer.send(type="join_queue", display_name=name, business="info_update")
    started = await customer.until("session_started")
    await teller.until("session_started")
    return customer, teller, started


def feedback_rows(settings: Settings) -> list[tuple[str, int, str | None]]:
    with closing(sqlite3.connect(settings.sqlite_path)) as db:
        return db.execute(
            "SELECT session_id, rating, comment FROM service_feedback ORDER BY session_id"
        ).fetchall()


async def rate(customer: Party, started: dict[str, Any], rating: int, comment: str | None = None) -> None:
    await customer.send(
        type="feedback",
        session_id=started["session_id"],
        feedback_token=started["feedback_token"],
        rating=rating,
        comment=comment,
    )


async def test_a_customer_rates_the_call_after_the_teller_hangs_up(
    client: TestClient, party: PartyFactory, settings: Settings
) -> None:
    customer, teller, started = await served(party, "Ann")
    await rate(customer, started, 5)
    refused = await customer.until("error")  # the call is still on
    assert (refused["code"], refused["ref_type"]) == ("not_allowed", "feedback")

    await teller.send(type="hangup", session_id=started["session_id"])
    await customer.until("session_ended")
    await rate(customer, started, 5, "Patient and clear.")
    assert (await customer.until("feedback_recorded"))["session_id"] == started["session_id"]
    assert feedback_rows(settings) == [(started["session_id"], 5, "Patient and clear.")]

    await rate(customer, started, 1)  # once only
    assert (await customer.until("error"))["code"] == "invalid_feedback"
    assert feedback_rows(settings)[0][1] == 5
    metrics = await (await client.get("/metrics")).text()
    assert 'video_bank_service_ratings_total{score="5"} 1.0' in metrics
    assert "video_bank_satisfaction 1.0" in metrics
    assert "Patient and clear" not in metrics


async def test_a_customer_whose_connection_was_lost_rates_from_a_new_socket(
    client: TestClient, party: PartyFactory, settings: Settings
) -> None:
    customer, teller, started = await served(party, "Bo")
    await customer.ws.close()  # the phone's connection dies: the call ends as customer_lost
    ended = await teller.until("session_ended")
    assert ended["reason"] == "customer_lost"

    intruder = await party("customer")
    await intruder.send(
        type="feedback", session_id=started["session_id"], feedback_token="x" * 32, rating=1, comment=None
    )
    assert (await intruder.until("error"))["code"] == "invalid_feedback"

    again = await party("customer")
    await rate(again, started, 2)
    await again.until("feedback_recorded")
    assert feedback_rows(settings) == [(started["session_id"], 2, None)]
    metrics = await (await client.get("/metrics")).text()
    assert 'video_bank_service_ratings_total{score="2"} 1.0' in metrics
    assert "video_bank_satisfaction 0.0" in metrics


async def test_feedback_fields_are_checked_before_anything_is_stored(
    client: TestClient, party: PartyFactory, settings: Settings
) -> None:
    customer, teller, started = await served(party, "Cy")
    await teller.send(type="hangup", session_id=started["session_id"])
    await customer.until("session_ended")
    for bad in ({"rating": 6}, {"rating": 0}, {"comment": "x" * 501}, {"feedback_token": "short"}):
        message = {
            "type": "feedback",
            "session_id": started["session_id"],
            "feedback_token": started["feedback_token"],
            "rating": 4,
            **bad,
        }
        await customer.send(**message)
        refused = await customer.until("error")
        assert (refused["code"], refused["ref_type"]) == ("invalid_message", "feedback"), bad
        assert "x" * 50 not in refused["message"]
    assert feedback_rows(settings) == []
    await rate(customer, started, 4)
    await customer.until("feedback_recorded")
