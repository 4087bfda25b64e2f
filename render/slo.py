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

from model.slo import LONG_WINDOWS, RAW_WINDOWS, SLO_FILE, ServiceSlo, SloSpec, SloSpecError, load_slo_spec

__all__ = ["SLO_FILE", "SloSpecError", "load_slo_spec", "slo_rule_groups"]

REQUESTS = "http_server_requests_seconds_count"
BUCKETS = "http_server_requests_seconds_bucket"


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
