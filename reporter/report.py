"""One report: every figure of a daily, weekly or monthly SLA report, gathered from Prometheus."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from reporter.alerts import FiredAlert, fired_alerts
from reporter.business import BusinessSummary, collect_business
from reporter.compliance import Compliance, collect_compliance
from reporter.noise import NoiseReview, review
from reporter.period import Period
from reporter.promapi import PrometheusAPI
from reporter.sla import ServiceSla, collect_service_sla
from reporter.targets import Targets
from reporter.trend import error_rate_trend
from reporter.violations import Violation, find_violations


@dataclass
class Report:
    period: Period
    generated_at: datetime
    services: list[ServiceSla]
    error_trend: dict[str, list[tuple[float, float]]]
    violations: list[Violation]
    alerts: list[FiredAlert]
    business: BusinessSummary
    noise: NoiseReview | None = None          # weekly and monthly
    compliance: Compliance | None = None      # monthly

    @property
    def kind(self) -> str:
        return self.period.kind

    @property
    def title(self) -> str:
        names = {"daily": "Daily SLA report", "weekly": "Weekly business review",
                 "monthly": "Monthly compliance report"}
        return f"Waqiti {names[self.kind]}: {self.period.label}"


def build_report(api: PrometheusAPI, period: Period, targets: Targets, now: datetime | None = None) -> Report:
    services = collect_service_sla(api, period, targets)
    alerts = fired_alerts(api, period)
    report = Report(
        period=period,
        generated_at=now or datetime.now(timezone.utc),
        services=services,
        error_trend={s.service: error_rate_trend(s, period) for s in services if s.request_windows},
        violations=find_violations(services, alerts),
        alerts=alerts,
        business=collect_business(api, period))
    if period.kind in ("weekly", "monthly"):
        report.noise = review(alerts, targets.paging)
    if period.kind == "monthly":
        report.compliance = collect_compliance(api, period, alerts)
    return report
