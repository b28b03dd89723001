"""Reminder times: offsets in the campaign's time zone, the deadline's morning, quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from monitoring.schedule import (
    QuietHours,
    ScheduleError,
    human_left,
    parse_offsets,
    reminder_times,
)

EKB = ZoneInfo("Asia/Yekaterinburg")  # UTC+5
KRS = ZoneInfo("Asia/Krasnoyarsk")  # UTC+7
QUIET = QuietHours.parse("21:00-08:00")


def _utc(y, m, d, h, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("tz", "deadline", "expected"),
    [
        (EKB, _utc(2026, 12, 15, 13), {  # 18:00 in Yekaterinburg
            "7d": _utc(2026, 12, 8, 13), "3d": _utc(2026, 12, 12, 13), "1d": _utc(2026, 12, 14, 13),
            "morning": _utc(2026, 12, 15, 3),  # 08:00 local
        }),
        (KRS, _utc(2026, 12, 15, 11), {  # 18:00 in Krasnoyarsk
            "7d": _utc(2026, 12, 8, 11), "3d": _utc(2026, 12, 12, 11), "1d": _utc(2026, 12, 14, 11),
            "morning": _utc(2026, 12, 15, 1),  # 08:00 local
        }),
    ],
)
def test_default_offsets_in_two_time_zones(tz, deadline, expected):
    assert reminder_times(parse_offsets("7d,3d,1d,morning"), deadline, tz, QUIET) == expected


def test_quiet_hours_move_a_reminder_to_the_morning_and_collapse_duplicates():
    deadline = dt.datetime(2026, 12, 15, 23, 30, tzinfo=EKB)
    times = reminder_times(parse_offsets("3d,1d,morning"), deadline.astimezone(dt.UTC), EKB, QUIET)
    # 3d falls at 23:30 local -> 08:00 the next morning; 1d (23:30 on the 14th) and the morning
    # both land on 08:00 on the 15th: one reminder, the later offset
    assert times == {
        "3d": dt.datetime(2026, 12, 13, 8, tzinfo=EKB).astimezone(dt.UTC),
        "morning": dt.datetime(2026, 12, 15, 8, tzinfo=EKB).astimezone(dt.UTC),
    }


def test_reminders_that_do_not_fit_before_the_deadline_are_dropped():
    early = dt.datetime(2026, 12, 15, 7, 0, tzinfo=KRS)  # before the morning
    assert "morning" not in reminder_times(("morning", "12h"), early.astimezone(dt.UTC), KRS, QUIET)
    # 12h before 07:00 is 19:00 the day before: fine
    assert reminder_times(("12h",), early.astimezone(dt.UTC), KRS, QUIET) == {"12h": dt.datetime(2026, 12, 14, 19, tzinfo=KRS).astimezone(dt.UTC)}


@pytest.mark.parametrize(
    ("local", "quiet"),
    [("20:59", False), ("21:00", True), ("23:59", True), ("00:00", True), ("07:59", True), ("08:00", False), ("12:00", False)],
)
def test_quiet_hours_edges(local, quiet):
    assert QUIET.contains(dt.datetime.strptime(local, "%H:%M").time()) is quiet


def test_quiet_hours_within_one_day_and_none():
    lunch = QuietHours.parse("13:00-14:00")
    assert lunch.contains(dt.time(13, 30)) and not lunch.contains(dt.time(14, 0))
    assert not QuietHours.parse("00:00-00:00").contains(dt.time(3, 0))
    moment = dt.datetime(2026, 12, 1, 22, 0, tzinfo=EKB).astimezone(dt.UTC)
    assert QUIET.next_allowed(moment, EKB) == dt.datetime(2026, 12, 2, 8, 0, tzinfo=EKB).astimezone(dt.UTC)
    moment = dt.datetime(2026, 12, 2, 3, 0, tzinfo=EKB).astimezone(dt.UTC)
    assert QUIET.next_allowed(moment, EKB) == dt.datetime(2026, 12, 2, 8, 0, tzinfo=EKB).astimezone(dt.UTC)


@pytest.mark.parametrize("bad", ["7x", "d7", "1000d", "soon"])
def test_bad_offsets(bad):
    with pytest.raises(ScheduleError):
        parse_offsets(bad)


@pytest.mark.parametrize("bad", ["21-08", "25:00-08:00", "21:00"])
def test_bad_quiet_hours(bad):
    with pytest.raises(ScheduleError):
        QuietHours.parse(bad)


def test_human_left_counts_calendar_days_in_the_campaign_time_zone():
    tz = "Asia/Yekaterinburg"  # UTC+5
    deadline = dt.datetime(2026, 12, 15, 13, 0, tzinfo=dt.UTC)  # 18:00 local
    assert human_left(deadline - dt.timedelta(days=7), deadline, tz) == "осталось 7 дней, срок до 15.12.2026 18:00"
    # the 7-day reminder moved out of quiet hours to the next morning still tells the truth
    assert human_left(deadline - dt.timedelta(days=7) + dt.timedelta(hours=15), deadline, tz).startswith("осталось 6 дней")
    assert human_left(deadline - dt.timedelta(days=3, hours=2), deadline, tz).startswith("осталось 3 дня")
    assert human_left(deadline - dt.timedelta(days=2, hours=9), deadline, tz).startswith("осталось 2 дня")
    assert human_left(deadline - dt.timedelta(days=1), deadline, tz) == "срок завтра, 15.12.2026 до 18:00"
    assert human_left(deadline - dt.timedelta(hours=10), deadline, tz) == "срок сегодня до 18:00"  # 08:00 local
    assert human_left(deadline - dt.timedelta(minutes=5), deadline, tz) == "срок сегодня до 18:00"
    assert human_left(deadline + dt.timedelta(minutes=5), deadline, tz) == "срок истёк 15.12.2026 18:00"
    # near midnight the local date decides, not 24-hour blocks
    late = dt.datetime(2026, 12, 14, 18, 30, tzinfo=dt.UTC)  # 23:30 local, the day before
    assert human_left(late, deadline, tz) == "срок завтра, 15.12.2026 до 18:00"
