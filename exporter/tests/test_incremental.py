"""Incremental counters stay exact: late commits are counted once, a full recount repairs and
reports what the watermark missed, and restarted or parallel exporters agree."""
from __future__ import annotations

import random
import time

from .conftest import fast_config
from .datagen import complete_pending_payments, insert_payments, new_rows, populate
from .ground_truth import expected_samples
from .scraping import business, scrape, value, wait_for_refreshes
from .test_ground_truth import settle

COMPLETED_USD_CARD = dict(status="completed", currency="USD", payment_method="card")


def test_late_commit_is_counted_exactly_once(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=5)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = value(scrape(exporter.port), "payment_transactions_total", **COMPLETED_USD_CARD) or 0

    with database.connect() as writer:
        writer.autocommit = False
        # stamped with the transaction's start (DEFAULT now()), committed only after several refreshes
        writer.execute("INSERT INTO payment_events (payment_id, status, currency, payment_method) "
                       "VALUES (1, 'completed', 'USD', 'card')")
        time.sleep(0.5)  # the row is now older than the safety lag
        wait_for_refreshes(exporter.port, count=3, groups={"payments"})
        assert (value(scrape(exporter.port), "payment_transactions_total", **COMPLETED_USD_CARD) or 0) == before
        writer.commit()

    settle(exporter.port)
    with database.connect() as conn:
        truth = expected_samples(conn, config)
    assert truth[("payment_transactions_total", frozenset(COMPLETED_USD_CARD.items()))] == before + 1
    assert business(scrape(exporter.port)) == truth
    wait_for_refreshes(exporter.port, count=3, groups={"payments"})
    assert business(scrape(exporter.port)) == truth  # and never again


def test_recount_repairs_and_reports_rows_the_watermark_missed(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=6)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)

    # A row stamped an hour ago, committed now: far behind the watermark (as from a transaction
    # open longer than max_watermark_hold), so no incremental window will ever include it.
    with database.connect() as conn:
        conn.execute("INSERT INTO payment_events (payment_id, status, currency, payment_method, occurred_at) "
                     "VALUES (1, 'completed', 'USD', 'card', now() - interval '1 hour')")
        truth = expected_samples(conn, config)
    settle(exporter.port)
    key = ("payment_transactions_total", frozenset(COMPLETED_USD_CARD.items()))
    assert business(scrape(exporter.port))[key] == truth[key] - 1

    # Make the recount due now instead of in an hour (the refresh loop checks it every interval).
    for source in exporter.sources:
        if source.name == "payment_transactions_total":
            source.last_full_scan = float("-inf")
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert business(samples) == truth
    assert value(samples, "business_exporter_recount_drift", metric="payment_transactions_total") == 1
    assert value(samples, "business_exporter_recount_drift", metric="revenue_total") == 0


def test_restarted_and_parallel_exporters_agree_with_the_database(database, start_exporter):
    config = fast_config()
    rng = random.Random(7)
    with database.connect() as conn:
        populate(conn, seed=7)
    first = start_exporter(database.reader_dsn, config)
    settle(first.port)
    with database.connect() as conn:
        with new_rows(conn) as now:
            insert_payments(conn, rng, 30, at=now)
        complete_pending_payments(conn, rng, 20)

    second = start_exporter(database.reader_dsn, config)  # a second replica, seeded from scratch
    settle(first.port)
    settle(second.port)
    with database.connect() as conn:
        truth = expected_samples(conn, config)
    assert business(scrape(first.port)) == truth
    assert business(scrape(second.port)) == truth

    last_of_first = business(scrape(first.port))
    first.stop()
    with database.connect() as conn:
        with new_rows(conn) as now:
            insert_payments(conn, rng, 30, at=now)
        complete_pending_payments(conn, rng, 20)
        with new_rows(conn) as now:
            populate(conn, seed=8, at=now)
    restarted = start_exporter(database.reader_dsn, config)
    settle(restarted.port)
    with database.connect() as conn:
        truth = expected_samples(conn, config)
    after_restart = business(scrape(restarted.port))
    assert after_restart == truth
    # counters went on from where the stopped instance left them: no reset across the restart
    counters = [k for k in last_of_first if k[0].endswith(("_total", "_bucket", "_count"))
                and not k[0].startswith(("user_active_total", "wallet_balance_total"))]
    assert counters and all(after_restart[k] >= last_of_first[k] for k in counters)
    assert any(after_restart[k] > last_of_first[k] for k in counters)
