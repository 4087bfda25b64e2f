"""The reader role of reader_role.sql, tried as an auditor would: it reads no personal data and
no other session's SQL, yet still learns when the oldest open transaction started (which the
late-commit tests in test_incremental.py rely on)."""
from __future__ import annotations

import logging
import time

import psycopg
import pytest

from exporter import queries

from .conftest import fast_config
from .scraping import scrape, value, wait_for_refreshes
from .test_ground_truth import settle

SECRET_EMAIL = "jane.doe@example.com"


@pytest.fixture
def idle_writer(database):
    """Another session, idle in a transaction that inserted personal data."""
    with database.connect() as writer:
        writer.autocommit = False
        writer.execute("INSERT INTO users (email, source, user_type) VALUES (%s, 'organic', 'personal')",
                       [SECRET_EMAIL])
        started, pid = writer.execute("SELECT now(), pg_backend_pid()").fetchone()
        yield started, pid
        writer.rollback()


def test_the_reader_cannot_read_other_sessions_query_text(database, idle_writer):
    _, writer_pid = idle_writer
    with psycopg.connect(database.reader_dsn) as reader:
        assert not reader.execute("SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')").fetchone()[0]
        rows = reader.execute("SELECT query, xact_start, state FROM pg_stat_activity WHERE pid = %s",
                              [writer_pid]).fetchall()
        assert rows == [("<insufficient privilege>", None, None)]
        every_query = " ".join(q or "" for (q,) in reader.execute("SELECT query FROM pg_stat_activity"))
        assert SECRET_EMAIL not in every_query
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("SELECT email FROM users")


def test_the_reader_learns_only_the_oldest_open_transactions_start(database, idle_writer):
    started, _ = idle_writer
    with psycopg.connect(database.reader_dsn) as reader:
        row = reader.execute(f"SELECT * FROM {queries.HORIZON_FUNCTION}()").fetchone()
        assert row == (started,)  # one timestamp, nothing else
        assert reader.execute(queries.HORIZON_CHECK).fetchone() == (True, True, True)


def test_the_horizon_function_is_for_the_reader_only(database):
    with database.connect() as conn:
        conn.execute("CREATE ROLE someone_else LOGIN PASSWORD 'x-pw-1'")
    try:
        with psycopg.connect(database.server.dsn_for("someone_else", "x-pw-1", database.name)) as other:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                other.execute(f"SELECT {queries.HORIZON_FUNCTION}()")
    finally:
        with database.connect() as conn:
            conn.execute("DROP ROLE someone_else")


def test_the_function_keeps_a_safe_search_path(database):
    with database.connect() as conn:
        (config,) = conn.execute(
            "SELECT proconfig FROM pg_proc WHERE oid = to_regprocedure(%s)",
            [queries.HORIZON_FUNCTION + "()"]).fetchone()
        owner_is_superuser = conn.execute(
            "SELECT r.rolsuper FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
            "WHERE p.oid = to_regprocedure(%s)", [queries.HORIZON_FUNCTION + "()"]).fetchone()[0]
    assert config == ["search_path=pg_catalog, pg_temp"]
    assert owner_is_superuser


def test_without_the_horizon_function_late_commits_wait_for_the_recount(database, start_exporter, caplog):
    """What the function is for: without it the exporter says so at start, and a transaction that
    commits after the watermark passed its rows is counted only by the next recount."""
    completed = dict(status="completed", currency="USD", payment_method="card")
    with database.connect() as conn:
        conn.execute(f"DROP FUNCTION {queries.HORIZON_FUNCTION}()")
    with caplog.at_level(logging.WARNING, logger="exporter.service"):
        exporter = start_exporter(database.reader_dsn, fast_config())
        settle(exporter.port)
    assert any(f"{queries.HORIZON_FUNCTION}() is missing" in r.getMessage() for r in caplog.records)
    before = value(scrape(exporter.port), "payment_transactions_total", **completed)

    with database.connect() as writer:
        writer.autocommit = False
        writer.execute("INSERT INTO payment_events (payment_id, status, currency, payment_method) "
                       "VALUES (1, 'completed', 'USD', 'card')")
        time.sleep(0.5)  # older than the safety lag, and nothing holds the watermark back
        wait_for_refreshes(exporter.port, count=3, groups={"payments"})
        writer.commit()
    settle(exporter.port)
    assert value(scrape(exporter.port), "payment_transactions_total", **completed) == before  # missed
    for source in exporter.sources:
        source.last_full_scan = float("-inf")
    settle(exporter.port)
    samples = scrape(exporter.port)
    assert value(samples, "payment_transactions_total", **completed) == before + 1
    assert value(samples, "business_exporter_recount_drift", metric="payment_transactions_total") == 1
