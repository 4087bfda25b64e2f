"""The figures of reports built from a real Prometheus holding the synthetic day are exactly what the
data implies (see synthetic_day.py), computed independently here or by Prometheus itself."""
from __future__ import annotations

from datetime import date

import pytest

from reporter.period import period_containing
from reporter.promapi import PrometheusAPI
from reporter.quantile import histogram_quantile
from reporter.queries import closed_range
from reporter.report import build_report
from reporter.targets import load_targets
from reporter.tests import synthetic_day as day
from reporter.violations import DOWN, ERROR_RATE, LATENCY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(synthetic_prometheus) -> PrometheusAPI:
    return PrometheusAPI(synthetic_prometheus.url)


@pytest.fixture(scope="module")
def targets(targets_file):
    return load_targets(targets_file)


@pytest.fixture(scope="module")
def daily(api, targets):
    return build_report(api, period_containing("daily", day.DAY, day.TIMEZONE), targets)


def services(report):
    return {s.service: s for s in report.services}


def test_daily_period_is_the_local_day(daily):
    assert daily.period.start.timestamp() == day.START
    assert daily.period.end.timestamp() == day.START + 86400


@pytest.mark.parametrize("service", ["payment", "wallet", "user"])
def test_requests_errors_and_availability(daily, service):
    total, errors = day.expected_requests(service)
    figures = services(daily)[service]
    assert figures.requests == total
    assert figures.errors == errors
    assert figures.success_ratio == pytest.approx(1 - errors / total, abs=1e-12)
    assert figures.uptime == pytest.approx(day.expected_uptime(service), abs=1e-12)
    assert figures.availability == pytest.approx(min(1 - errors / total, day.expected_uptime(service)), abs=1e-12)


def test_sla_status_and_error_budget(daily):
    payment, wallet = services(daily)["payment"], services(daily)["wallet"]
    # payment: 600 bad of 1,440,000 against a 0.1% budget
    assert payment.status == "met"
    assert payment.budget_consumed == pytest.approx((600 / 1_440_000) / 0.001, rel=1e-9)
    # wallet: down 9 of 1440 minutes against a 0.05% budget -> missed, budget overspent 12.5 times
    assert wallet.status == "missed"
    assert wallet.availability == pytest.approx(1431 / 1440, abs=1e-12)
    assert wallet.budget_remaining == pytest.approx(1 - (9 / 1440) / 0.0005, rel=1e-9)
    assert [passed for _, passed in wallet.checks()] == [False, True, True]


def test_service_without_samples_is_no_data_not_100_percent(daily):
    fraud = services(daily)["fraud"]
    assert fraud.status == "no data"
    assert fraud.availability is None and fraud.uptime is None and fraud.p95 is None
    assert fraud.budget_consumed is None


def test_percentiles_match_hand_computation_and_prometheus(daily, api):
    # payment's latency mix is the same all day: P50/P95/P99 fall exactly on bucket bounds
    payment = services(daily)["payment"]
    assert (payment.p50, payment.p95, payment.p99) == pytest.approx((0.05, 0.2, 0.5), abs=1e-9)
    # wallet had 20 slow minutes: interpolate by hand in the bucket holding rank 0.95 * N
    buckets = day.expected_day_buckets("wallet")
    rank = 0.95 * buckets[float("inf")]
    assert buckets[0.1] < rank <= buckets[0.2]
    by_hand = 0.1 + 0.1 * (rank - buckets[0.1]) / (buckets[0.2] - buckets[0.1])
    assert services(daily)["wallet"].p95 == pytest.approx(by_hand, rel=1e-12)
    assert histogram_quantile(0.95, buckets) == pytest.approx(by_hand, rel=1e-12)
    # and Prometheus's own histogram_quantile over the whole day agrees for every service
    for service in ("payment", "wallet", "user"):
        for q, mine in ((0.5, services(daily)[service].p50), (0.95, services(daily)[service].p95),
                        (0.99, services(daily)[service].p99)):
            [theirs] = api.query(f'histogram_quantile({q}, sum by (le) (increase(http_server_requests_seconds_bucket'
                                 f'{{service="{service}"}}{closed_range(86400)})))', day.START + 86400)
            assert mine == pytest.approx(theirs.points[0][1], rel=1e-9), (service, q)


def test_violations_have_start_duration_and_the_alert_that_fired(daily):
    found = [(v.service, v.kind, v.start, v.duration_seconds, v.alerts) for v in daily.violations]
    assert found == [
        ("payment", ERROR_RATE, day.at(10, 0), 30 * 60, ("PaymentHighErrorRate",)),
        ("wallet", LATENCY, day.at(14, 0), 20 * 60, ("WalletHighLatency",)),
        ("wallet", DOWN, day.at(16, 1), 9 * 60, ("WalletServiceDown",)),
    ]
    error_violation = daily.violations[0]
    assert error_violation.worst == pytest.approx(20 / 1000)


def test_alerts_rebuilt_from_alerts_series(daily):
    fired = {(a.alertname, a.active_at, a.firing_start, a.end) for a in daily.alerts}
    assert ("PaymentHighErrorRate", day.at(10, 2), day.at(10, 5), day.at(10, 34)) in fired
    assert ("WalletServiceDown", day.at(16, 1), day.at(16, 2), day.at(16, 10)) in fired
    assert sum(a.alertname == "UserServiceHighLatency" for a in daily.alerts) == 3
    assert len(daily.alerts) == len(day.ALERTS)


def test_business_summary_per_currency(daily):
    b = daily.business
    # Counts carry Prometheus's extrapolation over the 1 ms that closes each window (queries.closed_range).
    assert b.transactions["USD"] == pytest.approx(
        {"completed": day.expected_business_total("payment_transactions_total", currency="USD", status="completed"),
         "failed": day.expected_business_total("payment_transactions_total", currency="USD", status="failed")}, rel=1e-6)
    assert b.transactions["AED"]["refunded"] == pytest.approx(60, rel=1e-6)
    assert b.transaction_amount == pytest.approx({"USD": 1234.5 * 1440, "AED": 4321.25 * 1440})
    # sources, never currencies; net of the reversals (direction="debit")
    assert b.revenue == pytest.approx({"USD": (12.5 + 2) * 1440 - 30, "AED": 40 * 1440})
    assert b.fees == pytest.approx({"USD": 12.5 * 1440, "AED": 40 * 1440 - 60})
    assert b.registrations == pytest.approx({"individual": 1440, "business": 144}, rel=1e-6)
    assert b.fraud_alerts == pytest.approx({"high": 48, "low": 2880}, rel=1e-6)


def test_weekly_noise_review(api, targets):
    weekly = build_report(api, period_containing("weekly", day.DAY, day.TIMEZONE), targets)
    assert weekly.period.first_day == date(2026, 11, 16)         # the Monday
    noise = weekly.noise
    assert noise.most_frequent[0].alertname == "UserServiceHighLatency" and noise.most_frequent[0].firings == 3
    assert noise.most_frequent[0].median_resolve_seconds == 5 * 60
    assert [f.alertname for f in noise.flapping] == ["UserServiceHighLatency"]
    assert noise.flapping[0].shortest_gap_seconds == 15 * 60
    reasons = sorted((b.alert.alertname, b.reason) for b in noise.pages_outside_policy)
    assert reasons == [("FraudModelAccuracyLow", "fired 45 min, beyond the 30-min escalation policy"),
                       ("FraudModelAccuracyLow", "team 'fraud-analytics' is not on the paging rota")]
    # 28 hours of data (the day and its margins) in a 168-hour week: the report says how little it saw
    assert services(weekly)["payment"].request_coverage == pytest.approx(
        (day.MINUTES + 2 * day.MARGIN) / (7 * day.MINUTES), abs=1e-9)


def test_monthly_compliance(api, targets):
    monthly = build_report(api, period_containing("monthly", day.DAY, day.TIMEZONE), targets)
    c = monthly.compliance
    assert c.alert_counts == {("critical", "fraud-analytics"): 1, ("critical", "payments"): 1, ("critical", "wallet"): 1,
                              ("warning", "users"): 3, ("warning", "wallet"): 1}
    assert [(ch.component, ch.at) for ch in c.config_changes] == [("Prometheus", day.at(12)),
                                                                  ("Alertmanager", day.at(13, 30))]


def test_period_without_samples_says_no_data(api, targets):
    empty = build_report(api, period_containing("daily", date(2026, 11, 10), day.TIMEZONE), targets)
    assert {s.status for s in empty.services} == {"no data"}
    assert empty.violations == [] and empty.alerts == []
    assert empty.business.transactions is None and empty.business.revenue is None
