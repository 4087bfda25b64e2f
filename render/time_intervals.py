"""Alertmanager `time_intervals` from the stack's settings, and the routes that refer to them.

configs/alertmanager/routing.yml says which routes obey which named interval: the warning routes of
teams told only in business hours carry `active_time_intervals: [business-hours]`, and every
non-critical route carries `mute_time_intervals: [maintenance]`. The settings define the times
(alertingBusinessHours, alertingMaintenanceWindows, in alertingTimezone). A stack that defines no
business hours or no maintenance window gets its routes without that reference: warnings at any
hour, nothing muted. Critical routes never refer to either.

Outside an active interval Alertmanager does not drop a warning: the group is held, and notified
at its first flush inside the interval if the alert still fires.
"""

from __future__ import annotations

import copy

BUSINESS_HOURS = "business-hours"
MAINTENANCE = "maintenance"
_KEYS = ("active_time_intervals", "mute_time_intervals")


def time_intervals(business_hours: list[dict], maintenance_windows: list[dict], location: str) -> list[dict]:
    """The `time_intervals` section: each named interval the settings define, in their timezone."""
    named = ((BUSINESS_HOURS, business_hours), (MAINTENANCE, maintenance_windows))
    return [
        {"name": name, "time_intervals": [{**spec, "location": location} for spec in specs]}
        for name, specs in named
        if specs
    ]


def refer_to_defined(route: dict, defined: set[str], path: str = "route") -> dict:
    """The route tree with references to intervals this stack does not define left out."""
    route = copy.deepcopy(route)
    for key in _KEYS:
        names = route.pop(key, None)
        if names is None:
            continue
        unknown = set(names) - {BUSINESS_HOURS, MAINTENANCE}
        if unknown:
            raise ValueError(f"routing.yml: {path}.{key} names {sorted(unknown)}; known: {[BUSINESS_HOURS, MAINTENANCE]}")
        kept = [name for name in names if name in defined]
        if kept:
            route[key] = kept
    if route.get("routes"):
        route["routes"] = [refer_to_defined(child, defined, f"{path}.routes[{i}]") for i, child in enumerate(route["routes"])]
    return route
