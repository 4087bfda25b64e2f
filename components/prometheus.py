"""Prometheus: a StatefulSet with its own volume per replica, configuration reloaded in place.

Each pod runs Prometheus on its loopback only, behind a gate (nginx, render/prometheus_gate.py) that
takes the web port for queries, the UI and probes but refuses the admin API and lifecycle endpoints,
and serves the TSDB snapshot alone on the admin port, which only the Prometheus backup may reach
(components/network_policies.py). NetworkPolicies are L4; the gate makes the admin API a port of its own.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.rbac import NAME as SERVICE_ACCOUNT
from components.shape import ComponentArgs
from model.endpoints import (
    CONFIG_RELOADER_PORT,
    PROMETHEUS,
    PROMETHEUS_ADMIN_PORT,
    PROMETHEUS_ADMIN_PORT_NAME,
    PROMETHEUS_LOOPBACK_PORT,
    SERVICE_ACCOUNT_DIR,
)
from model.settings import PrometheusSettings
from render.content import PrometheusContent
from render.prometheus_config import REMOTE_WRITE_PASSWORD
from render.prometheus_gate import FILE as GATE_FILE

NAME = PROMETHEUS.name
COMPONENT = "prometheus"
HEADLESS = PROMETHEUS.headless
WEB_PORT = PROMETHEUS.port
CONFIG_DIR, RULES_DIR, SECRETS_DIR, DATA_DIR = (PROMETHEUS.dirs[role] for role in ("config", "rules", "secrets", "data"))

GATE_DIR = "/etc/prometheus-gate"
API_TOKEN_VOLUME = "api-token"
API_TOKEN_DIR = SERVICE_ACCOUNT_DIR  # where service discovery looks


def _api_token_volume() -> k8s.core.v1.VolumeArgs:
    """The service account's token, the cluster CA and the namespace, as the kubelet would mount them
    for the whole pod, but mounted into the prometheus container alone: the config reloader sidecar
    talks to nothing but Prometheus and gets no token."""
    return k8s.core.v1.VolumeArgs(
        name=API_TOKEN_VOLUME,
        projected=k8s.core.v1.ProjectedVolumeSourceArgs(
            default_mode=0o444,
            sources=[
                k8s.core.v1.VolumeProjectionArgs(service_account_token=k8s.core.v1.ServiceAccountTokenProjectionArgs(
                    path="token", expiration_seconds=3600)),
                k8s.core.v1.VolumeProjectionArgs(config_map=k8s.core.v1.ConfigMapProjectionArgs(
                    name="kube-root-ca.crt", items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")])),
                k8s.core.v1.VolumeProjectionArgs(downward_api=k8s.core.v1.DownwardAPIProjectionArgs(items=[
                    k8s.core.v1.DownwardAPIVolumeFileArgs(path="namespace", field_ref=k8s.core.v1.ObjectFieldSelectorArgs(
                        field_path="metadata.namespace"))])),
            ],
        ),
    )


PrometheusArgs = ComponentArgs[PrometheusSettings, PrometheusContent]


class Prometheus(pulumi.ComponentResource):
    config: k8s.core.v1.ConfigMap
    rules: k8s.core.v1.ConfigMap
    secrets: Optional[k8s.core.v1.Secret]
    statefulset: k8s.apps.v1.StatefulSet
    headless_service: k8s.core.v1.Service
    service: k8s.core.v1.Service
    disruption_budget: Optional[k8s.policy.v1.PodDisruptionBudget]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: PrometheusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Prometheus", name, None, opts)
        self.args, self.namespace, child = args, args.placement.namespace, kube.child(self)
        # A component's depends_on does not pass to its children: the StatefulSet waits itself for
        # what the stack orders first (the rbac component's service account, the namespace).
        after = (opts.depends_on if opts else None) or []
        self._after = list(after) if isinstance(after, (list, tuple)) else [after]
        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, self.namespace, args.content.config, child, label_name=NAME)
        self.rules = kube.config_map_of_files(f"{NAME}-rules", COMPONENT, self.namespace, args.content.rules, child, label_name=NAME)
        self.gate = kube.config_map_of_files(f"{NAME}-gate", COMPONENT, self.namespace, args.content.gate, child, label_name=NAME)
        self.secrets = self._secrets(child)
        web = [kube.port(PROMETHEUS.port_name, WEB_PORT)]
        self.headless_service = kube.service(HEADLESS, COMPONENT, self.namespace, web, child, selects=NAME, headless=True)
        # ClientIP affinity: the same replica answers a dashboard's successive queries.
        self.service = kube.service(NAME, COMPONENT, self.namespace, web, child, session_affinity="ClientIP")
        self.statefulset = self._statefulset()
        self.disruption_budget = kube.pod_disruption_budget(NAME, COMPONENT, self.namespace, args.settings.replicas, child)
        self.url = pulumi.Output.concat("https://", args.settings.host)
        self.register_outputs({"url": self.url})

    def _secrets(self, child: pulumi.ResourceOptions) -> Optional[k8s.core.v1.Secret]:
        """The remote_write password, the only credential prometheus.yml reads; no Secret without it."""
        password = self.args.secrets.get("remoteWritePassword")
        if password is None:
            return None
        return kube.secret(f"{NAME}-secrets", COMPONENT, self.namespace, {REMOTE_WRITE_PASSWORD: password}, child, label_name=NAME)

    def _volumes(self) -> tuple[list, list]:
        content = self.args.content
        volumes = [
            kube.config_map_volume("config", f"{NAME}-config", content.config),
            kube.config_map_volume("rules", f"{NAME}-rules", content.rules),
            kube.empty_dir("tmp", "64Mi"),
            _api_token_volume(),
            kube.config_map_volume("gate", f"{NAME}-gate", content.gate),
            kube.empty_dir("gate-tmp", "64Mi"),
        ]
        mounts = [kube.mount("config", CONFIG_DIR), kube.mount("rules", RULES_DIR), kube.mount("data", DATA_DIR, read_only=False), kube.mount("tmp", "/tmp", read_only=False),
                  kube.mount(API_TOKEN_VOLUME, API_TOKEN_DIR)]
        if self.secrets is not None:
            volumes.append(kube.secret_volume("secrets", f"{NAME}-secrets", [REMOTE_WRITE_PASSWORD]))
            mounts.append(kube.mount("secrets", SECRETS_DIR))
        return volumes, mounts

    def _container(self, mounts: list) -> k8s.core.v1.ContainerArgs:
        settings = self.args.settings
        return kube.container(
            "prometheus",
            settings.image,
            args=[
                f"--config.file={CONFIG_DIR}/prometheus.yml",
                f"--storage.tsdb.path={DATA_DIR}",
                f"--storage.tsdb.retention.time={settings.retention}",
                f"--storage.tsdb.retention.size={settings.retention_size}",
                f"--query.max-concurrency={settings.max_concurrent_queries}",
                f"--query.timeout={settings.query_timeout}",
                # Loopback only: everything from outside the pod comes through the gate.
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_LOOPBACK_PORT}",
                f"--web.external-url=https://{settings.host}/",
                "--web.route-prefix=/",
                # /-/reload for the config reloader (on loopback) and the admin API for the backup's
                # snapshots (through the gate's admin port only).
                "--web.enable-lifecycle",
                "--web.enable-admin-api",
            ],
            env=[kube.env_from_field("POD_NAME", "metadata.name")],
            volume_mounts=mounts,
            resources=kube.resources_of(settings),
            # Through the gate (the kubelet probes the pod's address; Prometheus answers on loopback).
            # Replaying a large WAL takes minutes: a startup probe keeps liveness from killing it meanwhile.
            startup_probe=kube.http_probe("/-/ready", WEB_PORT, initial_delay=10, period=15, failure_threshold=60),
            liveness_probe=kube.http_probe("/-/healthy", WEB_PORT, initial_delay=0),
            readiness_probe=kube.http_probe("/-/ready", WEB_PORT, initial_delay=0, period=5, failure_threshold=3),
        )

    def _gate(self) -> k8s.core.v1.ContainerArgs:
        """nginx with the rendered gate config, its own writable /tmp, nothing else."""
        tcp = k8s.core.v1.TCPSocketActionArgs(port=WEB_PORT)
        return kube.container(
            "gate",
            self.args.placement.nginx_image,  # the login check's image: Debian's nginx, nothing else
            command=["nginx"],
            args=["-c", f"{GATE_DIR}/{GATE_FILE}", "-e", "stderr", "-g", "daemon off;"],
            ports=[
                k8s.core.v1.ContainerPortArgs(name=PROMETHEUS.port_name, container_port=WEB_PORT),
                k8s.core.v1.ContainerPortArgs(name=PROMETHEUS_ADMIN_PORT_NAME, container_port=PROMETHEUS_ADMIN_PORT),
            ],
            volume_mounts=[kube.mount("gate", GATE_DIR), kube.mount("gate-tmp", "/tmp", read_only=False)],
            resources=kube.resources("20m", "500m", "32Mi", "128Mi"),
            liveness_probe=k8s.core.v1.ProbeArgs(tcp_socket=tcp, initial_delay_seconds=5, period_seconds=10),
            readiness_probe=k8s.core.v1.ProbeArgs(tcp_socket=tcp, initial_delay_seconds=2, period_seconds=5),
        )

    def _statefulset(self) -> k8s.apps.v1.StatefulSet:
        settings, placement = self.args.settings, self.args.placement
        volumes, mounts = self._volumes()
        reloader = kube.config_reloader(
            placement.config_reloader_image, {"config": CONFIG_DIR, "rules": RULES_DIR}, f"http://127.0.0.1:{PROMETHEUS_LOOPBACK_PORT}/-/reload", CONFIG_RELOADER_PORT
        )
        return k8s.apps.v1.StatefulSet(
            NAME,
            metadata=kube.metadata(
                NAME,
                COMPONENT,
                self.namespace,
                annotations=kube.skip_checks(
                    CKV_K8S_38="Kubernetes service discovery reads the API server with this token (get/list/watch only)",
                    **kube.unless_digest_pinned(settings.image, placement.config_reloader_image, placement.nginx_image),
                ),
            ),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=settings.replicas,
                service_name=HEADLESS,
                pod_management_policy="Parallel",
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(
                    NAME,
                    COMPONENT,
                    [self._container(mounts), self._gate(), reloader],
                    volumes,
                    SERVICE_ACCOUNT,  # created by the rbac component, which the stack orders first
                    mount_token=False,  # mounted into the prometheus container only, not the reloader
                    spread=True,
                    termination_grace_period_seconds=600,  # let the head block flush on shutdown
                    # nginx reads its config at start only: a changed gate config rolls the pods.
                    annotations={"waqiti.io/gate-config-digest": kube.digest_of(self.args.content.gate)},
                ),
                volume_claim_templates=[kube.volume_claim_template(COMPONENT, NAME, settings.storage_size, placement.storage_class)],
                persistent_volume_claim_retention_policy=k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                    when_deleted="Retain", when_scaled="Retain"
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.rules, self.gate, *self._after]),
        )
