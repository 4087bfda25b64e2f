"""Pure validators of schedules, timezones and mail recipients: the settings model and the reporter both use them.

Each function returns the normalised value or raises ValueError with a message that names what was
expected, so that `pulumi preview` fails early and clearly (pydantic turns ValueError into a
validation error on the offending key).
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

# Kubernetes CronJob schedules (interpreted in the CronJob's `timeZone`): the spec's 8 AM daily
# report, the Monday business review and the monthly compliance report on the 1st.
DEFAULT_SCHEDULES = {
    "daily": "0 8 * * *",
    "weekly": "0 8 * * 1",
    "monthly": "0 8 1 * *",
}

# Syntactic check only (no DNS): one local part, one domain with at least one dot, no spaces.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def validate_timezone(name: str) -> str:
    """An IANA timezone name such as 'Europe/London' or 'UTC'."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("timezone must be an IANA name such as 'UTC' or 'Asia/Dubai', got an empty value")
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}: expected an IANA name such as 'UTC' or 'Asia/Dubai'") from None
    return name.strip()


def validate_cron(expression: str) -> str:
    """A standard 5-field cron expression, as a Kubernetes CronJob accepts it."""
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise ValueError(f"invalid cron schedule {expression!r}: expected 5 fields "
                         "'minute hour day-of-month month day-of-week', e.g. '0 8 * * *'")
    expression = " ".join(expression.split())
    if not croniter.is_valid(expression):
        raise ValueError(f"invalid cron schedule {expression!r}: a field is out of range or malformed "
                         "(e.g. '0 8 * * *' is 08:00 every day)")
    return expression


def validate_email(address: str) -> str:
    """One plain email address such as 'sre@example.com' (no display name)."""
    candidate = address.strip() if isinstance(address, str) else address
    if not isinstance(candidate, str) or not _EMAIL.match(candidate):
        raise ValueError(f"invalid email address {address!r}: expected something like 'sre@example.com'")
    return candidate


def validate_recipients(recipients: str | list[str]) -> list[str]:
    """A non-empty list of email addresses (a comma-separated string is accepted too)."""
    items = recipients.split(",") if isinstance(recipients, str) else list(recipients or [])
    items = [item for item in (i.strip() for i in items) if item]
    if not items:
        raise ValueError("recipients must list at least one email address, got none")
    return [validate_email(item) for item in items]
