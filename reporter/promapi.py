"""A small client for the Prometheus HTTP API (instant, range and raw-sample queries).

Long periods are split into several requests: Prometheus refuses more than 11,000 points per
series in one range query, and raw samples are fetched a day at a time to keep responses small.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import requests

MAX_POINTS_PER_REQUEST = 10_000
RAW_CHUNK_SECONDS = 86_400


class PrometheusError(RuntimeError):
    pass


@dataclass
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)   # (unix seconds, value)

    def get(self, name: str, default: str = "") -> str:
        return self.labels.get(name, default)


def _unix(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _key(labels: dict[str, str]) -> tuple:
    return tuple(sorted(labels.items()))


class PrometheusAPI:
    def __init__(self, url: str, timeout: float = 120.0, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _get(self, path: str, params: dict) -> dict:
        try:
            response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise PrometheusError(f"cannot reach Prometheus at {self.url}: {error}") from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(f"Prometheus answered {response.status_code} without JSON for {params.get('query')!r}") from None
        if body.get("status") != "success":
            raise PrometheusError(f"Prometheus query {params.get('query')!r} failed: "
                                  f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: datetime | float) -> list[Series]:
        """Instant query; a vector result gives one point per series, a matrix its raw samples."""
        data = self._get("/api/v1/query", {"query": expr, "time": _unix(at)})
        if data["resultType"] == "vector":
            return [Series(r["metric"], [(float(r["value"][0]), float(r["value"][1]))]) for r in data["result"]]
        if data["resultType"] == "matrix":
            return [Series(r["metric"], [(float(t), float(v)) for t, v in r["values"]]) for r in data["result"]]
        raise PrometheusError(f"unexpected result type {data['resultType']} for {expr!r}")

    def query_range(self, expr: str, start: datetime | float, end: datetime | float, step: float) -> list[Series]:
        """Range query evaluated at start, start+step, …, end (both included)."""
        start, end = _unix(start), _unix(end)
        merged: dict[tuple, Series] = {}
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(end, chunk_start + step * (MAX_POINTS_PER_REQUEST - 1))
            data = self._get("/api/v1/query_range",
                             {"query": expr, "start": chunk_start, "end": chunk_end, "step": step})
            for r in data["result"]:
                series = merged.setdefault(_key(r["metric"]), Series(r["metric"]))
                series.points.extend((float(t), float(v)) for t, v in r["values"])
            chunk_start = chunk_end + step
        return list(merged.values())

    def raw_samples(self, selector: str, start: datetime | float, end: datetime | float) -> list[Series]:
        """Every stored sample of `selector` with start <= timestamp < end."""
        start, end = _unix(start), _unix(end)
        merged: dict[tuple, dict[float, float]] = {}
        labels: dict[tuple, dict[str, str]] = {}
        chunk_end = end
        while chunk_end > start:
            width = min(RAW_CHUNK_SECONDS, chunk_end - start)
            for series in self.query(f"{selector}[{int(width * 1000)}ms]", chunk_end):
                key = _key(series.labels)
                labels[key] = series.labels
                samples = merged.setdefault(key, {})
                samples.update((t, v) for t, v in series.points if start <= t < end)
            chunk_end -= width
        return [Series(labels[k], sorted(samples.items())) for k, samples in merged.items() if samples]
