"""Database down or slow: the last values stay served, health metrics say what is wrong, the
probes stay green (Prometheus must keep scraping), and the exporter catches up afterwards."""
from __future__ import annotations

import random
import time

import requests

from .conftest import fast_config
from .datagen import complete_pending_payments, insert_payments, new_rows, populate
from .ground_truth import expected_samples
from .scraping import business, scrape, value, wait_until
from .test_ground_truth import settle


def _errors(port: int, group: str) -> float:
    return value(scrape(port), "business_exporter_refresh_errors_total", group=group)


def _get(port: int, path: str) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    return response.status_code, time.monotonic() - started


def test_database_outage_keeps_last_values_and_recovers(postgres, database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=9)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = business(scrape(exporter.port))
    errors_before = _errors(exporter.port, "payments")

    postgres.stop()
    try:
        wait_until(lambda: value(scrape(exporter.port), "business_exporter_database_up") == 0,
                   timeout=20, message="database_up 0")
        wait_until(lambda: _errors(exporter.port, "payments") >= errors_before + 2, timeout=30,
                   message="failed refreshes counted")
        samples = scrape(exporter.port)
        assert business(samples) == before  # last values, not zeros, not gone
        lag = value(samples, "business_exporter_watermark_lag_seconds", group="payments")
        time.sleep(1.2)  # the snapshot is re-rendered every second
        assert value(scrape(exporter.port), "business_exporter_watermark_lag_seconds", group="payments") > lag
        for path in ("/metrics", "/healthz", "/readyz"):
            status, took = _get(exporter.port, path)
            assert status == 200 and took < 0.5, (path, status, took)
    finally:
        postgres.start()

    rng = random.Random(10)
    with database.connect() as conn:
        with new_rows(conn) as now:
            insert_payments(conn, rng, 20, at=now)
        complete_pending_payments(conn, rng, 10)
    wait_until(lambda: value(scrape(exporter.port), "business_exporter_database_up") == 1,
               timeout=30, message="database_up 1 after recovery")
    settle(exporter.port)
    with database.connect() as conn:
        truth = expected_samples(conn, config)
    assert truth != before
    assert business(scrape(exporter.port)) == truth


def test_slow_database_hits_the_statement_timeout_and_recovers(database, start_exporter):
    config = fast_config(statement_timeout=0.3)
    with database.connect() as conn:
        populate(conn, seed=11)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = business(scrape(exporter.port))
    errors_before = _errors(exporter.port, "payments")

    with database.connect() as locker:
        locker.autocommit = False
        locker.execute("LOCK TABLE payment_events IN ACCESS EXCLUSIVE MODE")  # every read now waits
        wait_until(lambda: _errors(exporter.port, "payments") >= errors_before + 2, timeout=20,
                   message="timed-out refreshes counted")
        samples = scrape(exporter.port)
        assert value(samples, "business_exporter_database_up") == 1  # slow is not down
        assert business(samples) == before
        status, took = _get(exporter.port, "/metrics")
        assert status == 200 and took < 0.5
        locker.rollback()

    with database.connect() as conn:
        with new_rows(conn) as now:
            insert_payments(conn, random.Random(12), 10, at=now)
    settle(exporter.port)
    with database.connect() as conn:
        assert business(scrape(exporter.port)) == expected_samples(conn, config)
