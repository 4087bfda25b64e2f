"""Business summaries for the period, per currency (amounts are never added across currencies)."""
from __future__ import annotations

from dataclasses import dataclass

from reporter.period import Period
from reporter.promapi import PrometheusAPI
from reporter.queries import increase_windows, totals_by

# Business series count only from the exporter's own scrape job: any pod may expose a series named
# revenue_total. The same name as render/business_metrics.JOB (this image carries reporter/ only).
EXPORTER_JOB = "waqiti-business-metrics-exporter"


def business(metric: str, *matchers: str) -> str:
    """`metric{job="<the exporter's job>", <matchers>}`."""
    return metric + "{" + ", ".join((f'job="{EXPORTER_JOB}"',) + matchers) + "}"


@dataclass(frozen=True)
class BusinessSummary:
    # None means the metric had no samples in the period ("no data"), unlike an empty-but-present 0.
    transactions: dict[str, dict[str, float]] | None   # currency -> status -> count
    transaction_amount: dict[str, float] | None        # currency -> amount processed
    revenue: dict[str, float] | None                   # currency -> net revenue (after reversals)
    fees: dict[str, float] | None                      # currency -> net fees collected
    registrations: dict[str, float] | None             # user_type -> registrations
    fraud_alerts: dict[str, float] | None              # risk_level -> alerts

    @property
    def currencies(self) -> list[str]:
        found = set()
        for table in (self.transactions, self.transaction_amount, self.revenue, self.fees):
            found |= set(table or {})
        return sorted(found)


def _single(api: PrometheusAPI, period: Period, selector: str, label: str) -> dict[str, float] | None:
    totals = totals_by(increase_windows(api, selector, (label,), period), label)
    return {key[0]: value for key, value in sorted(totals.items())} if totals else None


def _net(api: PrometheusAPI, period: Period, metric: str, label: str) -> dict[str, float] | None:
    """Money counters come in two monotonic halves (docs/metrics-contract.md): direction="credit"
    for what was booked, "debit" for reversals; the report shows credit - debit."""
    credit = _single(api, period, business(metric, 'direction="credit"'), label)
    debit = _single(api, period, business(metric, 'direction="debit"'), label)
    if credit is None and debit is None:
        return None
    credit, debit = credit or {}, debit or {}
    return {key: credit.get(key, 0.0) - debit.get(key, 0.0) for key in sorted(set(credit) | set(debit))}


def collect_business(api: PrometheusAPI, period: Period) -> BusinessSummary:
    by_status = totals_by(increase_windows(api, business("payment_transactions_total"), ("currency", "status"), period),
                          "currency", "status")
    transactions: dict[str, dict[str, float]] = {}
    for (currency, status), value in sorted(by_status.items()):
        transactions.setdefault(currency, {})[status] = value
    return BusinessSummary(
        transactions=transactions or None,
        transaction_amount=_single(api, period, business("payment_transaction_amount_sum"), "currency"),
        revenue=_net(api, period, "revenue_total", "currency"),
        fees=_net(api, period, "fee_collection_total", "currency"),
        registrations=_single(api, period, business("user_registrations_total"), "user_type"),
        fraud_alerts=_single(api, period, business("fraud_alerts_total"), "risk_level"))
