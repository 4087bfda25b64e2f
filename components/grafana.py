"""Grafana: stateless replicas on PostgreSQL with a Redis cache, dashboards provisioned from ConfigMaps.

Its Secret is built here from the stack's secrets: the admin password and secret key (generated when
unset), the SMTP and database passwords, the Redis connection string and the renderer token; exactly
the keys grafana.ini reads (render/grafana_provisioning.py).
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.passwords import configured_or_generated
from components.shape import ComponentArgs
from model.endpoints import GRAFANA, GRAFANA_RENDERER
from model.settings import GrafanaSettings
from render.content import GrafanaContent

NAME = GRAFANA.name
COMPONENT = "grafana"
RENDERER = GRAFANA_RENDERER.name

GrafanaArgs = ComponentArgs[GrafanaSettings, GrafanaContent]


def redis_connection_string(settings: GrafanaSettings, password: Optional[pulumi.Output[str]]) -> pulumi.Output[str]:
    connstr = f"addr={settings.redis_address},pool_size=100,db=0,ssl=false"
    return pulumi.Output.concat(connstr, ",password=", password) if password is not None else pulumi.Output.secret(connstr)


class Grafana(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    provisioning: k8s.core.v1.ConfigMap
    dashboards: dict[str, k8s.core.v1.ConfigMap]
    secrets: k8s.core.v1.Secret
    service_account: k8s.core.v1.ServiceAccount
    data: Optional[k8s.core.v1.PersistentVolumeClaim]
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    disruption_budget: Optional[k8s.policy.v1.PodDisruptionBudget]
    renderer: Optional[k8s.apps.v1.Deployment]
    renderer_service: Optional[k8s.core.v1.Service]
    admin_password: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: GrafanaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Grafana", name, None, opts)
        self.args, self.namespace, child = args, args.placement.namespace, kube.child(self)
        settings, content = args.settings, args.content
        secret_values = self._secret_values(opts.parent if opts else None)
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, self.namespace, content.config, child, label_name=NAME)
        self.provisioning = kube.config_map_of_files(f"{NAME}-provisioning", COMPONENT, self.namespace, content.provisioning, child, label_name=NAME)
        self.dashboards = {
            folder: kube.config_map_of_files(f"{NAME}-dashboards-{folder}", COMPONENT, self.namespace, files, child, label_name=NAME)
            for folder, files in sorted(content.dashboards.items())
        }
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, self.namespace, secret_values, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, self.namespace, child)
        self.data = self._data_claim(child)
        self.deployment = self._deployment()
        self.service = kube.service(NAME, COMPONENT, self.namespace, [kube.port(GRAFANA.port_name, GRAFANA.port)], child)
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, self.namespace, settings.replicas, child)
        self.renderer = self.renderer_service = None
        if settings.image_renderer_enabled:
            self.renderer = self._renderer(child)
            self.renderer_service = kube.service(RENDERER, COMPONENT, self.namespace, [kube.port(GRAFANA_RENDERER.port_name, GRAFANA_RENDERER.port)], child)
        self.url = pulumi.Output.concat("https://", settings.host)
        self.register_outputs({"url": self.url})

    def _secret_values(self, former_parent: Optional[pulumi.Resource]) -> dict[str, pulumi.Output[str]]:
        """The files of the Secret, which must be exactly those grafana.ini reads."""
        settings, secrets = self.args.settings, self.args.secrets
        generated = lambda key, name, length=32: configured_or_generated(  # noqa: E731
            name, secrets.get(key), length=length, parent=self, former_parent=former_parent
        )
        self.admin_password = generated("grafanaAdminPassword", "grafana-admin-password")
        values = {
            "admin-password": self.admin_password,
            "secret-key": generated("grafanaSecretKey", "grafana-secret-key", length=40),
            "smtp-password": secrets["smtpPassword"],
        }
        if settings.database_host:
            values["database-password"] = secrets["grafanaDatabasePassword"]
        if settings.redis_address:
            values["redis-connstr"] = redis_connection_string(settings, secrets.get("grafanaRedisPassword"))
        if settings.image_renderer_enabled:
            values["renderer-token"] = configured_or_generated("grafana-renderer-token", None, parent=self, former_parent=former_parent)
        expected = sorted(self.args.content.secret_keys)
        if sorted(values) != expected:
            raise ValueError(f"grafana secrets: grafana.ini reads {expected}, the Secret would hold {sorted(values)}")
        return values

    def _data_claim(self, child: pulumi.ResourceOptions) -> Optional[k8s.core.v1.PersistentVolumeClaim]:
        """Without a database Grafana keeps its SQLite file on this volume (a single replica: see settings)."""
        if self.args.settings.database_host is not None:
            return None
        return k8s.core.v1.PersistentVolumeClaim(
            f"{NAME}-data",
            metadata=kube.metadata(f"{NAME}-data", COMPONENT, self.namespace, label_name=NAME),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=self.args.placement.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": self.args.settings.storage_size}),
            ),
            opts=child,
        )

    def _volumes(self) -> tuple[list, list]:
        content, folders = self.args.content, sorted(self.args.content.dashboards)
        if self.data is not None:
            data_volume = k8s.core.v1.VolumeArgs(
                name="data", persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=f"{NAME}-data")
            )
        else:
            data_volume = kube.empty_dir("data", "1Gi")
        volumes = [
            kube.config_map_volume("config", f"{NAME}-config", content.config),
            kube.config_map_volume("provisioning", f"{NAME}-provisioning", content.provisioning),
            kube.secret_volume("secrets", f"{NAME}-secrets", sorted(content.secret_keys)),
            data_volume,
            kube.empty_dir("tmp", "512Mi"),
        ] + [kube.config_map_volume(f"dashboards-{folder}", f"{NAME}-dashboards-{folder}", content.dashboards[folder]) for folder in folders]
        mounts = [
            kube.mount("config", GRAFANA.dirs["config"]),
            kube.mount("provisioning", GRAFANA.dirs["provisioning"]),
            kube.mount("secrets", GRAFANA.dirs["secrets"]),
            kube.mount("data", GRAFANA.dirs["data"], read_only=False),
            kube.mount("tmp", "/tmp", read_only=False),
        ] + [kube.mount(f"dashboards-{folder}", GRAFANA.path("dashboards", folder)) for folder in folders]
        return volumes, mounts

    def _deployment(self) -> k8s.apps.v1.Deployment:
        settings, content = self.args.settings, self.args.content
        volumes, mounts = self._volumes()
        # grafana.ini and datasources are read at start only: their digest on the pod template rolls
        # the pods when they change. Dashboards are not in it: Grafana re-reads those files itself.
        digest = kube.digest_of(content.config, content.provisioning)
        container = kube.container(
            "grafana",
            settings.image,
            env=[k8s.core.v1.EnvVarArgs(name="GF_PATHS_CONFIG", value=GRAFANA.path("config", "grafana.ini"))],
            ports=[k8s.core.v1.ContainerPortArgs(name=GRAFANA.port_name, container_port=GRAFANA.port)],
            volume_mounts=mounts,
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/api/health", GRAFANA.port_name, initial_delay=30),
            readiness_probe=kube.http_probe("/api/health", GRAFANA.port_name, initial_delay=5, period=5, failure_threshold=3),
        )
        return k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, self.namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=settings.replicas,
                # A single replica on a ReadWriteOnce volume cannot surge: the new pod would wait for the disk.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="RollingUpdate" if settings.database_host else "Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [container], volumes, NAME, spread=True, annotations={"waqiti.io/config-digest": digest}),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.provisioning, self.secrets, self.service_account]),
        )

    def _renderer(self, child: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
        """The image renderer: headless Chromium that turns panels into PNGs for reports and alerts."""
        container = kube.container(
            "renderer",
            self.args.settings.renderer_image,
            env=[
                k8s.core.v1.EnvVarArgs(name="HTTP_PORT", value=str(GRAFANA_RENDERER.port)),
                kube.env_from_secret("AUTH_TOKEN", f"{NAME}-secrets", "renderer-token"),
                # Chromium writes its profile under HOME: the only writable place is /tmp.
                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name=GRAFANA_RENDERER.port_name, container_port=GRAFANA_RENDERER.port)],
            volume_mounts=[kube.mount("tmp", "/tmp", read_only=False)],
            resources=kube.resources("100m", "1000m", "256Mi", "1Gi"),
            liveness_probe=kube.http_probe("/", GRAFANA_RENDERER.port_name),
            readiness_probe=kube.http_probe("/", GRAFANA_RENDERER.port_name, initial_delay=3, period=10, failure_threshold=3),
        )
        return k8s.apps.v1.Deployment(
            RENDERER,
            metadata=kube.metadata(
                RENDERER,
                COMPONENT,
                self.namespace,
                annotations=kube.skip_checks(
                    CKV_K8S_35="the image renderer reads its auth token only from the AUTH_TOKEN variable (fed by secretKeyRef)",
                    **kube.unless_digest_pinned(self.args.settings.renderer_image),
                ),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(RENDERER)),
                template=kube.pod_template(RENDERER, COMPONENT, [container], [kube.empty_dir("tmp", "1Gi")], NAME),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.secrets, self.service_account]),
        )
