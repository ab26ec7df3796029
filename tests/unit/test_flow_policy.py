"""The policy gate on its own: every refusal it can give, from recorded facts alone."""

from __future__ import annotations

import pytest

from video_bank.core_banking import demo
from video_bank.core_banking.models import CustomerProfile
from video_bank.flows.policy import ConsentRecord, Facts, ReviewResolution, VerificationRecord, check
from video_bank.flows.steps import COMMON_STEPS, Step

SESSION = "sess_1"
PROFILE = CustomerProfile(demo.PENSIONER, (demo.PENSIONER_CARD,))
BEFORE_SET_PIN = (*COMMON_STEPS, Step.CONFIRM_CARD)


def facts(**fields: object) -> Facts:
    base: dict[str, object] = {
        "consent": ConsentRecord(True, True, 1.0),
        "profile": PROFILE,
        "verification": VerificationRecord("pass", SESSION, demo.PENSIONER.id, 2.0),
        "completed": {*COMMON_STEPS, Step.CONFIRM_CARD},
    }
    return Facts(SESSION, **(base | fields))  # type: ignore[arg-type]


def code(f: Facts, before: tuple[Step, ...] = BEFORE_SET_PIN) -> str | None:
    refusal = check(f, before)
    return refusal.code if refusal else None


def test_everything_recorded_passes() -> None:
    assert check(facts(), BEFORE_SET_PIN) is None
    assert check(Facts(SESSION), ()) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"consent": None}, "consent_required"),
        ({"consent": ConsentRecord(True, False, 1.0)}, "consent_refused"),
        ({"consent": ConsentRecord(False, True, 1.0)}, "consent_refused"),
        ({"profile": None}, "identification_required"),
        ({"verification": None}, "verification_required"),
        (
            {"verification": VerificationRecord("fail", SESSION, demo.PENSIONER.id, 2.0)},
            "verification_failed",
        ),
        (
            {"verification": VerificationRecord("review", SESSION, demo.PENSIONER.id, 2.0)},
            "verification_review_pending",
        ),
        (
            {
                "verification": VerificationRecord(
                    "review",
                    SESSION,
                    demo.PENSIONER.id,
                    2.0,
                    resolution=ReviewResolution(False, "no", "t", 3.0),
                )
            },
            "verification_failed",
        ),
        (
            {"verification": VerificationRecord("pass", "sess_2", demo.PENSIONER.id, 2.0)},
            "verification_mismatch",
        ),
        (
            {"verification": VerificationRecord("pass", SESSION, demo.ACCOUNT_HOLDER.id, 2.0)},
            "verification_mismatch",
        ),
        ({"completed": set(COMMON_STEPS)}, "step_required"),
    ],
)
def test_each_unmet_requirement_is_named(fields: dict[str, object], expected: str) -> None:
    assert code(facts(**fields)) == expected


def test_a_review_accepted_by_the_teller_passes() -> None:
    accepted = VerificationRecord(
        "review", SESSION, demo.PENSIONER.id, 2.0, resolution=ReviewResolution(True, "photo is old", "t", 3.0)
    )
    assert code(facts(verification=accepted)) is None


def test_the_first_unmet_requirement_in_flow_order_is_reported() -> None:
    nothing = Facts(SESSION)
    assert code(nothing) == "consent_required"
    refusal = check(facts(completed=set(COMMON_STEPS)), BEFORE_SET_PIN)
    assert refusal is not None and refusal.step is Step.CONFIRM_CARD


def test_the_gate_reads_facts_not_the_completed_set_for_the_common_steps() -> None:
    # Marking the common steps completed proves nothing without the facts behind them.
    assert code(facts(consent=None, completed={*COMMON_STEPS, Step.CONFIRM_CARD})) == "consent_required"
    assert code(facts(verification=None)) == "verification_required"


def test_an_unrecorded_session_may_take_the_consent_and_nothing_after_it() -> None:
    assert check(facts(recorded=False), ()) is None  # the first step (consent) has nothing before it
    assert code(facts(recorded=False), (Step.CONSENT,)) == "not_recorded"
    assert code(facts(recorded=False)) == "not_recorded"
