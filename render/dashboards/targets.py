"""The numbers the dashboards colour against: the SLA targets and the spec's alert thresholds.

The SLA targets are those of configs/slo.yml (model/slo.py), nowhere else; every panel takes its
thresholds from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.slo import SloSpec, load_slo_spec


@dataclass(frozen=True)
class ServiceSLA:
    service: str  # the `service` label of the application targets and of the SLO recording rules
    title: str
    job: str  # the Prometheus scrape job of the service
    availability: float  # minimum ratio of good requests over 30 days
    max_error_rate: float  # maximum ratio of 5xx responses
    p95_latency_seconds: float  # P95 response time must stay below this
    latency_objective: float = 0.95  # share of requests that must be faster than p95_latency_seconds


def service_slas(spec: SloSpec) -> tuple[ServiceSLA, ...]:
    """One ServiceSLA per service of the SLO spec, its percentages as ratios."""
    return tuple(
        ServiceSLA(
            service=name,
            title=name.title(),
            job=slo.job,
            availability=slo.objectives()["availability"],
            max_error_rate=round(slo.error_rate / 100, 10),
            p95_latency_seconds=slo.latency.threshold_seconds,
            latency_objective=slo.objectives()["latency"],
        )
        for name, slo in spec.services.items()
    )


def service_sla(spec: SloSpec, service: str) -> ServiceSLA:
    return next(sla for sla in service_slas(spec) if sla.service == service)


# Those of configs/slo.yml, for the tests; the dashboards use the spec they are built with.
SLA_SERVICES = service_slas(load_slo_spec())
PAYMENT, WALLET = (service_sla(load_slo_spec(), name) for name in ("payment", "wallet"))

# Error budget remaining: below this share the budget is "at risk" (amber); below 0 it is spent (red).
ERROR_BUDGET_AT_RISK = 0.25

# Alert thresholds of the spec, shown as the panel thresholds of the panels the alerts watch.
TRANSACTION_FAILURE_RATIO_MAX = 0.05  # Transaction Failure Rate High: > 5% for 2m
REVENUE_VS_7D_AVERAGE_MIN = 0.8  # Revenue Drop: daily revenue 20% below the 7-day average
REGISTRATIONS_PER_HOUR_MIN = 10  # User Registration Anomaly: < 10/hour for 30m
DB_POOL_UTILISATION_MAX = 0.8  # Database Connection Pool: used / max > 80% for 5m
CERTIFICATE_EXPIRY_MIN_DAYS = 14  # CertificateExpiringSoon: a certificate expires in < 14 days

# Not in the spec: working values of the monitoring team, kept here so they are tuned in one place.
FRAUD_MODEL_ACCURACY_MIN = 0.95
FRAUD_FALSE_POSITIVE_RATE_MAX = 0.05
EXPORTER_STALENESS_MAX_SECONDS = 300
RESOURCE_UTILISATION_MAX = 0.85  # node / container CPU, memory, disk
CERTIFICATE_EXPIRY_WARNING_DAYS = 30  # amber below this: renewal (cert-manager: 30 days before) should have happened
