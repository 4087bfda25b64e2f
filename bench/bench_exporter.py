"""Benchmark of the business metrics exporter against query-exporter (not a test).

    .venv/bin/python bench/bench_exporter.py [--sizes 1000000,10000000] [--skip-query-exporter]
                                             [--data-root DIR [--generate-only]] [--write]

Seeds a PostgreSQL 15 with N payments (and proportional events, ledger, wallets, users, fees,
revenue with reversals and fraud rows, written server-side with generate_series; kept per size
under --data-root for the next run), then for each size:
  * starts the exporter (`python -m exporter`, its own process) and measures its start-up (wall
    and DB time), RSS, /metrics latency under 10 concurrent scrapers, the database time of one
    steady round of every metric after 1,000 new payments (from pg_stat_statements, per
    statement: total / calls), and the recount drift after every metric was recounted once;
  * does the same for query-exporter (PyPI, in bench/.venv-query-exporter) configured with
    equivalent queries: full aggregates each interval, which is how it has to be used.
Prints a Markdown section; `--write` replaces the `## Business metrics exporter` section of
bench/RESULTS.md with it.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import yaml
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.results import replace_section  # noqa: E402
from testsupport.ports import pick_port  # noqa: E402
from testsupport.postgres import PostgresServer  # noqa: E402

QE_VENV = REPO / "bench" / ".venv-query-exporter"
# SQLAlchemy 2.1 (query-exporter 5) drives PostgreSQL through psycopg 3 by default.
QE_PACKAGES = ["query-exporter==5.0.2", "psycopg[binary]==3.3.9"]
READER, READER_PW = "business_metrics_reader", "bench-reader"
QE_USER, QE_PW = "query_exporter_reader", "bench-qe"
SCRAPERS, REQUESTS_PER_SCRAPER = 10, 300
NEW_ROWS = 1000

# -- data ---------------------------------------------------------------------------------------
SEED_SQL = """
INSERT INTO payments (id, user_id, status, currency, payment_method, amount, card_last4, created_at, completed_at)
SELECT i, (i % 1000003), s.status, (ARRAY['USD','EUR','GBP','NGN','KES','GHS','ZAR','JPY'])[1 + i % 8],
       (ARRAY['card','bank_transfer','wallet','mobile_money'])[1 + (i / 8) % 4],
       round((random() * 2000)::numeric, 2), lpad((i % 10000)::text, 4, '0'), t.created,
       CASE WHEN s.status <> 'pending' THEN t.created + make_interval(secs => random() * 3) END
FROM generate_series({lo}::bigint, {hi}::bigint) AS i,
     LATERAL (SELECT now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8
                     + random()) AS created) t,
     LATERAL (SELECT (ARRAY['completed','completed','completed','failed','pending','refunded'])[1 + i % 6]
              AS status) s;
INSERT INTO payment_events (payment_id, status, currency, payment_method, occurred_at)
SELECT id, status, currency, payment_method, coalesce(completed_at, created_at)
FROM payments WHERE id BETWEEN {lo} AND {hi};
INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, amount, created_at)
SELECT 1 + i % {wallets}, (ARRAY['deposit','withdrawal','transfer_in','transfer_out','payment','refund','fee'])[1 + i % 7],
       CASE WHEN i % 7 IN (0, 2, 5) THEN 'credit' ELSE 'debit' END, 'USD',
       CASE WHEN i % 7 IN (0, 2, 5) THEN 1 ELSE -1 END * round((random() * 500)::numeric, 2),
       now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8)
FROM generate_series({lo}::bigint, {hi}::bigint) AS i;
INSERT INTO fees (payment_id, fee_type, currency, amount, collected_at)
SELECT i, (ARRAY['processing','fx_conversion','withdrawal','instant_transfer'])[1 + i % 4], 'USD',
       round((random() * 20)::numeric, 2), now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8)
FROM generate_series({lo}::bigint, {hi}::bigint, 2) AS i;
INSERT INTO users (email, source, user_type, kyc_status, created_at, last_active_at)
SELECT 'user' || i || '@example.com', (ARRAY['organic','referral','paid_ads','partner'])[1 + i % 4],
       (ARRAY['personal','business','merchant'])[1 + i % 3], (ARRAY['pending','verified','verified','rejected'])[1 + i % 4],
       now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8),
       now() - make_interval(secs => (i % 5184000)::float8)
FROM generate_series({lo}::bigint, {hi}::bigint, 10) AS i;
INSERT INTO revenue_entries (source, currency, amount, recognized_at)
SELECT (ARRAY['transaction_fees','subscriptions','fx_spread','interchange'])[1 + i % 4], 'USD',
       CASE WHEN i % 500 = 0 THEN -1 ELSE 1 END * round((random() * 100)::numeric, 2), now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8)
FROM generate_series({lo}::bigint, {hi}::bigint, 10) AS i;
INSERT INTO fraud_alerts (payment_id, risk_level, model_version, detection_type, outcome, created_at, reviewed_at)
SELECT i, (ARRAY['low','medium','high','critical'])[1 + i % 4], (ARRAY['v1','v2','v3'])[1 + i % 3],
       (ARRAY['rule_based','ml_model','velocity'])[1 + i % 3], (ARRAY['pending','confirmed_fraud','false_positive'])[1 + i % 3],
       now() - interval '1 hour' - make_interval(secs => (i % 5184000)::float8),
       CASE WHEN i % 3 > 0 THEN now() - make_interval(secs => (i % 5184000)::float8) END
FROM generate_series({lo}::bigint, {hi}::bigint, 100) AS i;
"""
WALLETS_SQL = """
INSERT INTO wallets (id, user_id, account_number, currency, user_type)
SELECT i, i, 'ACC' || i, 'USD', (ARRAY['personal','business','merchant'])[1 + i % 3]
FROM generate_series({first}::bigint, {last}::bigint) AS i;
UPDATE wallets w SET balance = l.total
FROM (SELECT wallet_id, sum(amount) AS total FROM wallet_ledger GROUP BY wallet_id) l
WHERE l.wallet_id = w.id AND w.balance IS DISTINCT FROM l.total;
"""
NEW_ROWS_SQL = """
INSERT INTO payments (id, user_id, status, currency, payment_method, amount, created_at)
SELECT i, i, 'pending', 'USD', 'card', 10, now() FROM generate_series({lo}::bigint, {hi}::bigint) i;
INSERT INTO payment_events (payment_id, status, currency, payment_method)
SELECT i, 'pending', 'USD', 'card' FROM generate_series({lo}::bigint, {hi}::bigint) i;
INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, amount)
SELECT 1 + i % 1000, 'deposit', 'credit', 'USD', 0 FROM generate_series({lo}::bigint, {hi}::bigint) i;
INSERT INTO fees (fee_type, currency, amount) SELECT 'processing', 'USD', 1 FROM generate_series(1, 500);
INSERT INTO users (email, source, user_type) SELECT 'new' || i || '@example.com', 'organic', 'personal'
FROM generate_series({lo}::bigint, {lo}::bigint + 99) i;
INSERT INTO revenue_entries (source, currency, amount) SELECT 'subscriptions', 'USD', 5 FROM generate_series(1, 100);
INSERT INTO fraud_alerts (risk_level, model_version, detection_type) SELECT 'low', 'v3', 'ml_model' FROM generate_series(1, 10);
UPDATE users SET kyc_status = CASE WHEN id % 5 = 0 THEN 'rejected' ELSE 'verified' END
WHERE id IN (SELECT id FROM users WHERE kyc_status = 'pending' LIMIT 100);
UPDATE users SET last_active_at = now()
WHERE id IN (SELECT 1 + (i * 7919 + {lo}) % (SELECT max(id) FROM users) FROM generate_series(1, 1000) i);
"""
# Clusters generated before the KYC log existed: one registration row per user (pending), and one
# change for each user whose status is no longer pending, as the schema's triggers write them.
KYC_LOG_BACKFILL_SQL = """
INSERT INTO user_verification_events (user_id, previous_status, kyc_status, occurred_at)
SELECT id, NULL, 'pending', created_at FROM users;
INSERT INTO user_verification_events (user_id, previous_status, kyc_status, occurred_at)
SELECT id, 'pending', kyc_status, least(created_at + interval '1 hour', now()) FROM users
WHERE kyc_status <> 'pending';
"""

# -- query-exporter: the same metrics as full aggregates ---------------------------------------
AMOUNT_BOUNDS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 100000]
LATENCY_BOUNDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300]


def _histogram_sql(table, value, bounds, label=None, where="TRUE"):
    filters = ", ".join(f"count(*) FILTER (WHERE v <= {b}) AS c{i}" for i, b in enumerate(bounds))
    values = ", ".join(f"('{b}', a.c{i})" for i, b in enumerate(bounds)) + ", ('+Inf', a.n)"
    label_sel = f"{label}, " if label else ""
    label_out = f"a.{label}, " if label else ""
    group = f" GROUP BY {label}" if label else ""
    return (f"SELECT {label_out}b.le, b.c AS {{name}}_bucket, a.n AS {{name}}_count, a.s AS {{name}}_sum "
            f"FROM (SELECT {label_sel}count(*) AS n, coalesce(sum(v), 0) AS s, {filters} "
            f"FROM (SELECT {label_sel}{value} AS v FROM {table} WHERE {where}) r{group}) a, "
            f"LATERAL (VALUES {values}) b(le, c)")


def query_exporter_config(dsn: str, interval: int) -> dict:
    def metric(kind, labels, description="bench"):
        return {"type": kind, "description": description, **({"labels": labels} if labels else {})}

    def histo(name, labels):
        return {f"{name}_bucket": metric("gauge", labels + ["le"]), f"{name}_count": metric("gauge", labels),
                f"{name}_sum": metric("gauge", labels)}

    metrics = {
        "payment_transactions_total": metric("counter", ["status", "currency", "payment_method"]),
        **histo("payment_transaction_amount", ["currency"]),
        **histo("payment_processing_time_seconds", []),
        "wallet_balance_total": metric("gauge", ["currency", "user_type"]),
        "wallet_operations_total": metric("counter", ["operation_type"]),
        "wallet_balance_changes_total": metric("counter", ["currency", "change_type"]),
        "wallet_balance_reconciliation_failures": metric("gauge", []),
        "revenue_total": metric("counter", ["source", "currency"]),
        "fee_collection_total": metric("counter", ["fee_type", "currency"]),
        "user_registrations_total": metric("counter", ["source", "user_type"]),
        "user_active_total": metric("gauge", ["timeframe"]),
        "user_verification_status": metric("gauge", ["kyc_status"]),
        "fraud_alerts_total": metric("counter", ["risk_level", "model_version"]),
        "fraud_detection_accuracy": metric("gauge", ["model_version"]),
        "false_positive_rate": metric("gauge", ["detection_type"]),
    }
    sqls = {
        "payment_transactions": "SELECT status, currency, payment_method, count(*) AS payment_transactions_total "
                                "FROM payment_events GROUP BY 1, 2, 3",
        "payment_amount": _histogram_sql("payments", "amount", AMOUNT_BOUNDS, "currency")
        .format(name="payment_transaction_amount"),
        "payment_processing": _histogram_sql("payments", "extract(epoch from completed_at - created_at)",
                                             LATENCY_BOUNDS, where="completed_at IS NOT NULL")
        .format(name="payment_processing_time_seconds"),
        "wallet_balance": "SELECT currency, user_type, sum(balance) AS wallet_balance_total FROM wallets GROUP BY 1, 2",
        "wallet_operations": "SELECT operation_type, count(*) AS wallet_operations_total FROM wallet_ledger GROUP BY 1",
        "wallet_changes": "SELECT currency, change_type, sum(abs(amount)) AS wallet_balance_changes_total "
                          "FROM wallet_ledger GROUP BY 1, 2",
        "wallet_reconciliation": "SELECT count(*) AS wallet_balance_reconciliation_failures FROM wallets w "
                                 "LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM wallet_ledger GROUP BY 1) l "
                                 "ON l.wallet_id = w.id WHERE w.balance IS DISTINCT FROM coalesce(l.total, 0)",
        "revenue": "SELECT source, currency, sum(amount) AS revenue_total FROM revenue_entries GROUP BY 1, 2",
        "fees": "SELECT fee_type, currency, sum(amount) AS fee_collection_total FROM fees GROUP BY 1, 2",
        "registrations": "SELECT source, user_type, count(*) AS user_registrations_total FROM users GROUP BY 1, 2",
        "active_users": "SELECT t.timeframe, count(*) FILTER (WHERE last_active_at >= now() - t.i) AS user_active_total "
                        "FROM users, (VALUES ('day', interval '1 day'), ('week', interval '7 days'), "
                        "('month', interval '30 days')) t(timeframe, i) "
                        "WHERE last_active_at >= now() - interval '30 days' GROUP BY 1",
        "kyc": "SELECT kyc_status, count(*) AS user_verification_status FROM users GROUP BY 1",
        "fraud_alerts": "SELECT risk_level, model_version, count(*) AS fraud_alerts_total FROM fraud_alerts GROUP BY 1, 2",
        "fraud_accuracy": "SELECT model_version, (count(*) FILTER (WHERE outcome = 'confirmed_fraud'))::float8 "
                          "/ count(*) AS fraud_detection_accuracy FROM fraud_alerts WHERE reviewed_at >= now() - "
                          "interval '30 days' AND outcome IN ('confirmed_fraud', 'false_positive') GROUP BY 1",
        "false_positives": "SELECT detection_type, (count(*) FILTER (WHERE outcome = 'false_positive'))::float8 "
                           "/ count(*) AS false_positive_rate FROM fraud_alerts WHERE reviewed_at >= now() - "
                           "interval '30 days' AND outcome IN ('confirmed_fraud', 'false_positive') GROUP BY 1",
    }

    def metrics_of(sql):
        return [name for name in metrics if f" AS {name}" in sql or f" AS {name}," in sql]

    queries = {name: {"databases": ["platform"], "metrics": metrics_of(sql), "sql": sql, "interval": interval,
                      "timeout": 600} for name, sql in sqls.items()}
    return {"databases": {"platform": {"dsn": dsn}}, "metrics": metrics, "queries": queries}


# -- measurements --------------------------------------------------------------------------------
def scrape(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def samples(port: int) -> dict:
    out = {}
    for family in text_string_to_metric_families(scrape(port)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def _scraper(port: int, timings: list[float], encoding: str) -> None:
    request = (b"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: " + encoding.encode()
               + b"\r\nConnection: close\r\n\r\n")
    for _ in range(REQUESTS_PER_SCRAPER):
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await reader.read()  # until the server closes: the whole response
        timings.append(time.perf_counter() - started)
        writer.close()


def scrape_latency(port: int, encoding: str = "identity") -> tuple[float, float, int, float]:
    """p50, p99 in ms of GET /metrics with SCRAPERS requests always in flight, a new connection per
    scrape as Prometheus does. The clients are asyncio streams in one process: a lean load
    generator matters on a 2-core machine, where heavier clients would steal the server's CPU."""
    timings: list[float] = []

    async def run():
        await asyncio.gather(*(_scraper(port, timings, encoding) for _ in range(SCRAPERS)))

    asyncio.run(run())
    load = os.getloadavg()[0]  # the machine's 1-minute load average at the end of the run
    q = statistics.quantiles(timings, n=100)
    return q[49] * 1000, q[98] * 1000, len(scrape(port).encode()), load


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def statements(admin_dsn: str, user: str) -> dict[int, tuple[str, int, float]]:
    with psycopg.connect(admin_dsn) as conn:
        rows = conn.execute(
            "SELECT queryid, query, calls, total_exec_time FROM pg_stat_statements s "
            "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = %s", [user]).fetchall()
    return {qid: (query, calls, total) for qid, query, calls, total in rows}


def db_time_per_round(before: dict, after: dict, exclude=lambda q: False) -> tuple[float, dict]:
    """Sum over statements run in the window of (time / calls): one round's database time, ms."""
    total, per_query = 0.0, {}
    for qid, (query, calls, time_ms) in after.items():
        b_calls, b_time = before.get(qid, ("", 0, 0.0))[1:]
        if calls > b_calls and not exclude(query):
            mean = (time_ms - b_time) / (calls - b_calls)
            per_query[query] = mean
            total += mean
    return total, per_query


# Our statements by what they compute. Full scans (seeds, recounts, the full reconciliation) run
# at start and on the slow schedule only; the rest make up a steady round.
OUR_KINDS = ("counters", "KYC log", "balances", "ratios", "reconciliation", "active users", "overhead")


def our_kind(query: str) -> str:
    if "LEFT JOIN (SELECT" in query or "UNION ALL" in query or "pg_advisory_xact_lock" in query:
        return "full scans"
    if "window_rows" in query:  # the seed and recount have no lower bound
        return "counters" if ">= $" in query else "full scans"
    if "previous_status" in query:
        return "KYC log" if ">= $" in query else "full scans"
    if "previous_active_at" in query:  # the seed and recount count whole index ranges
        return "active users" if "FILTER" in query else "full scans"
    if "WITH changed" in query:
        return "reconciliation"
    if " JOIN " in query:
        return "balances"
    if "reviewed_at" in query or "outcome" in query:
        return "ratios"
    return "overhead"  # BEGIN, COMMIT, set_config, the watermark: microseconds per group


QE_INCREMENTAL_EQUIVALENTS = ("payment_events", "FROM payments", "wallet_operations_total",
                              "wallet_balance_changes_total", "revenue_total", "fee_collection_total",
                              "user_registrations_total", "fraud_alerts_total")


def their_kind(query: str) -> str:
    if "LEFT JOIN" in query:
        return "reconciliation"
    return "incremental" if any(t in query for t in QE_INCREMENTAL_EQUIVALENTS) else "gauges"


def by_kind(per_query: dict[str, float], kind) -> dict[str, float]:
    totals: dict[str, float] = {}
    for query, ms in per_query.items():
        totals[kind(query)] = totals.get(kind(query), 0.0) + ms
    return totals


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


# -- the two exporters ---------------------------------------------------------------------------
RECOUNT_AFTER = 150  # seconds: one recount of everything after the steady measurements, for the drift


def exporter_successes(port: int) -> dict[str, float]:
    return {dict(labels)["group"]: v for (name, labels), v in samples(port).items()
            if name == "business_exporter_last_success_timestamp_seconds"}


def start_exporter(dsn: str, workdir: Path, port: int) -> subprocess.Popen:
    config = yaml.safe_load((REPO / "exporter" / "config.yml").read_text())
    for name, group in config["groups"].items():
        group.update(interval="10s", safety_lag="1s", statement_timeout="2m", full_scan_timeout="10m",
                     recount_interval=f"{RECOUNT_AFTER}s")
    path = workdir / "exporter.yml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "EXPORTER_DSN": dsn, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "exporter", "--config", str(path), "--listen",
                             f"127.0.0.1:{port}", "--log-level", "WARNING"], env=env, cwd=REPO)


def ensure_query_exporter() -> Path:
    binary = QE_VENV / "bin" / "query-exporter"
    if not (QE_VENV / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(QE_VENV)], check=True)
    subprocess.run([str(QE_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    *QE_PACKAGES], check=True)
    return binary


def qe_success_counts(port: int) -> dict[str, float]:
    return {dict(labels).get("query"): v for (name, labels), v in samples(port).items()
            if name == "queries_total" and dict(labels).get("status") == "success"}


def full_reconciliation_calls(admin: str) -> int:
    return sum(calls for query, calls, _ in statements(admin, READER).values() if "LEFT JOIN (SELECT" in query)


# -- one size --------------------------------------------------------------------------------
def measure_exporter(pg: PostgresServer, db: str, workdir: Path) -> dict:
    admin = pg.dsn_for("postgres", pg.password, db)
    port = pick_port()
    before_start = statements(admin, READER)
    started = time.monotonic()
    process = start_exporter(pg.dsn_for(READER, READER_PW, db), workdir, port)
    try:
        wait_until(lambda: all(v > 0 for v in exporter_successes(port).values()), 3600, "exporter seeding")
        seed_seconds = time.monotonic() - started
        after_seed = statements(admin, READER)
        # all the work of start-up; waiting for the full-scan lock is not work (pg_stat_statements
        # counts the wait as the lock statement's execution time)
        seed_db_ms = sum(time_ms - before_start.get(qid, ("", 0, 0.0))[2]
                         for qid, (query, _, time_ms) in after_seed.items() if "pg_advisory_xact_lock" not in query)
        _, seed_queries = db_time_per_round(before_start, after_seed)
        full_reconciliation_ms = sum(v for q, v in seed_queries.items() if "LEFT JOIN (SELECT" in q)
        rss_seeded = rss_mb(process.pid)
        time.sleep(12)  # steady state: at least one refresh with nothing new
        # The exporter is paused while the new rows are written and until they are past the safety
        # lag, so that each group's first refresh afterwards is the one that reads them: a refresh
        # between the insert and the start of the window would leave the window an empty one.
        last = exporter_successes(port)
        os.kill(process.pid, signal.SIGSTOP)
        try:
            time.sleep(0.5)  # a query sent just before the pause finishes before the window
            window_start = statements(admin, READER)
            with psycopg.connect(admin, autocommit=True) as conn:
                top = conn.execute("SELECT max(id) FROM payments").fetchone()[0]
                conn.execute(NEW_ROWS_SQL.format(lo=top + 1, hi=top + NEW_ROWS))
            time.sleep(2)  # past the safety lag
        finally:
            os.kill(process.pid, signal.SIGCONT)
        wait_until(lambda: all(v > last[g] for g, v in exporter_successes(port).items()), 120,
                   "one refresh of every group")
        _, steady_queries = db_time_per_round(window_start, statements(admin, READER), our_kind_excluded)
        p50, p99, size, load = scrape_latency(port)
        gz_p50, gz_p99, _, gz_load = scrape_latency(port, "gzip")  # what Prometheus asks for
        steady = by_kind(steady_queries, our_kind)
        memory = rss_mb(process.pid)
        # the slow schedule: every metric recounted (and the ledger reconciled) in full once
        wait_until(lambda: full_reconciliation_calls(admin) >= 2, 3600, "the full recount")
        last = exporter_successes(port)
        wait_until(lambda: all(v > last[g] for g, v in exporter_successes(port).items()), 600,
                   "refreshes after the recount")
        drift = {dict(labels)["metric"]: v for (n, labels), v in samples(port).items()
                 if n == "business_exporter_recount_drift"}
        memory_after_recount = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return {"seed_s": seed_seconds, "seed_db_ms": seed_db_ms, "full_reconciliation_ms": full_reconciliation_ms,
            "steady": steady, "steady_ms": sum(steady.values()),
            "steady_queries": {" ".join(q.split())[:100]: (our_kind(q), ms) for q, ms in steady_queries.items()},
            "p50": p50, "p99": p99, "load": load, "gzip": (gz_p50, gz_p99, gz_load),
            "bytes": size, "rss": (rss_seeded, memory, memory_after_recount),
            "drift": drift}


def our_kind_excluded(query: str) -> bool:
    return our_kind(query) == "full scans"


def measure_query_exporter(pg: PostgresServer, db: str, workdir: Path) -> dict:
    binary = ensure_query_exporter()
    admin = pg.dsn_for("postgres", pg.password, db)
    port = pick_port()
    config = query_exporter_config(f"postgresql://{QE_USER}:{QE_PW}@127.0.0.1:{pg.port}/{db}", interval=60)
    path = workdir / "query-exporter.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.monotonic()
    process = subprocess.Popen([str(binary), "--config", str(path), "-H", "127.0.0.1", "-p", str(port),
                                "-L", "warning"], cwd=workdir)
    try:
        n_queries = len(config["queries"])
        wait_until(lambda: len([v for v in qe_success_counts(port).values() if v >= 1]) >= n_queries,
                   3600, "query-exporter first round")
        first_round_s = time.monotonic() - started
        before = statements(admin, QE_USER)
        counts = qe_success_counts(port)
        with psycopg.connect(admin, autocommit=True) as conn:
            top = conn.execute("SELECT max(id) FROM payments").fetchone()[0]
            conn.execute(NEW_ROWS_SQL.format(lo=top + 1, hi=top + NEW_ROWS))
        wait_until(lambda: all(v > counts.get(q, 0) for q, v in qe_success_counts(port).items()
                               if q in config["queries"]), 3600, "query-exporter second round")
        round_ms, round_queries = db_time_per_round(before, statements(admin, QE_USER))
        p50, p99, size, load = scrape_latency(port)
        gz_p50, gz_p99, _, gz_load = scrape_latency(port, "gzip")
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return {"first_round_s": first_round_s, "round_db_ms": round_ms, "round": by_kind(round_queries, their_kind),
            "p50": p50, "p99": p99, "load": load, "gzip": (gz_p50, gz_p99, gz_load), "bytes": size, "rss": memory}


def seed(pg: PostgresServer, db: str, payments: int) -> float:
    """Grow the data set to `payments` payments (and their proportional rows)."""
    started = time.monotonic()
    with psycopg.connect(pg.dsn_for("postgres", pg.password, db), autocommit=True) as conn:
        count, top = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM payments").fetchone()
        if count >= payments:  # a kept cluster that has them already
            return 0.0
        lo, hi = top + 1, top + payments - count
        wallets = max(1, payments // 10)
        conn.execute(SEED_SQL.format(lo=lo, hi=hi, wallets=wallets))
        first_wallet = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM wallets").fetchone()[0]
        conn.execute(WALLETS_SQL.format(first=first_wallet, last=wallets))
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def prepare(pg: PostgresServer, db: str) -> None:
    """Database, roles and schema; idempotent, so a kept cluster gets this checkout's schema,
    indexes and reader role."""
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
            conn.execute(f"CREATE DATABASE {db}")
        for role, password in ((READER, READER_PW), (QE_USER, QE_PW)):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    with psycopg.connect(pg.dsn_for("postgres", pg.password, db), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute((REPO / "exporter" / "schema.sql").read_text())
        conn.execute((REPO / "exporter" / "reader_role.sql").read_text())
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {QE_USER}")
        if conn.execute("SELECT NOT EXISTS (SELECT 1 FROM user_verification_events) "
                        "AND EXISTS (SELECT 1 FROM users)").fetchone()[0]:
            conn.execute(KYC_LOG_BACKFILL_SQL)
            conn.execute("VACUUM ANALYZE user_verification_events")
        conn.execute("VACUUM wallet_ledger")  # a new covering index is index-only once all-visible


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--skip-query-exporter", action="store_true")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="keep each size's PostgreSQL cluster in DATA_ROOT/<size> and reuse it on the "
                             "next run (generating 10M payments takes long); a missing size starts from a "
                             "copy of the next smaller one")
    parser.add_argument("--generate-only", action="store_true", help="build the data, measure nothing")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            with cluster(args.data_root, size, sizes) as pg:
                prepare(pg, "platform")
                seed_s = seed(pg, "platform", size)
                print(f"seeded {size:,} payments in {seed_s:.0f}s", flush=True)
                if args.generate_only:
                    continue
                ours = measure_exporter(pg, "platform", Path(tmp))
                print(f"exporter at {size:,}: {ours}", flush=True)
                theirs = None
                qe_error = None
                if not args.skip_query_exporter:
                    try:
                        theirs = measure_query_exporter(pg, "platform", Path(tmp))
                        print(f"query-exporter at {size:,}: {theirs}", flush=True)
                    except Exception as exc:  # record why, keep our own figures
                        qe_error = f"{type(exc).__name__}: {exc}"
                        print(f"query-exporter failed: {qe_error}", flush=True)
                results.append((size, seed_s, ours, theirs, qe_error))
    if args.generate_only:
        return 0
    report = render(results)
    print(report)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "## Business metrics exporter", report)
    return 0


PG_SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "shared_buffers": "2GB",
               "work_mem": "64MB", "maintenance_work_mem": "512MB", "max_wal_size": "8GB",
               "checkpoint_timeout": "30min"}


def cluster(data_root: Path | None, size: int, sizes: list[int]) -> PostgresServer:
    """The cluster for one size: throwaway without a data root (the data set grows from size to
    size in one cluster), else kept in data_root/<size>, first copied from the largest smaller
    size kept there, so that only the missing rows are generated."""
    if data_root is None:
        global _shared
        if _shared is None:
            _shared = PostgresServer(settings=PG_SETTINGS)
            _shared.__enter__()
            import atexit
            atexit.register(_shared.cleanup)
        return contextlib.nullcontext(_shared)
    target = data_root / str(size)
    if not (target / "data" / "PG_VERSION").exists():
        smaller = sorted((int(p.name) for p in data_root.glob("*") if p.name.isdigit()
                          and int(p.name) < size and (p / "data" / "PG_VERSION").exists()), reverse=True)
        if smaller:
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run(["cp", "-a", str(data_root / str(smaller[0])), str(target)], check=True)
            (target / "data" / "postmaster.pid").unlink(missing_ok=True)
    return PostgresServer(settings=PG_SETTINGS, base_dir=target)


_shared: PostgresServer | None = None


def render(results) -> str:
    cpu = os.cpu_count()
    lines = [
        "## Business metrics exporter", "",
        f"Measured {dt.date.today().isoformat()} by `bench/bench_exporter.py` on this machine: {cpu} cores (shared "
        f"with other work), {platform.system()} {platform.release()}, Python {platform.python_version()}, PostgreSQL 15 "
        "(throwaway, fsync off), query-exporter 5.0.2. Both exporters read the same database in the same run, one "
        "after the other; database time is pg_stat_statements' execution time, summed over the statements of one "
        "round (time / calls per statement). A steady round: one refresh of every group after 1,000 new payments and "
        "their related rows (counters, histograms, the balance and review-ratio gauges, the reconciliation of the "
        "changed wallets, the KYC counts from the log of status changes after 100 KYC decisions, the active users "
        "from the log of activity updates after 1,000 of them and the windows' tails). "
        "Rows per N payments: N payment_events, N ledger entries, N/2 fees, N/10 users, wallets and revenue entries "
        "(2% reversals), N/100 fraud alerts.", "",
        "| payments | what | business exporter | query-exporter | target |",
        "| ---: | --- | ---: | ---: | --- |"]
    base = results[0][2]["steady_ms"] if results else 0
    for size, seed_s, ours, theirs, qe_error in results:
        t = theirs or {}
        na = "n/a"
        steady = ours["steady"]
        ratio = f"{t['round_db_ms'] / ours['steady_ms']:.0f}×" if theirs and ours["steady_ms"] else na
        kinds = ", ".join(f"{k} {steady.get(k, 0.0):.1f}" for k in OUR_KINDS)
        drift = max(ours["drift"].values() or [0])
        rows = [
            ("`/metrics` p50 / p99, 10 concurrent scrapers (load average at the end)",
             f"{ours['p50']:.2f} / {ours['p99']:.2f} ms ({ours['load']:.1f})",
             f"{t['p50']:.2f} / {t['p99']:.2f} ms ({t['load']:.1f})" if theirs else na, "p99 < 10 ms"),
            ("… the same, `Accept-Encoding: gzip` (as Prometheus scrapes)",
             "{:.2f} / {:.2f} ms ({:.1f})".format(*ours["gzip"]),
             "{:.2f} / {:.2f} ms ({:.1f})".format(*t["gzip"]) if theirs else na, "p99 < 10 ms"),
            ("DB time of one steady round of every metric", f"**{ours['steady_ms']:.1f} ms**",
             f"{t['round_db_ms']:.0f} ms" if theirs else na, "≤ 100 ms at 10M"),
            ("… of which (ms)", kinds, "", ""),
            ("… growth against the smallest size", f"{ours['steady_ms'] / base:.2f}×" if base else na, "", "flat"),
            ("Ratio query-exporter / ours, one round of every metric", ratio, "", "≥ 50×"),
            ("Full reconciliation, whole ledger (start-up, then every 6 h; query-exporter: every round)",
             f"{ours['full_reconciliation_ms']:.0f} ms", f"{t['round'].get('reconciliation', 0):.0f} ms" if theirs else na, ""),
            ("Start-up: wall time / DB time (one full scan at a time)", f"{ours['seed_s']:.1f} s / {ours['seed_db_ms'] / 1000:.1f} s",
             f"first round {t['first_round_s']:.1f} s" if theirs else na, ""),
            ("RSS after seeding / steady / after a full recount", " / ".join(f"{m:.0f}" for m in ours["rss"]) + " MiB",
             f"{t['rss']:.0f} MiB" if theirs else na, "flat as rows grow"),
            ("Recount drift, largest over the metrics (all recounted once)", f"{drift:g}", "", "0"),
            ("`/metrics` body", f"{ours['bytes'] / 1024:.0f} KiB", f"{t['bytes'] / 1024:.0f} KiB" if theirs else na, ""),
        ]
        for what, a, b, target in rows:
            lines.append(f"| {size:,} | {what} | {a} | {b} | {target} |")
        if qe_error:
            lines.append(f"\nquery-exporter could not be measured at {size:,}: `{qe_error}`")
    lines += ["", "Statements of the business exporter's steady round at the largest size (ms, mean per call):", ""]
    for query, (kind, ms) in sorted(results[-1][2]["steady_queries"].items(), key=lambda kv: -kv[1][1]):
        lines.append(f"- {ms:.2f} ms ({kind}): `{query}…`")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
