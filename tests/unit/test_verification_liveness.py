"""End to end on synthetic clips with the real analyser: a live customer passes, and each attack
species is rejected for its own reason.

The server side is the real :class:`~verification.attempt.Attempt`; the camera is a synthetic
scenario that reacts to prompts like the evaluation harness's (``python -m verification.evaluate``).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.faces import face_path
from verification.challenges import Action
from verification.evaluate import Simulation, Spec
from verification.synth.attacks import LoopAttack, RecordedClip, script_for
from verification.testing import shared_analyzer

CHALLENGE_REASONS = {"wrong_action", "unprompted_action", "action_not_seen", "response_too_fast"}


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png", "t1.jpg"):
        face_path(name)
    return Simulation(face_path("obama.jpg").parent, analyzer=shared_analyzer())


def spec(species: str, identity: str = "obama", performer: str | None = None, seed: int = 11) -> Spec:
    return Spec(species, 0, seed, identity, performer or identity)


@pytest.mark.parametrize(("identity", "seed"), [("obama", 11), ("biden", 12)])
def test_a_live_customer_who_follows_the_prompts_passes(
    simulation: Simulation, identity: str, seed: int
) -> None:
    result = simulation.run(spec("genuine", identity, seed=seed))
    assert result.outcome == "pass", (result.reasons, result.tries)
    assert result.match is not None and result.match <= 0.40
    assert result.decision is not None and len(result.decision.keyframes) >= 5
    assert result.seconds < 15


def test_a_printed_photo_turned_to_mimic_a_head_turn_is_rejected_as_a_flat_picture(
    simulation: Simulation,
) -> None:
    result = simulation.run(spec("photo", seed=21), sequence=(Action.TURN_LEFT, Action.BLINK, Action.NOD))
    assert result.outcome == "fail"
    assert result.reasons[0] == "no_parallax", result.tries


def test_a_printed_photo_cannot_open_its_mouth(simulation: Simulation) -> None:
    result = simulation.run(spec("photo", seed=21), sequence=(Action.OPEN_MOUTH, Action.BLINK, Action.NOD))
    assert result.outcome == "fail"
    assert result.reasons[0] in {"action_not_seen", "no_parallax"}, result.tries


def test_a_replayed_recording_of_the_customer_fails_the_challenges(simulation: Simulation) -> None:
    result = simulation.run(spec("replay", seed=22))
    assert result.outcome == "fail"
    assert result.reasons[0] in CHALLENGE_REASONS, result.tries


def test_a_static_injection_is_caught_within_about_a_second(simulation: Simulation) -> None:
    result = simulation.run(spec("static", seed=23))
    assert result.reasons == ["static_frames"]
    assert result.seconds < 2.0


def test_a_looped_recording_is_caught_as_a_loop(simulation: Simulation) -> None:
    rng = np.random.default_rng(1)
    clip = RecordedClip(
        simulation.cast.rig("obama"), 24, script_for([Action.NOD], rng, first=(5.0, 5.0)), key="idle"
    )
    result = simulation.run(spec("loop", seed=24), lambda asked: LoopAttack(clip, start=0.5, length=1.5))
    assert result.outcome == "fail"
    assert result.reasons[0] == "looped_video", result.tries


def test_a_live_impostor_is_rejected_by_the_face_match(simulation: Simulation) -> None:
    result = simulation.run(spec("face_swap", identity="obama", performer="biden", seed=25))
    assert result.outcome == "fail"
    assert result.reasons[0] == "face_mismatch"
    assert result.match is not None and result.match > 0.6


def test_a_recording_played_on_a_screen_fails_the_challenges(simulation: Simulation) -> None:
    result = simulation.run(spec("screen", seed=26))
    assert result.outcome == "fail"
    assert result.reasons[0] in CHALLENGE_REASONS | {"no_parallax"}, result.tries
