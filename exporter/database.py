"""Connections: where the conninfo comes from, the read-only session every connection gets, and
telling a misconfiguration (fatal at start) from an outage (wait and retry).

The conninfo is `EXPORTER_DSN` when set, which may be empty; libpq fills whatever it lacks from
its own environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE...). The password comes from the
file named by `EXPORTER_DB_PASSWORD_FILE` (a mounted Kubernetes Secret: never an environment
variable, which would show in process listings and crash dumps), or else from libpq's own sources.
Neither the conninfo nor the password is ever logged.
"""
from __future__ import annotations

import os
import re

import psycopg
import psycopg_pool
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .config import ConfigError

APPLICATION_NAME = "waqiti-business-metrics-exporter"

# Server answers that no retry will change: the role, password, database or pg_hba rule is wrong.
_FATAL_CONNECT_ERRORS = re.compile(
    r"password authentication failed|authentication failed|no pg_hba\.conf entry|"
    r"role .* does not exist|database .* does not exist|password is required|"
    r"invalid (?:sslmode|connection option)", re.IGNORECASE)


def conninfo_from_env(environ=os.environ) -> str:
    conninfo = environ.get("EXPORTER_DSN", "")
    try:
        conninfo_to_dict(conninfo)  # syntax only; connecting is the refreshers' business
    except psycopg.ProgrammingError as exc:
        # The message from libpq quotes no values, so no password can leak through it.
        raise ConfigError(f"EXPORTER_DSN: not a valid libpq connection string or URI ({exc})") from None
    password_file = environ.get("EXPORTER_DB_PASSWORD_FILE")
    if password_file:
        try:
            with open(password_file, encoding="utf-8") as handle:
                password = handle.read().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"EXPORTER_DB_PASSWORD_FILE: cannot read {password_file} ({exc.strerror})") from None
        conninfo = make_conninfo(conninfo, password=password)
    return conninfo


def configure_session(conn: psycopg.Connection) -> None:
    """Every pooled connection is read-only at the session level, whatever the role allows."""
    conn.autocommit = True
    conn.execute("SET default_transaction_read_only = on")
    conn.autocommit = False


def connect_kwargs(connect_timeout: float) -> dict:
    return {"connect_timeout": max(1, int(connect_timeout)), "application_name": APPLICATION_NAME}


def make_pool(conninfo: str, connect_timeout: float, size: int) -> psycopg_pool.ConnectionPool:
    return psycopg_pool.ConnectionPool(
        conninfo, kwargs=connect_kwargs(connect_timeout), min_size=1, max_size=max(1, size),
        configure=configure_session, check=psycopg_pool.ConnectionPool.check_connection,
        name="business-metrics", open=False)


def connect_once(conninfo: str, connect_timeout: float) -> psycopg.Connection:
    """A direct connection for the start-up checks; raises ConfigError for misconfiguration and
    psycopg.OperationalError for anything a retry might cure."""
    try:
        conn = psycopg.connect(conninfo, **connect_kwargs(connect_timeout))
    except psycopg.OperationalError as exc:
        if _FATAL_CONNECT_ERRORS.search(str(exc)):
            raise ConfigError(f"database connection (EXPORTER_DSN / PG* environment): "
                              f"{_server_message(exc)}") from None
        raise
    configure_session(conn)
    return conn


def _server_message(exc: Exception) -> str:
    """The server's own words (FATAL: ...) without the host details around them."""
    text = str(exc).strip()
    match = re.search(r"FATAL:\s*(.*)", text)
    return (match.group(1) if match else text.splitlines()[-1]).strip()
