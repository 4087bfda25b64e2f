"""What changes between the rendered cluster configuration and the local stack, and nothing else.

- prometheus.yml: each job's `kubernetes_sd_configs` becomes `static_configs` whose targets carry the
  `__meta_kubernetes_*` labels Kubernetes discovery would have given them, so the job's own
  relabelling (keep rules, namespace/pod/service labels) and PII label drop run unchanged. Jobs with
  nothing local to scrape keep their config and get no targets. The blackbox job probes local
  stand-ins of its public endpoints (the simulated services' health), with the labels the rendered
  job gives each endpoint, through the local blackbox exporter. The Alertmanager addresses and the
  rule directory point to local ones.
- rules: the ScrapeJobDown alert of a job with nothing local to scrape is left out. That job (the
  Kubernetes ones, Redis, Kafka, Istio) is absent here by design; the absence alerts of the jobs that
  do run locally stay and fire when one goes. So are the node alerts on this machine's own disk and
  memory (HOST_ALERTS): the one local node is a machine shared with other work, whose disk filling
  up is not a drill's doing.
- alertmanager.yml: no business hours or maintenance windows (drills run at any hour); receiver endpoints point to local sinks (webhook sink for Slack, PagerDuty,
  status page and hooks; SMTP sink; moto for SNS), and every `*_file` credential to the local
  secrets directory. The SMTP sink speaks no TLS, so STARTTLS is not required.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from model.endpoints import ALERTMANAGER
from render import probe_jobs
from render.job_absence import ALERT as JOB_ABSENT_ALERT
from render.time_intervals import refer_to_defined

AM_SECRETS_DIR, AM_TEMPLATES_DIR = ALERTMANAGER.dirs["secrets"], ALERTMANAGER.dirs["templates"]


@dataclass(frozen=True)
class Target:
    """A local endpoint as Kubernetes discovery would describe it (its `__meta_kubernetes_*` labels)."""

    address: str
    meta: dict = field(default_factory=dict)


def endpoint_meta(*, service: str, port_name: str, namespace: str, pod: str, app: str | None = None,
                  node: str = "local-node", instance: str | None = None) -> dict:
    """The labels of an `endpoints` role target: its Service (name and app.kubernetes.io/* labels),
    the endpoint's port name, and the pod behind it."""
    meta = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_service_name": service,
        "__meta_kubernetes_service_label_app_kubernetes_io_name": app or service,
        "__meta_kubernetes_endpoint_port_name": port_name,
        "__meta_kubernetes_pod_name": pod,
        "__meta_kubernetes_pod_node_name": node,
    }
    if instance:
        meta["__meta_kubernetes_service_label_app_kubernetes_io_instance"] = instance
    return meta


def probe_targets(config: dict, local_urls: dict[str, str]) -> list[Target]:
    """The blackbox job's local targets: per service of `local_urls`, its local health URL carrying
    the labels (module, service, team) the rendered job gives that service's public endpoint."""
    job = next(job for job in config["scrape_configs"] if job["job_name"] == probe_jobs.JOB)
    public = {entry["labels"]["service"]: entry["labels"] for entry in job["static_configs"]
              if entry["labels"]["module"] == probe_jobs.HTTP_MODULE}
    missing = set(local_urls) - set(public)
    assert not missing, f"the rendered {probe_jobs.JOB} job probes no public endpoint of {sorted(missing)}"
    return [Target(url, dict(public[service])) for service, url in local_urls.items()]


def localize_prometheus_config(config: dict, targets: dict[str, list[Target]],
                               alertmanagers: list[str], rules_dir: Path, probe_exporter: str | None = None) -> dict:
    """`probe_exporter`: host:port of the local blackbox exporter, which the blackbox job asks to probe."""
    config = copy.deepcopy(config)
    for job in config["scrape_configs"]:
        discovered = job.pop("kubernetes_sd_configs", None) is not None
        if discovered or "static_configs" in job:
            # Static targets of the cluster (public endpoints) are not probed from this machine.
            job["static_configs"] = [{"targets": [t.address], "labels": dict(t.meta)}
                                     for t in targets.get(job["job_name"], [])]
        if job["job_name"] == probe_jobs.JOB and probe_exporter:
            for rule in job["relabel_configs"]:
                if rule.get("target_label") == "__address__" and "source_labels" not in rule:
                    rule["replacement"] = probe_exporter
    unknown = set(targets) - {job["job_name"] for job in config["scrape_configs"]}
    assert not unknown, f"local targets for jobs the rendered config lacks: {sorted(unknown)}"
    for alertmanager_config in config["alerting"]["alertmanagers"]:
        alertmanager_config["static_configs"] = [{"targets": list(alertmanagers)}]
    config["rule_files"] = [f"{rules_dir}/*.yml"]
    return config


HOST_ALERTS = frozenset({"NodeFilesystemFillingUp", "NodeMemoryPressure"})


def localize_rule_file(document: dict, local_jobs: set[str]) -> dict:
    """The rule file without the absence alerts of jobs that have no local targets, nor HOST_ALERTS."""
    document = copy.deepcopy(document)
    for group in document.get("groups", []):
        group["rules"] = [rule for rule in group["rules"]
                          if rule.get("alert") not in HOST_ALERTS
                          and (rule.get("alert") != JOB_ABSENT_ALERT or _absent_job(rule) in local_jobs)]
    return document


def _absent_job(rule: dict) -> str:
    found = re.search(r'absent\(up\{job="([^"]+)"\}\)', rule["expr"])
    assert found, f"{JOB_ABSENT_ALERT} without absent(up{{job=...}}): {rule['expr']}"
    return found.group(1)


@dataclass(frozen=True)
class Sinks:
    webhook_url: str   # http://127.0.0.1:PORT of the webhook sink (records every request)
    smtp_address: str  # 127.0.0.1:PORT of the SMTP sink
    sns_url: str       # http://127.0.0.1:PORT of moto (local/sns.py)


def _retarget_files(node, secrets_dir: Path):
    """Every `*_file` pointing into the cluster's secrets mount now points into secrets_dir."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_file") and isinstance(value, str) and value.startswith(AM_SECRETS_DIR + "/"):
                node[key] = str(secrets_dir / value.rsplit("/", 1)[1])
            else:
                _retarget_files(value, secrets_dir)
    elif isinstance(node, list):
        for item in node:
            _retarget_files(item, secrets_dir)


def localize_alertmanager_config(config: dict, sinks: Sinks, secrets_dir: Path, templates_dir: Path) -> dict:
    config = copy.deepcopy(config)
    # Drills run at any hour: business hours and maintenance windows would hold or mute them.
    config.pop("time_intervals", None)
    config["route"] = refer_to_defined(config["route"], set())
    config["global"]["smtp_smarthost"] = sinks.smtp_address
    config["global"]["smtp_require_tls"] = False
    config["templates"] = [t.replace(AM_TEMPLATES_DIR, str(templates_dir)) for t in config["templates"]]
    for receiver in config["receivers"]:
        name = receiver["name"]
        for pagerduty in receiver.get("pagerduty_configs", []):
            pagerduty["url"] = f"{sinks.webhook_url}/pagerduty"
        for email in receiver.get("email_configs", []):
            if "smarthost" in email:
                email["smarthost"] = sinks.smtp_address
            email["require_tls"] = False
        for webhook in receiver.get("webhook_configs", []):
            # the status page, the dead man's switch and the remediation hooks keep their path
            path = webhook["url"].split("://", 1)[1].split("/", 1)[1] if "/" in webhook["url"].split("://", 1)[1] else ""
            webhook["url"] = f"{sinks.webhook_url}/webhook/{name}/{path}".rstrip("/")
        for sns in receiver.get("sns_configs", []):
            sns["api_url"] = sinks.sns_url
    _retarget_files(config, secrets_dir)
    return config


def slack_sink_url(sinks: Sinks) -> str:
    """What the local `slack-webhook-url` secret file holds: Slack's incoming webhook, locally."""
    return f"{sinks.webhook_url}/slack"
