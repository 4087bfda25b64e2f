"""Grafana's own files for a stack: grafana.ini, datasources and dashboard providers.

Secret values never appear here: grafana.ini reads each one with `$__file{...}` from the Secret the
Grafana component mounts at its secrets directory (model/endpoints.py).
"""

from __future__ import annotations

import configparser
import io

from model.endpoints import ALERTMANAGER, GRAFANA, GRAFANA_RENDERER, INGRESS_USER_HEADER, PROMETHEUS
from model.settings import Settings
from model.yamltext import dump_yaml

# Datasource uids are a contract with the dashboards (render/dashboards), which select them by uid.
PROMETHEUS_UID = "prometheus"
ALERTMANAGER_UID = "alertmanager"

FOLDER_TITLES = {
    "executive": "Executive",
    "operational": "Operational",
    "business-intelligence": "Business Intelligence",
    "monitoring": "Monitoring Stack",
}


def secret_file(key: str) -> str:
    return "$__file{" + GRAFANA.path("secrets", key) + "}"


def secret_keys(settings: Settings) -> list[str]:
    """The files of the Grafana Secret that grafana.ini refers to for this stack."""
    keys = ["admin-password", "secret-key", "smtp-password"]
    if settings.grafana.database_host:
        keys.append("database-password")
    if settings.grafana.redis_address:
        keys.append("redis-connstr")
    if settings.grafana.image_renderer_enabled:
        keys.append("renderer-token")
    return keys


def render_grafana_ini(settings: Settings) -> str:
    grafana = settings.grafana
    ini = configparser.ConfigParser(interpolation=None)
    ini["paths"] = {"data": GRAFANA.dirs["data"], "provisioning": GRAFANA.dirs["provisioning"], "logs": "/tmp/grafana-logs"}
    ini["server"] = {"http_port": str(GRAFANA.port), "root_url": f"https://{grafana.host}/", "enforce_domain": "false"}
    ini["security"] = {
        "admin_user": grafana.admin_user,
        "admin_password": secret_file("admin-password"),
        "secret_key": secret_file("secret-key"),
        "cookie_secure": "true",
        "cookie_samesite": "strict",
        "strict_transport_security": "true",
        "disable_gravatar": "true",
        "disable_initial_admin_creation": "false",
    }
    ini["auth.anonymous"] = {"enabled": "false"}
    # The Authorization header is the ingress's; Grafana never checks a password from it.
    ini["auth.basic"] = {"enabled": "false"}
    # Each person is signed in by the login the ingress checked (its login check names it in this
    # header; the ingress drops any copy the client sent). Only the ingress controller may reach
    # Grafana with it (NetworkPolicy; the whitelist narrows it to the controller's addresses), so
    # dashboards, annotations and the audit log record who. Without the header (a port-forward),
    # Grafana's own login form still signs the admin in.
    ini["auth.proxy"] = {
        "enabled": "true",
        "header_name": INGRESS_USER_HEADER,
        "header_property": "username",
        "auto_sign_up": "true",
        "sync_ttl": "15",
        "whitelist": ", ".join(grafana.auth_proxy_whitelist),
        "enable_login_token": "false",
    }
    ini["users"] = {
        "allow_sign_up": "false",
        "allow_org_create": "false",
        "auto_assign_org": "true",
        "auto_assign_org_role": grafana.auth_proxy_role,
    }
    ini["analytics"] = {"reporting_enabled": "false", "check_for_updates": "false", "check_for_plugin_updates": "false"}
    ini["log"] = {"mode": "console", "level": "info"}
    # Alerts are Prometheus's and Alertmanager's job; Grafana only shows them.
    ini["unified_alerting"] = {"enabled": "false"}
    if grafana.database_host:
        # Sessions and every setting live in the shared PostgreSQL, so any replica serves any user.
        ini["database"] = {
            "type": "postgres",
            "host": f"{grafana.database_host}:{grafana.database_port}",
            "name": grafana.database_name,
            "user": grafana.database_user,
            "password": secret_file("database-password"),
            "ssl_mode": grafana.database_ssl_mode,
        }
    else:
        ini["database"] = {"type": "sqlite3", "path": GRAFANA.path("data", "grafana.db"), "wal": "true"}
    if grafana.redis_address:
        ini["remote_cache"] = {"type": "redis", "connstr": secret_file("redis-connstr")}
    smtp = settings.smtp
    ini["smtp"] = {
        "enabled": "true",
        "host": smtp.smarthost,
        "user": smtp.username,
        "password": secret_file("smtp-password"),
        "from_address": smtp.sender,
        "from_name": "Waqiti Grafana",
        "startTLS_policy": "MandatoryStartTLS" if smtp.require_tls else "OpportunisticStartTLS",
    }
    if grafana.image_renderer_enabled:
        ini["rendering"] = {
            "server_url": f"http://{GRAFANA_RENDERER.name}:{GRAFANA_RENDERER.port}/render",
            "callback_url": f"{GRAFANA.url(settings.namespace)}/",
            "renderer_token": secret_file("renderer-token"),
        }
    out = io.StringIO()
    ini.write(out)
    return out.getvalue()


def render_datasources(settings: Settings) -> str:
    namespace = settings.namespace
    document = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": PROMETHEUS_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": PROMETHEUS.url(namespace),
                "isDefault": True,
                "editable": False,
                "jsonData": {"timeInterval": settings.prometheus.scrape_interval, "httpMethod": "POST", "prometheusType": "Prometheus"},
            },
            {
                "name": "Alertmanager",
                "uid": ALERTMANAGER_UID,
                "type": "alertmanager",
                "access": "proxy",
                "url": ALERTMANAGER.url(namespace),
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            },
        ],
    }
    return dump_yaml(document)


def render_dashboard_providers(folders: list[str]) -> str:
    document = {
        "apiVersion": 1,
        "providers": [
            {
                "name": folder,
                "folder": FOLDER_TITLES.get(folder, folder.replace("-", " ").title()),
                "folderUid": f"waqiti-{folder}",
                "type": "file",
                # Dashboards are code: edits in the UI are not kept, and provisioning deletes nothing by hand.
                "allowUiUpdates": False,
                "disableDeletion": True,
                "updateIntervalSeconds": 30,
                "options": {"path": GRAFANA.path("dashboards", folder)},
            }
            for folder in sorted(folders)
        ],
    }
    return dump_yaml(document)


def render_provisioning(settings: Settings, folders: list[str]) -> dict[str, str]:
    """Files under Grafana's provisioning directory."""
    return {
        "datasources/datasources.yml": render_datasources(settings),
        "dashboards/providers.yml": render_dashboard_providers(folders),
    }
