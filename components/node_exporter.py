"""node-exporter: one pod per node, reading that node's CPU, memory, filesystems and clock.

It runs in its own namespace because it cannot run under the monitoring namespace's `restricted`
Pod Security: it needs the host's network (its series must describe the node, and Prometheus
scrapes it at the node's address), the host's PID namespace (per-process stats of the host) and
read-only hostPath mounts of /proc, /sys and / (filesystem usage). `baseline` forbids all three, so
`privileged` is the least level that admits the pod. Within that, the container itself stays as
tight as restricted would make it: non-root, no privilege escalation, every capability dropped,
read-only root filesystem, RuntimeDefault seccomp, no service-account token.

Flows: Prometheus reaches it on the node's address, port 9100 (its egress policy allows node
addresses on that port; a host-network pod is not selectable by a namespace selector). It reaches
nothing. Its namespace's one policy denies everything else, for any CNI that applies policies to
host-network pods.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.network_policies import node_exporter_rule
from components.shape import ComponentArgs
from model.endpoints import NODE_EXPORTER, PROMETHEUS
from model.settings import NodeExporterSettings

NAME = NODE_EXPORTER.name
COMPONENT = "node-exporter"
POD_SECURITY = {f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("enforce", "audit", "warn")}
HOST_PATHS = {"proc": "/proc", "sys": "/sys", "root": "/"}  # mounted read-only under /host/<name>

NodeExporterArgs = ComponentArgs[NodeExporterSettings, None]

HOST_ACCESS = {
    "CKV_K8S_17": "reads the host's processes: node-exporter needs the host PID namespace",
    "CKV_K8S_19": "its series describe the node and Prometheus scrapes the node's address: host network",
}


def _host_volume(name: str, path: str) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(name=name, host_path=k8s.core.v1.HostPathVolumeSourceArgs(path=path))


class NodeExporter(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    service_account: k8s.core.v1.ServiceAccount
    daemon_set: k8s.apps.v1.DaemonSet
    service: k8s.core.v1.Service
    policies: list[k8s.networking.v1.NetworkPolicy]

    def __init__(self, name: str, args: NodeExporterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:NodeExporter", name, None, opts)
        settings = args.settings
        namespace = settings.own_namespace
        self.namespace = k8s.core.v1.Namespace(
            namespace,
            metadata=kube.metadata(namespace, COMPONENT, extra_labels={"kubernetes.io/metadata.name": namespace, **POD_SECURITY}),
            opts=kube.child(self),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child)
        self.daemon_set = k8s.apps.v1.DaemonSet(
            NAME,
            metadata=kube.metadata(NAME, COMPONENT, namespace, annotations=kube.skip_checks(**HOST_ACCESS, **kube.unless_digest_pinned(settings.image))),
            spec=k8s.apps.v1.DaemonSetSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(NAME)),
                template=self._pod(settings),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.service_account]),
        )
        # Headless: its Endpoints are the node addresses, one per node, named by the pod's node.
        self.service = kube.service(NAME, COMPONENT, namespace, [kube.port(NODE_EXPORTER.port_name, NODE_EXPORTER.port)], child, headless=True)
        self.policies = self._policies(namespace, args.placement.namespace, child)
        self.register_outputs({})

    def _pod(self, settings: NodeExporterSettings) -> k8s.core.v1.PodTemplateSpecArgs:
        port = NODE_EXPORTER.port
        container = kube.container(
            NAME,
            settings.image,
            args=[
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                # Only the node's own address, not every interface of the host.
                f"--web.listen-address=$(HOST_IP):{port}",
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|var/lib/kubelet/.+|var/lib/containerd/.+)($|/)",
            ],
            env=[kube.env_from_field("HOST_IP", "status.hostIP")],
            ports=[k8s.core.v1.ContainerPortArgs(name=NODE_EXPORTER.port_name, container_port=port)],
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name=volume, mount_path=f"/host/{volume}", read_only=True,
                                            mount_propagation="HostToContainer" if volume == "root" else None)
                for volume in HOST_PATHS
            ],
            resources=kube.resources_of(settings),
            liveness_probe=kube.http_probe("/", NODE_EXPORTER.port_name),
            readiness_probe=kube.http_probe("/", NODE_EXPORTER.port_name, initial_delay=3, period=10, failure_threshold=3),
        )
        return kube.pod_template(
            NAME,
            COMPONENT,
            [container],
            [_host_volume(volume, path) for volume, path in HOST_PATHS.items()],
            NAME,
            host_network=True,
            host_pid=True,
            # Every node, tainted or not: a node without node-exporter is NodeExporterDown.
            tolerations=[k8s.core.v1.TolerationArgs(operator="Exists")],
            priority_class_name="system-node-critical",
        )

    def _policies(self, namespace: str, monitoring_namespace: str, child: pulumi.ResourceOptions) -> list[k8s.networking.v1.NetworkPolicy]:
        # One policy over every pod of the namespace: in from Prometheus on the metrics port, nothing
        # out, everything else denied.
        rule = node_exporter_rule(monitoring_namespace)
        policy = k8s.networking.v1.NetworkPolicy(
            f"allow-{NAME}",
            metadata=kube.metadata(f"allow-{NAME}", COMPONENT, namespace, label_name=NAME),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[peer.args() for peer in rule.peers], ports=rule.port_args())],
                egress=[],
            ),
            opts=child,
        )
        return [policy]
