"""The user gauges at platform scale: KYC counts follow the log of status changes and active users
the log of activity updates, incrementally (a live change moves them, users slide out of the
windows as time passes, the full recount finds no drift, and a change the log missed shows as
drift); the covering index behind the reconciliation is checked at start."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

import psycopg

from exporter import queries, sources
from exporter.index_check import missing_indexes

from .conftest import fast_config
from .datagen import new_rows, populate
from .ground_truth import expected_samples
from .scraping import business, scrape, value
from .test_ground_truth import settle

KYC = "user_verification_status"


def _kyc(samples) -> dict[str, float]:
    return {dict(labels)["kyc_status"]: v for (name, labels), v in samples.items() if name == KYC}


def test_kyc_counts_move_with_live_status_changes_and_the_recount_finds_no_drift(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=41)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = _kyc(scrape(exporter.port))
    assert set(before) == {"pending", "verified", "rejected", "expired", "other"}

    with database.connect() as conn:
        pending = [i for (i,) in conn.execute(
            "SELECT id FROM users WHERE kyc_status = 'pending' ORDER BY id LIMIT 3").fetchall()]
        assert len(pending) == 3
        with new_rows(conn):  # two verified, one rejected, and a new registration (pending)
            conn.execute("UPDATE users SET kyc_status = 'verified' WHERE id = ANY(%s)", [pending[:2]])
            conn.execute("UPDATE users SET kyc_status = 'rejected' WHERE id = %s", [pending[2]])
            conn.execute("INSERT INTO users (email, source, user_type) "
                         "VALUES ('new.user@example.com', 'organic', 'personal')")
            # an activity update of a verified user is not a KYC change
            conn.execute("UPDATE users SET last_active_at = now() WHERE id = %s", [pending[0]])
        logged = conn.execute("SELECT count(*) FROM user_verification_events WHERE previous_status IS NOT NULL"
                              ).fetchone()[0]
        assert logged == 3
    settle(exporter.port)
    after = _kyc(scrape(exporter.port))
    assert after["pending"] == before["pending"] - 3 + 1
    assert after["verified"] == before["verified"] + 2
    assert after["rejected"] == before["rejected"] + 1
    assert after["expired"] == before["expired"] == 0
    with database.connect() as conn:
        assert business(scrape(exporter.port)) == expected_samples(conn, config)

    source = next(s for s in exporter.sources if s.name == KYC)
    source.last_full_scan = float("-inf")  # the slow schedule's full recount, now
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert source.last_drift == 0
    assert value(samples, "business_exporter_recount_drift", metric=KYC) == 0
    assert _kyc(samples) == after


def test_a_kyc_change_the_log_missed_shows_as_drift_at_the_recount(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=42)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = _kyc(scrape(exporter.port))
    with database.connect() as conn:  # a change logged an hour late: behind every watermark
        conn.execute("INSERT INTO user_verification_events (user_id, previous_status, kyc_status, occurred_at) "
                     "VALUES (1, 'pending', 'expired', now() - interval '1 hour')")
    settle(exporter.port)
    assert _kyc(scrape(exporter.port)) == before
    source = next(s for s in exporter.sources if s.name == KYC)
    source.last_full_scan = float("-inf")
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert _kyc(samples)["expired"] == before["expired"] + 1
    assert _kyc(samples)["pending"] == before["pending"] - 1
    assert value(samples, "business_exporter_recount_drift", metric=KYC) == 2


def test_active_users_follow_a_live_activity_update(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=43)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    before = {t: value(scrape(exporter.port), "user_active_total", timeframe=t) for t in ("day", "week", "month")}
    with database.connect() as conn:
        (idle,) = conn.execute("SELECT id FROM users WHERE last_active_at < now() - interval '40 days' "
                               "ORDER BY id LIMIT 1").fetchone()
        (weekly,) = conn.execute("SELECT id FROM users WHERE last_active_at BETWEEN now() - interval '7 days' "
                                 "AND now() - interval '2 days' ORDER BY id LIMIT 1").fetchone()
        with new_rows(conn):
            conn.execute("UPDATE users SET last_active_at = now() WHERE id = ANY(%s)", [[idle, weekly]])
    settle(exporter.port)
    samples = scrape(exporter.port)
    after = {t: value(samples, "user_active_total", timeframe=t) for t in ("day", "week", "month")}
    assert after == {"day": before["day"] + 2, "week": before["week"] + 1, "month": before["month"] + 1}
    with database.connect() as conn:
        assert business(samples) == expected_samples(conn, config)


ACTIVE = "user_active_total"


def test_active_users_recount_finds_no_drift_and_reports_activity_the_log_missed(database, start_exporter):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=45)
    exporter = start_exporter(database.reader_dsn, config)
    settle(exporter.port)
    with database.connect() as conn:
        with new_rows(conn):
            conn.execute("UPDATE users SET last_active_at = now() WHERE id IN (SELECT id FROM users "
                         "WHERE last_active_at < now() - interval '40 days' ORDER BY id LIMIT 3)")
    settle(exporter.port)
    source = next(s for s in exporter.sources if s.name == ACTIVE)
    source.last_full_scan = float("-inf")
    settle(exporter.port)
    assert value(scrape(exporter.port), "business_exporter_recount_drift", metric=ACTIVE) == 0
    with database.connect() as conn:
        assert business(scrape(exporter.port)) == expected_samples(conn, config)

        conn.execute("ALTER TABLE users DISABLE TRIGGER users_active")  # an update the log missed
        conn.execute("UPDATE users SET last_active_at = now() WHERE id = (SELECT id FROM users "
                     "WHERE last_active_at < now() - interval '40 days' ORDER BY id LIMIT 1)")
        conn.execute("ALTER TABLE users ENABLE TRIGGER users_active")
    settle(exporter.port)
    before = value(scrape(exporter.port), ACTIVE, timeframe="month")
    source.last_full_scan = float("-inf")
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert value(samples, ACTIVE, timeframe="month") == before + 1
    assert value(samples, "business_exporter_recount_drift", metric=ACTIVE) == 3  # day, week and month
    with database.connect() as conn:
        assert business(samples) == expected_samples(conn, config)


def _as_of_watermark(source) -> tuple:
    """(watermark, counts) of the source; the refresh thread sets one, then the other."""
    return source.watermark, list(source.counts or [])


def test_active_users_slide_out_of_each_window_as_time_passes(database, start_exporter, monkeypatch):
    windows = {"day": "2 seconds", "week": "4 seconds", "month": "7 seconds"}  # scaled down
    monkeypatch.setattr(queries, "ACTIVE_TIMEFRAMES", windows)
    monkeypatch.setattr(sources, "ACTIVE_TIMEFRAMES", windows)
    exporter = start_exporter(database.reader_dsn, fast_config())
    settle(exporter.port)
    source = next(s for s in exporter.sources if s.name == ACTIVE)
    activity: dict[int, list] = {}  # user -> the times its last_active_at was set
    with database.connect() as conn:
        with new_rows(conn):
            for email in ("a@example.com", "b@example.com"):
                user, at = conn.execute(
                    "INSERT INTO users (email, source, user_type, last_active_at) "
                    "VALUES (%s, 'organic', 'personal', now()) RETURNING id, last_active_at", [email]).fetchone()
                activity[user] = [at]
    first = min(activity)

    def expected(watermark) -> list[int]:
        latest = [max((t for t in times if t < watermark), default=None) for times in activity.values()]
        return [sum(1 for t in latest if t is not None and t >= watermark - timedelta(seconds=int(w.split()[0])))
                for w in windows.values()]

    started, seen, compared = time.monotonic(), set(), 0
    while time.monotonic() - started < 10:
        if first in activity and len(activity[first]) == 1 and time.monotonic() - started > 2.5:
            with database.connect() as conn:  # a second activity of one user, mid-way
                with new_rows(conn):
                    activity[first].append(conn.execute(
                        "UPDATE users SET last_active_at = now() WHERE id = %s RETURNING last_active_at",
                        [first]).fetchone()[0])
        watermark, counts = _as_of_watermark(source)
        if counts != expected(watermark):  # read between the two assignments of a refresh?
            time.sleep(0.05)
            watermark, counts = _as_of_watermark(source)
            assert counts == expected(watermark), (watermark, counts)
        seen.add(tuple(counts))
        compared += 1
        time.sleep(0.1)
    # the counts went through the windows' edges: both in all three, then out of the day, then
    # the user active twice back in it, and finally only that user in the month
    assert {(2, 2, 2), (0, 2, 2), (1, 2, 2), (0, 0, 1)} <= seen, seen
    assert compared > 30


def test_an_index_that_no_longer_covers_the_ledger_amount_is_a_warning(database, start_exporter, caplog):
    config = fast_config()
    with database.connect() as conn:
        populate(conn, seed=44)
        conn.execute("DROP INDEX wallet_ledger_wallet_id_amount_idx")
        conn.execute("CREATE INDEX wallet_ledger_wallet_id_idx ON wallet_ledger (wallet_id)")
    with psycopg.connect(database.reader_dsn) as conn:
        assert [(n.table.name, n.column, n.covers) for n in missing_indexes(conn, config)] == [
            ("wallet_ledger", "wallet_id", ("amount",))]
    with caplog.at_level(logging.WARNING, logger="exporter.service"):
        exporter = start_exporter(database.reader_dsn, config)
        settle(exporter.port)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "no index on public.wallet_ledger(wallet_id) that also holds amount (schema.sql: "
        "wallet_ledger_wallet_id_amount_idx): the query of wallet_balance_reconciliation_failures for "
        "the ledger sum of each changed wallet reads a table page per row instead of the index only"]
    with database.connect() as conn:  # still correct, only slower
        assert business(scrape(exporter.port)) == expected_samples(conn, config)
