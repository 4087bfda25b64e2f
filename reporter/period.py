"""The calendar period a report covers, in the report's timezone.

daily: one local day; weekly: Monday 00:00 to the next Monday; monthly: one calendar month.
Without a date, a report covers the last complete period before `now` (the CronJob runs at 08:00
on the day after / the Monday after / the 1st of the month after).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KINDS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date          # the local date the period starts on; names the report and its S3 key
    start: datetime          # timezone-aware, inclusive
    end: datetime            # timezone-aware, exclusive
    timezone: str

    @property
    def seconds(self) -> float:
        # not end - start: Python subtracts same-zone datetimes as wall-clock times, ignoring DST
        return self.end.timestamp() - self.start.timestamp()

    @property
    def label(self) -> str:
        if self.kind == "daily":
            return self.first_day.isoformat()
        if self.kind == "weekly":
            last = (self.end - timedelta(days=1)).date()
            return f"week {self.first_day.isocalendar().week} ({self.first_day.isoformat()} to {last.isoformat()})"
        return self.first_day.strftime("%B %Y")


def _first_day(kind: str, day: date) -> date:
    if kind == "daily":
        return day
    if kind == "weekly":
        return day - timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    raise ValueError(f"unknown report kind {kind!r}: expected one of {', '.join(KINDS)}")


def _next_first_day(kind: str, first: date) -> date:
    if kind == "daily":
        return first + timedelta(days=1)
    if kind == "weekly":
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_containing(kind: str, day: date, timezone: str) -> Period:
    zone = ZoneInfo(timezone)
    first = _first_day(kind, day)
    after = _next_first_day(kind, first)
    # Local midnights, so a day across a DST change is 23 or 25 hours long, as it should be.
    return Period(kind=kind, first_day=first, timezone=timezone,
                  start=datetime.combine(first, time.min, zone),
                  end=datetime.combine(after, time.min, zone))


def last_complete_period(kind: str, now: datetime, timezone: str) -> Period:
    local_today = now.astimezone(ZoneInfo(timezone)).date()
    current = period_containing(kind, local_today, timezone)
    return period_containing(kind, current.first_day - timedelta(days=1), timezone)
