"""A synthetic Waqiti fleet for the rule-evaluation benchmark: 50 services x 20 pods of Micrometer
latency histograms plus the business exporter's metrics, served for Prometheus to scrape, and the
history that the rules' long windows read, as OpenMetrics for promtool's backfill.

Every counter is rate x (t - EPOCH), so backfilled history and live scrapes join without a reset.
Label sets follow docs/metrics-contract.md; the four real services keep their names (the SLO rules
select job="waqiti-payment-service" and "waqiti-wallet-service"), the other 46 are svc05..svc50.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from local.services import LATENCY_BUCKETS, PROFILES
from testsupport.exposition import ExpositionServer

SERVICES = [*PROFILES, *(f"svc{i:02d}" for i in range(len(PROFILES) + 1, 51))]
PODS = 20
# status, outcome, share of requests
STATUSES = (("200", "SUCCESS", 0.9797), ("400", "CLIENT_ERROR", 0.01), ("404", "CLIENT_ERROR", 0.01),
            ("500", "SERVER_ERROR", 0.0003))
HISTORY_START = time.time() - 40 * 86400  # counters count from here
CURRENCIES = ("USD", "EUR", "GBP", "NGN", "KES", "GHS", "ZAR", "JPY")


@dataclass(frozen=True)
class Series:
    name: str
    labels: str   # rendered {…} without braces
    rate: float   # per second (counters); gauges: the value
    counter: bool = True

    def value(self, t: float) -> float:
        return self.rate * (t - HISTORY_START) if self.counter else self.rate

    def line(self, t: float) -> str:
        return f"{self.name}{{{self.labels}}} {self.value(t):.6g}"


def _lognormal_cdf(x: float, median: float, sigma: float = 0.5) -> float:
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


def service_series(service: str) -> list[Series]:
    rps, median, endpoints = PROFILES.get(service, (10.0, 0.06, [("GET", "/api/v1/items/{id}"), ("POST", "/api/v1/items"),
                                                               ("GET", "/api/v1/items")]))
    out = []
    for pod in range(PODS):
        base = (f'job="waqiti-{service}-service",service="{service}",namespace="waqiti",'
                f'pod="{service}-service-{pod}",instance="10.0.{pod}.{len(service)}:8080"')
        for method, uri in endpoints:
            for status, outcome, share in STATUSES:
                labels = f'{base},method="{method}",uri="{uri}",status="{status}",outcome="{outcome}"'
                rate = rps / len(endpoints) * share
                for le in LATENCY_BUCKETS:
                    out.append(Series("http_server_requests_seconds_bucket", f'{labels},le="{le}"',
                                      rate * _lognormal_cdf(le, median)))
                out.append(Series("http_server_requests_seconds_bucket", f'{labels},le="+Inf"', rate))
                out.append(Series("http_server_requests_seconds_count", labels, rate))
                out.append(Series("http_server_requests_seconds_sum", labels, rate * median * 1.13))
        out.append(Series("db_connections_used", f'{base},pool="primary"', 12, counter=False))
        out.append(Series("db_connections_max", f'{base},pool="primary"', 50, counter=False))
    return out


def business_series() -> list[Series]:
    job = 'job="waqiti-business-metrics-exporter",namespace="monitoring",pod="business-metrics-exporter-0"'
    out = []
    for currency in CURRENCIES:
        for status, share in (("completed", 0.95), ("failed", 0.01), ("pending", 0.03), ("refunded", 0.01)):
            for method in ("card", "bank_transfer", "wallet", "mobile_money"):
                out.append(Series("payment_transactions_total",
                                  f'{job},status="{status}",currency="{currency}",payment_method="{method}"', 0.5 * share))
        for le in (1, 10, 100, 1000, 10000, "+Inf"):
            out.append(Series("payment_transaction_amount_bucket", f'{job},currency="{currency}",le="{le}"', 2.0))
        for source in ("transaction_fees", "subscriptions", "fx_spread", "interchange"):
            out.append(Series("revenue_total", f'{job},source="{source}",currency="{currency}"', 3.0))
        for fee in ("processing", "fx_conversion", "withdrawal", "instant_transfer"):
            out.append(Series("fee_collection_total", f'{job},fee_type="{fee}",currency="{currency}"', 1.0))
        for user_type in ("personal", "business", "merchant"):
            out.append(Series("wallet_balance_total", f'{job},currency="{currency}",user_type="{user_type}"', 1e6, counter=False))
    for le in (*LATENCY_BUCKETS, "+Inf"):
        out.append(Series("payment_processing_time_seconds_bucket", f'{job},le="{le}"', 2.0))
    for source in ("organic", "referral", "paid_ads", "partner"):
        for user_type in ("personal", "business", "merchant"):
            out.append(Series("user_registrations_total", f'{job},source="{source}",user_type="{user_type}"', 0.05))
    for risk in ("low", "medium", "high", "critical"):
        out.append(Series("fraud_alerts_total", f'{job},risk_level="{risk}",model_version="v3"', 0.01))
    for operation in ("deposit", "withdrawal", "transfer_in", "transfer_out", "payment", "refund", "fee"):
        out.append(Series("wallet_operations_total", f'{job},operation_type="{operation}"', 1.0))
    gauges = [("wallet_balance_reconciliation_failures", "", 0), ("business_exporter_database_up", "", 1),
              ("fraud_detection_accuracy", 'model_version="v3"', 0.97), ("false_positive_rate", 'detection_type="card"', 0.02),
              *[("user_active_total", f'timeframe="{t}"', 1000) for t in ("day", "week", "month")],
              *[("user_verification_status", f'kyc_status="{k}"', 100) for k in ("pending", "verified", "rejected")]]
    out += [Series(name, f"{job},{labels}".rstrip(","), value, counter=False) for name, labels, value in gauges]
    return out


def fleet() -> dict[str, list[Series]]:
    """Series per metrics path: one target per service (its 20 pods) and one for the business metrics."""
    return {**{f"/metrics/{s}": service_series(s) for s in SERVICES}, "/metrics/business": business_series()}


class FleetServer(ExpositionServer):
    """Serves fleet() on 127.0.0.1, on the port `.port` the OS gave it, one path per target
    (Prometheus sets __metrics_path__)."""

    def __init__(self):
        targets = fleet()
        self.paths = list(targets)
        self.series = sum(len(s) for s in targets.values())
        super().__init__(lambda path: _exposition(targets[path], time.time()) if path in targets else None)


def _exposition(series: list[Series], now: float) -> str:
    return "\n".join(s.line(now) for s in series) + "\n"


def history_openmetrics(end: float, slo_rates: dict[tuple[str, str], tuple[float, float]]) -> str:
    """History up to `end` for what the long windows read, at the 15s production resolution:
    6h of the payment and wallet SLI series (request counts, their SLO bucket); 30 days of the
    slo:sli_*requests:rate5m recordings (slo-long-windows); a day of revenue and 8 days of its
    1-day recording (business-revenue, every minute). slo_rates: (service, slo) -> (requests/s, bad requests/s)."""
    families: dict[str, list[tuple]] = {}  # name -> (labels, rate, counter, seconds of history, step)
    for service, threshold in (("payment", "0.5"), ("wallet", "0.2")):
        for s in service_series(service):
            if s.name.endswith("_count") or (s.name.endswith("_bucket") and f'le="{threshold}"' in s.labels):
                families.setdefault(s.name, []).append((s.labels, s.rate, True, 6 * 3600, 15))
    for (service, slo), (requests_rate, bad_rate) in slo_rates.items():
        labels = f'service="{service}",slo="{slo}"'
        families.setdefault("slo:sli_requests:rate5m", []).append((labels, requests_rate, False, 30 * 86400, 15))
        families.setdefault("slo:sli_bad_requests:rate5m", []).append((labels, bad_rate, False, 30 * 86400, 15))
    for s in business_series():
        if s.name == "revenue_total":
            families.setdefault(s.name, []).append((s.labels, s.rate, True, 86400, 15))
    for currency in CURRENCIES:  # recorded every minute (the group's interval)
        families.setdefault("currency:revenue:increase1d", []).append((f'currency="{currency}"', 4 * 3.0 * 86400, False, 8 * 86400, 60))
    # no TYPE lines: Prometheus's OpenMetrics parser takes untyped samples, whatever their suffix
    lines = []
    for name, series in families.items():
        for labels, rate, counter, seconds, step in series:
            # whole steps back from `end`, oldest first (promtool wants each series in time order)
            t = end - (seconds // step) * step
            while t <= end:
                value = rate * (t - HISTORY_START) if counter else rate
                lines.append(f"{name}{{{labels}}} {value:.6g} {t:.0f}")
                t += step
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
