"""Re-deriving a recorded decision: the auditor re-runs the decision code on the recorded evidence.

:func:`replay` feeds the recorded frames, at their recorded server times, with the recorded random
pauses, sequence, reference and policy, to a new :class:`~verification.attempt.Attempt` — the same
pure code that decided live — and :func:`redecide` compares its decision with the recorded one
(the teller view logged as ``verification_decided``): outcome, each reason, each try of each
challenge, each score. With the same :data:`~verification.evidence.CODE_VERSION` the result must be
identical (anything else means the record or the code was altered); with a later version the report
lists what the later code decides differently, reason by reason.

Pure and importable without dlib or OpenCV: an auditor's workstation needs neither.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from verification.attempt import Attempt
from verification.decision import Decision
from verification.evidence import CODE_VERSION, Evidence, EvidenceError, ReplayRandom, decode
from verification.policy import VerificationPolicy

SCORE_TOLERANCE = 1e-9
"""Scores are compared as rounded in the teller view; equal views are equal to this tolerance."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the re-derivation decides differently."""

    what: str
    """Where: ``outcome``, ``reason``, ``challenge 1 try 2``, ``score match_distance`` …"""
    recorded: Any
    """The recorded value (``None`` when absent)."""
    rederived: Any
    """The re-derived value (``None`` when absent)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"what": self.what, "recorded": self.recorded, "rederived": self.rederived}


@dataclass(frozen=True, slots=True)
class Redecision:
    """The result of re-deriving one recorded decision."""

    attempt: str
    """The attempt's id."""
    recorded_version: str
    """Decision-code fingerprint recorded with the evidence."""
    current_version: str
    """Fingerprint of the code that re-derived it."""
    policy: str
    """``recorded`` (the thresholds it ran with) or ``current`` (this code's defaults)."""
    recorded_outcome: str | None
    """The recorded outcome."""
    rederived: dict[str, Any]
    """The re-derived decision's teller view."""
    differences: tuple[Difference, ...]
    """Everything that differs; empty when reproduced."""
    policy_notes: tuple[str, ...] = ()
    """Policy fields the two code versions do not share."""

    @property
    def same_version(self) -> bool:
        """Whether the same decision code ran."""
        return self.recorded_version == self.current_version

    @property
    def reproduced(self) -> bool:
        """Whether the re-derived decision equals the recorded one in every field."""
        return not self.differences

    @property
    def verdict(self) -> str:
        """``identical``, ``differs`` (later code or policy decides otherwise) or ``mismatch`` (same
        code and policy, different result: the record or the code was altered)."""
        if self.reproduced:
            return "identical"
        return "mismatch" if self.same_version and self.policy == "recorded" else "differs"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (no images, no embeddings)."""
        return {
            "attempt": self.attempt,
            "verdict": self.verdict,
            "reproduced": self.reproduced,
            "same_version": self.same_version,
            "recorded_version": self.recorded_version,
            "current_version": self.current_version,
            "policy": self.policy,
            "recorded_outcome": self.recorded_outcome,
            "rederived_outcome": self.rederived.get("outcome"),
            "differences": [d.to_json() for d in self.differences],
            "policy_notes": list(self.policy_notes),
            "rederived": self.rederived,
        }


def replay(evidence: Evidence, policy: VerificationPolicy | None = None) -> Decision:
    """The decision the decision code makes on ``evidence`` (with ``policy``, else the recorded one)."""
    attempt = Attempt(
        nonce=evidence.nonce,
        policy=policy or evidence.policy,
        rng=ReplayRandom(evidence.draws),
        reference=evidence.reference,
        sequence=evidence.sequence,
    )
    for t, analysis in evidence.frames:
        if attempt.decision is not None:
            break
        attempt.feed(t, analysis)
    if attempt.decision is None and evidence.aborted is not None:
        attempt.abort(*evidence.aborted)
    if attempt.decision is None:
        raise EvidenceError("the recorded frames end before a decision and no abort was recorded")
    return attempt.decision


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=SCORE_TOLERANCE)
    return bool(a == b)


def compare(recorded: Mapping[str, Any], rederived: Mapping[str, Any]) -> tuple[Difference, ...]:
    """Differences between two teller views, reason by reason."""
    out: list[Difference] = []
    if recorded.get("outcome") != rederived.get("outcome"):
        out.append(Difference("outcome", recorded.get("outcome"), rederived.get("outcome")))
    before = [r.get("code") for r in recorded.get("reasons", [])]
    after = [r.get("code") for r in rederived.get("reasons", [])]
    for code in before:
        if code not in after:
            out.append(Difference("reason", code, None))
    for code in after:
        if code not in before:
            out.append(Difference("reason", None, code))
    if [c for c in before if c in after] != [c for c in after if c in before]:
        out.append(Difference("reason order", before, after))
    if recorded.get("sequence") != rederived.get("sequence"):
        out.append(Difference("sequence", recorded.get("sequence"), rederived.get("sequence")))
    old_challenges = recorded.get("challenges", [])
    new_challenges = rederived.get("challenges", [])
    for i in range(max(len(old_challenges), len(new_challenges))):
        old = old_challenges[i] if i < len(old_challenges) else {}
        new = new_challenges[i] if i < len(new_challenges) else {}
        old_tries, new_tries = old.get("tries", []), new.get("tries", [])
        for k in range(max(len(old_tries), len(new_tries))):
            a = old_tries[k] if k < len(old_tries) else None
            b = new_tries[k] if k < len(new_tries) else None
            if a is None or b is None or any(not _same(a.get(f), b.get(f)) for f in {*a, *b}):
                out.append(Difference(f"challenge {i + 1} try {k + 1}", a, b))
    old_scores, new_scores = recorded.get("scores", {}), rederived.get("scores", {})
    for name in sorted({*old_scores, *new_scores}):
        if not _same(old_scores.get(name), new_scores.get(name)):
            out.append(Difference(f"score {name}", old_scores.get(name), new_scores.get(name)))
    for name in ("keyframes", "seconds"):
        if not _same(recorded.get(name), rederived.get(name)):
            out.append(Difference(name, recorded.get(name), rederived.get(name)))
    return tuple(out)


def redecide(
    evidence: Evidence, recorded: Mapping[str, Any], *, policy: VerificationPolicy | None = None
) -> Redecision:
    """Re-derive and compare with ``recorded`` (the logged teller view of the decision).

    ``policy`` replaces the recorded thresholds (an auditor asking what today's settings decide)."""
    decision = replay(evidence, policy)
    view = decision.teller_view()
    return Redecision(
        attempt=evidence.nonce,
        recorded_version=evidence.code_version,
        current_version=CODE_VERSION,
        policy="recorded" if policy is None else "current",
        recorded_outcome=recorded.get("outcome"),
        rederived=view,
        differences=compare(recorded, view),
        policy_notes=evidence.policy_notes,
    )


def render(result: Redecision) -> str:
    """A plain-text report for the command line."""
    lines = [
        f"attempt {result.attempt}: recorded {result.recorded_outcome}, "
        f"re-derived {result.rederived.get('outcome')} — {result.verdict.upper()}",
        f"  decision code: recorded {result.recorded_version}, this {result.current_version} "
        f"({'same version' if result.same_version else 'a different version'}); policy: {result.policy}",
    ]
    for note in result.policy_notes:
        lines.append(f"  policy note: {note}")
    for d in result.differences:
        lines.append(f"  {d.what}: recorded {d.recorded!r} → re-derived {d.rederived!r}")
    if result.reproduced:
        lines.append("  every outcome, reason, try and score reproduced")
    return "\n".join(lines)


def from_timeline(
    events: Iterable[tuple[str, Mapping[str, Any]]], *, policy: VerificationPolicy | None = None
) -> list[Redecision]:
    """Re-derive every decision of a session from its record timeline, given as ``(kind, data)``:
    each ``verification_decided`` (the teller view) with the ``verification_evidence`` of the same
    attempt. A decision recorded without evidence raises :class:`EvidenceError`."""
    decided: dict[str, Mapping[str, Any]] = {}
    evidence: dict[str, Mapping[str, Any]] = {}
    order: list[str] = []
    for kind, data in events:
        attempt = data.get("attempt", data.get("nonce") if kind == "verification_evidence" else None)
        if not isinstance(attempt, str):
            continue
        if kind == "verification_decided":
            decided[attempt] = data
            order.append(attempt)
        elif kind == "verification_evidence":
            evidence[attempt] = data
    results = []
    for attempt in order:
        if attempt not in evidence:
            raise EvidenceError(f"attempt {attempt}: its decision was recorded without its evidence")
        results.append(redecide(decode(evidence[attempt]), decided[attempt], policy=policy))
    return results
