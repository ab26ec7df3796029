"""Action detectors on baseline-relative signals: what counts as each action, and its onset."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from verification.challenges import (
    PROMPTS,
    Action,
    ActionDetectors,
    ActionEvent,
    Signals,
    Smoother,
    at_rest,
    draw_sequence,
)
from verification.policy import ChallengePolicy

POLICY = ChallengePolicy()
FPS = 15


def rest(t: float, **changes: float) -> Signals:
    values = {
        "eye": 1.0,
        "mouth": 0.0,
        "du": 0.0,
        "dv": 0.0,
        "dyaw": 0.0,
        "dpitch": 0.0,
        "foreshortening": 0.0,
    }
    values.update(changes)
    return Signals(t=t, **values)


def bump(t: float, start: float, rise: float = 0.3, hold: float = 0.3, fall: float = 0.3) -> float:
    u = t - start
    if u <= 0 or u >= rise + hold + fall:
        return 0.0
    if u < rise:
        return 0.5 - 0.5 * math.cos(math.pi * u / rise)
    if u < rise + hold:
        return 1.0
    return 0.5 + 0.5 * math.cos(math.pi * (u - rise - hold) / fall)


def run(shape: Callable[[float], Signals], seconds: float = 3.0) -> list[ActionEvent]:
    detectors = ActionDetectors(POLICY)
    events: list[ActionEvent] = []
    for k in range(int(seconds * FPS)):
        events += detectors.update(shape(k / FPS))
    return events


def test_sequences_are_drawn_without_immediate_repeats_and_never_end_with_a_blink() -> None:
    rng = random.Random(3)
    counts: dict[tuple[Action, ...], int] = {}
    for _ in range(6400):
        sequence = draw_sequence(rng)
        assert len(sequence) == 3
        assert sequence[0] != sequence[1] and sequence[1] != sequence[2]
        assert sequence[2] is not Action.BLINK
        counts[sequence] = counts.get(sequence, 0) + 1
    assert len(counts) == 64  # 80 sequences without immediate repeats, 16 of them end with a blink
    assert all(60 < n < 150 for n in counts.values()), counts  # 100 each, uniformly
    assert set(PROMPTS) == set(Action)


def test_the_same_seed_draws_the_same_sequence() -> None:
    assert draw_sequence(random.Random(42), 3) == draw_sequence(random.Random(42), 3)


def test_a_turn_needs_nose_parallax_and_a_pose_change_in_the_same_direction() -> None:
    left = run(lambda t: rest(t, du=0.15 * bump(t, 1.0), dyaw=15 * bump(t, 1.0)))
    assert [e.action for e in left] == [Action.TURN_LEFT]
    right = run(lambda t: rest(t, du=-0.15 * bump(t, 1.0), dyaw=-15 * bump(t, 1.0)))
    assert [e.action for e in right] == [Action.TURN_RIGHT]
    # Parallax without solvePnP agreeing (landmark noise), or the pose without parallax (a flat photo).
    assert run(lambda t: rest(t, du=0.15 * bump(t, 1.0), dyaw=-3 * bump(t, 1.0))) == []
    assert run(lambda t: rest(t, du=0.01 * bump(t, 1.0), dyaw=20 * bump(t, 1.0))) == []


def test_the_onset_is_when_the_movement_passes_half_its_threshold() -> None:
    (event,) = run(lambda t: rest(t, du=0.16 * bump(t, 1.0, rise=0.4), dyaw=15 * bump(t, 1.0, rise=0.4)))
    # du = 0.16 * bump crosses 0.04 (half of 0.08) when bump = 0.25, i.e. 0.4 * acos(0.5) / pi = 0.133 s in.
    assert event.onset == pytest.approx(1.133, abs=0.01)
    assert event.completed_at > event.onset
    assert event.peak >= POLICY.turn_parallax


def test_a_nod_goes_down_and_comes_back() -> None:
    nod = run(
        lambda t: rest(t, dv=0.08 * bump(t, 1.0, 0.3, 0.1, 0.3), dpitch=12 * bump(t, 1.0, 0.3, 0.1, 0.3))
    )
    assert [e.action for e in nod] == [Action.NOD]
    looking_down = run(lambda t: rest(t, dv=0.08 if t > 1 else 0.0, dpitch=12 if t > 1 else 0.0), seconds=5)
    assert looking_down == []


def test_an_open_mouth_is_measured_from_the_customers_own_resting_mouth() -> None:
    assert [e.action for e in run(lambda t: rest(t, mouth=0.3 * bump(t, 1.0)))] == [Action.OPEN_MOUTH]
    assert run(lambda t: rest(t, mouth=0.15 * bump(t, 1.0))) == []


def test_a_blink_closes_and_reopens_within_a_second() -> None:
    blink = run(lambda t: rest(t, eye=1.0 - 0.5 * bump(t, 1.0, 0.1, 0.15, 0.15)))
    assert [e.action for e in blink] == [Action.BLINK]
    closed_for_long = run(lambda t: rest(t, eye=0.5 if 1.0 < t < 2.5 else 1.0), seconds=4)
    assert closed_for_long == []


def test_eyes_narrowed_by_a_tilted_picture_are_not_a_blink() -> None:
    """A photo flicked forwards flattens the whole face; a real blink does not."""
    tilt = run(
        lambda t: rest(
            t,
            eye=1.0 - 0.5 * bump(t, 1.0, 0.1, 0.15, 0.15),
            foreshortening=0.15 * bump(t, 1.0, 0.1, 0.15, 0.15),
        )
    )
    assert tilt == []


def test_a_completed_action_must_return_towards_rest_before_it_counts_again() -> None:
    def twice(t: float) -> Signals:
        level = bump(t, 1.0) + bump(t, 2.2)
        return rest(t, du=0.15 * min(level, 1.0), dyaw=15 * min(level, 1.0))

    assert [e.action for e in run(twice, seconds=4)] == [Action.TURN_LEFT, Action.TURN_LEFT]
    held = run(lambda t: rest(t, du=0.15 if t > 1 else 0.0, dyaw=15 if t > 1 else 0.0), seconds=4)
    assert len(held) == 1


def test_smoothing_removes_single_frame_spikes_and_keeps_the_middle_frames_time() -> None:
    smoother = Smoother()
    out = [smoother.push(rest(k / FPS, du=0.3 if k == 5 else 0.0)) for k in range(10)]
    assert max(s.du for s in out) == 0.0
    assert out[4].t == pytest.approx(3 / FPS)


def test_at_rest_means_every_movement_below_its_onset_level() -> None:
    assert at_rest(rest(0.0), POLICY)
    assert not at_rest(rest(0.0, du=0.05), POLICY)
    assert not at_rest(rest(0.0, dv=0.03), POLICY)
    assert not at_rest(rest(0.0, mouth=0.15), POLICY)
    assert not at_rest(rest(0.0, eye=0.6), POLICY)
