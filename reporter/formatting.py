"""How figures read in a report; one place so the email and the PDF say exactly the same thing."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

NO_DATA = "no data"


def percent(value: float | None, digits: int = 3) -> str:
    return NO_DATA if value is None else f"{value * 100:.{digits}f}%"


def milliseconds(seconds: float | None) -> str:
    return NO_DATA if seconds is None else f"{seconds * 1000:.1f} ms"


def duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def local_time(unix: float, timezone: str, with_date: bool = True) -> str:
    moment = datetime.fromtimestamp(unix, ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def count(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:,.0f}"


def amount(value: float | None, currency: str) -> str:
    return NO_DATA if value is None else f"{value:,.2f} {currency}"
