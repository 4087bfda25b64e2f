"""The numbers the dashboards colour against: the spec's SLA targets and alert thresholds, in one place.

Until `configs/slo.yml` lands on main (the alerting issue owns it), these mirror the spec's
"SLA Monitoring" and "Alert Configurations" sections. When it lands, read the SLA part from it here
and nowhere else; every panel takes its thresholds from this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSLA:
    service: str  # the `service` label of the application targets and of the SLO recording rules
    title: str
    job: str  # the Prometheus scrape job of the service
    availability: float  # minimum ratio of good requests over 30 days
    max_error_rate: float  # maximum ratio of 5xx responses
    p95_latency_seconds: float  # P95 response time must stay below this
    latency_objective: float = 0.95  # share of requests that must be faster than p95_latency_seconds


PAYMENT = ServiceSLA("payment", "Payment", "waqiti-payment-service", 0.999, 0.001, 0.5)
WALLET = ServiceSLA("wallet", "Wallet", "waqiti-wallet-service", 0.9995, 0.0005, 0.2)
SLA_SERVICES = (PAYMENT, WALLET)

# Error budget remaining: below this share the budget is "at risk" (amber); below 0 it is spent (red).
ERROR_BUDGET_AT_RISK = 0.25

# Alert thresholds of the spec, shown as the panel thresholds of the panels the alerts watch.
TRANSACTION_FAILURE_RATIO_MAX = 0.05  # Transaction Failure Rate High: > 5% for 2m
REVENUE_VS_7D_AVERAGE_MIN = 0.8  # Revenue Drop: daily revenue 20% below the 7-day average
REGISTRATIONS_PER_HOUR_MIN = 10  # User Registration Anomaly: < 10/hour for 30m
DB_POOL_UTILISATION_MAX = 0.8  # Database Connection Pool: used / max > 80% for 5m

# Not in the spec: working values of the monitoring team, kept here so they are tuned in one place.
FRAUD_MODEL_ACCURACY_MIN = 0.95
FRAUD_FALSE_POSITIVE_RATE_MAX = 0.05
EXPORTER_STALENESS_MAX_SECONDS = 300
RESOURCE_UTILISATION_MAX = 0.85  # node / container CPU, memory, disk
