"""The SLO spec (configs/slo.yml), validated with pydantic: the one source of every objective.

render/slo.py turns it into recording rules and burn-rate alerts, the dashboards colour against it
and the report jobs judge the services by it (render/report_targets.py writes their file).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLO_FILE = Path(__file__).resolve().parent.parent / "configs" / "slo.yml"

# Windows the SLI ratios are recorded over (the contract's list). Up to 6h they are computed from the
# raw counters (exact, cheap enough); 1d and longer sum the recorded 5m rates, so no rule reads days of
# raw histogram samples every evaluation.
RAW_WINDOWS = ("5m", "30m", "1h", "2h", "6h")
LONG_WINDOWS = ("1d", "3d", "30d")
WINDOWS = RAW_WINDOWS + LONG_WINDOWS


class SloSpecError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Latency(_Strict):
    percentile: Annotated[float, Field(gt=0, lt=100)]
    threshold_seconds: Annotated[float, Field(gt=0)]


class ServiceSlo(_Strict):
    job: Annotated[str, Field(min_length=1)]
    team: Annotated[str, Field(pattern=r"^[a-z]+$")]
    availability: Annotated[float, Field(gt=0, lt=100, description="percent of requests that are not 5xx")]
    error_rate: Annotated[float, Field(gt=0, lt=100, description="percent of 5xx allowed")]
    latency: Latency

    @model_validator(mode="after")
    def _same_budget(self):
        # The spec states the availability budget twice (99.9% up, 0.1% errors): they must agree.
        if not math.isclose(self.availability + self.error_rate, 100.0, abs_tol=1e-9):
            raise ValueError(
                f"error_rate {self.error_rate}% contradicts availability {self.availability}% "
                f"(expected error_rate = 100 - availability = {100 - self.availability:g})"
            )
        return self

    def objectives(self) -> dict[str, float]:
        """slo label -> objective as a ratio (0.999)."""
        return {
            "availability": round(self.availability / 100, 10),
            "latency": round(self.latency.percentile / 100, 10),
        }


class BurnRateAlert(_Strict):
    severity: Literal["critical", "warning"]
    long_window: str
    short_window: str
    factor: Annotated[float, Field(gt=0)]

    @field_validator("long_window", "short_window")
    @classmethod
    def _recorded(cls, value: str) -> str:
        if value not in WINDOWS:
            raise ValueError(f"expected one of the recorded windows {list(WINDOWS)}, got {value!r}")
        return value


class Paging(_Strict):
    """Which alerts page the on-call engineer; who is on the rota comes from the rules' `team` labels."""

    severities: Annotated[list[Literal["critical", "warning"]], Field(min_length=1)] = ["critical"]
    escalation_minutes: Annotated[float, Field(gt=0)] = 30


class SloSpec(_Strict):
    period: Literal["30d"]
    services: dict[Annotated[str, Field(pattern=r"^[a-z]+$")], ServiceSlo]
    burn_rate_alerts: Annotated[list[BurnRateAlert], Field(min_length=1)]
    paging: Paging = Paging()

    @model_validator(mode="after")
    def _budget_can_burn(self):
        # A factor so high that factor x budget >= 100% errors can never fire.
        for name, service in self.services.items():
            for slo, objective in service.objectives().items():
                for alert in self.burn_rate_alerts:
                    if alert.factor * (1 - objective) >= 1:
                        raise ValueError(
                            f"services.{name}.{slo}: burn rate {alert.factor} x budget {1 - objective:g} "
                            f">= 1, the {alert.long_window}/{alert.short_window} alert could never fire"
                        )
        return self


def load_slo_spec(path: Path | str | None = None) -> SloSpec:
    """Read and validate the SLO spec (default: configs/slo.yml); errors name the file, the service and the field."""
    path = Path(path or SLO_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return SloSpec.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "(top level)"
            message = item["msg"].removeprefix("Value error, ")
            got = f" (got {item['input']!r})" if item["type"] != "missing" and not isinstance(item["input"], dict) else ""
            problems.append(f"{path.name}: {where}: {message}{got}")
        raise SloSpecError("invalid SLO spec:\n  - " + "\n  - ".join(problems)) from None
