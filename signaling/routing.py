"""The routing engine: tasks wait in priority order, tellers are offered the tasks they may take.

Pure: every method takes the server time ``now``; nothing awaits or reads a clock.

Rules (docs/routing.md):

- Tasks are ordered by priority (higher first), then by when they were created, then by arrival
  sequence. With priority ageing (``ageing_seconds_per_point`` > 0) every priority point counts as
  that many seconds of waiting instead: tasks are ordered by ``created_at − priority × seconds``, so
  a low-priority task is overtaken only by arrivals within its priority gap and is never starved.
  A task put back after a timed-out or rejected offer keeps its place.
- Each business has timed routing steps: the step in force for a task depends on how long it has
  waited and whether it is in the elderly lane; a step names the least proficiency and whether only
  elder-care tellers qualify.
- A task goes to the eligible available teller who has been idle longest. With the elder-care desk
  (``elder_care_mode = "desk"``) designated tellers are offered elderly customers first and others
  only while no elderly customer waits and ``desk_keep_free`` other designated tellers stay free;
  an elderly customer goes to a designated teller before anyone else, a standard one to anyone else
  before a designated teller.
- An offer is a reservation: the teller accepts within the offer timeout (or has chosen auto-accept),
  otherwise the teller goes away (``no_answer``) and the task is offered again. A rejection sends the
  teller away (``rejected``) likewise.
- After a call the teller wraps up (default 30 s; may finish early or extend), then is available.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from signaling.routing_config import RoutingConfig, Step
from signaling.states import TellerState
from signaling.wait_estimate import Overtaking, estimate_wait

TaskKind = Literal["call", "callback"]


@dataclass(slots=True)
class Task:
    """A customer's request for a teller."""

    id: str
    """Unique id (the customer's connection id for calls, the reservation id for callbacks)."""
    kind: TaskKind
    """A live caller waiting, or a booked callback."""
    business: str
    """Business type."""
    priority: int
    """Effective priority (business + elderly + VIP)."""
    created_at: float
    """When the customer first asked (keeps the place in line)."""
    elderly: bool = False
    """In the elderly lane."""
    vip: bool = False
    """VIP customer (from the bank's records, never from the client)."""
    language: str | None = None
    """Preferred language, informational."""
    not_before: float = 0.0
    """Not routed before this time (callback window start)."""
    expires_at: float | None = None
    """Dropped as expired after this time (callback window end)."""
    seq: int = 0
    """Arrival order, set by the router."""
    reserved_by: str | None = None
    """Teller holding an offer for this task."""
    held: bool = False
    """The customer's connection is lost: the task keeps its place but is not offered (grace period)."""
    head: bool = False
    """Put back at the head of the line (the customer's teller was lost mid-call)."""

    def order_key(self, ageing_seconds_per_point: float = 0.0) -> tuple[int, float, float, int]:
        """Sort key: put back at the head first, then priority, age, arrival; with ageing, the age with
        a head start of ``priority × ageing_seconds_per_point`` seconds."""
        first = 0 if self.head else 1
        if ageing_seconds_per_point > 0:
            return (
                first,
                self.created_at - self.priority * ageing_seconds_per_point,
                self.created_at,
                self.seq,
            )
        return (first, -self.priority, self.created_at, self.seq)

    def routing_age(self, now: float) -> float:
        """How long the task has been routable (for the timed steps)."""
        return now - max(self.created_at, self.not_before)


@dataclass(frozen=True, slots=True)
class TellerProfile:
    """What routing knows about a teller's abilities."""

    id: str
    """Account name."""
    skills: Mapping[str, int] = field(default_factory=dict)
    """Proficiency 1–5 per business type (absent = 0, not skilled)."""
    elder_care: bool = False
    """Designated elder-care teller."""


@dataclass(slots=True)
class Teller:
    """A signed-in teller as routing sees them."""

    profile: TellerProfile
    state: TellerState
    state_since: float
    """When the current state began."""
    idle_since: float
    """When the teller last became free (longest-idle choice)."""
    away_reason: str | None = None
    task_id: str | None = None
    """Task offered to or being served by this teller."""
    offer_expires: float | None = None
    auto_accept: bool = False
    wrap_up_until: float | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A reservation of a task for a teller."""

    task_id: str
    teller_id: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Lapse:
    """Something that ran out of time during :meth:`Router.expire`."""

    kind: Literal["offer_timeout", "wrap_up_over", "callback_expired"]
    teller_id: str | None
    task: Task | None


_STAFFED = (TellerState.AVAILABLE, TellerState.RESERVED, TellerState.IN_CALL, TellerState.WRAP_UP)
"""Teller states that count as staffing the line."""
ARRIVAL_WINDOW_SECONDS = 1800.0
"""Arrival rates for the wait estimate are measured over this much of the recent past."""
MIN_RATE_SPAN_SECONDS = 60.0
"""Right after the first arrival, rates are averaged over at least this long (no spike from one join)."""


class RoutingError(ValueError):
    """An operation that does not fit the current state (a bug in the caller or a stale message)."""


class Router:
    """Queue of tasks and roster of tellers, with the routing rules."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._tasks: dict[str, Task] = {}
        self._tellers: dict[str, Teller] = {}
        self._seq = itertools.count(1)
        self._arrivals: deque[tuple[float, int, bool]] = deque()
        """(time, priority, elderly) of recent live callers, oldest first, for the arrival rates."""
        self._arrival_counts: dict[tuple[int, bool], int] = {}
        self._first_arrival: float | None = None

    # --- views -------------------------------------------------------------------------------------

    def task(self, task_id: str) -> Task | None:
        """A task still waiting or reserved."""
        return self._tasks.get(task_id)

    def teller(self, teller_id: str) -> Teller | None:
        """A signed-in teller."""
        return self._tellers.get(teller_id)

    @property
    def tellers(self) -> Iterable[Teller]:
        """Signed-in tellers."""
        return self._tellers.values()

    def queue(self, now: float) -> list[Task]:
        """Routable tasks (waiting or reserved), next first."""
        return sorted((t for t in self._tasks.values() if t.not_before <= now), key=self._order_key)

    def scheduled(self, now: float) -> list[Task]:
        """Callback tasks whose window has not opened yet."""
        return sorted((t for t in self._tasks.values() if t.not_before > now), key=self._order_key)

    def position(self, task_id: str, now: float) -> int:
        """1-based place of a routable task in the line."""
        for index, task in enumerate(self.queue(now), start=1):
            if task.id == task_id:
                return index
        raise RoutingError("task is not in line")

    def able_tellers(self, task: Task) -> int:
        """Staffed tellers who could take ``task`` at its loosest step (for the wait estimate).

        With the elder-care desk, a customer outside the elderly lane does not count the designated
        tellers the desk holds back (``desk_keep_free``, at most all but one of them).
        """
        routing = self.config.routing(task.business)
        loosest = (routing.elderly_steps if task.elderly else routing.steps)[-1]
        able = designated = 0
        for t in self._tellers.values():
            if t.state in _STAFFED and loosest.admits(
                t.profile.skills.get(task.business, 0), t.profile.elder_care
            ):
                able += 1
                designated += t.profile.elder_care
        if self.config.desk and not task.elderly:
            able -= max(0, min(designated - 1, self.config.desk_keep_free))
        return able

    def overtaking(self, task: Task, now: float) -> list[Overtaking]:
        """Later live callers who will get ahead of ``task``: the recent arrival rate of each higher
        priority and how much longer such an arrival still sorts ahead (for the wait estimate)."""
        self._forget_arrivals(now)
        if self._first_arrival is None:
            return []
        span = min(ARRIVAL_WINDOW_SECONDS, max(MIN_RATE_SPAN_SECONDS, now - self._first_arrival))
        ageing = self.config.ageing_seconds_per_point
        # The desk's held-back tellers are not counted for customers outside the lane (able_tellers);
        # the elderly customers who overtake them are the desk's to serve.
        skip_elderly = self.config.desk and not task.elderly
        out = []
        for (priority, elderly), count in self._arrival_counts.items():
            if priority <= task.priority or count == 0 or (elderly and skip_elderly):
                continue
            if ageing > 0:
                window = max(0.0, task.created_at + (priority - task.priority) * ageing - now)
            else:
                window = math.inf
            out.append(Overtaking(count / span, window))
        return out

    def wait_estimate(
        self, task: Task, position: int, now: float, *, average_handle: float, able: int
    ) -> int:
        """Estimated seconds until ``task`` at ``position`` is served (:mod:`signaling.wait_estimate`):
        ``able`` tellers (:meth:`able_tellers`, which callers may compute once per business and
        lane), each taken for ``average_handle`` plus the wrap-up per call, and the later arrivals
        that will overtake it."""
        occupancy = average_handle + self.config.wrap_up_seconds
        return estimate_wait(position, able, occupancy, self.overtaking(task, now))

    # --- tasks -------------------------------------------------------------------------------------

    def enqueue(self, task: Task) -> Task:
        """Add a task at its place in line."""
        if task.id in self._tasks:
            raise RoutingError("task already queued")
        task.seq = next(self._seq)
        task.reserved_by = None
        self._tasks[task.id] = task
        if task.kind == "call":
            self._arrived(task)
        return task

    def withdraw(self, task_id: str, now: float) -> Task | None:
        """Take a task out (abandoned, cancelled); a teller holding its offer becomes available again."""
        task = self._tasks.pop(task_id, None)
        if task is not None and task.reserved_by is not None:
            teller = self._tellers.get(task.reserved_by)
            if teller is not None and teller.task_id == task_id:
                self._free(teller, now, idle_since=teller.idle_since)  # never served: keeps its place
        return task

    def hold(self, task_id: str, now: float) -> str | None:
        """The task's customer lost their connection: keep the place, offer it to no one meanwhile.

        Returns the teller whose offer of it was withdrawn (now available again), if any."""
        task = self._tasks.get(task_id)
        if task is None:
            raise RoutingError("task is not in line")
        holder = task.reserved_by
        if holder is not None:
            teller = self._tellers.get(holder)
            if teller is not None and teller.task_id == task_id:
                self._free(teller, now, idle_since=teller.idle_since)
            task.reserved_by = None
        task.held = True
        return holder

    def unhold(self, task_id: str, new_id: str) -> Task:
        """The customer is back (on connection ``new_id``): the task, renamed, may be offered again."""
        task = self._tasks.pop(task_id, None)
        if task is None:
            raise RoutingError("task is not in line")
        if new_id in self._tasks:
            self._tasks[task_id] = task
            raise RoutingError("a task with the new id is already in line")
        task.id = new_id
        task.held = False
        self._tasks[new_id] = task
        return task

    # --- tellers -----------------------------------------------------------------------------------

    def sign_in(self, profile: TellerProfile, now: float) -> Teller:
        """A teller logged in; starts away with reason ``login``."""
        if profile.id in self._tellers:
            raise RoutingError("teller already signed in")
        teller = Teller(profile, TellerState.AWAY, now, now, away_reason="login")
        self._tellers[profile.id] = teller
        return teller

    def sign_out(self, teller_id: str, now: float) -> Task | None:
        """A teller left; a task reserved for them goes back in line (returned)."""
        teller = self._tellers.pop(teller_id, None)
        if teller is None:
            return None
        return self._release_task(teller)

    def set_available(self, teller_id: str, now: float, *, auto_accept: bool | None = None) -> Teller:
        """Away or wrap-up → available."""
        teller = self._require(teller_id, TellerState.AWAY, TellerState.WRAP_UP, TellerState.AVAILABLE)
        if auto_accept is not None:
            teller.auto_accept = auto_accept
        if teller.state is not TellerState.AVAILABLE:
            self._free(teller, now)
        return teller

    def set_away(self, teller_id: str, reason: str, now: float) -> Teller:
        """Available or wrap-up → away with a reason code."""
        teller = self._require(teller_id, TellerState.AVAILABLE, TellerState.WRAP_UP, TellerState.AWAY)
        self._enter(teller, TellerState.AWAY, now)
        teller.away_reason = reason
        teller.wrap_up_until = None
        return teller

    def call_ended(self, teller_id: str, now: float) -> Teller | None:
        """In-call → wrap-up for the configured time (straight to available when it is 0)."""
        teller = self._tellers.get(teller_id)
        if teller is None or teller.state is not TellerState.IN_CALL:
            return teller
        teller.task_id = None
        if self.config.wrap_up_seconds <= 0:
            self._free(teller, now)
        else:
            self._enter(teller, TellerState.WRAP_UP, now)
            teller.wrap_up_until = now + self.config.wrap_up_seconds
        return teller

    def extend_wrap_up(self, teller_id: str, now: float) -> Teller:
        """Add the configured extension to a running wrap-up."""
        teller = self._require(teller_id, TellerState.WRAP_UP)
        assert teller.wrap_up_until is not None
        teller.wrap_up_until = max(teller.wrap_up_until, now) + self.config.wrap_up_extend_seconds
        return teller

    # --- routing -----------------------------------------------------------------------------------

    def assign(self, now: float) -> list[Offer]:
        """Offer routable tasks to eligible available tellers; returns the new offers."""
        free = sorted(
            (t for t in self._tellers.values() if t.state is TellerState.AVAILABLE),
            key=lambda t: t.idle_since,
        )
        offers: list[Offer] = []
        if not free:
            return offers
        line = self.queue(now)
        # Desk mode: designated tellers take no one outside the lane while an elderly customer waits,
        # and keep ``desk_keep_free`` of the other staffed designated tellers free.
        elderly_waiting = sum(1 for t in line if t.elderly and t.reserved_by is None and not t.held)
        keep_free = min(self.config.desk_keep_free, self._staffed_designated() - 1)
        for task in line:
            if task.reserved_by is not None or task.held:
                continue
            step = self.config.routing(task.business).step_at(task.routing_age(now), task.elderly)
            teller = self._choose(free, task, step, elderly_waiting, keep_free)
            if teller is not None:
                free.remove(teller)
                offers.append(self._reserve(teller, task, now))
                elderly_waiting -= task.elderly
            if not free:
                break
        return offers

    def accept(self, teller_id: str, task_id: str, now: float) -> Task:
        """The teller takes the offered task: it leaves the line, the teller is in a call."""
        teller = self._require(teller_id, TellerState.RESERVED)
        if teller.task_id != task_id:
            raise RoutingError("that offer is not yours (it may have expired)")
        task = self._tasks.pop(task_id)
        self._enter(teller, TellerState.IN_CALL, now)
        teller.offer_expires = None
        return task

    def reject(self, teller_id: str, task_id: str, now: float) -> Task:
        """The teller declines: away (``rejected``), the task back at its place."""
        teller = self._require(teller_id, TellerState.RESERVED)
        if teller.task_id != task_id:
            raise RoutingError("that offer is not yours (it may have expired)")
        task = self._release_task(teller)
        assert task is not None
        self._enter(teller, TellerState.AWAY, now)
        teller.away_reason = "rejected"
        return task

    def expire(self, now: float) -> list[Lapse]:
        """Time out offers, wrap-ups and callback windows that are due at ``now``."""
        lapses: list[Lapse] = []
        for teller in list(self._tellers.values()):
            due_offer = teller.offer_expires is not None and now >= teller.offer_expires
            due_wrap = teller.wrap_up_until is not None and now >= teller.wrap_up_until
            if teller.state is TellerState.RESERVED and due_offer:
                task = self._release_task(teller)
                self._enter(teller, TellerState.AWAY, now)
                teller.away_reason = "no_answer"
                lapses.append(Lapse("offer_timeout", teller.profile.id, task))
            elif teller.state is TellerState.WRAP_UP and due_wrap:
                self._free(teller, now)
                lapses.append(Lapse("wrap_up_over", teller.profile.id, None))
        for task in list(self._tasks.values()):
            if task.expires_at is not None and now >= task.expires_at and task.reserved_by is None:
                del self._tasks[task.id]
                lapses.append(Lapse("callback_expired", None, task))
        return lapses

    def next_deadline(self, now: float) -> float | None:
        """The earliest future time at which :meth:`expire` or :meth:`assign` could change something."""
        times: list[float] = []
        for teller in self._tellers.values():
            if teller.offer_expires is not None:
                times.append(teller.offer_expires)
            if teller.wrap_up_until is not None:
                times.append(teller.wrap_up_until)
        for task in self._tasks.values():
            if task.not_before > now:
                times.append(task.not_before)
            if task.expires_at is not None:
                times.append(task.expires_at)
            if task.reserved_by is None and task.not_before <= now:
                routing = self.config.routing(task.business)
                step = routing.next_relaxation(task.routing_age(now), task.elderly)
                if step is not None:
                    times.append(max(task.created_at, task.not_before) + step)
        future = [t for t in times if t > now]
        return min(future) if future else None

    # --- helpers -----------------------------------------------------------------------------------

    def _order_key(self, task: Task) -> tuple[int, float, float, int]:
        return task.order_key(self.config.ageing_seconds_per_point)

    def _staffed_designated(self) -> int:
        return sum(1 for t in self._tellers.values() if t.profile.elder_care and t.state in _STAFFED)

    def _choose(
        self, free: list[Teller], task: Task, step: Step, elderly_waiting: int, keep_free: int
    ) -> Teller | None:
        """The teller ``task`` is offered to, from ``free`` (longest idle first), or ``None``."""

        def admitted(teller: Teller) -> bool:
            return step.admits(teller.profile.skills.get(task.business, 0), teller.profile.elder_care)

        if not self.config.desk:
            return next((t for t in free if admitted(t)), None)
        designated = [t for t in free if t.profile.elder_care]
        others = [t for t in free if not t.profile.elder_care]
        if task.elderly:
            return next((t for t in designated + others if admitted(t)), None)
        chosen = next((t for t in others if admitted(t)), None)
        if chosen is not None or elderly_waiting > 0:
            return chosen
        # A designated teller takes this customer only while enough other designated tellers stay free.
        if len(designated) - 1 < keep_free:
            return None
        return next((t for t in designated if admitted(t)), None)

    def _arrived(self, task: Task) -> None:
        key = (task.priority, task.elderly)
        self._arrivals.append((task.created_at, *key))
        self._arrival_counts[key] = self._arrival_counts.get(key, 0) + 1
        if self._first_arrival is None or task.created_at < self._first_arrival:
            self._first_arrival = task.created_at

    def _forget_arrivals(self, now: float) -> None:
        while self._arrivals and self._arrivals[0][0] < now - ARRIVAL_WINDOW_SECONDS:
            _, priority, elderly = self._arrivals.popleft()
            self._arrival_counts[priority, elderly] -= 1

    def _reserve(self, teller: Teller, task: Task, now: float) -> Offer:
        task.reserved_by = teller.profile.id
        teller.task_id = task.id
        self._enter(teller, TellerState.RESERVED, now)
        teller.offer_expires = now + self.config.offer_timeout_seconds
        return Offer(task.id, teller.profile.id, teller.offer_expires)

    def _release_task(self, teller: Teller) -> Task | None:
        """Undo a reservation: the task is routable again at its old place."""
        task_id, teller.task_id, teller.offer_expires = teller.task_id, None, None
        if teller.state is not TellerState.RESERVED or task_id is None:
            return None
        task = self._tasks.get(task_id)
        if task is not None:
            task.reserved_by = None
        return task

    def _free(self, teller: Teller, now: float, *, idle_since: float | None = None) -> None:
        self._enter(teller, TellerState.AVAILABLE, now)
        teller.idle_since = now if idle_since is None else idle_since
        teller.task_id = None
        teller.offer_expires = None
        teller.wrap_up_until = None
        teller.away_reason = None

    @staticmethod
    def _enter(teller: Teller, state: TellerState, now: float) -> None:
        teller.state = state
        teller.state_since = now
        if state is not TellerState.AWAY:
            teller.away_reason = None

    def _require(self, teller_id: str, *states: TellerState) -> Teller:
        teller = self._tellers.get(teller_id)
        if teller is None:
            raise RoutingError("teller is not signed in")
        if teller.state not in states:
            raise RoutingError(f"not possible while {teller.state.value}")
        return teller
