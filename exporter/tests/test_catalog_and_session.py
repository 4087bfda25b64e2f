"""The catalog says what docs/metrics-contract.md says, the shipped config maps all of it, and
every exporter connection is read-only whatever its role may do."""
from __future__ import annotations

import re

import psycopg
import pytest

from exporter.catalog import CATALOG
from exporter.config import ConfigError, duration, load_config
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from exporter.database import connect_once, conninfo_from_env

from .conftest import EXPORTER_DIR

CONTRACT = EXPORTER_DIR.parent / "docs" / "metrics-contract.md"


def contract_metrics() -> dict[str, tuple[str, ...]]:
    """`name{labels}` and bare `name` entries of the contract's business metrics section."""
    text = CONTRACT.read_text()
    section = text.split("## Business metrics", 1)[1].split("- The exporter's own health", 1)[0]
    found = {}
    for name, labels in re.findall(r"`([a-z_]+)(?:\{([a-z_,]*)\})?`", section):
        if name.endswith(("_total", "_amount", "_seconds", "_changes", "_failures", "_status",
                          "_accuracy", "_rate")):
            found[name] = tuple(labels.split(",")) if labels else ()
    return found


def test_catalog_matches_the_metrics_contract():
    contract = contract_metrics()
    assert len(contract) == 15
    assert {name: spec.labels for name, spec in CATALOG.items() if spec.shape != "active_users"} == \
        {name: labels for name, labels in contract.items() if name != "user_active_total"}
    assert contract["user_active_total"] == ("timeframe",)


def test_contract_health_metric_names_are_the_exporters():
    text = CONTRACT.read_text()
    health_names = set(re.findall(r"`(business_exporter_[a-z_]+)", text))
    source = (EXPORTER_DIR / "health.py").read_text()
    assert health_names and all(f'"{name}"' in source for name in health_names)


def test_shipped_config_maps_every_metric():
    config = load_config(EXPORTER_DIR / "config.yml")
    assert {m.name for m in config.metrics} == set(CATALOG)
    processing = next(m for m in config.metrics if m.name == "payment_processing_time_seconds")
    assert {0.2, 0.5} <= set(processing.bucket_bounds(None))


@pytest.mark.parametrize("text, seconds", [("15s", 15), ("500ms", 0.5), ("5m", 300), ("1h", 3600),
                                           ("30d", 2592000), (7, 7)])
def test_durations(text, seconds):
    assert duration(text, "x") == seconds


def test_duration_error_names_the_field():
    with pytest.raises(ConfigError, match=r"^groups\.users\.interval: expected a duration"):
        duration("-5s", "groups.users.interval")


def test_dsn_comes_from_exporter_dsn_or_else_libpq_environment():
    assert conninfo_from_env({"EXPORTER_DSN": "host=db user=reader"}) == "host=db user=reader"
    assert conninfo_from_env({"PGHOST": "db"}) == ""  # libpq reads PG* itself
    with pytest.raises(ConfigError, match="EXPORTER_DSN"):
        conninfo_from_env({"EXPORTER_DSN": "postgresql://[broken"})


def test_the_password_comes_from_a_file(tmp_path):
    secret = tmp_path / "db-password"
    secret.write_text("s3 cr'et\n")  # a trailing newline, as `kubectl create secret --from-file` may leave
    conninfo = conninfo_from_env({"EXPORTER_DSN": "host=db user=reader", "EXPORTER_DB_PASSWORD_FILE": str(secret)})
    assert conninfo_to_dict(conninfo) == {"host": "db", "user": "reader", "password": "s3 cr'et"}
    with pytest.raises(ConfigError, match="^EXPORTER_DB_PASSWORD_FILE: cannot read"):
        conninfo_from_env({"EXPORTER_DB_PASSWORD_FILE": str(tmp_path / "missing")})


def test_a_password_file_connects_for_real(database, tmp_path):
    params = conninfo_to_dict(database.reader_dsn)
    secret = tmp_path / "db-password"
    secret.write_text(params.pop("password"))
    conninfo = conninfo_from_env({"EXPORTER_DSN": make_conninfo(**params), "EXPORTER_DB_PASSWORD_FILE": str(secret)})
    with connect_once(conninfo, 5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_sessions_are_read_only_even_for_a_superuser(database):
    with connect_once(database.admin_dsn, 5) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO users (email, source, user_type) VALUES ('a', 'b', 'c')")
