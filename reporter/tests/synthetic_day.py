"""One day of known synthetic history for the reporter's tests, written as OpenMetrics for promtool.

The day is 2026-11-20 in Asia/Dubai (UTC+4). Samples every minute from two hours before the day to
two hours after it, as a real Prometheus would have stored them (counters, `up`, ALERTS). The
figures a correct report must show are computed here from the same per-minute model, by plain
arithmetic, independently of PromQL and of the reporter's code.

What happens that day (local time):
- payment: 1000 req/min; 10:00–10:30 20 of them answer 500 (2%) -> error-rate violation,
  alert PaymentHighErrorRate (active 10:02, firing 10:05–10:34).
- wallet: 2000 req/min, never 5xx; 14:00–14:20 slow (P95 0.5 s) -> latency violation, alert
  WalletHighLatency; 16:01–16:09 down (up=0, no counter samples, restarts from 0 at 16:10) ->
  down violation, alert WalletServiceDown. Its uptime 1431/1440 misses the 99.95% target.
- user: 300 fast req/min, no target. fraud: has a target but no data at all.
- UserServiceHighLatency flaps three times 03:00–03:45; FraudModelAccuracyLow (critical, team
  not on the paging rota) fires 20:00–20:45.
- Business counters grow at fixed rates per currency; Prometheus reloads its configuration at
  12:00 and Alertmanager at 13:30.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Dubai"
DAY = date(2026, 11, 20)
START = datetime(2026, 11, 20, tzinfo=ZoneInfo(TIMEZONE)).timestamp()
MINUTES = 1440
MARGIN = 120
LE = (0.05, 0.1, 0.2, 0.5, 1.0, float("inf"))
OLD_RELOAD = datetime(2026, 10, 1, tzinfo=ZoneInfo("UTC")).timestamp()

TARGETS_YAML = """\
services:
  payment: {availability: 0.999, error_rate: 0.001, latency_p95_seconds: 0.5}
  wallet: {availability: 0.9995, error_rate: 0.0005, latency_p95_seconds: 0.2}
  fraud: {availability: 0.999, error_rate: 0.001, latency_p95_seconds: 1.0}
paging:
  severities: [critical]
  teams: [payments, wallet, platform]
  escalation_minutes: 30
"""


def at(hour: int, minute: int = 0) -> float:
    """Unix time of a local time of day."""
    return START + (hour * 60 + minute) * 60


def in_minutes(t: float, start: tuple[int, int], end: tuple[int, int]) -> bool:
    return at(*start) <= t < at(*end)


# --- the model: requests served in the minute [t, t+60) ----------------------------------------------
PAYMENT = {0.05: 500, 0.1: 300, 0.2: 150, 0.5: 40, 1.0: 10}
WALLET = {0.05: 1200, 0.1: 600, 0.2: 160, 0.5: 40}
WALLET_SLOW = {0.05: 200, 0.1: 400, 0.2: 400, 0.5: 900, 1.0: 100}
USER = {0.05: 300}


def wallet_down(t: float) -> bool:
    """No process between 16:01 and 16:09; it restarts (counters from 0) at 16:10."""
    return in_minutes(t, (16, 1), (16, 10))


def served(service: str, t: float) -> dict[str, dict[float, int]]:
    """status -> {bucket upper bound: requests} served in the minute starting at t."""
    if service == "payment":
        if in_minutes(t, (10, 0), (10, 30)):
            return {"200": {**PAYMENT, 0.05: 480}, "500": {0.05: 20}}
        return {"200": dict(PAYMENT)}
    if service == "wallet":
        if in_minutes(t, (16, 0), (16, 10)):
            return {"200": {}}
        return {"200": dict(WALLET_SLOW if in_minutes(t, (14, 0), (14, 20)) else WALLET)}
    return {"200": dict(USER)}


BUSINESS_RATES = {   # counter -> per-minute increase function of t
    ('payment_transactions_total', (("status", "completed"), ("currency", "USD"), ("payment_method", "card"))): lambda t: 10,
    ('payment_transactions_total', (("status", "failed"), ("currency", "USD"), ("payment_method", "card"))): lambda t: 1,
    ('payment_transactions_total', (("status", "completed"), ("currency", "AED"), ("payment_method", "wallet"))): lambda t: 20,
    ('payment_transactions_total', (("status", "refunded"), ("currency", "AED"), ("payment_method", "wallet"))):
        lambda t: 1 if in_minutes(t, (12, 0), (13, 0)) else 0,
    ('payment_transaction_amount_sum', (("currency", "USD"),)): lambda t: 1234.5,
    ('payment_transaction_amount_sum', (("currency", "AED"),)): lambda t: 4321.25,
    ('revenue_total', (("source", "fees"), ("currency", "USD"), ("direction", "credit"))): lambda t: 12.5,
    ('revenue_total', (("source", "subscriptions"), ("currency", "USD"), ("direction", "credit"))): lambda t: 2,
    ('revenue_total', (("source", "fees"), ("currency", "AED"), ("direction", "credit"))): lambda t: 40,
    # reversals: 0.5 USD of subscriptions refunded per minute from 12:00 to 13:00 (30 in all)
    ('revenue_total', (("source", "subscriptions"), ("currency", "USD"), ("direction", "debit"))):
        lambda t: 0.5 if in_minutes(t, (12, 0), (13, 0)) else 0,
    ('fee_collection_total', (("fee_type", "transfer"), ("currency", "USD"), ("direction", "credit"))): lambda t: 12.5,
    ('fee_collection_total', (("fee_type", "transfer"), ("currency", "AED"), ("direction", "credit"))): lambda t: 40,
    ('fee_collection_total', (("fee_type", "transfer"), ("currency", "AED"), ("direction", "debit"))):
        lambda t: 1 if in_minutes(t, (12, 0), (13, 0)) else 0,
    ('user_registrations_total', (("source", "web"), ("user_type", "individual"))): lambda t: 1,
    ('user_registrations_total', (("source", "app"), ("user_type", "business"))):
        lambda t: 1 if int((t - START) // 60) % 10 == 0 else 0,
    ('fraud_alerts_total', (("risk_level", "high"), ("model_version", "v3"))):
        lambda t: 1 if int((t - START) // 60) % 30 == 0 else 0,
    ('fraud_alerts_total', (("risk_level", "low"), ("model_version", "v3"))): lambda t: 2,
}
# A pod in another namespace that opted in to the kubernetes-pods job and fakes business series: the
# report must not count them (and a label such as currency="$$" must not break it).
SPOOF_JOB = (("job", "kubernetes-pods"), ("namespace", "attacker"), ("pod", "spoof-0"))
SPOOF_RATES = {
    ('revenue_total', (("source", "fees"), ("currency", "EUR"), ("direction", "credit"))): lambda t: 200_000,
    ('payment_transactions_total', (("status", "completed"), ("currency", "$$"), ("payment_method", "card"))):
        lambda t: 1000,
}

ALERTS = [  # (labels, active_at, first firing sample, last firing sample)
    ({"alertname": "PaymentHighErrorRate", "severity": "critical", "team": "payments", "service": "payment"},
     at(10, 2), at(10, 5), at(10, 33)),
    ({"alertname": "WalletHighLatency", "severity": "warning", "team": "wallet", "service": "wallet"},
     at(14, 2), at(14, 7), at(14, 21)),
    ({"alertname": "WalletServiceDown", "severity": "critical", "team": "wallet", "service": "wallet"},
     at(16, 1), at(16, 2), at(16, 9)),
    *[({"alertname": "UserServiceHighLatency", "severity": "warning", "team": "users", "service": "user"},
       at(3, m - 1), at(3, m), at(3, m + 4)) for m in (0, 20, 40)],
    ({"alertname": "FraudModelAccuracyLow", "severity": "critical", "team": "fraud-analytics"},
     at(19, 58), at(20, 0), at(20, 44)),
]


def minutes() -> list[float]:
    return [START + 60 * m for m in range(-MARGIN, MINUTES + MARGIN + 1)]


# --- OpenMetrics ------------------------------------------------------------------------------------
def _labels(pairs) -> str:
    return ",".join(f'{k}="{v}"' for k, v in pairs)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def openmetrics() -> str:
    series: dict[str, list[tuple[float, float]]] = {}

    def add(name: str, pairs, t: float, value: float) -> None:
        series.setdefault(f"{name}{{{_labels(pairs)}}}", []).append((t, value))

    for service in ("payment", "wallet", "user"):
        job = (("job", f"waqiti-{service}-service"), ("service", service), ("pod", f"{service}-0"))
        counts: dict[str, dict[float, float]] = {}
        for t in minutes():
            if service == "wallet" and wallet_down(t):
                add("up", job, t, 0)
                continue
            add("up", job, t, 1)
            if service == "wallet" and t == at(16, 10):
                counts = {}                           # restarted process: counters from zero
            for status in ("200", "500"):
                if status not in counts and status not in served(service, t) and status == "500":
                    continue                          # a 5xx series exists only once one happened
                cumulative = counts.setdefault(status, {b: 0.0 for b in LE})
                labels = (*job, ("method", "POST"), ("uri", f"/api/v1/{service}"), ("status", status),
                          ("outcome", "SUCCESS" if status == "200" else "SERVER_ERROR"))
                for b in LE:
                    add("http_server_requests_seconds_bucket", (*labels, ("le", _le(b))), t, cumulative[b])
                add("http_server_requests_seconds_count", labels, t, cumulative[float("inf")])
                # the counters at t include the minute before t; now add the minute starting at t
                running = 0.0
                for b in LE:
                    running += served(service, t).get(status, {}).get(b, 0)
                    cumulative[b] += running
    for job, rates in ((("job", "waqiti-business-metrics-exporter"),), BUSINESS_RATES), (SPOOF_JOB, SPOOF_RATES):
        for (name, pairs), rate in rates.items():
            value = 0.0
            for t in minutes():
                add(name, (*job, *pairs), t, value)
                value += rate(t)
    for labels, active_at, first, last in ALERTS:
        for t in minutes():
            if active_at <= t <= last:
                add("ALERTS_FOR_STATE", sorted(labels.items()), t, active_at)
            if first <= t <= last:
                add("ALERTS", sorted({**labels, "alertstate": "firing"}.items()), t, 1)
    for name, job, reload_at in (("prometheus_config_last_reload_success_timestamp_seconds", "prometheus", at(12)),
                                 ("alertmanager_config_last_reload_success_timestamp_seconds", "alertmanager", at(13, 30))):
        for t in minutes():
            add(name, (("job", job), ("instance", f"{job}-0")), t, reload_at if t >= reload_at else OLD_RELOAD)
    lines = [f"{key} {value!r} {t:.0f}" for key in sorted(series) for t, value in series[key]]
    return "\n".join(lines) + "\n# EOF\n"


# --- what a correct daily report for DAY shows ---------------------------------------------------------
def day_minutes() -> list[float]:
    return [START + 60 * m for m in range(MINUTES)]


def expected_requests(service: str) -> tuple[float, float]:
    total = errors = 0.0
    for t in day_minutes():
        for status, buckets in served(service, t).items():
            n = sum(buckets.values())
            total += n
            errors += n if status.startswith("5") else 0
    return total, errors


def expected_uptime(service: str) -> float:
    return sum(0 if service == "wallet" and wallet_down(t) else 1 for t in day_minutes()) / MINUTES


def expected_day_buckets(service: str) -> dict[float, float]:
    """Cumulative bucket counts over the whole day."""
    per_bound = {b: 0.0 for b in LE}
    for t in day_minutes():
        for buckets in served(service, t).values():
            for b, n in buckets.items():
                per_bound[b] += n
    cumulative, running = {}, 0.0
    for b in LE:
        running += per_bound[b]
        cumulative[b] = running
    return cumulative


def expected_business_total(name: str, **labels: str) -> float:
    return sum(rate(t) for (metric, pairs), rate in BUSINESS_RATES.items()
               if metric == name and all(dict(pairs).get(k) == v for k, v in labels.items())
               for t in day_minutes())
