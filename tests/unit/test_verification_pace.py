"""A slow server: the attempt judges on the frames it actually gets, pauses, and ends ``busy`` — a live
customer is never failed because too few frames were analysed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.unit.test_verification_attempt import CUSTOMER, POLICY, REFERENCE, Customer, envelope
from verification.attempt import Attempt, Output, Paused, Prompt, Resumed
from verification.challenges import Action
from verification.decision import Decision, Outcome, TryResult
from verification.measures import FaceMeasures
from verification.reasons import Reason
from verification.testing import frame, moved

SEQUENCES = [
    (Action.NOD, Action.BLINK, Action.TURN_RIGHT),
    (Action.BLINK, Action.OPEN_MOUTH, Action.TURN_LEFT),
    (Action.TURN_LEFT, Action.NOD, Action.OPEN_MOUTH),
]


@dataclass
class Run:
    decision: Decision
    outputs: list[Output] = field(default_factory=list)

    def of(self, kind: type) -> list[Output]:
        return [o for o in self.outputs if isinstance(o, kind)]


def drive(
    a: Attempt,
    customer: Customer,
    times: Callable[[int], float | None],
    *,
    limit: float = 200.0,
) -> Run:
    """Feed frames at the server times ``times(k)`` (the rate the server manages) until a decision."""
    outputs: list[Output] = []
    k = 0
    while a.decision is None:
        t = times(k)
        k += 1
        if t is None:  # the server analysed nothing then
            continue
        assert t < limit, "the attempt did not decide"
        plan = a.plan(t)
        vector = CUSTOMER(k) if plan.encode else None
        for output in a.feed(t, frame(customer.measures(t), embedding=vector)):
            outputs.append(output)
            if isinstance(output, Prompt):
                customer.prompt(output.action, output.at)
    assert a.decision is not None
    return Run(a.decision, outputs)


def attempt(sequence: tuple[Action, ...], seed: int = 7) -> Attempt:
    return Attempt(
        nonce="nonce-1", policy=POLICY, rng=random.Random(seed), reference=REFERENCE, sequence=sequence
    )


@pytest.mark.parametrize("fps", [8, 5, 4, 3.2])
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_a_live_customer_passes_on_the_frames_a_slow_server_analyses(
    fps: float, sequence: tuple[Action, ...]
) -> None:
    jitter = random.Random(3)
    run = drive(attempt(sequence), Customer(), lambda k: k / fps + jitter.uniform(0, 0.3 / fps))
    assert run.decision.outcome is Outcome.PASS, (
        run.decision.reasons,
        [c.tries for c in run.decision.challenges],
    )
    assert not run.of(Paused)


class LateFirstAnswer(Customer):
    """Answers the first prompt only after its window has closed, the retry at once."""

    def prompt(self, action: Action, at: float) -> None:
        delay = 6.3 if not self.movements else 0.6
        self.movements.append((action, at + delay))


def test_a_late_answer_to_the_first_prompt_is_not_taken_for_an_unprompted_action() -> None:
    run = drive(
        attempt((Action.TURN_LEFT, Action.BLINK, Action.OPEN_MOUTH)), LateFirstAnswer(), lambda k: k / 15
    )
    d = run.decision
    assert d.outcome is Outcome.PASS, d.reasons
    first = d.challenges[0]
    assert [t.result for t in first.tries] == [TryResult.ACTION_NOT_SEEN, TryResult.PASSED]
    assert Reason.UNPROMPTED_ACTION not in d.reasons


class SlowMover(Customer):
    """Turns slowly (3 s to full turn), starting 4.8 s after the prompt: the movement starts inside the
    window and completes a third of a second after it."""

    def measures(self, t: float) -> FaceMeasures:
        turns = [(a, s) for a, s in self.movements if a is Action.TURN_LEFT]
        self.movements = [(a, s) for a, s in self.movements if a is not Action.TURN_LEFT]
        m = super().measures(t)
        self.movements += turns
        e = max((envelope(t, s, 3.0, 0.4, 0.4) for _, s in turns), default=0.0)
        return moved(m, parallax_u=m.parallax_u + 0.15 * e, yaw=m.pose.yaw + 15 * e)

    def prompt(self, action: Action, at: float) -> None:
        self.movements.append((action, at + (4.8 if action is Action.TURN_LEFT else 0.6)))


def test_a_movement_begun_inside_the_window_may_complete_just_after_it() -> None:
    run = drive(attempt((Action.TURN_LEFT, Action.BLINK, Action.OPEN_MOUTH)), SlowMover(), lambda k: k / 15)
    first = run.decision.challenges[0]
    assert run.decision.outcome is Outcome.PASS, run.decision.reasons
    [passed] = first.tries
    assert passed.prompted_at is not None and passed.completed_at is not None
    assert passed.onset is not None and passed.onset < passed.prompted_at + POLICY.challenges.window
    assert passed.completed_at > passed.prompted_at + POLICY.challenges.window + 0.2


def test_a_stall_pauses_the_attempt_and_stops_the_window_then_it_resumes_and_passes() -> None:
    prompts: list[float] = []

    class Stalled(Customer):
        def prompt(self, action: Action, at: float) -> None:
            prompts.append(at)
            # The first answer comes 7 s after the prompt: within the window only because the stall
            # (no frames from 1 s to 5 s after the prompt) did not count.
            self.movements.append((action, at + (7.0 if len(prompts) == 1 else 0.6)))

    def times(k: int) -> float | None:
        t = k / 15
        if prompts and prompts[0] + 1.0 < t < prompts[0] + 5.0:
            return None  # nothing analysed for four seconds
        return t

    run = drive(attempt((Action.TURN_LEFT, Action.BLINK, Action.OPEN_MOUTH)), Stalled(), times)
    d = run.decision
    assert d.outcome is Outcome.PASS, d.reasons
    assert [t.result for t in d.challenges[0].tries] == [TryResult.PASSED]
    [paused] = run.of(Paused)
    assert paused.message and paused.fps < POLICY.pace.min_fps
    assert run.of(Resumed)
    assert d.scores.paused_seconds > 1.0
    assert d.teller_view()["scores"]["paused_seconds"] == pytest.approx(d.scores.paused_seconds, abs=1e-3)


@pytest.mark.parametrize("fps", [1.0, 1.6])
def test_a_server_that_stays_too_slow_ends_the_check_busy_never_failed(fps: float) -> None:
    run = drive(attempt(SEQUENCES[0]), Customer(), lambda k: k / fps)
    d = run.decision
    assert d.outcome is Outcome.BUSY
    assert d.reasons == (Reason.BUSY,)
    assert d.customer_view()["status"] == "busy"
    assert run.of(Paused)
    assert d.scores.paused_seconds > POLICY.pace.max_pause


@dataclass
class QuickBlinker(Customer):
    """Blinks briefly (about 0.1 s closed): at 3 frames/s no frame may catch it."""

    blink_hold: float = 0.02


def test_a_blink_a_sparse_window_could_not_catch_ends_busy_never_failed() -> None:
    outcomes = set()
    for seed in range(8):
        blinker = QuickBlinker(reaction=0.45 + 0.041 * seed)  # the blink falls anywhere between frames
        run = drive(attempt((Action.BLINK, Action.NOD, Action.OPEN_MOUTH), seed), blinker, lambda k: k / 3.0)
        d = run.decision
        assert d.outcome in (Outcome.PASS, Outcome.BUSY), d.reasons
        if d.outcome is Outcome.BUSY:
            [blink] = [c for c in d.challenges if c.action is Action.BLINK]
            assert all(t.result is TryResult.ACTION_NOT_SEEN for t in blink.tries)
            assert all((t.window_fps or 99) < POLICY.challenges.blink_min_fps for t in blink.tries)
        outcomes.add(d.outcome)
    assert Outcome.BUSY in outcomes  # the case this guards actually happens
