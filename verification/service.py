"""The one object the application holds: start verifications, apply lockout, bind results to sessions.

:class:`Verifier` puts the pieces together for the signaling layer::

    handle = verifier.start(session_id, customer_id, hub.subscribe(session_id, "customer", "video", 2), send)
    ...                                   # outputs arrive through ``send`` as the attempt runs
    decision = await handle.decision      # also delivered to ``send`` as a Decided output
    verifier.consume(decision, session_id)  # once, when a business action relies on it

``start`` refuses a locked-out customer (:class:`~verification.errors.LockedOutError`), issues the
attempt's single-use nonce, loads the reference embedding (none enrolled: the outcome is at best
``review``), draws the challenges with an unpredictable random source, and runs the attempt in a task.
A failed attempt counts towards the customer's lockout; the lockout event, if any, is reported with the
decision. :meth:`Verifier.consume` redeems the nonce: a decision authorises one business action, in
its own session, within the nonce's lifetime.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from verification.attempt import Attempt, Output
from verification.decision import Decision, Outcome
from verification.errors import UnknownReferenceError
from verification.frame_analysis import Vector
from verification.lockout import Lockout, LockoutEvent
from verification.nonce import NonceBook
from verification.policy import VerificationPolicy
from verification.reasons import Reason
from verification.runner import Analyser, Delivery, VerificationRunner

logger = logging.getLogger(__name__)


class EnrolledReference(Protocol):
    """One customer's enrolled reference, as the decision needs it."""

    @property
    def embedding(self) -> Vector:
        """128-d embedding of the reference face."""
        ...


class References(Protocol):
    """Where enrolled references come from: :class:`~verification.reference_store.ReferenceStore`
    (an adapter: it decodes photos with OpenCV), or a double in tests."""

    def load(self, customer_id: str) -> EnrolledReference:
        """The customer's reference; raises :class:`~verification.errors.UnknownReferenceError`."""
        ...


@dataclass(slots=True)
class VerificationHandle:
    """A running verification."""

    nonce: str
    """The attempt's nonce (put it in every protocol message about this attempt)."""
    attempt: Attempt = field(repr=False)
    """The state machine (read its ``phase``; never feed it from outside)."""
    runner: VerificationRunner = field(repr=False)
    """The adapter driving it (``stats`` for metrics)."""
    task: asyncio.Task[Decision] = field(repr=False)
    """The running task; its result is the decision."""
    lockout: LockoutEvent | None = None
    """Set when this attempt's failure locked the customer out."""

    @property
    def decision(self) -> asyncio.Task[Decision]:
        """Await this for the decision."""
        return self.task

    def stop(self, reason: Reason = Reason.ABORTED) -> None:
        """End the attempt now: the call ended (``fail``, reason ``aborted``), or the server could not
        analyse its frames (``busy``)."""
        self.runner.stop(reason)


class Verifier:
    """Starts verification attempts for the application (see the module docstring)."""

    def __init__(
        self,
        *,
        analyser: Analyser,
        references: References | None,
        lockout: Lockout,
        nonces: NonceBook,
        policy: VerificationPolicy | None = None,
        rng: Callable[[], random.Random] = random.SystemRandom,
        sample_fps: float | None = None,
    ) -> None:
        self.policy = policy or VerificationPolicy()
        self.sample_fps = sample_fps
        """Frames analysed per second per attempt at most (``None``: the policy's ``sample_fps``)."""
        self._analyser = analyser
        self._references = references
        self._lockout = lockout
        self._nonces = nonces
        self._rng = rng

    def start(
        self,
        session_id: str,
        customer_id: str,
        source: AsyncIterable[Delivery],
        on_output: Callable[[Output], None],
    ) -> VerificationHandle:
        """Start an attempt on ``source`` (the customer's decoded video); raises ``LockedOutError``."""
        self._lockout.check(customer_id)
        reference = None
        if self._references is not None:
            try:
                reference = self._references.load(customer_id).embedding
            except UnknownReferenceError:
                reference = None
        nonce = self._nonces.issue(session_id)
        attempt = Attempt(nonce=nonce, policy=self.policy, rng=self._rng(), reference=reference)
        runner = VerificationRunner(attempt, source, self._analyser, on_output, sample_fps=self.sample_fps)
        handle = VerificationHandle(nonce, attempt, runner, asyncio.ensure_future(runner.run()))

        def finished(task: asyncio.Task[Decision]) -> None:
            if task.cancelled() or task.exception() is not None:
                if not task.cancelled():
                    logger.warning("a verification attempt crashed (%s)", type(task.exception()).__name__)
                return
            if task.result().outcome is Outcome.FAIL:
                handle.lockout = self._lockout.record_failure(customer_id)

        handle.task.add_done_callback(finished)
        return handle

    def locked_until(self, customer_id: str) -> float | None:
        """When a locked-out customer may try again; ``None`` when they may now."""
        return self._lockout.locked_until(customer_id)

    def consume(self, decision: Decision, session_id: str) -> None:
        """Use a decision for one business action in ``session_id``; raises ``NonceError`` the second time,
        for another session, or once the nonce expired."""
        self._nonces.redeem(decision.nonce, session_id)
