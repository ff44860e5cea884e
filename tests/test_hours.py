"""Business hours: wall-clock intervals in the schedule's own zone, holidays closed all day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.flow.hours import (
    END_OF_DAY,
    Hours,
    check_timezone,
    find_overlap,
    format_interval,
    holidays_expired,
    is_open,
    parse_days,
    parse_holiday,
    parse_interval,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7 all year
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00

MORNING, AFTERNOON = (time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))
OFFICE = Hours(
    "Asia/Ho_Chi_Minh",
    {**{day: (MORNING, AFTERNOON) for day in range(5)}, 5: (MORNING,)},
    frozenset({date(2026, 9, 2)}),
)


def hcm(year: int, month: int, day: int, hour: int, minute: int, *rest: int) -> datetime:
    second, micro = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=HCM)


def minutes(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / timedelta(minutes=1))
    return [start + timedelta(minutes=i) for i in range(count)]


def test_weekday_open_weekend_closed() -> None:
    assert is_open(OFFICE, hcm(2026, 3, 2, 9, 0))  # Monday
    assert is_open(OFFICE, hcm(2026, 3, 6, 16, 0))  # Friday
    assert is_open(OFFICE, hcm(2026, 3, 7, 9, 0))  # Saturday morning
    assert not is_open(OFFICE, hcm(2026, 3, 7, 14, 0))  # Saturday afternoon
    assert not is_open(OFFICE, hcm(2026, 3, 8, 9, 0))  # Sunday


def test_start_is_inclusive_end_is_exclusive() -> None:
    assert not is_open(OFFICE, hcm(2026, 3, 2, 7, 29, 59))
    assert is_open(OFFICE, hcm(2026, 3, 2, 7, 30))
    assert is_open(OFFICE, hcm(2026, 3, 2, 16, 59, 59, 999999))
    assert not is_open(OFFICE, hcm(2026, 3, 2, 17, 0))


def test_lunch_break_is_closed() -> None:
    assert is_open(OFFICE, hcm(2026, 3, 3, 11, 29))
    assert not is_open(OFFICE, hcm(2026, 3, 3, 11, 30))
    assert not is_open(OFFICE, hcm(2026, 3, 3, 12, 15))
    assert is_open(OFFICE, hcm(2026, 3, 3, 13, 0))


def test_holiday_is_closed_all_day_by_the_local_date() -> None:
    assert not is_open(OFFICE, hcm(2026, 9, 2, 9, 0))  # Wednesday, National Day
    assert is_open(OFFICE, hcm(2026, 9, 3, 9, 0))
    always = Hours("Asia/Ho_Chi_Minh", {d: ((time(0), END_OF_DAY),) for d in range(7)},
                   frozenset({date(2026, 1, 1)}))  # fmt: skip
    # 2025-12-31 17:30 UTC is already 2026-01-01 00:30 in Ho Chi Minh City
    assert not is_open(always, datetime(2025, 12, 31, 17, 30, tzinfo=UTC))
    assert is_open(always, datetime(2025, 12, 31, 16, 30, tzinfo=UTC))


def test_the_instant_is_read_in_the_hours_own_zone() -> None:
    instant = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Ho Chi Minh City
    assert is_open(OFFICE, instant)
    assert not is_open(replace(OFFICE, timezone="Europe/London"), instant)  # 01:00 there
    assert not is_open(replace(OFFICE, timezone="UTC"), instant)
    # the same instant written in another zone gives the same answer
    assert is_open(OFFICE, instant.astimezone(ZoneInfo("America/New_York")))


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(OFFICE, datetime(2026, 3, 2, 9, 0))


def test_an_end_of_24_00_covers_up_to_midnight() -> None:
    evening = Hours("UTC", {0: ((time(18, 0), END_OF_DAY),)})
    assert parse_interval("18:00-24:00") == (time(18, 0), END_OF_DAY)
    assert is_open(evening, datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC))
    assert not is_open(evening, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # Tuesday
    assert not is_open(evening, datetime(2026, 3, 2, 17, 59, tzinfo=UTC))


def test_wall_clock_hours_follow_daylight_saving() -> None:
    berlin = Hours("Europe/Berlin", {d: ((time(8), time(17)),) for d in range(5)})
    # Friday before the change (UTC+1) and Monday after it (UTC+2), the same UTC times
    assert not is_open(berlin, datetime(2026, 3, 27, 6, 30, tzinfo=UTC))  # 07:30 CET
    assert is_open(berlin, datetime(2026, 3, 30, 6, 30, tzinfo=UTC))  # 08:30 CEST
    assert is_open(berlin, datetime(2026, 3, 27, 15, 30, tzinfo=UTC))  # 16:30 CET
    assert not is_open(berlin, datetime(2026, 3, 30, 15, 30, tzinfo=UTC))  # 17:30 CEST
    assert is_open(berlin, datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN))
    assert not is_open(berlin, datetime(2026, 3, 30, 7, 59, tzinfo=BERLIN))


def test_skipped_wall_time_is_never_open_repeated_one_twice() -> None:
    night = Hours("Europe/Berlin", {6: ((time(2), time(3)),)})  # Sundays 02:00-03:00
    spring = minutes(datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC))
    assert not any(is_open(night, t) for t in spring)  # 02:00-03:00 does not exist that day
    autumn = minutes(datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 4, tzinfo=UTC))
    assert sum(is_open(night, t) for t in autumn) == 120  # 02:00-03:00 happens twice
    ordinary = minutes(datetime(2026, 11, 1, 0, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC))
    assert sum(is_open(night, t) for t in ordinary) == 60


def test_parse_days() -> None:
    assert parse_days("mon") == (0,)
    assert parse_days("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_days("Sat-Sun") == (5, 6)
    assert parse_days("fri-mon") == (4, 5, 6, 0)
    for bad in ["monday", "mon-", "mon-fri-sat", "", "1"]:
        with pytest.raises(ValueError, match="not a day"):
            parse_days(bad)


def test_parse_interval() -> None:
    assert parse_interval("07:30-11:30") == MORNING
    assert parse_interval(" 13:00 - 17:00 ") == AFTERNOON
    for bad in ["7:30-11:30", "07:30", "24:00-24:00", "07:60-08:00", "07:30-24:01", "0730-1130"]:
        with pytest.raises(ValueError, match="not a time range"):
            parse_interval(bad)
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_interval("11:30-07:30")
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_interval("08:00-08:00")


def test_overlap_and_format() -> None:
    assert find_overlap([AFTERNOON, MORNING]) is None
    late = (time(11), time(12))
    assert find_overlap([AFTERNOON, late, MORNING]) == (MORNING, late)
    assert format_interval((time(18), END_OF_DAY)) == "18:00-24:00"
    assert format_interval(MORNING) == "07:30-11:30"


def test_parse_holiday_and_timezone() -> None:
    assert parse_holiday("2026-09-02") == date(2026, 9, 2)
    for bad in ["2026-9-2", "02/09/2026", "2026-02-30", ""]:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_holiday(bad)
    assert check_timezone("Asia/Ho_Chi_Minh") == "Asia/Ho_Chi_Minh"
    with pytest.raises(ValueError, match="did you mean 'Asia/Ho_Chi_Minh'"):
        check_timezone("Asia/Ho_Chi_Min")
    for bad in ["Mars/Olympus", "", "../etc/passwd", "Asia"]:
        with pytest.raises(ValueError, match="unknown time zone"):
            check_timezone(bad)


def test_a_holiday_list_that_ran_out_is_reported() -> None:
    # the last holiday, 2026-09-02, is within 12 months until 2027-09-01 (local days)
    assert holidays_expired(OFFICE, hcm(2025, 9, 3, 9, 0)) is None
    assert holidays_expired(OFFICE, hcm(2026, 9, 2, 23, 0)) is None
    warning = holidays_expired(OFFICE, hcm(2026, 9, 3, 0, 30))
    assert warning == (
        "no holiday in the coming 12 months (the last is 2026-09-02): "
        "add next year's public holidays"
    )
    # a date more than 12 months ahead does not count; no list at all is a choice
    assert holidays_expired(OFFICE, hcm(2025, 9, 1, 9, 0)) is not None
    assert holidays_expired(replace(OFFICE, holidays=frozenset()), hcm(2030, 1, 1, 9, 0)) is None
