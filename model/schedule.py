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
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name.strip()):
        raise ValueError("unknown timezone: expected an IANA name such as 'UTC' or 'Asia/Dubai'")
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown timezone: expected an IANA name such as 'UTC' or 'Asia/Dubai'") from None
    return name.strip()


# Kubernetes parses CronJob schedules with robfig/cron's standard parser: five fields (its @daily-style
# descriptors are refused here too, as they always were).
# croniter (what the reporter computes periods with) accepts more (L, W, #, a sixth field, 7 for Sunday),
# which a CronJob would then fail to create, after the rest of the stack is deployed.
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAYS = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("day of week", 0, 6, _DAYS))
_ITEM = re.compile(r"(?P<range>\*|\?|[0-9a-z]+(-[0-9a-z]+)?)(/(?P<step>[0-9]+))?")


def _cron_field_ok(text: str, low: int, high: int, names: dict[str, int], wildcard_question: bool) -> bool:
    for item in text.lower().split(","):
        found = _ITEM.fullmatch(item)
        if not found or (found["range"] == "?" and not wildcard_question):
            return False
        if found["step"] is not None and not 1 <= int(found["step"]) <= high - low + 1:
            return False
        if found["range"] in ("*", "?"):
            continue
        bounds = []
        for part in found["range"].split("-"):
            value = names.get(part, int(part) if part.isdigit() else None)
            if value is None or not low <= value <= high:
                return False
            bounds.append(value)
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            return False
    return True


def validate_cron(expression: str) -> str:
    """A schedule as a Kubernetes CronJob accepts it (5 fields), and croniter agrees; the message never
    repeats the value."""
    expected = ("expected a 5-field cron schedule 'minute hour day-of-month month day-of-week' such as '0 8 * * *' "
                "(Kubernetes rules: numbers, names, '*', ',', '-', '/'; no L, W, # or seconds field)")
    if not isinstance(expression, str) or not expression.isascii() or any(c in expression for c in "\t\n\r\x0b\x0c"):
        raise ValueError(expected)
    fields = expression.split()
    if len(fields) != 5 or not all(_cron_field_ok(text, low, high, names, index in (2, 4))
                                   for index, (text, (_, low, high, names)) in enumerate(zip(fields, _FIELDS))):
        raise ValueError(expected)
    if not croniter.is_valid(expression):
        raise ValueError(expected)
    return " ".join(fields)


def validate_email(address: str) -> str:
    """One plain email address such as 'sre@example.com' (no display name)."""
    candidate = address.strip(" ") if isinstance(address, str) else address
    if not isinstance(candidate, str) or not _EMAIL.fullmatch(candidate):
        raise ValueError("invalid email address: expected something like 'sre@example.com'")
    return candidate


def validate_recipients(recipients: str | list[str]) -> list[str]:
    """A non-empty list of email addresses (a comma-separated string is accepted too)."""
    items = recipients.split(",") if isinstance(recipients, str) else list(recipients or [])
    items = [item for item in (i.strip(" ") for i in items) if item]
    if not items:
        raise ValueError("recipients must list at least one email address, got none")
    return [validate_email(item) for item in items]
