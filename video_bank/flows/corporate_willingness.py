"""Corporate account opening: the legal representative's willingness check (企业开户法人意愿核实).

The teller names the application; the person verified on video must be its legal representative.
The script's mandatory questions follow one by one: each is shown on the customer's phone and read
out by the teller, the customer answers yes or no on the phone and aloud, the teller confirms that
the spoken answer matches (or disputes it, and the question is asked again). A confirmed answer other
than the expected one rejects the application. After the last question the customer gives the final
confirmation. Every question, answer and time is logged, and the confirmed answers are stored with
the application. Outcome: ``willingness_confirmed`` or ``rejected`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.errors import InvalidDataError
from video_bank.core_banking.models import (
    ApplicationStatus,
    CorporateApplication,
    CustomerProfile,
    WillingnessAnswer,
    check_record_id,
    parse_reason,
)
from video_bank.flows.commands import Command, DecideApplication, LoadApplication
from video_bank.flows.inputs import (
    AnswerConfirmed,
    ApplicationChosen,
    ApplicationLoaded,
    CommandCompleted,
    FinalConfirmation,
    FlowInput,
    QuestionAnswered,
    WillingnessRejected,
)
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience, Refusal
from video_bank.flows.policy import Facts
from video_bank.flows.script import DEFAULT_SCRIPT, ScriptQuestion, WillingnessScript
from video_bank.flows.steps import Disposition, FlowStatus, Step

_ACCOUNT_TYPE_NAMES = {
    "basic": "basic deposit",
    "general": "general deposit",
    "special": "special deposit",
    "temporary": "temporary deposit",
}


class CorporateWillingnessSteps(BusinessSteps):
    """select_application (teller) → questions (customer answers, teller confirms) →
    final_confirmation (customer)."""

    business: ClassVar[Business] = "corporate_willingness"
    steps: ClassVar[tuple[Step, ...]] = (Step.SELECT_APPLICATION, Step.QUESTIONS, Step.FINAL_CONFIRMATION)
    branch_instructions: ClassVar[str] = (
        "The legal representative can confirm the account opening in person at the branch handling"
        " the application, with their resident ID card."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {
        "willingness_confirmed": Disposition.RESOLVED,
        "rejected": Disposition.RESOLVED,
    }

    def __init__(self, script: WillingnessScript = DEFAULT_SCRIPT) -> None:
        self.script = script
        self.application: CorporateApplication | None = None
        """The application being checked (its legal representative is the verified customer)."""
        self.position = 0
        """Index of the question on screen."""
        self.answer: tuple[bool, float] | None = None
        """The customer's tap for the question on screen and its time, until the teller confirms."""
        self.answers: dict[int, WillingnessAnswer] = {}
        """Confirmed answers by position (a question asked again replaces its answer)."""

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {
            ApplicationChosen: Route(Step.SELECT_APPLICATION, frozenset({Party.TELLER}), self._on_chosen),
            QuestionAnswered: Route(Step.QUESTIONS, frozenset({Party.CUSTOMER_SIDE}), self._on_answer),
            AnswerConfirmed: Route(
                Step.QUESTIONS,
                frozenset({Party.TELLER}),
                self._on_confirm,
                ready=lambda: self.answer is not None,
                not_ready="the customer has not answered the question yet",
            ),
            FinalConfirmation: Route(
                Step.FINAL_CONFIRMATION, frozenset({Party.CUSTOMER_SIDE}), self._on_final
            ),
            WillingnessRejected: Route(
                Step.QUESTIONS, frozenset({Party.TELLER}), self._on_teller_reject, repeatable=True
            ),
        }

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        masked = profile.masked()
        return {"customer": masked["customer"], "applications": masked["applications"]}

    def policy(self, facts: Facts, step: Step) -> Refusal | None:
        if step not in (Step.QUESTIONS, Step.FINAL_CONFIRMATION) or self.application is None:
            return None
        if facts.profile is not None and self._is_legal_rep(facts.profile, self.application):
            return None
        return Refusal(
            "not_legal_representative", "the verified person is not the application's legal representative"
        )

    @staticmethod
    def _is_legal_rep(profile: CustomerProfile, application: CorporateApplication) -> bool:
        return application.legal_rep.number == profile.customer.resident_id.number

    def begin(self, turn: Turn) -> None:
        pending = [a.masked() for a in turn.profile.applications if a.status is ApplicationStatus.PENDING]
        turn.say(
            Audience.TELLER,
            "choose_application",
            "Choose the account-opening application to check.",
            applications=pending,
        )
        turn.say(Audience.CUSTOMER, "wait_for_teller", "The teller is opening the company's application.")

    # --- select_application -----------------------------------------------------------------------

    def _on_chosen(self, turn: Turn, event: ApplicationChosen) -> None:
        try:
            application_id = check_record_id(event.application_id, "application id")
        except InvalidDataError as error:
            turn.refuse("application_not_found", error.message)
            return
        turn.log("flow_application_requested", application_id=application_id)
        turn.issue(LoadApplication(application_id=application_id))

    def _on_loaded(self, turn: Turn, result: ApplicationLoaded) -> None:
        application = result.application
        if application is None:
            turn.refuse("application_not_found", "there is no application with this id")
            return
        if application.status is not ApplicationStatus.PENDING:
            turn.refuse("application_not_pending", f"the application is already {application.status.value}")
            return
        if not self._is_legal_rep(turn.profile, application):
            turn.refuse(
                "not_legal_representative",
                "the verified person is not the application's legal representative",
            )
            turn.say(
                Audience.TELLER,
                "not_legal_representative",
                "The person on video is not this company's legal representative; the check cannot go on.",
                application_id=application.id,
            )
            return
        self.application = application
        turn.complete(Step.SELECT_APPLICATION)
        turn.log("flow_application_selected", application=application.masked())
        turn.say(
            Audience.TELLER,
            "application",
            f"Application of {application.company_name}.",
            **application.masked(),
        )
        self._ask(turn)

    # --- questions ----------------------------------------------------------------------------------

    def _values(self, turn: Turn) -> dict[str, str]:
        assert self.application is not None
        return {
            "company": self.application.company_name,
            "representative": turn.profile.customer.name,
            "account_type": _ACCOUNT_TYPE_NAMES[self.application.account_type.value],
        }

    def _wording(self, turn: Turn) -> dict[str, str]:
        """What a page needs to say the script in its own language: the values of the placeholders
        (the account type as its code) and, for the built-in script, that it is that script."""
        assert self.application is not None
        return {
            "company": self.application.company_name,
            "representative": turn.profile.customer.name,
            "account_type": self.application.account_type.value,
            "script": "default" if self.script == DEFAULT_SCRIPT else "bank",
        }

    def _question(self) -> ScriptQuestion:
        return self.script.questions[self.position]

    def _ask(self, turn: Turn) -> None:
        question = self._question()
        text = question.render(self._values(turn))
        position, total = self.position + 1, len(self.script.questions)
        self.answer = None
        turn.log("flow_question_shown", question_id=question.id, position=position, text=text)
        wording = self._wording(turn)
        turn.say(
            Audience.CUSTOMER,
            "question",
            text,
            question_id=question.id,
            position=position,
            total=total,
            **wording,
        )
        turn.say(
            Audience.TELLER,
            "script_question",
            text,
            question_id=question.id,
            position=position,
            total=total,
            expected="yes" if question.expected else "no",
            **wording,
        )

    def _on_answer(self, turn: Turn, event: QuestionAnswered) -> None:
        question = self._question()
        if event.question_id != question.id:
            turn.refuse("wrong_question", "this is not the question on screen")
            return
        self.answer = (event.answer, event.at)
        turn.log("flow_question_answered", question_id=question.id, answer=_yes_no(event.answer))
        turn.say(
            Audience.TELLER,
            "answer_received",
            f"The customer tapped {_yes_no(event.answer)}. Confirm it matches the spoken answer.",
            question_id=question.id,
            answer=_yes_no(event.answer),
        )

    def _on_confirm(self, turn: Turn, event: AnswerConfirmed) -> None:
        question = self._question()
        if event.question_id != question.id:
            turn.refuse("wrong_question", "this is not the question on screen")
            return
        assert self.answer is not None  # the route's ready condition
        answer, answered_at = self.answer
        if not event.confirmed:
            turn.log("flow_answer_disputed", question_id=question.id)
            turn.say(
                Audience.CUSTOMER, "answer_again", "Please answer this question again, on screen and aloud."
            )
            self._ask(turn)
            return
        self.answers[self.position + 1] = WillingnessAnswer(
            self.position + 1,
            question.id,
            question.render(self._values(turn)),
            question.expected,
            answer,
            answered_at,
            turn.at,
            turn.actor,
        )
        turn.log("flow_answer_confirmed", question_id=question.id, answer=_yes_no(answer))
        self.answer = None
        if answer != question.expected:
            reason = f"answer '{_yes_no(answer)}' to question '{question.id}'"
            self._decide(turn, ApplicationStatus.REJECTED, reason)
            return
        if self.position + 1 < len(self.script.questions):
            self.position += 1
            self._ask(turn)
            return
        turn.complete(Step.QUESTIONS)
        statement = self.script.final_confirmation.format_map(self._values(turn))
        turn.say(Audience.CUSTOMER, "final_confirmation", statement, **self._wording(turn))
        turn.say(
            Audience.TELLER,
            "waiting_for_final_confirmation",
            "Waiting for the customer's final confirmation.",
        )

    # --- final confirmation and decisions -------------------------------------------------------------

    def _on_final(self, turn: Turn, event: FinalConfirmation) -> None:
        turn.log("flow_final_confirmation", confirm=event.confirm)
        if event.confirm:
            self._decide(turn, ApplicationStatus.WILLINGNESS_CONFIRMED, None)
        else:
            self._decide(turn, ApplicationStatus.REJECTED, "the legal representative did not confirm")

    def _on_teller_reject(self, turn: Turn, event: WillingnessRejected) -> None:
        try:
            reason = parse_reason(event.reason)
        except InvalidDataError as error:
            turn.refuse("reason_required", error.message)
            return
        turn.log("flow_willingness_rejected_by_teller", reason=reason)
        self._decide(turn, ApplicationStatus.REJECTED, reason)

    def _decide(self, turn: Turn, status: ApplicationStatus, reason: str | None) -> None:
        assert self.application is not None
        turn.issue(
            DecideApplication(
                application_id=self.application.id,
                status=status,
                reason=reason,
                answers=tuple(a for _, a in sorted(self.answers.items())),
            )
        )

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        if isinstance(command, LoadApplication) and isinstance(result, ApplicationLoaded):
            self._on_loaded(turn, result)
        elif isinstance(command, DecideApplication) and isinstance(result, CommandCompleted):
            confirmed = command.status is ApplicationStatus.WILLINGNESS_CONFIRMED
            if confirmed:
                turn.complete(Step.FINAL_CONFIRMATION)
            outcome = "willingness_confirmed" if confirmed else "rejected"
            text = (
                "The account opening is confirmed." if confirmed else "The account opening is not confirmed."
            )
            turn.say(Audience.CUSTOMER, outcome, text)
            turn.say(Audience.TELLER, outcome, text, reason=command.reason)
            turn.finish(
                FlowStatus.COMPLETED, outcome, application_id=command.application_id, reason=command.reason
            )
        else:
            BusinessSteps.on_result(self, turn, command, result)


def _yes_no(answer: bool) -> str:
    return "yes" if answer else "no"
