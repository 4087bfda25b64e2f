"""What keeps the exporter cheap on a large database: the reconciliation compares only changed
wallets (a slow full pass reports what that missed), indexes it relies on are checked at start,
and full scans queue on one database-wide lock, so replicas starting together do not pile up."""
from __future__ import annotations

import dataclasses
import logging
import time

import psycopg

from exporter.index_check import missing_indexes, needed_indexes
from exporter.queries import FULL_SCAN_LOCK

from .conftest import fast_config
from .datagen import new_rows, populate
from .ground_truth import expected_samples
from .scraping import business, scrape, value, wait_until
from .test_ground_truth import settle

FAILURES = "wallet_balance_reconciliation_failures"


def test_reconciliation_follows_changed_wallets_and_the_full_pass_reports_drift(database, start_exporter):
    with database.connect() as conn:
        populate(conn, seed=31)
    exporter = start_exporter(database.reader_dsn, fast_config())
    settle(exporter.port)
    assert value(scrape(exporter.port), FAILURES) == 0

    with database.connect() as conn:
        wallet, currency = conn.execute("SELECT id, currency FROM wallets ORDER BY id LIMIT 1").fetchone()
        # as the platform writes: a ledger entry without the balance update -> fails at once
        with new_rows(conn):
            conn.execute("INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, amount) "
                         "VALUES (%s, 'deposit', 'credit', %s, 5)", [wallet, currency])
    settle(exporter.port)
    assert value(scrape(exporter.port), FAILURES) == 1
    with database.connect() as conn:  # the balance catches up: repaired at once
        with new_rows(conn):
            conn.execute("UPDATE wallets SET balance = balance + 5, updated_at = now() WHERE id = %s", [wallet])
    settle(exporter.port)
    assert value(scrape(exporter.port), FAILURES) == 0

    # a balance changed behind the exporter's back (updated_at untouched): only the full pass sees it
    with database.connect() as conn:
        conn.execute("UPDATE wallets SET balance = balance + 1 WHERE id = %s", [wallet + 1])
    settle(exporter.port)
    assert value(scrape(exporter.port), FAILURES) == 0
    source = next(s for s in exporter.sources if s.name == FAILURES)
    source.last_full_scan = float("-inf")
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert value(samples, FAILURES) == 1
    assert value(samples, "business_exporter_recount_drift", metric=FAILURES) == 1


def test_a_missing_index_is_a_warning_naming_it_and_its_query(database, start_exporter, caplog):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=32)
    with psycopg.connect(database.reader_dsn) as conn:
        assert missing_indexes(conn, config) == []  # schema.sql has every one
    assert {(n.table.name, n.column) for n in needed_indexes(config)} >= {
        ("payment_events", "occurred_at"), ("wallets", "updated_at"), ("wallet_ledger", "wallet_id"),
        ("fraud_alerts", "reviewed_at"), ("users", "last_active_at")}

    with database.connect() as conn:
        conn.execute("DROP INDEX wallets_updated_at_idx")
    with caplog.at_level(logging.WARNING, logger="exporter.service"):
        exporter = start_exporter(database.reader_dsn, config)
        settle(exporter.port)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "no index on public.wallets(updated_at) (schema.sql: wallets_updated_at_idx): the query of "
        "wallet_balance_reconciliation_failures for wallets with balances updated in the window "
        "scans the whole table on every refresh"]
    with database.connect() as conn:  # still correct, only slower
        assert business(scrape(exporter.port)) == expected_samples(conn, config)


def test_replicas_starting_together_queue_their_full_scans_on_one_lock(database, start_exporter):
    with database.connect() as conn:
        populate(conn, seed=33)
    with database.connect() as holder:  # stands for a replica in the middle of its seeding
        holder.autocommit = False
        holder.execute(FULL_SCAN_LOCK)
        first = start_exporter(database.reader_dsn, fast_config())
        second = start_exporter(database.reader_dsn, fast_config())
        time.sleep(2)
        for exporter in (first, second):  # both up, neither has seeded anything yet (the
            samples = scrape(exporter.port)  # active-user and KYC gauges take no full-scan lock)
            assert value(samples, "business_exporter_database_up") == 1
            assert {name for name, _ in business(samples)} <= {"user_active_total", "user_verification_status"}
        with database.connect() as conn:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0]
        assert waiting >= 2
        holder.rollback()
    for exporter in (first, second):
        wait_until(lambda: value(scrape(exporter.port), FAILURES) is not None, timeout=60,
                   message="seeding after the lock was released")
    settle(first.port)
    settle(second.port)
    assert business(scrape(first.port)) == business(scrape(second.port))


def test_review_ratios_slide_their_window_without_rescanning_it(database, start_exporter):
    config = fast_config()
    window = 3.0  # seconds, so that reviews leave the window during the test
    config = dataclasses.replace(config, metrics=tuple(
        dataclasses.replace(m, window=window) if m.name == "fraud_detection_accuracy" else m
        for m in config.metrics))
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    with database.connect() as conn:
        with new_rows(conn):  # reviewed now: two confirmed, one false positive, for model v2
            conn.execute("INSERT INTO fraud_alerts (risk_level, model_version, detection_type, outcome, reviewed_at) "
                         "SELECT 'high', 'v2', 'ml_model', o, now() FROM unnest(ARRAY["
                         "'confirmed_fraud', 'confirmed_fraud', 'false_positive']) o")
    settle(exporter.port)
    assert value(scrape(exporter.port), "fraud_detection_accuracy", model_version="v2") == 2 / 3
    wait_until(lambda: value(scrape(exporter.port), "fraud_detection_accuracy", model_version="v2") is None,
               timeout=window + 10, message="the reviews leaving the window")
    assert value(scrape(exporter.port), "false_positive_rate", detection_type="ml_model") == 1 / 3  # 30 days
    source = next(s for s in exporter.sources if s.name == "fraud_detection_accuracy")
    source.last_full_scan = float("-inf")
    settle(exporter.port)
    assert value(scrape(exporter.port), "business_exporter_recount_drift", metric="fraud_detection_accuracy") == 0
