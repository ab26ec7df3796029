"""The attempt state machine, driven by fake analyses: challenges, onset rule, passive checks, match."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pytest

from verification.attempt import (
    Attempt,
    ChallengeProgress,
    Decided,
    Guidance,
    Output,
    Phase,
    Prompt,
)
from verification.challenges import Action
from verification.decision import Decision, Outcome, TryResult
from verification.errors import AttemptError
from verification.frame_analysis import FrameAnalysis
from verification.measures import FaceMeasures
from verification.policy import MatchPolicy, VerificationPolicy
from verification.quality import Issue
from verification.reasons import Reason
from verification.testing import embedding, face_measures, frame, moved, person, thumbnail

POLICY = VerificationPolicy()
REFERENCE = embedding(1)
CUSTOMER = person(REFERENCE, 0.2)
FPS = 15


def envelope(t: float, start: float, rise: float, hold: float, fall: float) -> float:
    """0 → 1 → 0 with cosine ramps."""
    u = t - start
    if u <= 0 or u >= rise + hold + fall:
        return 0.0
    if u < rise:
        return 0.5 - 0.5 * math.cos(math.pi * u / rise)
    if u < rise + hold:
        return 1.0
    return 0.5 + 0.5 * math.cos(math.pi * (u - rise - hold) / fall)


@dataclass
class Customer:
    """A fake customer: resting measures plus scripted movements, answering prompts after ``reaction``."""

    rest: FaceMeasures = field(default_factory=face_measures)
    reaction: float = 0.6
    respond: Callable[[Action], Action | None] = lambda action: action
    """Which action to perform when asked (None: do nothing)."""
    movements: list[tuple[Action, float]] = field(default_factory=list)
    blink_depth: float = 0.6
    blink_hold: float = 0.15
    mouth_open: float = 0.35

    def prompt(self, action: Action, at: float) -> None:
        performed = self.respond(action)
        if performed is not None:
            self.movements.append((performed, at + self.reaction))

    def measures(self, t: float) -> FaceMeasures:
        m = self.rest
        u, v, yaw, pitch = m.parallax_u, m.parallax_v, m.pose.yaw, m.pose.pitch
        eye, mouth = m.eye_ratio, m.mouth_opening
        for action, start in self.movements:
            if action is Action.BLINK:
                eye *= 1.0 - self.blink_depth * envelope(t, start, 0.06, self.blink_hold, 0.08)
                continue
            e = envelope(t, start, 0.4, 0.4, 0.4)
            if action is Action.TURN_LEFT:
                u, yaw = u + 0.15 * e, yaw + 15 * e
            elif action is Action.TURN_RIGHT:
                u, yaw = u - 0.15 * e, yaw - 15 * e
            elif action is Action.NOD:
                v, pitch = (
                    v + 0.08 * envelope(t, start, 0.3, 0.1, 0.3),
                    pitch + 10 * envelope(t, start, 0.3, 0.1, 0.3),
                )
            elif action is Action.OPEN_MOUTH:
                mouth += self.mouth_open * e
        return moved(m, parallax_u=u, parallax_v=v, yaw=yaw, pitch=pitch, eye_ratio=eye, mouth_opening=mouth)


@dataclass
class Run:
    decision: Decision
    outputs: list[Output]

    def of(self, kind: type) -> list[Output]:
        return [o for o in self.outputs if isinstance(o, kind)]


def attempt(
    sequence: tuple[Action, ...] = (Action.TURN_LEFT, Action.BLINK, Action.OPEN_MOUTH), **kw: object
) -> Attempt:
    options: dict[str, object] = {"policy": POLICY, "rng": random.Random(7), "reference": REFERENCE}
    options.update(kw)
    return Attempt(nonce="nonce-1", sequence=sequence, **options)  # type: ignore[arg-type]


def drive(
    a: Attempt,
    customer: Customer | None = None,
    *,
    seconds: float = 60.0,
    analysis: Callable[[float, FaceMeasures, npt.NDArray[np.float64] | None], FrameAnalysis] | None = None,
    live: Callable[[float, int], npt.NDArray[np.float64]] | None = None,
) -> Run:
    """Feed frames at 15 fps until the attempt decides; keyframes get embeddings 0.2 from the reference."""
    customer = customer or Customer()
    outputs: list[Output] = []
    k = 0
    while a.decision is None and k < seconds * FPS:
        t = k / FPS
        plan = a.plan(t)
        vector = None
        if plan.encode:
            vector = live(t, k) if live else CUSTOMER(k)
        m = customer.measures(t)
        fa = analysis(t, m, vector) if analysis else frame(m, embedding=vector)
        for output in a.feed(t, fa):
            outputs.append(output)
            if isinstance(output, Prompt):
                customer.prompt(output.action, output.at)
        k += 1
    assert a.decision is not None, "the attempt did not decide"
    return Run(a.decision, outputs)


# --- the happy path ----------


def test_a_live_customer_who_follows_every_prompt_passes() -> None:
    run = drive(attempt())
    d = run.decision
    assert d.outcome is Outcome.PASS, d.reasons
    assert d.reasons == ()
    assert [c.action for c in d.challenges] == [Action.TURN_LEFT, Action.BLINK, Action.OPEN_MOUTH]
    assert all(len(c.tries) == 1 and c.passed for c in d.challenges)
    assert len(d.keyframes) >= POLICY.passive.min_keyframes
    assert d.scores.match is not None and d.scores.match.median == pytest.approx(0.2, abs=0.01)
    prompts = run.of(Prompt)
    assert [p.action for p in prompts] == list(d.sequence)
    assert all(p.deadline == pytest.approx(p.at + 6.0) for p in prompts)
    # Onset: when the movement is halfway to its threshold (interpolated between frames).
    assert all(0.6 < (t.reaction_seconds or 0) < 0.8 for c in d.challenges for t in c.tries)


def test_phases_go_quality_baseline_challenge_deciding_done() -> None:
    run = drive(attempt())
    phases = [o.phase for o in run.outputs if o.type == "phase"]  # type: ignore[union-attr]
    assert phases == [Phase.QUALITY, Phase.BASELINE, Phase.CHALLENGE, Phase.DECIDING, Phase.DONE]


def test_prompts_wait_a_random_pause_so_a_recording_cannot_know_when_they_come() -> None:
    firsts = set()
    for seed in range(8):
        run = drive(attempt(rng=random.Random(seed)))
        first = run.of(Prompt)[0]
        baseline_done = run.decision.baseline.finished_at  # type: ignore[union-attr]
        gap = first.at - baseline_done  # type: ignore[union-attr]
        assert 0.4 - 1e-9 <= gap <= 1.2 + 1 / FPS
        firsts.add(round(gap, 2))
    assert len(firsts) > 3


def test_the_drawn_sequence_has_three_actions_without_immediate_repeats_and_ends_deliberately() -> None:
    seen = set()
    for seed in range(600):
        a = Attempt(nonce="n", policy=POLICY, rng=random.Random(seed), reference=REFERENCE)
        assert len(a.sequence) == 3
        assert all(x != y for x, y in itertools.pairwise(a.sequence))
        assert a.sequence[-1] is not Action.BLINK
        seen.add(a.sequence)
    assert len(seen) == 64


# --- the onset rule and retries ----------


def test_a_response_starting_sooner_than_250_ms_after_its_prompt_is_treated_as_pre_recorded() -> None:
    run = drive(attempt(), Customer(reaction=0.05))
    d = run.decision
    assert d.outcome is Outcome.FAIL
    assert d.reasons[0] is Reason.RESPONSE_TOO_FAST
    assert [t.result for t in d.challenges[0].tries] == [TryResult.RESPONSE_TOO_FAST] * 2
    statuses = [p.status for p in run.of(ChallengeProgress)]  # type: ignore[union-attr]
    assert statuses == ["retry", "failed"]


def test_a_response_starting_300_ms_after_its_prompt_is_accepted() -> None:
    assert drive(attempt(), Customer(reaction=0.3)).decision.outcome is Outcome.PASS


def test_a_blink_already_under_way_at_the_prompt_is_ignored_and_a_later_blink_counts() -> None:
    customer = Customer()
    a = attempt(sequence=(Action.BLINK, Action.TURN_LEFT, Action.NOD))
    original = customer.prompt

    def prompt(action: Action, at: float) -> None:
        if action is Action.BLINK:
            customer.movements.append((Action.BLINK, at - 0.1))  # a spontaneous blink
        original(action, at)

    customer.prompt = prompt  # type: ignore[method-assign]
    d = drive(a, customer).decision
    assert d.outcome is Outcome.PASS
    assert d.challenges[0].tries[0].result is TryResult.PASSED
    assert d.challenges[0].tries[0].reaction_seconds == pytest.approx(0.6, abs=0.07)


def test_a_customer_who_turns_the_wrong_way_first_passes_on_the_retry() -> None:
    asked: list[Action] = []

    def confused(action: Action) -> Action:
        asked.append(action)
        if action is Action.TURN_LEFT and asked.count(action) == 1:
            return Action.TURN_RIGHT
        return action

    run = drive(attempt(), Customer(respond=confused))
    d = run.decision
    assert d.outcome is Outcome.PASS
    first = d.challenges[0]
    assert [t.result for t in first.tries] == [TryResult.WRONG_ACTION, TryResult.PASSED]
    assert first.tries[0].other_action is Action.TURN_RIGHT
    assert [(p.action, p.attempt_try) for p in run.of(Prompt)][:2] == [
        (Action.TURN_LEFT, 1),
        (Action.TURN_LEFT, 2),
    ]  # type: ignore[union-attr]


def test_doing_another_deliberate_action_fails_at_once_without_a_retry() -> None:
    """A person answers with the asked action; a recording answers with its own."""
    d = drive(attempt(), Customer(respond=lambda action: Action.NOD)).decision
    assert d.outcome is Outcome.FAIL
    assert d.reasons[0] is Reason.WRONG_ACTION
    assert [t.result for t in d.challenges[0].tries] == [TryResult.WRONG_ACTION]
    assert d.challenges[0].tries[0].other_action is Action.NOD


def test_turning_the_wrong_way_twice_fails() -> None:
    flipped = {Action.TURN_LEFT: Action.TURN_RIGHT}
    d = drive(attempt(), Customer(respond=lambda action: flipped.get(action, action))).decision
    assert d.reasons[0] is Reason.WRONG_ACTION
    assert [t.result for t in d.challenges[0].tries] == [TryResult.WRONG_ACTION] * 2


def test_blinks_while_asked_for_something_else_never_count_against_the_customer() -> None:
    customer = Customer(blink_hold=0.5)
    original = customer.prompt

    def prompt(action: Action, at: float) -> None:
        customer.movements.append((Action.BLINK, at + 0.3))  # a long blink after every prompt
        original(action, at + 0.5)

    customer.prompt = prompt  # type: ignore[method-assign]
    assert drive(attempt(), customer).decision.outcome is Outcome.PASS


def test_a_deliberate_action_before_its_prompt_counts_as_unprompted() -> None:
    a = attempt()
    customer = Customer(respond=lambda action: None)
    k = 0
    while a.phase is not Phase.CHALLENGE:
        a.feed(k / FPS, frame(customer.measures(k / FPS)))
        k += 1
    customer.movements.append((Action.NOD, k / FPS))  # during the pause before the first prompt
    d = drive_from(a, customer, k)
    (first,) = d.challenges[0].tries
    assert first.result is TryResult.UNPROMPTED_ACTION
    assert first.other_action is Action.NOD
    assert first.prompted_at is None
    assert d.reasons[0] is Reason.UNPROMPTED_ACTION


def drive_from(a: Attempt, customer: Customer, k: int) -> Decision:
    while a.decision is None:
        t = k / FPS
        vector = embedding(k, near=REFERENCE) if a.plan(t).encode else None
        for output in a.feed(t, frame(customer.measures(t), embedding=vector)):
            if isinstance(output, Prompt):
                customer.prompt(output.action, output.at)
        k += 1
    return a.decision


def test_no_action_within_the_six_second_window_fails_after_one_retry() -> None:
    run = drive(attempt(), Customer(respond=lambda action: None))
    d = run.decision
    assert d.outcome is Outcome.FAIL
    assert d.reasons[0] is Reason.ACTION_NOT_SEEN
    prompts = run.of(Prompt)
    assert len(prompts) == 2
    first, second = d.challenges[0].tries
    assert first.ended_at - (first.prompted_at or 0) == pytest.approx(6.0, abs=1.5 / FPS)
    assert second.ended_at - (second.prompted_at or 0) == pytest.approx(6.0, abs=1.5 / FPS)


def test_a_turn_that_flattens_the_face_without_moving_the_nose_is_a_flat_picture() -> None:
    """A photo turned in front of the camera foreshortens (and fools solvePnP) but shows no parallax."""

    def flat_turn(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        return frame(moved(m, aspect=m.aspect * (1 + 0.2 * (m.pose.yaw / 15))), embedding=vector)

    customer = Customer()

    def photo(action: Action, at: float) -> None:
        customer.movements.append((Action.TURN_LEFT, at + 0.6))

    customer.prompt = photo  # type: ignore[method-assign]
    original = customer.measures
    customer.measures = lambda t: moved(original(t), parallax_u=0.0)  # type: ignore[method-assign]
    d = drive(attempt(), customer, analysis=flat_turn).decision
    assert d.outcome is Outcome.FAIL
    assert d.reasons[0] is Reason.NO_PARALLAX
    assert [t.result for t in d.challenges[0].tries] == [TryResult.NO_PARALLAX] * 2


# --- relative thresholds ----------


@pytest.mark.parametrize(
    ("eye_ratio", "mouth_at_rest"),
    [(0.19, 0.02), (0.36, 0.02), (0.28, 0.30)],
    ids=["narrow-eyes", "wide-eyes", "smiling-open-lips"],
)
def test_thresholds_are_relative_to_the_customers_own_resting_face(
    eye_ratio: float, mouth_at_rest: float
) -> None:
    rest = face_measures(eye_ratio=eye_ratio, mouth_opening=mouth_at_rest)
    run = drive(
        attempt(sequence=(Action.BLINK, Action.OPEN_MOUTH, Action.BLINK)),
        Customer(rest=rest, blink_depth=0.4),
    )
    assert run.decision.outcome is Outcome.PASS
    baseline = run.decision.baseline
    assert baseline is not None
    assert baseline.eye_ratio == pytest.approx(eye_ratio)
    assert baseline.mouth_opening == pytest.approx(mouth_at_rest)


def test_a_shallow_eye_movement_is_not_a_blink() -> None:
    """A 15 % dip of the eye ratio (a glance, a squint) is not a blink for anyone."""
    run = drive(attempt(sequence=(Action.BLINK, Action.OPEN_MOUTH, Action.BLINK)), Customer(blink_depth=0.15))
    assert run.decision.reasons[0] is Reason.ACTION_NOT_SEEN


def test_the_blink_threshold_follows_policy() -> None:
    policy = replace(POLICY, challenges=replace(POLICY.challenges, blink_closed=0.9, blink_open=0.95))
    run = drive(
        attempt(sequence=(Action.BLINK, Action.OPEN_MOUTH, Action.BLINK), policy=policy),
        Customer(blink_depth=0.15),
    )
    assert run.decision.outcome is Outcome.PASS


# --- passive checks ----------


def test_identical_frames_are_a_static_injection() -> None:
    still = thumbnail(seed=5)

    def same_picture(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        return frame(m, embedding=vector, picture=still)

    d = drive(attempt(), analysis=same_picture).decision
    assert d.outcome is Outcome.FAIL
    assert d.reasons[0] is Reason.STATIC_FRAMES
    assert d.seconds < 1.5


def test_frames_that_come_back_at_a_fixed_lag_are_a_loop() -> None:
    pictures = [thumbnail(seed=100 + i) for i in range(int(1.6 * FPS))]
    clock = iter(range(10_000))

    def looped(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        return frame(m, embedding=vector, picture=pictures[next(clock) % len(pictures)])

    d = drive(attempt(), analysis=looped).decision
    assert d.reasons[0] is Reason.LOOPED_VIDEO
    assert d.scores.loop_repeats >= POLICY.passive.loop_repeats


def test_a_face_that_jumps_between_frames_breaks_the_track() -> None:
    def cut(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        if t >= 4.0:
            m = moved(m, center_x=m.center_x + 150)
        return frame(m, embedding=vector)

    d = drive(attempt(), analysis=cut).decision
    assert d.reasons[0] is Reason.FACE_TRACK_BROKEN
    assert d.scores.largest_jump > POLICY.passive.jump


def test_a_face_gone_for_longer_than_allowed_fails_and_a_short_loss_does_not() -> None:
    def gone(
        start: float, length: float
    ) -> Callable[[float, FaceMeasures, npt.NDArray[np.float64] | None], FrameAnalysis]:
        def make(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
            if start <= t < start + length:
                return frame(face=False)
            return frame(m, embedding=vector)

        return make

    assert drive(attempt(), analysis=gone(4.0, 3.0)).decision.reasons[0] is Reason.FACE_LOST
    assert drive(attempt(), analysis=gone(4.0, 0.5)).decision.outcome is Outcome.PASS


def test_a_second_face_in_two_full_scans_fails() -> None:
    def crowd(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        return frame(m, embedding=vector, face_count=2 if t > 3.0 else 1)

    d = drive(attempt(), analysis=crowd).decision
    assert d.reasons[0] is Reason.MULTIPLE_FACES
    assert d.scores.scans_with_several_faces == POLICY.passive.extra_face_scans


def test_keyframes_of_two_different_people_fail_identity_continuity() -> None:
    other = embedding(99)

    first, second = person(REFERENCE, 0.2), person(other, 0.2, seed=1)

    def switch(t: float, k: int) -> npt.NDArray[np.float64]:
        return first(k) if t < 4.5 else second(k)

    d = drive(attempt(reference=None), live=switch).decision
    assert d.reasons[0] is Reason.IDENTITY_CHANGED
    assert d.scores.identity_spread is not None and d.scores.identity_spread > POLICY.passive.identity_spread


# --- face match ----------


@pytest.mark.parametrize(
    ("distance", "outcome", "reasons"),
    [
        (0.30, Outcome.PASS, ()),
        (0.50, Outcome.REVIEW, (Reason.MATCH_UNCERTAIN,)),
        (0.58, Outcome.FAIL, (Reason.FACE_MISMATCH,)),
    ],
)
def test_the_median_keyframe_distance_to_the_reference_decides_the_match(
    distance: float, outcome: Outcome, reasons: tuple[Reason, ...]
) -> None:
    live = person(REFERENCE, distance)
    d = drive(attempt(), live=lambda t, k: live(k)).decision
    assert d.outcome is outcome
    assert d.reasons == reasons
    assert d.scores.match is not None and d.scores.match.median == pytest.approx(distance, abs=0.01)


def test_match_thresholds_are_configurable() -> None:
    policy = replace(POLICY, match=MatchPolicy(accept=0.25, review=0.35, early_reject=0.6))
    live = person(REFERENCE, 0.3)
    d = drive(attempt(policy=policy), live=lambda t, k: live(k)).decision
    assert d.outcome is Outcome.REVIEW


def test_an_obvious_impostor_is_rejected_after_three_keyframes_without_sitting_through_the_challenges() -> (
    None
):
    impostor = person(REFERENCE, 0.8)
    d = drive(attempt(), live=lambda t, k: impostor(k)).decision
    assert d.reasons == (Reason.FACE_MISMATCH,)  # named once (the teller panel listed it twice)
    assert [r["code"] for r in d.teller_view()["reasons"]] == ["face_mismatch"]
    assert len(d.keyframes) == POLICY.match.early_keyframes
    assert d.seconds < 4.0


def test_without_a_reference_a_live_customer_goes_to_review() -> None:
    d = drive(attempt(reference=None)).decision
    assert d.outcome is Outcome.REVIEW
    assert d.reasons == (Reason.NO_REFERENCE,)


# --- quality phase ----------


def test_the_customer_is_guided_until_the_picture_is_usable() -> None:
    def far_then_near(t: float, m: FaceMeasures, vector: npt.NDArray[np.float64] | None) -> FrameAnalysis:
        if t < 2.0:
            return frame(face=False)
        if t < 7.5:
            return frame(moved(m, eye_distance=40.0), embedding=vector)
        return frame(m, embedding=vector)

    run = drive(attempt(), analysis=far_then_near)
    guidance = run.of(Guidance)
    issues = [g.issue for g in guidance]  # type: ignore[union-attr]
    assert issues[0] is Issue.NO_FACE
    assert Issue.TOO_FAR in issues
    assert issues.count(Issue.TOO_FAR) == 2  # at 2 s and repeated once 3 s later, not every frame
    assert all(g.message for g in guidance)  # type: ignore[union-attr]
    assert run.decision.outcome is Outcome.PASS


def test_no_usable_face_for_25_seconds_fails() -> None:
    d = drive(attempt(), analysis=lambda t, m, v: frame(face=False)).decision
    assert d.reasons == (Reason.NO_USABLE_FACE,)
    assert d.seconds == pytest.approx(25.0, abs=0.1)


# --- protocol of the attempt ----------


def test_an_attempt_is_single_use() -> None:
    a = attempt()
    drive(a)
    with pytest.raises(AttemptError, match="already decided"):
        a.feed(100.0, frame())


def test_frames_must_arrive_in_time_order() -> None:
    a = attempt()
    a.feed(1.0, frame())
    with pytest.raises(AttemptError, match="time order"):
        a.feed(0.5, frame())


def test_an_attempt_needs_its_nonce() -> None:
    with pytest.raises(AttemptError):
        Attempt(nonce="", policy=POLICY, rng=random.Random(1), reference=None)


def test_aborting_fails_the_attempt_once() -> None:
    a = attempt()
    a.feed(0.0, frame())
    outputs = a.abort(1.0)
    decided = [o for o in outputs if isinstance(o, Decided)]
    assert decided[0].decision.reasons == (Reason.ABORTED,)
    assert a.abort(2.0) == []


def test_embeddings_are_planned_once_per_keyframe_interval_up_to_the_maximum() -> None:
    a = attempt()
    run = drive(a, Customer(respond=lambda action: None))
    times = [k.at for k in run.decision.keyframes]
    assert len(times) == POLICY.passive.max_keyframes
    assert all(b - a >= POLICY.passive.keyframe_interval - 1e-9 for a, b in itertools.pairwise(times))


def test_what_the_customer_and_the_teller_see() -> None:
    d = drive(attempt()).decision
    assert d.customer_view() == {"status": "passed", "message": "Thank you, your identity is confirmed."}
    view = d.teller_view()
    text = json.dumps(view)
    assert view["outcome"] == "pass"
    assert len(view["challenges"]) == 3
    assert "nonce" not in text and "embedding" not in text
    failed = drive(attempt(), Customer(respond=lambda action: None)).decision
    assert failed.customer_view() == {
        "status": "failed",
        "message": "Please follow each instruction when it appears and try again.",
    }
    review = drive(attempt(reference=None)).decision
    assert review.customer_view()["status"] == "teller_check"
    assert "distance" not in json.dumps(review.customer_view())
