"""The blackbox exporter: probes the public payment and wallet endpoints and the ingress hosts' TLS.

Prometheus' `blackbox` job (render/probe_jobs.py) asks it to probe each target; it runs its modules
(configs/blackbox/blackbox.yml) under Pod Security `restricted`. Reached only by Prometheus; it
reaches the probed hosts on 80 and 443 (NetworkPolicy).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.shape import ComponentArgs
from model.endpoints import BLACKBOX_EXPORTER
from model.settings import BlackboxSettings
from render.content import BlackboxContent

NAME = BLACKBOX_EXPORTER.name
COMPONENT = "blackbox-exporter"
CONFIG_DIR = BLACKBOX_EXPORTER.dirs["config"]

BlackboxExporterArgs = ComponentArgs[BlackboxSettings, BlackboxContent]


class BlackboxExporter(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    service_account: k8s.core.v1.ServiceAccount
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: BlackboxExporterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:BlackboxExporter", name, None, opts)
        child = kube.child(self)
        settings, namespace = args.settings, args.placement.namespace
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, namespace, args.content.config, child, label_name=NAME)
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child)
        container = kube.container(
            NAME,
            settings.image,
            args=[f"--config.file={CONFIG_DIR}/blackbox.yml", f"--web.listen-address=:{BLACKBOX_EXPORTER.port}"],
            ports=[k8s.core.v1.ContainerPortArgs(name=BLACKBOX_EXPORTER.port_name, container_port=BLACKBOX_EXPORTER.port)],
            volume_mounts=[kube.mount("config", CONFIG_DIR)],
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/-/healthy", BLACKBOX_EXPORTER.port_name),
            readiness_probe=kube.http_probe("/-/healthy", BLACKBOX_EXPORTER.port_name, initial_delay=3, period=10, failure_threshold=3),
        )
        self.deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(settings.image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [container], [kube.config_map_volume("config", f"{NAME}-config", args.content.config)], NAME),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.service_account]),
        )
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(BLACKBOX_EXPORTER.port_name, BLACKBOX_EXPORTER.port)], child)
        self.register_outputs({})
