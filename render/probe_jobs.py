"""The `blackbox` scrape job: every probe target of the stack settings, through the blackbox exporter.

Two kinds of target, told apart by the `module` label (configs/blackbox/blackbox.yml):
- http_2xx: the public health endpoints (blackboxHttpTargets), labelled with their service and team,
  whose failure pages that team (EndpointProbeFailed);
- tls_connect: port 443 of every ingress host of the stack (when it serves TLS) and blackboxTlsHosts,
  for the handshake and the certificate's expiry (TLSProbeFailed, CertificateExpiringSoon).
Prometheus asks the exporter to probe (`/probe?target=...&module=...`); `instance` is the target.
"""

from __future__ import annotations

from model.endpoints import BLACKBOX_EXPORTER
from model.settings import Settings

JOB = "blackbox"
HTTP_MODULE, TLS_MODULE = "http_2xx", "tls_connect"  # modules of configs/blackbox/blackbox.yml


def tls_hosts(settings: Settings) -> list[str]:
    own = [settings.grafana.host, settings.prometheus.host, settings.alertmanager.host] if settings.ingress.tls_mode != "none" else []
    return sorted(set(own) | set(settings.blackbox.tls_hosts))


def blackbox_job(settings: Settings) -> dict | None:
    blackbox = settings.blackbox
    if not blackbox.enabled:
        return None
    targets = [
        {"targets": [probe.url], "labels": {"module": HTTP_MODULE, "service": probe.service, "team": probe.team}}
        for probe in blackbox.probes()
    ]
    hosts = tls_hosts(settings)
    if hosts:
        targets.append({"targets": [f"{host}:443" for host in hosts], "labels": {"module": TLS_MODULE, "service": "ingress", "team": "platform"}})
    return {
        "job_name": JOB,
        "metrics_path": "/probe",
        "static_configs": targets,
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["module"], "target_label": "__param_module"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter_address(settings.namespace)},
        ],
    }


def exporter_address(namespace: str) -> str:
    return f"{BLACKBOX_EXPORTER.name}.{namespace}.svc:{BLACKBOX_EXPORTER.port}"
