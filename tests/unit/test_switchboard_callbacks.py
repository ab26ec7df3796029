"""Call-back offers through the switchboard: never to the next in line or a one-tap caller, windows
only inside the service hours, and a booking outside them refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from signaling.messages import (
    CallbackBooked,
    CallbackOffered,
    CallbackRequest,
    ErrorMessage,
    JoinQueue,
    QueueUpdate,
)
from signaling.routing_config import load_routing
from signaling.service_hours import ServiceHours, parse_time_zone
from signaling.switchboard import Switchboard
from tests.unit.test_switchboard import Harness
from tests.unit.test_switchboard_routing import ELDER_ID

SHANGHAI = parse_time_zone("Asia/Shanghai")
HOURS = ServiceHours.parse("08:00-20:00", SHANGHAI)
OFFER_AT_ONCE = dataclasses.replace(load_routing(), callback_offer_seconds=0)
"""Every wait counts as long, so that only the rules under test keep an offer back."""


def shanghai(hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 9, 21, hour, minute, tzinfo=SHANGHAI).timestamp()


def harness(now: float, hours: ServiceHours | None = HOURS) -> Harness:
    h = Harness()
    ids = (f"session-{n:04d}" for n in itertools.count(1))
    h.sb = Switchboard(
        new_id=lambda: next(ids),
        ice_servers=[],
        routing=OFFER_AT_ONCE,
        default_handle_seconds=100.0,
        hours=hours,
    )
    h.now = now
    return h


def join(h: Harness, conn: str, **extra: object) -> None:
    h.customer(conn)
    h.send(conn, JoinQueue(display_name=conn.upper(), business="activation", **extra))  # type: ignore[arg-type]


def test_the_next_customer_in_line_is_not_offered_a_callback_the_second_is() -> None:
    h = harness(shanghai(10))
    join(h, "c1")
    join(h, "c2")
    assert h.last("c1", QueueUpdate).position == 1
    assert not h.messages("c1", CallbackOffered)
    assert h.last("c2", QueueUpdate).position == 2
    assert len(h.messages("c2", CallbackOffered)) == 1
    h.send("c1", CallbackRequest(phone="+8613800000000"))
    assert h.last("c1", ErrorMessage).code == "invalid_callback"


def test_a_customer_who_tapped_talk_to_a_person_now_is_never_offered_a_callback() -> None:
    h = harness(shanghai(10))
    join(h, "c1")
    join(h, "c2")
    join(h, "elder", talk_now=True, resident_id=ELDER_ID)
    join(h, "c4")
    update = h.last("elder", QueueUpdate)
    assert update.lane == "elderly"
    assert not h.messages("elder", CallbackOffered)
    for conn in ("c2", "c4"):
        assert h.messages(conn, CallbackOffered), conn


def test_the_windows_offered_lie_inside_the_service_hours() -> None:
    h = harness(shanghai(21, 14))  # after closing, as in the issue: "today at 09:14 PM to 11:14 PM"
    join(h, "c1")
    join(h, "c2")
    offer: CallbackOffered = h.last("c2", CallbackOffered)
    assert offer.windows
    assert [w["kind"] for w in offer.windows] == ["soon", "next_morning", "next_afternoon"]
    for window in offer.windows:
        assert HOURS.within(window["start"], window["end"]), window
    assert offer.windows[0]["start"] == dt.datetime(2026, 9, 22, 8, tzinfo=SHANGHAI).timestamp()


def test_a_callback_as_soon_as_possible_after_hours_is_booked_for_the_next_opening() -> None:
    h = harness(shanghai(21, 14))
    join(h, "c1")
    join(h, "c2")
    h.send("c2", CallbackRequest(phone="+8613800000000"))
    booked: CallbackBooked = h.last("c2", CallbackBooked)
    opening = dt.datetime(2026, 9, 22, 8, tzinfo=SHANGHAI).timestamp()
    assert (booked.window_start, booked.window_end) == (opening, opening + 2 * 3600)


def test_a_window_outside_the_service_hours_is_refused() -> None:
    h = harness(shanghai(18))
    join(h, "c1")
    join(h, "c2")
    h.send("c2", CallbackRequest(phone="+8613800000000", window_start=shanghai(19), window_end=shanghai(21)))
    refused: ErrorMessage = h.last("c2", ErrorMessage)
    assert (refused.code, refused.ref_type) == ("invalid_callback", "callback_request")
    assert "08:00–20:00" in refused.message
    h.send("c2", CallbackRequest(phone="+8613800000000", window_start=shanghai(19), window_end=shanghai(20)))
    assert h.last("c2", CallbackBooked).window_end == shanghai(20)


def test_today_starts_at_midnight_in_the_banks_time_zone_not_the_hosts() -> None:
    h = harness(shanghai(23, 50))
    h.teller("t1")
    join(h, "c1")  # answered at once, at 15:50 UTC
    assert h.sb.snapshot(shanghai(23, 55)).service["today"]["answered"] == 1
    after_midnight = shanghai(23, 50) + 20 * 60  # 00:10 in Shanghai, still 16:10 on the same UTC day
    h.run(h.sb.tick(after_midnight))
    assert h.sb.snapshot(after_midnight).service["today"]["answered"] == 0
