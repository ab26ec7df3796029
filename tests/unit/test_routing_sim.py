"""The routing simulation's own bookkeeping (tests/bench/routing_sim.py), on tiny runs."""

from __future__ import annotations

import heapq
import math
import random

import pytest

from signaling.routing_config import load_routing
from signaling.states import TellerState
from tests.bench.routing_sim import (
    Scenario,
    Simulation,
    TellerSpec,
    build,
    business_figures,
    equal_tellers,
    erlang_b,
    erlang_c,
    erlang_c_wait,
    erlang_scenario,
    mean_ci,
    percentile,
    previous_config,
    simulate,
    single_queue_config,
)


def erlang_c_by_sum(servers: int, load: float) -> float:
    """Erlang C straight from its textbook formula (sum of Poisson terms), to check the recursion."""
    head = sum(load**k / math.factorial(k) for k in range(servers))
    tail = load**servers / math.factorial(servers) * servers / (servers - load)
    return tail / (head + tail)


def test_erlang_c_matches_textbook_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    for servers, load in ((5, 3.5), (5, 4.75), (10, 8.0), (50, 45.0)):
        assert erlang_c(servers, load) == pytest.approx(erlang_c_by_sum(servers, load), rel=1e-12)
    assert erlang_c_wait(1, 0.5, 10.0) == pytest.approx(10.0)  # M/M/1: Wq = rho/(1-rho) * h


def test_erlang_c_refuses_an_unstable_load() -> None:
    with pytest.raises(ValueError, match="load < servers"):
        erlang_c(2, 2.0)


def test_every_arrival_is_answered_or_abandoned_exactly_once() -> None:
    result = simulate(build("busy", seed=3, calls=600))
    assert len(result.customers) == 600
    assert {c.outcome for c in result.customers} <= {"answered", "abandoned"}
    assert len({c.id for c in result.customers}) == 600
    answered = [c for c in result.customers if c.outcome == "answered"]
    abandoned = [c for c in result.customers if c.outcome == "abandoned"]
    assert answered and abandoned
    assert all(c.waited >= 0 for c in result.customers)
    assert result.offer_timeouts > 0  # the scenario lets 2 % of offers time out


def test_littles_law_holds_on_the_sample_path() -> None:
    # The run starts and ends with nobody in line, so the area under the line length equals the sum
    # of the times spent in line (abandoned customers included): L = lambda * W exactly.
    result = simulate(build("busy", seed=5, calls=800))
    time_in_line = sum(c.waited for c in result.customers)
    assert result.queue_area == pytest.approx(time_in_line, rel=1e-9)
    arrival_rate = len(result.customers) / result.end_time
    mean_wait = time_in_line / len(result.customers)
    assert result.queue_area / result.end_time == pytest.approx(arrival_rate * mean_wait, rel=1e-9)


def test_a_small_mmn_run_lands_near_erlang_c() -> None:
    # 8,000 calls keep this fast; the benchmark itself runs hundreds of thousands per load.
    result = simulate(erlang_scenario(2, 0.5, 8_000, seed=11))
    mean, half = mean_ci(result.batch_means(20))
    exact = erlang_c_wait(2, 1.0, 120.0)
    assert abs(mean - exact) < half
    assert mean == pytest.approx(exact, rel=0.15)
    share_waited = sum(1 for c in result.counted if c.waited > 0) / len(result.counted)
    assert share_waited == pytest.approx(erlang_c(2, 1.0), abs=0.03)


def plain_mmn_waits(servers: int, load: float, calls: int, seed: int, handle: float = 120.0) -> list[float]:
    """A textbook M/M/N FIFO simulation without the engine, drawing random numbers in the same order as
    the benchmark (per arrival: the elderly draw, the call length if served at once, the next gap)."""
    rng = random.Random(seed)
    rate = load * servers / handle
    free, line, waits = servers, list[tuple[int, float]](), dict[int, float]()
    events: list[tuple[float, int, str]] = []
    seq = 0

    def at(when: float, kind: str) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (when, seq, kind))

    at(rng.expovariate(rate), "arrival")
    arrived = 0
    while events:
        now, _, kind = heapq.heappop(events)
        if kind == "arrival":
            arrived += 1
            rng.random()  # elderly or not (share 0)
            if free:
                free -= 1
                waits[arrived] = 0.0
                at(now + rng.expovariate(1 / handle), "end")
            else:
                line.append((arrived, now))
            if arrived < calls:
                at(now + rng.expovariate(rate), "arrival")
        elif line:
            who, since = line.pop(0)
            waits[who] = now - since
            at(now + rng.expovariate(1 / handle), "end")
        else:
            free += 1
        if arrived >= calls and not line:
            break
    return [waits[i] for i in range(1, calls + 1)]


def test_the_engine_reproduces_a_plain_fifo_mmn_sample_path_exactly() -> None:
    # With the same random numbers, every customer waits exactly as in a 30-line M/M/N simulation:
    # the engine is FIFO and work-conserving, so differences from Erlang C are sampling noise only.
    result = simulate(erlang_scenario(3, 0.9, 3_000, seed=7))
    engine = [c.waited for c in result.customers]
    assert engine == pytest.approx(plain_mmn_waits(3, 0.9, 3_000, seed=7), abs=1e-9)
    assert sum(1 for w in engine if w > 0) > 1_000  # a busy line, not a trivial one


def test_the_simulation_wakes_exactly_when_a_routing_step_relaxes() -> None:
    # The only teller has proficiency 1; activation needs 4 until the task has waited 15 s.
    scenario = Scenario(
        name="one relaxation",
        config=load_routing(),
        tellers=(TellerSpec("t1", {"activation": 1}),),
        arrival_rate=0.01,
        handle_mean=10.0,
        calls=1,
    )
    result = simulate(scenario)
    (customer,) = result.customers
    assert customer.outcome == "answered"
    assert customer.waited == pytest.approx(15.0, abs=1e-5)
    assert customer.eta is not None  # had to wait, so was given an estimate


def test_wrap_up_keeps_the_teller_busy_after_each_call() -> None:
    scenario = Scenario(
        name="wrap-up",
        config=load_routing(),
        tellers=equal_tellers(1),
        arrival_rate=1.0,
        handle_mean=10.0,
        handle_distribution="fixed",
        calls=3,
    )
    sim = Simulation(scenario)
    result = sim.run()
    waits = [c.waited for c in result.customers]
    # One teller, 10 s calls, 30 s wrap-up: the second and third wait for a whole call plus wrap-up.
    arrivals = [c.arrived for c in result.customers]
    starts = [a + w for a, w in zip(arrivals, waits, strict=True)]
    assert starts[1] - starts[0] == pytest.approx(40.0, abs=1e-5)
    assert starts[2] - starts[1] == pytest.approx(40.0, abs=1e-5)
    teller = sim.router.teller("t000")
    assert teller is not None and teller.state in (TellerState.IN_CALL, TellerState.WRAP_UP)


def test_runs_are_deterministic_for_a_seed() -> None:
    first = simulate(build("shipped", seed=2, calls=300))
    second = simulate(build("shipped", seed=2, calls=300))
    assert [(c.outcome, c.waited, c.eta) for c in first.customers] == [
        (c.outcome, c.waited, c.eta) for c in second.customers
    ]


def test_the_lanes_use_the_engines_service_level_definition() -> None:
    result = simulate(build("shipped", seed=4, calls=500))
    lanes = result.lanes()
    assert set(lanes) == {"all", "standard", "elderly"}
    assert lanes["standard"].customers + lanes["elderly"].customers == lanes["all"].customers
    counted = result.counted
    within = sum(1 for c in counted if c.outcome == "answered" and c.waited <= 20.0)
    answered = sum(1 for c in counted if c.outcome == "answered")
    assert lanes["all"].service_level == pytest.approx(within / answered)  # nobody abandons here


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([], 90) is None


def test_the_single_queue_policy_admits_any_teller_at_once() -> None:
    config = single_queue_config()
    for routing in config.businesses.values():
        assert len(routing.steps) == 1
        assert routing.steps[0].admits(0, False)
    assert config.wrap_up_seconds == 0


def test_the_previous_policy_is_the_one_shipped_before_issue_15() -> None:
    previous = previous_config()
    assert (previous.elder_care_mode, previous.ageing_seconds_per_point) == ("shared", 0.0)
    assert previous.routing("activation").elderly_steps[0].elder_care
    assert load_routing().desk  # the shipped one differs


def test_business_figures_compare_each_business_p95_with_everyones() -> None:
    result = simulate(build("shipped", seed=6, calls=800))
    figures = business_figures(result)
    answered = [c for c in result.counted if c.outcome == "answered"]
    overall = percentile([c.waited for c in answered], 95)
    assert overall is not None and overall > 0
    for business, f in figures.items():
        mine = [c.waited for c in answered if c.business == business]
        assert f.answered == len(mine)
        assert f.p95_ratio == pytest.approx((percentile(mine, 95) or 0) / overall)
        told = [c for c in answered if c.business == business and c.eta is not None]
        assert f.eta_count == len(told)
    assert sum(f.answered for f in figures.values()) == len(answered)
