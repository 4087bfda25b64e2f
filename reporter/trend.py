"""Error-rate trend: 5-minute windows regrouped into chart buckets (hours, quarter days or days)."""
from __future__ import annotations

from reporter.period import Period
from reporter.queries import WINDOW_SECONDS
from reporter.sla import ServiceSla

BUCKET_SECONDS = {"daily": 3600, "weekly": 6 * 3600, "monthly": 86400}


def error_rate_trend(sla: ServiceSla, period: Period) -> list[tuple[float, float]]:
    """(bucket start, error ratio) for each bucket with requests; buckets without data are left out."""
    size = BUCKET_SECONDS[period.kind]
    start = period.start.timestamp()
    requests: dict[float, float] = {}
    errors: dict[float, float] = {}
    for t, count in sla.request_windows.items():
        bucket = start + ((t - WINDOW_SECONDS - start) // size) * size
        requests[bucket] = requests.get(bucket, 0.0) + count
        errors[bucket] = errors.get(bucket, 0.0) + sla.error_windows.get(t, 0.0)
    return [(b, errors[b] / requests[b]) for b in sorted(requests) if requests[b] > 0]
