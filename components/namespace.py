"""The monitoring namespace, with Pod Security `restricted` enforced."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube

POD_SECURITY = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}


class MonitoringNamespace(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    name: pulumi.Output[str]

    def __init__(self, name: str, namespace: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:Namespace", name, None, opts)
        self.namespace = k8s.core.v1.Namespace(
            namespace,
            metadata=kube.metadata(
                namespace,
                "namespace",
                extra_labels={"monitoring": "enabled", "kubernetes.io/metadata.name": namespace, **POD_SECURITY},
            ),
            opts=kube.child(self),
        )
        self.name = self.namespace.metadata.name
        self.register_outputs({"name": self.name})
