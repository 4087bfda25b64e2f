"""The whole stack's settings: the top-level keys and one field per group."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import model_validator

from model.settings.alerting import AlertingSettings
from model.settings.alertmanager import AlertmanagerSettings
from model.settings.blackbox import BlackboxSettings
from model.settings.cluster_exporters import KubeStateMetricsSettings, NodeExporterSettings
from model.settings.config_reloader import ConfigReloaderSettings
from model.settings.exporter import ExporterSettings
from model.settings.grafana import GrafanaSettings
from model.settings.ingress import IngressSettings
from model.settings.network import NetworkSettings
from model.settings.prometheus import PrometheusSettings
from model.settings.reporting import ReportingSettings
from model.settings.smtp import SmtpSettings
from model.hosts import host_of, place_of
from model.settings.types import DnsLabel, DnsName, Group


class Settings(Group):
    environment: Literal["production", "staging", "dev"]
    """production, staging or dev."""
    namespace: DnsLabel = "monitoring"
    """Namespace everything is deployed to."""
    cluster_name: DnsLabel
    """Value of the external label cluster on every series and alert."""
    storage_class: Optional[DnsName] = None
    """StorageClass of every volume; unset = the cluster default."""
    prometheus: PrometheusSettings = PrometheusSettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    alerting: AlertingSettings = AlertingSettings()
    smtp: SmtpSettings = SmtpSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    exporter: ExporterSettings = ExporterSettings()
    config_reloader: ConfigReloaderSettings = ConfigReloaderSettings()
    ingress: IngressSettings = IngressSettings()
    network: NetworkSettings = NetworkSettings()
    reporting: ReportingSettings = ReportingSettings()
    kube_state_metrics: KubeStateMetricsSettings = KubeStateMetricsSettings()
    node_exporter: NodeExporterSettings = NodeExporterSettings()
    blackbox: BlackboxSettings = BlackboxSettings()

    @model_validator(mode="after")
    def _grafana_replicas_need_a_database(self):
        # Several Grafana replicas cannot share one ReadWriteOnce volume of SQLite: they need PostgreSQL.
        if self.grafana.replicas > 1 and self.grafana.database_host is None:
            raise ValueError("grafanaReplicas: more than 1 replica needs grafanaDatabaseHost (a shared PostgreSQL)")
        return self

    @model_validator(mode="after")
    def _no_login_is_the_grafana_admin(self):
        # Grafana signs in whoever the ingress names: a login equal to the server admin's would make
        # whoever holds that ingress password Grafana's admin, past the admin password.
        if self.grafana.admin_user in self.ingress.users:
            key = "ingressBasicAuthUsers" if self.ingress.basic_auth_users else "ingressBasicAuthUser"
            raise ValueError(f"{key}: a login equals grafanaAdminUser; expected people's own logins, not Grafana's admin account")
        return self

    def database_hosts(self) -> dict[str, str]:
        """Config key -> host of every database and cache the stack's pods connect to."""
        hosts = {"exporterDatabaseHost": self.exporter.database_host}
        if self.grafana.database_host:
            hosts["grafanaDatabaseHost"] = self.grafana.database_host
        if self.grafana.redis_address:
            hosts["grafanaRedisAddress"] = host_of(self.grafana.redis_address)
        return hosts

    @model_validator(mode="after")
    def _outside_databases_need_their_addresses(self):
        # The egress policies allow a database by namespace or address, never "anywhere".
        outside = [key for key, host in self.database_hosts().items() if place_of(host, self.namespace) is None]
        if outside and not self.network.database_cidrs:
            raise ValueError(f"{outside[0]}: a host outside the cluster (not <service>.<namespace>.svc, not an IP); "
                             "NetworkPolicies select by address: set networkDatabaseCidrs to the range it resolves to")
        return self
