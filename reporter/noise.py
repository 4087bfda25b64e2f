"""The weekly alert-noise review: what fired most, what flapped, how long alerts took to resolve,
and which pages fell outside the escalation policy, so thresholds can be tuned."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from reporter.alerts import FiredAlert
from reporter.targets import PagingPolicy

TOP_ALERTS = 10
FLAPPING_MIN_FIRINGS = 3
FLAPPING_MAX_GAP_SECONDS = 3600   # re-fired within an hour of resolving


@dataclass(frozen=True)
class AlertFrequency:
    alertname: str
    severity: str
    firings: int
    total_firing_seconds: float
    median_resolve_seconds: float
    max_resolve_seconds: float


@dataclass(frozen=True)
class FlappingAlert:
    alertname: str
    labels: tuple[tuple[str, str], ...]
    firings: int
    shortest_gap_seconds: float


@dataclass(frozen=True)
class PolicyBreach:
    alert: FiredAlert
    reason: str


@dataclass(frozen=True)
class NoiseReview:
    most_frequent: list[AlertFrequency]
    flapping: list[FlappingAlert]
    pages_outside_policy: list[PolicyBreach]


def most_frequent(alerts: list[FiredAlert], limit: int = TOP_ALERTS) -> list[AlertFrequency]:
    groups: dict[str, list[FiredAlert]] = {}
    for alert in alerts:
        groups.setdefault(alert.alertname, []).append(alert)
    rows = []
    for name, group in groups.items():
        durations = [a.firing_seconds for a in group]
        rows.append(AlertFrequency(name, group[0].severity, len(group), sum(durations),
                                   statistics.median(durations), max(durations)))
    return sorted(rows, key=lambda r: (-r.firings, -r.total_firing_seconds, r.alertname))[:limit]


def flapping(alerts: list[FiredAlert]) -> list[FlappingAlert]:
    instances: dict[tuple, list[FiredAlert]] = {}
    for alert in alerts:
        instances.setdefault(alert.labels, []).append(alert)
    rows = []
    for labels, group in instances.items():
        group.sort(key=lambda a: a.firing_start)
        gaps = [b.firing_start - a.end for a, b in zip(group, group[1:])]
        if len(group) >= FLAPPING_MIN_FIRINGS and min(gaps) <= FLAPPING_MAX_GAP_SECONDS:
            rows.append(FlappingAlert(group[0].alertname, labels, len(group), min(gaps)))
    return sorted(rows, key=lambda r: (-r.firings, r.alertname))


def pages_outside_policy(alerts: list[FiredAlert], policy: PagingPolicy) -> list[PolicyBreach]:
    breaches = []
    for alert in alerts:
        if alert.severity not in policy.severities:
            continue
        if not alert.team:
            breaches.append(PolicyBreach(alert, "page without a team label: nobody on the rota owns it"))
        elif alert.team not in policy.teams:
            breaches.append(PolicyBreach(alert, f"team '{alert.team}' is not on the paging rota"))
        if alert.firing_seconds > policy.escalation_minutes * 60:
            state = "still firing" if alert.ongoing else "fired"
            breaches.append(PolicyBreach(alert, f"{state} {alert.firing_seconds / 60:.0f} min, beyond the "
                                                f"{policy.escalation_minutes:g}-min escalation policy"))
    return breaches


def review(alerts: list[FiredAlert], policy: PagingPolicy) -> NoiseReview:
    return NoiseReview(most_frequent(alerts), flapping(alerts), pages_outside_policy(alerts, policy))
