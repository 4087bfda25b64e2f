"""kube-state-metrics over https (kube-prometheus' kube-rbac-proxy): the rendered job verifies the
serving certificate when kubeStateMetricsTlsServerName is set, and accepts it unverified otherwise.

A real Prometheus scrapes a real TLS server on loopback whose certificate a CA made here issued for
the configured name; the rendered jobs run unchanged except their discovery (static targets with the
labels Kubernetes would give) and the service-account files (token, CA), which the pod would mount.
"""

from __future__ import annotations

import copy
import datetime
import http.server
import ssl
import threading
import time

import pytest
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from local.localize import endpoint_meta
from model.settings import SettingsError
from model.settings.load import parse, read_stack_file
from model.settings.cluster_exporters import CLUSTER_CA_FILE
from render.exporter_jobs import KUBE_STATE_METRICS, kube_state_metrics_job, service_of
from tests.conftest import ROOT
from testsupport.prometheus import PrometheusServer

pytestmark = pytest.mark.slow

NAME = "kube-state-metrics.monitoring-ext.svc"
TOKEN = "service-account-token-for-tests"
EXISTING = {"kubeStateMetricsDeploy": False, "kubeStateMetricsNamespace": "monitoring-ext",
            "kubeStateMetricsPortName": "https-main", "kubeStateMetricsScheme": "https"}


def settings(**overrides):
    return parse({**read_stack_file(ROOT / "Pulumi.production.yaml"), **EXISTING, **overrides})


def rendered_job(**overrides) -> dict:
    s = settings(**overrides)
    return kube_state_metrics_job(service_of(s.kube_state_metrics, s.namespace, KUBE_STATE_METRICS))


def _certificate(subject: str, issuer_key, issuer_name, key, *, ca: bool, dns: str | None = None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns:
        # the name it is issued for, not the pod IP Prometheus connects to
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(name, key, None, key, ca=True)
    path = tmp_path / f"{name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


class _RbacProxy(http.server.BaseHTTPRequestHandler):
    """What kube-rbac-proxy does for Prometheus: metrics for its bearer token, 401 without it."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        body = b'kube_node_info{node="node-1"} 1\n'
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ksm-tls")
    ca_key, ca_cert, ca_path = _ca(tmp, "kube-rbac-proxy-ca")
    _, _, other_ca_path = _ca(tmp, "some-other-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(NAME, ca_key, ca_cert.subject, key, ca=False, dns=NAME)
    (tmp / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    (tmp / "token").write_text(TOKEN)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "tls.crt", tmp / "tls.key")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RbacProxy)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"

    # job name -> (rendered settings, the file the rendered ca_file stands for here)
    variants = {
        "verified": ({"kubeStateMetricsTlsServerName": NAME, "kubeStateMetricsTlsCaFile": "/etc/ksm-ca/ca.crt"}, ca_path),
        "wrong-name": ({"kubeStateMetricsTlsServerName": "kube-state-metrics.elsewhere.svc",
                        "kubeStateMetricsTlsCaFile": "/etc/ksm-ca/ca.crt"}, ca_path),
        "wrong-ca": ({"kubeStateMetricsTlsServerName": NAME}, other_ca_path),
        "unverified": ({}, other_ca_path),
    }
    jobs, rendered = [], {}
    for name, (overrides, ca_file) in variants.items():
        job = rendered_job(**overrides)
        rendered[name] = copy.deepcopy(job)
        del job["kubernetes_sd_configs"]
        job["job_name"] = name
        job["static_configs"] = [{"targets": [address], "labels": endpoint_meta(
            service="kube-state-metrics", port_name="https-main", namespace="monitoring-ext", pod="ksm-0")}]
        job["tls_config"]["ca_file"] = str(ca_file)
        job["authorization"]["credentials_file"] = str(tmp / "token")
        jobs.append(job)
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}, "scrape_configs": jobs}
    with PrometheusServer(config=yaml.safe_dump(config)) as prometheus:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            targets = requests.get(f"{prometheus.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            if len(targets) == len(variants) and all(t["health"] != "unknown" for t in targets):
                break
            time.sleep(0.3)
        yield rendered, {t["labels"]["job"]: t for t in targets}
    server.shutdown()


def test_with_a_server_name_the_certificate_is_verified(scraped):
    rendered, targets = scraped
    assert rendered["verified"]["tls_config"] == {"ca_file": "/etc/ksm-ca/ca.crt", "server_name": NAME, "insecure_skip_verify": False}
    assert targets["verified"]["health"] == "up", targets["verified"]["lastError"]


def test_a_certificate_for_another_name_or_from_another_ca_fails_the_scrape(scraped):
    rendered, targets = scraped
    assert rendered["wrong-ca"]["tls_config"]["ca_file"] == CLUSTER_CA_FILE  # the cluster CA unless told
    for job in ("wrong-name", "wrong-ca"):
        assert targets[job]["health"] == "down" and "certificate" in targets[job]["lastError"], targets[job]


def test_without_a_server_name_any_certificate_is_accepted_as_before(scraped):
    rendered, targets = scraped
    assert rendered["unverified"]["tls_config"] == {"ca_file": CLUSTER_CA_FILE, "insecure_skip_verify": True}
    assert targets["unverified"]["health"] == "up", targets["unverified"]["lastError"]


@pytest.mark.parametrize("overrides, message", [
    ({"kubeStateMetricsScheme": "http", "kubeStateMetricsTlsServerName": NAME},
     "kubeStateMetricsTlsServerName: only with kubeStateMetricsScheme: https"),
    ({"kubeStateMetricsTlsCaFile": "/etc/ksm-ca/ca.crt"}, "kubeStateMetricsTlsCaFile: only with kubeStateMetricsTlsServerName"),
    ({"kubeStateMetricsTlsServerName": "not a name"}, "kubeStateMetricsTlsServerName"),
    ({"kubeStateMetricsTlsServerName": NAME, "kubeStateMetricsTlsCaFile": "ca.crt"}, "an absolute path"),
    ({"kubeStateMetricsDeploy": True, "kubeStateMetricsTlsServerName": NAME}, "only for an existing one"),
])
def test_tls_settings_that_cannot_work_are_refused_naming_the_key(overrides, message):
    values = {**EXISTING, **overrides}
    if values["kubeStateMetricsDeploy"]:
        values = {k: v for k, v in values.items() if k not in EXISTING or k == "kubeStateMetricsDeploy"}
    with pytest.raises(SettingsError, match=message):
        parse({**read_stack_file(ROOT / "Pulumi.production.yaml"), **values})
