"""The verification desk: liveness and face-match attempts inside calls (docs/verification.md).

The teller sends ``verification_start``; the desk checks the customer is in the call, is not locked
out and has a reference photo, then runs one attempt on the customer's video as the hub decoded it.
Every output goes to its audience (prompts and guidance to the customer, progress and the full
decision to the teller, only pass/fail and what to do next to the customer) and to the session's
timeline; the keyframes used go only into the encrypted session record. Other desks (business flows)
tell it who the customer is (:meth:`identify`), hear every decision (:meth:`add_listener`) and
redeem a decision once for a business action (:meth:`consume`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from signaling.desks import Sender, SessionInfo, SessionLink
from signaling.errors import InvalidMessage, NotAllowed, PeerError
from signaling.identity import Identity, SignInThrottled
from signaling.messages import ClientMessage
from signaling.session import Leg
from signaling.verification_messages import (
    VerificationGuidance,
    VerificationPhase,
    VerificationProgress,
    VerificationPrompt,
    VerificationRefused,
    VerificationResolve,
    VerificationResolved,
    VerificationResult,
    VerificationReview,
    VerificationStart,
    VerificationStarted,
    VerificationStop,
)
from verification.attempt import (
    ChallengeProgress,
    Decided,
    Guidance,
    Output,
    Paused,
    PhaseChanged,
    Prompt,
    Resumed,
)
from verification.decision import Decision, Outcome
from verification.errors import LockedOutError, NonceError
from verification.evidence import encode as encode_evidence
from verification.reasons import Reason
from verification.review import ACCEPT_REASONS, REJECT_REASONS, ReviewRefused, ReviewResolution, resolve
from verification.review_images import review_images
from verification.service import VerificationHandle, Verifier
from video_bank.media.fanout import Delivery

logger = logging.getLogger(__name__)

DecisionListener = Callable[[str, str, Decision], Awaitable[None]]
"""Called with (session id, customer id, decision) when an attempt decides."""
ReviewListener = Callable[[str, str, Decision, ReviewResolution], Awaitable[None]]
"""Called with (session id, customer id, decision, resolution) when staff resolved a review."""
StaffCheck = Callable[[str, str, str], Awaitable[Identity | SignInThrottled | None]]
"""Signs a staff member in (username, password, client address) through the shared sign-in throttle
(the accounts service's ``sign_in``)."""
FrameSource = Callable[[str], AsyncIterable[Delivery]]
"""The customer's decoded video of a session (a bounded hub subscription)."""
STALL_GRACE_SECONDS = 5.0
"""Seconds past the attempt's time limit before the desk stops an attempt whose frames stalled."""
CLOSE_GRACE_SECONDS = 10.0
"""How long closing a session waits for its stopped attempt to decide."""


class VerificationRefusedError(PeerError):
    """``verification_start`` for another customer than the one the business flow identified."""

    code = "not_allowed"


@dataclass(slots=True)
class _Case:
    """What the desk holds for one live session."""

    info: SessionInfo
    identified: str | None = None
    """Customer the business flow identified (then attempts are for them only)."""
    starting: bool = False
    """An attempt is being set up (the analysis workers may still be loading)."""
    handle: VerificationHandle | None = None
    nonce: str = ""
    """The running or last attempt's id (set before its first output: the runner starts on the loop)."""
    customer_id: str | None = None
    runner: asyncio.Task[None] | None = None
    stop_requested: bool = False
    decisions: list[Decision] = field(default_factory=list)
    review: tuple[str, Decision] | None = None
    """(customer id, decision) of a ``review`` waiting for the teller's resolution."""
    writes: set[asyncio.Future[None]] = field(default_factory=set)
    """Record writes under way (the session's record is sealed only after them)."""


class VerificationDesk:
    """The :class:`~signaling.desks.SessionDesk` for ``verification_start`` / ``verification_stop``."""

    message_types = frozenset({VerificationStart.TYPE, VerificationStop.TYPE, VerificationResolve.TYPE})

    def __init__(
        self,
        verifier: Verifier,
        frames: FrameSource,
        *,
        has_reference: Callable[[str], bool],
        ready: Callable[[], Awaitable[object]],
        expected_fps: Callable[[int], float | None] | None = None,
        busy_retry_after: Callable[[], float | None] | None = None,
        reference_photo: Callable[[str], bytes] | None = None,
        check_staff: StaffCheck | None = None,
        four_eyes: bool = False,
    ) -> None:
        self._verifier = verifier
        self._expected_fps = expected_fps
        self._busy_retry_after = busy_retry_after
        self._reference_photo = reference_photo
        self._check_staff = check_staff
        self.four_eyes = four_eyes
        """Whether a second staff member must confirm each review resolution."""
        self._review_listeners: list[ReviewListener] = []
        self._frames = frames
        self._has_reference = has_reference
        self._ready = ready
        self._link: SessionLink | None = None
        self._cases: dict[str, _Case] = {}
        self._listeners: list[DecisionListener] = []
        self._log_queue: asyncio.Queue[tuple[float, str, str, str | None, dict[str, Any]]] = asyncio.Queue()
        self._log_writer: asyncio.Task[None] | None = None

    # --- for other desks ------------------------------------------------------------------------------

    def identify(self, session_id: str, customer_id: str) -> None:
        """The business flow identified the session's customer; attempts are for them only."""
        case = self._cases.get(session_id)
        if case is not None:
            case.identified = customer_id

    def add_listener(self, listener: DecisionListener) -> None:
        """Hear every decision (after it has been sent to both parties and logged)."""
        self._listeners.append(listener)

    def add_review_listener(self, listener: ReviewListener) -> None:
        """Hear every review resolution (after it was logged and sent to the teller)."""
        self._review_listeners.append(listener)

    def consume(self, session_id: str, decision: Decision) -> None:
        """Redeem ``decision`` for one business action in ``session_id`` (``NonceError`` the second time)."""
        self._verifier.consume(decision, session_id)

    def running(self, session_id: str) -> bool:
        """Whether an attempt is being set up or runs in ``session_id``."""
        case = self._cases.get(session_id)
        return case is not None and (case.starting or case.handle is not None)

    # --- SessionDesk ------------------------------------------------------------------------------------

    def bind(self, link: SessionLink) -> None:
        self._link = link

    async def session_opened(self, info: SessionInfo) -> None:
        self._cases[info.session_id] = _Case(info)

    async def party_joined(self, session_id: str, leg: Leg) -> None:
        """Nothing to catch up: an identity check starts only once the customer is in the call."""

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        case = self._cases.get(session_id)
        if case is None:  # the switchboard knows the session, so it opened a moment ago or is closing
            raise NotAllowed("the session is not ready for verification")
        if isinstance(message, VerificationStart):
            await self._start(case, sender, message)
        elif isinstance(message, VerificationStop):
            self._stop(case)
        elif isinstance(message, VerificationResolve):
            await self._resolve(case, sender, message)
        else:  # pragma: no cover - the board routes only our types here
            raise NotAllowed(f"{message.TYPE} is not a verification message")

    async def leg_lost(self, session_id: str, leg: Leg, at: float) -> None:
        """A party's connection is lost: a running attempt is broken off as ``interrupted`` (no verdict,
        not counted towards the lockout). An identification is never stitched from two halves: when
        the party is back the teller starts a new, complete one."""
        case = self._cases.get(session_id)
        if case is None or not (case.starting or case.handle is not None):
            return
        case.stop_requested = True  # one still being set up does not start
        if case.handle is not None:
            case.handle.stop(Reason.INTERRUPTED)
        self._log(at, "verification_interrupted", session_id, None, {"leg": leg, "attempt": case.nonce})

    async def leg_resumed(self, session_id: str, leg: Leg, at: float) -> None:
        """Nothing to re-send: an interrupted attempt has already decided."""

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        case = self._cases.pop(session_id, None)
        if case is None:
            return
        case.stop_requested = True
        if case.handle is not None:
            case.handle.stop()
        if case.runner is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(case.runner), CLOSE_GRACE_SECONDS)
            if not case.runner.done():
                case.runner.cancel()
        if case.writes:  # keyframes and evidence reach the record before it is sealed
            await asyncio.wait(set(case.writes), timeout=CLOSE_GRACE_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Wait until every queued timeline entry is written."""
        await self._log_queue.join()

    async def close(self) -> None:
        """Shutdown: stop the log writer (sessions were closed before)."""
        await self.flush()
        if self._log_writer is not None:
            self._log_writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._log_writer

    # --- starting and stopping ------------------------------------------------------------------------

    async def _start(self, case: _Case, sender: Sender, message: VerificationStart) -> None:
        session_id = case.info.session_id
        customer_id = message.customer_id or case.identified
        if customer_id is None:
            raise InvalidMessage(
                "verification_start: field customer_id is required until a flow identifies the customer"
            )
        if case.identified is not None and customer_id != case.identified:
            raise VerificationRefusedError("this session's business flow identified another customer")
        if case.starting or case.handle is not None:
            await self._refuse(case, "already_running", "A verification is already running in this call.")
            return
        if not self._require_link().connected(session_id, "customer"):
            await self._refuse(case, "customer_absent", "The customer has not joined the call yet.")
            return
        until = self._verifier.locked_until(customer_id)
        if until is not None:
            await self._refuse(
                case, "locked_out", "Too many failed verifications for this customer; try later.", until
            )
            return
        if not self._has_reference(customer_id):
            await self._refuse(case, "no_reference", "No reference photo is enrolled for this customer.")
            return
        running = sum(1 for c in self._cases.values() if c.starting or c.handle is not None)
        fps = self._expected_fps(running) if self._expected_fps is not None else None
        if fps is not None and fps < self._verifier.policy.pace.admit_fps:
            retry = self._busy_retry_after() if self._busy_retry_after is not None else None
            await self._refuse(
                case,
                "busy",
                "The server is too busy to run an identity check now; please start it again in a moment.",
                retry_after=None if retry is None else round(retry, 1),
            )
            return
        case.starting = True
        case.customer_id = customer_id
        case.stop_requested = False
        case.runner = asyncio.create_task(self._run(case, customer_id, sender), name=f"verify-{session_id}")

    def _stop(self, case: _Case) -> None:
        if not case.starting and case.handle is None:
            raise NotAllowed("no verification is running in this call")
        case.stop_requested = True
        if case.handle is not None:
            case.handle.stop()

    async def _run(self, case: _Case, customer_id: str, sender: Sender) -> None:
        session_id = case.info.session_id
        link = self._require_link()
        try:
            try:
                await self._ready()
            except Exception as error:
                logger.error("face analysis is unavailable (%s)", type(error).__name__)
                case.starting = False
                await self._refuse(case, "unavailable", "Verification is unavailable; please try again.")
                return
            if case.stop_requested or session_id not in self._cases:
                case.starting = False
                return
            try:
                handle = self._verifier.start(
                    session_id, customer_id, self._frames(session_id), lambda o: self._on_output(case, o)
                )
            except LockedOutError as locked:
                case.starting = False
                await self._refuse(
                    case, "locked_out", "Too many failed verifications; try later.", locked.until
                )
                return
            except Exception as error:
                logger.exception("could not start a verification attempt (%s)", type(error).__name__)
                case.starting = False
                await self._refuse(case, "unavailable", "Verification is unavailable; please try again.")
                return
            case.handle, case.nonce, case.starting = handle, handle.nonce, False
            challenges = handle.attempt.policy.challenges.count
            started = VerificationStarted(session_id, handle.nonce, challenges)
            link.send(session_id, "customer", started)
            link.send(session_id, "teller", started)
            self._log(
                link.now(),
                "verification_started",
                session_id,
                sender.username,
                {"attempt": handle.nonce, "customer_id": customer_id, "challenges": challenges},
            )
            try:
                decision = await self._decision(handle)
            except Exception as error:
                logger.error("a verification attempt crashed (%s)", type(error).__name__)
                link.send(
                    session_id,
                    "teller",
                    VerificationRefused(session_id, "unavailable", "The attempt failed; start again."),
                )
                self._log(link.now(), "verification_crashed", session_id, None, {"attempt": handle.nonce})
                return
            await self._decided(case, customer_id, handle, decision)
        finally:
            case.handle = None
            case.starting = False

    async def _decision(self, handle: VerificationHandle) -> Decision:
        """The attempt's decision; a stream that stalls (no frames, so no attempt clock) is stopped on the
        server's wall clock once the attempt's own time limit (and its longest pause) has passed."""
        policy = handle.attempt.policy
        limit = policy.max_seconds + policy.pace.max_pause + STALL_GRACE_SECONDS
        try:
            return await asyncio.wait_for(asyncio.shield(handle.decision), limit)
        except TimeoutError:
            # The attempt's clock runs on analysed frames. Paused for lack of them, or past the limit
            # while the customer's video still flows: the server was too slow to decide, not the
            # customer (``busy``). Only a stream that stopped is an aborted attempt.
            arrival = handle.runner.stats.last_arrival
            now = asyncio.get_running_loop().time()
            flowing = arrival is not None and now - arrival < STALL_GRACE_SECONDS
            handle.stop(Reason.BUSY if handle.attempt.paused or flowing else Reason.ABORTED)
            return await handle.decision

    async def _decided(
        self, case: _Case, customer_id: str, handle: VerificationHandle, decision: Decision
    ) -> None:
        session_id = case.info.session_id
        link = self._require_link()
        case.decisions.append(decision)
        lockout = handle.lockout
        if lockout is not None:
            self._log(
                link.now(),
                "verification_lockout",
                session_id,
                None,
                {"customer_id": customer_id, "until": round(lockout.until, 3), "failures": lockout.failures},
            )
        await self.flush()
        if decision.outcome is Outcome.REVIEW:
            case.review = (customer_id, decision)
            self._track(case, asyncio.ensure_future(self._send_review(case, customer_id, decision)))
        for listener in list(self._listeners):
            try:
                await listener(session_id, customer_id, decision)
            except Exception:
                logger.exception("a verification listener failed")

    # --- review ---------------------------------------------------------------------------------------

    async def _send_review(self, case: _Case, customer_id: str, decision: Decision) -> None:
        """The side-by-side pictures go to the teller only (decoded and scaled off the event loop)."""
        photo = None
        if self._reference_photo is not None:
            try:
                photo = await asyncio.to_thread(self._reference_photo, customer_id)
            except Exception as error:
                logger.warning(
                    "the reference photo could not be read for a review (%s)", type(error).__name__
                )
        reference, keyframe = await asyncio.to_thread(review_images, decision, photo)
        match, policy = decision.scores.match, self._verifier.policy.match
        self._require_link().send(
            case.info.session_id,
            "teller",
            VerificationReview(
                case.info.session_id,
                decision.nonce,
                distance=None if match is None else round(match.median, 3),
                accept_threshold=policy.accept,
                review_threshold=policy.review,
                reference_image=reference,
                keyframe_image=keyframe,
                reasons=[r.value for r in decision.reasons],
                accept_reasons=[r.value for r in ACCEPT_REASONS],
                reject_reasons=[r.value for r in REJECT_REASONS],
                four_eyes=self.four_eyes,
            ),
        )

    async def _resolve(self, case: _Case, sender: Sender, message: VerificationResolve) -> None:
        session_id = case.info.session_id
        link = self._require_link()
        if case.review is None or case.review[1].nonce != message.attempt:
            await self._refuse(case, "no_review", "There is no identity check waiting for your review.")
            return
        customer_id, decision = case.review
        by = sender.username or sender.role
        second: tuple[str, str] | None = None
        if self.four_eyes and message.second_username and message.second_password:
            name = message.second_username
            # The teller's desk is the "address" of this sign-in: guessing a colleague's password from
            # it meets the same throttle as any other sign-in (video_bank/sign_in_throttle.py).
            identity = (
                await self._check_staff(name, message.second_password, f"four-eyes:{by}")
                if self._check_staff
                else None
            )
            if isinstance(identity, SignInThrottled):
                await self._refuse(
                    case,
                    "second_staff_throttled",
                    "Too many wrong passwords for that colleague; wait a while.",
                )
                return
            if identity is None or identity.username is None:
                await self._refuse(
                    case, "second_staff_invalid", "The second staff member's sign-in was not accepted."
                )
                return
            second = (identity.username, identity.role.value)
        try:
            resolution = resolve(
                decision,
                accept=message.accept,
                reason=message.reason,
                by=by,
                at=link.now(),
                comment=message.comment,
                second=second,
                four_eyes=self.four_eyes,
            )
        except ReviewRefused as refused:
            if refused.code == "invalid_reason":
                raise InvalidMessage(f"verification_resolve: {refused}") from None
            await self._refuse(case, refused.code, str(refused))
            return
        case.review = None
        self._log(resolution.at, "verification_reviewed", session_id, by, resolution.to_event())
        link.send(
            session_id,
            "teller",
            VerificationResolved(
                session_id,
                decision.nonce,
                resolution.accept,
                resolution.reason.value,
                resolution.by,
                round(resolution.at, 3),
                resolution.second,
            ),
        )
        status, text = (
            ("passed", "Thank you, your identity is confirmed.")
            if resolution.accept
            else ("failed", "We could not confirm it is you. The teller will tell you what to do next.")
        )
        link.send(
            session_id,
            "customer",
            VerificationResult(session_id, decision.nonce, status=status, message=text),
        )
        await self.flush()
        for listener in list(self._review_listeners):
            try:
                await listener(session_id, customer_id, decision, resolution)
            except Exception:
                logger.exception("a review listener failed")

    # --- outputs ------------------------------------------------------------------------------------------

    def _on_output(self, case: _Case, output: Output) -> None:
        """Called on the event loop by the runner, in order."""
        link = self._link
        if link is None:
            return
        session_id = case.info.session_id
        nonce = case.nonce
        teller = case.info.teller
        match output:
            case PhaseChanged(phase=phase, at=at):
                link.send(session_id, "teller", VerificationPhase(session_id, nonce, phase.value))
                self._log(
                    at, "verification_phase", session_id, None, {"attempt": nonce, "phase": phase.value}
                )
            case Guidance(issue=issue, message=text, at=at):
                link.send(session_id, "customer", VerificationGuidance(session_id, nonce, issue.value, text))
                self._log(
                    at, "verification_guidance", session_id, None, {"attempt": nonce, "issue": issue.value}
                )
            case Prompt(
                index=index, action=action, attempt_try=attempt_try, text=text, at=at, deadline=deadline
            ):
                prompt = VerificationPrompt(
                    session_id,
                    nonce,
                    index,
                    action.value,
                    attempt_try,
                    text,
                    round(max(0.0, deadline - at), 3),
                )
                link.send(session_id, "customer", prompt)
                link.send(session_id, "teller", prompt)
                self._log(
                    at,
                    "verification_prompt",
                    session_id,
                    None,
                    {"attempt": nonce, "index": index, "action": action.value, "try": attempt_try},
                )
            case Paused(fps=fps, message=text, at=at):
                link.send(session_id, "teller", VerificationPhase(session_id, nonce, "paused"))
                link.send(session_id, "customer", VerificationGuidance(session_id, nonce, "busy", text))
                self._log(
                    at, "verification_paused", session_id, None, {"attempt": nonce, "fps": round(fps, 2)}
                )
            case Resumed(phase=phase, at=at):
                link.send(session_id, "teller", VerificationPhase(session_id, nonce, phase.value))
                self._log(at, "verification_resumed", session_id, None, {"attempt": nonce})
            case ChallengeProgress(index=index, action=action, status=status, result=result, at=at):
                progress = VerificationProgress(session_id, nonce, index, action.value, status, result.value)
                link.send(session_id, "teller", progress)
                self._log(
                    at,
                    "verification_progress",
                    session_id,
                    None,
                    {
                        "attempt": nonce,
                        "index": index,
                        "action": action.value,
                        "status": status,
                        "result": result.value,
                    },
                )
            case Decided(decision=decision):
                view = decision.teller_view()
                outcome = decision.outcome.value
                link.send(
                    session_id,
                    "teller",
                    VerificationResult(session_id, nonce, outcome=outcome, detail=view),
                )
                customer = decision.customer_view()
                link.send(
                    session_id,
                    "customer",
                    VerificationResult(
                        session_id, nonce, status=customer["status"], message=customer["message"]
                    ),
                )
                self._log(
                    decision.decided_at,
                    "verification_decided",
                    session_id,
                    None,
                    {"attempt": nonce, "customer_id": case.customer_id, "requested_by": teller, **view},
                )
                self._record_keyframes(case, decision, nonce)
                self._record_evidence(case, decision, nonce)

    def _record_evidence(self, case: _Case, decision: Decision, nonce: str) -> None:
        """Every input of the attempt, so an auditor can re-derive the decision: into the encrypted
        session record only (embeddings and thumbnails are biometric data)."""
        handle = case.handle
        if handle is None or handle.nonce != nonce:
            return
        evidence = handle.attempt.evidence()
        link, session_id = self._require_link(), case.info.session_id

        async def write() -> None:
            encoded = await asyncio.to_thread(encode_evidence, evidence)  # deflate and base64: off the loop
            data = {"attempt": nonce, **encoded}
            await link.record(decision.decided_at, "verification_evidence", session_id, None, data)

        self._track(case, asyncio.ensure_future(write()))

    def _record_keyframes(self, case: _Case, decision: Decision, nonce: str) -> None:
        """Keyframes go into the encrypted session record only (never the plaintext event log)."""
        link = self._require_link()
        frames = [
            {"at": round(k.at, 3), "jpeg_base64": base64.b64encode(k.jpeg).decode("ascii")}
            for k in decision.keyframes
            if k.jpeg is not None
        ]
        if frames:
            task = asyncio.ensure_future(
                link.record(
                    decision.decided_at,
                    "verification_keyframes",
                    case.info.session_id,
                    None,
                    {"attempt": nonce, "keyframes": frames},
                )
            )
            self._track(case, task)

    def _track(self, case: _Case, task: asyncio.Future[None]) -> None:
        case.writes.add(task)
        task.add_done_callback(case.writes.discard)
        task.add_done_callback(_log_failure)

    # --- plumbing -------------------------------------------------------------------------------------------

    def _require_link(self) -> SessionLink:
        if self._link is None:
            raise RuntimeError("the verification desk is not bound to a signaling service")
        return self._link

    async def _refuse(
        self,
        case: _Case,
        reason: str,
        text: str,
        until: float | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        link = self._require_link()
        session_id = case.info.session_id
        link.send(session_id, "teller", VerificationRefused(session_id, reason, text, until, retry_after))
        self._log(link.now(), "verification_refused", session_id, None, {"reason": reason})
        await self.flush()

    def _log(self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]) -> None:
        """Queue a timeline entry; one writer keeps them in order without blocking the runner."""
        self._log_queue.put_nowait((at, kind, session_id, actor, data))
        if self._log_writer is None or self._log_writer.done():
            self._log_writer = asyncio.create_task(self._write_log(), name="verification-log")

    async def _write_log(self) -> None:
        link = self._require_link()
        while True:
            at, kind, session_id, actor, data = await self._log_queue.get()
            try:
                await link.log(at, kind, session_id, actor, data)
            except Exception:
                logger.exception("could not log %s", kind)
            finally:
                self._log_queue.task_done()


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error(
            "could not record verification keyframes or evidence (%s)", type(task.exception()).__name__
        )


__all__ = ["NonceError", "VerificationDesk"]
