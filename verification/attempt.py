"""One verification attempt as a pure state machine.

An :class:`Attempt` is driven with ``(server time, FrameAnalysis)`` pairs through :meth:`Attempt.feed`
and answers with outputs — prompts to show the customer, guidance, progress for the teller and, once,
the :class:`~verification.decision.Decision`. It never awaits and never reads a clock; randomness (the
action sequence and the pauses before prompts) comes from the ``random.Random`` it is given. Before
each frame is analysed, :meth:`Attempt.plan` says what the analysis should include (detector
confirmation, full-frame scan, embedding).

Phases (``Phase``), in order::

    quality ──(a good frontal face)──▶ baseline ──(1.5 s of still, good frames)──▶ challenge
       ▲                                  │                                           │
       └────(the face became unusable)────┘                       (every action passed)
                                                                                      ▼
    done ◀──(decision)── deciding ◀───────────────────────────────────────────────────┘

Any passive finding (static frames, a loop, a broken track, several faces, a changed identity), a
clear face mismatch once three keyframes are in, an action failed on its last try, or a time limit
ends the attempt at once with a failing decision.

The attempt judges on the frames it is actually fed, at whatever rate the server manages to analyse
them (see :class:`~verification.policy.PacePolicy`). A window that received too few frames is
extended (up to ``max_window``); a movement of the asked action under way when the window ends may
complete within ``late_grace``; the asked action performed while waiting for its retry prompt (a late
answer to the first prompt) is ignored, not taken for an unprompted action. When the rate falls below
``min_fps`` during the baseline or the challenges the attempt pauses (:class:`Paused`: no prompt, the
window stops counting, the customer is asked to hold still) and resumes (:class:`Resumed`) when the
rate recovers; paused longer than ``max_pause`` it ends with outcome ``busy``, never ``fail``.

Within ``challenge``, each action is one *try* (plus ``retries`` more): the attempt waits a random
``gap`` (and for the face to be at rest), sends a :class:`Prompt`, and watches for the action until
``window`` seconds after the prompt. A try fails when the response starts sooner than ``min_onset``
after the prompt, when a different deliberate action is performed, when the face turns or tilts like
a flat picture (foreshortening without parallax), or when the window passes; a deliberate action
before the prompt fails the coming try (see :mod:`verification.challenges`). A failed try is retried
once, except after an unprompted action or a different deliberate action (left/right confusion
excepted): a person answers with the asked action, a recording with its own. Repeating the action
that just passed (a second blink or nod) within ``echo`` seconds is ignored.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from verification.baseline import Baseline, BaselineCollector
from verification.challenges import (
    DELIBERATE,
    MIRRORED,
    PROMPTS,
    Action,
    ActionDetectors,
    ActionEvent,
    Randomness,
    Signals,
    Smoother,
    at_rest,
    draw_sequence,
    signals,
)
from verification.decision import (
    ChallengeRecord,
    Decision,
    Keyframe,
    Outcome,
    Scores,
    TryRecord,
    TryResult,
    decide,
)
from verification.errors import AttemptError
from verification.evidence import Evidence
from verification.frame_analysis import FrameAnalysis
from verification.passive import FaceCountCheck, LoopCheck, StaticCheck, TrackCheck, identity_spread
from verification.policy import VerificationPolicy
from verification.quality import GUIDANCE, Issue, assess
from verification.reasons import Reason


class Phase(StrEnum):
    """Where an attempt is."""

    QUALITY = "quality"
    BASELINE = "baseline"
    CHALLENGE = "challenge"
    DECIDING = "deciding"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """The attempt entered a phase (for the teller's progress display)."""

    phase: Phase
    """The new phase."""
    at: float
    """Server time."""
    type: Literal["phase"] = "phase"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class Guidance:
    """Tell the customer how to fix the picture."""

    issue: Issue
    """The problem (a code the page may translate)."""
    message: str
    """Plain-language advice."""
    at: float
    """Server time."""
    type: Literal["guidance"] = "guidance"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """Ask the customer to perform an action now."""

    index: int
    """Position of the action in the sequence, from 0."""
    action: Action
    """The action."""
    attempt_try: int
    """1 for the first prompt of this action, 2 for the retry."""
    text: str
    """What to show and speak."""
    at: float
    """Server time of the prompt."""
    deadline: float
    """Server time by which the action must be completed."""
    type: Literal["prompt"] = "prompt"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class ChallengeProgress:
    """A try ended: passed, will be retried, or failed for good."""

    index: int
    """Position of the action in the sequence."""
    action: Action
    """The action."""
    status: Literal["passed", "retry", "failed"]
    """What happens next."""
    result: TryResult
    """How the try ended."""
    at: float
    """Server time."""
    type: Literal["progress"] = "progress"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class Decided:
    """The attempt is over."""

    decision: Decision
    """The verdict and its evidence."""
    type: Literal["decision"] = "decision"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class Paused:
    """The server analyses too few frames to judge: prompts wait and the window stops counting."""

    fps: float
    """The analysis rate measured when pausing (frames per second of server time)."""
    message: str
    """Plain guidance for the customer."""
    at: float
    """Server time."""
    type: Literal["paused"] = "paused"
    """Output kind."""


@dataclass(frozen=True, slots=True)
class Resumed:
    """Enough frames arrive again; the attempt goes on where it paused."""

    phase: Phase
    """The phase it resumes in."""
    at: float
    """Server time."""
    type: Literal["resumed"] = "resumed"
    """Output kind."""


PAUSE_MESSAGE = "Please hold still and keep looking at the camera: the check will go on in a moment."
"""What the customer is told while the attempt waits for the server (never a failure)."""

Output = PhaseChanged | Guidance | Prompt | ChallengeProgress | Paused | Resumed | Decided
"""Everything :meth:`Attempt.feed` can return."""


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """What the next frame's analysis should include."""

    detect: bool
    """Confirm the tracked face with the detector."""
    full_scan: bool
    """Scan the whole frame (counts faces)."""
    encode: bool
    """Compute the embedding (a keyframe)."""
    priority: int = 1
    """How urgent the frame is when the analysis pool is busy, lowest first: 0 while a prompt's window
    runs or the verdict waits, 1 during the baseline or before a prompt, 2 while looking for a face."""


@dataclass(slots=True)
class _Try:
    waiting_since: float
    prompt_after: float
    prompted_at: float | None = None
    deadline: float = 0.0
    flat_seen: bool = False
    flat_run: int = 0
    frames: int = 0
    """Frames fed since the prompt."""
    shift: float = 0.0
    """Seconds the window was suspended by pauses."""


@dataclass(slots=True)
class _Challenge:
    index: int
    action: Action
    tries: list[TryRecord] = field(default_factory=list)
    current: _Try | None = None


GUIDANCE_REPEAT = 3.0
"""Seconds before the same guidance is repeated."""
DECIDE_FRAMES = 8
"""Frames the deciding phase must have been fed before missing keyframes fail the attempt."""
BASELINE_GRACE = 0.5
"""Seconds of unusable frames tolerated during the baseline before going back to the quality phase."""


class Attempt:
    """A single-use verification attempt (see the module docstring)."""

    def __init__(
        self,
        *,
        nonce: str,
        policy: VerificationPolicy,
        rng: Randomness | random.Random,
        reference: npt.NDArray[np.float64] | None,
        sequence: tuple[Action, ...] | None = None,
    ) -> None:
        if not nonce:
            raise AttemptError("an attempt needs its nonce")
        self.nonce = nonce
        self.policy = policy
        self._rng = rng
        self._reference = None if reference is None else np.asarray(reference, np.float64)
        self.sequence = sequence if sequence is not None else draw_sequence(rng, policy.challenges.count)
        if len(self.sequence) != policy.challenges.count:
            raise AttemptError("the sequence length does not match the policy")
        p = policy.passive
        self._static = StaticCheck(p)
        self._loop = LoopCheck(p, policy.sample_fps)
        self._track = TrackCheck(p)
        self._faces = FaceCountCheck(p)
        self._collector = BaselineCollector(policy.baseline)
        self._detectors = ActionDetectors(policy.challenges)
        self._smoother = Smoother(policy.challenges.smooth_span)
        self.phase = Phase.QUALITY
        self.baseline: Baseline | None = None
        self.decision: Decision | None = None
        self.started_at: float | None = None
        self._last_t: float | None = None
        self._frames = 0
        self._keyframes: list[Keyframe] = []
        self._last_keyframe_at: float | None = None
        self._last_detect_at: float | None = None
        self._last_scan_at: float | None = None
        self._last_signals: Signals | None = None
        self._last_frontal = False
        self._last_open = False
        self._bad_since: float | None = None
        self._guided: tuple[Issue, float] | None = None
        self._challenges: list[_Challenge] = []
        self._deciding_since: float | None = None
        self._deciding_frames = 0
        self._echo: tuple[Action, float] | None = None
        self._recent: deque[float] = deque()
        self._fed: list[tuple[float, FrameAnalysis]] = []
        self._draws: list[float] = []
        self._aborted: tuple[float, Reason] | None = None
        self._last_fed: float | None = None
        self.paused = False
        """Whether the attempt waits for the server to analyse frames fast enough."""
        self._paused_since: float | None = None
        self._paused_total = 0.0
        self._retrying = False

    # --- queries ------------------------------------------------------------------------------------

    @property
    def challenge_index(self) -> int | None:
        """Index of the action being asked for, during the challenge phase."""
        return self._challenges[-1].index if self.phase is Phase.CHALLENGE and self._challenges else None

    @property
    def keyframes(self) -> int:
        """Embeddings collected so far."""
        return len(self._keyframes)

    def plan(self, t: float) -> AnalysisPlan:
        """What to compute for a frame at server time ``t``."""
        pol = self.policy
        p = pol.passive
        judging = self.phase in (Phase.BASELINE, Phase.CHALLENGE, Phase.DECIDING)
        due = self._last_keyframe_at is None or t - self._last_keyframe_at >= p.keyframe_interval
        if self.phase is Phase.DECIDING or self._track.reacquired:
            due = True
        # Keyframes come from faces at rest (frontal, eyes and mouth as usual); once every challenge
        # has passed, any face with open eyes will do, so that the verdict does not wait for a turn to end.
        usable = self._last_frontal or (self.phase is Phase.DECIDING and self._last_open)
        encode = (
            judging
            and len(self._keyframes) < p.max_keyframes
            and usable
            and (due or (self.phase is Phase.DECIDING and len(self._keyframes) < p.min_keyframes))
        )
        if self.phase is Phase.DECIDING and len(self._keyframes) >= p.min_keyframes:
            encode = False
        scan = self._last_scan_at is None or t - self._last_scan_at >= pol.scan_interval
        detect = self._last_detect_at is None or t - self._last_detect_at >= pol.detect_interval
        current = self._challenges[-1].current if self._challenges else None
        if self.phase is Phase.DECIDING or (
            self.phase is Phase.CHALLENGE and current is not None and current.prompted_at is not None
        ):
            priority = 0
        elif judging:
            priority = 1
        else:
            priority = 2
        return AnalysisPlan(detect=detect, full_scan=scan or encode, encode=encode, priority=priority)

    # --- driving --------------------------------------------------------------------------------------

    def feed(self, t: float, analysis: FrameAnalysis) -> list[Output]:
        """Advance with one analysed frame received at server time ``t``."""
        if self.phase is Phase.DONE:
            raise AttemptError("this attempt is already decided")
        if self._last_t is not None and t < self._last_t:
            raise AttemptError("frames must be fed in time order")
        self._last_t = t
        self._fed.append((t, analysis))
        out: list[Output] = []
        if self.started_at is None:
            self.started_at = t
            out.append(PhaseChanged(Phase.QUALITY, t))
        self._frames += 1
        if analysis.detected:
            self._last_detect_at = t
        if analysis.face_count is not None:
            self._last_scan_at = t

        failure = self._passive(t, analysis)
        if failure is not None:
            return out + self._finish(t, [failure])
        if t - self.started_at - self._paused_for(t) > self.policy.max_seconds:
            return out + self._finish(t, [Reason.TIMED_OUT])
        out += self._pace(t)
        if self.decision is not None:
            return out

        if self.phase is Phase.QUALITY:
            out += self._quality(t, analysis)
        elif self.phase is Phase.BASELINE:
            out += self._baseline(t, analysis)
        elif self.phase is Phase.CHALLENGE:
            out += self._challenge(t, analysis)
        if self.phase is Phase.DECIDING:
            out += self._deciding(t)
        self._last_frontal = self._frontal(analysis)
        self._last_open = analysis.face is not None and (
            self.baseline is None
            or signals(t, analysis.face.measures, self.baseline).eye > self.policy.challenges.blink_open
        )
        return out

    def abort(self, t: float, reason: Reason = Reason.ABORTED) -> list[Output]:
        """End the attempt now (the stream ended, the call was hung up)."""
        if self.phase is Phase.DONE:
            return []
        self._aborted = (t, reason)
        if self.started_at is None:
            self.started_at = t
        return self._finish(max(t, self._last_t or t), [reason])

    def evidence(self) -> Evidence:
        """Every input so far (policy, reference, sequence, random pauses, frames, abort): what
        :mod:`verification.redecide` needs to re-derive the decision."""
        return Evidence(
            nonce=self.nonce,
            policy=self.policy,
            sequence=self.sequence,
            draws=tuple(self._draws),
            reference=self._reference,
            frames=tuple(self._fed),
            aborted=self._aborted,
        )

    # --- pace ----------------------------------------------------------------------------------------------

    def _paused_for(self, t: float) -> float:
        """Seconds paused so far, including a pause still running."""
        running = t - self._paused_since if self._paused_since is not None else 0.0
        return self._paused_total + running

    def _pace(self, t: float) -> list[Output]:
        """Pause or resume by the rate of frames fed; end ``busy`` after too long a pause."""
        assert self.started_at is not None
        pace = self.policy.pace
        self._last_fed = self._recent[-1] if self._recent else None
        self._recent.append(t)
        while t - self._recent[0] > pace.rate_window:
            self._recent.popleft()
        if t - self.started_at < pace.rate_window or self.phase not in (Phase.BASELINE, Phase.CHALLENGE):
            return []
        span = t - self._recent[0]
        fps = (len(self._recent) - 1) / span if span > 0 else 0.0
        if not self.paused and fps < pace.min_fps:
            # After a stall the pause began when frames stopped coming, not when the next one arrived.
            previous = self._recent[-2] if len(self._recent) > 1 else self._last_fed
            gap_began = previous if previous is not None and t - previous > 1 / pace.min_fps else t
            self.paused, self._paused_since = True, gap_began
            return [Paused(round(fps, 2), PAUSE_MESSAGE, t)]
        if self.paused:
            assert self._paused_since is not None
            if self._paused_for(t) > pace.max_pause:
                return self._finish(t, [Reason.BUSY])
            if fps >= pace.resume_fps:
                suspended = t - self._paused_since
                self._paused_total += suspended
                self.paused, self._paused_since = False, None
                current = self._challenges[-1].current if self._challenges else None
                if current is not None and current.prompted_at is not None:
                    current.deadline += suspended
                    current.shift += suspended
                return [Resumed(self.phase, t)]
        return []

    # --- passive checks -----------------------------------------------------------------------------------

    def _passive(self, t: float, analysis: FrameAnalysis) -> Reason | None:
        if analysis.embedding is not None and analysis.face is not None and self.phase is not Phase.QUALITY:
            self._keyframes.append(Keyframe(t, analysis.embedding, analysis.keyframe_jpeg))
            self._last_keyframe_at = t
            if len(self._keyframes) >= 3:
                spread = identity_spread([k.embedding for k in self._keyframes])
                if spread.largest > self.policy.passive.identity_spread:
                    return Reason.IDENTITY_CHANGED
            m = self.policy.match
            if self._reference is not None and len(self._keyframes) >= m.early_keyframes:
                distances = [float(np.linalg.norm(k.embedding - self._reference)) for k in self._keyframes]
                if float(np.median(distances)) > m.early_reject:
                    return Reason.FACE_MISMATCH
        for reason in (
            self._static.update(t, analysis),
            self._loop.update(t, analysis),
            self._track.update(t, analysis),
            self._faces.update(analysis) if self._track.armed else None,
        ):
            if reason is not None:
                return reason
        return None

    def _frontal(self, analysis: FrameAnalysis) -> bool:
        face = analysis.face
        if face is None:
            return False
        m = face.measures
        if self.baseline is None:
            return abs(m.parallax_u) <= self.policy.quality.max_frontal_parallax * 0.6
        return at_rest(signals(0.0, m, self.baseline), self.policy.challenges)

    # --- phases -----------------------------------------------------------------------------------------

    def _guide(self, t: float, issue: Issue) -> list[Output]:
        if self._guided is not None and self._guided[0] is issue and t - self._guided[1] < GUIDANCE_REPEAT:
            return []
        self._guided = (issue, t)
        return [Guidance(issue, GUIDANCE[issue], t)]

    def _quality(self, t: float, analysis: FrameAnalysis) -> list[Output]:
        assert self.started_at is not None
        report = assess(analysis, self.policy.quality)
        if report.ok and analysis.face is not None:
            self.phase = Phase.BASELINE
            self._track.armed = True
            self._bad_since = None
            self._collector.reset()
            self._collector.add(t, analysis.face.measures)
            return [PhaseChanged(Phase.BASELINE, t)]
        if t - self.started_at > self.policy.max_quality_seconds:
            return self._finish(t, [Reason.NO_USABLE_FACE])
        return self._guide(t, report.issues[0])

    def _baseline(self, t: float, analysis: FrameAnalysis) -> list[Output]:
        report = assess(analysis, self.policy.quality)
        if not report.ok or analysis.face is None:
            if self._bad_since is None:
                self._bad_since = t
            out = self._guide(t, report.issues[0]) if report.issues else []
            if t - self._bad_since > BASELINE_GRACE:
                self.phase = Phase.QUALITY
                self._track.armed = False
                self._collector.reset()
                out.append(PhaseChanged(Phase.QUALITY, t))
            return out
        self._bad_since = None
        self._collector.add(t, analysis.face.measures)
        if not self._collector.ready():
            return []
        self.baseline = self._collector.result()
        self.phase = Phase.CHALLENGE
        self._start_challenge(0, t)
        return [PhaseChanged(Phase.CHALLENGE, t)]

    def _start_challenge(self, index: int, t: float) -> None:
        challenge = _Challenge(index, self.sequence[index])
        self._challenges.append(challenge)
        self._new_try(challenge, t)

    def _new_try(self, challenge: _Challenge, t: float) -> None:
        low, high = self.policy.challenges.gap
        pause = self._rng.uniform(low, high)
        self._draws.append(pause)
        challenge.current = _Try(waiting_since=t, prompt_after=t + pause)

    def _challenge(self, t: float, analysis: FrameAnalysis) -> list[Output]:
        assert self.baseline is not None
        c = self.policy.challenges
        challenge = self._challenges[-1]
        current = challenge.current
        assert current is not None
        events: list[ActionEvent] = []
        s: Signals | None = None
        if analysis.face is not None:
            s = self._smoother.push(signals(t, analysis.face.measures, self.baseline))
            events = sorted(self._detectors.update(s), key=lambda e: e.completed_at)
            if self._echo is not None:
                action, passed_at = self._echo
                events = [e for e in events if e.action is not action or e.onset - passed_at > c.echo]
            self._last_signals = s
        else:
            self._smoother.reset()

        if s is not None:
            flat = abs(s.du) < c.flat_parallax and abs(s.dv) < c.flat_parallax
            if flat and s.foreshortening >= c.flat_aspect:
                current.flat_seen = True
                current.flat_run += 1
            else:
                current.flat_run = 0
            if current.flat_run >= c.flat_frames:
                record = TryRecord(challenge.action, current.prompted_at, t, TryResult.NO_PARALLAX)
                return self._end_try(challenge, record, t)

        if current.prompted_at is None:
            for event in events:
                if event.action is challenge.action and challenge.tries:
                    continue  # a late answer to the previous prompt of this action, not an unprompted one
                if event.action in DELIBERATE:
                    record = TryRecord(
                        challenge.action,
                        None,
                        t,
                        TryResult.UNPROMPTED_ACTION,
                        event.onset,
                        event.completed_at,
                        event.action,
                    )
                    return self._end_try(challenge, record, t)
            settled = s is not None and at_rest(s, c)
            if self.paused:
                return []
            if t >= current.prompt_after and (settled or t >= current.prompt_after + c.settle_max):
                current.prompted_at = t
                current.deadline = t + c.window
                return [
                    Prompt(
                        challenge.index,
                        challenge.action,
                        len(challenge.tries) + 1,
                        PROMPTS[challenge.action],
                        t,
                        current.deadline,
                    )
                ]
            return []

        prompted = current.prompted_at
        current.frames += 1
        for event in events:
            if event.action is challenge.action:
                if event.onset < prompted + c.min_onset:
                    if event.action is Action.BLINK:
                        continue  # people blink on their own; a spontaneous blink is just ignored
                    record = TryRecord(
                        challenge.action,
                        prompted,
                        t,
                        TryResult.RESPONSE_TOO_FAST,
                        event.onset,
                        event.completed_at,
                    )
                    return self._end_try(challenge, record, t)
                record = TryRecord(
                    challenge.action, prompted, t, TryResult.PASSED, event.onset, event.completed_at
                )
                return self._end_try(challenge, record, t)
            if event.action in DELIBERATE:
                record = TryRecord(
                    challenge.action,
                    prompted,
                    t,
                    TryResult.WRONG_ACTION,
                    event.onset,
                    event.completed_at,
                    event.action,
                )
                return self._end_try(challenge, record, t)
        if t > current.deadline and not self.paused and not self._window_open(challenge, current, t):
            result = TryResult.NO_PARALLAX if current.flat_seen else TryResult.ACTION_NOT_SEEN
            watched = max(t - prompted - current.shift, 1e-9)
            record = TryRecord(challenge.action, prompted, t, result, window_fps=current.frames / watched)
            return self._end_try(challenge, record, t)
        return []

    def _window_open(self, challenge: _Challenge, current: _Try, t: float) -> bool:
        """Past the deadline, whether the try still waits: too few frames were analysed in its window,
        or a movement of the asked action that started inside it has not completed yet."""
        c = self.policy.challenges
        assert current.prompted_at is not None
        limit = current.prompted_at + current.shift + c.max_window
        if current.frames < c.window_frames and t <= limit:
            return True
        onset = self._detectors.started(challenge.action, t)
        return (
            onset is not None
            and current.prompted_at + c.min_onset <= onset <= current.deadline
            and t <= current.deadline + c.late_grace
        )

    def _end_try(self, challenge: _Challenge, record: TryRecord, t: float) -> list[Output]:
        challenge.tries.append(record)
        challenge.current = None
        if record.result is TryResult.PASSED:
            self._echo = (challenge.action, record.completed_at or t)
            out: list[Output] = [
                ChallengeProgress(challenge.index, challenge.action, "passed", record.result, t)
            ]
            if challenge.index + 1 < len(self.sequence):
                self._start_challenge(challenge.index + 1, t)
            else:
                self.phase = Phase.DECIDING
                self._deciding_since = t
                out.append(PhaseChanged(Phase.DECIDING, t))
            return out
        retry = len(challenge.tries) <= self.policy.challenges.retries
        if record.result is TryResult.UNPROMPTED_ACTION:
            retry = False
        elif record.result is TryResult.WRONG_ACTION:
            retry = retry and record.other_action is MIRRORED.get(challenge.action)
        if retry:
            self._new_try(challenge, t)
            return [ChallengeProgress(challenge.index, challenge.action, "retry", record.result, t)]
        reason = record.result.reason
        assert reason is not None
        if self._too_sparse_to_see(challenge, record):
            reason = Reason.BUSY  # not seen because too few frames were analysed: no verdict on the person
        out = [ChallengeProgress(challenge.index, challenge.action, "failed", record.result, t)]
        return out + self._finish(t, [reason])

    def _too_sparse_to_see(self, challenge: _Challenge, record: TryRecord) -> bool:
        """Whether a blink 'not seen' came from a window analysed too sparsely to catch one."""
        c = self.policy.challenges
        if record.result is not TryResult.ACTION_NOT_SEEN or challenge.action is not Action.BLINK:
            return False
        return record.window_fps is not None and record.window_fps < c.blink_min_fps

    def _deciding(self, t: float) -> list[Output]:
        assert self._deciding_since is not None
        self._deciding_frames += 1
        if len(self._keyframes) >= self.policy.passive.min_keyframes:
            return self._finish(t, [])
        # Judged on frames, not on the clock alone: a slow server must not cost the keyframes.
        if t - self._deciding_since > self.policy.decide_wait and self._deciding_frames > DECIDE_FRAMES:
            return self._finish(t, [Reason.TOO_FEW_KEYFRAMES])
        return []

    # --- the end ----------------------------------------------------------------------------------------

    def _finish(self, t: float, liveness: list[Reason]) -> list[Output]:
        assert self.started_at is not None
        outcome, reasons, match_result, spread = decide(
            liveness=liveness, keyframes=self._keyframes, reference=self._reference, policy=self.policy
        )
        if outcome in (Outcome.PASS, Outcome.REVIEW) and self.phase is not Phase.DECIDING:
            # Only an attempt that got through every challenge may pass or go to review.
            outcome = Outcome.FAIL
        elapsed = max(t - self.started_at, 1e-9)
        decision = Decision(
            outcome=outcome,
            reasons=reasons,
            nonce=self.nonce,
            sequence=self.sequence,
            challenges=tuple(ChallengeRecord(c.index, c.action, tuple(c.tries)) for c in self._challenges),
            scores=Scores(
                match=match_result,
                identity_spread=spread,
                static_longest_run=self._static.longest_run,
                loop_repeats=self._loop.repeats,
                largest_jump=self._track.largest_jump,
                longest_face_loss=self._track.longest_loss,
                scans_with_several_faces=self._faces.scans_with_several,
                frames_analysed=self._frames,
                effective_fps=self._frames / elapsed,
                paused_seconds=self._paused_for(t),
            ),
            keyframes=tuple(self._keyframes),
            baseline=self.baseline,
            started_at=self.started_at,
            decided_at=t,
        )
        self.phase = Phase.DONE
        self.paused = False
        self.decision = decision
        return [PhaseChanged(Phase.DONE, t), Decided(decision)]
