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

    @property
    def suggested_name(self) -> str:
        return f"{self.table.name}_{self.column}_idx"


def _needs(metric: MetricConfig) -> list[tuple[TableName, str, str]]:
    c, shape = metric.columns, metric.spec.shape
    if shape == "events":
        ts = c[metric.spec.timestamp_role]
        return [(metric.table, ts, f"rows with {ts} in [watermark, high)")]
    if shape == "balances":
        return [(metric.ledger_table, c["ledger_created_at"], "ledger entries of the window"),
                (metric.table, c["id"], "the wallets of those entries")]
    if shape == "reconciliation":
        return [(metric.ledger_table, c["ledger_created_at"], "wallets with ledger entries in the window"),
                (metric.table, c["updated_at"], "wallets with balances updated in the window"),
                (metric.ledger_table, c["ledger_wallet_id"], "the ledger sum of each changed wallet"),
                (metric.table, c["id"], "the balance of each changed wallet")]
    if shape == "ratio":
        return [(metric.table, c["reviewed_at"], "reviews that entered or left the window")]
    if shape == "active_users":
        return [(metric.table, c["last_active_at"], "users active in the last 30 days")]
    if shape == "snapshot" and metric.spec.column_labels and not metric.spec.value:
        label = c[metric.spec.column_labels[0]]
        return [(metric.table, label, f"count per {label} (an index-only scan)")]
    return []


def needed_indexes(config: Config) -> list[NeededIndex]:
    needed, seen = [], set()
    for metric in config.metrics:
        for table, column, query in _needs(metric):
            if (table, column) not in seen:
                seen.add((table, column))
                needed.append(NeededIndex(table, column, metric.name, query))
    return needed


# (schema, table, first key column) of every valid index on a plain or partitioned table; the
# catalogs are readable by any role. Views are left out: their base tables' indexes apply.
_INDEXED = """
SELECT n.nspname, c.relname, a.attname
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
    indexed = set(conn.execute(_INDEXED).fetchall())
    tables = set(conn.execute(_TABLES).fetchall())
    conn.rollback()
    return [n for n in needed_indexes(config)
            if (n.table.schema, n.table.name) in tables
            and (n.table.schema, n.table.name, n.column) not in indexed]


def warning(index: NeededIndex) -> str:
    return (f"no index on {index.table}({index.column}) (schema.sql: {index.suggested_name}): the query "
            f"of {index.metric} for {index.query} scans the whole table on every refresh")
