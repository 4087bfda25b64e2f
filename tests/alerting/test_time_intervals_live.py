"""Business hours and maintenance windows in a real Alertmanager (Debian's 0.25).

The production routing rendered with intervals set around the current time: a warning outside
business hours is held, a security warning and a critical are told at any hour; in a declared
maintenance window warnings are muted and criticals are not. Receivers become webhooks to a local
sink and the warnings' 5-minute batching shrinks to 1s; the intervals are Alertmanager's own.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

from model.settings import parse, read_stack_file
from model.settings.alerting import time_interval
from render.alertmanager_config import alertmanager_config
from render.time_intervals import BUSINESS_HOURS, MAINTENANCE
from testsupport.alertmanager import AlertmanagerServer
from tests.alerting.conftest import ROOT, WebhookSink, route_nodes

pytestmark = pytest.mark.slow

FAST = {"0s": "0s", "30s": "1s", "1m": "1s", "5m": "1s", "15m": "1s"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def interval(now: datetime, around_now: bool) -> str:
    """Today (UTC), as a one-off window: a range holding now, or one that does not."""
    if around_now:
        start, end = max(now - timedelta(hours=1), now.replace(hour=0, minute=0)), now + timedelta(hours=1)
        times = f"{_clock(start)}-{'24:00' if end.date() != now.date() else _clock(end)}"
    else:
        times = "20:00-23:00" if now.hour < 12 else "01:00-04:00"
    return f"{now.date().isoformat()} {times}"


def weekly(now: datetime, around_now: bool) -> str:
    """The same, as a weekly range on today's weekday."""
    return WEEKDAYS[now.weekday()] + " " + interval(now, around_now).split(" ", 1)[1]


def config(sink: WebhookSink, **overrides) -> str:
    raw = read_stack_file(ROOT / "Pulumi.production.yaml")
    raw.update(alertingTimezone="UTC", **overrides)
    document = alertmanager_config(parse(raw))
    document["receivers"] = [{"name": r["name"], "webhook_configs": [{"url": f"{sink.url}/{r['name']}", "send_resolved": False}]}
                             for r in document["receivers"]]
    for _, route, _ in route_nodes(document["route"]):
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = FAST[route[key]]
    return yaml.safe_dump(document)


def post(url: str, *alerts: dict) -> None:
    now = datetime.now(timezone.utc)
    payload = [{"labels": {"cluster": "waqiti-test", **labels}, "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat()} for labels in alerts]
    requests.post(f"{url}/api/v2/alerts", json=payload, timeout=5).raise_for_status()


WARNING = {"alertname": "KafkaConsumerLagHigh", "severity": "warning", "team": "platform", "service": "kafka"}
SECURITY_WARNING = {"alertname": "FraudModelAccuracyLow", "severity": "warning", "team": "security", "service": "fraud"}
CRITICAL = {"alertname": "PostgresDown", "severity": "critical", "team": "database", "service": "postgres"}


def told(sink: WebhookSink, seconds: float = 6.0) -> set[tuple[str, str]]:
    time.sleep(seconds)  # group_wait and group_interval are 1s here: every group has flushed
    return sink.pairs()


def run(sink: WebhookSink, text: str) -> set[tuple[str, str]]:
    with AlertmanagerServer(config=text) as alertmanager:
        post(alertmanager.url, WARNING, SECURITY_WARNING, CRITICAL)
        return told(sink)


def test_outside_business_hours_warnings_wait_security_and_criticals_do_not():
    sink, now = WebhookSink(), datetime.now(timezone.utc)
    text = config(sink, alertingBusinessHours=[weekly(now, around_now=False)])
    assert f"name: {BUSINESS_HOURS}" in text
    got = run(sink, text)
    assert ("platform", "KafkaConsumerLagHigh") not in got
    assert ("security", "FraudModelAccuracyLow") in got
    assert ("database-critical", "PostgresDown") in got


def test_in_business_hours_warnings_are_told():
    sink, now = WebhookSink(), datetime.now(timezone.utc)
    got = run(sink, config(sink, alertingBusinessHours=[weekly(now, around_now=True)]))
    assert {("platform", "KafkaConsumerLagHigh"), ("security", "FraudModelAccuracyLow"), ("database-critical", "PostgresDown")} <= got


def test_a_declared_maintenance_window_mutes_every_warning_but_no_critical():
    sink, now = WebhookSink(), datetime.now(timezone.utc)
    text = config(sink, alertingBusinessHours=[weekly(now, around_now=True)], alertingMaintenanceWindows=[interval(now, around_now=True)])
    assert f"name: {MAINTENANCE}" in text
    got = run(sink, text)
    assert ("platform", "KafkaConsumerLagHigh") not in got and ("security", "FraudModelAccuracyLow") not in got
    assert ("database-critical", "PostgresDown") in got


def test_a_bad_interval_is_refused_naming_the_setting():
    from model.settings import SettingsError

    raw = read_stack_file(ROOT / "Pulumi.production.yaml")
    raw.update(alertingBusinessHours=["monday:friday 18:00-08:00"], alertingMaintenanceWindows=["2026-02-30 01:00-02:00", "weekends 01:00"])
    with pytest.raises(SettingsError) as error:
        parse(raw)
    text = str(error.value)
    assert "alertingBusinessHours" in text and "the end 08:00 must be after the start 18:00" in text
    assert "alertingMaintenanceWindows" in text and "2026-02-30 is not a date" in text
    assert "such as 'monday:friday 08:00-18:00', got 'weekends 01:00'" in text


def test_the_setting_syntax_becomes_alertmanager_intervals():
    assert time_interval("monday:friday 08:00-18:00") == {"times": [{"start_time": "08:00", "end_time": "18:00"}], "weekdays": ["monday:friday"]}
    assert time_interval("2026-12-05 02:00-24:00") == {"times": [{"start_time": "02:00", "end_time": "24:00"}],
                                                        "years": ["2026"], "months": ["12"], "days_of_month": ["5"]}


def test_a_stack_without_intervals_refers_to_none():
    raw = read_stack_file(ROOT / "Pulumi.dev.yaml")
    document = alertmanager_config(parse(raw))
    assert "time_intervals" not in document
    assert "time_intervals:" not in yaml.safe_dump(document["route"])
