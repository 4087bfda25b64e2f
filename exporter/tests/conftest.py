"""Fixtures: one throwaway PostgreSQL per test session, a fresh database per test with the
reference schema and the exporter's read-only role, and exporters started in-process."""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import psycopg
import pytest

from exporter.config import Config, load_config
from exporter.service import Exporter
from testsupport.postgres import PostgresServer

EXPORTER_DIR = Path(__file__).resolve().parents[1]
READER = "business_metrics_reader"
READER_PASSWORD = "reader-secret-pw"
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    with PostgresServer() as server:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}'")
        yield server


@dataclasses.dataclass
class Database:
    server: PostgresServer
    name: str

    @property
    def admin_dsn(self) -> str:
        return self.server.dsn_for("postgres", self.server.password, self.name)

    @property
    def reader_dsn(self) -> str:
        return self.server.dsn_for(READER, READER_PASSWORD, self.name)

    def connect(self) -> psycopg.Connection:
        """Superuser connection in autocommit mode, for writing test data."""
        return psycopg.connect(self.admin_dsn, autocommit=True)


@pytest.fixture
def database(postgres) -> Database:
    name = f"platform_{next(_database_numbers)}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = Database(postgres, name)
    with db.connect() as conn:
        conn.execute((EXPORTER_DIR / "schema.sql").read_text())
        conn.execute((EXPORTER_DIR / "reader_role.sql").read_text())
    yield db
    if postgres.running:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


FAST_GROUP = {"interval": 0.2, "safety_lag": 0.2, "statement_timeout": 5.0, "full_scan_timeout": 10.0,
              "recount_interval": 3600.0, "max_watermark_hold": 60.0}


def fast_config(**group_overrides) -> Config:
    """The shipped config.yml with every group refreshing fast."""
    config = load_config(EXPORTER_DIR / "config.yml")
    settings = {**FAST_GROUP, **group_overrides}
    return dataclasses.replace(config, groups={
        name: dataclasses.replace(group, **settings) for name, group in config.groups.items()})


@pytest.fixture
def start_exporter():
    """start_exporter(dsn, config=None) -> a running in-process Exporter; all stopped afterwards."""
    started: list[Exporter] = []

    def start(dsn: str, config: Config | None = None) -> Exporter:
        exporter = Exporter(config or fast_config(), dsn, "127.0.0.1", 0).start()
        started.append(exporter)
        return exporter

    yield start
    for exporter in started:
        exporter.stop()
