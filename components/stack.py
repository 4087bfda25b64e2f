"""The whole monitoring namespace of one stack, composed from the components.

The composer only wires: it renders the content once, then hands each component its settings group,
its content and the stack's secrets (components/shape.py); each builds its own Secret.
"""

from __future__ import annotations

import pulumi

from components.alertmanager import Alertmanager
from components.blackbox_exporter import BlackboxExporter
from components.business_metrics_exporter import BusinessMetricsExporter
from components.grafana import Grafana
from components.ingress import MonitoringIngress
from components.ingress_auth import IngressAuth
from components.kube_state_metrics import KubeStateMetrics
from components.namespace import MonitoringNamespace
from components.network_policies import NetworkPolicies
from components.node_exporter import NodeExporter
from components.prometheus import Prometheus
from components.rbac import PrometheusRbac
from components.reporting import SlaReporting
from components.shape import ComponentArgs, Placement
from model.settings import StackConfig
from render.content import render_content


class MonitoringStack(pulumi.ComponentResource):
    """Everything in the `monitoring` namespace; its attributes are the components."""

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None):
        settings, secrets = config.settings, config.secrets
        content = render_content(settings)  # first: a content error must stop the program before any resource
        super().__init__("waqiti:monitoring:Stack", name, None, opts)
        self.namespace = MonitoringNamespace("namespace", settings.namespace, opts=pulumi.ResourceOptions(parent=self))
        self.rbac = PrometheusRbac("rbac", settings.namespace, opts=self._after_namespace())
        placement = Placement(settings.namespace, settings.storage_class, settings.config_reloader.image, settings.ingress.auth_image)
        self._servers(config, content, placement)
        self._exporters(config, content, placement)
        self.reporting = None
        if settings.reporting.enabled:
            self.reporting = SlaReporting("sla-reporting", ComponentArgs(settings, content.reporting, placement, secrets), opts=self._after_namespace())
        self.network_policies = NetworkPolicies("network-policies", ComponentArgs(settings, None, placement), opts=self._after_namespace())
        self.ingress = MonitoringIngress("ingress", ComponentArgs(settings, None, placement, secrets), opts=self._after_namespace())
        self.ingress_auth = IngressAuth(
            "ingress-auth", ComponentArgs(settings.ingress, content.ingress_auth, placement), opts=self._after_namespace(self.ingress.basic_auth)
        )
        self.outputs = self._outputs(config)
        self.register_outputs(self.outputs)

    def _after_namespace(self, *also: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace, *also])

    def _servers(self, config: StackConfig, content, placement: Placement) -> None:
        settings, secrets = config.settings, config.secrets
        self.prometheus = Prometheus(
            "prometheus", ComponentArgs(settings.prometheus, content.prometheus, placement, secrets), opts=self._after_namespace(self.rbac)
        )
        self.alertmanager = Alertmanager("alertmanager", ComponentArgs(settings.alertmanager, content.alertmanager, placement, secrets), opts=self._after_namespace())
        self.grafana = Grafana("grafana", ComponentArgs(settings.grafana, content.grafana, placement, secrets), opts=self._after_namespace())
        self.exporter = BusinessMetricsExporter(
            "business-metrics-exporter", ComponentArgs(settings.exporter, content.exporter, placement, secrets), opts=self._after_namespace()
        )

    def _exporters(self, config: StackConfig, content, placement: Placement) -> None:
        """What the alerts read beyond the stack's own servers: the cluster's state, the nodes, probes."""
        settings = config.settings
        self.kube_state_metrics = self.node_exporter = self.blackbox_exporter = None
        if settings.kube_state_metrics.deploy:
            self.kube_state_metrics = KubeStateMetrics("kube-state-metrics", ComponentArgs(settings.kube_state_metrics, None, placement), opts=self._after_namespace())
        if settings.node_exporter.deploy:
            # Its own namespace: it does not depend on the monitoring one.
            self.node_exporter = NodeExporter("node-exporter", ComponentArgs(settings.node_exporter, None, placement), opts=pulumi.ResourceOptions(parent=self))
        if settings.blackbox.enabled:
            self.blackbox_exporter = BlackboxExporter("blackbox-exporter", ComponentArgs(settings.blackbox, content.blackbox, placement), opts=self._after_namespace())

    def _outputs(self, config: StackConfig) -> dict[str, pulumi.Output]:
        settings = config.settings
        return {
            "namespace": self.namespace.name,
            "grafanaUrl": self.ingress.urls["grafana"],
            "prometheusUrl": self.ingress.urls["prometheus"],
            "alertmanagerUrl": self.ingress.urls["alertmanager"],
            "grafanaAdminUser": pulumi.Output.from_input(settings.grafana.admin_user),
            "grafanaAdminPassword": pulumi.Output.secret(self.grafana.admin_password),
            "basicAuthUsers": pulumi.Output.from_input(list(settings.ingress.users)),
            "basicAuthPasswords": pulumi.Output.secret(pulumi.Output.all(**self.ingress.passwords)),
        }
