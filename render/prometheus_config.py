"""prometheus.yml for a stack, from its settings and the scrape jobs in configs/prometheus/."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from model.endpoints import ALERTMANAGER, PROMETHEUS
from model.settings import Settings
from model.settings.prometheus import SCRAPE_TIMEOUT
from model.yamltext import dump_yaml
from render import business_metrics
from render.exporter_jobs import KUBE_STATE_METRICS, NODE_EXPORTER, kube_state_metrics_job, node_exporter_job, service_of
from render.probe_jobs import blackbox_job

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "prometheus"

# The file of the Prometheus Secret that prometheus.yml reads the remote_write password from.
REMOTE_WRITE_PASSWORD = "remote-write-password"

# Labels that could carry personal or card data. Dropped from every series at scrape time, whatever
# the target exposes (PCI-DSS: no cardholder data; GDPR: no personal data in metrics). Prometheus 3
# accepts UTF-8 label names, so OpenTelemetry-style dotted names (user.email) count as well.
PII_LABELS = (
    "(?i)(.*[._])?("
    "e_?mail|email_address|phone|phone_number|msisdn|mobile|mobile_number|"
    "card_number|cardnumber|card_pan|pan|cvv|"
    "account_number|account_id|account_no|iban|"
    "user_?id|customer_?id|username|user_name|first_name|last_name|full_name|"
    "ssn|tax_id|national_id|passport|street_address|home_address|ip_address|client_ip|dob|birth_date"
    ")"
)
PII_LABEL_DROP = {"action": "labeldrop", "regex": PII_LABELS}
FALLBACK_SCRAPE_PROTOCOL = "PrometheusText0.0.4"

# Istio's metrics merging (on by default) annotates every meshed pod with prometheus.io/scrape, port
# 15020 and path /stats/prometheus, where the agent serves the app's metrics *and* the sidecar's
# istio_*/envoy_*. The sidecar's series belong to one job; any other job that reaches them (through
# those annotations) drops them, or every mesh request is counted twice. The app's metrics stay.
MESH_OWNER = "istio-mesh"
MESH_METRICS_DROP = {"source_labels": ["__name__"], "action": "drop", "regex": "(istio|envoy)_.*"}


def application_services() -> dict:
    return yaml.safe_load((CONFIGS / "application-services.yml").read_text())


def application_jobs() -> list[dict]:
    """The scrape jobs of the Waqiti services, one per line of application-services.yml."""
    spec = application_services()
    template = dump_yaml(spec["job_template"]).replace("{metrics_port_names}", "|".join(spec["metrics_port_names"]))
    jobs = []
    for service in spec["services"]:
        rendered = template
        for field, value in service.items():
            rendered = rendered.replace("{" + field + "}", str(value))
        jobs.append(yaml.safe_load(rendered))
    return jobs


def scrape_configs(settings: Settings) -> list[dict]:
    """Every job, with the limits, the PII label drop and (outside the exporter's job) the business
    series drop applied in this one place."""
    listed = yaml.safe_load((CONFIGS / "scrape-configs.yml").read_text())["scrape_configs"]
    jobs = []
    for job in application_jobs() + listed + cluster_exporter_jobs(settings):
        job = copy.deepcopy(job)
        job.setdefault("sample_limit", settings.prometheus.sample_limit)
        job.setdefault("label_limit", settings.prometheus.label_limit)
        job.setdefault("label_name_length_limit", 128)
        job.setdefault("label_value_length_limit", 512)
        # Prometheus 3 fails a scrape whose Content-Type is missing or unknown (2.x read it as
        # text); a target with a sloppy header (sidecars, hand-written endpoints) stays scraped.
        job.setdefault("fallback_scrape_protocol", FALLBACK_SCRAPE_PROTOCOL)
        drops = [] if job["job_name"] == MESH_OWNER else [dict(MESH_METRICS_DROP)]
        if job["job_name"] != business_metrics.JOB:
            drops.append(business_metrics.drop_business_series())
        job["metric_relabel_configs"] = job.get("metric_relabel_configs", []) + drops + [dict(PII_LABEL_DROP)]
        jobs.append(job)
    names = [job["job_name"] for job in jobs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"configs/prometheus: job_name used twice: {', '.join(duplicated)}")
    return jobs


def cluster_exporter_jobs(settings: Settings) -> list[dict]:
    jobs = [
        kube_state_metrics_job(service_of(settings.kube_state_metrics, settings.namespace, KUBE_STATE_METRICS)),
        node_exporter_job(service_of(settings.node_exporter, settings.node_exporter.own_namespace, NODE_EXPORTER)),
    ]
    probes = blackbox_job(settings)
    return jobs + ([probes] if probes else [])


def alertmanager_targets(settings: Settings) -> list[str]:
    # Each Alertmanager peer by its stable StatefulSet DNS name: Prometheus must send every alert to
    # every peer, which a load-balanced Service would not do.
    return [ALERTMANAGER.pod_address(index, settings.namespace) for index in range(settings.alertmanager.replicas)]


def render_prometheus_config(settings: Settings) -> str:
    prometheus = settings.prometheus
    document = {
        "global": {
            "scrape_interval": prometheus.scrape_interval,
            "evaluation_interval": prometheus.evaluation_interval,
            "scrape_timeout": SCRAPE_TIMEOUT,
            # Prometheus 3 expands ${POD_NAME} (the pod's env) in external labels: each replica
            # labels its own series, so a long-term store can deduplicate the pair.
            "external_labels": {"cluster": settings.cluster_name, "replica": "${POD_NAME}"},
        },
        "alerting": {
            # Both replicas send the same alert; without their replica label the two copies are one
            # alert to Alertmanager, which then notifies once.
            "alert_relabel_configs": [{"action": "labeldrop", "regex": "replica"}],
            "alertmanagers": [{"static_configs": [{"targets": alertmanager_targets(settings)}]}],
        },
        "rule_files": [PROMETHEUS.path("rules", "*.yml")],
        "scrape_configs": scrape_configs(settings),
    }
    if prometheus.remote_write_url:
        remote_write = {
            "url": prometheus.remote_write_url,
            "queue_config": {"max_samples_per_send": 2000, "max_shards": 50},
        }
        if prometheus.remote_write_username:
            remote_write["basic_auth"] = {
                "username": prometheus.remote_write_username,
                "password_file": PROMETHEUS.path("secrets", REMOTE_WRITE_PASSWORD),
            }
        document["remote_write"] = [remote_write]
    return dump_yaml(document)
