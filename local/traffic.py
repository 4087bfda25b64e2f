"""The platform's writes, simulated: payments, wallet ledger entries, registrations, revenue and
fraud alerts flow into PostgreSQL continuously, the way the platform writes them (a payment is
`pending` first, then completes or fails; every status is a payment_events row; a wallet's balance
changes in the same transaction as its ledger entry, so reconciliation holds).

    TRAFFIC_DSN=... python -m local.traffic --control 127.0.0.1:PORT   (or fd:N, a socket handed over)

Control endpoint (JSON):

    curl -X POST 127.0.0.1:PORT/faults -d '{"payment_failure_ratio": 0.08}'   # 8% of payments fail
    curl -X POST 127.0.0.1:PORT/reconciliation-failure                         # a wallet's balance drifts from its ledger
    curl -X DELETE 127.0.0.1:PORT/faults                                        # 1% failures, balances repaired
    curl 127.0.0.1:PORT/faults                                                  # current state and row counts

It survives a database outage: it waits and reconnects.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import threading
import time
import traceback
from decimal import Decimal
import psycopg

from local.http_json import JsonHandler, listening, serve

TICK = 0.2
PAYMENTS_PER_SECOND = 10.0
LEDGER_ENTRIES_PER_SECOND = 6.0
REGISTRATIONS_PER_SECOND = 3.0
FRAUD_ALERTS_PER_SECOND = 0.4
BASELINE_FAILURE_RATIO = 0.01   # share of finished payments that fail on a normal day
REFUND_RATIO = 0.02
SEED_WALLETS = 200
SEED_USERS = 300

CURRENCIES = ["USD"] * 5 + ["EUR"] * 3 + ["GBP"] * 2 + ["NGN", "KES", "JPY"]
METHODS = ["card"] * 4 + ["bank_transfer"] * 2 + ["wallet", "mobile_money", "sepa", "ach"]
USER_TYPES = ["personal"] * 6 + ["business"] * 2 + ["merchant"]
SOURCES = ["organic"] * 4 + ["referral"] * 2 + ["paid_ads", "partner", "app_store"]
CREDIT_OPERATIONS = ["deposit", "transfer_in", "refund"]
DEBIT_OPERATIONS = ["withdrawal", "transfer_out", "payment", "fee"]
MODELS = ["v2", "v2", "v3"]
DETECTIONS = ["rule_based", "ml_model", "ml_model", "velocity"]


def amount(rng: random.Random, currency: str) -> Decimal:
    scale = {"JPY": 150, "NGN": 1500, "KES": 130}.get(currency, 1)
    return (Decimal(str(round(rng.lognormvariate(3.5, 1.2), 2))) * scale).quantize(Decimal("0.01"))


class Generator:
    def __init__(self, dsn: str, seed: int = 7):
        self.dsn = dsn
        self.rng = random.Random(seed)
        self.failure_ratio = BASELINE_FAILURE_RATIO
        self.lock = threading.Lock()
        self.pending_actions: list[str] = []  # applied by the writer thread, in order
        self.counts = {"payments": 0, "ledger_entries": 0, "users": 0, "fraud_alerts": 0}
        self.database_up = False
        self._carry: dict[str, float] = {}
        self._failure_debt = 0.0

    # -- control ---------------------------------------------------------------------------
    def request(self, action: str) -> None:
        with self.lock:
            self.pending_actions.append(action)

    def _n(self, key: str, per_second: float, seconds: float) -> int:
        expected = per_second * seconds + self._carry.get(key, 0.0)
        count = int(expected)
        self._carry[key] = expected - count
        return count

    # -- writing ---------------------------------------------------------------------------
    def seed(self, conn: psycopg.Connection) -> None:
        (wallets,) = conn.execute("SELECT count(*) FROM wallets").fetchone()
        if wallets:
            return
        with conn.transaction():
            users = [(f"user{i}@example.com", self.rng.choice(SOURCES), self.rng.choice(USER_TYPES),
                      self.rng.choice(["verified"] * 5 + ["pending", "rejected"]),
                      f"{self.rng.randint(1, 60)} days", f"{self.rng.randint(0, 40 * 24)} hours")
                     for i in range(SEED_USERS)]
            conn.cursor().executemany(
                "INSERT INTO users (email, source, user_type, kyc_status, created_at, last_active_at) "
                "VALUES (%s, %s, %s, %s, now() - %s::interval, now() - %s::interval)", users)
            # a month of reviewed fraud alerts: 4% false positives for every model and detection type
            reviewed = [(self.rng.randint(1, 10**6), i % SEED_USERS + 1, self.rng.choice(["low", "medium", "high"]),
                         model, detection, "false_positive" if i % 25 == 0 else "confirmed_fraud", f"{i % 29 + 1} days")
                        for i, (model, detection) in enumerate(
                            (m, d) for _ in range(50) for m in sorted(set(MODELS)) for d in sorted(set(DETECTIONS)))]
            conn.cursor().executemany(
                "INSERT INTO fraud_alerts (payment_id, user_id, risk_level, model_version, detection_type, outcome, "
                "created_at, reviewed_at) VALUES (%s, %s, %s, %s, %s, %s, now() - %s::interval, now() - %s::interval)",
                [(*row[:6], row[6], row[6]) for row in reviewed])
            # yesterday's payments: every status, currency and method has been seen before, as on
            # the platform (the exporter seeds its counters from them; a first-ever increment of a
            # new series would be invisible to rate())
            for status in ("completed", "failed", "refunded"):
                for currency in sorted(set(CURRENCIES)):
                    for method in sorted(set(METHODS)):
                        (pid,) = conn.execute(
                            "INSERT INTO payments (user_id, status, currency, payment_method, amount, created_at, completed_at) "
                            "VALUES (1, %s, %s, %s, %s, now() - interval '1 day', now() - interval '1 day') RETURNING id",
                            [status, currency, method, amount(self.rng, currency)]).fetchone()
                        path = ["pending", "completed", "refunded"] if status == "refunded" else ["pending", status]
                        conn.cursor().executemany(
                            "INSERT INTO payment_events (payment_id, status, currency, payment_method, occurred_at) "
                            "VALUES (%s, %s, %s, %s, now() - interval '1 day')", [(pid, st, currency, method) for st in path])
            for i in range(SEED_WALLETS):
                currency = self.rng.choice(CURRENCIES)
                start = amount(self.rng, currency) * 10
                (wallet_id,) = conn.execute(
                    "INSERT INTO wallets (user_id, account_number, currency, user_type, balance) "
                    "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    [i + 1, f"ACC{1000000 + i}", currency, self.rng.choice(USER_TYPES), start]).fetchone()
                conn.execute("INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, "
                             "amount, created_at) VALUES (%s, 'deposit', 'credit', %s, %s, now() - interval '30 days')",
                             [wallet_id, currency, start])

    def step(self, conn: psycopg.Connection, seconds: float) -> None:
        """One tick of the platform, `seconds` long, in one transaction (the steps draw from one RNG in this order)."""
        with self.lock:
            actions, self.pending_actions = self.pending_actions, []
        with conn.transaction():
            self._apply_actions(conn, actions)
            events, fees, revenue = self._finish_payments(conn)
            new = self._new_payments(conn, seconds, events)
            self._record_money(conn, seconds, fees, revenue)
            entries = self._ledger(conn, seconds)
            registrations = self._users(conn, seconds)
            alerts = self._fraud(conn, seconds)
        self.counts["payments"] += new
        self.counts["ledger_entries"] += entries
        self.counts["users"] += registrations
        self.counts["fraud_alerts"] += alerts

    @staticmethod
    def _apply_actions(conn: psycopg.Connection, actions: list[str]) -> None:
        """The faults asked for over the control API: a corrupted wallet balance, or its repair."""
        for action in actions:
            if action == "corrupt":
                conn.execute("UPDATE wallets SET balance = balance + 13.37, updated_at = now() WHERE id = "
                             "(SELECT id FROM wallets ORDER BY random() LIMIT 1)")
            elif action == "repair":
                conn.execute("UPDATE wallets w SET balance = l.total, updated_at = now() FROM "
                             "(SELECT wallet_id, sum(amount) AS total FROM wallet_ledger GROUP BY wallet_id) l "
                             "WHERE l.wallet_id = w.id AND w.balance <> l.total")

    def _finish_payments(self, conn: psycopg.Connection) -> tuple[list, list, list]:
        """Finish the payments created in earlier steps: exactly `failure_ratio` of them fail (spread
        evenly, not at random, so that 3% never looks like 5% by chance). Returns events, fees, revenue."""
        pending = conn.execute(
            "SELECT id, currency, payment_method, amount FROM payments WHERE status = 'pending' "
            "AND created_at < now() - interval '300 ms' ORDER BY id").fetchall()
        finished = []
        for pid, cur, method, value in pending:
            self._failure_debt += self.failure_ratio
            status = "failed" if self._failure_debt >= 1 else "completed"
            self._failure_debt -= status == "failed"
            finished.append((pid, status, cur, method, value))
        conn.cursor().executemany("UPDATE payments SET status = %s, completed_at = now() WHERE id = %s",
                                  [(status, pid) for pid, status, *_ in finished])
        events = [(pid, status, cur, method) for pid, status, cur, method, _ in finished]
        fees, revenue = [], []
        for pid, status, cur, method, value in finished:
            if status == "completed":
                fee = (value * Decimal("0.015")).quantize(Decimal("0.01")) or Decimal("0.01")
                fees.append((pid, "processing", cur, fee))
                revenue.append(("transaction_fees", cur, fee))
                if self.rng.random() < REFUND_RATIO:
                    conn.execute("UPDATE payments SET status = 'refunded' WHERE id = %s", [pid])
                    events.append((pid, "refunded", cur, method))
        return events, fees, revenue

    def _new_payments(self, conn: psycopg.Connection, seconds: float, events: list) -> int:
        """New pending payments; every status change of this step goes into payment_events."""
        rng, new = self.rng, []
        for _ in range(self._n("payments", PAYMENTS_PER_SECOND, seconds)):
            currency = rng.choice(CURRENCIES)
            new.append((rng.randint(1, SEED_USERS), currency, rng.choice(METHODS), amount(rng, currency),
                        f"{rng.randint(0, 9999):04d}"))
        for user_id, currency, method, value, last4 in new:
            (pid,) = conn.execute(
                "INSERT INTO payments (user_id, status, currency, payment_method, amount, card_last4) "
                "VALUES (%s, 'pending', %s, %s, %s, %s) RETURNING id",
                [user_id, currency, method, value, last4]).fetchone()
            events.append((pid, "pending", currency, method))
        conn.cursor().executemany("INSERT INTO payment_events (payment_id, status, currency, payment_method) "
                                  "VALUES (%s, %s, %s, %s)", events)
        return len(new)

    def _record_money(self, conn: psycopg.Connection, seconds: float, fees: list, revenue: list) -> None:
        """Fees of the completed payments, and revenue: those fees, subscriptions, FX spread."""
        if self.rng.random() < 0.05 * seconds * 5:
            revenue.append(("subscriptions", "USD", Decimal("9.99")))
        if self.rng.random() < 0.1:
            revenue.append(("fx_spread", self.rng.choice(CURRENCIES), amount(self.rng, "USD") / 50))
        conn.cursor().executemany("INSERT INTO fees (payment_id, fee_type, currency, amount) "
                                  "VALUES (%s, %s, %s, %s)", fees)
        conn.cursor().executemany("INSERT INTO revenue_entries (source, currency, amount) VALUES (%s, %s, %s)",
                                  revenue)

    def _ledger(self, conn: psycopg.Connection, seconds: float) -> int:
        """Wallet credits and debits: a ledger entry and the balance it moves, together."""
        rng, entries = self.rng, self._n("ledger", LEDGER_ENTRIES_PER_SECOND, seconds)
        for _ in range(entries):
            wallet_id = rng.randint(1, SEED_WALLETS)
            credit = rng.random() < 0.55
            operation = rng.choice(CREDIT_OPERATIONS if credit else DEBIT_OPERATIONS)
            (currency,) = conn.execute("SELECT currency FROM wallets WHERE id = %s", [wallet_id]).fetchone()
            value = amount(rng, currency) * (1 if credit else -1)
            conn.execute("INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, amount) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         [wallet_id, operation, "credit" if credit else "debit", currency, value])
            conn.execute("UPDATE wallets SET balance = balance + %s, updated_at = now() WHERE id = %s",
                         [value, wallet_id])
        return entries

    def _users(self, conn: psycopg.Connection, seconds: float) -> int:
        """Registrations (pending KYC), an active user, and as many KYC decisions on the oldest pending
        as there were registrations: a healthy day's queue stays flat (at 1 decision a second it grew
        by 2 a second and KycVerificationBacklogGrowing fired after about five minutes of drills)."""
        rng, registrations = self.rng, self._n("users", REGISTRATIONS_PER_SECOND, seconds)
        conn.cursor().executemany(
            "INSERT INTO users (email, source, user_type, last_active_at) VALUES (%s, %s, %s, now())",
            [(f"new{rng.randint(1, 10**9)}@example.com", rng.choice(SOURCES), rng.choice(USER_TYPES))
             for _ in range(registrations)])
        conn.execute("UPDATE users SET last_active_at = now() WHERE id = %s", [rng.randint(1, SEED_USERS)])
        for _ in range(registrations):
            conn.execute("UPDATE users SET kyc_status = %s WHERE id = (SELECT id FROM users WHERE "
                         "kyc_status = 'pending' ORDER BY id LIMIT 1)", [rng.choice(["verified"] * 4 + ["rejected"])])
        return registrations

    def _fraud(self, conn: psycopg.Connection, seconds: float) -> int:
        """New fraud alerts, and the review of the oldest pending one (1 in 25 a false positive)."""
        rng, alerts = self.rng, self._n("fraud", FRAUD_ALERTS_PER_SECOND, seconds)
        conn.cursor().executemany(
            "INSERT INTO fraud_alerts (payment_id, user_id, risk_level, model_version, detection_type) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(rng.randint(1, 10**6), rng.randint(1, SEED_USERS), rng.choice(["low"] * 4 + ["medium"] * 2 + ["high", "critical"]),
              rng.choice(MODELS), rng.choice(DETECTIONS)) for _ in range(alerts)])
        conn.execute("UPDATE fraud_alerts SET outcome = CASE WHEN id % 25 = 0 THEN 'false_positive' "
                     "ELSE 'confirmed_fraud' END, reviewed_at = now() WHERE id IN (SELECT id FROM fraud_alerts "
                     "WHERE outcome = 'pending' AND created_at < now() - interval '2 seconds' ORDER BY id LIMIT 1)")
        return alerts

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(self.dsn, connect_timeout=2, application_name="waqiti-traffic") as conn:
                    conn.autocommit = True
                    self.seed(conn)
                    self.database_up = True
                    last = time.monotonic()
                    while not stop.wait(TICK):
                        now = time.monotonic()
                        self.step(conn, now - last)
                        last = now
            except psycopg.OperationalError:
                self.database_up = False  # the database is down: keep trying, as the platform would
                stop.wait(0.5)
            except psycopg.Error:
                traceback.print_exc()  # a bad statement: say so, and carry on writing
                stop.wait(0.5)


def control_handler(generator: Generator):
    class Handler(JsonHandler):
        def state(self):
            return {"payment_failure_ratio": generator.failure_ratio, "database_up": generator.database_up,
                    "rows_written": generator.counts}

        def do_GET(self):
            self._reply(200, self.state())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") == "/reconciliation-failure":
                generator.request("corrupt")
                return self._reply(200, self.state())
            if self.path.rstrip("/") != "/faults":
                return self._reply(404, {"error": "POST /faults or /reconciliation-failure"})
            try:
                ratio = float(json.loads(body or b"{}")["payment_failure_ratio"])
                assert 0 <= ratio <= 1
            except (ValueError, KeyError, AssertionError, TypeError):
                return self._reply(400, {"error": 'expected {"payment_failure_ratio": 0..1}'})
            generator.failure_ratio = ratio
            self._reply(200, self.state())

        def do_DELETE(self):
            generator.failure_ratio = BASELINE_FAILURE_RATIO
            generator.request("repair")
            self._reply(200, self.state())


    return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", required=True, type=listening, help="HOST:PORT or fd:N of the control endpoint")
    args = parser.parse_args(argv)
    generator = Generator(os.environ["TRAFFIC_DSN"])
    control = serve(args.control, control_handler(generator))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    generator.run(stop)
    control.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
