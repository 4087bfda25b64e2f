"""The PromQL the reports are built from, over the raw series of docs/metrics-contract.md.

Counters are read as increases over consecutive windows that tile the period exactly; the reporter
sums the windows itself. This keeps every query within Prometheus's sample limit for a monthly
report, gives the trend charts for free, and does not depend on recording rules being up to date.
"""
from __future__ import annotations

from dataclasses import dataclass

from reporter.period import Period
from reporter.promapi import PrometheusAPI

APP_SERVICES = 'job=~"waqiti-.+-service"'
ERRORS = 'status=~"5.."'
WINDOW_SECONDS = 300        # resolution of error-rate and latency checks (violations)
UPTIME_STEP_SECONDS = 60    # resolution of the up/down check
TOTALS_WINDOW_SECONDS = 3600


@dataclass
class Windows:
    """Per-window values of one series, keyed by window end (unix seconds)."""
    labels: dict[str, str]
    values: dict[float, float]

    @property
    def total(self) -> float:
        return sum(self.values.values())


def closed_range(seconds: int) -> str:
    """A range selector that takes in the sample at its start. Prometheus 3's ranges are left-open:
    `[3600s]` leaves out the previous window's last sample, and with it the increase across every
    window boundary (a counter bumped once every 10 minutes read 122 a day instead of 144). One
    millisecond more restores what Prometheus 2 counted; its extrapolation adds 1 ms per window."""
    return f"[{seconds * 1000 + 1}ms]"


def increase_windows(api: PrometheusAPI, selector: str, by: tuple[str, ...], period: Period,
                     window: int = TOTALS_WINDOW_SECONDS, wrap: str = "sum") -> list[Windows]:
    """`wrap by (by) (increase(selector[window]))` at each window end in the period."""
    # Totals (an hour a window) take in each boundary's increase; the 5-minute SLA windows feed
    # ratios and thresholds, which left-open windows keep exact on evenly spaced samples.
    selector_range = closed_range(window) if window >= TOTALS_WINDOW_SECONDS else f"[{window}s]"
    expr = f"{wrap} by ({', '.join(by)}) (increase({selector}{selector_range}))"
    return evaluate_windows(api, expr, period, window)


def evaluate_windows(api: PrometheusAPI, expr: str, period: Period, window: int) -> list[Windows]:
    start = period.start.timestamp() + window
    series = api.query_range(expr, start, period.end.timestamp(), window)
    return [Windows(s.labels, {t: v for t, v in s.points}) for s in series]


def totals_by(windows: list[Windows], *labels: str) -> dict[tuple[str, ...], float]:
    totals: dict[tuple[str, ...], float] = {}
    for w in windows:
        key = tuple(w.labels.get(label, "") for label in labels)
        totals[key] = totals.get(key, 0.0) + w.total
    return totals
