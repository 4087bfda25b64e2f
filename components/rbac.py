"""Prometheus's identity: read-only access to exactly what Kubernetes service discovery needs."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube

NAME = "prometheus"
COMPONENT = "prometheus"

# get/list/watch only, and only what the discovery roles of configs/prometheus/ use (node, endpoints,
# pod: tests/test_program.py derives the set from the rendered jobs). nodes/metrics lets Prometheus
# scrape kubelets and cAdvisor directly; nodes/proxy (which can exec into pods through the kubelet)
# is deliberately not granted, nor endpointslices or ingresses, which no job discovers.
DISCOVERY_RULES = [
    k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["nodes", "nodes/metrics", "services", "endpoints", "pods"], verbs=["get", "list", "watch"]),
    k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"]),
]


class PrometheusRbac(pulumi.ComponentResource):
    service_account: k8s.core.v1.ServiceAccount
    cluster_role: k8s.rbac.v1.ClusterRole
    cluster_role_binding: k8s.rbac.v1.ClusterRoleBinding

    def __init__(self, name: str, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:PrometheusRbac", name, None, opts)
        child = kube.child(self)
        # The only service account in the stack whose token is mounted: discovery talks to the API server.
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child, automount=True)
        cluster_scoped_name = f"waqiti-monitoring-{NAME}"
        self.cluster_role = k8s.rbac.v1.ClusterRole(
            cluster_scoped_name,
            metadata=kube.metadata(cluster_scoped_name, COMPONENT, label_name=NAME),
            rules=DISCOVERY_RULES,
            opts=child,
        )
        self.cluster_role_binding = k8s.rbac.v1.ClusterRoleBinding(
            cluster_scoped_name,
            metadata=kube.metadata(cluster_scoped_name, COMPONENT, label_name=NAME),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=cluster_scoped_name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=NAME, namespace=namespace)],
            opts=child,
        )
        self.register_outputs({"service_account": self.service_account.metadata.name})
