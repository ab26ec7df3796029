"""The flow desk: runs each call's business flow (docs/flows.md) for the signaling service.

One :class:`~video_bank.flows.executor.FlowExecutor` per live session, created and started when the
session opens (the customer side is asked for consent at once). Each ``flow_input`` becomes a typed
flow input whose actor is the sender's authenticated role — ``customer``, ``field`` or ``teller`` —
never anything the message says. After each input every flow message goes to its audience
(``flow_message``) and the flow's state to both parties (``flow_state``, with the input kinds *that*
party may send now); a refusal is answered with ``error`` carrying the flow's refusal code.

Verification is linked both ways through :class:`VerificationLink` (the verification desk): when the
flow identifies the customer, the verification desk is told who must be verified; when an attempt
decides, the decision is fed to the flow as a ``system`` input; when the flow relies on a passing
(or accepted) decision, the decision is consumed, once.

A party that is not connected when the flow speaks to it — a call-back's customer, who follows the
texted link after the teller opened the session — is sent what it missed when it joins
(``party_joined``): the flow's messages to it in order (the consent request first), then the flow's
state as it is now.

The flow's log goes to the session's event log and record timeline through the signaling service;
each committed core-banking change reaches both from the session log (``video_bank.session_log``),
in the change's own transaction.
When the session closes the flow is told (a running flow ends ``abandoned``) and the teller gets the
flow's last state. While the wrap-up code is not recorded the flow is kept for the teller, who may
still send it while wrapping up (``wrap_up`` is the only input taken after the call); it is dropped
once recorded, or when the same teller's next session opens (so at most one per teller).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from signaling.desks import Sender, SessionInfo, SessionLink
from signaling.errors import InvalidMessage, NotAllowed, PeerError
from signaling.flow_messages import AFTER_CALL_KINDS, FlowInputMessage, FlowMessage
from signaling.messages import ClientMessage, ErrorMessage
from signaling.service_hours import DEFAULT_ZONE
from signaling.session import Leg
from verification.decision import Decision, Outcome
from verification.errors import NonceError
from verification.review import ReviewResolution
from video_bank.core_banking.models import MAX_REASON
from video_bank.core_banking.pin_vault import PinVault
from video_bank.core_banking.store import CoreBankingStore
from video_bank.errors import StorageError
from video_bank.flows.executor import FlowExecutor
from video_bank.flows.inputs import Decision as FlowDecision
from video_bank.flows.inputs import (
    FlowInput,
    FlowInputError,
    ReviewResolved,
    SessionEnded,
    VerificationDecided,
    WrapUpChosen,
)
from video_bank.flows.registry import create_flow
from video_bank.flows.report import FlowReport
from video_bank.flows.script import DEFAULT_SCRIPT, WillingnessScript
from video_bank.flows.steps import Actor, Step
from video_bank.flows.wire import flow_message, flow_state, parse_input

logger = logging.getLogger(__name__)

_FLOW_DECISIONS: dict[Outcome, FlowDecision] = {
    Outcome.PASS: "pass",
    Outcome.REVIEW: "review",
    Outcome.FAIL: "fail",
}
"""Verification outcomes a flow records (``busy`` is no verdict on the customer)."""

DecisionListener = Callable[[str, str, Decision], Awaitable[None]]
ReviewListener = Callable[[str, str, Decision, ReviewResolution], Awaitable[None]]

ACTORS: Mapping[str, Actor] = {"customer": Actor.CUSTOMER, "field": Actor.FIELD, "teller": Actor.TELLER}
"""Authenticated connection role → the flow's actor. Other roles never send flow inputs."""


class VerificationLink(Protocol):
    """What the flow desk needs of the verification desk."""

    def identify(self, session_id: str, customer_id: str) -> None:
        """The flow identified the customer of ``session_id``: verify that customer and no other."""

    def add_listener(self, cb: DecisionListener) -> None:
        """``cb(session_id, customer_id, decision)`` is awaited when an attempt decides."""

    def add_review_listener(self, cb: ReviewListener) -> None:
        """``cb(session_id, customer_id, decision, resolution)`` is awaited when staff resolved a review
        (in the identity check's side-by-side view; the only way a review is resolved)."""

    def consume(self, session_id: str, decision: Decision) -> None:
        """A business action relies on ``decision`` (single use)."""


class FlowRefused(PeerError):
    """The flow refused an input; ``code`` is the flow's refusal code (docs/flows.md)."""

    def __init__(self, code: str, message: str, step: Step | None = None) -> None:
        super().__init__(message, FlowInputMessage.TYPE, {"step": step.value} if step else None)
        self.code = code


class NoFlow(PeerError):
    """The session has no business flow (it closed, or the desk could not start one)."""

    code = "not_available"


class _EventLog:
    """The flow executor's event log: the session's event log and record timeline via the link."""

    def __init__(self, link: SessionLink) -> None:
        self._link = link

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None:
        if session_id is None:
            raise ValueError("flow events belong to a session")
        await self._link.log(at, kind, session_id, actor, data)


MISSED_LIMIT = 32
"""Flow messages kept for a party that is not connected (the latest; a flow waits for the customer's
consent before it says much more)."""


@dataclass(slots=True)
class _Session:
    info: SessionInfo
    executor: FlowExecutor
    identified: str | None = None
    """Customer id told to the verification desk."""
    decision: Decision | None = None
    """The last decision fed to the flow, until consumed."""
    missed: dict[Leg, deque[FlowMessage]] = field(default_factory=dict)
    """Flow messages to a party that was not connected, until it joins."""
    state: FlowReport | None = None
    """The report whose state the parties were last sent (sent again to a party that resumes)."""
    shown: dict[Leg, tuple[FlowMessage, ...]] = field(default_factory=dict)
    """The last flow messages each party was sent: a step it may still have to confirm."""


class FlowDesk:
    """The session desk of business flows (``flow_input``)."""

    message_types = frozenset({FlowInputMessage.TYPE})

    def __init__(
        self,
        store: CoreBankingStore,
        verification: VerificationLink,
        vault: PinVault,
        *,
        script: WillingnessScript = DEFAULT_SCRIPT,
        zone: dt.tzinfo = DEFAULT_ZONE,
    ) -> None:
        """``zone``: the bank's time zone (``VIDEO_BANK_TIME_ZONE``) for the flows' dates."""
        self._store = store
        self._vault = vault
        self._verification = verification
        self._script = script
        self._zone = zone
        self._link: SessionLink | None = None
        self._sessions: dict[str, _Session] = {}
        self._wrapping: dict[str, _Session] = {}
        """Ended sessions whose teller has not recorded the wrap-up code yet."""
        verification.add_listener(self._on_decision)
        verification.add_review_listener(self._on_review)

    @property
    def link(self) -> SessionLink:
        if self._link is None:
            raise RuntimeError("the flow desk is not bound to a signaling service")
        return self._link

    @property
    def sessions(self) -> int:
        """Live sessions with a flow now."""
        return len(self._sessions)

    @property
    def wrapping(self) -> int:
        """Ended sessions kept for their teller's wrap-up code."""
        return len(self._wrapping)

    def bind(self, link: SessionLink) -> None:
        self._link = link

    async def session_opened(self, info: SessionInfo) -> None:
        link = self.link
        for ended in [s for s, kept in self._wrapping.items() if kept.info.teller == info.teller]:
            del self._wrapping[ended]  # the teller moved on without recording it
        try:
            flow = create_flow(
                info.business, info.session_id, script=self._script, recorded=info.recorded, zone=self._zone
            )
        except ValueError:
            logger.error("session %s: no flow for business %s", info.session_id, info.business)
            return
        if not info.recorded:
            link.send(
                info.session_id,
                "teller",
                FlowMessage(
                    info.session_id,
                    "not_recorded",
                    "This call is not being recorded, so no business can be done in it. "
                    "Ask the customer to call again later and report the recording fault.",
                ),
            )
        executor = FlowExecutor(flow, self._store, _EventLog(link), vault=self._vault, clock=link.now)
        session = _Session(info, executor)
        self._sessions[info.session_id] = session
        try:
            report = await executor.start()
        except StorageError:
            logger.exception("session %s: the flow could not start", info.session_id)
            self._sessions.pop(info.session_id, None)
            return
        self._deliver(session, report)

    async def party_joined(self, session_id: str, leg: Leg) -> None:
        session = self._sessions.get(session_id)
        if session is None:
            return
        for message in session.missed.pop(leg, ()):
            self.link.send(session_id, leg, message)
        if session.state is not None:
            self._send_state(session, session.state, (leg,))

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        if not isinstance(message, FlowInputMessage):
            raise NotAllowed(f"{message.TYPE} is not a flow message", message.TYPE)
        session = self._sessions.get(session_id)
        if session is None and sender.role == "teller" and message.kind in AFTER_CALL_KINDS:
            session = self._wrapping.get(session_id)
        if session is None:
            raise NoFlow("this session has no business flow", message.TYPE)
        actor = ACTORS.get(sender.role)
        if actor is None:
            raise NotAllowed(f"a {sender.role} does not take part in business flows", message.TYPE)
        if message.kind == ReviewResolved.kind:
            raise NotAllowed(
                "resolve a review in the identity check, beside the reference photo (verification_resolve)",
                message.TYPE,
            )
        try:
            event = parse_input(
                message.kind, message.fields, at=self.link.now(), actor=actor, actor_name=sender.username
            )
        except FlowInputError as error:
            raise InvalidMessage(f"flow_input: {error}", message.TYPE) from None
        report = await self._submit(session, event, sender.leg)
        if session_id in self._wrapping and not self._awaits_wrap_up(session):
            del self._wrapping[session_id]
        if report is not None and report.refusal is not None:
            raise FlowRefused(report.refusal.code, report.refusal.message, report.refusal.step)

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        try:
            report = await session.executor.submit(SessionEnded(at=at, actor=Actor.SYSTEM, reason=reason))
        except StorageError:
            logger.exception("session %s: the flow's end could not be logged", session_id)
            return
        self._deliver(session, report)  # reaches the teller only: the customer has left
        if self._awaits_wrap_up(session):
            self._wrapping[session_id] = session

    async def leg_lost(self, session_id: str, leg: Leg, at: float) -> None:
        """Nothing to stop: the flow waits for the party (a committed action stays committed)."""

    async def leg_resumed(self, session_id: str, leg: Leg, at: float) -> None:
        """The party's page starts afresh: send it the step it was shown and the flow's state again,
        so that a step not yet confirmed is shown again."""
        session = self._sessions.get(session_id)
        if session is None or session.state is None:
            return
        session.missed.pop(leg, None)  # what it missed while away: its last step, below, says it
        for message in session.shown.get(leg, ()):
            self.link.send(session_id, leg, message)
        self._send_state(session, session.state, (leg,))

    @staticmethod
    def _awaits_wrap_up(session: _Session) -> bool:
        return (Actor.TELLER, WrapUpChosen.kind) in session.executor.flow.expected()

    # --- verification ----------------------------------------------------------------------------

    async def _on_decision(self, session_id: str, customer_id: str, decision: Decision) -> None:
        session = self._sessions.get(session_id)
        flow_decision = _FLOW_DECISIONS.get(decision.outcome)
        if session is None or flow_decision is None:  # busy: no verdict on the customer, start again
            return
        relied_on = Step.VERIFICATION in session.executor.flow.facts.completed
        session.decision = None if relied_on else decision
        event = VerificationDecided(
            at=self.link.now(),
            actor=Actor.SYSTEM,
            session_id=session_id,
            customer_id=customer_id,
            decision=flow_decision,
            reasons=tuple(reason.value for reason in decision.reasons),
        )
        report = await self._submit(session, event, "teller")
        if report is None or report.refusal is not None:
            session.decision = None  # the flow did not take it: nothing relies on it

    async def _on_review(
        self, session_id: str, customer_id: str, decision: Decision, resolution: ReviewResolution
    ) -> None:
        session = self._sessions.get(session_id)
        if session is None:
            return
        reason = resolution.reason.value + (f": {resolution.comment}" if resolution.comment else "")
        if resolution.second is not None:
            reason += f" (confirmed by {resolution.second})"
        event = ReviewResolved(
            at=resolution.at,
            actor=Actor.TELLER,
            actor_name=resolution.by,
            accept=resolution.accept,
            reason=reason[:MAX_REASON],
        )
        report = await self._submit(session, event, "teller")
        if report is None or report.refusal is not None or not resolution.accept:
            session.decision = None

    # --- internals -------------------------------------------------------------------------------

    def _send_state(self, session: _Session, report: FlowReport, legs: tuple[Leg, ...]) -> None:
        """The flow's state after ``report`` to the parties on ``legs``, each with the inputs it may send."""
        flow, session_id = session.executor.flow, session.info.session_id
        sides: dict[Leg, Actor] = {"customer": flow.customer_side, "teller": Actor.TELLER}
        for leg in legs:
            self.link.send(session_id, leg, flow_state(session_id, flow.business, report, sides[leg]))

    async def _submit(self, session: _Session, event: FlowInput, leg: Leg) -> FlowReport | None:
        """Hand ``event`` to the flow and send what it produced; ``None`` after a storage failure
        (the sender on ``leg`` is told ``server_error``)."""
        session_id = session.info.session_id
        try:
            report = await session.executor.submit(event)
        except StorageError:
            logger.exception("session %s: flow input %s failed", session_id, event.kind)
            self.link.send(
                session_id,
                leg,
                ErrorMessage(
                    "server_error", "the bank's system could not record this", FlowInputMessage.TYPE
                ),
            )
            return None
        self._deliver(session, report)
        return report

    def _deliver(self, session: _Session, report: FlowReport) -> None:
        """Send the report's messages and the flow's state; keep verification in step with the flow."""
        link, session_id = self.link, session.info.session_id
        sent: dict[Leg, list[FlowMessage]] = {}
        for message in report.messages:
            leg, wire = flow_message(session_id, message)
            sent.setdefault(leg, []).append(wire)
            if not link.send(session_id, leg, wire):
                session.missed.setdefault(leg, deque(maxlen=MISSED_LIMIT)).append(wire)
        for leg, messages in sent.items():
            session.shown[leg] = tuple(messages)
        if report.refusal is None or report.messages:
            session.state = report
            self._send_state(session, report, ("customer", "teller"))
        facts = session.executor.flow.facts
        if facts.profile is not None and session.identified is None:
            session.identified = facts.profile.customer.id
            self._verification.identify(session_id, session.identified)
        if session.decision is not None and Step.VERIFICATION in facts.completed:
            decision, session.decision = session.decision, None
            try:
                self._verification.consume(session_id, decision)
            except NonceError as error:  # expired (a review resolved very late) or already used
                logger.warning(
                    "session %s: the verification decision relied on was not redeemed: %s", session_id, error
                )
