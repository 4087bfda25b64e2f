"""The stack's settings: one typed model of every key in `Pulumi.<stack>.yaml`, validated once.

types.py holds the value types, one module per group holds its fields, secrets.py the secret keys,
load.py the mapping of config keys and the validation. The names below are the public ones.
"""

from model.settings.alerting import AlertingSettings
from model.settings.alertmanager import AlertmanagerSettings
from model.settings.blackbox import BlackboxSettings, HttpProbe
from model.settings.cluster_exporters import KubeStateMetricsSettings, NodeExporterSettings
from model.settings.config_reloader import ConfigReloaderSettings
from model.settings.exporter import ExporterSettings
from model.settings.grafana import GrafanaSettings
from model.settings.ingress import IngressSettings
from model.settings.load import StackConfig, SettingsError, config_keys, load, parse, read_stack_file, settings_for_stack
from model.settings.network import NetworkSettings
from model.settings.prometheus import PrometheusSettings
from model.settings.reporting import ReportingSettings
from model.settings.secrets import PROJECT, SECRET_KEYS, SECRETS, SecretSpec, missing_secrets
from model.settings.smtp import SmtpSettings
from model.settings.stack import Settings
from model.settings.types import Group

__all__ = [
    "AlertingSettings", "AlertmanagerSettings", "BlackboxSettings", "HttpProbe", "KubeStateMetricsSettings", "NodeExporterSettings", "ConfigReloaderSettings", "ExporterSettings", "GrafanaSettings",
    "Group", "IngressSettings", "NetworkSettings", "PROJECT", "PrometheusSettings", "ReportingSettings", "SECRETS",
    "SECRET_KEYS", "SecretSpec", "Settings", "SettingsError", "SmtpSettings", "StackConfig", "config_keys", "load",
    "missing_secrets", "parse", "read_stack_file", "settings_for_stack",
]
