"""Re-deriving a decision from its recorded evidence: a pass, a fail and a review reproduce exactly
through the JSON the record keeps; an altered record or a later policy shows what differs."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from tests.unit.test_verification_attempt import REFERENCE, Customer, attempt, drive
from verification.attempt import Attempt
from verification.challenges import Action
from verification.decision import Outcome
from verification.evidence import CODE_VERSION, EvidenceError, decode, encode
from verification.policy import MatchPolicy, VerificationPolicy
from verification.reasons import Reason
from verification.redecide import redecide, render, replay
from verification.testing import face_measures, frame, person

POLICY = VerificationPolicy()


def recorded(a: Attempt) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the session record keeps: the evidence and the logged teller view, through JSON."""
    assert a.decision is not None
    evidence = json.loads(json.dumps(encode(a.evidence())))
    view = json.loads(json.dumps(a.decision.teller_view()))
    return evidence, view


def passing() -> Attempt:
    a = attempt()
    drive(a)
    return a


def failing() -> Attempt:
    a = attempt()
    drive(a, Customer(respond=lambda action: Action.NOD if action is Action.BLINK else action))
    return a


def reviewed() -> Attempt:
    a = attempt()
    live = person(REFERENCE, 0.50)
    drive(a, live=lambda t, k: live(k))
    return a


@pytest.mark.parametrize(("make", "outcome"), [(passing, "pass"), (failing, "fail"), (reviewed, "review")])
def test_a_recorded_decision_is_reproduced_exactly_by_the_same_code(make: Any, outcome: str) -> None:
    evidence, view = recorded(make())
    assert view["outcome"] == outcome
    result = redecide(decode(evidence), view)
    assert result.reproduced and result.verdict == "identical", render(result)
    assert result.same_version and result.recorded_version == CODE_VERSION
    assert result.rederived == view


def test_an_aborted_attempt_is_reproduced_from_its_recorded_abort() -> None:
    a = attempt()
    for k in range(30):
        a.feed(k / 15, frame())
    a.abort(2.5)
    evidence, view = recorded(a)
    assert evidence["aborted"] == {"t": 2.5, "reason": "aborted"}
    assert redecide(decode(evidence), view).reproduced


def test_altered_evidence_with_the_same_code_is_a_mismatch() -> None:
    evidence, view = recorded(passing())
    evidence["draws"][0] += 0.3  # a prompt moved: the record no longer explains the decision
    result = redecide(decode(evidence), view)
    assert result.verdict == "mismatch"
    assert result.differences


def test_a_later_policy_shows_the_difference_reason_by_reason() -> None:
    evidence, view = recorded(reviewed())
    stricter = replace(POLICY, match=MatchPolicy(accept=0.30, review=0.40, early_reject=0.60))
    result = redecide(decode(evidence), view, policy=stricter)
    assert result.verdict == "differs" and result.policy == "current"
    kinds = {(d.what, d.recorded, d.rederived) for d in result.differences}
    assert ("outcome", "review", "fail") in kinds
    assert ("reason", "match_uncertain", None) in kinds and ("reason", None, "face_mismatch") in kinds
    text = render(result)
    assert "match_uncertain" in text and "face_mismatch" in text


def test_a_later_code_version_is_reported_as_such() -> None:
    evidence, view = recorded(passing())
    evidence["code_version"] = "0123456789abcdef"
    evidence["policy"]["challenges"]["retired_setting"] = 1.0  # known to the older code only
    del evidence["policy"]["pace"]  # unknown to the older code
    result = redecide(decode(evidence), view)
    assert not result.same_version and result.verdict == "identical"
    assert any("retired_setting" in n for n in result.policy_notes)
    assert any(n.startswith("pace") for n in result.policy_notes)


def test_real_analyses_thumbnails_are_kept_as_bytes_and_come_back_exactly() -> None:
    rng = np.random.default_rng(4)
    a = Attempt(nonce="nonce-2", policy=POLICY, rng=random.Random(1), reference=REFERENCE)
    pictures = [rng.integers(0, 256, (48, 64)).astype(np.float32) for _ in range(20)]
    for k, picture in enumerate(pictures):
        a.feed(k / 15, frame(picture=picture))
    a.abort(2.0)
    evidence = encode(a.evidence())
    assert evidence["frames"]["thumbnails"]["encoding"] == "u8-delta-deflate"
    back = decode(json.loads(json.dumps(evidence)))
    assert all(np.array_equal(f.thumbnail, p) for (_, f), p in zip(back.frames, pictures, strict=True))
    assert replay(back).outcome is Outcome.FAIL and replay(back).reasons[0] is Reason.ABORTED


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e.update(format=99),
        lambda e: e["frames"]["t"].pop(),
        lambda e: e["frames"]["thumbnails"].update(data="!!"),
        lambda e: e.update(reference="AAAA"),
        lambda e: e["policy"]["match"].update(accept=5.0),
    ],
)
def test_damaged_evidence_is_refused_clearly(damage: Any) -> None:
    evidence, _ = recorded(passing())
    damage(evidence)
    with pytest.raises(EvidenceError):
        decode(evidence)


def test_a_degenerate_measure_nan_is_kept_exactly() -> None:
    a = attempt()
    for k in range(40):
        m = face_measures(yaw=math.nan) if k == 20 else face_measures()
        a.feed(k / 15, frame(m))
    a.abort(3.0)
    evidence, view = recorded(a)
    text = json.dumps(evidence, allow_nan=False)  # the record refuses bare NaN
    back = decode(json.loads(text))
    assert math.isnan(back.frames[20][1].face.measures.pose.yaw)  # type: ignore[union-attr]
    assert redecide(back, view).reproduced
