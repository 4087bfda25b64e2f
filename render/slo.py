"""The SLO spec (configs/slo.yml): validated with pydantic, turned into Prometheus rules.

Generated here, once, for every SLO of the spec (names from docs/metrics-contract.md):
  slo:sli_requests:rate5m, slo:sli_bad_requests:rate5m   per-SLO request and bad-request rates (5m)
  slo:sli_error:ratio_rate<window>                       bad / all requests over each window
  slo:objective:ratio, slo:error_budget_remaining:ratio
  SLOErrorBudgetBurn                                      multi-window multi-burn-rate alerts
An SLI is "bad" when the response is a 5xx (availability) or slower than the threshold bucket
(latency: requests counted under le="<threshold>", never a quantile estimate).
"""

from __future__ import annotations

import math
import re
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

REQUESTS = "http_server_requests_seconds_count"
BUCKETS = "http_server_requests_seconds_bucket"

_DURATION = re.compile(r"^[0-9]+[mhd]$")


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


class SloSpec(_Strict):
    period: Literal["30d"]
    services: dict[Annotated[str, Field(pattern=r"^[a-z]+$")], ServiceSlo]
    burn_rate_alerts: Annotated[list[BurnRateAlert], Field(min_length=1)]

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


def load_slo_spec(path: Path | str = SLO_FILE) -> SloSpec:
    """Read and validate the SLO spec; errors name the file, the service and the field."""
    path = Path(path)
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


def _le(seconds: float) -> str:
    # A bucket bound as Prometheus 3 stores it, whatever the client wrote (0.5, 0.2, "1" -> 1.0):
    # shortest round-trip digits, ".0" on whole numbers: Python's repr, below 1e6 seconds (Go writes 1e+06).
    return repr(float(seconds))


def _sel(name: str, job: str, extra: str = "") -> str:
    return f'{name}{{job="{job}"{extra}}}'


def _bad_rate(service: ServiceSlo, slo: str, window: str) -> str:
    """Rate of bad requests; `or vector(0)` so that no 5xx series at all is 0, not an empty result."""
    if slo == "availability":
        errors = _sel(REQUESTS, service.job, ',status=~"5.."')
        return f"(sum(rate({errors}[{window}])) or vector(0))"
    # No `or vector(0)` on the bucket: a service without histogram buckets has no latency SLI,
    # rather than one that reads "every request was slow" and pages.
    fast = _sel(BUCKETS, service.job, f',le="{_le(service.latency.threshold_seconds)}"')
    return f"(sum(rate({_sel(REQUESTS, service.job)}[{window}])) - sum(rate({fast}[{window}])))"


def _all_rate(service: ServiceSlo, window: str) -> str:
    return f"sum(rate({_sel(REQUESTS, service.job)}[{window}]))"


def slo_rule_groups(spec: SloSpec) -> list[dict]:
    """The rule groups of the SLO spec, as plain data for a Prometheus rule file."""
    sli_groups = []
    objectives = []
    alerts = []
    for name, service in spec.services.items():
        rules = []
        for slo in ("availability", "latency"):
            labels = {"service": name, "slo": slo}
            rules.append({"record": "slo:sli_requests:rate5m", "expr": _all_rate(service, "5m"), "labels": labels})
            rules.append({"record": "slo:sli_bad_requests:rate5m", "expr": _bad_rate(service, slo, "5m"), "labels": labels})
            for window in RAW_WINDOWS:
                rules.append({
                    "record": f"slo:sli_error:ratio_rate{window}",
                    "expr": f"{_bad_rate(service, slo, window)}\n/\n{_all_rate(service, window)}",
                    "labels": labels,
                })
        sli_groups.append({"name": f"slo-sli-{name}", "rules": rules})

        for slo, objective in service.objectives().items():
            labels = {"service": name, "slo": slo}
            objectives.append({"record": "slo:objective:ratio", "expr": f"vector({objective:g})", "labels": labels})
            for burn in spec.burn_rate_alerts:
                budget = f"(1 - {objective:g})"
                selector = f'{{service="{name}",slo="{slo}"}}'
                what = "5xx responses" if slo == "availability" else f"requests slower than {service.latency.threshold_seconds:g}s"
                alerts.append({
                    "alert": "SLOErrorBudgetBurn",
                    "expr": (
                        f"slo:sli_error:ratio_rate{burn.long_window}{selector} > ({burn.factor:g} * {budget})\n"
                        f"and\n"
                        f"slo:sli_error:ratio_rate{burn.short_window}{selector} > ({burn.factor:g} * {budget})"
                    ),
                    "labels": {
                        "severity": burn.severity,
                        "team": service.team,
                        "service": name,
                        "slo": slo,
                        "long_window": burn.long_window,
                        "short_window": burn.short_window,
                    },
                    "annotations": {
                        "summary": f"{name} {slo} SLO is burning its error budget {burn.factor:g}x too fast",
                        "description": (
                            f"{{{{ $value | humanizePercentage }}}} of {name} requests are {what} over the last "
                            f"{burn.short_window} (and over {burn.long_window}); the objective is {objective * 100:g}%. "
                            f"At {burn.factor:g}x the {spec.period} budget lasts {_days_left(spec.period, burn.factor)}."
                        ),
                    },
                })

    long_rules = [
        {
            "record": f"slo:sli_error:ratio_rate{window}",
            "expr": f"sum_over_time(slo:sli_bad_requests:rate5m[{window}])\n/\nsum_over_time(slo:sli_requests:rate5m[{window}])",
        }
        for window in LONG_WINDOWS
    ]
    budget = {
        "record": "slo:error_budget_remaining:ratio",
        "expr": f"1 - slo:sli_error:ratio_rate{spec.period} / on (service, slo) (1 - slo:objective:ratio)",
    }
    return sli_groups + [
        {"name": "slo-long-windows", "interval": "1m", "rules": long_rules + objectives + [budget]},
        {"name": "slo-burn-rate-alerts", "rules": alerts},
    ]


def _days_left(period: str, factor: float) -> str:
    hours = int(period[:-1]) * 24 / factor
    return f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f} days"
