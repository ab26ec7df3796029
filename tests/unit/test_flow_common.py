"""The common part of every flow — consent, identification, verification, the end (cancel, session end,
rating, wrap-up) — and the checks every input passes (role, order, busy, results), driven purely.

:class:`Driver` (also used by the per-business flow tests) plays the executor's part synchronously: it
answers the flow's commands from in-memory core-banking records, applying the same model transitions
the store applies, so a test can assert exactly which records changed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from video_bank.core_banking import demo
from video_bank.core_banking.errors import CoreBankingError
from video_bank.core_banking.models import (
    AccountStatus,
    CardReviewReason,
    Change,
    CorporateApplication,
    Customer,
    CustomerProfile,
    DebitAccount,
    Secret,
    SocialSecurityCard,
)
from video_bank.flows import create_flow
from video_bank.flows.commands import (
    ActivateCard,
    Command,
    DecideApplication,
    LoadApplication,
    LookupCustomer,
    RecordDisposition,
    RecordRating,
    ResetPassword,
    ReviewCard,
    UpdateContact,
)
from video_bank.flows.inputs import (
    AccountConfirmed,
    ApplicationChosen,
    ApplicationLoaded,
    CardConfirmed,
    CardReviewed,
    CommandCompleted,
    CommandFailed,
    ConsentGiven,
    CustomerLookedUp,
    DetailsEntered,
    FlowCancelled,
    FlowInput,
    FlowInputError,
    IdentityClaimed,
    Rated,
    ReviewResolved,
    SessionEnded,
    VerificationDecided,
    WrapUpChosen,
)
from video_bank.flows.machine import Flow, FlowLimits, FlowUsageError, Turn
from video_bank.flows.outputs import Audience, FlowOutput, LogEntry, Message, Refusal
from video_bank.flows.registry import DEFINITIONS
from video_bank.flows.script import DEFAULT_SCRIPT, WillingnessScript
from video_bank.flows.steps import Actor, Disposition, FlowStatus, Step, StepState

SESSION = "sess_1"
START = 1_795_000_000.0
"""2026-11-19, server time."""
PENSIONER_ID = demo.PENSIONER.resident_id.number
ACCOUNT_HOLDER_ID = demo.ACCOUNT_HOLDER.resident_id.number
LEGAL_REP_ID = demo.LEGAL_REP.resident_id.number
UNKNOWN_ID = "11010519491231002X"
"""Valid, but nobody's."""
DEBIT_ACCOUNT = DebitAccount(
    demo.DEBIT_ACCOUNT_ID,
    demo.ACCOUNT_HOLDER.id,
    demo.DEBIT_ACCOUNT_NUMBER,
    AccountStatus.LOCKED,
    "scrypt$x",
    1.0,
)


@dataclass
class Bank:
    """In-memory core banking for pure tests."""

    customers: dict[str, Customer] = field(default_factory=dict)
    cards: dict[str, SocialSecurityCard] = field(default_factory=dict)
    accounts: dict[str, DebitAccount] = field(default_factory=dict)
    applications: dict[str, CorporateApplication] = field(default_factory=dict)
    ratings: list[RecordRating] = field(default_factory=list)
    dispositions: list[RecordDisposition] = field(default_factory=list)

    @classmethod
    def demo(cls) -> Bank:
        bank = cls()
        for c in (demo.PENSIONER, demo.ACCOUNT_HOLDER, demo.LEGAL_REP):
            bank.customers[c.id] = c
        for card in (demo.PENSIONER_CARD, demo.FIELD_CARD):
            bank.cards[card.id] = card
        bank.accounts[DEBIT_ACCOUNT.id] = DEBIT_ACCOUNT
        bank.applications[demo.APPLICATION.id] = demo.APPLICATION
        return bank

    def profile(self, resident_id: str) -> CustomerProfile | None:
        customer = next((c for c in self.customers.values() if c.resident_id.number == resident_id), None)
        if customer is None:
            return None
        return CustomerProfile(
            customer,
            tuple(c for c in self.cards.values() if c.customer_id == customer.id),
            tuple(a for a in self.accounts.values() if a.customer_id == customer.id),
            tuple(a for a in self.applications.values() if a.legal_rep.number == resident_id),
        )

    def snapshot(self) -> tuple[Any, ...]:
        return (dict(self.customers), dict(self.cards), dict(self.accounts), dict(self.applications))


@dataclass
class Reply:
    """Everything one input led to (the input's turn plus the turns of its results)."""

    outputs: list[FlowOutput]

    @property
    def refusal(self) -> Refusal | None:
        return next((o.refusal for o in self.outputs if o.refusal is not None), None)

    @property
    def code(self) -> str | None:
        return self.refusal.code if self.refusal else None

    @property
    def messages(self) -> list[Message]:
        return [m for o in self.outputs for m in o.messages]

    @property
    def log(self) -> list[LogEntry]:
        return [e for o in self.outputs for e in o.log]

    @property
    def commands(self) -> list[Command]:
        return [c for o in self.outputs for c in o.commands]

    def said(self, to: Audience) -> list[str]:
        return [m.code for m in self.messages if m.to is to]

    def message(self, to: Audience, code: str) -> Message:
        return next(m for m in self.messages if m.to is to and m.code == code)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.log]


class Driver:
    """Drives one flow through its inputs, answering its commands from a :class:`Bank`."""

    def __init__(
        self,
        business: str,
        *,
        bank: Bank | None = None,
        script: WillingnessScript = DEFAULT_SCRIPT,
        limits: FlowLimits | None = None,
        start: bool = True,
    ) -> None:
        self.flow: Flow = create_flow(business, SESSION, script=script, limits=limits)
        self.bank = bank or Bank.demo()
        self.clock = itertools.count(START)
        self.log: list[LogEntry] = []
        self.changes: list[Change] = []
        self.failures: dict[type[Command], CoreBankingError] = {}
        """Make the next command of a type fail with this error."""
        self.hold = False
        """Leave issued commands unanswered (to test ``busy``)."""
        self.held: Command | None = None
        if start:
            self.pump(self.flow.start(self.now()))

    def now(self) -> float:
        return float(next(self.clock))

    @property
    def side(self) -> Actor:
        return self.flow.customer_side

    def send(self, event: FlowInput) -> Reply:
        return self.pump(self.flow.handle(event))

    def customer(self, cls: type[FlowInput], **fields: Any) -> Reply:
        return self.send(cls(at=self.now(), actor=self.side, **fields))

    def teller(self, cls: type[FlowInput], **fields: Any) -> Reply:
        return self.send(cls(at=self.now(), actor=Actor.TELLER, actor_name="teller1", **fields))

    def system(self, cls: type[FlowInput], **fields: Any) -> Reply:
        return self.send(cls(at=self.now(), actor=Actor.SYSTEM, **fields))

    def pump(self, output: FlowOutput) -> Reply:
        outputs = [output]
        self.log.extend(output.log)
        while output.commands and not self.hold:
            (command,) = output.commands
            output = self.flow.handle(self.execute(command))
            outputs.append(output)
            self.log.extend(output.log)
        if output.commands:
            (self.held,) = output.commands
        return Reply(outputs)

    def execute(self, command: Command) -> FlowInput:
        at = self.now()
        system: dict[str, Any] = {"actor": Actor.SYSTEM, "command_id": command.id}
        error = self.failures.pop(type(command), None)
        if error is not None:
            return CommandFailed(at=at, code=error.code, message=error.message, **system)
        bank = self.bank
        if isinstance(command, LookupCustomer):
            return CustomerLookedUp(at=at, profile=bank.profile(command.resident_id), **system)
        if isinstance(command, LoadApplication):
            return ApplicationLoaded(
                at=at, application=bank.applications.get(command.application_id), **system
            )
        try:
            change = self._write(command)
        except CoreBankingError as failure:
            return CommandFailed(at=at, code=failure.code, message=failure.message, **system)
        if change is not None:
            self.changes.append(change)
        return CommandCompleted(at=at, change=change, **system)

    def _write(self, command: Command) -> Change | None:
        bank = self.bank
        if isinstance(command, ActivateCard):
            before = bank.cards[command.card_id]
            after = bank.cards[command.card_id] = before.activated("scrypt$test", command.at)
            return Change(
                "social_security_card", before.id, "card_activated", before.masked(), after.masked()
            )
        if isinstance(command, ResetPassword):
            old = bank.accounts[command.account_id]
            new = bank.accounts[command.account_id] = old.password_reset("scrypt$test", command.at)
            return Change("debit_account", old.id, "password_reset", old.masked(), new.masked())
        if isinstance(command, UpdateContact):
            c = bank.customers[command.customer_id]
            updated = bank.customers[c.id] = c.with_contact(command.phone, command.address)
            return Change("customer", c.id, "contact_updated", c.masked(), updated.masked())
        if isinstance(command, DecideApplication):
            a = bank.applications[command.application_id]
            decided = bank.applications[a.id] = a.decided(command.status, command.reason, command.at, SESSION)
            return Change("corporate_application", a.id, "application_decided", a.masked(), decided.masked())
        if isinstance(command, ReviewCard):
            card = bank.cards[command.card_id]
            reviewed = bank.cards[card.id] = card.reviewed(command.reason, command.at)
            return Change("social_security_card", card.id, "card_reviewed", card.masked(), reviewed.masked())
        if isinstance(command, RecordRating):
            bank.ratings.append(command)
            return None
        if isinstance(command, RecordDisposition):
            bank.dispositions.append(command)
            return None
        raise AssertionError(f"unexpected command {command}")

    # --- common steps ---------------------------------------------------------------------------------

    def consent(self, recording: bool = True, biometric: bool = True) -> Reply:
        return self.customer(ConsentGiven, recording=recording, biometric=biometric)

    def identify(self, resident_id: str = PENSIONER_ID, *, by_teller: bool = False) -> Reply:
        if by_teller:
            return self.teller(IdentityClaimed, resident_id=resident_id)
        return self.customer(IdentityClaimed, resident_id=resident_id)

    def decide(
        self, decision: str = "pass", *, customer_id: str | None = None, session_id: str = SESSION
    ) -> Reply:
        profile = self.flow.facts.profile
        who = customer_id or (profile.customer.id if profile else "cus_unknown")
        return self.system(
            VerificationDecided, session_id=session_id, customer_id=who, decision=decision, reasons=("r1",)
        )

    def verified(self, resident_id: str = PENSIONER_ID) -> Reply:
        self.consent()
        self.identify(resident_id)
        reply = self.decide()
        assert Step.VERIFICATION in self.flow.facts.completed, reply.code
        return reply

    def step_states(self) -> dict[str, str]:
        return {item.step.value: item.state.value for item in self.flow.checklist()}


def all_texts(entries: Iterable[LogEntry | Message]) -> str:
    """Everything a list of log entries or messages could leak, as one string."""
    return repr([(e.data, getattr(e, "text", "")) for e in entries])


BUSINESSES = sorted(DEFINITIONS)


def first_business_input(driver: Driver) -> Reply:
    """Send the input of the business's first step (whatever it is) with harmless content."""
    business = driver.flow.business
    if business == "activation":
        return driver.teller(CardConfirmed, card_id=demo.PENSIONER_CARD.id)
    if business == "password_reset":
        return driver.teller(AccountConfirmed, account_id=DEBIT_ACCOUNT.id)
    if business == "info_update":
        return driver.customer(DetailsEntered, phone="13812345678")
    if business == "corporate_willingness":
        return driver.teller(ApplicationChosen, application_id=demo.APPLICATION.id)
    return driver.teller(
        CardReviewed, card_id=demo.FIELD_CARD.id, approve=True, reason=CardReviewReason.IDENTITY_CONFIRMED
    )


def customer_for(business: str) -> str:
    return {
        "activation": PENSIONER_ID,
        "password_reset": ACCOUNT_HOLDER_ID,
        "info_update": PENSIONER_ID,
        "corporate_willingness": LEGAL_REP_ID,
        "card_review": ACCOUNT_HOLDER_ID,
    }[business]


# --- start ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("business", BUSINESSES)
def test_a_flow_starts_by_asking_the_customer_side_for_both_consents(business: str) -> None:
    driver = Driver(business, start=False)
    reply = driver.pump(driver.flow.start(START))
    assert reply.kinds() == ["flow_started"]
    consent = reply.message(Audience.CUSTOMER, "consent_request")
    assert set(consent.data) == {"recording", "biometric"}
    assert driver.flow.step is Step.CONSENT
    assert driver.flow.expected() == {(driver.side, "consent"), (Actor.TELLER, "cancelled")}
    with pytest.raises(FlowUsageError):
        driver.flow.start(START)


def test_inputs_before_the_start_are_refused() -> None:
    driver = Driver("activation", start=False)
    assert driver.consent().code == "not_started"
    assert driver.flow.status is FlowStatus.NOT_STARTED


def test_the_card_review_customer_side_is_the_field_officer() -> None:
    driver = Driver("card_review")
    assert driver.side is Actor.FIELD
    wrong = driver.send(ConsentGiven(at=START, actor=Actor.CUSTOMER, recording=True, biometric=True))
    assert wrong.code == "wrong_actor"
    assert driver.consent().code is None


def test_an_unknown_business_has_no_flow() -> None:
    with pytest.raises(ValueError, match="unknown business"):
        create_flow("loan", SESSION)


# --- consent --------------------------------------------------------------------------------------


@pytest.mark.parametrize("business", BUSINESSES)
@pytest.mark.parametrize(("recording", "biometric"), [(False, True), (True, False), (False, False)])
def test_without_both_consents_there_is_no_video_verification_and_the_branch_is_explained(
    business: str, recording: bool, biometric: bool
) -> None:
    driver = Driver(business)
    before = driver.bank.snapshot()
    reply = driver.consent(recording, biometric)
    assert reply.code is None
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.DECLINED, "consent_refused")
    branch = reply.message(Audience.CUSTOMER, "branch_instructions")
    assert "branch" in branch.text
    assert reply.log[0].kind == "flow_consent_recorded"
    assert dict(reply.log[0].data) == {"recording": recording, "biometric": biometric}
    assert "verification_required" not in reply.said(Audience.TELLER)
    # nothing afterwards gets through: not identification, not verification, not the business
    assert driver.identify(customer_for(business)).code == "flow_finished"
    assert driver.decide(customer_id="cus_demo_pensioner").code == "flow_finished"
    assert first_business_input(driver).code in {"flow_finished"}
    assert driver.bank.snapshot() == before
    assert driver.step_states()["consent"] == "failed"


def test_consent_is_given_once() -> None:
    driver = Driver("activation")
    driver.consent()
    assert driver.consent().code == "step_done"
    assert driver.consent(False, False).code == "step_done"
    assert driver.flow.status is FlowStatus.IN_PROGRESS


def test_only_the_customer_side_gives_consent() -> None:
    driver = Driver("activation")
    assert driver.teller(ConsentGiven, recording=True, biometric=True).code == "wrong_actor"
    assert driver.system(ConsentGiven, recording=True, biometric=True).code == "wrong_actor"
    assert driver.flow.facts.consent is None


# --- identification -------------------------------------------------------------------------------


def test_identification_needs_consent_first() -> None:
    driver = Driver("activation")
    reply = driver.identify()
    assert reply.code == "consent_required"
    assert reply.commands == []
    assert reply.kinds() == ["flow_refused"]
    assert dict(reply.log[0].data) == {
        "code": "consent_required",
        "input": "identify",
        "role": "customer",
        "step": "consent",
    }


def test_the_customer_is_identified_by_the_id_number_entered_on_the_phone() -> None:
    driver = Driver("activation")
    driver.consent()
    reply = driver.identify()
    assert reply.code is None
    (lookup,) = reply.commands
    assert isinstance(lookup, LookupCustomer)
    assert lookup.resident_id == PENSIONER_ID
    assert PENSIONER_ID not in repr(lookup)
    profile = reply.message(Audience.TELLER, "customer_profile")
    assert profile.data["customer"]["id"] == demo.PENSIONER.id
    assert profile.data["age"] == 73
    needed = reply.message(Audience.TELLER, "verification_required")
    assert needed.data["reference_photo_id"] == "fixture:biden.jpg"
    assert driver.flow.step is Step.VERIFICATION
    assert PENSIONER_ID not in all_texts([*reply.log, *reply.messages])


def test_the_teller_may_look_the_customer_up_instead() -> None:
    driver = Driver("activation")
    driver.consent()
    assert driver.identify(by_teller=True).code is None
    assert driver.flow.facts.profile is not None


def test_an_invalid_id_number_is_refused_with_the_reason() -> None:
    driver = Driver("activation")
    driver.consent()
    reply = driver.identify(PENSIONER_ID[:17] + "9")
    assert reply.code == "invalid_resident_id"
    assert reply.refusal is not None and "check character" in reply.refusal.message
    assert reply.commands == []


def test_an_unknown_id_number_may_be_retried_then_the_flow_fails() -> None:
    driver = Driver("activation", limits=FlowLimits(identification_attempts=2))
    driver.consent()
    first = driver.identify(UNKNOWN_ID)
    assert first.code == "customer_not_found"
    assert first.message(Audience.CUSTOMER, "customer_not_found").data["attempts_left"] == 1
    assert driver.flow.status is FlowStatus.IN_PROGRESS
    second = driver.identify(UNKNOWN_ID)
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.FAILED, "identification_failed")
    assert "branch_instructions" in second.said(Audience.CUSTOMER)


def test_the_identified_customer_cannot_be_swapped() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    assert driver.identify(ACCOUNT_HOLDER_ID).code == "step_done"
    assert driver.flow.facts.profile is not None
    assert driver.flow.facts.profile.customer.id == demo.PENSIONER.id


def test_a_failed_lookup_is_told_and_may_be_retried() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.failures[LookupCustomer] = CoreBankingError("server_error", "try again")
    reply = driver.identify()
    assert "action_failed" in reply.said(Audience.TELLER)
    assert driver.flow.step is Step.IDENTIFICATION
    assert driver.identify().code is None


# --- verification ---------------------------------------------------------------------------------


def test_a_verification_decision_before_identification_is_refused() -> None:
    driver = Driver("activation")
    driver.consent()
    assert driver.decide(customer_id=demo.PENSIONER.id).code == "identification_required"


def test_verification_decisions_come_only_from_the_server() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    for send in (driver.customer, driver.teller):
        reply = send(
            VerificationDecided,
            session_id=SESSION,
            customer_id=demo.PENSIONER.id,
            decision="pass",
            reasons=(),
        )
        assert reply.code == "wrong_actor"
    assert driver.flow.facts.verification is None


@pytest.mark.parametrize(
    ("customer_id", "session_id"), [(demo.ACCOUNT_HOLDER.id, SESSION), (demo.PENSIONER.id, "sess_other")]
)
def test_a_decision_for_another_customer_or_session_is_refused(customer_id: str, session_id: str) -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    reply = driver.decide(customer_id=customer_id, session_id=session_id)
    assert reply.code == "verification_mismatch"
    assert driver.flow.facts.verification is None
    assert driver.flow.step is Step.VERIFICATION


def test_a_pass_opens_the_business_steps() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    reply = driver.decide("pass")
    assert reply.kinds()[:2] == ["flow_verification_recorded", "flow_step_completed"]
    assert "verification_passed" in reply.said(Audience.CUSTOMER)
    assert "confirm_card" in reply.said(Audience.TELLER)
    assert driver.flow.step is Step.CONFIRM_CARD
    assert driver.decide("pass").code == "step_done"


def test_a_review_waits_for_the_tellers_resolution_with_a_reason() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    reply = driver.decide("review")
    assert "verification_review" in reply.said(Audience.TELLER)
    assert first_business_input(driver).code == "verification_review_pending"
    assert driver.decide("pass").code == "out_of_order"
    assert driver.teller(ReviewResolved, accept=True, reason="   ").code == "reason_required"
    assert driver.customer(ReviewResolved, accept=True, reason="fine").code == "wrong_actor"
    accepted = driver.teller(ReviewResolved, accept=True, reason="matches the ID photo")
    assert accepted.code is None
    assert dict(accepted.log[0].data) == {"accept": True, "reason": "matches the ID photo"}
    assert accepted.log[0].actor == "teller1"
    assert driver.flow.step is Step.CONFIRM_CARD


def test_a_resolution_without_a_review_is_out_of_order() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    assert driver.teller(ReviewResolved, accept=True, reason="why not").code == "out_of_order"
    driver.decide("fail")
    assert driver.teller(ReviewResolved, accept=True, reason="why not").code == "out_of_order"


def test_failures_and_rejected_reviews_count_towards_the_limit() -> None:
    driver = Driver("activation", limits=FlowLimits(verification_attempts=3))
    driver.consent()
    driver.identify()
    first = driver.decide("fail")
    assert first.message(Audience.TELLER, "verification_failed").data["attempts_left"] == 2
    assert first_business_input(driver).code == "verification_failed"
    driver.decide("review")
    rejected = driver.teller(ReviewResolved, accept=False, reason="different person")
    assert rejected.message(Audience.TELLER, "verification_failed").data["attempts_left"] == 1
    last = driver.decide("fail")
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.FAILED, "verification_failed")
    assert "branch_instructions" in last.said(Audience.CUSTOMER)
    assert driver.step_states()["verification"] == "failed"


def test_a_later_pass_after_a_failure_is_accepted() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.identify()
    driver.decide("fail")
    assert driver.decide("pass").code is None
    assert driver.flow.step is Step.CONFIRM_CARD


# --- the policy gate for every business -------------------------------------------------------------


@pytest.mark.parametrize("business", BUSINESSES)
def test_the_first_business_action_is_refused_until_consent_identification_and_verification(
    business: str,
) -> None:
    driver = Driver(business)
    before = driver.bank.snapshot()
    resident_id = customer_for(business)
    assert first_business_input(driver).code == "consent_required"
    driver.consent()
    assert first_business_input(driver).code == "identification_required"
    driver.identify(resident_id)
    assert first_business_input(driver).code == "verification_required"
    driver.decide("review")
    assert first_business_input(driver).code == "verification_review_pending"
    driver.teller(ReviewResolved, accept=False, reason="not sure")
    assert first_business_input(driver).code == "verification_failed"
    assert driver.bank.snapshot() == before
    assert [e.data["code"] for e in driver.log if e.kind == "flow_refused"] == [
        "consent_required",
        "identification_required",
        "verification_required",
        "verification_review_pending",
        "verification_failed",
    ]
    driver.decide("pass")
    assert first_business_input(driver).code is None


def test_a_write_is_checked_against_the_gate_again_when_issued() -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=demo.PENSIONER_CARD.id)
    # Whatever happened in between, the write itself re-checks the recorded facts.
    driver.flow.facts.verification = replace(driver.flow.facts.verification, decision="fail")  # type: ignore[type-var]
    turn = Turn(driver.flow, START, Actor.CUSTOMER)
    turn.step = Step.SET_PIN
    assert turn.issue(ActivateCard(card_id=demo.PENSIONER_CARD.id, pin=Secret("385921"))) is False
    output = turn.output()
    assert output.commands == ()
    assert output.refusal is not None and output.refusal.code == "verification_failed"
    assert driver.flow.pending is None


# --- order, roles and results ---------------------------------------------------------------------


def test_an_input_of_another_business_is_refused() -> None:
    driver = Driver("info_update")
    driver.verified()
    assert driver.teller(CardConfirmed, card_id=demo.PENSIONER_CARD.id).code == "not_in_this_business"


def test_nothing_is_accepted_while_a_command_runs_except_its_result() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.hold = True
    driver.identify()
    assert isinstance(driver.held, LookupCustomer)
    assert driver.identify().code == "busy"
    assert driver.teller(FlowCancelled, reason="stop").code == "busy"
    assert driver.flow.expected() == frozenset()
    stray = driver.system(CommandCompleted, command_id=driver.held.id + 5)
    assert stray.code == "unexpected_result"
    wrong_type = driver.system(ApplicationLoaded, command_id=driver.held.id, application=None)
    assert wrong_type.code == "unexpected_result"
    driver.hold = False
    driver.pump(driver.flow.handle(driver.execute(driver.held)))
    assert driver.flow.step is Step.VERIFICATION


def test_results_come_only_from_the_server() -> None:
    driver = Driver("activation")
    driver.consent()
    driver.hold = True
    driver.identify()
    assert driver.held is not None
    forged = driver.customer(
        CustomerLookedUp, command_id=driver.held.id, profile=Bank.demo().profile(PENSIONER_ID)
    )
    assert forged.code == "wrong_actor"
    assert driver.flow.facts.profile is None


def test_inputs_are_validated_when_built() -> None:
    with pytest.raises(FlowInputError):
        Rated(at=START, actor=Actor.CUSTOMER, score=6)
    with pytest.raises(FlowInputError):
        Rated(at=START, actor=Actor.CUSTOMER, score=True)
    with pytest.raises(FlowInputError):
        VerificationDecided(at=START, actor=Actor.SYSTEM, session_id="s", customer_id="c", decision="ok")  # type: ignore[arg-type]
    with pytest.raises(FlowInputError):
        ConsentGiven(at=float("nan"), actor=Actor.CUSTOMER, recording=True, biometric=True)
    with pytest.raises(FlowInputError):
        DetailsEntered(at=START, actor=Actor.CUSTOMER)
    with pytest.raises(FlowInputError):
        FlowCancelled(at=START, actor=Actor.TELLER, reason="\x00")
    assert PENSIONER_ID not in repr(IdentityClaimed(at=START, actor=Actor.CUSTOMER, resident_id=PENSIONER_ID))


# --- the end --------------------------------------------------------------------------------------


def test_the_teller_may_cancel_with_a_reason_and_the_customer_is_sent_to_a_branch() -> None:
    driver = Driver("activation")
    driver.verified()
    assert driver.customer(FlowCancelled, reason="no").code == "wrong_actor"
    reply = driver.teller(FlowCancelled, reason="customer cannot see the screen")
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.CANCELLED, "cancelled")
    assert reply.log[0].kind == "flow_finished"
    assert reply.log[0].data["reason"] == "customer cannot see the screen"
    assert "branch_instructions" in reply.said(Audience.CUSTOMER)
    assert reply.message(Audience.TELLER, "wrap_up").data["suggested"] == "referred_to_branch"
    assert driver.step_states()["confirm_card"] == "failed"
    assert driver.teller(FlowCancelled, reason="again").code == "flow_finished"


def test_the_end_of_the_session_abandons_a_running_flow() -> None:
    driver = Driver("activation")
    driver.consent()
    assert driver.customer(SessionEnded, reason="x").code == "wrong_actor"
    reply = driver.system(SessionEnded, reason="customer_hangup")
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.ABANDONED, "abandoned")
    assert reply.message(Audience.TELLER, "wrap_up").data["suggested"] == "customer_disconnected"
    again = driver.system(SessionEnded, reason="customer_hangup")
    assert again.code is None and again.log == []


def test_rating_and_wrap_up_come_once_each_after_the_flow_ends() -> None:
    driver = Driver("activation")
    driver.consent()
    assert driver.customer(Rated, score=5).code == "flow_in_progress"
    assert driver.teller(WrapUpChosen, code=Disposition.RESOLVED).code == "flow_in_progress"
    driver.system(SessionEnded, reason="customer_hangup")
    assert driver.flow.expected() == {(Actor.CUSTOMER, "rated"), (Actor.TELLER, "wrap_up")}
    assert driver.teller(Rated, score=5).code == "wrong_actor"
    rated = driver.customer(Rated, score=4, comment="patient teller, thank you")
    assert rated.code is None
    assert dict(rated.log[0].data) == {"score": 4, "has_comment": True}
    assert "patient" not in all_texts(rated.log)
    assert driver.customer(Rated, score=1).code == "already_recorded"
    assert driver.customer(WrapUpChosen, code=Disposition.RESOLVED).code == "wrong_actor"
    assert driver.teller(WrapUpChosen, code=Disposition.CUSTOMER_DISCONNECTED).code is None
    assert driver.teller(WrapUpChosen, code=Disposition.RESOLVED).code == "already_recorded"
    (rating,) = driver.bank.ratings
    (disposition,) = driver.bank.dispositions
    assert (rating.score, rating.comment, rating.business) == (4, "patient teller, thank you", "activation")
    assert (disposition.code, disposition.actor) == (Disposition.CUSTOMER_DISCONNECTED, "teller1")
    assert driver.flow.expected() == frozenset()


def test_a_rating_that_could_not_be_stored_may_be_given_again() -> None:
    driver = Driver("activation")
    driver.consent(False, False)
    driver.failures[RecordRating] = CoreBankingError("server_error", "later")
    failed = driver.customer(Rated, score=5)
    assert "action_failed" in failed.said(Audience.CUSTOMER)
    assert driver.customer(Rated, score=5).code is None
    assert len(driver.bank.ratings) == 1


def test_the_checklist_follows_the_flow() -> None:
    driver = Driver("activation")
    assert driver.step_states() == {
        "consent": "current",
        "identification": "pending",
        "verification": "pending",
        "confirm_card": "pending",
        "set_pin": "pending",
    }
    driver.verified()
    states = driver.step_states()
    assert [states[s] for s in ("consent", "identification", "verification", "confirm_card")] == [
        "done",
        "done",
        "done",
        "current",
    ]
    assert {i.state for i in driver.flow.checklist()} <= set(StepState)


def test_refusals_never_log_the_inputs_content() -> None:
    driver = Driver("activation")
    driver.identify()  # refused: consent first
    driver.consent()
    driver.identify(PENSIONER_ID[:17] + "9")  # refused: invalid
    refused = [e for e in driver.log if e.kind == "flow_refused"]
    assert len(refused) == 2
    assert PENSIONER_ID[:17] not in all_texts(refused)
    for entry in refused:
        assert set(entry.data) <= {"code", "input", "role", "step", "required_step"}


def test_a_message_code_outside_the_registry_is_a_programming_error() -> None:
    """Pages translate messages by code (web_client/shared/error-texts.js): every code is registered."""
    from video_bank.flows.outputs import MESSAGE_CODES, Audience, Message

    assert "enter_pin" in MESSAGE_CODES[Audience.CUSTOMER]
    with pytest.raises(ValueError, match="not a customer message code"):
        Message(Audience.CUSTOMER, "made_up_code", "text")
