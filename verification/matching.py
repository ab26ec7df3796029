"""Face match: the live keyframe embeddings against the customer's reference embedding.

The score is the median Euclidean distance between each keyframe's 128-d embedding and the reference
(dlib's ResNet; its authors' same-person threshold is 0.6). The median ignores a keyframe or two spoilt
by blur or a half-turned head. ``accept`` and ``review`` come from :class:`~verification.policy.MatchPolicy`;
how the defaults were chosen on the fixture photos is in ``docs/verification.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from verification.policy import MatchPolicy


class MatchVerdict(StrEnum):
    """What the distance says."""

    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The face-match score of one attempt."""

    distances: tuple[float, ...]
    """Each keyframe's distance to the reference."""
    median: float
    """Their median: the score."""
    verdict: MatchVerdict
    """Accept, review or reject by the policy's thresholds."""


def distance(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Euclidean distance between two embeddings."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def match(
    embeddings: Sequence[npt.NDArray[np.float64]], reference: npt.NDArray[np.float64], policy: MatchPolicy
) -> MatchResult:
    """Score ``embeddings`` against ``reference``; at least one embedding is needed."""
    if not embeddings:
        raise ValueError("no embeddings to match")
    distances = tuple(distance(e, reference) for e in embeddings)
    median = float(np.median(distances))
    if median <= policy.accept:
        verdict = MatchVerdict.ACCEPT
    elif median <= policy.review:
        verdict = MatchVerdict.REVIEW
    else:
        verdict = MatchVerdict.REJECT
    return MatchResult(distances, median, verdict)
