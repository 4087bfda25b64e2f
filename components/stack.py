"""The whole monitoring namespace of one stack, composed from the components."""

from __future__ import annotations


import pulumi

from components.alertmanager import Alertmanager, AlertmanagerArgs
from components.business_metrics_exporter import BusinessMetricsExporter, BusinessMetricsExporterArgs
from components.grafana import Grafana, GrafanaArgs
from components.ingress import MonitoringIngress
from components.namespace import MonitoringNamespace
from components.network_policies import NetworkPolicies
from components.passwords import configured_or_generated
from components.prometheus import Prometheus, PrometheusArgs
from components.rbac import PrometheusRbac
from components.reporting import SlaReporting, SlaReportingArgs
from model.settings import StackConfig
from render.alertmanager_config import SECRET_FILES
from render.content import render_content

def aws_credentials_file(secrets: dict[str, pulumi.Output[str]]):
    """An AWS shared-credentials file for SNS from the two key secrets; None to use the pod's role."""
    if "snsAccessKeyId" not in secrets:
        return None
    return pulumi.Output.format(
        "[default]\naws_access_key_id = {0}\naws_secret_access_key = {1}\n", secrets["snsAccessKeyId"], secrets["snsSecretAccessKey"]
    )


class MonitoringStack(pulumi.ComponentResource):
    """Everything in the `monitoring` namespace; its attributes are the components."""

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None):
        settings, secrets = config.settings, config.secrets
        content = render_content(settings)  # first: a content error must stop the program before any resource
        super().__init__("waqiti:monitoring:Stack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        after_namespace = lambda: pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace])  # noqa: E731
        ns = settings.namespace

        self.namespace = MonitoringNamespace("namespace", ns, opts=child)
        self.rbac = PrometheusRbac("rbac", ns, opts=after_namespace())
        self.prometheus = Prometheus(
            "prometheus",
            PrometheusArgs(
                settings=settings.prometheus,
                namespace=ns,
                service_account_name=self.rbac.service_account.metadata.name,
                config_reloader_image=settings.config_reloader.image,
                prometheus_yml=content.prometheus_yml,
                rule_files=content.rule_files,
                storage_class=settings.storage_class,
                remote_write_password=secrets.get("remoteWritePassword"),
            ),
            opts=after_namespace(),
        )
        self.alertmanager = Alertmanager(
            "alertmanager",
            AlertmanagerArgs(
                settings=settings.alertmanager,
                namespace=ns,
                config_reloader_image=settings.config_reloader.image,
                files=content.alertmanager_files,
                secret_files={file: secrets[key] for file, key in SECRET_FILES.items() if key in secrets},
                sns_credentials_file=aws_credentials_file(secrets),
                storage_class=settings.storage_class,
            ),
            opts=after_namespace(),
        )
        self.grafana_admin_password = configured_or_generated("grafana-admin-password", secrets.get("grafanaAdminPassword"), parent=self)
        grafana_secrets = {
            "admin-password": self.grafana_admin_password,
            "secret-key": configured_or_generated("grafana-secret-key", secrets.get("grafanaSecretKey"), length=40, parent=self),
            "smtp-password": secrets["smtpPassword"],
        }
        if settings.grafana.database_host:
            grafana_secrets["database-password"] = secrets["grafanaDatabasePassword"]
        if settings.grafana.redis_address:
            redis_password = secrets.get("grafanaRedisPassword")
            connstr = f"addr={settings.grafana.redis_address},pool_size=100,db=0,ssl=false"
            grafana_secrets["redis-connstr"] = (
                pulumi.Output.concat(connstr, ",password=", redis_password) if redis_password is not None else pulumi.Output.secret(connstr)
            )
        if settings.grafana.image_renderer_enabled:
            grafana_secrets["renderer-token"] = configured_or_generated("grafana-renderer-token", None, parent=self)
        self.grafana = Grafana(
            "grafana",
            GrafanaArgs(settings=settings, namespace=ns, dashboards=content.dashboards, secrets=grafana_secrets),
            opts=after_namespace(),
        )
        self.exporter = BusinessMetricsExporter(
            "business-metrics-exporter",
            BusinessMetricsExporterArgs(
                settings=settings.exporter,
                namespace=ns,
                config_files=content.exporter_config,
                database_password=secrets["exporterDatabasePassword"],
            ),
            opts=after_namespace(),
        )
        self.reporting = None
        if settings.reporting.enabled:
            self.reporting = SlaReporting(
                "sla-reporting",
                SlaReportingArgs(settings=settings, smtp_password=secrets["smtpPassword"], grafana_token=secrets.get("grafanaBackupToken")),
                opts=after_namespace(),
            )
        self.network_policies = NetworkPolicies("network-policies", settings, ns, opts=after_namespace())
        self.basic_auth_password = configured_or_generated("ingress-basic-auth-password", secrets.get("ingressBasicAuthPassword"), parent=self)
        self.ingress = MonitoringIngress("ingress", settings, ns, self.basic_auth_password, opts=after_namespace())

        self.outputs = {
            "namespace": self.namespace.name,
            "grafanaUrl": self.ingress.urls["grafana"],
            "prometheusUrl": self.ingress.urls["prometheus"],
            "alertmanagerUrl": self.ingress.urls["alertmanager"],
            "grafanaAdminUser": pulumi.Output.from_input(settings.grafana.admin_user),
            "grafanaAdminPassword": pulumi.Output.secret(self.grafana_admin_password),
            "basicAuthUser": pulumi.Output.from_input(settings.ingress.basic_auth_user),
            "basicAuthPassword": pulumi.Output.secret(self.basic_auth_password),
        }
        self.register_outputs(self.outputs)
