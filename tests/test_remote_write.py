"""The scale path: the production prometheus.yml with remote_write set (basic auth from the secret
file, the rendered queue settings) writing to a second real Prometheus, its remote-write receiver
on, on loopback. Samples arrive with the stack's external labels; when the receiver stops, the
self-monitoring rule PrometheusRemoteWriteBehind fires on the sender.

Changed from the rendered file, and only this: Kubernetes discovery of the `prometheus` job becomes
its own address (local/localize.py), the password file path points at a file here, and the rule
durations are divided by TIME_SCALE (local/timescale.py). The 120 s lag threshold is a plain
number and stays real time: the receiver is down for about two and a half minutes.
"""
from __future__ import annotations

import time
from pathlib import Path

import bcrypt
import pytest
import requests
import yaml

from local import timescale
from local.localize import Target, endpoint_meta, localize_prometheus_config
from testsupport.prometheus import PrometheusServer
from tools.pulumi_engine import placeholder_secrets, run_program

pytestmark = [pytest.mark.slow]

TIME_SCALE = 60.0
USER, PASSWORD = "waqiti-production", "remote-write-secret-for-this-test"
POD = "prometheus-0"


def query(url: str, expr: str, auth=None) -> list:
    response = requests.get(f"{url}/api/v1/query", params={"query": expr}, auth=auth, timeout=5)
    response.raise_for_status()
    return response.json()["data"]["result"]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:g}s: {what}")


@pytest.fixture
def receiver(tmp_path):
    """A Prometheus that accepts remote write, and every request, only with the user and password."""
    web_config = tmp_path / "receiver-web.yml"
    web_config.write_text(yaml.safe_dump(
        {"basic_auth_users": {USER: bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}}))
    with LoggedIn(work_dir=tmp_path / "receiver",
                  extra_args=("--web.enable-remote-write-receiver", f"--web.config.file={web_config}")) as server:
        yield server


class LoggedIn(PrometheusServer):
    def _ready_url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}/-/ready"  # readiness needs the login too


@pytest.fixture
def production(receiver):
    """The Pulumi program's production run (under mocks) with remote write to the receiver."""
    return run_program("production", overrides={"prometheusRemoteWriteUrl": f"{receiver.url}/api/v1/write",
                                                 "prometheusRemoteWriteUsername": USER},
                       secrets=placeholder_secrets())


def sender_config(run, port: int, tmp_path: Path) -> str:
    config = yaml.safe_load(run.get("ConfigMap", "prometheus-config").manifest["data"]["prometheus.yml"])
    (remote,) = config["remote_write"]
    assert remote["basic_auth"] == {"username": USER, "password_file": "/etc/prometheus/secrets/remote-write-password"}
    assert remote["queue_config"]["max_shards"] >= 1
    secret = tmp_path / "remote-write-password"
    secret.write_text(PASSWORD)  # as the Secret is mounted: the value, no newline
    secret.chmod(0o600)
    remote["basic_auth"]["password_file"] = str(secret)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir(exist_ok=True)  # written again when the server picks another port
    rules = yaml.safe_load(run.get("ConfigMap", "prometheus-rules").manifest["data"]["self-monitoring.yml"])
    (rules_dir / "self-monitoring.yml").write_text(yaml.safe_dump(timescale.scale_rule_file(rules, TIME_SCALE)))
    itself = Target(f"127.0.0.1:{port}", endpoint_meta(service="prometheus-headless", port_name="web",
                                                       namespace="monitoring", pod=POD))
    config = localize_prometheus_config(config, {"prometheus": [itself]}, [], rules_dir)
    return yaml.safe_dump(timescale.scale_prometheus_config(config, TIME_SCALE))


def test_remote_write_arrives_with_external_labels_and_falling_behind_alerts(production, receiver, tmp_path):
    auth = (USER, PASSWORD)
    cluster = yaml.safe_load(production.get("ConfigMap", "prometheus-config").manifest["data"]["prometheus.yml"])["global"]["external_labels"]["cluster"]
    # it scrapes itself: its configuration names the port it picks
    with PrometheusServer(config=lambda port: sender_config(production, port, tmp_path), env={"POD_NAME": POD},
                          work_dir=tmp_path / "sender") as sender:
        # Samples arrive, labelled as the stack labels them; unauthenticated, the receiver says no.
        arrived = wait_for(lambda: query(receiver.url, 'up{job="prometheus"}', auth), 60, "samples at the receiver")
        assert arrived[0]["metric"]["cluster"] == cluster == "waqiti-production"
        assert arrived[0]["metric"]["replica"] == POD
        assert requests.get(f"{receiver.url}/api/v1/query", params={"query": "up"}, timeout=5).status_code == 401
        assert not query(sender.url, "prometheus_remote_storage_samples_failed_total > 0")

        lag = ('max(prometheus_remote_storage_highest_timestamp_in_seconds - ignoring (remote_name, url) group_right '
               'prometheus_remote_storage_queue_highest_sent_timestamp_seconds)')
        # the self-scrape may first have seen the sent gauge at 0, before the first batch went out
        healthy = lambda: [r for r in query(sender.url, lag) if float(r["value"][1]) < 60]  # noqa: E731
        wait_for(healthy, 30, "remote write less than a minute behind while the receiver is up")
        # ALERTS reflect the last rule evaluation, which may predate the first batch: wait for one after it.
        wait_for(lambda: not query(sender.url, 'ALERTS{alertname="PrometheusRemoteWriteBehind"}'), 30,
                 "no PrometheusRemoteWriteBehind while the receiver is up")

        receiver.stop()
        stopped = time.monotonic()
        behind_for = timescale.parse_duration("15m") / TIME_SCALE
        firing = wait_for(lambda: query(sender.url, 'ALERTS{alertname="PrometheusRemoteWriteBehind",alertstate="firing"}'),
                          120 + behind_for + 60, "PrometheusRemoteWriteBehind firing")
        elapsed = time.monotonic() - stopped
        assert elapsed >= 120 + behind_for - 5, elapsed  # not before it is 2 minutes behind for `for`
        assert firing[0]["metric"]["url"] == f"{receiver.url}/api/v1/write"
        assert firing[0]["metric"]["severity"] == "warning"
