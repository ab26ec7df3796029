"""A verification cut by a lost connection: broken off as ``interrupted``, not counted towards the
lockout, never continued; once the customer is back the flow still needs a new, complete check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.integration.test_flows_e2e import bank, cast  # noqa: F401 - fixtures
from tests.integration.test_flows_ws import consent_and_identify, open_flow
from tests.integration.test_verification_desk import TELLER_SENDER, Face, enroll
from tests.support.flows import drain, state_at
from tests.support.media_party import wait_until
from tests.support.records import sealed_timeline
from verification.lockout import Lockout
from verification.synth.catalog import Cast
from verification.synth.performer import Performer
from video_bank.config import Settings
from video_bank.core_banking import demo


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As the real-verification tests (client, server and face rendering share one loop), with resume."""
    return Settings(
        data_dir=tmp_path / "data",
        heartbeat_seconds=10.0,
        service_hours="00:00-24:00",
        resume_grace_seconds=60,
    )


async def test_a_verification_cut_by_a_drop_is_interrupted_not_counted_and_the_flow_needs_a_new_check(
    client: TestClient,
    party: PartyFactory,
    bank: Path,  # noqa: F811
    settings: Settings,
    cast: Cast,  # noqa: F811
    auditor_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted: list[str] = []
    record_failure = Lockout.record_failure

    def spy(self: Lockout, customer_id: str) -> object:
        counted.append(customer_id)
        return record_failure(self, customer_id)

    monkeypatch.setattr(Lockout, "record_failure", spy)
    await asyncio.to_thread(enroll, settings, demo.PENSIONER.id, "biden.jpg")
    customer, teller = await open_flow(party, "activation")
    session_id = customer.session_id
    await consent_and_identify(customer, teller, "activation")
    face = Face(Performer(cast.rig("biden"), seed=11))
    await customer.connect_media(0, 440.0, camera=face.track)
    await teller.connect_media(TELLER_SENDER, 880.0)
    await wait_until(lambda: len(teller.received.video) >= 15, timeout=60, what="the customer's video")
    await teller.send(type="verification_start", session_id=session_id)
    started = await teller.until("verification_started", timeout=60)

    await customer.close()  # the phone loses its connection in the middle of the check
    assert (await teller.until("leg_state"))["state"] == "lost"
    result = await teller.until("verification_result", timeout=60)
    assert (result["attempt"], result["outcome"]) == (started["attempt"], "interrupted")
    assert counted == []  # not a failure: the lockout does not hear of it

    assert customer.started is not None
    back = await party("customer")
    await back.send(type="resume", resume_token=customer.started["resume_token"])
    assert (await back.until("session_resumed"))["session_id"] == session_id
    back.session_id = session_id
    # The customer's page starts afresh and is shown the flow where it stands: still the check.
    assert (await state_at(back, "verification"))["status"] == "in_progress"
    # The interrupted attempt gave the flow nothing: the teller's checklist never moved past the check.
    assert {m.get("step") for m in drain(teller) if m["type"] == "flow_state"} <= {"verification"}

    # A new, complete attempt may start (a fresh nonce); it is never the old one continued.
    await back.connect_media(0, 440.0, camera=Face(Performer(cast.rig("biden"), seed=12)).track)
    await wait_until(lambda: teller.received.video_event.is_set(), timeout=60, what="video again")
    await teller.send(type="verification_start", session_id=session_id)
    again = await teller.until("verification_started", timeout=60)
    assert again["attempt"] != started["attempt"]
    await teller.send(type="hangup", session_id=session_id)
    await back.until("session_ended", timeout=60)
    await back.close()
    await teller.close()
    assert session_id is not None
    timeline = await sealed_timeline(client.server.app, session_id, auditor_key)  # type: ignore[arg-type]
    kinds = [e.kind for e in timeline]
    assert kinds.index("leg_lost") < kinds.index("verification_interrupted") < kinds.index("leg_resumed")
    decided = [
        e.data
        for e in timeline
        if e.kind == "verification_decided" and e.data.get("attempt") == started["attempt"]
    ]
    assert [d.get("outcome") for d in decided] == ["interrupted"]
