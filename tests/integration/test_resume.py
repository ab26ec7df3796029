"""Resume against the real app: a party whose socket drops comes back on a new one within the grace
period and negotiates a fresh peer connection with the hub; the same session goes on, frames flow
again, and the record shows one gap. Without resume the call ends as before, and a customer whose
teller is lost goes back to the head of the line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.support.media_party import Party, read_bars, start_call, wait_until
from tests.support.records import sealed_timeline
from video_bank import appkeys
from video_bank.config import Settings
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing

CUSTOMER_ID, TELLER_ID = 5, 9
CUSTOMER_TONE, TELLER_TONE = 440.0, 1000.0
GRACE = 30.0
"""Long enough that a resume never races the deadline on a busy machine."""
SHORT_GRACE = 1.0
"""For the tests that wait for the grace period to run out."""


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings with a resume grace period (``@pytest.mark.settings(resume_grace_seconds=…)``)."""
    marker = request.node.get_closest_marker("settings")
    extra = dict(marker.kwargs) if marker else {}
    return dataclasses.replace(settings, **{"resume_grace_seconds": GRACE, **extra})


async def media_both_ways(customer: Party, teller: Party) -> None:
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)
    await teller.connect_media(TELLER_ID, TELLER_TONE)
    assert (await customer.until("media_state", timeout=20))["state"] == "connected"
    assert (await teller.until("media_state", timeout=20))["state"] == "connected"


def newest_stream(frames: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The frames since the sender last started counting from 0 (a new peer connection's track)."""
    starts = [i for i in range(1, len(frames)) if frames[i][0] < frames[i - 1][0]]
    return frames[starts[-1] :] if starts else frames


async def moving(receiver: Party, sender: int, after: int, frames: int = 30) -> None:
    """After the first ``after`` frames, ``receiver`` gets ``frames`` from ``sender``, in order, moving."""
    await wait_until(
        lambda: len(newest_stream(receiver.received.video[after:])) >= frames,
        timeout=30,
        what=f"video at {receiver.name}",
    )
    fresh = newest_stream(receiver.received.video[after:])
    assert {s for _, s in fresh} == {sender}, "only the other party's frames"
    counters = [c for c, _ in fresh]
    assert counters == sorted(counters), "in order"
    assert counters[-1] - counters[0] >= frames - 10, "the picture moves"


async def resume(party: PartyFactory, role: str, token: str, username: str | None = None) -> Party:
    """A new socket: ``hello``, then ``resume`` with ``token``."""
    back = await party(role, username)
    await back.send(type="resume", resume_token=token)
    return back


async def test_a_customer_who_drops_and_resumes_is_back_in_the_same_session_with_frames_and_one_gap(
    client: TestClient, party: PartyFactory, auditor_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    customer, teller = await start_call(party)
    assert customer.started is not None
    session_id = customer.session_id
    await media_both_ways(customer, teller)
    await moving(teller, CUSTOMER_ID, 0)

    await customer.close()  # the phone's connection is gone: socket and peer connection
    lost = await teller.until("leg_state")
    assert (lost["leg"], lost["state"], lost["grace_seconds"]) == ("customer", "lost", GRACE)
    before = len(teller.received.video)

    back = await resume(party, "customer", customer.started["resume_token"])
    resumed = await back.until("session_resumed")
    assert resumed["session_id"] == session_id
    assert resumed["resume_token"] != customer.started["resume_token"]
    assert resumed["peer_present"] is True
    back.session_id, back.started = session_id, resumed
    assert (await teller.until("leg_state"))["state"] == "resumed"

    await back.connect_media(CUSTOMER_ID, CUSTOMER_TONE)  # a new peer connection with the hub
    assert (await back.until("media_state", timeout=20))["state"] == "connected"
    assert (await teller.until("media_state", timeout=20))["state"] == "connected"
    await moving(teller, CUSTOMER_ID, before)  # the teller sees the customer again…
    await moving(back, TELLER_ID, 0)  # …and the customer the teller
    hub = client.app[appkeys.HUB]
    assert hub.peer_connections() == 2  # the old peer connection was replaced, not kept

    await teller.send(type="hangup", session_id=session_id)
    assert (await back.until("session_ended"))["reason"] == "teller_hangup"
    await back.close()
    await teller.close()

    timeline = await sealed_timeline(client.server.app, session_id, auditor_key)  # type: ignore[arg-type]
    # The same record goes on after the gap: the customer's video from both peer connections is in it.
    settings = client.server.app[appkeys.SETTINGS]
    ring = KeyRing(settings.data_dir / "keys")
    exported = export_record(
        client.server.app[appkeys.RECORDER].store,
        session_id,
        ring.trusted_signing_keys(),
        auditor_key,
        tmp_path,
    )
    media = next(p for p in exported.files if p.name.startswith("customer") and p.suffix == ".webm")
    with av.open(str(media)) as container:
        recorded = [read_bars(frame) for frame in container.decode(video=0)]
    assert {sender for _, sender in recorded} == {CUSTOMER_ID}
    restarts = [i for i in range(1, len(recorded)) if recorded[i][0] < recorded[i - 1][0]]
    assert len(restarts) == 1, "one gap: the first peer connection's frames, then the new one's"
    assert len(recorded) - restarts[0] >= 30, "the new peer connection's video is recorded"
    gaps = [(e.kind, dict(e.data)) for e in timeline if e.kind in ("leg_lost", "leg_resumed")]
    assert [kind for kind, _ in gaps] == ["leg_lost", "leg_resumed"]
    assert gaps[0][1] == {"leg": "customer", "grace_seconds": GRACE}
    assert gaps[1][1]["leg"] == "customer" and gaps[1][1]["away_seconds"] > 0
    lost_at, resumed_at = (e.at_us for e in timeline if e.kind in ("leg_lost", "leg_resumed"))
    assert lost_at < resumed_at
    assert [e.data["reason"] for e in timeline if e.kind == "session_ended"] == ["teller_hangup"]


@pytest.mark.settings(resume_grace_seconds=SHORT_GRACE)
async def test_a_customer_not_back_in_time_ends_the_call_as_lost_and_the_record_is_sealed(
    client: TestClient, party: PartyFactory, auditor_key: rsa.RSAPrivateKey
) -> None:
    customer, teller = await start_call(party)
    assert customer.started is not None
    session_id = customer.session_id
    await customer.close()
    assert (await teller.until("leg_state"))["state"] == "lost"
    assert (await teller.until("session_ended"))["reason"] == "customer_lost"

    back = await resume(party, "customer", customer.started["resume_token"])
    error = await back.until("error")
    assert (error["code"], error["ref_type"], error["params"]) == (
        "resume_refused",
        "resume",
        {"reason": "ended"},
    )
    await back.close()
    await teller.close()
    timeline = await sealed_timeline(client.server.app, session_id, auditor_key)  # type: ignore[arg-type]
    kinds = [e.kind for e in timeline]
    assert "leg_lost" in kinds and "leg_resumed" not in kinds
    assert [e.data["reason"] for e in timeline if e.kind == "session_ended"] == ["customer_lost"]


@pytest.mark.settings(resume_grace_seconds=SHORT_GRACE)
async def test_a_customer_whose_teller_is_lost_goes_back_to_the_head_of_the_line(
    client: TestClient, party: PartyFactory, auditor_key: rsa.RSAPrivateKey
) -> None:
    customer, teller = await start_call(party)
    session_id = customer.session_id
    later = await party("customer")
    await later.send(type="join_queue", display_name="Li Lei", business="activation")
    assert (await later.until("queue_update"))["position"] == 1

    await teller.close()
    assert (await customer.until("leg_state"))["leg"] == "teller"
    ended = await customer.until("session_ended")
    assert (ended["reason"], ended["requeued"]) == ("teller_lost", True)
    assert (await customer.until("queue_update"))["position"] == 1
    assert (await later.until("queue_update"))["position"] == 2

    other = await party("teller", "teller1")  # back too late for that call; free for the next
    await other.send(type="set_state", state="available", auto_accept=True)
    started = await customer.until("session_started")
    assert started["peer"]["role"] == "teller"
    assert (await other.until("session_started"))["peer"]["display_name"] == "Wang Fang"
    timeline = await sealed_timeline(client.server.app, session_id, auditor_key)  # type: ignore[arg-type]
    kinds = [e.kind for e in timeline]
    assert kinds.index("customer_requeued") < kinds.index("session_ended")
    for p in (customer, later, other):
        await p.close()


async def test_a_stale_token_or_the_other_partys_token_is_refused(
    client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    assert customer.started is not None and teller.started is not None
    await customer.close()
    await teller.until("leg_state")

    thief = await resume(party, "customer", teller.started["resume_token"])
    error = await thief.until("error")
    assert (error["code"], error["params"]) == ("resume_refused", {"reason": "other_leg"})
    back = await resume(party, "customer", customer.started["resume_token"])
    await back.until("session_resumed")
    again = await resume(party, "customer", customer.started["resume_token"])
    error = await again.until("error")
    assert (error["code"], error["params"]) == ("resume_refused", {"reason": "used"})
    garbage = await resume(party, "customer", "x" * 8 + "." + "y" * 16)
    assert (await garbage.until("error"))["params"] == {"reason": "unknown"}
    for p in (thief, back, again, garbage, teller):
        await p.close()


async def test_a_teller_who_reloads_the_console_returns_to_the_live_session(
    client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    assert teller.started is not None
    await media_both_ways(customer, teller)
    await teller.close()
    assert (await customer.until("leg_state"))["state"] == "lost"

    console = await resume(party, "teller", teller.started["resume_token"], "teller1")
    resumed = await console.until("session_resumed")
    assert resumed["session_id"] == customer.session_id
    console.session_id = customer.session_id
    assert (await customer.until("leg_state"))["state"] == "resumed"
    before = len(customer.received.video)
    await console.connect_media(TELLER_ID, TELLER_TONE)
    await moving(customer, TELLER_ID, before)
    await moving(console, CUSTOMER_ID, 0)
    await customer.send(type="hangup", session_id=customer.session_id)
    assert (await console.until("session_ended"))["reason"] == "customer_hangup"
    await customer.close()
    await console.close()


async def test_a_waiting_customer_who_drops_and_resumes_keeps_the_place(
    client: TestClient, party: PartyFactory
) -> None:
    first, second = await two_in_line(party)
    await first.close()
    back = await resume(party, "customer", await first_token(first))
    resumed = await back.until("queue_resumed")
    assert resumed["business"] == "activation"
    assert (await back.until("queue_update"))["position"] == 1
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available", auto_accept=True)
    assert (await teller.until("session_started"))["peer"]["display_name"] == "Ann"
    assert (await back.until("session_started"))["resume_token"] != resumed["resume_token"]
    for p in (back, second, teller):
        await p.close()


@pytest.mark.settings(resume_grace_seconds=SHORT_GRACE)
async def test_a_waiting_customer_who_drops_keeps_the_place_only_for_the_grace_period(
    client: TestClient, party: PartyFactory
) -> None:
    first, second = await two_in_line(party)
    await first.close()
    # Not back within the grace period: the place is given up and the next customer moves up.
    assert (await second.until("queue_update", timeout=15))["position"] == 1
    late = await resume(party, "customer", await first_token(first))
    assert (await late.until("error"))["params"] == {"reason": "ended"}
    for p in (second, late):
        await p.close()


async def two_in_line(party: PartyFactory) -> tuple[Party, Party]:
    """Ann first in line, Bo second."""
    first = await party("customer")
    await first.send(type="join_queue", display_name="Ann", business="activation")
    await first.until("queue_update")
    second = await party("customer")
    await second.send(type="join_queue", display_name="Bo", business="activation")
    assert (await second.until("queue_update"))["position"] == 2
    return first, second


async def first_token(customer: Party) -> str:
    """The resume token of the customer's ``welcome``."""
    assert customer.welcome is not None
    return str(customer.welcome["resume_token"])


async def test_a_party_whose_peer_connection_failed_makes_a_new_one_on_the_same_socket(
    client: TestClient, party: PartyFactory
) -> None:
    """What a page does when its peer connection fails (or the server sends ``media_restart``)."""
    customer, teller = await start_call(party)
    await media_both_ways(customer, teller)
    await moving(teller, CUSTOMER_ID, 0)
    before = len(teller.received.video)
    await customer.close_media()  # the path is gone; the socket lives
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)  # a new peer connection, a new offer
    await moving(teller, CUSTOMER_ID, before)
    await moving(customer, TELLER_ID, 0)
    assert client.app[appkeys.HUB].peer_connections() == 2
    await teller.send(type="hangup", session_id=teller.session_id)
    assert (await customer.until("session_ended"))["reason"] == "teller_hangup"
    await customer.close()
    await teller.close()
