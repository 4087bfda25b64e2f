"""Prometheus's side of an incident, after the fact: when a series changed value, from its own TSDB.

    print(changes(stack, 'up{job="waqiti-payment-service"}', since=started - 30, origin=started))

One line per change of any series of the expression (query_range at a step finer than the scaled
evaluation interval), in seconds after `origin`: e.g. both pods' `up` going to 0 and back, or
ALERTS{alertstate="pending"|"firing"} appearing and going away.
"""
from __future__ import annotations

import time

import requests

STEP = 0.25


def changes(stack, expr: str, since: float, origin: float, until: float | None = None) -> str:
    until = until or time.time()
    response = requests.get(f"{stack.prometheus.url}/api/v1/query_range",
                            params={"query": expr, "start": since, "end": until, "step": STEP}, timeout=10)
    response.raise_for_status()
    lines = []
    for series in response.json()["data"]["result"]:
        labels = ",".join(f"{k}={v}" for k, v in sorted(series["metric"].items())
                          if k in ("instance", "pod", "alertstate", "alertname"))
        previous, last_time = None, None
        for when, value in series["values"]:
            when = float(when)
            if last_time is not None and when - last_time > STEP * 1.5:
                lines.append((last_time + STEP, f"{labels}: (no sample)"))
                previous = None
            if value != previous:
                lines.append((when, f"{labels}: {value}"))
                previous = value
            last_time = when
        if last_time is not None and until - last_time > STEP * 1.5:
            lines.append((last_time + STEP, f"{labels}: (no sample)"))
    return "\n".join(f"  {when - origin:8.2f}s {text}" for when, text in sorted(lines))
