"""Random platform data for the tests, written the way the platform writes it (payments enter
`pending` first, every status change appends a payment_events row, wallet balances follow their
ledger). Some label columns get values no allowlist should let through: emails, card numbers."""
from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg

CURRENCIES = ["USD", "EUR", "GBP", "NGN", "JPY", "KES"]
METHODS = ["card", "bank_transfer", "wallet", "mobile_money"]
# Values that must never become labels: they stand in for personal data in the wrong column.
LEAKS = ["jane.doe@example.com", "4111111111111111", "NL91ABNA0417164300", "user-829301"]


@contextlib.contextmanager
def new_rows(conn: psycopg.Connection):
    """Rows written "now" the way the platform writes them: inside one transaction, stamped with
    its start (what DEFAULT now() gives), so the exporter's open-transaction horizon holds the
    watermark before them until they commit. A timestamp taken in Python before a slow insert
    would not be covered, and a busy machine would make such rows slip past the watermark."""
    with conn.transaction():
        yield conn.execute("SELECT now()").fetchone()[0]


def _maybe_leak(rng: random.Random, value: str, rate: float = 0.03) -> str:
    return rng.choice(LEAKS) if rng.random() < rate else value


def _past(rng: random.Random, now: datetime, max_days: float = 60) -> datetime:
    return now - timedelta(seconds=rng.uniform(60, max_days * 86400))


def insert_payments(conn: psycopg.Connection, rng: random.Random, n: int, at: datetime | None = None) -> None:
    """n payments with their status history at random times in the past 60 days, or, given `at`,
    n new pending payments created then."""
    now = datetime.now(timezone.utc)
    for _ in range(n):
        currency = _maybe_leak(rng, rng.choice(CURRENCIES))
        method = _maybe_leak(rng, rng.choice(METHODS))
        amount = Decimal(rng.choice([rng.randint(1, 99_99), rng.randint(1, 5_000_000_00)])) / 100
        path = rng.choice([["pending"], ["pending", "completed"], ["pending", "completed"],
                           ["pending", "failed"], ["pending", "completed", "refunded"]])
        took = timedelta(microseconds=rng.randint(10_000, 3_000_000))
        if at is None:  # history: created in the past, completed and refunded afterwards
            created = _past(rng, now)
            completed = created + took if len(path) > 1 else None
            times = [created, completed, completed + timedelta(hours=1) if completed else None]
        else:  # created just now, as the platform does it: pending; complete_pending_payments follows
            path, created, completed, times = ["pending"], at, None, [at]
        (payment_id,) = conn.execute(
            "INSERT INTO payments (user_id, status, currency, payment_method, amount, card_last4, "
            "created_at, completed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [rng.randint(1, 10**6), path[-1], currency, method, amount, "1111", created, completed]
        ).fetchone()
        conn.cursor().executemany(
            "INSERT INTO payment_events (payment_id, status, currency, payment_method, occurred_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(payment_id, status, currency, method, when) for status, when in zip(path, times)])


def complete_pending_payments(conn: psycopg.Connection, rng: random.Random, k: int) -> int:
    """Status updates: up to k pending payments complete or fail now."""
    rows = conn.execute("SELECT id, currency, payment_method FROM payments WHERE status = 'pending' "
                        "ORDER BY id LIMIT %s", [k]).fetchall()
    for payment_id, currency, method in rows:
        status = rng.choice(["completed", "failed"])
        conn.execute("UPDATE payments SET status = %s, completed_at = now() WHERE id = %s",
                     [status, payment_id])
        conn.execute("INSERT INTO payment_events (payment_id, status, currency, payment_method) "
                     "VALUES (%s, %s, %s, %s)", [payment_id, status, currency, method])
    return len(rows)


def insert_users(conn: psycopg.Connection, rng: random.Random, n: int, at: datetime | None = None) -> None:
    now = datetime.now(timezone.utc)
    # last activity kept clear of the day/week/month boundaries, so the test's clock and the
    # exporter's agree on which side each user is
    activity = [timedelta(hours=2), timedelta(hours=20), timedelta(days=3), timedelta(days=6),
                timedelta(days=10), timedelta(days=28), timedelta(days=45), None]
    rows = []
    for i in range(n):
        ago = rng.choice(activity)
        rows.append((f"user{rng.randint(1, 10**9)}@example.com",
                     _maybe_leak(rng, rng.choice(["organic", "referral", "paid_ads", "partner"])),
                     _maybe_leak(rng, rng.choice(["personal", "business", "merchant"])),
                     _maybe_leak(rng, rng.choice(["pending", "verified", "verified", "rejected"])),
                     at or _past(rng, now), None if ago is None else now - ago))
    conn.cursor().executemany(
        "INSERT INTO users (email, source, user_type, kyc_status, created_at, last_active_at) "
        "VALUES (%s, %s, %s, %s, %s, %s)", rows)


def insert_wallets_and_ledger(conn: psycopg.Connection, rng: random.Random, wallets: int,
                              entries_per_wallet: int, at: datetime | None = None) -> None:
    now = datetime.now(timezone.utc)
    operations = {"credit": ["deposit", "transfer_in", "refund"],
                  "debit": ["withdrawal", "transfer_out", "payment", "fee"]}
    for _ in range(wallets):
        currency = _maybe_leak(rng, rng.choice(CURRENCIES))
        (wallet_id,) = conn.execute(
            "INSERT INTO wallets (user_id, account_number, currency, user_type) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            [rng.randint(1, 10**6), f"ACC{rng.randint(10**9, 10**10)}", currency,
             _maybe_leak(rng, rng.choice(["personal", "business"]))]).fetchone()
        entries = []
        for _ in range(rng.randint(1, entries_per_wallet)):
            change = rng.choice(["credit", "debit"])
            amount = Decimal(rng.randint(1, 100_000)) / 100 * (1 if change == "credit" else -1)
            entries.append((wallet_id, _maybe_leak(rng, rng.choice(operations[change])), change,
                            currency, amount, at or _past(rng, now)))
        conn.cursor().executemany(
            "INSERT INTO wallet_ledger (wallet_id, operation_type, change_type, currency, amount, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s)", entries)
        conn.execute("UPDATE wallets SET balance = (SELECT sum(amount) FROM wallet_ledger "
                      "WHERE wallet_id = %s) WHERE id = %s", [wallet_id, wallet_id])


def corrupt_wallet_balances(conn: psycopg.Connection, k: int) -> None:
    """k wallets whose stored balance no longer matches their ledger."""
    conn.execute("UPDATE wallets SET balance = balance + 0.01, updated_at = now() WHERE id IN "
                 "(SELECT id FROM wallets ORDER BY id LIMIT %s)", [k])


def _sign(rng: random.Random) -> int:
    """One entry in ten is a reversal: a negative amount (refunded revenue, a fee given back)."""
    return -1 if rng.random() < 0.1 else 1


def insert_revenue_and_fees(conn: psycopg.Connection, rng: random.Random, n: int,
                            at: datetime | None = None) -> None:
    now = datetime.now(timezone.utc)
    conn.cursor().executemany(
        "INSERT INTO revenue_entries (source, currency, amount, recognized_at) VALUES (%s, %s, %s, %s)",
        [(_maybe_leak(rng, rng.choice(["transaction_fees", "subscriptions", "fx_spread"])),
          rng.choice(CURRENCIES), _sign(rng) * Decimal(rng.randint(1, 10**7)) / 100, at or _past(rng, now))
         for _ in range(n)])
    conn.cursor().executemany(
        "INSERT INTO fees (payment_id, fee_type, currency, amount, collected_at) VALUES (%s, %s, %s, %s, %s)",
        [(rng.randint(1, 10**6), _maybe_leak(rng, rng.choice(["processing", "fx_conversion", "withdrawal"])),
          _maybe_leak(rng, rng.choice(CURRENCIES)), _sign(rng) * Decimal(rng.randint(1, 10**5)) / 100,
          at or _past(rng, now)) for _ in range(n)])


def insert_fraud_alerts(conn: psycopg.Connection, rng: random.Random, n: int, at: datetime | None = None) -> None:
    now = datetime.now(timezone.utc)
    rows = []
    for _ in range(n):
        outcome = rng.choice(["pending", "confirmed_fraud", "false_positive", "false_positive"])
        # history: reviews well inside the 30-day window or well outside it; new rows are reviewed
        # as they are written (reviewed_at is set at review, never back-dated)
        days = rng.choice([1, 5, 20, 40, 90])
        reviewed = None if outcome == "pending" else at or now - timedelta(days=days)
        rows.append((rng.randint(1, 10**6), _maybe_leak(rng, rng.choice(["low", "medium", "high", "critical"])),
                     _maybe_leak(rng, rng.choice(["v1", "v2", "v3"])),
                     _maybe_leak(rng, rng.choice(["rule_based", "ml_model", "velocity"])),
                     outcome, at or _past(rng, now), reviewed))
    conn.cursor().executemany(
        "INSERT INTO fraud_alerts (payment_id, risk_level, model_version, detection_type, outcome, "
        "created_at, reviewed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)


def populate(conn: psycopg.Connection, seed: int = 1, scale: int = 1, at: datetime | None = None) -> None:
    """A bit of everything; `at` None spreads rows over the past; otherwise stamps them `at`."""
    rng = random.Random(seed)
    insert_payments(conn, rng, 150 * scale, at)
    insert_users(conn, rng, 100 * scale, at)
    insert_wallets_and_ledger(conn, rng, 20 * scale, 6, at)
    insert_revenue_and_fees(conn, rng, 60 * scale, at)
    insert_fraud_alerts(conn, rng, 60 * scale, at)
