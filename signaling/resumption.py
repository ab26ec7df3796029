"""The switchboard's part for lost and resumed connections (docs/protocol.md, "Resume").

Pure like the switchboard: every method takes ``now`` and returns effects. It decides with
:mod:`signaling.leg_grace` (who is lost, until when) and :mod:`signaling.resume_tokens` (who may
come back), and works on the switchboard it belongs to (its parties, sessions and routing, through
the switchboard's own private helpers: this module is a part of the switchboard kept apart).

- **A party of a call drops** (:meth:`Resumption.keep`): the leg is kept for the grace period. The
  other party is told (``leg_state`` ``lost``), the record gets ``leg_lost``, the desks break off
  what needs both parties (:class:`~signaling.effects.LegLost`). After the grace period the session
  ends ``customer_lost`` / ``teller_lost``.
- **A waiting customer drops**: their task keeps its place in line but is offered to no one; after
  the grace period they have abandoned (``customer_abandoned``), as before.
- **The party comes back** (:meth:`Resumption.resume`, the ``resume`` message on a new socket): the
  token is checked (right leg, same identity) and consumed, the new connection takes the old one's
  place (the same session, its record, flow and co-browse state), a new token is issued, the record
  gets ``leg_resumed``, the other party ``leg_state`` ``resumed``, the desks re-send their state.
  If the server had not yet noticed the old socket died, that socket is closed with 4011.
- **A peer connection fails while the socket lives** (:meth:`Resumption.media_failed`): the party
  is asked for a new one (``media_restart``); the call ends ``media_failed`` only if none connects
  within the grace period.
- **The teller is lost for good** (:meth:`Resumption.requeue`): the customer goes back to the head
  of the line.

With a grace period of 0 nothing is kept: a lost party ends the call at once, as a failed peer
connection does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from signaling import effects as fx
from signaling.errors import CloseCode, NotAllowed
from signaling.identity import Role
from signaling.leg_grace import Grace
from signaling.messages import MediaState, TaskOfferWithdrawn
from signaling.resume_messages import LegState, MediaRestart, QueueResumed, SessionResumed
from signaling.resume_tokens import ResumeBook, Subject, refused
from signaling.routing import Task
from signaling.session import LEGS, CallSession, Leg
from signaling.states import CustomerState

if TYPE_CHECKING:
    from collections.abc import Callable

    from signaling.switchboard import Participant, Switchboard

LegKey = tuple[str, Leg]
"""(session id, leg)."""


def _other(leg: Leg) -> Leg:
    return "teller" if leg == "customer" else "customer"


class Resumption:
    """Grace periods and resume tokens of one switchboard."""

    def __init__(self, switchboard: Switchboard, grace_seconds: float, new_id: Callable[[], str]) -> None:
        self._sb = switchboard
        self.grace_seconds = grace_seconds
        self._book = ResumeBook(new_id, lambda: new_id() + new_id())
        self._legs: Grace[LegKey] = Grace(grace_seconds)
        self._media: Grace[LegKey] = Grace(grace_seconds)
        self._waiting: Grace[str] = Grace(grace_seconds)
        self._parked: dict[LegKey, Participant] = {}
        """The lost connections of legs in their grace period (what the new connection takes over)."""
        self._parked_waiting: dict[str, Participant] = {}
        """Lost waiting customers by task id."""

    # --- views ---------------------------------------------------------------------------------------

    @property
    def kept(self) -> int:
        """Legs and places in line held for their grace period now."""
        return len(self._legs) + len(self._waiting)

    @property
    def tokens(self) -> int:
        """Resume tokens that can still be redeemed."""
        return len(self._book)

    def next_deadline(self) -> float | None:
        """When the earliest grace period ends."""
        times = [g.next_deadline() for g in (self._legs, self._media, self._waiting)]
        return min((t for t in times if t is not None), default=None)

    # --- tokens --------------------------------------------------------------------------------------

    def welcome_token(self, conn_id: str, now: float) -> str:
        """The token for a customer's place in line, should they join and drop while waiting."""
        return self._book.issue(Subject("queue", conn_id, "customer"), now)

    def session_token(self, session_id: str, leg: Leg, now: float) -> str:
        """The token for a party's leg of a session (a customer keeps the place-in-line token of the
        connection for a later wait on it)."""
        return self._book.issue(Subject("session", session_id, leg), now)

    # --- a connection drops --------------------------------------------------------------------------

    def keep(self, p: Participant, now: float) -> list[fx.Effect] | None:
        """``p``'s socket is gone: the effects of keeping its leg or place, or ``None`` when nothing is
        kept (the switchboard then ends the call or the wait at once, as without resume)."""
        sb = self._sb
        role = p.role
        if role is None:
            return None
        if self.grace_seconds > 0 and role.is_customer_side and p.state is CustomerState.WAITING:
            return self._park_waiting(p, now)
        if role.is_customer_side:  # the place-in-line token of this connection has nothing to keep
            self._book.retire(Subject("queue", p.conn_id, "customer"), now)
        session = sb.session(p.session_id) if p.session_id else None
        if self.grace_seconds > 0 and session is not None:
            return self._leg_lost(session, session.leg_of(p.conn_id), p, now)
        return None

    def _leg_lost(self, session: CallSession, leg: Leg, p: Participant, now: float) -> list[fx.Effect]:
        key = (session.id, leg)
        lost = self._legs.lose(key, now)
        self._parked[key] = p
        actor = p.username if leg == "teller" else None
        grace = math.ceil(lost.seconds_left(now))
        return [
            fx.LogEvent(now, "leg_lost", session.id, actor, {"leg": leg, "grace_seconds": grace}),
            *self._to_leg(session, _other(leg), LegState(session.id, leg, "lost", grace)),
            fx.LegLost(session.id, leg, now),
        ]

    def _park_waiting(self, p: Participant, now: float) -> list[fx.Effect]:
        sb = self._sb
        holder = sb.router.hold(p.conn_id, now)
        self._waiting.lose(p.conn_id, now)
        self._parked_waiting[p.conn_id] = p
        out: list[fx.Effect] = [
            fx.LogEvent(
                now,
                "waiting_lost",
                data={"business": p.business, "task": p.conn_id, "grace_seconds": self.grace_seconds},
            )
        ]
        teller = sb._teller_conn(holder) if holder is not None else None
        if teller is not None:
            out.append(fx.Send(teller.conn_id, TaskOfferWithdrawn(p.conn_id, "customer_left")))
            out += sb._teller_changed(teller, now)
            out += sb._route(now)
        return out

    # --- grace periods run out -----------------------------------------------------------------------

    def tick(self, now: float) -> list[fx.Effect]:
        """End what was not resumed in time."""
        sb = self._sb
        out: list[fx.Effect] = []
        for session_id, leg in self._legs.due(now):
            # The parked connection stays until the session's end (which releases a lost teller).
            out += sb.end_session(session_id, "customer_lost" if leg == "customer" else "teller_lost", now)
        for session_id, _ in self._media.due(now):
            out += sb.end_session(session_id, "media_failed", now)
        for task_id in self._waiting.due(now):
            parked = self._parked_waiting.pop(task_id)
            self._book.retire(Subject("queue", task_id, "customer"), now)
            out += sb._abandon(parked, now, "customer_abandoned")
        self._book.forget_before(now)
        return out

    # --- a party comes back --------------------------------------------------------------------------

    def resume(self, p: Participant, token: str, now: float) -> list[fx.Effect]:
        """``resume`` on ``p``'s new connection (right after ``welcome``)."""
        if p.role is Role.TELLER:
            leg: Leg = "teller"
        elif p.role is not None and p.role.is_customer_side:
            leg = "customer"
        else:  # pragma: no cover - the state table admits resume only for these roles
            raise NotAllowed("only the parties of a call resume")
        subject = self._book.check(token, leg)
        if subject.kind == "session":
            return self._resume_leg(p, subject, token, now)
        return self._resume_waiting(p, subject, token, now)

    def _resume_leg(self, p: Participant, subject: Subject, token: str, now: float) -> list[fx.Effect]:
        sb = self._sb
        leg = subject.leg
        session = sb.session(subject.id)
        if session is None:  # pragma: no cover - tokens are retired when their session ends
            self._book.retire(subject, now)
            raise refused("ended")
        key = (session.id, leg)
        parked = self._parked.get(key)
        current = session.customer_conn if leg == "customer" else session.teller_conn
        live = sb.participant(current) if current is not None and current != p.conn_id else None
        owner = parked if parked is not None else live
        if owner is None:
            raise refused("unknown")
        if owner.role is not p.role or _username(owner) != _username(p):
            raise refused("other_leg")
        self._book.redeem(token, leg, now)
        out: list[fx.Effect] = []
        if parked is None and live is not None:
            # The server had not noticed that the old socket died: it is replaced now.
            sb._participants.pop(live.conn_id, None)
            self._legs.lose(key, now)
            out += [
                fx.Close(live.conn_id, CloseCode.RESUMED, "resumed on another connection"),
                fx.LogEvent(
                    now, "leg_lost", session.id, _actor(live, leg), {"leg": leg, "detected": "resume"}
                ),
                fx.LegLost(session.id, leg, now),
            ]
        gap = self._legs.resume(key, now)
        self._parked.pop(key, None)
        away = round(gap.seconds, 3) if gap is not None else 0.0
        p.display_name, p.business, p.elderly = owner.display_name, owner.business, owner.elderly
        p.session_id = session.id
        if leg == "customer":
            session.customer_conn = p.conn_id
            sb._enter(p, CustomerState.IN_CALL, now)
        else:
            session.teller_conn = p.conn_id
            p.wrap_up_session = None
            out += sb._teller_changed(p, now, force=True)
        session.connected.discard(leg)  # a new peer connection is negotiated
        other = session.teller_conn if leg == "customer" else session.customer_conn
        peer_present = other is not None and sb.participant(other) is not None
        resumed = SessionResumed(
            session.id,
            session.business,
            sb._peer_of(session, leg),
            away,
            kind=session.kind,
            elderly=session.elderly if leg == "customer" else None,
            peer_present=peer_present,
            resume_token=self._book.issue(subject, now),
        )
        out += [
            fx.Send(p.conn_id, sb._with_ice(resumed, leg, now)),
            *self._to_leg(session, _other(leg), LegState(session.id, leg, "resumed")),
            fx.LogEvent(now, "leg_resumed", session.id, _actor(p, leg), {"leg": leg, "away_seconds": away}),
            fx.LegResumed(session.id, leg, now),
        ]
        return out

    def _resume_waiting(self, p: Participant, subject: Subject, token: str, now: float) -> list[fx.Effect]:
        sb = self._sb
        task_id = subject.id
        parked = self._parked_waiting.get(task_id)
        live = sb.participant(task_id) if task_id != p.conn_id else None
        if live is not None and live.state is not CustomerState.WAITING:
            live = None
        owner = parked if parked is not None else live
        if owner is None or sb.router.task(task_id) is None:
            raise refused("ended")
        if owner.role is not p.role or _username(owner) != _username(p):
            raise refused("other_leg")
        self._book.redeem(token, "customer", now)
        out: list[fx.Effect] = []
        if parked is None and live is not None:
            sb._participants.pop(live.conn_id, None)
            self._waiting.lose(task_id, now)
            out.append(fx.Close(live.conn_id, CloseCode.RESUMED, "resumed on another connection"))
        gap = self._waiting.resume(task_id, now)
        self._parked_waiting.pop(task_id, None)
        sb.router.unhold(task_id, p.conn_id)
        p.display_name, p.business, p.elderly = owner.display_name, owner.business, owner.elderly
        p.talk_now, p.callback_offered = owner.talk_now, owner.callback_offered
        p.last_position = None
        sb._enter(p, CustomerState.WAITING, owner.state_since)  # the wait counts from the first join
        away = round(gap.seconds, 3) if gap is not None else 0.0
        token = self._book.issue(Subject("queue", p.conn_id, "customer"), now)
        out += [
            fx.Send(p.conn_id, QueueResumed(owner.business or "", away, token)),
            fx.LogEvent(
                now,
                "waiting_resumed",
                data={"business": owner.business, "task": p.conn_id, "away_seconds": away},
            ),
            *sb._route(now),
        ]
        return out

    # --- media ---------------------------------------------------------------------------------------

    def media_failed(self, session: CallSession, leg: Leg, now: float) -> list[fx.Effect]:
        """The hub found ``leg``'s peer connection failed: ask for a new one (or end the call without
        a grace period)."""
        if self.grace_seconds <= 0:
            return self._sb.end_session(session.id, "media_failed", now)
        key = (session.id, leg)
        session.connected.discard(leg)
        if key in self._media:
            return []
        lost = self._media.lose(key, now)
        grace = math.ceil(lost.seconds_left(now))
        out: list[fx.Effect] = [fx.LogEvent(now, "media_lost", session.id, data={"leg": leg})]
        out += self._to_leg(session, leg, MediaRestart(session.id, "failed", grace))
        for party in LEGS:
            out += self._to_leg(session, party, MediaState(session.id, "connecting"))
        return out

    def media_connected(self, session: CallSession, leg: Leg, now: float) -> list[fx.Effect]:
        """``leg``'s (new) peer connection is up: the media gap, if any, is over."""
        gap = self._media.resume((session.id, leg), now) if (session.id, leg) in self._media else None
        if gap is None:
            return []
        return [
            fx.LogEvent(
                now, "media_resumed", session.id, data={"leg": leg, "away_seconds": round(gap.seconds, 3)}
            )
        ]

    # --- the end of a session ------------------------------------------------------------------------

    def session_ended(self, session: CallSession, now: float) -> list[fx.Effect]:
        """Retire the session's tokens and grace periods; a teller who was away is released."""
        sb = self._sb
        out: list[fx.Effect] = []
        for leg in LEGS:
            key = (session.id, leg)
            self._book.retire(Subject("session", session.id, leg), now)
            self._legs.forget(key)
            self._media.forget(key)
            parked = self._parked.pop(key, None)
            if parked is None or leg != "teller":
                continue
            # The teller never came back to this call: wrap up on a new connection, or sign out.
            current = sb._teller_conn(session.teller_username)
            if current is not None:
                sb.router.call_ended(session.teller_username, now)
                out += sb._teller_changed(current, now)
            else:
                sb.router.sign_out(session.teller_username, now)
                out.append(
                    fx.LogEvent(now, "teller_state", actor=session.teller_username, data={"state": "offline"})
                )
        return out

    def requeue(self, customer: Participant, session: CallSession, now: float) -> tuple[str, list[fx.Effect]]:
        """Put the customer of a call whose teller was lost back at the head of the line; returns the
        token that keeps the new place and the effects (routing)."""
        sb = self._sb
        config = sb.router.config
        priority = config.routing(session.business).priority + (
            config.elderly_priority if session.elderly else 0
        )
        customer.last_position = None
        customer.callback_offered = False
        sb._enter(customer, CustomerState.WAITING, now)
        sb.router.enqueue(
            Task(customer.conn_id, "call", session.business, priority, now, session.elderly, head=True)
        )
        token = self._book.issue(Subject("queue", customer.conn_id, "customer"), now)
        return token, sb._route(now)

    # --- helpers -------------------------------------------------------------------------------------

    def _to_leg(
        self, session: CallSession, leg: Leg, message: LegState | MediaRestart | MediaState
    ) -> list[fx.Effect]:
        """Send to the party on ``leg`` when it is connected (not while it is lost itself)."""
        conn = session.customer_conn if leg == "customer" else session.teller_conn
        if conn is None or (session.id, leg) in self._legs or self._sb.participant(conn) is None:
            return []
        return [fx.Send(conn, message)]


def _username(p: Participant) -> str | None:
    return p.identity.username if p.identity is not None else None


def _actor(p: Participant, leg: Leg) -> str | None:
    return _username(p) if leg == "teller" else None
