"""Checks at start that the indexes the refresh queries rely on exist (schema.sql lists them).
A missing index is not fatal, since the queries still work, but each one turns an index range into a
whole-table scan on every refresh, so it is logged as a warning naming the index and the query."""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from .config import Config, MetricConfig, TableName


@dataclass(frozen=True)
class NeededIndex:
    table: TableName
    column: str  # the index's first key column
    metric: str
    query: str  # what the index serves, in words
    covers: tuple[str, ...] = ()  # further columns the index must hold (key or INCLUDE): index-only

    @property
    def suggested_name(self) -> str:
        return f"{self.table.name}_{'_'.join((self.column, *self.covers))}_idx"


def _needs(metric: MetricConfig) -> list[tuple]:
    """(table, first key column, what it serves[, columns it must cover]) per index."""
    c, shape = metric.columns, metric.spec.shape
    if shape in ("events", "transitions"):
        ts = c[metric.spec.timestamp_role]
        return [(metric.table, ts, f"rows with {ts} in [watermark, high)")]
    if shape == "balances":
        return [(metric.ledger_table, c["ledger_created_at"], "ledger entries of the window"),
                (metric.table, c["id"], "the wallets of those entries")]
    if shape == "reconciliation":
        return [(metric.ledger_table, c["ledger_created_at"], "wallets with ledger entries in the window"),
                (metric.table, c["updated_at"], "wallets with balances updated in the window"),
                (metric.ledger_table, c["ledger_wallet_id"], "the ledger sum of each changed wallet",
                 (c["ledger_amount"],)),
                (metric.table, c["id"], "the balance of each changed wallet")]
    if shape == "ratio":
        return [(metric.table, c["reviewed_at"], "reviews that entered or left the window")]
    if shape == "active_users":
        return [(metric.ledger_table, c["log_occurred_at"], "activity updates of the window"),
                (metric.table, c["last_active_at"], "users whose last activity slid out of a timeframe")]
    return []


def needed_indexes(config: Config) -> list[NeededIndex]:
    needed, seen = [], set()
    for metric in config.metrics:
        for table, column, query, *covers in _needs(metric):
            index = NeededIndex(table, column, metric.name, query, tuple(*covers))
            if (table, column, index.covers) not in seen:
                seen.add((table, column, index.covers))
                needed.append(index)
    return needed


# (schema, table, first key column, every column it holds) of every valid index on a plain or
# partitioned table; the catalogs are readable by any role. Views are left out: their base
# tables' indexes apply.
_INDEXED = """
SELECT n.nspname, c.relname, a.attname,
       ARRAY(SELECT h.attname FROM pg_catalog.pg_attribute h
             WHERE h.attrelid = i.indrelid AND h.attnum = ANY(i.indkey))
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indisvalid
"""
_TABLES = """
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')
"""


def missing_indexes(conn: psycopg.Connection, config: Config) -> list[NeededIndex]:
    indexed: dict[tuple[str, str, str], list[set[str]]] = {}
    for schema, table, first, columns in conn.execute(_INDEXED).fetchall():
        indexed.setdefault((schema, table, first), []).append(set(columns))
    tables = set(conn.execute(_TABLES).fetchall())
    conn.rollback()
    return [n for n in needed_indexes(config)
            if (n.table.schema, n.table.name) in tables
            and not any(set(n.covers) <= columns
                        for columns in indexed.get((n.table.schema, n.table.name, n.column), []))]


def warning(index: NeededIndex) -> str:
    if index.covers:
        return (f"no index on {index.table}({index.column}) that also holds {', '.join(index.covers)} "
                f"(schema.sql: {index.suggested_name}): the query of {index.metric} for {index.query} "
                f"reads a table page per row instead of the index only")
    return (f"no index on {index.table}({index.column}) (schema.sql: {index.suggested_name}): the query "
            f"of {index.metric} for {index.query} scans the whole table on every refresh")
