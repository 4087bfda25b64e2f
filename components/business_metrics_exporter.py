"""The business metrics exporter (exporter/): reads the platform database, serves /metrics to Prometheus."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.shape import ComponentArgs
from model.endpoints import EXPORTER
from model.settings import ExporterSettings
from render.content import ExporterContent

NAME = EXPORTER.name
COMPONENT = "business-metrics"
PORT = EXPORTER.port
CONFIG_DIR, SECRETS_DIR = EXPORTER.dirs["config"], EXPORTER.dirs["secrets"]


BusinessMetricsExporterArgs = ComponentArgs[ExporterSettings, ExporterContent]


def _env(name: str, value: str) -> k8s.core.v1.EnvVarArgs:
    return k8s.core.v1.EnvVarArgs(name=name, value=value)


class BusinessMetricsExporter(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    secrets: k8s.core.v1.Secret
    service_account: k8s.core.v1.ServiceAccount
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: BusinessMetricsExporterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:BusinessMetricsExporter", name, None, opts)
        child = kube.child(self)
        settings, namespace = args.settings, args.placement.namespace
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, namespace, args.content.config, child, label_name=NAME)
        password = args.secrets["exporterDatabasePassword"]
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, namespace, {"db-password": password}, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child)
        # libpq reads the connection from PG* variables; the password is a file from the Secret,
        # which the exporter reads at start (never an environment variable: those leak into dumps).
        env = [
            _env("PGHOST", settings.database_host),
            _env("PGPORT", str(settings.database_port)),
            _env("PGDATABASE", settings.database_name),
            _env("PGUSER", settings.database_user),
            _env("PGSSLMODE", settings.database_ssl_mode),
            _env("PGAPPNAME", NAME),
            _env("EXPORTER_DB_PASSWORD_FILE", f"{SECRETS_DIR}/db-password"),
        ]
        container = kube.container(
            "exporter",
            settings.image,
            args=["--config", f"{CONFIG_DIR}/config.yml", "--listen", f"0.0.0.0:{PORT}"],
            env=env,
            ports=[k8s.core.v1.ContainerPortArgs(name=EXPORTER.port_name, container_port=PORT)],
            volume_mounts=[kube.mount("config", CONFIG_DIR), kube.mount("secrets", SECRETS_DIR), kube.mount("tmp", "/tmp", read_only=False)],
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/healthz", EXPORTER.port_name),
            # Ready means serving: a database outage must stay visible in its metrics, not hide the target.
            readiness_probe=kube.http_probe("/readyz", EXPORTER.port_name, initial_delay=3, period=5, failure_threshold=3),
        )
        self.deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=settings.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(
                    NAME,
                    COMPONENT,
                    [container],
                    [
                        kube.config_map_volume("config", f"{NAME}-config", args.content.config),
                        kube.secret_volume("secrets", f"{NAME}-secrets", ["db-password"]),
                        kube.empty_dir("tmp", "64Mi"),
                    ],
                    NAME,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.secrets, self.service_account]),
        )
        # The scrape job `waqiti-business-metrics-exporter` finds this Service by name and port name.
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(EXPORTER.port_name, PORT)], child)
        self.register_outputs({})
