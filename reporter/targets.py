"""The SLO targets file (services' targets and the paging policy), loaded and checked once.

The stack renders it from configs/slo.yml and the rules' team labels (render/report_targets.py) and
mounts it into the report jobs; the image carries no copy of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

@dataclass(frozen=True)
class ServiceTarget:
    service: str
    availability: float          # minimum fraction of good requests / of time up
    error_rate: float            # maximum fraction of 5xx responses
    latency_p95_seconds: float   # P95 must stay below this


@dataclass(frozen=True)
class PagingPolicy:
    severities: tuple[str, ...]
    teams: tuple[str, ...]
    escalation_minutes: float


@dataclass(frozen=True)
class Targets:
    services: dict[str, ServiceTarget]
    paging: PagingPolicy


def _fraction(path: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{path} must be a number between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def _positive(path: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{path} must be a positive number, got {value!r}")
    return float(value)


def parse_targets(document: dict, source: str = "targets") -> Targets:
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict) or not document["services"]:
        raise ValueError(f"{source}: expected a mapping with a non-empty 'services' mapping")
    services = {}
    for name, spec in document["services"].items():
        if not isinstance(spec, dict):
            raise ValueError(f"{source}: services.{name} must be a mapping")
        unknown = set(spec) - {"availability", "error_rate", "latency_p95_seconds"}
        if unknown:
            raise ValueError(f"{source}: services.{name} has unknown keys {sorted(unknown)}")
        services[str(name)] = ServiceTarget(
            service=str(name),
            availability=_fraction(f"{source}: services.{name}.availability", spec.get("availability")),
            error_rate=_fraction(f"{source}: services.{name}.error_rate", spec.get("error_rate")),
            latency_p95_seconds=_positive(f"{source}: services.{name}.latency_p95_seconds",
                                          spec.get("latency_p95_seconds")))
    paging = document.get("paging") or {}
    policy = PagingPolicy(
        severities=tuple(paging.get("severities", ["critical"])),
        teams=tuple(paging.get("teams", [])),
        escalation_minutes=_positive(f"{source}: paging.escalation_minutes", paging.get("escalation_minutes", 30)))
    return Targets(services=services, paging=policy)


def load_targets(path: Path | str) -> Targets:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read SLO targets file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"SLO targets file {path} is not valid YAML: {error}") from None
    return parse_targets(document, str(path))
