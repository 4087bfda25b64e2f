"""Report periods are local calendar periods in the report's timezone."""
from datetime import date, datetime, timezone

from reporter.period import last_complete_period, period_containing


def test_daily_weekly_monthly_bounds():
    daily = period_containing("daily", date(2026, 11, 20), "Asia/Dubai")
    assert daily.start.isoformat() == "2026-11-20T00:00:00+04:00" and daily.seconds == 86400
    weekly = period_containing("weekly", date(2026, 11, 20), "UTC")
    assert (weekly.first_day, weekly.end.date()) == (date(2026, 11, 16), date(2026, 11, 23))
    monthly = period_containing("monthly", date(2026, 12, 31), "UTC")
    assert (monthly.first_day, monthly.end.date()) == (date(2026, 12, 1), date(2027, 1, 1))


def test_day_of_a_dst_change_is_23_hours():
    assert period_containing("daily", date(2026, 3, 29), "Europe/Berlin").seconds == 23 * 3600


def test_the_cronjob_reports_the_last_complete_period():
    run = datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)          # 08:00 in Dubai
    assert last_complete_period("daily", run, "Asia/Dubai").first_day == date(2026, 11, 30)
    assert last_complete_period("weekly", run, "Asia/Dubai").first_day == date(2026, 11, 23)
    assert last_complete_period("monthly", run, "Asia/Dubai").first_day == date(2026, 11, 1)
    # 23:30 UTC on the 30th is already the 1st in Dubai
    late = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
    assert last_complete_period("daily", late, "Asia/Dubai").first_day == date(2026, 11, 30)
    assert last_complete_period("daily", late, "UTC").first_day == date(2026, 11, 29)
