"""Everything a stack's servers read, rendered at once before any resource is created.

One content object per component: the components only wrap these files (and their secrets) in
Kubernetes objects. A broken rule file, an SLO target of 101 or a dashboard too large for a
ConfigMap fails here, so `pulumi preview` reports it and `pulumi up` never creates half a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.settings import Settings
from model.slo import SloSpec, load_slo_spec
from render import grafana_provisioning
from render.alertmanager_config import SECRET_FILES, render_alertmanager_files
from render.dashboards import render_dashboards
from render.ingress_auth import render_nginx_conf
from render.prometheus_config import render_prometheus_config
from render.prometheus_gate import FILE as GATE_FILE, render_gate_config
from render.report_targets import render_report_targets
from render.rules import render_rule_files, source_rule_files

CONFIG_MAP_LIMIT = 1_000_000  # bytes; Kubernetes refuses larger objects
EXPORTER_CONFIG = Path(__file__).resolve().parent.parent / "exporter" / "config.yml"
BLACKBOX_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "blackbox" / "blackbox.yml"


@dataclass(frozen=True)
class PrometheusContent:
    config: dict[str, str]  # prometheus.yml
    rules: dict[str, str]  # rule file name -> YAML
    gate: dict[str, str]  # the gate's nginx.conf


@dataclass(frozen=True)
class AlertmanagerContent:
    files: dict[str, str]  # alertmanager.yml and templates/*.tmpl
    secret_files: dict[str, str]  # file of its Secret that alertmanager.yml names -> stack secret key


@dataclass(frozen=True)
class GrafanaContent:
    config: dict[str, str]  # grafana.ini
    provisioning: dict[str, str]  # datasources and dashboard providers
    dashboards: dict[str, dict[str, str]]  # folder -> <uid>.json -> JSON
    secret_keys: list[str]  # files of its Secret that grafana.ini reads with $__file{}


@dataclass(frozen=True)
class ExporterContent:
    config: dict[str, str]  # config.yml: the metric -> table/column mapping


@dataclass(frozen=True)
class ReportingContent:
    config: dict[str, str]  # slo-targets.yml: objectives and paging rota of the report jobs


@dataclass(frozen=True)
class BlackboxContent:
    config: dict[str, str]  # blackbox.yml: the probe modules


@dataclass(frozen=True)
class IngressAuthContent:
    config: dict[str, str]  # nginx.conf of the login check; the htpasswd is its Secret


@dataclass(frozen=True)
class StackContent:
    prometheus: PrometheusContent
    alertmanager: AlertmanagerContent
    grafana: GrafanaContent
    exporter: ExporterContent
    reporting: ReportingContent
    blackbox: BlackboxContent
    ingress_auth: IngressAuthContent


def check_config_map_sizes(dashboards: dict[str, dict[str, str]]) -> None:
    """Each dashboard folder becomes one ConfigMap."""
    for folder, files in dashboards.items():
        size = sum(len(text.encode()) for text in files.values())
        if size > CONFIG_MAP_LIMIT:
            raise ValueError(f"grafana dashboards folder {folder!r} is {size} bytes; a ConfigMap holds at most {CONFIG_MAP_LIMIT}: split the folder")


def grafana_content(settings: Settings, slo: SloSpec) -> GrafanaContent:
    dashboards = render_dashboards(settings, slo)
    check_config_map_sizes(dashboards)
    return GrafanaContent(
        config={"grafana.ini": grafana_provisioning.render_grafana_ini(settings)},
        provisioning=grafana_provisioning.render_provisioning(settings, list(dashboards)),
        dashboards=dashboards,
        secret_keys=grafana_provisioning.secret_keys(settings),
    )


def render_content(settings: Settings, slo: SloSpec | None = None) -> StackContent:
    """Every file of the stack; `slo` is the spec of configs/slo.yml unless given (rules, dashboards and reports alike)."""
    slo = slo or load_slo_spec()
    rule_sources = source_rule_files(slo)
    return StackContent(
        prometheus=PrometheusContent(
            config={"prometheus.yml": render_prometheus_config(settings)},
            rules=render_rule_files(settings, sources=rule_sources),
            gate={GATE_FILE: render_gate_config(settings)},
        ),
        alertmanager=AlertmanagerContent(files=render_alertmanager_files(settings), secret_files=dict(SECRET_FILES)),
        grafana=grafana_content(settings, slo),
        exporter=ExporterContent(config={"config.yml": EXPORTER_CONFIG.read_text()}),
        reporting=ReportingContent(config=render_report_targets(slo, rule_sources, settings.environment)),
        blackbox=BlackboxContent(config={"blackbox.yml": BLACKBOX_CONFIG.read_text()}),
        ingress_auth=IngressAuthContent(config={"nginx.conf": render_nginx_conf()}),
    )
