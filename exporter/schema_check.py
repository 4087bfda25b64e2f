"""Checks the mapping against the live database at start: every configured table and column must
exist and be readable by the exporter's role (information_schema only lists what the role may
read), so a typo is a clear error naming the field instead of a failing query every interval."""
from __future__ import annotations

import psycopg

from .config import Config, ConfigError, TableName


def required_columns(config: Config) -> list[tuple[str, TableName, str]]:
    """(config field, table, column) for every column the queries will read."""
    needed = []
    for metric in config.metrics:
        for role in metric.spec.column_labels + metric.spec.roles:
            needed.append((f"metrics.{metric.name}.columns.{role}", metric.table, metric.columns[role]))
        for role in metric.spec.ledger_roles:
            needed.append((f"metrics.{metric.name}.columns.{role}", metric.ledger_table,
                           metric.columns[role]))
    return needed


def check_schema(conn: psycopg.Connection, config: Config) -> None:
    needed = required_columns(config)
    tables = sorted({(t.schema, t.name) for _, t, _ in needed})
    rows = conn.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE (table_schema, table_name) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        [[s for s, _ in tables], [n for _, n in tables]]).fetchall()
    conn.rollback()
    present = {(s, t, c) for s, t, c in rows}
    readable_tables = {(s, t) for s, t, _ in rows}

    errors = []
    second = {f"metrics.{m.name}.columns.{role}": m.spec.second_table
              for m in config.metrics for role in m.spec.ledger_roles}
    for field, table, column in needed:
        if (table.schema, table.name) not in readable_tables:
            field_of_table = field.rsplit(".columns.", 1)[0] + "." + second.get(field, "table")
            message = (f"{field_of_table}: table {table} does not exist or the exporter's role "
                       "cannot read it")
        elif (table.schema, table.name, column) not in present:
            message = (f"{field}: column {column!r} not found in table {table} (or the exporter's "
                       "role cannot read it)")
        else:
            continue
        if message not in errors:
            errors.append(message)
    if errors:
        raise ConfigError("configuration does not match the database:\n  " + "\n  ".join(errors))
