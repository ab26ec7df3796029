"""The flow machine: the common start (consent, identification, verification), the policy gate,
the business steps of one :class:`BusinessSteps` definition, and the end (rating, wrap-up).

One :class:`Flow` per video session. :meth:`Flow.handle` takes one input and returns a
:class:`~video_bank.flows.outputs.FlowOutput`; it never awaits and does no I/O. Which input is
accepted when is a table (:class:`Route` per input type: its step, who may send it, its handler), and
every input runs the same checks, in this order, before its handler:

1. the input belongs to this business (``not_in_this_business``) and comes from an allowed role
   (``wrong_actor``);
2. the flow is running (``not_started``, ``flow_finished``) and is not waiting for a core-banking
   result (``busy``);
3. the policy gate for the input's step (:func:`video_bank.flows.policy.check`, then the business's
   own :meth:`BusinessSteps.policy`);
4. the step is not already completed (``step_done``) and is ready for this input (``out_of_order``).

A write command is checked against the gate once more when it is issued. Results of commands,
the end of the session, the rating and the wrap-up code have their own rules (see
:meth:`Flow.handle`).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, ClassVar

from signaling.messages import Business
from signaling.service_hours import DEFAULT_ZONE, bank_date
from video_bank.core_banking.errors import InvalidDataError
from video_bank.core_banking.models import CustomerProfile, parse_reason, parse_resident_id
from video_bank.flows.commands import (
    Command,
    LoadApplication,
    LookupCustomer,
    RecordDisposition,
    RecordRating,
)
from video_bank.flows.inputs import (
    ApplicationLoaded,
    CommandCompleted,
    CommandFailed,
    ConsentGiven,
    CustomerLookedUp,
    FlowCancelled,
    FlowInput,
    IdentityClaimed,
    Rated,
    ReviewResolved,
    SessionEnded,
    VerificationDecided,
    WrapUpChosen,
)
from video_bank.flows.outputs import Audience, ChecklistItem, FlowOutput, LogEntry, Message, Refusal
from video_bank.flows.policy import ConsentRecord, Facts, ReviewResolution, VerificationRecord, check
from video_bank.flows.steps import COMMON_STEPS, Actor, Disposition, FlowStatus, Step, StepState

ResultInput = CustomerLookedUp | ApplicationLoaded | CommandCompleted | CommandFailed
_RESULT_TYPES = (CustomerLookedUp, ApplicationLoaded, CommandCompleted, CommandFailed)


def _answers(command: Command, result: ResultInput) -> bool:
    """Whether ``result`` is a possible result of ``command``."""
    if isinstance(result, CommandFailed):
        return True
    if isinstance(command, LookupCustomer):
        return isinstance(result, CustomerLookedUp)
    if isinstance(command, LoadApplication):
        return isinstance(result, ApplicationLoaded)
    return isinstance(result, CommandCompleted)


class Party(Enum):
    """Who may send an input, resolved per business (the customer side is the phone, or the field
    officer's tablet in a card review)."""

    CUSTOMER_SIDE = "customer_side"
    TELLER = "teller"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Route:
    """When an input type is accepted, and what handles it."""

    step: Step
    """The step the input belongs to (the gate checks the steps before it)."""
    parties: frozenset[Party]
    handler: Callable[[Turn, Any], None]
    ready: Callable[[], bool] | None = None
    """Extra condition within the step; unmet: ``out_of_order`` with :attr:`not_ready`."""
    not_ready: str = "this is not expected at this point of the step"
    repeatable: bool = False
    """Accepted while a later step is current (a teller's rejection during the willingness check)."""


@dataclass(frozen=True, slots=True)
class FlowLimits:
    """How many tries a customer gets before the flow fails."""

    identification_attempts: int = 3
    """ID numbers that find no customer."""
    verification_attempts: int = 3
    """Failed verification decisions (or rejected reviews)."""

    def __post_init__(self) -> None:
        if self.identification_attempts < 1 or self.verification_attempts < 1:
            raise ValueError("limits are at least 1")


class FlowUsageError(RuntimeError):
    """The flow was driven against its API (our bug, not a client's): e.g. started twice."""


class BusinessSteps(ABC):
    """The business part of a flow: its steps after verification, their routes and handlers.

    One instance per flow (it keeps the business's own state, e.g. the confirmed card).
    """

    business: ClassVar[Business]
    steps: ClassVar[tuple[Step, ...]]
    customer_side: ClassVar[Actor] = Actor.CUSTOMER
    branch_instructions: ClassVar[str]
    """Told to a customer who cannot do the business over video."""
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {}
    """Outcomes of a completed flow and the wrap-up code they suggest."""

    @abstractmethod
    def routes(self) -> Mapping[type[FlowInput], Route]:
        """The business inputs and where they belong."""

    @abstractmethod
    def begin(self, turn: Turn) -> None:
        """Verification passed: prompt the first business step."""

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        """What the teller's profile panel shows for this business (masked)."""
        return profile.masked()

    def policy(self, facts: Facts, step: Step) -> Refusal | None:
        """A business-specific requirement for ``step`` beyond the common gate."""
        return None

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        """The result of a command this business issued. By default a failure is told to both
        sides and the step stays current (the customer may retry, the teller may cancel)."""
        if isinstance(result, CommandFailed):
            turn.action_failed(result)
            return
        raise FlowUsageError(f"{type(self).__name__} does not handle {type(result).__name__}")


class Turn:
    """One input being handled: the flow's state plus what the handling produces."""

    def __init__(
        self, flow: Flow, at: float, actor: Actor, actor_name: str | None = None, kind: str = "start"
    ) -> None:
        self.flow = flow
        self.at = at
        """Server time of the input."""
        self.role = actor
        """The sender's role."""
        self.actor = actor_name or actor.value
        """The sender's account name, or role (for the log and for commands)."""
        self.kind = kind
        """The input's kind."""
        self.step: Step | None = None
        """The step the input belongs to (the gate for write commands)."""
        self.facts = flow.facts
        self._messages: list[Message] = []
        self._commands: list[Command] = []
        self._log: list[LogEntry] = []
        self.refusal: Refusal | None = None

    @classmethod
    def of(cls, flow: Flow, event: FlowInput) -> Turn:
        """The turn of one input."""
        return cls(flow, event.at, event.actor, event.actor_name, event.kind)

    @property
    def profile(self) -> CustomerProfile:
        """The identified customer (only called by steps after identification)."""
        if self.facts.profile is None:
            raise FlowUsageError("no customer identified")
        return self.facts.profile

    def say(self, to: Audience, code: str, text: str, /, **data: Any) -> None:
        """Send a message to one side."""
        self._messages.append(Message(to, code, text, data))

    def log(self, kind: str, /, **data: Any) -> None:
        """Append an event to the session log (masked data only)."""
        self._log.append(LogEntry(kind, self.at, self.actor, data))

    def refuse(self, code: str, message: str, step: Step | None = None) -> None:
        """Refuse the input (logged as ``flow_refused``; nothing else changes)."""
        self.refusal = Refusal(code, message, step)
        detail: dict[str, Any] = {"code": code, "input": self.kind, "role": self.role.value}
        if self.flow.step is not None:
            detail["step"] = self.flow.step.value
        if step is not None:
            detail["required_step"] = step.value
        self.log("flow_refused", **detail)

    def complete(self, step: Step) -> None:
        """Mark a step completed."""
        self.facts.completed.add(step)
        self.log("flow_step_completed", step=step.value)

    def reopen(self, step: Step) -> None:
        """Mark a completed step as to be done again (a teller sent the customer back)."""
        self.facts.completed.discard(step)
        self.log("flow_step_reopened", step=step.value)

    def issue(self, command: Command) -> bool:
        """Issue a command (writes pass the policy gate again first); False if refused."""
        if command.writes:
            if self.step is None:
                raise FlowUsageError("a write command needs the step it belongs to")
            refusal = self.flow.gate(self.step)
            if refusal is not None:
                self.refuse(refusal.code, refusal.message, refusal.step)
                return False
        if self.flow.pending is not None:
            raise FlowUsageError("a flow issues one command at a time")
        issued = replace(command, id=self.flow.next_command_id(), at=self.at, actor=self.actor)
        self.flow.set_pending(issued, self.step)
        self._commands.append(issued)
        return True

    def finish(self, status: FlowStatus, outcome: str, /, **data: Any) -> None:
        """End the flow (the first end wins)."""
        if not self.flow.set_finished(status, outcome):
            return
        self.log("flow_finished", status=status.value, outcome=outcome, **data)
        suggestion = self.flow.suggested_disposition()
        self.say(
            Audience.CUSTOMER, "flow_finished", _FINISHED_TEXT[status], status=status.value, outcome=outcome
        )
        self.say(
            Audience.TELLER,
            "flow_finished",
            f"The flow ended: {outcome.replace('_', ' ')}.",
            status=status.value,
            outcome=outcome,
            suggested_disposition=suggestion.value,
        )
        if status in (FlowStatus.DECLINED, FlowStatus.FAILED, FlowStatus.CANCELLED):
            self.say(
                Audience.CUSTOMER,
                "branch_instructions",
                self.flow.business_steps.branch_instructions,
                business=self.flow.business,
            )
        self.say(Audience.CUSTOMER, "rate_service", "How was our service today? Please rate it from 1 to 5.")
        self.say(Audience.TELLER, "wrap_up", "Choose a wrap-up code.", suggested=suggestion.value)

    def action_failed(self, failure: CommandFailed) -> None:
        """Tell both sides that core banking refused a change (nothing was changed)."""
        self.log("flow_action_failed", code=failure.code)
        self.say(Audience.CUSTOMER, "action_failed", "Sorry, this could not be completed.", code=failure.code)
        self.say(Audience.TELLER, "action_failed", failure.message, code=failure.code)

    def output(self) -> FlowOutput:
        """What this turn produced."""
        flow = self.flow
        return FlowOutput(
            flow.status,
            flow.step,
            flow.outcome,
            tuple(self._messages),
            tuple(self._commands),
            tuple(self._log),
            self.refusal,
        )


_FINISHED_TEXT = {
    FlowStatus.COMPLETED: "All done. Thank you.",
    FlowStatus.DECLINED: "This business cannot be done over video without your consent.",
    FlowStatus.FAILED: "We could not confirm your identity over video.",
    FlowStatus.CANCELLED: "The teller has stopped this business.",
    FlowStatus.ABANDONED: "The session has ended.",
}

_FAILED_DISPOSITION = {
    FlowStatus.DECLINED: Disposition.CUSTOMER_DECLINED,
    FlowStatus.FAILED: Disposition.VERIFICATION_FAILED,
    FlowStatus.CANCELLED: Disposition.REFERRED_TO_BRANCH,
    FlowStatus.ABANDONED: Disposition.CUSTOMER_DISCONNECTED,
}


class Flow:
    """One business flow in one video session."""

    def __init__(
        self,
        session_id: str,
        business_steps: BusinessSteps,
        limits: FlowLimits | None = None,
        *,
        recorded: bool = True,
        zone: dt.tzinfo = DEFAULT_ZONE,
    ) -> None:
        self.session_id = session_id
        self.business_steps = business_steps
        self.limits = limits or FlowLimits()
        self.zone = zone
        """The bank's time zone: the calendar date of ages and birth dates."""
        self.facts = Facts(session_id, recorded=recorded)
        self.steps: tuple[Step, ...] = (*COMMON_STEPS, *business_steps.steps)
        self._status = FlowStatus.NOT_STARTED
        self._outcome: str | None = None
        self._stopped_at: Step | None = None
        self._pending: Command | None = None
        self._pending_step: Step | None = None
        self._commands = 0
        self._identification_failures = 0
        self._verification_failures = 0
        self._rated = False
        self._wrapped_up = False
        common: dict[type[FlowInput], Route] = {
            ConsentGiven: Route(Step.CONSENT, frozenset({Party.CUSTOMER_SIDE}), self._on_consent),
            IdentityClaimed: Route(
                Step.IDENTIFICATION, frozenset({Party.CUSTOMER_SIDE, Party.TELLER}), self._on_identity
            ),
            VerificationDecided: Route(
                Step.VERIFICATION,
                frozenset({Party.SYSTEM}),
                self._on_verification,
                ready=lambda: not self._review_waiting(),
                not_ready="the teller must resolve the pending review first",
            ),
            ReviewResolved: Route(
                Step.VERIFICATION,
                frozenset({Party.TELLER}),
                self._on_review,
                ready=self._review_waiting,
                not_ready="there is no verification decision waiting for review",
            ),
        }
        business_routes = business_steps.routes()
        overlap = set(common) & set(business_routes)
        if overlap:
            raise FlowUsageError(f"business routes redefine common inputs: {overlap}")
        self._routes = {**common, **business_routes}

    # --- state, read-only from outside --------------------------------------------------------------

    @property
    def business(self) -> Business:
        """The business type."""
        return self.business_steps.business

    @property
    def status(self) -> FlowStatus:
        """Where the flow stands."""
        return self._status

    @property
    def outcome(self) -> str | None:
        """How it ended (``card_activated``, ``consent_refused``…); ``None`` while running."""
        return self._outcome

    @property
    def customer_side(self) -> Actor:
        """The role that acts for the customer (``customer``, or ``field`` for card review)."""
        return self.business_steps.customer_side

    @property
    def step(self) -> Step | None:
        """The current step: the first not completed (``None`` unless in progress)."""
        if self.status is not FlowStatus.IN_PROGRESS:
            return None
        return next((s for s in self.steps if s not in self.facts.completed), None)

    @property
    def pending(self) -> Command | None:
        """The command whose result the flow waits for."""
        return self._pending

    def checklist(self) -> tuple[ChecklistItem, ...]:
        """Every step with its state, for the teller's checklist."""
        current = self.step
        items = []
        for step in self.steps:
            if step in self.facts.completed:
                state = StepState.DONE
            elif step is current:
                state = StepState.CURRENT
            elif step is self._stopped_at:
                state = StepState.FAILED
            else:
                state = StepState.PENDING
            items.append(ChecklistItem(step, state))
        return tuple(items)

    def expected(self) -> frozenset[tuple[Actor, str]]:
        """(role, input kind) pairs a client may send now — to enable buttons, not to decide."""
        actors = {Party.CUSTOMER_SIDE: self.customer_side, Party.TELLER: Actor.TELLER}
        if self.status is FlowStatus.NOT_STARTED:
            return frozenset()
        if self.status.finished:
            pairs = set()
            if not self._rated:
                pairs.add((self.customer_side, Rated.kind))
            if not self._wrapped_up:
                pairs.add((Actor.TELLER, WrapUpChosen.kind))
            return frozenset(pairs) if self._pending is None else frozenset()
        if self._pending is not None:
            return frozenset()
        current = self.step
        pairs = {(Actor.TELLER, FlowCancelled.kind)}
        for input_type, route in self._routes.items():
            in_step = route.step is current or (
                route.repeatable
                and current is not None
                and self.steps.index(current) > self.steps.index(route.step)
            )
            if not in_step or (route.ready is not None and not route.ready()) or self.gate(route.step):
                continue
            pairs.update((actors[p], input_type.kind) for p in route.parties if p in actors)
        return frozenset(pairs)

    # --- API ------------------------------------------------------------------------------------------

    def start(self, at: float) -> FlowOutput:
        """Begin the flow: log it and ask the customer for consent."""
        if self.status is not FlowStatus.NOT_STARTED:
            raise FlowUsageError("the flow has already started")
        self._status = FlowStatus.IN_PROGRESS
        turn = Turn(self, at, Actor.SYSTEM)
        turn.log("flow_started", business=self.business, steps=[s.value for s in self.steps])
        turn.say(
            Audience.CUSTOMER,
            "consent_request",
            "This video session is recorded, and your face is compared with your ID photo to confirm"
            " it is you. Please answer both questions.",
            recording="I agree that this session is recorded and kept by the bank as required by law.",
            biometric="I agree that my face is checked for liveness and compared with my reference photo.",
        )
        turn.say(Audience.TELLER, "waiting_for_consent", "Waiting for the customer's consent.")
        return turn.output()

    def handle(self, event: FlowInput) -> FlowOutput:
        """Handle one input. Refused inputs change nothing but the log (``refusal`` says why)."""
        turn = Turn.of(self, event)
        if self.status is FlowStatus.NOT_STARTED:
            turn.refuse("not_started", "the flow has not started")
        elif isinstance(event, _RESULT_TYPES):
            self._on_result(turn, event)
        elif isinstance(event, SessionEnded):
            self._on_session_ended(turn, event)
        elif isinstance(event, Rated | WrapUpChosen):
            self._on_feedback(turn, event)
        elif isinstance(event, FlowCancelled):
            self._on_cancel(turn, event)
        else:
            self._on_routed(turn, event)
        return turn.output()

    def gate(self, step: Step) -> Refusal | None:
        """The policy gate for ``step``: the first unmet requirement, or ``None``."""
        before = self.steps[: self.steps.index(step)]
        return check(self.facts, before) or self.business_steps.policy(self.facts, step)

    def suggested_disposition(self) -> Disposition:
        """The wrap-up code the outcome suggests."""
        if self.status is FlowStatus.COMPLETED:
            return self.business_steps.completed_outcomes.get(self.outcome or "", Disposition.RESOLVED)
        return _FAILED_DISPOSITION.get(self.status, Disposition.OTHER)

    # --- used by Turn -------------------------------------------------------------------------------

    def next_command_id(self) -> int:
        self._commands += 1
        return self._commands

    def set_pending(self, command: Command, step: Step | None) -> None:
        self._pending = command
        self._pending_step = step

    def set_finished(self, status: FlowStatus, outcome: str) -> bool:
        if self.status.finished:
            return False
        self._stopped_at = self.step
        self._status = status
        self._outcome = outcome
        return True

    # --- dispatch -----------------------------------------------------------------------------------

    def _party(self, actor: Actor) -> Party | None:
        if actor is self.customer_side:
            return Party.CUSTOMER_SIDE
        return {Actor.TELLER: Party.TELLER, Actor.SYSTEM: Party.SYSTEM}.get(actor)

    def _require(self, turn: Turn, parties: frozenset[Party]) -> bool:
        if self._party(turn.role) in parties:
            return True
        turn.refuse("wrong_actor", f"a {turn.role.value} cannot send {turn.kind} in this flow")
        return False

    def _on_routed(self, turn: Turn, event: FlowInput) -> None:
        route = self._routes.get(type(event))
        if route is None:
            turn.refuse("not_in_this_business", f"{event.kind} is not part of {self.business}")
            return
        if not self._require(turn, route.parties):
            return
        if self.status.finished:
            turn.refuse("flow_finished", "the flow has ended")
            return
        if self._pending is not None:
            turn.refuse("busy", "the previous action is still being carried out")
            return
        refusal = self.gate(route.step)
        if refusal is not None:
            turn.refuse(refusal.code, refusal.message, refusal.step)
            return
        if route.step in self.facts.completed and not (
            route.repeatable and self.step not in (None, route.step)
        ):
            turn.refuse("step_done", f"the step '{route.step.value}' is already completed")
            return
        if route.ready is not None and not route.ready():
            turn.refuse("out_of_order", route.not_ready)
            return
        turn.step = route.step
        route.handler(turn, event)

    def _on_result(self, turn: Turn, event: ResultInput) -> None:
        if not self._require(turn, frozenset({Party.SYSTEM})):
            return
        pending = self._pending
        if pending is None or event.command_id != pending.id or not _answers(pending, event):
            turn.refuse("unexpected_result", "no command waits for this result")
            return
        self._pending = None
        turn.step = self._pending_step
        if isinstance(pending, LookupCustomer):
            assert isinstance(event, CustomerLookedUp | CommandFailed)
            self._on_customer(turn, event)
        elif isinstance(pending, RecordRating | RecordDisposition):
            self._on_feedback_recorded(turn, pending, event)
        else:
            self.business_steps.on_result(turn, pending, event)

    # --- common steps -------------------------------------------------------------------------------

    def _on_consent(self, turn: Turn, event: ConsentGiven) -> None:
        self.facts.consent = ConsentRecord(event.recording, event.biometric, event.at)
        turn.log("flow_consent_recorded", recording=event.recording, biometric=event.biometric)
        turn.say(
            Audience.TELLER,
            "consent_recorded",
            "Consent answered.",
            recording=event.recording,
            biometric=event.biometric,
        )
        if not self.facts.consent.given:
            turn.finish(FlowStatus.DECLINED, "consent_refused")
            return
        turn.complete(Step.CONSENT)
        turn.say(Audience.CUSTOMER, "enter_resident_id", "Please enter your resident ID number.")
        turn.say(
            Audience.TELLER,
            "identify_customer",
            "Wait for the customer's ID number, or look the customer up.",
        )

    def _on_identity(self, turn: Turn, event: IdentityClaimed) -> None:
        try:
            resident_id = parse_resident_id(event.resident_id, bank_date(event.at, self.zone))
        except InvalidDataError as error:
            turn.refuse(error.code, error.message)
            return
        turn.log("flow_identification_requested", resident_id=resident_id.masked)
        turn.issue(LookupCustomer(resident_id=resident_id.number))

    def _on_customer(self, turn: Turn, event: CustomerLookedUp | CommandFailed) -> None:
        if isinstance(event, CommandFailed):
            turn.action_failed(event)
            return
        profile = event.profile
        if profile is None:
            self._identification_failures += 1
            left = self.limits.identification_attempts - self._identification_failures
            turn.refuse("customer_not_found", "no customer has this ID number; please check it")
            turn.say(
                Audience.CUSTOMER,
                "customer_not_found",
                "We could not find this ID number.",
                attempts_left=left,
            )
            turn.say(
                Audience.TELLER, "customer_not_found", "No customer has this ID number.", attempts_left=left
            )
            if left <= 0:
                turn.finish(FlowStatus.FAILED, "identification_failed")
            return
        self.facts.profile = profile
        customer = profile.customer
        turn.log("flow_customer_identified", customer_id=customer.id, resident_id=customer.resident_id.masked)
        turn.complete(Step.IDENTIFICATION)
        turn.say(
            Audience.TELLER,
            "customer_profile",
            f"Customer identified: {customer.name}.",
            age=customer.resident_id.age(bank_date(turn.at, self.zone)),
            **self.business_steps.profile_details(profile),
        )
        turn.say(Audience.CUSTOMER, "identified", "Thank you. The teller will now verify that it is you.")
        turn.say(
            Audience.TELLER,
            "verification_required",
            "Start the video verification.",
            customer_id=customer.id,
            reference_photo_id=customer.reference_photo_id,
            attempts_left=self.limits.verification_attempts - self._verification_failures,
        )

    def _review_waiting(self) -> bool:
        record = self.facts.verification
        return record is not None and record.decision == "review" and record.resolution is None

    def _on_verification(self, turn: Turn, event: VerificationDecided) -> None:
        customer = turn.profile.customer
        if event.session_id != self.session_id or event.customer_id != customer.id:
            turn.refuse(
                "verification_mismatch", "the decision was not made for this customer in this session"
            )
            return
        record = VerificationRecord(
            event.decision, event.session_id, event.customer_id, event.at, event.reasons
        )
        self.facts.verification = record
        turn.log("flow_verification_recorded", decision=event.decision, reasons=list(event.reasons))
        if event.decision == "pass":
            self._verified(turn)
        elif event.decision == "review":
            turn.say(
                Audience.TELLER,
                "verification_review",
                "The verification needs your review: accept or reject it with a reason.",
                reasons=list(event.reasons),
            )
            turn.say(Audience.CUSTOMER, "verification_in_review", "Please wait a moment.")
        else:
            self._verification_failed(turn)

    def _on_review(self, turn: Turn, event: ReviewResolved) -> None:
        record = self.facts.verification
        assert record is not None  # ensured by the route's ready condition
        try:
            reason = parse_reason(event.reason)
        except InvalidDataError as error:
            turn.refuse("reason_required", error.message)
            return
        resolution = ReviewResolution(event.accept, reason, event.actor_name, event.at)
        self.facts.verification = replace(record, resolution=resolution)
        turn.log("flow_review_resolved", accept=event.accept, reason=reason)
        if event.accept:
            self._verified(turn)
        else:
            self._verification_failed(turn)

    def _verified(self, turn: Turn) -> None:
        turn.complete(Step.VERIFICATION)
        turn.say(Audience.CUSTOMER, "verification_passed", "Thank you, your identity is confirmed.")
        turn.say(Audience.TELLER, "verification_passed", "Verification passed.")
        self.business_steps.begin(turn)

    def _verification_failed(self, turn: Turn) -> None:
        self._verification_failures += 1
        left = self.limits.verification_attempts - self._verification_failures
        if left <= 0:
            turn.finish(FlowStatus.FAILED, "verification_failed")
            return
        turn.say(
            Audience.TELLER,
            "verification_failed",
            "Verification failed; you may try again.",
            attempts_left=left,
        )
        turn.say(Audience.CUSTOMER, "verification_retry", "Let us try that once more.", attempts_left=left)

    # --- the end ------------------------------------------------------------------------------------

    def _on_cancel(self, turn: Turn, event: FlowCancelled) -> None:
        if not self._require(turn, frozenset({Party.TELLER})):
            return
        if self.status.finished:
            turn.refuse("flow_finished", "the flow has ended")
        elif self._pending is not None:
            turn.refuse("busy", "the previous action is still being carried out")
        else:
            turn.finish(FlowStatus.CANCELLED, "cancelled", reason=event.reason)

    def _on_session_ended(self, turn: Turn, event: SessionEnded) -> None:
        if not self._require(turn, frozenset({Party.SYSTEM})):
            return
        if not self.status.finished:
            turn.finish(FlowStatus.ABANDONED, "abandoned", reason=event.reason)

    def _on_feedback(self, turn: Turn, event: Rated | WrapUpChosen) -> None:
        rating = isinstance(event, Rated)
        if not self._require(turn, frozenset({Party.CUSTOMER_SIDE if rating else Party.TELLER})):
            return
        if not self.status.finished:
            turn.refuse("flow_in_progress", "this is given once the business has ended")
            return
        if self._pending is not None:
            turn.refuse("busy", "the previous action is still being carried out")
            return
        if self._rated if rating else self._wrapped_up:
            turn.refuse("already_recorded", "this has already been recorded for this session")
            return
        customer_id = self.facts.profile.customer.id if self.facts.profile else None
        if isinstance(event, Rated):
            self._rated = True
            turn.log("flow_rated", score=event.score, has_comment=event.comment is not None)
            turn.issue(
                RecordRating(
                    business=self.business, customer_id=customer_id, score=event.score, comment=event.comment
                )
            )
        else:
            self._wrapped_up = True
            turn.log("flow_wrap_up", code=event.code.value)
            turn.issue(RecordDisposition(business=self.business, customer_id=customer_id, code=event.code))

    def _on_feedback_recorded(
        self, turn: Turn, command: RecordRating | RecordDisposition, event: ResultInput
    ) -> None:
        if isinstance(event, CommandFailed):
            if isinstance(command, RecordRating):
                self._rated = False
            else:
                self._wrapped_up = False
            turn.action_failed(event)
