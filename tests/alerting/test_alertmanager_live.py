"""The rendered production routing in a real Alertmanager (the pinned version): inhibitions, and
escalation stopped by a silence (the acknowledgement).

Only the receivers' endpoints change (every receiver becomes a webhook to a local sink) and, for the
escalation test, the route timings shrink (5m -> 2s, 15m -> 4s): the mechanism is the real one.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

from testsupport.alertmanager import AlertmanagerServer
from tests.alerting.conftest import WebhookSink, require, route_nodes

pytestmark = pytest.mark.slow

SCALE = {"0s": "0s", "30s": "1s", "1m": "1s", "5m": "2s", "15m": "4s"}


@pytest.fixture
def alertmanager(rendered_alertmanager, tmp_path):
    require("alertmanager")
    sink = WebhookSink()
    servers: list[AlertmanagerServer] = []

    def start(scale_timings: bool = False) -> str:
        config = yaml.safe_load((rendered_alertmanager["production"] / "alertmanager.yml").read_text())
        config["receivers"] = [
            {"name": r["name"], "webhook_configs": [{"url": f"{sink.url}/{r['name']}", "send_resolved": False}]}
            for r in config["receivers"]
        ]
        if scale_timings:
            for _, route, _ in route_nodes(config["route"]):
                for key in ("group_wait", "group_interval"):
                    if key in route:
                        route[key] = SCALE[route[key]]
        # a single instance (no cluster) on a picked port, picked again if another process took it
        server = AlertmanagerServer(config=yaml.safe_dump(config), extra_args=("--log.level=warn",),
                                    work_dir=tmp_path / f"alertmanager-{len(servers)}")
        servers.append(server)
        return server.start().url

    yield start, sink
    for server in servers:
        server.cleanup()
    sink.server.shutdown()


def post(url: str, *alerts: dict):
    now = datetime.now(timezone.utc)
    payload = [
        {"labels": {"cluster": "waqiti-test", **labels}, "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat()}
        for labels in alerts
    ]
    requests.post(f"{url}/api/v2/alerts", json=payload, timeout=5).raise_for_status()


def muted(url: str) -> dict[str, bool]:
    alerts = requests.get(f"{url}/api/v2/alerts", timeout=5).json()
    return {f"{a['labels']['alertname']}/{a['labels'].get('service', '')}/{a['labels'].get('node', '')}": bool(a["status"]["inhibitedBy"]) for a in alerts}


def A(name, severity, team, service, **extra):
    return {"alertname": name, "severity": severity, "team": team, "service": service, **extra}


def test_inhibitions(alertmanager):
    start, _ = alertmanager
    url = start()
    post(
        url,
        A("PaymentServiceDown", "critical", "payment", "payment"),
        A("PaymentFailureRateHigh", "critical", "payment", "payment"),
        A("PaymentLatencyHigh", "warning", "platform", "payment"),
        A("DatabaseConnectionPoolHigh", "warning", "platform", "payment", pool="main", pod="payment-0"),
        A("WalletServiceDown", "critical", "wallet", "wallet"),
        A("WalletBalanceInconsistency", "critical", "wallet", "wallet"),
        A("SLOErrorBudgetBurn", "warning", "wallet", "wallet", slo="latency", long_window="3d", short_window="6h"),
        A("TargetDown", "warning", "sre", "user", job="waqiti-user-service"),
        A("BusinessExporterStale", "warning", "sre", "business-exporter", group="revenue"),
        A("RevenueDrop", "critical", "operations", "revenue", currency="USD"),
        A("UserRegistrationAnomaly", "warning", "growth", "user"),
        A("KycVerificationBacklogGrowing", "warning", "compliance", "user", kyc_status="pending"),
        A("KubernetesNodeNotReady", "critical", "platform", "kubernetes-node", node="node-1"),
        A("KubePodCrashLooping", "warning", "platform", "fraud", node="node-1", pod="fraud-1"),
        A("KubePodCrashLooping", "warning", "platform", "ledger", node="node-2", pod="ledger-1"),
    )
    time.sleep(0.5)
    assert muted(url) == {
        # payment down mutes its symptoms, critical or not ...
        "PaymentServiceDown/payment/": False,
        "PaymentFailureRateHigh/payment/": True,
        "PaymentLatencyHigh/payment/": True,
        # ... but never a remediation trigger
        "DatabaseConnectionPoolHigh/payment/": False,
        # wallet down: the SLO ticket is muted, the money-integrity page is not
        "WalletServiceDown/wallet/": False,
        "WalletBalanceInconsistency/wallet/": False,
        "SLOErrorBudgetBurn/wallet/": True,
        # nothing critical for the user service
        "TargetDown/user/": False,
        # stale business data mutes business anomalies, not compliance
        "BusinessExporterStale/business-exporter/": False,
        "RevenueDrop/revenue/": True,
        "UserRegistrationAnomaly/user/": True,
        "KycVerificationBacklogGrowing/user/": False,
        # a node down mutes the pods on it, only those
        "KubernetesNodeNotReady/kubernetes-node/node-1": False,
        "KubePodCrashLooping/fraud/node-1": True,
        "KubePodCrashLooping/ledger/node-2": False,
    }


def test_a_job_that_is_gone_mutes_its_target_down_only(alertmanager):
    start, _ = alertmanager
    url = start()
    post(
        url,
        A("ScrapeJobDown", "warning", "platform", "kafka-exporter", job="kafka-exporter"),
        A("TargetDown", "warning", "sre", "kafka-exporter", job="kafka-exporter"),
        A("TargetDown", "warning", "sre", "redis-exporter", job="redis-exporter"),
    )
    time.sleep(0.5)
    assert muted(url) == {
        "ScrapeJobDown/kafka-exporter/": False,
        "TargetDown/kafka-exporter/": True,
        "TargetDown/redis-exporter/": False,
    }


def test_a_silence_acknowledges_and_stops_the_escalation(alertmanager):
    start, sink = alertmanager
    url = start(scale_timings=True)  # level 2 and SMS after 2s (5m), level 3 after 4s (15m)
    post(url, A("PaymentServiceDown", "critical", "payment", "payment"), A("WalletServiceDown", "critical", "wallet", "wallet"))
    time.sleep(1.0)
    # On-call acknowledges the payment alert: a silence, before the 5-minute mark.
    now = datetime.now(timezone.utc)
    silence = {
        "matchers": [{"name": "alertname", "value": "PaymentServiceDown", "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "on-call", "comment": "ack: investigating",
    }
    requests.post(f"{url}/api/v2/silences", json=silence, timeout=5).raise_for_status()
    time.sleep(5.5)
    both = {"PaymentServiceDown", "WalletServiceDown"}
    assert sink.received("oncall-critical") == both  # level 1 at once, before the acknowledgement
    for level in ("escalation-sms", "escalation-level2", "escalation-level3"):
        assert sink.received(level) == {"WalletServiceDown"}, level
