"""kube-state-metrics: the cluster's objects as series (nodes, pods, workloads, jobs), for the rules and panels.

Read-only and least privilege: it lists and watches only the resources whose metrics the rules and
dashboards read (RESOURCES), and is started with exactly those (--resources), so it never asks for
more. The pod runs under Pod Security `restricted` in the monitoring namespace.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.shape import ComponentArgs
from model.endpoints import KUBE_STATE_METRICS, KUBE_STATE_METRICS_TELEMETRY_PORT
from model.settings import KubeStateMetricsSettings

NAME = KUBE_STATE_METRICS.name
COMPONENT = "kube-state-metrics"

# Resource -> API group, for exactly the kube_* families in configs/upstream-metrics/kube-state-metrics.txt
# (tests/test_cluster_exporters.py keeps the two in step).
RESOURCES = {
    "cronjobs": "batch",
    "deployments": "apps",
    "jobs": "batch",
    "nodes": "",
    "pods": "",
    "statefulsets": "apps",
}

KubeStateMetricsArgs = ComponentArgs[KubeStateMetricsSettings, None]


def rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """list and watch (no get, no write) on RESOURCES, one rule per API group."""
    groups: dict[str, list[str]] = {}
    for resource, group in sorted(RESOURCES.items()):
        groups.setdefault(group, []).append(resource)
    return [k8s.rbac.v1.PolicyRuleArgs(api_groups=[group], resources=resources, verbs=["list", "watch"]) for group, resources in sorted(groups.items())]


class KubeStateMetrics(pulumi.ComponentResource):
    service_account: k8s.core.v1.ServiceAccount
    cluster_role: k8s.rbac.v1.ClusterRole
    cluster_role_binding: k8s.rbac.v1.ClusterRoleBinding
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(self, name: str, args: KubeStateMetricsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:KubeStateMetrics", name, None, opts)
        child = kube.child(self)
        settings, namespace = args.settings, args.placement.namespace
        # Its token is mounted: it watches the API server.
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child, automount=True)
        self._rbac(namespace, child)
        port, telemetry = KUBE_STATE_METRICS.port, KUBE_STATE_METRICS_TELEMETRY_PORT
        container = kube.container(
            NAME,
            settings.image,
            args=[f"--port={port}", f"--telemetry-port={telemetry}", "--resources=" + ",".join(sorted(RESOURCES))],
            ports=[
                k8s.core.v1.ContainerPortArgs(name=KUBE_STATE_METRICS.port_name, container_port=port),
                k8s.core.v1.ContainerPortArgs(name="telemetry", container_port=telemetry),
            ],
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/livez", KUBE_STATE_METRICS.port_name),
            readiness_probe=kube.http_probe("/readyz", "telemetry", initial_delay=5, period=10, failure_threshold=3),
        )
        self.deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(CKV_K8S_38="it lists and watches the cluster's objects with this token (list/watch only, RESOURCES)", **kube.unless_digest_pinned(settings.image))),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # One replica: two would serve every series twice.
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=kube.pod_template(NAME, COMPONENT, [container], [], NAME, mount_token=True),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster_role_binding, self.service_account]),
        )
        # The scrape job kube-state-metrics finds this Service by app.kubernetes.io/name and port name.
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(KUBE_STATE_METRICS.port_name, port)], child)
        self.register_outputs({})

    def _rbac(self, namespace: str, child: pulumi.ResourceOptions) -> None:
        cluster_scoped_name = f"waqiti-monitoring-{NAME}"
        self.cluster_role = k8s.rbac.v1.ClusterRole(
            cluster_scoped_name, metadata=kube.metadata(cluster_scoped_name, COMPONENT, label_name=NAME), rules=rules(), opts=child
        )
        self.cluster_role_binding = k8s.rbac.v1.ClusterRoleBinding(
            cluster_scoped_name,
            metadata=kube.metadata(cluster_scoped_name, COMPONENT, label_name=NAME),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=cluster_scoped_name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=NAME, namespace=namespace)],
            opts=child,
        )
