"""The counters as a real Prometheus reads them: a label set's first live increment is seen by
rate() (every allowlisted label set is exported at 0 from the start), and a reversal written live
raises the debit series instead of lowering a counter (no reset, no spike)."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from testsupport.prometheus import PrometheusServer

from .conftest import fast_config
from .datagen import new_rows, populate
from .scraping import scrape, value, wait_until
from .test_ground_truth import settle

pytestmark = pytest.mark.slow

# Label sets the test data never produces (datagen uses neither AED nor ach), so each series
# exists only because it was pre-initialised.
NEW_PAYMENT = dict(status="refunded", currency="AED", payment_method="ach")
NEW_REVENUE = dict(source="interchange", currency="AED")


def _query(prometheus: PrometheusServer, expr: str) -> dict[frozenset, float]:
    response = requests.get(f"{prometheus.url}/api/v1/query", params={"query": expr}, timeout=5)
    response.raise_for_status()
    return {frozenset((k, v) for k, v in r["metric"].items() if k not in ("job", "instance")): float(r["value"][1])
            for r in response.json()["data"]["result"]}


def _one(prometheus: PrometheusServer, expr: str) -> float | None:
    result = _query(prometheus, expr)
    assert len(result) <= 1, result
    return next(iter(result.values()), None)


def _selector(name: str, **labels: str) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def test_first_increment_is_seen_and_a_reversal_is_no_reset(database, start_exporter, tmp_path):
    with database.connect() as conn:
        populate(conn, seed=21)
        conn.execute("INSERT INTO revenue_entries (source, currency, amount) VALUES ('interchange', 'AED', 100)")
    exporter = start_exporter(database.reader_dsn, fast_config())
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert value(samples, "payment_transactions_total", **NEW_PAYMENT) == 0
    assert value(samples, "revenue_total", **NEW_REVENUE, direction="debit") == 0
    assert value(samples, "revenue_total", **NEW_REVENUE, direction="credit") == 100

    config = ("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              "scrape_configs:\n  - job_name: waqiti-business-metrics-exporter\n"
              f"    static_configs: [{{targets: ['127.0.0.1:{exporter.port}']}}]\n")
    with PrometheusServer(config=config, work_dir=tmp_path / "prometheus") as prometheus:
        payment = _selector("payment_transactions_total", **NEW_PAYMENT)
        debit = _selector("revenue_total", **NEW_REVENUE, direction="debit")
        wait_until(lambda: (_one(prometheus, f"count_over_time({payment}[1m])") or 0) >= 3
                   and (_one(prometheus, f"count_over_time({debit}[1m])") or 0) >= 3,
                   timeout=60, message="Prometheus holding a few zero samples of the new label sets")

        with database.connect() as conn:
            with new_rows(conn):
                conn.execute("INSERT INTO payment_events (payment_id, status, currency, payment_method) "
                             "VALUES (1, 'refunded', 'AED', 'ach')")
                # a reversal of 40 of the 100 booked: a negative amount
                conn.execute("INSERT INTO revenue_entries (source, currency, amount) "
                             "VALUES ('interchange', 'AED', -40)")
        settle(exporter.port)
        samples = scrape(exporter.port)
        assert value(samples, "payment_transactions_total", **NEW_PAYMENT) == 1
        assert value(samples, "revenue_total", **NEW_REVENUE, direction="debit") == 40
        assert value(samples, "revenue_total", **NEW_REVENUE, direction="credit") == 100
        time.sleep(3)  # a few scrapes after the change

        # rate()/increase() see the first increment, because the series existed at 0 before it
        assert _one(prometheus, f"increase({payment}[1m])") == pytest.approx(1, rel=0.2)
        assert _one(prometheus, f"rate({payment}[1m])") > 0
        # the reversal: no series of revenue_total ever went down, the debit series rose by 40,
        # and net revenue (credit - debit) is 60, not a reset-sized spike
        resets = _query(prometheus, "resets(revenue_total[5m])")
        assert resets and set(resets.values()) == {0.0}
        assert _one(prometheus, f"increase({debit}[1m])") == pytest.approx(40, rel=0.2)
        net = _one(prometheus, 'sum(revenue_total{source="interchange",currency="AED",direction="credit"}) '
                               '- sum(revenue_total{source="interchange",currency="AED",direction="debit"})')
        assert Decimal(str(net)) == Decimal(60)
