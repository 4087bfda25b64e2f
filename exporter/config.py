"""Loads and validates the exporter's YAML mapping (see config.yml for the format).

Every error names the offending field as a dotted path (`metrics.revenue_total.columns.amount`), so
an operator can fix the file without reading code. Checks against the live database (tables and
columns exist) happen later, in schema_check.py.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .catalog import CATALOG, OTHER, MetricSpec


class ConfigError(Exception):
    """The configuration cannot work; the message names the field and what was expected."""


@dataclass(frozen=True)
class GroupConfig:
    name: str
    interval: float  # seconds between refreshes
    statement_timeout: float  # for each incremental or snapshot query
    full_scan_timeout: float  # for the seeding aggregate and the periodic recount
    recount_interval: float
    safety_lag: float  # rows younger than this are left for the next refresh (late commits)
    max_watermark_hold: float  # how long an open transaction may hold the watermark back


@dataclass(frozen=True)
class TableName:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class MetricConfig:
    spec: MetricSpec
    group: str
    table: TableName
    columns: dict[str, str]  # role (label or column role) -> column name
    allowlists: dict[str, tuple[str, ...]]  # label -> allowed values
    ledger_table: TableName | None = None  # the table of spec.ledger_roles (a ledger, or a log)
    buckets: dict[str, tuple[float, ...]] | None = None  # "default" or a first-label value -> bounds
    window: float | None = None  # ratio: seconds of history considered
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    def bucket_bounds(self, label_value: str | None) -> tuple[float, ...]:
        assert self.buckets is not None
        return self.buckets.get(label_value or "default", self.buckets["default"])

    def all_bucket_bounds(self) -> tuple[float, ...]:
        assert self.buckets is not None
        return tuple(sorted({b for bounds in self.buckets.values() for b in bounds}))


@dataclass(frozen=True)
class Config:
    groups: dict[str, GroupConfig]
    metrics: tuple[MetricConfig, ...]
    connect_timeout: float

    def metrics_of(self, group: str) -> list[MetricConfig]:
        return [m for m in self.metrics if m.group == group]


GROUP_DEFAULTS = {"interval": "30s", "statement_timeout": "10s", "full_scan_timeout": "5m",
                  "recount_interval": "1h", "safety_lag": "10s", "max_watermark_hold": "15m"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def load_config(path: str | Path) -> Config:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(data)


def parse_config(data: Any) -> Config:
    root = _mapping(data, "(top level)", {"database", "groups", "labels", "metrics"})
    database = _mapping(root.get("database", {}), "database", {"connect_timeout"})
    connect_timeout = duration(database.get("connect_timeout", "5s"), "database.connect_timeout")

    groups_data = _mapping(root.get("groups"), "groups", None)
    if not groups_data:
        raise ConfigError("groups: at least one query group is required")
    groups = {name: _parse_group(name, value) for name, value in groups_data.items()}

    labels_data = _mapping(root.get("labels"), "labels", None)
    allowlists = {name: _allowlist(values, f"labels.{name}") for name, values in labels_data.items()}

    metrics_data = _mapping(root.get("metrics"), "metrics", None)
    if not metrics_data:
        raise ConfigError("metrics: at least one metric is required")
    metrics = []
    for name, value in metrics_data.items():
        if name not in CATALOG:
            raise ConfigError(f"metrics.{name}: unknown metric; known metrics are "
                              + ", ".join(sorted(CATALOG)))
        metrics.append(_parse_metric(CATALOG[name], value, groups, allowlists))
    return Config(groups=groups, metrics=tuple(metrics), connect_timeout=connect_timeout)


def duration(value: Any, where: str) -> float:
    """Seconds from a number or a string such as "500ms", "15s", "5m", "1h", "30d"."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a duration such as 15s, 5m or 1h, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(f"{where}: expected a duration such as 15s, 5m or 1h, got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(f"{where}: expected a non-negative duration, got {value!r}")
    return seconds


def _parse_group(name: str, data: Any) -> GroupConfig:
    where = f"groups.{name}"
    values = {**GROUP_DEFAULTS, **_mapping(data or {}, where, set(GROUP_DEFAULTS))}
    seconds = {key: duration(value, f"{where}.{key}") for key, value in values.items()}
    for key in ("interval", "statement_timeout", "full_scan_timeout", "recount_interval"):
        if seconds[key] <= 0:
            raise ConfigError(f"{where}.{key}: must be greater than zero")
    return GroupConfig(name=name, **seconds)


def _parse_metric(spec: MetricSpec, data: Any, groups: dict[str, GroupConfig],
                  allowlists: dict[str, tuple[str, ...]]) -> MetricConfig:
    where = f"metrics.{spec.name}"
    allowed = {"group", "table", "columns"}
    if spec.ledger_roles:
        allowed.add(spec.second_table)
    if spec.type == "histogram":
        allowed.add("buckets")
    if spec.shape == "ratio":
        allowed |= {"window", "numerator", "denominator"}
    if spec.labels:
        allowed.add("labels")
    data = _mapping(data, where, allowed)

    group = _string(data.get("group"), f"{where}.group")
    if group not in groups:
        raise ConfigError(f"{where}.group: unknown group {group!r}; defined groups are "
                          + ", ".join(sorted(groups)))
    table = _table(data.get("table"), f"{where}.table")
    ledger_table = _table(data.get(spec.second_table), f"{where}.{spec.second_table}") \
        if spec.ledger_roles else None

    # A role not mapped explicitly is looked up under its own name.
    columns_data = _mapping(data.get("columns", {}), f"{where}.columns", set(spec.all_roles))
    columns = {role: _string(columns_data.get(role, role), f"{where}.columns.{role}")
               for role in spec.all_roles}

    # Allowlists are shared by label name; a metric may narrow or replace one (`source` means
    # different things for revenue and for registrations).
    own = _mapping(data.get("labels", {}), f"{where}.labels", set(spec.column_labels))
    allowlists = {**allowlists, **{label: _allowlist(values, f"{where}.labels.{label}")
                                   for label, values in own.items()}}
    metric_allowlists = {name: values for name, _, values in spec.computed_labels}
    for label in spec.column_labels:
        if label not in allowlists:
            raise ConfigError(f"labels.{label}: missing allowlist for label {label!r} of {spec.name} "
                              "(list the values that may appear; anything else is exported as "
                              f"{OTHER!r})")
        metric_allowlists[label] = allowlists[label]

    extra: dict[str, Any] = {}
    if spec.type == "histogram":
        extra["buckets"] = _buckets(spec, data.get("buckets"), f"{where}.buckets", metric_allowlists)
    if spec.shape == "ratio":
        extra["window"] = duration(data.get("window", "30d"), f"{where}.window")
        extra["numerator"] = _allowlist(data.get("numerator"), f"{where}.numerator")
        extra["denominator"] = _allowlist(data.get("denominator"), f"{where}.denominator")
        missing = set(extra["numerator"]) - set(extra["denominator"])
        if missing:
            raise ConfigError(f"{where}.numerator: values {sorted(missing)} are not in "
                              f"{where}.denominator, so the ratio could exceed 1")
    return MetricConfig(spec=spec, group=group, table=table, columns=columns,
                        allowlists=metric_allowlists, ledger_table=ledger_table, **extra)


def _buckets(spec: MetricSpec, data: Any, where: str,
             allowlists: dict[str, tuple[str, ...]]) -> dict[str, tuple[float, ...]]:
    if data is None:
        data = {"default": list(spec.default_buckets)}
    elif isinstance(data, list):
        data = {"default": data}
    data = _mapping(data, where, None)
    if "default" not in data:
        raise ConfigError(f"{where}.default: required (the bounds for label values not listed)")
    first_label_values = allowlists[spec.labels[0]] if spec.labels else ()
    buckets = {}
    for key, bounds in data.items():
        key = str(key)
        if key != "default" and key not in first_label_values:
            raise ConfigError(f"{where}.{key}: per-value buckets need a value of the allowlist "
                              f"labels.{spec.labels[0] if spec.labels else '(none)'}")
        if not isinstance(bounds, list) or not bounds or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b)
                for b in bounds):
            raise ConfigError(f"{where}.{key}: expected a non-empty list of finite numbers")
        if list(bounds) != sorted(set(bounds)):
            raise ConfigError(f"{where}.{key}: bounds must be strictly increasing")
        missing = [b for b in spec.required_buckets if b not in bounds]
        if missing:
            raise ConfigError(f"{where}.{key}: must include the bounds {missing} (used by the SLOs)")
        buckets[key] = tuple(float(b) for b in bounds)
    return buckets


def _mapping(value: Any, where: str, allowed: set[str] | None) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    if allowed is not None:
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown field; expected one of "
                              + ", ".join(sorted(allowed)))
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _table(value: Any, where: str) -> TableName:
    text = _string(value, where)
    schema, _, name = text.rpartition(".")
    if not name:
        raise ConfigError(f"{where}: expected 'table' or 'schema.table', got {text!r}")
    return TableName(schema or "public", name)


def _allowlist(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: expected a non-empty list of values")
    result = []
    for i, value in enumerate(values):
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{where}[{i}]: expected a plain value, got {value!r}")
        result.append(str(value))
    if OTHER in result:
        raise ConfigError(f"{where}: {OTHER!r} is reserved for values outside the allowlist")
    return tuple(result)
