"""Grafana: stateless replicas on PostgreSQL with a Redis cache, dashboards provisioned from ConfigMaps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from model.endpoints import GRAFANA, GRAFANA_RENDERER
from model.settings import Settings
from render import grafana_provisioning as files

NAME = GRAFANA.name
COMPONENT = "grafana"
RENDERER = GRAFANA_RENDERER.name


@dataclass
class GrafanaArgs:
    settings: Settings
    namespace: str
    dashboards: dict[str, dict[str, str]]  # folder -> file name -> JSON
    secrets: dict[str, pulumi.Output[str]]  # keys of render.grafana_provisioning.secret_keys()


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
    url: pulumi.Output[str]

    def __init__(self, name: str, args: GrafanaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Grafana", name, None, opts)
        child = kube.child(self)
        settings, grafana, namespace = args.settings, args.settings.grafana, args.namespace

        expected = sorted(files.secret_keys(settings))
        if sorted(args.secrets) != expected:
            raise ValueError(f"grafana secrets: expected exactly {expected}, got {sorted(args.secrets)}")
        config_files = {"grafana.ini": files.render_grafana_ini(settings)}
        provisioning_files = files.render_provisioning(settings, list(args.dashboards))
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, namespace, config_files, child, label_name=NAME)
        self.provisioning = kube.config_map_of_files(f"{NAME}-provisioning", COMPONENT, namespace, provisioning_files, child, label_name=NAME)
        self.dashboards = {}
        for folder, dashboards in sorted(args.dashboards.items()):
            self.dashboards[folder] = kube.config_map_of_files(f"{NAME}-dashboards-{folder}", COMPONENT, namespace, dashboards, child, label_name=NAME)
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, namespace, args.secrets, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child)

        self.data = None
        if grafana.database_host is None:
            # Without a database Grafana keeps its SQLite file here (a single replica: see settings).
            self.data = k8s.core.v1.PersistentVolumeClaim(
                f"{NAME}-data",
                metadata=kube.metadata(f"{NAME}-data", COMPONENT, namespace, label_name=NAME),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteOnce"],
                    storage_class_name=settings.storage_class,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": grafana.storage_size}),
                ),
                opts=child,
            )
            data_volume = k8s.core.v1.VolumeArgs(
                name="data", persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=f"{NAME}-data")
            )
        else:
            data_volume = kube.empty_dir("data", "1Gi")

        volumes = [
            kube.config_map_volume("config", f"{NAME}-config", config_files),
            kube.config_map_volume("provisioning", f"{NAME}-provisioning", provisioning_files),
            kube.secret_volume("secrets", f"{NAME}-secrets", sorted(args.secrets)),
            data_volume,
            kube.empty_dir("tmp", "512Mi"),
        ] + [kube.config_map_volume(f"dashboards-{folder}", f"{NAME}-dashboards-{folder}", dashboards) for folder, dashboards in sorted(args.dashboards.items())]
        mounts = [
            kube.mount("config", GRAFANA.dirs["config"]),
            kube.mount("provisioning", GRAFANA.dirs["provisioning"]),
            kube.mount("secrets", GRAFANA.dirs["secrets"]),
            kube.mount("data", GRAFANA.dirs["data"], read_only=False),
            kube.mount("tmp", "/tmp", read_only=False),
        ] + [kube.mount(f"dashboards-{folder}", GRAFANA.path("dashboards", folder)) for folder in sorted(args.dashboards)]

        # grafana.ini and datasources are read at start only: their digest on the pod template rolls
        # the pods when they change. Dashboards are not in it: Grafana re-reads those files itself.
        digest = hashlib.sha256(json.dumps([config_files, provisioning_files], sort_keys=True).encode()).hexdigest()[:16]
        container = kube.container(
            "grafana",
            grafana.image,
            env=[k8s.core.v1.EnvVarArgs(name="GF_PATHS_CONFIG", value=GRAFANA.path("config", "grafana.ini"))],
            ports=[k8s.core.v1.ContainerPortArgs(name=GRAFANA.port_name, container_port=GRAFANA.port)],
            volume_mounts=mounts,
            resources=kube.resources_of(grafana),
            liveness_probe=kube.http_probe("/api/health", GRAFANA.port_name, initial_delay=30),
            readiness_probe=kube.http_probe("/api/health", GRAFANA.port_name, initial_delay=5, period=5, failure_threshold=3),
        )
        self.deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(grafana.image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=grafana.replicas,
                # A single replica on a ReadWriteOnce volume cannot surge: the new pod would wait for the disk.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="RollingUpdate" if grafana.database_host else "Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [container], volumes, NAME, spread=True, annotations={"waqiti.io/config-digest": digest}),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.provisioning, self.secrets]),
        )
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(GRAFANA.port_name, GRAFANA.port)], child)
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, namespace, grafana.replicas, child)

        self.renderer = self.renderer_service = None
        if grafana.image_renderer_enabled:
            self.renderer = self._renderer(settings, namespace, child)
            self.renderer_service = kube.service(RENDERER, COMPONENT, namespace, [kube.port(GRAFANA_RENDERER.port_name, GRAFANA_RENDERER.port)], child)
        self.url = pulumi.Output.concat("https://", grafana.host)
        self.register_outputs({"url": self.url})

    def _renderer(self, settings: Settings, namespace: str, child: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
        """The image renderer: headless Chromium that turns panels into PNGs for reports and alerts."""
        container = kube.container(
            "renderer",
            settings.grafana.renderer_image,
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
                namespace,
                annotations=kube.skip_checks(
                    CKV_K8S_35="the image renderer reads its auth token only from the AUTH_TOKEN variable (fed by secretKeyRef)",
                    **kube.unless_digest_pinned(settings.grafana.renderer_image),
                ),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(RENDERER)),
                template=kube.pod_template(RENDERER, COMPONENT, [container], [kube.empty_dir("tmp", "1Gi")], NAME),
            ),
            opts=child,
        )
