"""Routing simulation: the real routing engine under Poisson traffic, against Erlang C.

    .venv/bin/python tests/bench/routing_sim.py [--seed 1] [--scale 1.0]

A discrete-event simulation (one ``heapq`` of events) drives the real :class:`~signaling.routing.Router`
with a real :class:`~signaling.routing_config.RoutingConfig`, and gives every customer who has to wait
the estimate the switchboard would give at that moment (:meth:`~signaling.routing.Router.wait_estimate`
fed by a real :class:`~signaling.service_stats.ServiceStats`). Customers arrive as a Poisson process,
calls last an exponential or lognormal time, tellers wrap up, customers may give up (exponential
patience), tellers may answer offers late or not at all (then the engine's 15 s offer time-out sends
them away; they come back after a while). Between events the simulation sleeps until the engine's own
``next_deadline`` (step relaxations, offer time-outs, wrap-ups), so timing is exact, not polled.

How to read the output:

1. **Erlang C check.** The simplest case the engine can express — one business, equal tellers, one
   routing step, no elderly, nobody gives up, no wrap-up, auto-accept, exponential calls — is the
   M/M/N queue, whose mean wait Erlang C gives exactly. Each row shows the simulated mean wait with a
   95 % confidence interval (batch means over the calls after a warm-up), Erlang C's value, their
   difference in per cent, and the same for the probability of waiting at all. Near saturation the
   queue forgets its past slowly, so ρ = 0.95 needs about a million calls for ±10 %. ``ETA`` shows
   how the switchboard's estimate fares in this simplest case.
2. **Per-lane tables** (one per scenario). ``SL20`` is the service level with the engine's own
   definition (answered within 20 s ÷ (answered + abandoned after 20 s)); ``avg``/``p95`` are waits of
   answered customers in seconds; ``aband`` the abandon rate; ``ETA`` columns compare the estimate a
   customer was given when joining with the wait they then had (answered customers who had to wait):
   ``bias`` = mean(estimate − actual) (negative: the estimate promised too little), ``MAE`` the mean
   absolute error and ``p90|e|`` its 90th percentile. ``n`` counts customers after the warm-up.
3. **Elderly lane and fairness.** The same traffic under the shipped policy and three variants (the
   policy shipped before, no ageing, no desk): whether the elderly lane's mean wait stays under 3 s
   while the others wait over a minute, whether any business's p95 wait exceeds 4x everyone's, and
   how far the wait estimate lands from the real waits per business (``before``: the formula before
   issue 15, for comparison). Then the shipped policy at other loads.

Deterministic for a given ``--seed``; ``--scale`` multiplies the number of simulated calls (1.0 runs in
well under three minutes on one core).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from signaling.messages import BUSINESSES  # noqa: E402
from signaling.routing import Lapse, Router, Task, TellerProfile  # noqa: E402
from signaling.routing_config import (  # noqa: E402
    RoutingConfig,
    load_routing,
    parse_routing,
)
from signaling.service_stats import ServiceStats  # noqa: E402
from signaling.states import TellerState  # noqa: E402

WAKE_EPSILON = 1e-6
"""Wake this long after the engine's deadline: ``created + after - created`` can round below ``after``
(see docs/routing-benchmarks.md), and the engine would then not relax the step at the exact instant."""

HandleDistribution = Literal["exponential", "lognormal", "fixed"]

# --- Erlang C ---------------------------------------------------------------------------------------------


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/N/N system with ``load`` Erlangs (stable recursion)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival has to wait in M/M/N with offered ``load`` = λ·h Erlangs (< N)."""
    if not 0 <= load < servers:
        raise ValueError("Erlang C needs 0 <= load < servers")
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1 - b))


def erlang_c_wait(servers: int, load: float, handle: float) -> float:
    """Mean wait in line (all arrivals) of M/M/N: C(N, A) · h / (N − A)."""
    return erlang_c(servers, load) * handle / (servers - load)


# --- scenario ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TellerSpec:
    """One simulated teller."""

    id: str
    skills: Mapping[str, int]
    """Proficiency 1–5 per business (absent: not skilled)."""
    elder_care: bool = False
    """Designated elder-care teller."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything one simulation run needs; the routing policy itself is ``config``."""

    name: str
    config: RoutingConfig
    """Routing policy (its ``wrap_up_seconds`` and ``offer_timeout_seconds`` apply)."""
    tellers: tuple[TellerSpec, ...]
    arrival_rate: float
    """Customers per second (Poisson)."""
    handle_mean: float
    """Mean call length in seconds."""
    calls: int
    """Customers to simulate (arrivals)."""
    warmup_calls: int = 0
    """The first arrivals, left out of the figures."""
    handle_distribution: HandleDistribution = "exponential"
    handle_cv: float = 1.0
    """Coefficient of variation of the lognormal."""
    business_mix: tuple[tuple[str, float], ...] = (("activation", 1.0),)
    """Business types with their weights."""
    elderly_share: float = 0.0
    """Share of customers in the elderly lane."""
    patience_mean: float | None = None
    """Mean patience (exponential) before giving up; ``None``: nobody gives up."""
    auto_accept: bool = True
    """Tellers accept offers at once; otherwise they reply after ``reply_delay_mean``."""
    reply_delay_mean: float = 0.0
    """Mean of the teller's (exponential) reply delay to an offer."""
    no_answer_share: float = 0.0
    """Share of offers a teller lets time out (the engine then sends them away)."""
    away_seconds: float = 60.0
    """How long a teller sent away for not answering stays away."""
    default_handle_seconds: float | None = None
    """Handle time the estimate assumes before calls were measured (default: ``handle_mean``)."""
    seed: int = 1

    def __post_init__(self) -> None:
        if self.arrival_rate <= 0 or self.handle_mean <= 0 or self.calls <= 0:
            raise ValueError("arrival rate, handle mean and calls must be positive")
        if not 0 <= self.warmup_calls < self.calls:
            raise ValueError("warm-up must be shorter than the run")
        if not 0 <= self.elderly_share <= 1 or not 0 <= self.no_answer_share <= 1:
            raise ValueError("shares are between 0 and 1")
        if not self.tellers:
            raise ValueError("at least one teller")
        unknown = {b for b, _ in self.business_mix} - set(self.config.businesses)
        if unknown:
            raise ValueError(f"unknown business {sorted(unknown)[0]}")

    @property
    def occupancy_per_call(self) -> float:
        """Teller time one call takes: handle time plus wrap-up."""
        return self.handle_mean + self.config.wrap_up_seconds

    @property
    def load(self) -> float:
        """Offered load per teller, ρ = λ·(h + wrap-up) / N."""
        return self.arrival_rate * self.occupancy_per_call / len(self.tellers)


# --- records and results --------------------------------------------------------------------------------


@dataclass(slots=True)
class Customer:
    """One simulated customer, from arrival to answer or abandonment."""

    id: str
    index: int
    arrived: float
    business: str
    elderly: bool
    eta: int | None = None
    """Estimate given at joining (``None``: a teller took them at once): the engine's
    :meth:`~signaling.routing.Router.wait_estimate`, as the switchboard computes it."""
    eta_old: int | None = None
    """The estimate before issue 15 (position × handle time ÷ able tellers), for comparison."""
    position: int | None = None
    outcome: Literal["waiting", "answered", "abandoned"] = "waiting"
    waited: float = 0.0
    handle: float = 0.0

    @property
    def lane(self) -> str:
        return "elderly" if self.elderly else "standard"


@dataclass(frozen=True, slots=True)
class LaneFigures:
    """Figures of one lane (or of everyone)."""

    customers: int
    answered: int
    abandoned: int
    service_level: float | None
    abandon_rate: float | None
    average_wait: float | None
    p95_wait: float | None
    eta_count: int
    eta_bias: float | None
    eta_mae: float | None
    eta_p90: float | None
    eta_old_bias: float | None
    eta_old_mae: float | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0–100) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def lane_figures(customers: Iterable[Customer], threshold: float) -> LaneFigures:
    """Service figures with the engine's own definitions (a fresh :class:`ServiceStats`), plus p95/ETA."""
    stats = ServiceStats(threshold_seconds=threshold, default_handle_seconds=1.0)
    chosen = [c for c in customers if c.outcome != "waiting"]
    for c in chosen:
        if c.outcome == "answered":
            stats.answered(c.arrived + c.waited, c.waited, c.business, c.elderly)
        else:
            stats.abandoned(c.arrived + c.waited, c.waited, c.business, c.elderly)
    summary = stats.summary(-math.inf)
    waits = [c.waited for c in chosen if c.outcome == "answered"]
    told = [c for c in chosen if c.outcome == "answered" and c.eta is not None]
    errors = [c.eta - c.waited for c in told if c.eta is not None]
    old_errors = [c.eta_old - c.waited for c in told if c.eta_old is not None]
    return LaneFigures(
        customers=len(chosen),
        answered=summary.answered,
        abandoned=summary.abandoned,
        service_level=summary.service_level,
        abandon_rate=summary.abandon_rate,
        average_wait=summary.average_wait,
        p95_wait=percentile(waits, 95),
        eta_count=len(errors),
        eta_bias=statistics.fmean(errors) if errors else None,
        eta_mae=statistics.fmean(abs(e) for e in errors) if errors else None,
        eta_p90=percentile([abs(e) for e in errors], 90),
        eta_old_bias=statistics.fmean(old_errors) if old_errors else None,
        eta_old_mae=statistics.fmean(abs(e) for e in old_errors) if old_errors else None,
    )


@dataclass(slots=True)
class Result:
    """What a run produced."""

    scenario: Scenario
    customers: list[Customer]
    end_time: float
    events: int
    wall_seconds: float
    queue_area: float
    """∫ (customers in line) dt over the whole run, for Little's law."""
    offer_timeouts: int
    offers: int
    counted_from: int = field(init=False)

    def __post_init__(self) -> None:
        self.counted_from = self.scenario.warmup_calls

    @property
    def counted(self) -> list[Customer]:
        """Customers after the warm-up."""
        return self.customers[self.counted_from :]

    def lanes(self) -> dict[str, LaneFigures]:
        """Figures per lane and for everyone (``all``)."""
        threshold = self.scenario.config.service_level_seconds
        out = {"all": lane_figures(self.counted, threshold)}
        for lane in ("standard", "elderly"):
            members = [c for c in self.counted if c.lane == lane]
            if members:
                out[lane] = lane_figures(members, threshold)
        return out

    def batch_means(self, batches: int = 20) -> list[float]:
        """Mean wait of counted customers in ``batches`` consecutive equal batches (arrival order)."""
        waits = [c.waited for c in self.counted]
        size = len(waits) // batches
        return [statistics.fmean(waits[i * size : (i + 1) * size]) for i in range(batches)]


T_975 = {9: 2.262, 19: 2.093, 29: 2.045, 39: 2.023, 59: 2.001, 79: 1.990}
"""Student t quantiles (0.975) by degrees of freedom, for the batch-means interval."""


def mean_ci(batch_means: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95 % confidence interval from (roughly independent) batch means."""
    n = len(batch_means)
    t = T_975.get(n - 1, 1.96)
    return statistics.fmean(batch_means), t * statistics.stdev(batch_means) / math.sqrt(n)


# --- the simulation ---------------------------------------------------------------------------------------


class Simulation:
    """One run of a :class:`Scenario` against the real engine."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.rng = random.Random(scenario.seed)
        self.router = Router(scenario.config)
        self.stats = ServiceStats(
            threshold_seconds=scenario.config.service_level_seconds,
            default_handle_seconds=scenario.default_handle_seconds or scenario.handle_mean,
        )
        self.now = 0.0
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = 0
        self._wakes: set[float] = set()
        self.customers: list[Customer] = []
        self._waiting: dict[str, Customer] = {}
        self._offer_serial: dict[str, int] = {}
        self._in_call: dict[str, Customer] = {}
        self._queue_area = 0.0
        self._last_change = 0.0
        self.events = 0
        self.offers = 0
        self.offer_timeouts = 0
        names, weights = zip(*scenario.business_mix, strict=True)
        self._businesses: tuple[str, ...] = names
        self._cumulative = list(_accumulate(weights))
        if scenario.handle_distribution == "lognormal":
            self._sigma = math.sqrt(math.log(1 + scenario.handle_cv**2))
            self._mu = math.log(scenario.handle_mean) - self._sigma**2 / 2

    # --- random draws ---

    def _handle(self) -> float:
        s = self.s
        if s.handle_distribution == "exponential":
            return self.rng.expovariate(1 / s.handle_mean)
        if s.handle_distribution == "lognormal":
            return self.rng.lognormvariate(self._mu, self._sigma)
        return s.handle_mean

    def _business(self) -> str:
        if len(self._businesses) == 1:
            return self._businesses[0]
        x = self.rng.random() * self._cumulative[-1]
        for name, edge in zip(self._businesses, self._cumulative, strict=True):
            if x < edge:
                return name
        return self._businesses[-1]

    # --- event queue ---

    def _at(self, when: float, kind: str, data: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, kind, data))

    def _wake(self) -> None:
        """Sleep until the engine's next deadline (once per distinct deadline)."""
        deadline = self.router.next_deadline(self.now)
        if deadline is not None and deadline not in self._wakes:
            self._wakes.add(deadline)
            self._at(deadline + WAKE_EPSILON, "wake", deadline)

    # --- run ---

    def run(self) -> Result:
        started = time.perf_counter()
        for spec in self.s.tellers:
            self.router.sign_in(TellerProfile(spec.id, dict(spec.skills), spec.elder_care), 0.0)
            self.router.set_available(spec.id, 0.0, auto_accept=self.s.auto_accept)
        self._at(self.rng.expovariate(self.s.arrival_rate), "arrival")
        arrivals = 0
        while self._heap:
            when, _, kind, data = heapq.heappop(self._heap)
            self._line_changed_to(when)
            self.events += 1
            if kind == "arrival":
                arrivals += 1
                self._arrive(arrivals - 1)
                if arrivals < self.s.calls:
                    self._at(self.now + self.rng.expovariate(self.s.arrival_rate), "arrival")
            elif kind == "abandon":
                self._abandon(data)
            elif kind == "reply":
                self._reply(*data)
            elif kind == "call_end":
                self._call_end(data)
            elif kind == "back":
                if self.router.teller(data) is not None:
                    self.router.set_available(data, self.now)
            elif kind == "wake":
                self._wakes.discard(data)
            if kind != "arrival":  # an arrival settled itself before its estimate was taken
                self._settle()
            if arrivals >= self.s.calls and not self._waiting:
                break
        return Result(
            self.s,
            self.customers,
            self.now,
            self.events,
            time.perf_counter() - started,
            self._queue_area,
            self.offer_timeouts,
            self.offers,
        )

    def _line_changed_to(self, when: float) -> None:
        self._queue_area += len(self._waiting) * (when - self._last_change)
        self._last_change = when
        self.now = when

    def _settle(self) -> None:
        """What the switchboard does after every input: expire, assign, accept (auto) or ask."""
        for lapse in self.router.expire(self.now):
            self._lapsed(lapse)
        for offer in self.router.assign(self.now):
            self.offers += 1
            if self.s.auto_accept:
                self._accept(offer.teller_id, offer.task_id)
                continue
            serial = self._offer_serial.get(offer.teller_id, 0) + 1
            self._offer_serial[offer.teller_id] = serial
            if self.rng.random() < self.s.no_answer_share:
                continue  # the teller never answers: the engine's time-out will send them away
            delay = self.rng.expovariate(1 / self.s.reply_delay_mean) if self.s.reply_delay_mean else 0.0
            self._at(self.now + delay, "reply", (offer.teller_id, offer.task_id, serial))
        self._wake()

    def _lapsed(self, lapse: Lapse) -> None:
        if lapse.kind == "offer_timeout" and lapse.teller_id is not None:
            self.offer_timeouts += 1
            self._at(self.now + self.s.away_seconds, "back", lapse.teller_id)

    def _arrive(self, index: int) -> None:
        s = self.s
        business = self._business()
        elderly = self.rng.random() < s.elderly_share
        config = s.config
        priority = config.routing(business).priority + (config.elderly_priority if elderly else 0)
        customer = Customer(f"c{index}", index, self.now, business, elderly)
        self.customers.append(customer)
        self._waiting[customer.id] = customer
        task = self.router.enqueue(Task(customer.id, "call", business, priority, self.now, elderly))
        self._settle()
        if customer.id in self._waiting:
            # As the switchboard's first queue_update after join_queue.
            customer.position = self.router.position(customer.id, self.now)
            able, handle = self.router.able_tellers(task), self.stats.handle_time(business)
            customer.eta = self.router.wait_estimate(
                task, customer.position, self.now, average_handle=handle, able=able
            )
            customer.eta_old = round(customer.position * handle / max(1, able))
            if s.patience_mean is not None:
                self._at(self.now + self.rng.expovariate(1 / s.patience_mean), "abandon", customer.id)

    def _accept(self, teller_id: str, task_id: str) -> None:
        task = self.router.accept(teller_id, task_id, self.now)
        customer = self._waiting.pop(task.id)
        customer.outcome = "answered"
        customer.waited = self.now - task.created_at
        customer.handle = self._handle()
        self.stats.answered(self.now, customer.waited, task.business, task.elderly)
        self._in_call[teller_id] = customer
        self._at(self.now + customer.handle, "call_end", teller_id)

    def _reply(self, teller_id: str, task_id: str, serial: int) -> None:
        teller = self.router.teller(teller_id)
        current = (
            teller is not None
            and teller.state is TellerState.RESERVED
            and teller.task_id == task_id
            and self._offer_serial.get(teller_id) == serial
        )
        if current:
            self._accept(teller_id, task_id)

    def _abandon(self, customer_id: str) -> None:
        customer = self._waiting.pop(customer_id, None)
        if customer is None:
            return
        self.router.withdraw(customer_id, self.now)
        customer.outcome = "abandoned"
        customer.waited = self.now - customer.arrived
        self.stats.abandoned(self.now, customer.waited, customer.business, customer.elderly)

    def _call_end(self, teller_id: str) -> None:
        customer = self._in_call.pop(teller_id)
        self.stats.handled(self.now, customer.handle, customer.business)
        self.router.call_ended(teller_id, self.now)


def _accumulate(weights: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def simulate(scenario: Scenario) -> Result:
    """Run one scenario."""
    return Simulation(scenario).run()


# --- scenarios --------------------------------------------------------------------------------------------

ERLANG_HANDLE = 120.0
"""Mean call length of the Erlang C check (exponential)."""


def single_queue_config() -> RoutingConfig:
    """One routing step (any teller) for every business, no wrap-up: plain FIFO, the M/M/N case."""
    table: dict[str, Any] = {
        "defaults": {"wrap_up_seconds": 0},
        "business": {name: {"priority": 0, "steps": [{"after": 0}]} for name in BUSINESSES},
    }
    return parse_routing(table)


def equal_tellers(count: int, skill: int = 5) -> tuple[TellerSpec, ...]:
    """``count`` tellers with the same skill in every business, none elder-care."""
    return tuple(TellerSpec(f"t{i:03d}", dict.fromkeys(BUSINESSES, skill)) for i in range(count))


def erlang_scenario(servers: int, load: float, calls: int, seed: int) -> Scenario:
    """M/M/N at per-teller load ``load``: Poisson arrivals, exponential calls, FIFO, auto-accept."""
    return Scenario(
        name=f"M/M/{servers} rho={load}",
        config=single_queue_config(),
        tellers=equal_tellers(servers),
        arrival_rate=load * servers / ERLANG_HANDLE,
        handle_mean=ERLANG_HANDLE,
        calls=calls,
        warmup_calls=calls // 20,
        seed=seed,
    )


BUSINESS_MIX: tuple[tuple[str, float], ...] = (
    ("activation", 0.30),
    ("password_reset", 0.25),
    ("info_update", 0.20),
    ("card_review", 0.15),
    ("corporate_willingness", 0.10),
)
"""Share of each business type in the simulated traffic."""

HANDLE_MEAN = 150.0
"""Mean call length of the contact-centre scenarios (lognormal, CV 0.8)."""


def shared_tellers(count: int, elder_care: int, seed: int) -> tuple[TellerSpec, ...]:
    """Proficiency 1–5 drawn per business for everyone; the first ``elder_care`` are also designated."""
    rng = random.Random(seed)
    return tuple(
        TellerSpec(f"t{i:03d}", {b: rng.randint(1, 5) for b in BUSINESSES}, elder_care=i < elder_care)
        for i in range(count)
    )


PREVIOUS_POLICY = """
[defaults]
offer_timeout_seconds = 15
wrap_up_seconds = 30
wrap_up_extend_seconds = 30
service_level_seconds = 20
callback_offer_seconds = 120
callback_answer_seconds = 600
elderly_age = 60
[priority]
elderly = 10
vip = 5
[business.activation]
priority = 2
steps = [
  { after = 0, min_proficiency = 4 },
  { after = 15, min_proficiency = 1 },
  { after = 60 },
]
elderly_steps = [
  { after = 0, elder_care = true, min_proficiency = 1 },
  { after = 5, min_proficiency = 1 },
  { after = 20 },
]
[business.password_reset]
priority = 1
steps = [
  { after = 0, min_proficiency = 3 },
  { after = 15, min_proficiency = 1 },
  { after = 60 },
]
elderly_steps = [
  { after = 0, elder_care = true, min_proficiency = 1 },
  { after = 5, min_proficiency = 1 },
  { after = 20 },
]
[business.info_update]
priority = 0
steps = [
  { after = 0, min_proficiency = 2 },
  { after = 30 },
]
elderly_steps = [
  { after = 0, elder_care = true },
  { after = 5, min_proficiency = 1 },
  { after = 20 },
]
[business.corporate_willingness]
priority = 1
steps = [
  { after = 0, min_proficiency = 4 },
  { after = 30, min_proficiency = 3 },
  { after = 120, min_proficiency = 1 },
]
[business.card_review]
priority = 0
steps = [
  { after = 0, min_proficiency = 3 },
  { after = 20, min_proficiency = 1 },
  { after = 90 },
]
elderly_steps = [
  { after = 0, elder_care = true, min_proficiency = 1 },
  { after = 10, min_proficiency = 1 },
  { after = 30 },
]
"""
"""The routing file shipped before issue 15 (commit ec0e790): designated tellers shared with everyone
(an elderly customer waits 5 s for one of them first) and strict priority, no ageing."""


def previous_config() -> RoutingConfig:
    """:data:`PREVIOUS_POLICY` through the real routing-file parser."""
    return parse_routing(tomllib.loads(PREVIOUS_POLICY))


def contact_centre(
    name: str,
    *,
    config: RoutingConfig,
    tellers: tuple[TellerSpec, ...],
    arrival_rate: float,
    calls: int,
    seed: int,
    elderly_share: float = 0.2,
    **more: Any,
) -> Scenario:
    """A day at the counter: business mix, lognormal calls (mean 150 s, CV 0.8), the config's wrap-up."""
    return Scenario(
        name=name,
        config=config,
        tellers=tellers,
        arrival_rate=arrival_rate,
        handle_mean=HANDLE_MEAN,
        handle_distribution="lognormal",
        handle_cv=0.8,
        business_mix=BUSINESS_MIX,
        elderly_share=elderly_share,
        calls=calls,
        warmup_calls=calls // 10,
        seed=seed,
        **more,
    )


def rate_for(load: float, tellers: int, wrap_up: float) -> float:
    """Arrival rate that keeps ``tellers`` busy ``load`` of the time (handle + wrap-up)."""
    return load * tellers / (HANDLE_MEAN + wrap_up)


LANE_TELLERS = 12
"""Section 3: tellers on duty, of whom :data:`LANE_DESK` are designated elder-care tellers."""
LANE_DESK = 4
"""Designated tellers in section 3: about twice the elderly lane's traffic (20 % of 9.6 Erlangs)."""
LANE_LOAD = 0.8
"""Section 3: share of the tellers' time the traffic needs (handle + wrap-up) — a load at which
customers outside the elderly lane wait over a minute on average under the shipped policy."""
SWEEP_LOADS = (0.7, 0.75, 0.85)
"""Section 3: further loads for the shipped policy, with the same staffing."""


def build(key: str, seed: int, calls: int) -> Scenario:
    """The named contact-centre scenarios of sections 2 and 3 (``shipped@0.85``: the shipped policy
    at another load)."""
    shipped = load_routing()
    wrap = shipped.wrap_up_seconds
    if key == "busy":
        return contact_centre(
            "busy day, shipped routing.toml, 10 tellers of whom 2 designated",
            config=shipped,
            tellers=shared_tellers(10, 2, seed),
            arrival_rate=rate_for(0.9, 10, wrap),
            calls=calls,
            seed=seed,
            patience_mean=300.0,
            auto_accept=False,
            reply_delay_mean=3.0,
            no_answer_share=0.02,
        )
    load = LANE_LOAD
    if key.startswith("shipped@"):
        key, load = "shipped", float(key.removeprefix("shipped@"))
    policies = {
        "shipped": ("A. shipped policy: elder-care desk (keep 2 free) + ageing 60 s/point", shipped),
        "previous": ("B. previous policy: designated tellers shared, strict priority", previous_config()),
        "strict": (
            "C. shipped desk, strict priority (no ageing)",
            replace(shipped, ageing_seconds_per_point=0.0),
        ),
        "shared": (
            "D. shipped ageing, designated tellers shared (no desk)",
            replace(shipped, elder_care_mode="shared", desk_keep_free=0),
        ),
    }
    if key not in policies:
        raise ValueError(f"unknown scenario {key}")
    name, config = policies[key]
    if load != LANE_LOAD:
        name = f"A at load {load:.2f}"
    return contact_centre(
        name,
        config=config,
        tellers=shared_tellers(LANE_TELLERS, LANE_DESK, seed),
        arrival_rate=rate_for(load, LANE_TELLERS, wrap),
        calls=calls,
        seed=seed,
    )


# --- jobs (run in worker processes) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErlangPart:
    """One replication of an Erlang C check."""

    servers: int
    load: float
    batch_means: tuple[float, ...]
    customers: int
    waited_share: float
    eta_bias: float | None
    eta_mae: float | None
    wall_seconds: float


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """What section 2 and 3 print about one scenario."""

    key: str
    header: str
    rows: tuple[str, ...]
    lanes: Mapping[str, LaneFigures]
    businesses: Mapping[str, BusinessFigures]


def erlang_job(servers: int, load: float, calls: int, seed: int) -> ErlangPart:
    """Simulate M/M/N once and summarise."""
    result = simulate(erlang_scenario(servers, load, calls, seed))
    counted = result.counted
    figures = lane_figures(counted, result.scenario.config.service_level_seconds)
    return ErlangPart(
        servers,
        load,
        tuple(result.batch_means(20)),
        len(counted),
        statistics.fmean(1.0 if c.waited > 0 else 0.0 for c in counted),
        figures.eta_bias,
        figures.eta_mae,
        result.wall_seconds,
    )


def scenario_job(key: str, seed: int, calls: int, *, by_business: bool = True) -> ScenarioReport:
    """Simulate one named scenario and format its tables."""
    result = simulate(build(key, seed, calls))
    header = describe(result)
    if not result.scenario.auto_accept:
        header += f"\n  offers {result.offers}, offer time-outs {result.offer_timeouts}"
    businesses = business_figures(result)
    rows = lane_table(result)
    if by_business:
        rows += business_table(businesses)
    rows.append(goal_line(result.lanes(), businesses))
    return ScenarioReport(key, header, tuple(rows), result.lanes(), businesses)


@dataclass(frozen=True, slots=True)
class BusinessFigures:
    """Waits and estimate errors of one business (both lanes), answered customers after the warm-up."""

    answered: int
    average_wait: float
    p95_wait: float
    p95_ratio: float
    """This business's p95 wait ÷ everyone's p95 wait."""
    eta_count: int
    eta_bias: float | None
    eta_mae: float | None
    eta_old_bias: float | None
    eta_old_mae: float | None


def business_figures(result: Result) -> dict[str, BusinessFigures]:
    """Per business: waits, the p95 ratio to everyone's p95, and the estimate's errors (new and old)."""
    answered = [c for c in result.counted if c.outcome == "answered"]
    overall = percentile([c.waited for c in answered], 95) or 0.0
    out = {}
    for business, _ in result.scenario.business_mix:
        mine = [c for c in answered if c.business == business]
        if not mine:
            continue
        p95 = percentile([c.waited for c in mine], 95) or 0.0
        told = [c for c in mine if c.eta is not None and c.eta_old is not None]
        errors = [(c.eta or 0) - c.waited for c in told]
        old = [(c.eta_old or 0) - c.waited for c in told]
        out[business] = BusinessFigures(
            answered=len(mine),
            average_wait=statistics.fmean(c.waited for c in mine),
            p95_wait=p95,
            p95_ratio=p95 / overall if overall > 0 else 1.0,
            eta_count=len(told),
            eta_bias=statistics.fmean(errors) if errors else None,
            eta_mae=statistics.fmean(abs(e) for e in errors) if errors else None,
            eta_old_bias=statistics.fmean(old) if old else None,
            eta_old_mae=statistics.fmean(abs(e) for e in old) if old else None,
        )
    return out


def business_table(businesses: Mapping[str, BusinessFigures]) -> list[str]:
    """Per-business rows: waits, fairness ratio, and the estimate's bias and MAE before and after."""
    rows = [
        "  by business (both lanes; ETA: answered customers who were given one; 'before' = the formula",
        "  before issue 15, position x handle time / able tellers):",
        f"  {'business':22} {'n':>6} {'avg':>7} {'p95':>7} {'p95/all':>7} {'ETA n':>6} {'bias':>7} {'MAE':>6}"
        f" {'before bias':>11} {'MAE':>6}",
    ]
    for name, b in businesses.items():
        rows.append(
            f"  {name:22} {b.answered:>6} {b.average_wait:>7.1f} {b.p95_wait:>7.1f} {b.p95_ratio:>7.2f}"
            f" {b.eta_count:>6} {_f(b.eta_bias, '+7.1f')} {_f(b.eta_mae, '6.1f')}"
            f" {_f(b.eta_old_bias, '+11.1f')} {_f(b.eta_old_mae, '6.1f')}"
        )
    return rows


def goal_line(lanes: Mapping[str, LaneFigures], businesses: Mapping[str, BusinessFigures]) -> str:
    """Issue 15's goals: elderly average wait < 3 s while the others wait > 60 s; no business's p95
    wait more than 4x everyone's p95."""
    elderly, standard = lanes.get("elderly"), lanes.get("standard")
    elderly_wait = _f(elderly.average_wait if elderly else None, ".1f")
    standard_wait = _f(standard.average_wait if standard else None, ".1f")
    worst = max(businesses.items(), key=lambda item: item[1].p95_ratio)
    return (
        f"  goals: elderly avg {elderly_wait} s (< 3 s) while standard avg {standard_wait} s (> 60 s);"
        f" largest p95 ratio {worst[1].p95_ratio:.2f} ({worst[0]}; <= 4)"
    )


# --- printing ---------------------------------------------------------------------------------------------


def _f(value: float | None, spec: str, scale: float = 1.0) -> str:
    return "-" if value is None else format(value * scale, spec)


def lane_table(result: Result) -> list[str]:
    """Per-lane rows of one scenario."""
    rows = [
        f"  {'lane':9} {'n':>7} {'SL20':>6} {'avg':>7} {'p95':>7} {'aband':>6}"
        f" {'ETA n':>7} {'bias':>7} {'MAE':>7} {'p90|e|':>7} {'before bias':>11} {'MAE':>6}"
    ]
    for lane, f in result.lanes().items():
        rows.append(
            f"  {lane:9} {f.customers:>7} {_f(f.service_level, '5.1f', 100)}% {_f(f.average_wait, '7.1f')}"
            f" {_f(f.p95_wait, '7.1f')} {_f(f.abandon_rate, '5.1f', 100)}% {f.eta_count:>7}"
            f" {_f(f.eta_bias, '+7.1f')} {_f(f.eta_mae, '7.1f')} {_f(f.eta_p90, '7.1f')}"
            f" {_f(f.eta_old_bias, '+11.1f')} {_f(f.eta_old_mae, '6.1f')}"
        )
    return rows


def describe(result: Result) -> str:
    """One line: the scenario's parameters and the run's size."""
    s = result.scenario
    elder = sum(1 for t in s.tellers if t.elder_care)
    if s.auto_accept:
        replies = "auto-accept"
    else:
        replies = f"replies after {s.reply_delay_mean:.0f} s (exp.), {s.no_answer_share:.0%} never"
    patience = "nobody gives up" if s.patience_mean is None else f"patience {s.patience_mean:.0f} s (exp.)"
    return (
        f"{s.name}\n  N={len(s.tellers)} ({elder} elder-care), load/teller {s.load:.2f}, "
        f"{s.arrival_rate * 3600:.0f} calls/h, {s.handle_distribution} calls mean {s.handle_mean:.0f} s, "
        f"wrap-up {s.config.wrap_up_seconds:.0f} s, {s.elderly_share:.0%} elderly, {patience}, {replies}; "
        f"{s.calls} calls ({s.warmup_calls} warm-up), {result.events} events, {result.wall_seconds:.1f} s"
    )


ERLANG_RUNS: tuple[tuple[int, float, int, int], ...] = (
    # servers, load, calls per replication, replications
    (5, 0.70, 300_000, 1),
    (5, 0.85, 200_000, 3),
    (5, 0.95, 450_000, 2),
)
SCENARIOS: tuple[tuple[str, int], ...] = (
    ("busy", 40_000),
    ("shipped", 40_000),
    ("previous", 40_000),
    ("strict", 40_000),
    ("shared", 40_000),
)
SWEEP_CALLS = 20_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Routing simulation against the real engine.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of simulated calls")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        erlang = {
            (servers, load): [
                pool.submit(erlang_job, servers, load, int(calls * args.scale), args.seed * 100 + k)
                for k in range(replications)
            ]
            for servers, load, calls, replications in ERLANG_RUNS
        }
        scenarios = {
            key: pool.submit(scenario_job, key, args.seed, int(calls * args.scale), by_business=key != "busy")
            for key, calls in SCENARIOS
        }
        sweep = {
            load: pool.submit(
                scenario_job, f"shipped@{load}", args.seed, int(SWEEP_CALLS * args.scale), by_business=False
            )
            for load in SWEEP_LOADS
        }

        print("== 1. Simulator vs Erlang C: M/M/5, one FIFO line, equal tellers, exponential 120 s calls ==")
        print("   (no wrap-up, nobody gives up, auto-accept; 95 % CI from 20 batch means per replication;")
        print("   the engine-driven run equals a plain M/M/N FIFO simulation call for call with the same")
        print("   random numbers, see tests/unit/test_routing_sim.py, so a difference is sampling noise)")
        print(
            f"  {'N':>2} {'rho':>5} {'calls':>9} {'sim Wq ± 95% CI':>19} {'Erlang C':>9} {'diff':>7}"
            f" {'P(wait) sim':>11} {'C(N,A)':>7} {'ETA bias':>8} {'MAE':>6}"
        )
        for (servers, load), futures in erlang.items():
            parts = [f.result() for f in futures]
            mean, half = mean_ci([m for p in parts for m in p.batch_means])
            exact = erlang_c_wait(servers, load * servers, ERLANG_HANDLE)
            customers = sum(p.customers for p in parts)
            waited = sum(p.waited_share * p.customers for p in parts) / customers
            bias = statistics.fmean(p.eta_bias or 0.0 for p in parts)
            mae = statistics.fmean(p.eta_mae or 0.0 for p in parts)
            print(
                f"  {servers:>2} {load:>5.2f} {customers:>9} {mean:>8.1f} ± {half:>5.1f} s {exact:>8.1f}s"
                f" {100 * (mean / exact - 1):>+6.1f}% {waited:>11.4f}"
                f" {erlang_c(servers, load * servers):>7.4f} {bias:>+8.1f} {mae:>6.1f}"
            )

        print()
        print("== 2. Contact centre with the shipped routing.toml ==")
        print("   (business mix 30/25/20/15/10 %, proficiency 1-5 drawn per teller and business)")
        report = scenarios["busy"].result()
        print(report.header)
        print("\n".join(report.rows))

        print()
        print(
            f"== 3. Elderly lane and fairness: {LANE_TELLERS} tellers ({LANE_DESK} designated), 20 % elderly,"
            f" load {LANE_LOAD} ==",
        )
        for key, _ in SCENARIOS[1:]:
            report = scenarios[key].result()
            print(report.header)
            print("\n".join(report.rows))
        print("-- the shipped policy at other loads (same staffing) --")
        print(
            f"  {'load':>5} {'elderly avg':>11} {'p95':>6} {'standard avg':>12} {'p95':>7} {'p95 ratio':>9}"
        )
        for load in (*SWEEP_LOADS[:1], *SWEEP_LOADS[1:2], LANE_LOAD, *SWEEP_LOADS[2:]):
            if load == LANE_LOAD:
                lanes, businesses = (
                    scenarios["shipped"].result().lanes,
                    scenarios["shipped"].result().businesses,
                )
            else:
                swept = sweep[load].result()
                lanes, businesses = swept.lanes, swept.businesses
            elderly, standard = lanes["elderly"], lanes["standard"]
            ratio = max(b.p95_ratio for b in businesses.values())
            print(
                f"  {load:>5.2f} {_f(elderly.average_wait, '11.1f')} {_f(elderly.p95_wait, '6.1f')}"
                f" {_f(standard.average_wait, '12.1f')} {_f(standard.p95_wait, '7.1f')} {ratio:>9.2f}"
            )
    print()
    print(f"total wall time {time.perf_counter() - started:.0f} s with {args.jobs} worker processes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
