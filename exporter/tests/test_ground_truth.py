"""Every business metric equals an independent SQL ground truth, before and after new rows and
status updates; no label value outside the allowlists ever appears."""
from __future__ import annotations

import random
import re
import time

import pytest
import requests

from exporter.catalog import CATALOG, OTHER

from .conftest import fast_config
from .datagen import LEAKS, complete_pending_payments, corrupt_wallet_balances, new_rows, populate
from .ground_truth import expected_samples
from .scraping import business, scrape, value, wait_for_refreshes

LAG = 0.2


def settle(port: int) -> None:
    """Let rows just written pass the safety lag, then two refreshes of every group."""
    time.sleep(LAG + 0.05)
    wait_for_refreshes(port, count=2)


def test_every_metric_equals_ground_truth_after_inserts_and_status_updates(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=1, scale=2)
        corrupt_wallet_balances(conn, 3)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    with database.connect() as conn:
        truth = expected_samples(conn, config)
    assert business(scrape(exporter.port)) == truth
    # the data exercises every metric of the catalog, so the comparison covered them all
    assert {re.sub(r"_(bucket|count|sum|total)$", "", name) for name, _ in truth} >= \
        {name.removesuffix("_total") for name in CATALOG}
    assert truth[("wallet_balance_reconciliation_failures", frozenset())] == 3

    with database.connect() as conn:
        with new_rows(conn) as now:
            populate(conn, seed=2, at=now)  # new rows of every kind
        updated = complete_pending_payments(conn, random.Random(3), 25)  # status updates
        corrupt_wallet_balances(conn, 5)
    settle(exporter.port)
    with database.connect() as conn:
        new_truth = expected_samples(conn, config)
    assert updated == 25 and new_truth != truth
    samples = business(scrape(exporter.port))
    # the balance gauge moves with the ledger; the 5 balances changed without a ledger entry
    # show at its next full recount (and in the reconciliation failures at once)
    balances = {k for k in new_truth if k[0] == "wallet_balance_total"}
    assert {k: v for k, v in samples.items() if k not in balances} == \
        {k: v for k, v in new_truth.items() if k not in balances}
    assert sum(new_truth[k] - samples[k] for k in balances) == pytest.approx(0.05)
    assert samples[("wallet_balance_reconciliation_failures", frozenset())] == 5  # the first 5 wallets

    for source in exporter.sources:
        source.last_full_scan = float("-inf")  # every recount and full reconciliation due now
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert business(samples) == new_truth
    assert value(samples, "business_exporter_recount_drift", metric="wallet_balance_total") == pytest.approx(0.05)
    assert value(samples, "business_exporter_recount_drift", metric="wallet_balance_reconciliation_failures") == 0
    assert value(samples, "business_exporter_recount_drift", metric="fraud_detection_accuracy") == 0
    assert value(samples, "business_exporter_recount_drift", metric="payment_transactions_total") == 0


def test_no_label_value_outside_the_allowlists(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=4, scale=2)
        # label columns full of personal data that must never become a label
        conn.execute("UPDATE payment_events SET currency = 'jane.doe@example.com' WHERE id % 3 = 0")
        conn.execute("UPDATE users SET source = email WHERE id % 2 = 0")
        conn.execute("UPDATE wallet_ledger SET operation_type = '4111111111111111' WHERE id % 2 = 0")
        conn.execute("ALTER TABLE fraud_alerts ALTER model_version DROP NOT NULL")
        conn.execute("UPDATE fraud_alerts SET model_version = NULL WHERE id % 4 = 0")
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)

    text = requests.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=5).text
    for leak in LEAKS + ["@example.com"]:
        assert leak not in text
    allowed = {m.name: m.allowlists for m in config.metrics}
    checked = 0
    for (name, labels), _ in business(scrape(exporter.port)).items():
        family = re.sub(r"_(bucket|count|sum)$", "", name) if name not in allowed else name
        metric = family if family in allowed else family.removesuffix("_total")
        for label, value in labels:
            if label == "le":
                continue
            if label == "timeframe":
                assert value in ("day", "week", "month")
            else:
                assert value in allowed[metric][label] or value == OTHER, (name, label, value)
            checked += 1
    assert checked > 100
    # the polluted rows were counted, under "other"
    assert 'payment_transactions_total{currency="other"' in text
    assert 'user_registrations_total{source="other"' in text
