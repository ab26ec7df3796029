"""The routing engine's rules, with an explicit clock (docs/routing.md)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from signaling.routing import Router, RoutingError, Task, TellerProfile
from signaling.routing_config import BusinessRouting, RoutingConfig, Step
from signaling.states import TellerState

STEPS = (Step(0, 4), Step(15, 1), Step(60, None))
ELDERLY = (Step(0, 1, elder_care=True), Step(5, 1), Step(20, None))


def config(**overrides: float) -> RoutingConfig:
    businesses = {
        name: BusinessRouting(priority, STEPS, ELDERLY)
        for name, priority in (
            ("activation", 2),
            ("password_reset", 1),
            ("info_update", 0),
            ("corporate_willingness", 1),
            ("card_review", 0),
        )
    }
    return RoutingConfig(businesses=businesses, **overrides)  # type: ignore[arg-type]


def teller(
    router: Router,
    name: str,
    now: float,
    *,
    skill: int = 5,
    elder_care: bool = False,
    business: str = "activation",
) -> str:
    router.sign_in(TellerProfile(name, {business: skill}, elder_care), now)
    router.set_available(name, now)
    return name


def task(router: Router, task_id: str, now: float, *, priority: int = 0, elderly: bool = False) -> Task:
    return router.enqueue(Task(task_id, "call", "activation", priority, now, elderly))


def offered(router: Router, now: float) -> dict[str, str]:
    return {offer.task_id: offer.teller_id for offer in router.assign(now)}


def test_higher_priority_goes_first_then_the_oldest() -> None:
    router = Router(config())
    task(router, "old-low", 0.0, priority=0)
    task(router, "new-high", 5.0, priority=3)
    task(router, "older-high", 1.0, priority=3)
    assert [t.id for t in router.queue(10.0)] == ["older-high", "new-high", "old-low"]
    teller(router, "t1", 10.0)
    assert offered(router, 10.0) == {"older-high": "t1"}


def test_tasks_created_at_the_same_time_keep_their_arrival_order() -> None:
    router = Router(config())
    for name in ("a", "b", "c"):
        task(router, name, 0.0)
    assert [t.id for t in router.queue(0.0)] == ["a", "b", "c"]


def test_the_teller_idle_longest_gets_the_offer() -> None:
    router = Router(config())
    teller(router, "t-recent", 20.0)
    teller(router, "t-longest", 10.0)
    teller(router, "t-middle", 15.0)
    task(router, "c1", 30.0)
    assert offered(router, 30.0) == {"c1": "t-longest"}


def test_routing_steps_relax_with_waiting_time() -> None:
    router = Router(config())
    teller(router, "novice", 0.0, skill=2)
    task(router, "c1", 0.0)
    assert offered(router, 0.0) == {}  # needs proficiency 4 at first
    assert router.next_deadline(0.0) == 15.0
    assert offered(router, 14.9) == {}
    assert offered(router, 15.0) == {"c1": "novice"}


def test_an_unskilled_teller_is_eligible_only_at_the_last_step() -> None:
    router = Router(config())
    teller(router, "other", 0.0, business="card_review")
    task(router, "c1", 0.0)
    assert offered(router, 59.0) == {}
    assert offered(router, 60.0) == {"c1": "other"}


def test_a_task_no_teller_can_take_yet_does_not_block_the_ones_behind() -> None:
    router = Router(config())
    router.sign_in(TellerProfile("t1", {"activation": 2, "info_update": 5}), 0.0)
    router.set_available("t1", 0.0)
    task(router, "first", 0.0, priority=5)  # activation needs proficiency 4
    router.enqueue(Task("second", "call", "info_update", 0, 1.0))
    assert offered(router, 1.0) == {"second": "t1"}


def test_elderly_customers_go_to_elder_care_tellers_first_then_relax() -> None:
    router = Router(config())
    teller(router, "regular", 0.0)  # idle longer, highly skilled, but not elder-care
    teller(router, "carer", 1.0, skill=2, elder_care=True)
    task(router, "elder", 2.0, elderly=True)
    assert offered(router, 2.0) == {"elder": "carer"}

    router2 = Router(config())
    teller(router2, "regular", 0.0)
    task(router2, "elder", 0.0, elderly=True)
    assert offered(router2, 4.9) == {}
    assert offered(router2, 5.0) == {"elder": "regular"}


def test_an_offer_not_answered_in_time_sends_the_teller_away_and_keeps_the_tasks_place() -> None:
    router = Router(config(offer_timeout_seconds=15.0))
    teller(router, "t1", 0.0)
    teller(router, "t2", 1.0)
    task(router, "c1", 2.0)
    task(router, "c2", 3.0)
    assert offered(router, 3.0) == {"c1": "t1", "c2": "t2"}
    router.accept("t2", "c2", 4.0)
    lapses = router.expire(18.0)
    assert [(lapse.kind, lapse.teller_id, lapse.task.id if lapse.task else None) for lapse in lapses] == [
        ("offer_timeout", "t1", "c1")
    ]
    t1 = router.teller("t1")
    assert t1 is not None and (t1.state, t1.away_reason) == (TellerState.AWAY, "no_answer")
    task(router, "c3", 17.0)
    assert [t.id for t in router.queue(18.0)] == ["c1", "c3"]


def test_a_rejected_offer_sends_the_teller_away_and_reoffers_the_task_to_someone_else() -> None:
    router = Router(config())
    teller(router, "t1", 0.0)
    task(router, "c1", 1.0)
    assert offered(router, 1.0) == {"c1": "t1"}
    teller(router, "t2", 2.0)
    router.reject("t1", "c1", 3.0)
    t1 = router.teller("t1")
    assert t1 is not None and (t1.state, t1.away_reason) == (TellerState.AWAY, "rejected")
    assert offered(router, 3.0) == {"c1": "t2"}


def test_only_the_reserved_teller_may_accept_and_only_its_own_offer() -> None:
    router = Router(config())
    teller(router, "t1", 0.0)
    teller(router, "t2", 0.5)
    task(router, "c1", 1.0)
    offered(router, 1.0)
    with pytest.raises(RoutingError):
        router.accept("t2", "c1", 2.0)
    with pytest.raises(RoutingError):
        router.accept("t1", "c9", 2.0)
    accepted = router.accept("t1", "c1", 2.0)
    assert accepted.id == "c1" and router.task("c1") is None
    assert router.teller("t1").state is TellerState.IN_CALL  # type: ignore[union-attr]


def test_wrap_up_follows_a_call_and_can_end_early_or_be_extended() -> None:
    router = Router(config(wrap_up_seconds=30.0, wrap_up_extend_seconds=30.0))
    teller(router, "t1", 0.0)
    task(router, "c1", 0.0)
    offered(router, 0.0)
    router.accept("t1", "c1", 1.0)
    router.call_ended("t1", 100.0)
    assert router.teller("t1").state is TellerState.WRAP_UP  # type: ignore[union-attr]
    assert router.next_deadline(100.0) == 130.0
    router.extend_wrap_up("t1", 110.0)
    assert router.expire(130.0) == []
    assert [lapse.kind for lapse in router.expire(160.0)] == ["wrap_up_over"]
    assert router.teller("t1").state is TellerState.AVAILABLE  # type: ignore[union-attr]

    router.sign_in(TellerProfile("t2", {"activation": 5}), 0.0)
    router.set_available("t2", 0.0)
    task(router, "c2", 170.0)
    offered(router, 170.0)
    assert router.accept("t2", "c2", 171.0).id == "c2"
    router.call_ended("t2", 200.0)
    router.set_available("t2", 201.0)  # finishes wrap-up early
    assert router.teller("t2").state is TellerState.AVAILABLE  # type: ignore[union-attr]


def test_a_task_withdrawn_while_offered_frees_the_teller_without_losing_its_idle_rank() -> None:
    router = Router(config())
    teller(router, "t1", 0.0)
    teller(router, "t2", 5.0)
    task(router, "c1", 10.0)
    offered(router, 10.0)
    router.withdraw("c1", 11.0)
    assert router.teller("t1").state is TellerState.AVAILABLE  # type: ignore[union-attr]
    task(router, "c2", 12.0)
    assert offered(router, 12.0) == {"c2": "t1"}


def test_a_teller_signing_out_with_an_offer_puts_the_task_back() -> None:
    router = Router(config())
    teller(router, "t1", 0.0)
    task(router, "c1", 1.0)
    offered(router, 1.0)
    returned = router.sign_out("t1", 2.0)
    assert returned is not None and returned.id == "c1" and returned.reserved_by is None
    assert router.queue(2.0)[0].id == "c1"


def test_callback_tasks_wait_for_their_window_and_expire_after_it() -> None:
    router = Router(config())
    router.enqueue(Task("cb1", "callback", "activation", 0, 0.0, not_before=100.0, expires_at=200.0))
    teller(router, "t1", 0.0)
    assert router.queue(50.0) == [] and [t.id for t in router.scheduled(50.0)] == ["cb1"]
    assert router.next_deadline(50.0) == 100.0
    assert offered(router, 100.0) == {"cb1": "t1"}
    router.reject("t1", "cb1", 101.0)
    assert [lapse.kind for lapse in router.expire(200.0)] == ["callback_expired"]
    assert router.task("cb1") is None


def test_positions_and_able_tellers_for_the_estimate() -> None:
    router = Router(config())
    task(router, "c1", 0.0)
    task(router, "c2", 1.0)
    router.sign_in(TellerProfile("busy", {"activation": 5}), 0.0)
    router.sign_in(TellerProfile("away", {"activation": 5}), 0.0)
    router.set_available("busy", 0.0)
    offered(router, 2.0)
    router.accept("busy", "c1", 2.0)
    assert router.position("c2", 3.0) == 1
    assert router.able_tellers(router.task("c2")) == 1  # type: ignore[arg-type]
    with pytest.raises(RoutingError):
        router.position("c1", 3.0)


def test_state_changes_that_do_not_fit_are_refused() -> None:
    router = Router(config())
    with pytest.raises(RoutingError):
        router.set_available("nobody", 0.0)
    teller(router, "t1", 0.0)
    with pytest.raises(RoutingError):
        router.extend_wrap_up("t1", 1.0)
    with pytest.raises(RoutingError):
        router.sign_in(TellerProfile("t1"), 1.0)
    router.enqueue(Task("c1", "call", "activation", 0, 0.0))
    with pytest.raises(RoutingError):
        router.enqueue(Task("c1", "call", "activation", 0, 0.0))


def test_a_step_relaxes_exactly_at_the_deadline_the_router_announced() -> None:
    router = Router(config())
    teller(router, "novice", 0.0, skill=1)
    task(router, "c1", 57.1)  # (57.1 + 15) - 57.1 is a hair below 15 in floating point
    assert offered(router, 57.1) == {}
    deadline = router.next_deadline(57.1)
    assert deadline == 57.1 + 15
    assert offered(router, deadline) == {"c1": "novice"}


# --- the elder-care desk (elder_care_mode = "desk") ----------------------------------------------------


def desk(keep_free: int = 0) -> RoutingConfig:
    return replace(config(), elder_care_mode="desk", desk_keep_free=keep_free)


def desk_with_an_elderly_customer_the_carer_cannot_take_yet(mode: str) -> Router:
    router = Router(replace(config(), elder_care_mode=mode))  # type: ignore[arg-type]
    # Not skilled in activation: eligible for the elderly activation customer only after 20 s.
    router.sign_in(TellerProfile("carer", {"info_update": 5}, elder_care=True), 0.0)
    router.set_available("carer", 0.0)
    router.enqueue(Task("elder", "call", "activation", 10, 0.0, elderly=True))
    router.enqueue(Task("standard", "call", "info_update", 0, 0.0))
    return router


def test_a_desk_teller_takes_no_standard_customer_while_an_elderly_one_waits() -> None:
    router = desk_with_an_elderly_customer_the_carer_cannot_take_yet("desk")
    assert offered(router, 1.0) == {}
    router.withdraw("elder", 2.0)  # nobody elderly waits any more: the carer takes others
    assert offered(router, 2.0) == {"standard": "carer"}
    shared = desk_with_an_elderly_customer_the_carer_cannot_take_yet("shared")
    assert offered(shared, 1.0) == {"standard": "carer"}


def test_the_desk_keeps_designated_tellers_free_for_the_next_elderly_customer() -> None:
    router = Router(desk(keep_free=1))
    teller(router, "carer1", 0.0, elder_care=True)
    teller(router, "carer2", 1.0, elder_care=True)
    task(router, "s1", 2.0)
    task(router, "s2", 3.0)
    assert offered(router, 3.0) == {"s1": "carer1"}  # carer2 stays free: one designated kept free
    task(router, "elder", 4.0, priority=10, elderly=True)
    assert offered(router, 4.0) == {"elder": "carer2"}
    router.accept("carer1", "s1", 5.0)
    router.call_ended("carer1", 100.0)
    router.set_available("carer1", 101.0)
    assert offered(router, 101.0) == {}  # carer2 busy: carer1 is the one kept free
    assert [t.id for t in router.queue(101.0)] == ["elder", "s2"]


def test_a_desk_of_one_serves_others_when_no_elderly_customer_waits() -> None:
    router = Router(desk(keep_free=2))
    teller(router, "carer", 0.0, elder_care=True)
    task(router, "s1", 1.0)
    assert offered(router, 1.0) == {"s1": "carer"}


def test_the_desk_offers_elderly_customers_to_designated_tellers_and_others_to_everyone_else_first() -> None:
    router = Router(desk())
    teller(router, "carer", 0.0, elder_care=True)  # idle longest
    teller(router, "regular", 1.0)
    task(router, "s1", 2.0)
    assert offered(router, 2.0) == {"s1": "regular"}
    router2 = Router(desk())
    teller(router2, "regular", 0.0)  # idle longest
    teller(router2, "carer", 1.0, elder_care=True)
    task(router2, "elder", 2.0, priority=10, elderly=True)
    # the elderly steps' first step admits elder-care tellers only; the desk choice is the same later
    assert offered(router2, 2.0) == {"elder": "carer"}


def test_standard_customers_do_not_count_the_designated_tellers_the_desk_holds_back() -> None:
    router = Router(desk(keep_free=1))
    for name, carer in (("c1", True), ("c2", True), ("c3", True), ("r1", False)):
        router.sign_in(TellerProfile(name, {"activation": 5}, elder_care=carer), 0.0)
        router.set_available(name, 0.0)
    standard = task(router, "s1", 0.0)
    elderly = task(router, "e1", 0.0, priority=10, elderly=True)
    assert router.able_tellers(standard) == 3 and router.able_tellers(elderly) == 4
    assert Router(config()).able_tellers(standard) == 0  # nobody signed in there


# --- priority ageing (ageing_seconds_per_point) -----------------------------------------------------------


def test_with_ageing_a_priority_point_is_worth_that_many_seconds_of_waiting() -> None:
    router = Router(config(ageing_seconds_per_point=60.0))
    task(router, "low", 0.0, priority=0)
    task(router, "high-soon", 100.0, priority=2)  # 120 s head start: sorts as if it came at -20
    task(router, "high-late", 130.0, priority=2)  # sorts as if it came at 10: behind "low"
    assert [t.id for t in router.queue(130.0)] == ["high-soon", "low", "high-late"]
    strict = Router(config())
    for t in router.queue(130.0):
        strict.enqueue(Task(t.id, "call", "activation", t.priority, t.created_at))
    assert [t.id for t in strict.queue(130.0)] == ["high-soon", "high-late", "low"]


def test_with_ageing_a_low_priority_customer_is_served_before_any_later_arrival_past_the_gap() -> None:
    router = Router(config(ageing_seconds_per_point=60.0, wrap_up_seconds=0.0))
    teller(router, "t1", 0.0)
    task(router, "busy", 0.0, priority=2)
    assert offered(router, 0.0) == {"busy": "t1"}
    router.accept("t1", "busy", 0.0)
    task(router, "low", 1.0, priority=0)
    # A steady stream of priority-2 arrivals, one every 10 s for 10 minutes.
    for n in range(60):
        task(router, f"high{n}", 2.0 + 10 * n, priority=2)
    served = []
    now = 600.0
    while "low" not in served:
        router.call_ended("t1", now)
        (offer,) = router.assign(now)
        router.accept("t1", offer.task_id, now)
        served.append(offer.task_id)
    # Only the arrivals within the 2-point (120 s) gap got ahead: those that came before t = 121.
    assert served == [f"high{n}" for n in range(12)] + ["low"]


# --- the wait estimate ----------------------------------------------------------------------------------


def test_the_estimate_counts_wrap_up_and_the_able_tellers() -> None:
    router = Router(config(wrap_up_seconds=30.0))
    for name in ("t1", "t2"):
        teller(router, name, 0.0)
        router.set_away(name, "break", 0.0)
        router.set_available(name, 0.0)
    waiting = task(router, "c1", 0.0)
    assert router.able_tellers(waiting) == 2
    assert router.wait_estimate(waiting, 3, 0.0, average_handle=90.0, able=2) == 180  # 3 × 120 / 2


def test_higher_priority_arrivals_lengthen_the_estimate_for_as_long_as_they_overtake() -> None:
    strict = Router(config(wrap_up_seconds=0.0))
    ageing = Router(config(wrap_up_seconds=0.0, ageing_seconds_per_point=60.0))
    for router in (strict, ageing):
        for n in range(60):  # priority 2 joins, one every 10 s over the last 10 minutes
            router.enqueue(Task(f"h{n}", "call", "activation", 2, 10.0 * n))
            router.withdraw(f"h{n}", 10.0 * n)  # served at once: only their arrival rate remains
        router.enqueue(Task("low", "call", "activation", 0, 600.0))
    low = strict.task("low")
    assert low is not None
    (rate,) = strict.overtaking(low, 600.0)
    assert rate.rate == pytest.approx(61 / 600 - 1 / 600) and rate.window == math.inf
    (window,) = ageing.overtaking(ageing.task("low"), 650.0)  # type: ignore[arg-type]
    assert window.window == pytest.approx(600.0 + 120.0 - 650.0)
    assert ageing.overtaking(ageing.task("low"), 800.0)[0].window == 0.0  # past the gap: nobody
    # One teller, 5 s per call: 1 place + 0.1 overtakers/s. Strict: W = 5 (1 + 0.1 W) → 10 s.
    assert strict.wait_estimate(low, 1, 600.0, average_handle=5.0, able=1) == 10
    assert (
        strict.wait_estimate(
            strict.enqueue(Task("top", "call", "activation", 2, 600.0)), 1, 600.0, average_handle=5.0, able=1
        )
        == 5
    )  # nobody overtakes priority 2


def test_with_the_desk_elderly_arrivals_do_not_lengthen_a_standard_customers_estimate() -> None:
    routers = {mode: Router(replace(config(), elder_care_mode=mode)) for mode in ("shared", "desk")}  # type: ignore[arg-type]
    for router in routers.values():
        for n in range(10):
            router.enqueue(Task(f"e{n}", "call", "activation", 10, 10.0 * n, elderly=True))
            router.withdraw(f"e{n}", 10.0 * n)
        router.enqueue(Task("std", "call", "activation", 0, 100.0))
    shared, desk_router = routers["shared"], routers["desk"]
    assert [o.rate for o in shared.overtaking(shared.task("std"), 100.0)] == [pytest.approx(10 / 100)]  # type: ignore[arg-type]
    assert desk_router.overtaking(desk_router.task("std"), 100.0) == []  # type: ignore[arg-type]
