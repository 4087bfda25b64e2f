"""NetworkPolicies: deny everything in the namespace, then allow exactly the flows the stack needs.

Each workload gets one policy that lists who may reach it and what it may reach. The table in
`flows()` is the whole picture, readable without the code around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.api_server import ApiServer, api_server
from components.shape import ComponentArgs
from model.endpoints import (
    ALERTMANAGER,
    ALERTMANAGER_CLUSTER_PORT,
    BLACKBOX_EXPORTER,
    DNS_PORT,
    EXPORTER,
    GRAFANA,
    GRAFANA_RENDERER,
    HTTPS_PORT,
    INGRESS_AUTH,
    KUBE_STATE_METRICS,
    KUBELET_PORT,
    NODE_EXPORTER,
    PROMETHEUS,
    SLA_REPORTER,
)
from model.settings import Settings

COMPONENT = "network-policy"
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Peer:
    """One side of a flow: pods of this namespace by name, a namespace, or an IP range."""

    pods: Optional[str] = None
    namespace: Optional[str] = None
    cidr: Optional[str] = None
    namespace_pods: Optional[dict] = None

    def args(self) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        if self.cidr:
            return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=self.cidr))
        namespace_selector = None
        if self.namespace is not None:
            match = {"kubernetes.io/metadata.name": self.namespace} if self.namespace != "*" else {}
            namespace_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=match)
        pod_selector = None
        if self.pods:
            pod_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(self.pods))
        elif self.namespace_pods:
            pod_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=self.namespace_pods)
        return k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=namespace_selector, pod_selector=pod_selector)


@dataclass(frozen=True)
class Rule:
    peers: tuple[Peer, ...]
    ports: tuple[tuple[int, str], ...] = ()  # (port, protocol); empty = any port

    def port_args(self):
        return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol) for port, protocol in self.ports] or None


@dataclass(frozen=True)
class ApiServerRule:
    """Egress to the API server, whose addresses may be known only once read from the cluster
    (components/api_server.py)."""

    api_server: pulumi.Output[ApiServer]

    def egress_args(self) -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
        return k8s.networking.v1.NetworkPolicyEgressRuleArgs(
            to=self.api_server.apply(lambda api: [Peer(cidr=cidr).args() for cidr in api.cidrs]),
            ports=self.api_server.apply(lambda api: Rule((), tcp(*api.ports)).port_args()),
        )


@dataclass
class Policy:
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule | ApiServerRule] = field(default_factory=list)


def tcp(*ports: int) -> tuple[tuple[int, str], ...]:
    return tuple((port, "TCP") for port in ports)


def smtp_port(settings: Settings) -> int:
    return int(settings.smtp.smarthost.rpartition(":")[2])


def url_port(url: str) -> int:
    """The port a URL connects to: a long-term store inside the cluster (Mimir on 8080, Thanos
    receive on 19291) or behind an https endpoint (443)."""
    parts = urlsplit(url)
    return parts.port or (HTTPS_PORT if parts.scheme == "https" else 80)


def gossip() -> tuple[tuple[int, str], ...]:
    return ((ALERTMANAGER_CLUSTER_PORT, "TCP"), (ALERTMANAGER_CLUSTER_PORT, "UDP"))


def flows(settings: Settings, api: pulumi.Output[ApiServer]) -> dict[str, Policy]:
    """Workload name -> who may reach it (ingress) and what it may reach (egress)."""
    ingress_controller = Peer(namespace=settings.ingress.controller_namespace)
    all_namespaces = Peer(namespace="*")
    anywhere = Peer(cidr=ANYWHERE)
    prometheus, grafana, alertmanager = Peer(pods=PROMETHEUS.name), Peer(pods=GRAFANA.name), Peer(pods=ALERTMANAGER.name)
    renderer = Peer(pods=GRAFANA_RENDERER.name)
    sla_reporter = Peer(pods=SLA_REPORTER)
    api_servers = ApiServerRule(api)
    grafana_settings, reporting = settings.grafana, settings.reporting
    grafana_backup = (sla_reporter,) if reporting.enabled and reporting.grafana_backup_enabled else ()

    grafana_egress = [
        Rule((prometheus,), tcp(PROMETHEUS.port)),
        Rule((alertmanager,), tcp(ALERTMANAGER.port)),
        Rule((anywhere,), tcp(smtp_port(settings))),
    ]
    if grafana_settings.database_host:
        grafana_egress.append(Rule((all_namespaces, anywhere), tcp(grafana_settings.database_port)))
    if grafana_settings.redis_address:
        grafana_egress.append(Rule((all_namespaces, anywhere), tcp(int(grafana_settings.redis_address.rpartition(":")[2] or 6379))))
    if grafana_settings.image_renderer_enabled:
        grafana_egress.append(Rule((renderer,), tcp(GRAFANA_RENDERER.port)))

    policies = {
        PROMETHEUS.name: Policy(
            ingress=[Rule((ingress_controller, grafana, prometheus, sla_reporter), tcp(PROMETHEUS.port))],
            egress=[
                # Scrape targets live in every namespace, on whatever port they expose.
                Rule((all_namespaces,)),
                Rule((anywhere,), tcp(KUBELET_PORT)),
                # node-exporter on the nodes' own addresses (host network: no namespace selector matches it).
                Rule((anywhere,), tcp(NODE_EXPORTER.port)),
                api_servers,
                Rule((alertmanager,), tcp(ALERTMANAGER.port)),
            ]
            + ([Rule((all_namespaces, anywhere), tcp(url_port(settings.prometheus.remote_write_url)))]
               if settings.prometheus.remote_write_url else []),
        ),
        ALERTMANAGER.name: Policy(
            ingress=[
                Rule((ingress_controller, prometheus, grafana, sla_reporter), tcp(ALERTMANAGER.port)),
                Rule((alertmanager,), gossip()),
            ],
            egress=[
                Rule((alertmanager,), gossip()),
                # PagerDuty, Slack, SNS, status page and remediation webhooks, and the mail relay.
                Rule((anywhere,), tcp(HTTPS_PORT, smtp_port(settings))),
            ],
        ),
        GRAFANA.name: Policy(ingress=[Rule((ingress_controller, prometheus, renderer) + grafana_backup, tcp(GRAFANA.port))], egress=grafana_egress),
        # The ingress's login check: asked by the ingress controller only; it reaches nothing.
        INGRESS_AUTH.name: Policy(ingress=[Rule((ingress_controller,), tcp(INGRESS_AUTH.port))]),
        EXPORTER.name: Policy(
            ingress=[Rule((prometheus,), tcp(EXPORTER.port))],
            egress=[Rule((all_namespaces, anywhere), tcp(settings.exporter.database_port))],
        ),
    }
    if reporting.enabled:
        # The report and backup jobs: Prometheus (queries; the admin API for snapshots), Alertmanager
        # (silences), Grafana (its export), S3 and STS on 443, the mail relay. Nothing reaches them.
        policies[SLA_REPORTER] = Policy(
            egress=[
                Rule((prometheus,), tcp(PROMETHEUS.port)),
                Rule((alertmanager,), tcp(ALERTMANAGER.port)),
                Rule((anywhere,), tcp(HTTPS_PORT, smtp_port(settings))),
            ]
            + ([Rule((grafana,), tcp(GRAFANA.port))] if grafana_backup else [])
        )
    if settings.kube_state_metrics.deploy:
        # Scraped by Prometheus; it watches the API server, nothing else.
        policies[KUBE_STATE_METRICS.name] = Policy(
            ingress=[Rule((prometheus,), tcp(KUBE_STATE_METRICS.port))],
            egress=[api_servers],
        )
    if settings.blackbox.enabled:
        # Asked to probe by Prometheus; probes public endpoints over HTTP(S).
        policies[BLACKBOX_EXPORTER.name] = Policy(
            ingress=[Rule((prometheus,), tcp(BLACKBOX_EXPORTER.port))],
            egress=[Rule((anywhere,), tcp(80, HTTPS_PORT))],
        )
    if grafana_settings.image_renderer_enabled:
        policies[GRAFANA_RENDERER.name] = Policy(ingress=[Rule((grafana,), tcp(GRAFANA_RENDERER.port))], egress=[Rule((grafana,), tcp(GRAFANA.port))])
    return policies


def _rules(rules: list[Rule | ApiServerRule], direction: str):
    if direction == "ingress":
        return [k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[peer.args() for peer in rule.peers], ports=rule.port_args()) for rule in rules]
    return [rule.egress_args() if isinstance(rule, ApiServerRule) else
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[peer.args() for peer in rule.peers], ports=rule.port_args()) for rule in rules]


# The whole settings: the flows depend on what every other component has turned on.
NetworkPoliciesArgs = ComponentArgs[Settings, None]


class NetworkPolicies(pulumi.ComponentResource):
    default_deny: k8s.networking.v1.NetworkPolicy
    allow_dns: k8s.networking.v1.NetworkPolicy
    workloads: dict[str, k8s.networking.v1.NetworkPolicy]

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:NetworkPolicies", name, None, opts)
        child = kube.child(self)
        settings, namespace = args.settings, args.placement.namespace
        self.default_deny = k8s.networking.v1.NetworkPolicy(
            "default-deny-all",
            metadata=kube.metadata("default-deny-all", COMPONENT, namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]),
            opts=child,
        )
        dns = Peer(namespace=settings.network.dns_namespace, namespace_pods={"k8s-app": "kube-dns"})
        self.allow_dns = k8s.networking.v1.NetworkPolicy(
            "allow-dns",
            metadata=kube.metadata("allow-dns", COMPONENT, namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Egress"],
                egress=_rules([Rule((dns,), ((DNS_PORT, "UDP"), (DNS_PORT, "TCP")))], "egress"),
            ),
            opts=child,
        )
        self.workloads = {}
        api = api_server(settings.network.api_server_cidrs, child)
        for workload, policy in sorted(flows(settings, api).items()):
            policy_name = f"allow-{workload}"
            self.workloads[workload] = k8s.networking.v1.NetworkPolicy(
                policy_name,
                metadata=kube.metadata(policy_name, COMPONENT, namespace, label_name=workload),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector(workload)),
                    policy_types=["Ingress", "Egress"],
                    ingress=_rules(policy.ingress, "ingress"),
                    egress=_rules(policy.egress, "egress"),
                ),
                opts=child,
            )
        self.register_outputs({})
