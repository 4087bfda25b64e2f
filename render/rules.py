"""Prometheus rule files per stack: configs/prometheus/rules/*.yml + the SLO rules of configs/slo.yml.

Pure Python (no Pulumi). The one place where every alert gets its links:
  runbook_url   = {alerting.runbook_base_url}/<AlertName>.md   (pages in docs/runbooks/)
  dashboard_url = <grafana URL>/d/<uid>                       (uid per rule file, see DASHBOARDS)
The Prometheus component mounts the result at /etc/prometheus/rules/ (rule_files: /etc/prometheus/rules/*.yml).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterator

import yaml

from model.slo import SloSpec
from model.urls import public_url, runbook_url
from model.yamltext import dump_yaml
from render.job_absence import OWNERS_FILE
from render.job_absence import RULE_FILE as JOB_ABSENCE_RULE_FILE
from render.job_absence import job_absence_groups, only_for
from render.prometheus_config import scrape_configs
from render.slo import SLO_FILE, load_slo_spec, slo_rule_groups

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "configs" / "prometheus" / "rules"
RUNBOOKS_DIR = ROOT / "docs" / "runbooks"
SLO_RULE_FILE = "slo.yml"

# Grafana dashboard uid an alert links to, by the rule file it lives in (uids of the dashboards
# component: "waqiti-" + the board's name); a few alerts have a more specific board.
DASHBOARDS = {
    "payment.yml": "waqiti-payment-service",
    "wallet.yml": "waqiti-wallet-service",
    "business.yml": "waqiti-revenue-analytics",
    "security.yml": "waqiti-security-overview",
    "compliance.yml": "waqiti-security-overview",
    "infrastructure.yml": "waqiti-infrastructure",
    "kubernetes.yml": "waqiti-infrastructure",
    "nodes.yml": "waqiti-infrastructure",
    "cronjobs.yml": "waqiti-monitoring-stack",
    "self-monitoring.yml": "waqiti-monitoring-stack",
    "probes.yml": "waqiti-sla-compliance",
    "meta-monitoring.yml": "waqiti-monitoring-stack",
    "service.yml": "waqiti-infrastructure",
    SLO_RULE_FILE: "waqiti-sla-compliance",
    JOB_ABSENCE_RULE_FILE: "waqiti-monitoring-stack",
}
DASHBOARD_OF_ALERT = {
    "UserRegistrationAnomaly": "waqiti-user-analytics",
    "FraudHighRiskAlertSurge": "waqiti-risk-management",
    "FraudModelAccuracyLow": "waqiti-risk-management",
    "FraudModelFalsePositiveRateHigh": "waqiti-risk-management",
}


def dashboard_url(settings, uid: str) -> str:
    return f"{public_url(settings, settings.grafana.host)}/d/{uid}"


def source_rule_files(slo: SloSpec | None = None) -> dict[str, dict]:
    """The hand-written rule files plus those generated from the SLO spec, as data, before any per-stack links."""
    files = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(RULES_DIR.glob("*.yml"))}
    for generated, source in ((SLO_RULE_FILE, SLO_FILE), (JOB_ABSENCE_RULE_FILE, OWNERS_FILE)):
        if generated in files:
            raise ValueError(f"{RULES_DIR / generated}: this name is reserved for the rules generated from {source}")
    files[SLO_RULE_FILE] = {"groups": slo_rule_groups(slo or load_slo_spec())}
    files[JOB_ABSENCE_RULE_FILE] = {"groups": job_absence_groups()}
    return files


def iter_alerts(files: dict[str, dict]) -> Iterator[tuple[str, str, dict]]:
    """(file name, group name, alerting rule) for every alerting rule."""
    for name, document in files.items():
        for group in document.get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    yield name, group["name"], rule


def _with_links(files: dict[str, dict], settings) -> dict[str, dict]:
    files = copy.deepcopy(files)
    for name, _group, rule in iter_alerts(files):
        uid = DASHBOARD_OF_ALERT.get(rule["alert"]) or DASHBOARDS.get(name)
        if uid is None:
            raise ValueError(f"{name}: no dashboard for alert {rule['alert']}; add the file to render/rules.py DASHBOARDS")
        annotations = rule.setdefault("annotations", {})
        for key in ("runbook_url", "dashboard_url"):
            if key in annotations:
                raise ValueError(f"{name}: {rule['alert']} sets {key} by hand; render/rules.py adds it")
        annotations["runbook_url"] = runbook_url(settings, rule["alert"])
        annotations["dashboard_url"] = dashboard_url(settings, uid)
    return files


def render_rule_files(settings, slo: SloSpec | None = None, sources: dict[str, dict] | None = None) -> dict[str, str]:
    """File name -> YAML text of every Prometheus rule file of the stack."""
    rendered = {}
    scraped = {job["job_name"] for job in scrape_configs(settings)}
    for name, document in _with_links(only_for(sources or source_rule_files(slo), scraped), settings).items():
        origin = {SLO_RULE_FILE: "configs/slo.yml (render/slo.py)",
                  JOB_ABSENCE_RULE_FILE: "configs/prometheus/scrape-job-owners.yml (render/job_absence.py)"}.get(
                      name, f"configs/prometheus/rules/{name}")
        header = f"# Generated by render/rules.py for {settings.environment} from {origin}. Do not edit.\n"
        rendered[name] = header + dump_yaml(document)
    return rendered
