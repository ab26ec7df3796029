"""Corporate legal-representative willingness check: the application, the scripted questions (answer on
the phone, confirmed by the teller), the final confirmation, and every way it is refused or rejected."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.test_flow_common import ACCOUNT_HOLDER_ID, LEGAL_REP_ID, Bank, Driver, Reply
from video_bank.core_banking import demo
from video_bank.core_banking.models import ApplicationStatus, CorporateApplication
from video_bank.flows.commands import DecideApplication
from video_bank.flows.inputs import (
    AnswerConfirmed,
    ApplicationChosen,
    FinalConfirmation,
    QuestionAnswered,
    WillingnessRejected,
)
from video_bank.flows.outputs import Audience
from video_bank.flows.script import DEFAULT_SCRIPT, ScriptQuestion, WillingnessScript
from video_bank.flows.steps import Actor, FlowStatus, Step

APP = demo.APPLICATION.id
QUESTIONS = [q.id for q in DEFAULT_SCRIPT.questions]


def selected(bank: Bank | None = None, script: WillingnessScript = DEFAULT_SCRIPT) -> Driver:
    driver = Driver("corporate_willingness", bank=bank, script=script)
    driver.verified(LEGAL_REP_ID)
    reply = driver.teller(ApplicationChosen, application_id=APP)
    assert reply.code is None, reply.code
    return driver


def answer(driver: Driver, question_id: str, yes: bool = True, confirmed: bool = True) -> Reply:
    tapped = driver.customer(QuestionAnswered, question_id=question_id, answer=yes)
    assert tapped.code is None, tapped.code
    return driver.teller(AnswerConfirmed, question_id=question_id, confirmed=confirmed)


def application(driver: Driver) -> CorporateApplication:
    return driver.bank.applications[APP]


def test_willingness_confirmed_end_to_end_records_every_question_answer_and_time() -> None:
    driver = selected()
    shown = [e for e in driver.log if e.kind == "flow_question_shown"]
    assert [e.data["question_id"] for e in shown] == QUESTIONS[:1]
    assert "Liu Min" in str(shown[0].data["text"]) and "Ningxia Helan Trading" in str(shown[0].data["text"])
    for question_id in QUESTIONS:
        reply = answer(driver, question_id)
        assert reply.code is None
    assert driver.flow.step is Step.FINAL_CONFIRMATION
    final = driver.customer(FinalConfirmation, confirm=True)
    (command,) = final.commands
    assert isinstance(command, DecideApplication)
    assert command.status is ApplicationStatus.WILLINGNESS_CONFIRMED
    assert [a.question_id for a in command.answers] == QUESTIONS
    assert all(a.answer and a.expected and a.confirmed_by == "teller1" for a in command.answers)
    assert all(a.answered_at < a.confirmed_at for a in command.answers)
    assert application(driver).status is ApplicationStatus.WILLINGNESS_CONFIRMED
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "willingness_confirmed")
    kinds = [e.kind for e in driver.log]
    for name in ("flow_question_shown", "flow_question_answered", "flow_answer_confirmed"):
        assert kinds.count(name) == len(QUESTIONS)
    assert all(isinstance(e.at, float) for e in driver.log)
    assert set(driver.step_states().values()) == {"done"}


def test_each_question_is_shown_to_both_sides_with_what_the_teller_expects() -> None:
    driver = Driver("corporate_willingness")
    driver.verified(LEGAL_REP_ID)
    reply = driver.teller(ApplicationChosen, application_id=APP)
    question = reply.message(Audience.CUSTOMER, "question")
    script = reply.message(Audience.TELLER, "script_question")
    assert question.text == script.text
    assert question.data == {
        "question_id": QUESTIONS[0],
        "position": 1,
        "total": len(QUESTIONS),
        # what a page needs to ask it in its own language: the values and that the script is built in
        "company": "Ningxia Helan Trading Co., Ltd.",
        "representative": demo.LEGAL_REP.name,
        "account_type": "basic",
        "script": "default",
    }
    assert script.data["expected"] == "yes"
    assert driver.flow.expected() == {
        (Actor.CUSTOMER, "question_answered"),
        (Actor.TELLER, "willingness_rejected"),
        (Actor.TELLER, "cancelled"),
    }


def test_the_verified_person_must_be_the_legal_representative() -> None:
    driver = Driver("corporate_willingness")
    before = driver.bank.snapshot()
    driver.verified(ACCOUNT_HOLDER_ID)
    reply = driver.teller(ApplicationChosen, application_id=APP)
    assert reply.code == "not_legal_representative"
    assert "not_legal_representative" in reply.said(Audience.TELLER)
    assert driver.flow.step is Step.SELECT_APPLICATION
    assert driver.customer(QuestionAnswered, question_id=QUESTIONS[0], answer=True).code == "step_required"
    assert driver.customer(FinalConfirmation, confirm=True).code == "step_required"
    assert driver.bank.snapshot() == before


def test_the_gate_refuses_the_questions_if_the_application_is_not_the_verified_persons() -> None:
    driver = selected()
    steps = driver.flow.business_steps
    assert driver.flow.gate(Step.QUESTIONS) is None
    steps.application = dataclasses.replace(demo.APPLICATION, legal_rep=demo.ACCOUNT_HOLDER.resident_id)  # type: ignore[attr-defined]
    refusal = driver.flow.gate(Step.QUESTIONS)
    assert refusal is not None and refusal.code == "not_legal_representative"
    assert (
        driver.customer(QuestionAnswered, question_id=QUESTIONS[0], answer=True).code
        == "not_legal_representative"
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": ApplicationStatus.REJECTED, "reason": "earlier"}, "application_not_pending"),
        (None, "application_not_found"),
    ],
)
def test_an_unknown_or_decided_application_cannot_be_checked(
    change: dict[str, object] | None, code: str
) -> None:
    bank = Bank.demo()
    if change is None:
        del bank.applications[APP]
    else:
        bank.applications[APP] = dataclasses.replace(demo.APPLICATION, **change)  # type: ignore[arg-type]
    driver = Driver("corporate_willingness", bank=bank)
    driver.verified(LEGAL_REP_ID)
    assert driver.teller(ApplicationChosen, application_id=APP).code == code
    assert driver.teller(ApplicationChosen, application_id="bad id!").code == "application_not_found"


def test_a_no_where_yes_is_expected_rejects_the_application_with_the_reason() -> None:
    driver = selected()
    answer(driver, QUESTIONS[0])
    reply = answer(driver, QUESTIONS[1], yes=False)
    (command,) = reply.commands
    assert isinstance(command, DecideApplication)
    assert [a.question_id for a in command.answers] == QUESTIONS[:2]
    decided = application(driver)
    assert decided.status is ApplicationStatus.REJECTED
    assert decided.reason == f"answer 'no' to question '{QUESTIONS[1]}'"
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "rejected")
    assert driver.step_states()["questions"] == "failed"
    assert driver.customer(QuestionAnswered, question_id=QUESTIONS[2], answer=True).code == "flow_finished"


def test_a_disputed_answer_asks_the_same_question_again() -> None:
    driver = selected()
    disputed = answer(driver, QUESTIONS[0], yes=False, confirmed=False)
    assert disputed.code is None
    assert "answer_again" in disputed.said(Audience.CUSTOMER)
    assert disputed.message(Audience.CUSTOMER, "question").data["question_id"] == QUESTIONS[0]
    assert application(driver).status is ApplicationStatus.PENDING
    assert (
        answer(driver, QUESTIONS[0]).message(Audience.CUSTOMER, "question").data["question_id"]
        == QUESTIONS[1]
    )


def test_the_customer_may_change_the_tap_until_the_teller_confirms() -> None:
    driver = selected()
    driver.customer(QuestionAnswered, question_id=QUESTIONS[0], answer=False)
    driver.customer(QuestionAnswered, question_id=QUESTIONS[0], answer=True)
    driver.teller(AnswerConfirmed, question_id=QUESTIONS[0], confirmed=True)
    assert application(driver).status is ApplicationStatus.PENDING
    assert driver.flow.business_steps.answers[1].answer is True  # type: ignore[attr-defined]


def test_answers_must_be_for_the_question_on_screen_and_confirmed_after_the_tap() -> None:
    driver = selected()
    assert driver.teller(AnswerConfirmed, question_id=QUESTIONS[0], confirmed=True).code == "out_of_order"
    assert driver.customer(QuestionAnswered, question_id=QUESTIONS[1], answer=True).code == "wrong_question"
    driver.customer(QuestionAnswered, question_id=QUESTIONS[0], answer=True)
    assert driver.teller(AnswerConfirmed, question_id=QUESTIONS[1], confirmed=True).code == "wrong_question"
    assert driver.teller(QuestionAnswered, question_id=QUESTIONS[0], answer=True).code == "wrong_actor"
    assert driver.customer(AnswerConfirmed, question_id=QUESTIONS[0], confirmed=True).code == "wrong_actor"


def test_the_final_confirmation_needs_every_question_first() -> None:
    driver = selected()
    answer(driver, QUESTIONS[0])
    reply = driver.customer(FinalConfirmation, confirm=True)
    assert (reply.code, reply.refusal and reply.refusal.step) == ("step_required", Step.QUESTIONS)
    assert application(driver).status is ApplicationStatus.PENDING


def test_no_final_confirmation_rejects_the_application() -> None:
    driver = selected()
    for question_id in QUESTIONS:
        answer(driver, question_id)
    driver.customer(FinalConfirmation, confirm=False)
    assert application(driver).status is ApplicationStatus.REJECTED
    assert application(driver).reason == "the legal representative did not confirm"
    assert driver.flow.outcome == "rejected"


@pytest.mark.parametrize("at_final", [False, True])
def test_the_teller_may_reject_with_a_reason_during_the_check(at_final: bool) -> None:
    driver = selected()
    if at_final:
        for question_id in QUESTIONS:
            answer(driver, question_id)
    assert driver.teller(WillingnessRejected, reason="   ").code == "reason_required"
    reply = driver.teller(WillingnessRejected, reason="someone off camera is prompting the answers")
    assert reply.code is None
    assert application(driver).reason == "someone off camera is prompting the answers"
    assert driver.flow.outcome == "rejected"


def test_the_teller_cannot_reject_before_the_application_is_chosen() -> None:
    driver = Driver("corporate_willingness")
    driver.verified(LEGAL_REP_ID)
    assert driver.teller(WillingnessRejected, reason="no").code == "step_required"


def test_a_custom_script_is_followed_including_a_question_expecting_no() -> None:
    script = WillingnessScript(
        (
            ScriptQuestion("role", "Are you the legal representative of {company}?"),
            ScriptQuestion("third_party", "Is anyone else paying you to open this account?", expected=False),
        ),
        "I confirm.",
    )
    driver = selected(script=script)
    answer(driver, "role")
    answer(driver, "third_party", yes=False)
    driver.customer(FinalConfirmation, confirm=True)
    assert application(driver).status is ApplicationStatus.WILLINGNESS_CONFIRMED
    driver = selected(script=script)
    answer(driver, "role")
    answer(driver, "third_party", yes=True)
    assert application(driver).status is ApplicationStatus.REJECTED
