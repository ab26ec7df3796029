"""The flow desk against real core banking (SQLite), with a recording session link (also subscribed to
the session log, as the recording desk is) and a verification double: what each party is sent, who may
send what, and the two-way link with verification."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from signaling.desks import Sender, SessionInfo
from signaling.errors import InvalidMessage, NotAllowed, PeerError
from signaling.flow_messages import FlowInputMessage, FlowMessage, FlowState
from signaling.messages import ErrorMessage, ServerMessage, encode
from signaling.schemas import validate
from signaling.session import Leg
from verification.decision import Decision, Outcome
from verification.reasons import Reason
from verification.review import ReviewReason, ReviewResolution
from video_bank.core_banking import demo
from video_bank.core_banking.models import CardStatus
from video_bank.core_banking.pin_vault import LocalKeyVault, ScryptCost
from video_bank.core_banking.store import CoreBankingStore
from video_bank.desks.flow_desk import DecisionListener, FlowDesk, FlowRefused, ReviewListener
from video_bank.session_log import SessionEvent, SessionLog
from video_bank.storage import SqliteStorage

SESSION = "sess_desk_0001"
VAULT = LocalKeyVault.from_keys(LocalKeyVault.generate_key(), cost=ScryptCost(log2_n=4, r=1, p=1))
T0 = 1_800_000_000.0


@dataclass
class Link:
    """A session link that records what a desk sends and logs, and a subscriber of the session log
    (what the recording desk would put into the record's timeline besides what the desk logs)."""

    sent: list[tuple[Leg, ServerMessage]] = field(default_factory=list)
    logged: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    recorded: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    """Entries for the encrypted record that do not pass through :meth:`log`."""
    t: float = T0

    def connected(self, session_id: str, leg: Leg) -> bool:
        return True

    def now(self) -> float:
        self.t += 1.0
        return self.t

    def send(self, session_id: str, leg: Leg, message: ServerMessage) -> bool:
        validate(message.TYPE, __import__("json").loads(encode(message)))
        self.sent.append((leg, message))
        return True

    async def log(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        self.logged.append((kind, actor, data))

    async def record(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        self.recorded.append((kind, actor, data))

    def session_opening(self, session_id: str) -> None:
        pass

    def append(self, event: SessionEvent, *, record_only: bool) -> None:
        if event.session_id == SESSION:
            self.recorded.append((event.kind, event.actor, dict(event.data)))

    def codes(self, leg: Leg) -> list[str]:
        return [m.code for lg, m in self.sent if lg == leg and isinstance(m, FlowMessage)]

    def state(self, leg: Leg) -> FlowState:
        return [m for lg, m in self.sent if lg == leg and isinstance(m, FlowState)][-1]


@dataclass
class Verification:
    """Test double of the verification desk's interface for the flow desk."""

    identified: list[tuple[str, str]] = field(default_factory=list)
    consumed: list[tuple[str, Decision]] = field(default_factory=list)
    listeners: list[DecisionListener] = field(default_factory=list)
    reviewers: list[ReviewListener] = field(default_factory=list)

    def identify(self, session_id: str, customer_id: str) -> None:
        self.identified.append((session_id, customer_id))

    def add_listener(self, cb: DecisionListener) -> None:
        self.listeners.append(cb)

    def add_review_listener(self, cb: ReviewListener) -> None:
        self.reviewers.append(cb)

    def consume(self, session_id: str, decision: Decision) -> None:
        self.consumed.append((session_id, decision))

    async def resolve(self, session_id: str, customer_id: str, decision: Decision, accept: bool) -> None:
        """The teller resolved the review in the identity check's side-by-side view."""
        reason = ReviewReason.MATCHES_REFERENCE if accept else ReviewReason.DIFFERENT_PERSON
        resolution = ReviewResolution("attempt-1", accept, reason, "teller1", T0 + 30, second="super1")
        for cb in self.reviewers:
            await cb(session_id, customer_id, decision, resolution)

    async def decide(self, session_id: str, customer_id: str, outcome: Outcome, *reasons: Reason) -> Decision:
        decision = cast(Decision, SimpleNamespace(outcome=outcome, reasons=reasons))
        for cb in self.listeners:
            await cb(session_id, customer_id, decision)
        return decision


CUSTOMER = Sender("c1", "customer", "customer", None)
TELLER = Sender("t1", "teller", "teller", "teller1")
FIELD = Sender("f1", "customer", "field", "field1")


@pytest.fixture
async def store(tmp_path: Path, link: Link) -> AsyncIterator[CoreBankingStore]:
    storage = await SqliteStorage.open(tmp_path / "db.sqlite3")
    log = SessionLog(storage)
    log.subscribe(link)
    opened = await CoreBankingStore.open(storage, log)
    await demo.seed_demo_customers(opened, VAULT, T0)
    yield opened
    await storage.close()


@pytest.fixture
def link() -> Link:
    return Link()


@pytest.fixture
def verification() -> Verification:
    return Verification()


async def open_desk(
    store: CoreBankingStore, link: Link, verification: Verification, business: str = "activation"
) -> FlowDesk:
    desk = FlowDesk(store, verification, VAULT)
    desk.bind(link)
    await desk.session_opened(SessionInfo(SESSION, business, "call", "Wang Xiulan", "teller1", True, T0))
    return desk


async def send(desk: FlowDesk, sender: Sender, kind: str, **fields: Any) -> None:
    await desk.handle(SESSION, sender, FlowInputMessage(SESSION, kind, fields))


async def test_the_customer_is_asked_for_consent_as_the_session_opens_and_both_sides_get_the_state(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    await open_desk(store, link, verification)
    assert link.codes("customer") == ["consent_request"]
    assert link.codes("teller") == ["waiting_for_consent"]
    assert link.state("customer").expected == ["consent"]
    assert link.state("teller").expected == ["cancelled"]
    assert link.state("teller").step == "consent"
    assert [(s["step"], s["state"]) for s in link.state("teller").steps][:2] == [
        ("consent", "current"),
        ("identification", "pending"),
    ]
    assert [kind for kind, _, _ in link.logged] == ["flow_started"]


async def test_activation_through_the_desk_activates_the_card_and_links_verification_both_ways(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    await send(desk, CUSTOMER, "identify", resident_id=demo.PENSIONER.resident_id.number)
    assert verification.identified == [(SESSION, demo.PENSIONER.id)]
    assert "customer_profile" in link.codes("teller")

    decision = await verification.decide(SESSION, demo.PENSIONER.id, Outcome.PASS)
    assert verification.consumed == [(SESSION, decision)]
    assert link.state("teller").expected == ["cancelled", "card_confirmed"]

    await send(desk, TELLER, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    assert link.codes("customer")[-1] == "enter_pin"
    await send(desk, CUSTOMER, "secret_entered", secret="385921", confirmation="385921")
    card = await store.card(demo.PENSIONER_CARD.id)
    assert card is not None and card.status is CardStatus.ACTIVE
    # The committed change (masked) also goes to the encrypted record's timeline.
    [(_, _, change)] = [r for r in link.recorded if r[0] == "core_banking_changed"]
    assert change["action"] == "card_activated" and "385921" not in str(change)
    assert link.state("customer").status == "completed"
    assert link.state("customer").expected == ["rated"]
    assert link.state("teller").expected == ["wrap_up"]

    await send(desk, CUSTOMER, "rated", score=5)
    await send(desk, TELLER, "wrap_up", code="resolved")
    feedback = await store.feedback(SESSION)
    assert feedback is not None and (feedback.rating, feedback.disposition) == (5, "resolved")
    assert verification.consumed == [(SESSION, decision)]  # used once


async def test_a_refusal_is_an_error_with_the_flows_code_and_the_role_comes_from_the_connection(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    with pytest.raises(FlowRefused) as wrong_actor:
        await send(desk, TELLER, "consent", recording=True, biometric=True)
    assert (wrong_actor.value.code, wrong_actor.value.ref_type) == ("wrong_actor", "flow_input")
    await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    with pytest.raises(FlowRefused) as skipped:
        await send(desk, TELLER, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    assert skipped.value.code == "identification_required"
    with pytest.raises(NotAllowed):
        await send(desk, Sender("s1", "teller", "supervisor", "super1"), "cancelled", reason="x")


async def test_malformed_fields_are_invalid_messages_that_never_quote_the_value(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    with pytest.raises(InvalidMessage) as bad:
        await send(desk, CUSTOMER, "consent", recording="385921", biometric=True)
    assert "385921" not in bad.value.message
    with pytest.raises(InvalidMessage):
        await send(desk, CUSTOMER, "consent", recording=True, biometric=True, extra=True)


async def test_a_decision_the_flow_refuses_is_not_consumed(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    await send(desk, CUSTOMER, "identify", resident_id=demo.PENSIONER.resident_id.number)
    await verification.decide(SESSION, demo.ACCOUNT_HOLDER.id, Outcome.PASS)  # someone else
    assert verification.consumed == []
    assert link.state("teller").step == "verification"
    review = await verification.decide(SESSION, demo.PENSIONER.id, Outcome.REVIEW, Reason.FACE_LOST)
    assert verification.consumed == []  # nothing relies on it until the teller accepts it
    # The flow takes a review's resolution only from the identity check's review view.
    with pytest.raises(PeerError) as direct:
        await send(desk, TELLER, "review_resolved", accept=True, reason="seen clearly on the video")
    assert direct.value.code == "not_allowed"
    assert verification.consumed == []
    await verification.resolve(SESSION, demo.PENSIONER.id, review, accept=True)
    assert len(verification.consumed) == 1
    resolved = [dict(d) for k, _, d in link.logged if k == "flow_review_resolved"]
    assert resolved == [{"accept": True, "reason": "matches_reference (confirmed by super1)"}]
    assert link.state("teller").step == "confirm_card"


async def test_the_session_closing_abandons_the_flow_and_releases_it(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await desk.session_closed(SESSION, "customer_hangup", T0 + 50)
    assert desk.sessions == 0
    assert (
        "flow_finished",
        "system",
        {"status": "abandoned", "outcome": "abandoned", "reason": "customer_hangup"},
    ) in [(k, a, dict(d)) for k, a, d in link.logged]
    with pytest.raises(PeerError) as gone:
        await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    assert gone.value.code == "not_available"
    await desk.session_closed(SESSION, "customer_hangup", T0 + 51)  # idempotent


async def test_after_the_customer_hangs_up_the_teller_is_asked_for_the_wrap_up_code_and_can_record_it(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    await send(desk, CUSTOMER, "identify", resident_id=demo.PENSIONER.resident_id.number)
    link.sent.clear()
    await desk.session_closed(SESSION, "customer_hangup", T0 + 50)
    assert (desk.sessions, desk.wrapping) == (0, 1)
    # The teller is told the flow's end, the suggested code, and that the code is still expected.
    assert link.codes("teller") == ["flow_finished", "wrap_up"]
    (wrap_up,) = [m for _, m in link.sent if isinstance(m, FlowMessage) and m.code == "wrap_up"]
    assert wrap_up.data["suggested"] == "customer_disconnected"
    assert (link.state("teller").status, link.state("teller").expected) == ("abandoned", ["wrap_up"])

    # Nothing else is taken after the call: not from the customer, not other teller inputs.
    for sender, kind, fields in (
        (CUSTOMER, "rated", {"score": 5}),
        (TELLER, "cancelled", {"reason": "too late"}),
    ):
        with pytest.raises(PeerError) as gone:
            await send(desk, sender, kind, **fields)
        assert gone.value.code == "not_available"

    await send(desk, TELLER, "wrap_up", code="customer_disconnected")
    feedback = await store.feedback(SESSION)
    assert feedback is not None
    assert (feedback.disposition, feedback.disposition_by) == ("customer_disconnected", "teller1")
    assert link.state("teller").expected == []
    assert desk.wrapping == 0  # released once recorded
    with pytest.raises(PeerError) as again:
        await send(desk, TELLER, "wrap_up", code="resolved")
    assert again.value.code == "not_available"
    assert ("flow_wrap_up", "teller1", {"code": "customer_disconnected"}) in [
        (k, a, dict(d)) for k, a, d in link.logged
    ]


async def test_a_flow_whose_wrap_up_code_is_recorded_in_the_call_is_released_at_the_end(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await send(desk, CUSTOMER, "consent", recording=True, biometric=False)  # declined: the flow ends
    await send(desk, TELLER, "wrap_up", code="customer_declined")
    await desk.session_closed(SESSION, "teller_hangup", T0 + 50)
    assert (desk.sessions, desk.wrapping) == (0, 0)


async def test_a_kept_flow_is_dropped_when_the_tellers_next_session_opens(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification)
    await desk.session_closed(SESSION, "customer_hangup", T0 + 50)
    assert desk.wrapping == 1
    other = SessionInfo("sess_desk_0002", "activation", "call", "Li Hua", "teller2", False, T0 + 60)
    await desk.session_opened(other)
    assert desk.wrapping == 1  # another teller's session
    await desk.session_opened(
        SessionInfo("sess_desk_0003", "activation", "call", "Li Hua", "teller1", False, T0 + 70)
    )
    assert (desk.sessions, desk.wrapping) == (2, 0)
    with pytest.raises(PeerError) as gone:
        await send(desk, TELLER, "wrap_up", code="resolved")
    assert gone.value.code == "not_available"


async def test_in_a_card_review_the_field_officer_acts_for_the_customer(
    store: CoreBankingStore, link: Link, verification: Verification
) -> None:
    desk = await open_desk(store, link, verification, "card_review")
    with pytest.raises(FlowRefused) as customer:
        await send(desk, CUSTOMER, "consent", recording=True, biometric=True)
    assert customer.value.code == "wrong_actor"
    await send(desk, FIELD, "consent", recording=True, biometric=True)
    assert link.state("customer").expected == ["identify"]
    assert not [m for _, m in link.sent if isinstance(m, ErrorMessage)]


def test_the_protocol_lists_exactly_the_inputs_a_client_may_send() -> None:
    from signaling.flow_messages import FLOW_INPUT_KINDS
    from signaling.schemas import validators
    from video_bank.flows.wire import CLIENT_INPUTS

    assert set(FLOW_INPUT_KINDS) == set(CLIENT_INPUTS)
    schema = validators()["flow_input"].schema
    assert schema["properties"]["kind"]["enum"] == list(FLOW_INPUT_KINDS)
