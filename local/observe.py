"""Driving and watching a running LocalStack: faults in, notifications out (for drills and benchmarks).

Notifications are read from where they land: the webhook sink (Slack, PagerDuty, status page),
the SMTP sink, and moto's SNS topic. Each is classified into a `Notification` with the alert names
it carries and whether it announces firing or resolved.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests

from local.stack import SERVICES, LocalStack

_TITLE = re.compile(r"\[(FIRING:\d+|RESOLVED)\]\s+(\w+)")


@dataclass(frozen=True)
class Notification:
    channel: str        # pagerduty, slack, email, sms, webhook
    target: str         # slack channel, email recipient, webhook path, SNS topic
    status: str         # firing or resolved
    alertnames: tuple[str, ...]
    time: float         # when it arrived (epoch seconds)
    raw: dict


class Observer:
    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.http = requests.Session()
        self._since_request = 0
        self._since_email = 0
        self._since_sms = 0

    # -- faults ------------------------------------------------------------------------------------
    def service_faults(self, service: str, **faults) -> None:
        self.http.post(f"{self.stack.service_url(service)}/faults", json=faults, timeout=5).raise_for_status()

    def payment_failure_ratio(self, ratio: float) -> None:
        self.http.post(f"{self.stack.traffic_url}/faults", json={"payment_failure_ratio": ratio}, timeout=5).raise_for_status()

    def reconciliation_failure(self) -> None:
        self.http.post(f"{self.stack.traffic_url}/reconciliation-failure", timeout=5).raise_for_status()

    def heal(self) -> None:
        """Every fault cleared: services healthy, 1% payment failures, balances repaired, no silences."""
        self.stack.check_processes()
        for service in SERVICES:
            self.http.delete(f"{self.stack.service_url(service)}/faults", timeout=5).raise_for_status()
        self.http.delete(f"{self.stack.traffic_url}/faults", timeout=5).raise_for_status()
        if not self.stack.postgres.running:
            self.stack.postgres.start()
        for index, alertmanager in enumerate(self.stack.alertmanagers):
            if not alertmanager.running():
                self.stack.restart_alertmanager(index)
        for silence in self.http.get(f"{self.alertmanager_url}/api/v2/silences", timeout=5).json():
            if silence["status"]["state"] != "expired":
                self.http.delete(f"{self.alertmanager_url}/api/v2/silence/{silence['id']}", timeout=5)

    def silence(self, comment: str = "ack: investigating", duration: float = 3600, **labels) -> str:
        now = datetime.now(timezone.utc)
        body = {"matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in labels.items()],
                "startsAt": now.isoformat(), "endsAt": (now + timedelta(seconds=duration)).isoformat(),
                "createdBy": "on-call", "comment": comment}
        response = self.http.post(f"{self.alertmanager_url}/api/v2/silences", json=body, timeout=5)
        response.raise_for_status()
        return response.json()["silenceID"]

    @property
    def alertmanager_url(self) -> str:
        return next(am.url for am in self.stack.alertmanagers if am.running())

    # -- Prometheus --------------------------------------------------------------------------------
    def query(self, expr: str) -> list[dict]:
        response = self.http.get(f"{self.stack.prometheus.url}/api/v1/query", params={"query": expr}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]["result"]

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def active_alerts(self) -> set[tuple[str, str]]:
        """(alertname, state) of every pending or firing alert, the Watchdog aside."""
        return {(r["metric"]["alertname"], r["metric"]["alertstate"]) for r in self.query('ALERTS{alertname!="Watchdog"}')}

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Until no alert but the Watchdog is pending or firing, in Prometheus and in every Alertmanager.

        Alertmanager keeps an aggregation group for a while after its alerts resolve (its
        maintenance runs every 30s, unscaled), and an alert joining a leftover group skips the
        group_wait (the escalation delay). So drills that time an escalation use alerts no earlier
        drill used recently, rather than wait for that here."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alerts = self.active_alerts()
            in_alertmanager = {a["labels"]["alertname"] for am in self.stack.alertmanagers if am.running()
                               for a in self.http.get(f"{am.url}/api/v2/alerts?active=true", timeout=5).json()
                               if a["labels"]["alertname"] != "Watchdog"}
            if not alerts and not in_alertmanager:
                return
            time.sleep(0.25)
        raise TimeoutError(f"stack not healthy after {timeout}s: Prometheus {alerts}, Alertmanager {in_alertmanager}")

    # -- notifications -----------------------------------------------------------------------------
    def mark(self) -> None:
        """Only notifications arriving after this call are returned from now on."""
        self._since_request = max([r["seq"] for r in self._get("/requests")] + [self._since_request])
        self._since_email = max([r["seq"] for r in self._get("/emails")] + [self._since_email])
        self._since_sms = len(self._sms())

    def _get(self, path: str, since: int = 0) -> list[dict]:
        return self.http.get(f"{self.stack.sinks_url}{path}", params={"since": since}, timeout=5).json()

    def _sms(self) -> list[list]:
        data = self.http.get(f"{self.stack.moto_url}/moto-api/data.json", timeout=5).json()
        return [n for topic in data["sns"]["Topic"] for n in topic.get("sent_notifications", [])]

    def notifications(self) -> list[Notification]:
        found = []
        for request in self._get("/requests", self._since_request):
            body, path = request["body"], request["path"]
            if path == "/pagerduty":
                summary = body["payload"]["summary"]
                found.append(Notification("pagerduty", body["routing_key"], "resolved" if body["event_action"] == "resolve" else "firing",
                                          _names(summary), request["time"], request))
            elif path == "/slack":
                title = body["attachments"][0]["title"]
                found.append(Notification("slack", body.get("channel", ""), _status(title), _names(title), request["time"], request))
            elif path.startswith("/webhook/"):
                found.append(Notification("webhook", path, body["status"],
                                          tuple(sorted({a["labels"]["alertname"] for a in body["alerts"]})), request["time"], request))
        for message in self._get("/emails", self._since_email):
            for recipient in message["rcpt_tos"]:
                found.append(Notification("email", recipient, _status(message["subject"]), _names(message["subject"]),
                                          message["time"], message))
        for _, text, subject, *_ in self._sms()[self._since_sms:]:
            found.append(Notification("sms", subject or "", "firing", (subject,) if subject else (), time.time(),
                                      {"message": text, "subject": subject}))
        return found

    def wait_for(self, predicate, timeout: float, interval: float = 0.1):
        """Polls predicate(notifications) until it returns something truthy; returns it (or raises)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self.notifications())
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"not within {timeout:.1f}s; notifications so far:\n"
                                   + "\n".join(f"  {n.channel} {n.target} {n.status} {n.alertnames}" for n in self.notifications()))
            time.sleep(interval)


def _status(title: str) -> str:
    match = _TITLE.search(title)
    return "resolved" if match and match.group(1) == "RESOLVED" else "firing"


def _names(title: str) -> tuple[str, ...]:
    match = _TITLE.search(title)
    return (match.group(2),) if match else ()


def first(notifications: list[Notification], channel: str, alertname: str, status: str = "firing", target: str | None = None):
    for n in notifications:
        if n.channel == channel and alertname in n.alertnames and n.status == status and (target is None or n.target == target):
            return n
    return None
