"""Reading an exporter the way Prometheus does: over HTTP, parsing the text exposition."""
from __future__ import annotations

import time

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]


def scrape(port: int) -> Samples:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    response.raise_for_status()
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = dict(sample.labels)
            if "le" in labels:
                labels["le"] = repr(float(labels["le"]))
            samples[(sample.name, frozenset(labels.items()))] = sample.value
    return samples


def business(samples: Samples) -> Samples:
    """Everything but the exporter's own health and the process/runtime metrics."""
    own = ("business_exporter_", "process_", "python_")
    return {k: v for k, v in samples.items() if not k[0].startswith(own)}


def value(samples: Samples, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def last_successes(port: int) -> dict[str, float]:
    return {dict(labels)["group"]: v for (name, labels), v in scrape(port).items()
            if name == "business_exporter_last_success_timestamp_seconds"}


def wait_for_refreshes(port: int, count: int = 2, timeout: float = 30.0, groups=None) -> None:
    """Waits until every group (or those given) has completed `count` more successful refreshes."""
    seen = {g: {t} for g, t in last_successes(port).items() if groups is None or g in groups}
    deadline = time.monotonic() + timeout
    while any(len(times) <= count for times in seen.values()):
        if time.monotonic() > deadline:
            raise AssertionError(f"refreshes did not complete within {timeout}s: {seen}")
        time.sleep(0.05)
        for group, t in last_successes(port).items():
            if group in seen:
                seen[group].add(t)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)
