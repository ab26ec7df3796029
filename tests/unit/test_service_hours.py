"""Service hours and the bank's time zone: call-back windows only inside the hours, dates in the zone."""

from __future__ import annotations

import datetime as dt

import pytest

from signaling.service_hours import ServiceHours, ServiceHoursError, parse_time_zone

SHANGHAI = parse_time_zone("Asia/Shanghai")
HOURS = ServiceHours.parse("08:00-20:00", "Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds of 2026-09-<day> hour:minute in Shanghai."""
    return dt.datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI).timestamp()


def local(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, SHANGHAI).strftime("%d %H:%M")


def shown(hours: ServiceHours, now: float) -> list[tuple[str, str, str]]:
    return [(w.kind, local(w.start), local(w.end)) for w in hours.callback_windows(now)]


def test_after_closing_time_nothing_is_offered_for_tonight() -> None:
    """The issue's example: 21:14 is after the 8:00-20:00 hours the help page states."""
    assert shown(HOURS, at(21, 21, 14)) == [
        ("soon", "22 08:00", "22 10:00"),
        ("next_morning", "22 08:00", "22 12:00"),
        ("next_afternoon", "22 14:00", "22 18:00"),
    ]


def test_during_the_day_the_windows_start_now_and_later_today() -> None:
    assert shown(HOURS, at(21, 10, 7)) == [
        ("soon", "21 10:07", "21 12:07"),
        ("later_today", "21 11:15", "21 13:15"),
        ("next_morning", "22 08:00", "22 12:00"),
        ("next_afternoon", "22 14:00", "22 18:00"),
    ]


def test_windows_near_closing_are_cut_at_closing_and_a_short_remnant_moves_to_the_next_day() -> None:
    assert shown(HOURS, at(21, 19, 0))[0] == ("soon", "21 19:00", "21 20:00")
    assert [kind for kind, _, _ in shown(HOURS, at(21, 19, 0))] == ["soon", "next_morning", "next_afternoon"]
    assert shown(HOURS, at(21, 19, 45))[0] == ("soon", "22 08:00", "22 10:00")
    assert shown(HOURS, at(21, 6, 30))[0] == ("soon", "21 08:00", "21 10:00")


def test_every_window_offered_at_any_time_of_day_lies_inside_the_service_hours() -> None:
    for hours in (
        HOURS,
        ServiceHours.parse("13:00-22:00", "UTC+08:00"),
        ServiceHours.parse("07:30-08:45", SHANGHAI),
    ):
        now = at(21, 0)
        while now < at(22, 0):
            windows = hours.callback_windows(now)
            assert windows and windows[0].kind == "soon"
            for window in windows:
                assert hours.within(window.start, window.end), (hours.text, local(now), window)
                assert window.start >= now and window.end - window.start >= 30 * 60
            now += 7 * 60


def test_a_window_must_lie_inside_one_days_hours() -> None:
    assert HOURS.within(at(21, 8), at(21, 10))
    assert HOURS.within(at(21, 18), at(21, 20))
    assert not HOURS.within(at(21, 19), at(21, 21))
    assert not HOURS.within(at(21, 7, 45), at(21, 9))
    assert not HOURS.within(at(21, 19), at(22, 9))
    assert not HOURS.within(at(21, 10), at(21, 10))


def test_round_the_clock_service_never_cuts_a_window() -> None:
    always = ServiceHours.parse("00:00-24:00", SHANGHAI)
    assert always.always_open and always.is_open(at(21, 3))
    assert always.within(at(21, 23), at(22, 1))
    assert always.soonest_window(at(21, 23, 30), 900) == (at(21, 23, 30), at(22, 1, 30))


def test_dates_are_the_banks_not_the_hosts() -> None:
    late_utc = dt.datetime(2026, 9, 21, 20, 0, tzinfo=dt.UTC).timestamp()  # 04:00 on the 22nd in Shanghai
    assert HOURS.local_date(late_utc) == dt.date(2026, 9, 22)
    assert HOURS.day_start(late_utc) == at(22, 0)
    berlin = ServiceHours.parse("08:00-20:00", "Europe/Berlin")
    assert berlin.local_date(late_utc) == dt.date(2026, 9, 21)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("UTC", 0),
        ("UTC+08:00", 8 * 60),
        ("+8", 8 * 60),
        ("UTC-03:30", -(3 * 60 + 30)),
        ("GMT+0530", 5 * 60 + 30),
    ],
)
def test_fixed_offsets_need_no_time_zone_database(text: str, offset: int) -> None:
    assert parse_time_zone(text).utcoffset(None) == dt.timedelta(minutes=offset)


@pytest.mark.parametrize(
    "text", ["8-20", "20:00-08:00", "08:00-08:00", "25:00-26:00", "08:00-24:01", "08:60-09:00"]
)
def test_impossible_hours_are_refused(text: str) -> None:
    with pytest.raises(ServiceHoursError):
        ServiceHours.parse(text, SHANGHAI)


@pytest.mark.parametrize(
    ("hours", "zone", "public"),
    [
        ("08:00-20:00", "Asia/Shanghai", {"opens": "08:00", "closes": "20:00", "time_zone": "Asia/Shanghai"}),
        ("00:00-24:00", "UTC+08:00", {"opens": "00:00", "closes": "24:00", "time_zone": "+08:00"}),
        ("09:30-17:00", "UTC-03:30", {"opens": "09:30", "closes": "17:00", "time_zone": "-03:30"}),
        ("09:30-17:00", "UTC", {"opens": "09:30", "closes": "17:00", "time_zone": "UTC"}),
    ],
)
def test_pages_get_the_hours_and_a_zone_a_browser_can_format_with(
    hours: str, zone: str, public: dict[str, str]
) -> None:
    assert ServiceHours.parse(hours, zone).public() == public
