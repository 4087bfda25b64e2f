"""Where an incident's time goes, side by side: Prometheus's alert state and notifier counter,
each Alertmanager's received alert and notification counters, the sinks' arrival times.

    with Timeline(stack, "PaymentServiceDown", integrations=("pagerduty", "slack")) as timeline:
        ... inject the fault, wait for the page ...
    timeline.first("prometheus firing")        # epoch seconds, or None

A background thread polls every 100 ms: Prometheus's /api/v1/alerts (pending/firing, activeAt) and
its own /metrics (prometheus_notifications_sent_total), every running Alertmanager's /api/v2/alerts
(the alert as received, active) and /metrics (alertmanager_notifications_total per integration:
each increment is a notification the peer sent and wrote to its notification log).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime

import requests

POLL = 0.1
LINGER = 1.0


def _counter(text: str, name: str, **labels) -> float:
    """Sum of `name`'s samples with these labels in a /metrics page (a line scan: parsing the whole
    page every 100 ms would cost more than the polling it serves)."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " ") and all(w in line for w in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


class Timeline:
    def __init__(self, stack, alertname: str, integrations: tuple[str, ...] = ("pagerduty", "slack")):
        self.stack = stack
        self.alertname = alertname
        self.integrations = integrations
        self.events: dict[str, float] = {}   # what -> first time it was seen (epoch seconds)
        self.http = requests.Session()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._baseline: dict[str, float] = {}

    def __enter__(self) -> "Timeline":
        self._baseline = self._counters()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(LINGER)  # the last sides of a busy machine's poll catch up
        self._stop.set()
        self._thread.join(5)

    def first(self, what: str) -> float | None:
        return self.events.get(what)

    def _note(self, what: str, when: float | None = None) -> None:
        self.events.setdefault(what, when if when is not None else time.time())

    def _counters(self) -> dict[str, float]:
        counters = {"prometheus sent": _counter(self.http.get(f"{self.stack.prometheus.url}/metrics", timeout=2).text,
                                                "prometheus_notifications_sent_total")}
        for index, am in enumerate(self.stack.alertmanagers):
            if not am.running():
                continue
            text = self.http.get(f"{am.url}/metrics", timeout=2).text
            for integration in self.integrations:
                counters[f"alertmanager-{index} notified {integration}"] = _counter(
                    text, "alertmanager_notifications_total", integration=integration)
        return counters

    def _poll(self) -> None:
        now = time.time()
        for alert in self.http.get(f"{self.stack.prometheus.url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]:
            if alert["labels"].get("alertname") == self.alertname:
                self._note("prometheus active since", _epoch(alert["activeAt"]))
                if alert["state"] == "firing" and "prometheus firing" not in self.events:
                    # sends before this moment were other alerts (the Watchdog's resends)
                    self._baseline["prometheus sent"] = self._counters()["prometheus sent"]
                self._note(f"prometheus {alert['state']}", now)
        for index, am in enumerate(self.stack.alertmanagers):
            if not am.running():
                continue
            for alert in self.http.get(f"{am.url}/api/v2/alerts", params={"active": "true"}, timeout=2).json():
                if alert["labels"].get("alertname") == self.alertname and alert["status"]["state"] != "unprocessed":
                    self._note(f"alertmanager-{index} received", now)
                    self._note("alertmanager startsAt", _epoch(alert["startsAt"]))
        for what, value in self._counters().items():
            if what == "prometheus sent" and "prometheus firing" not in self.events:
                continue
            if value > self._baseline.get(what, 0.0):
                self._note(what, now)
                if what.startswith("alertmanager-"):
                    self._note("alertmanager notified " + what.rsplit(" ", 1)[1], now)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll()
            except (requests.RequestException, ValueError, KeyError):
                pass  # a peer restarting or a half-written answer: the next poll sees it
            self._stop.wait(POLL)
