"""NetworkPolicies: deny everything in the namespace, then allow exactly the flows the stack needs.

Each workload gets one policy that lists who may reach it and what it may reach. The table in
`flows()` is the whole picture, readable without the code around it; `flows_table()` prints it (the
README's security section is that print-out for production).

What L4 cannot separate, and how: Prometheus serves its admin API (`/api/v1/admin/*`, snapshots
and series deletion) on the same port as queries. So Prometheus listens on its pod's loopback only,
behind a gate (components/prometheus.py) that refuses the admin API on the web port and serves the
snapshot alone on an admin port, which only the Prometheus backup may reach. Alertmanager serves its
silence API on the same port as its alert API, with no such gate: every peer allowed to its port
(the rows below) can create or expire silences, as the UI behind the ingress and Grafana must.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.api_server import ApiServer, api_server
from components.shape import ComponentArgs
from model.endpoints import (
    ALERTMANAGER,
    ALERTMANAGER_BACKUP,
    ALERTMANAGER_CLUSTER_PORT,
    API_SERVER_PORTS,
    BLACKBOX_EXPORTER,
    DNS_PORT,
    EXPORTER,
    GRAFANA,
    GRAFANA_BACKUP,
    GRAFANA_RENDERER,
    HTTPS_PORT,
    INGRESS_AUTH,
    KUBE_STATE_METRICS,
    NODE_EXPORTER,
    PROMETHEUS,
    PROMETHEUS_ADMIN_PORT,
    PROMETHEUS_BACKUP,
    SLA_REPORTS,
)
from model.hosts import host_of, place_of
from model.settings import Settings
from render.scrape_egress import ScrapeEgress, scrape_egress

COMPONENT = "network-policy"
ANYWHERE = "0.0.0.0/0"
STATEFULSET_POD = "statefulset.kubernetes.io/pod-name"


@dataclass(frozen=True)
class Peer:
    """One side of a flow: pods of this namespace by name, a namespace, or an IP range."""

    pods: Optional[str] = None
    namespace: Optional[str] = None
    cidr: Optional[str] = None
    namespace_pods: Optional[dict] = None
    instance: Optional[str] = None  # one pod of a StatefulSet, by its pod name

    def args(self) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        if self.cidr:
            return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=self.cidr))
        namespace_selector = None
        if self.namespace is not None:
            match = {"kubernetes.io/metadata.name": self.namespace} if self.namespace != "*" else {}
            namespace_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=match)
        pod_selector = None
        if self.pods:
            labels = {**kube.selector(self.pods), **({STATEFULSET_POD: self.instance} if self.instance else {})}
            pod_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=labels)
        elif self.namespace_pods:
            pod_selector = k8s.meta.v1.LabelSelectorArgs(match_labels=self.namespace_pods)
        return k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=namespace_selector, pod_selector=pod_selector)

    def text(self) -> str:
        if self.cidr:
            return "anywhere (0.0.0.0/0)" if self.cidr == ANYWHERE else f"addresses {self.cidr}"
        where = {None: "", "*": "every namespace"}.get(self.namespace, f"namespace {self.namespace}")
        if self.pods:
            pods = f"pod {self.instance}" if self.instance else f"pods {self.pods}"
            return f"{where}: {pods}" if where else pods
        if self.namespace_pods:
            return f"{where}: pods " + ",".join(f"{key}={value}" for key, value in self.namespace_pods.items())
        return where


PortSpec = Union[int, str]  # a number or a named container port


@dataclass(frozen=True)
class Rule:
    peers: tuple[Peer, ...]
    ports: tuple[tuple[PortSpec, str], ...] = ()  # (port, protocol); empty = any port
    why: str = ""  # what the flow is for: the table's last column, not part of the policy

    def port_args(self):
        return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol) for port, protocol in self.ports] or None

    def ports_text(self) -> str:
        return ", ".join(f"{port}/{protocol}" for port, protocol in self.ports) or "any port"

    def peers_text(self) -> str:
        return "; ".join(peer.text() for peer in self.peers)


@dataclass(frozen=True)
class ApiServerRule:
    """Egress to the API server, whose addresses may be known only once read from the cluster
    (components/api_server.py); None when only the table is printed."""

    api_server: Optional[pulumi.Output[ApiServer]]
    configured: tuple[str, ...] = ()  # networkApiServerCidrs
    why: str = ""

    def egress_args(self) -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
        return k8s.networking.v1.NetworkPolicyEgressRuleArgs(
            to=self.api_server.apply(lambda api: [Peer(cidr=cidr).args() for cidr in api.cidrs]),
            ports=self.api_server.apply(lambda api: Rule((), tcp(*api.ports)).port_args()),
        )

    def peers_text(self) -> str:
        if self.configured:
            return "addresses " + ", ".join(self.configured)
        return "the API server's endpoint addresses (read from EndpointSlice default/kubernetes at deploy time)"

    def ports_text(self) -> str:
        return Rule((), tcp(*API_SERVER_PORTS)).ports_text() + ("" if self.configured else " and any other port it lists")


@dataclass
class Policy:
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule | ApiServerRule] = field(default_factory=list)


def tcp(*ports: PortSpec) -> tuple[tuple[PortSpec, str], ...]:
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


def host_peers(host: str, settings: Settings, outside: tuple[str, ...]) -> tuple[Peer, ...]:
    """A host's namespace (a cluster Service name) or address (an IP); else the given ranges."""
    place = place_of(host, settings.namespace)
    if place is None:
        return tuple(Peer(cidr=cidr) for cidr in outside)
    return (Peer(cidr=place.cidr),) if place.cidr else (Peer(namespace=place.namespace),)


def database_rules(settings: Settings, keys: tuple[str, ...]) -> list[Rule]:
    """Egress to the databases and caches of these config keys, each on its own port."""
    hosts, outside = settings.database_hosts(), tuple(settings.network.database_cidrs)
    ports = {
        "grafanaDatabaseHost": settings.grafana.database_port,
        "exporterDatabaseHost": settings.exporter.database_port,
        "grafanaRedisAddress": int(settings.grafana.redis_address.rpartition(":")[2]) if settings.grafana.redis_address else 0,
    }
    return [Rule(host_peers(hosts[key], settings, outside), tcp(ports[key]), why=key) for key in keys if key in hosts]


def scrape_rules(settings: Settings, api: Optional[pulumi.Output[ApiServer]]) -> list[Rule | ApiServerRule]:
    """Prometheus out to the targets of the jobs it has, on their ports (render/scrape_egress.py),
    one rule per place, the jobs named."""
    def peers(egress: ScrapeEgress) -> tuple[Peer, ...]:
        if egress.place == "workload":
            return (Peer(pods=egress.workload),)
        if egress.place == "nodes":
            # Kubelets and host-network exporters answer on the nodes' own addresses.
            return (Peer(cidr=ANYWHERE),)
        return tuple(Peer(namespace=ns) for ns in egress.namespaces) if egress.namespaces else (Peer(namespace="*"),)

    grouped: dict[tuple, list[str]] = {}
    api_jobs = []
    for egress in scrape_egress(settings):
        if egress.place == "api-servers":  # at the addresses read from the cluster, on its ports
            api_jobs.append(egress.job)
            continue
        grouped.setdefault((peers(egress), tcp(*egress.ports)), []).append(egress.job)
    rules: list[Rule | ApiServerRule] = [Rule(peers_, ports, why="scrape " + ", ".join(jobs)) for (peers_, ports), jobs in grouped.items()]
    if api_jobs:
        rules.append(api_server_rule(settings, api, "scrape " + ", ".join(api_jobs) + "; Kubernetes discovery"))
    return rules


def api_server_rule(settings: Settings, api: Optional[pulumi.Output[ApiServer]], why: str) -> ApiServerRule:
    return ApiServerRule(api, tuple(settings.network.api_server_cidrs), why=why)


def merged(rules: list[Rule | ApiServerRule]) -> list[Rule | ApiServerRule]:
    """One rule per (peers, ports), its purposes joined: the same flow listed once."""
    whys: dict[tuple, list[str]] = {}
    kept: list[Rule | ApiServerRule] = []
    for rule in rules:
        if isinstance(rule, ApiServerRule):
            kept.append(rule)
            continue
        if (rule.peers, rule.ports) not in whys:
            kept.append(rule)
        whys.setdefault((rule.peers, rule.ports), []).append(rule.why)
    return [rule if isinstance(rule, ApiServerRule) else
            Rule(rule.peers, rule.ports, why="; ".join(why for why in whys[(rule.peers, rule.ports)] if why)) for rule in kept]


def mail_relay(settings: Settings) -> Rule:
    """The SMTP smarthost: its namespace or address when it is in the cluster or an IP, else anywhere."""
    return Rule(host_peers(host_of(settings.smtp.smarthost), settings, (ANYWHERE,)), tcp(smtp_port(settings)), why="mail relay")


def _reporting_flows(settings: Settings) -> dict[str, Policy]:
    """The report and backup jobs, each its own workload: nothing reaches them; each reaches only
    what it reads, S3 (and STS for its role) on 443, and the reports the mail relay."""
    prometheus, alertmanager, grafana = Peer(pods=PROMETHEUS.name), Peer(pods=ALERTMANAGER.name), Peer(pods=GRAFANA.name)
    s3 = Rule((Peer(cidr=ANYWHERE),), tcp(HTTPS_PORT), why="S3, STS")
    policies = {
        job: Policy(egress=[Rule((prometheus,), tcp(PROMETHEUS.port), why="PromQL queries"), s3,
                            mail_relay(settings)])
        for job in SLA_REPORTS.values()
    }
    # The snapshot lands on the volume of the replica that takes it: the one whose volume it mounts.
    policies[PROMETHEUS_BACKUP] = Policy(egress=[
        Rule((Peer(pods=PROMETHEUS.name, instance=f"{PROMETHEUS.name}-0"),), tcp(PROMETHEUS_ADMIN_PORT), why="the gate's admin port: TSDB snapshot"), s3])
    policies[ALERTMANAGER_BACKUP] = Policy(egress=[Rule((alertmanager,), tcp(ALERTMANAGER.port), why="read silences"), s3])
    if settings.reporting.grafana_backup_enabled:
        policies[GRAFANA_BACKUP] = Policy(egress=[Rule((grafana,), tcp(GRAFANA.port), why="export dashboards"), s3])
    return policies


def flows(settings: Settings, api: Optional[pulumi.Output[ApiServer]] = None) -> dict[str, Policy]:
    """Workload name -> who may reach it (ingress) and what it may reach (egress). `api`: the API
    server as read at deploy time (components/api_server.py); None prints the table only."""
    ingress_controller = Peer(namespace=settings.ingress.controller_namespace)
    anywhere = Peer(cidr=ANYWHERE)
    prometheus, grafana, alertmanager = Peer(pods=PROMETHEUS.name), Peer(pods=GRAFANA.name), Peer(pods=ALERTMANAGER.name)
    renderer = Peer(pods=GRAFANA_RENDERER.name)
    grafana_settings, reporting = settings.grafana, settings.reporting
    reporting_flows = _reporting_flows(settings) if reporting.enabled else {}

    def jobs_reaching(workload: str, port: int) -> tuple[Peer, ...]:
        return tuple(Peer(pods=job) for job, policy in reporting_flows.items()
                     if any(peer.pods == workload and (port, "TCP") in rule.ports for rule in policy.egress for peer in rule.peers))

    grafana_egress = [
        Rule((prometheus,), tcp(PROMETHEUS.port), why="datasource"),
        Rule((alertmanager,), tcp(ALERTMANAGER.port), why="Alertmanager datasource, silences"),
        mail_relay(settings),
        *database_rules(settings, ("grafanaDatabaseHost", "grafanaRedisAddress")),
    ]
    if grafana_settings.image_renderer_enabled:
        grafana_egress.append(Rule((renderer,), tcp(GRAFANA_RENDERER.port), why="render panels"))

    remote_write = []
    if settings.prometheus.remote_write_url:
        url = settings.prometheus.remote_write_url
        # A store inside the cluster by its namespace; one outside (https SaaS) only by address, unknown here.
        peers = host_peers(urlsplit(url).hostname, settings, (ANYWHERE,))
        remote_write = [Rule(peers, tcp(url_port(url)), why="remote_write")]

    policies = {
        PROMETHEUS.name: Policy(
            # The gate's web port refuses the admin API; its admin port serves the snapshot alone.
            ingress=[Rule((ingress_controller, grafana, prometheus) + jobs_reaching(PROMETHEUS.name, PROMETHEUS.port), tcp(PROMETHEUS.port),
                          why="UI and API via the ingress; datasource; scraped by the peer; reports"),
                     *([Rule(backup, tcp(PROMETHEUS_ADMIN_PORT), why="TSDB snapshot")] if (backup := jobs_reaching(PROMETHEUS.name, PROMETHEUS_ADMIN_PORT)) else [])],
            egress=merged(scrape_rules(settings, api) + [Rule((alertmanager,), tcp(ALERTMANAGER.port), why="send alerts")] + remote_write),
        ),
        ALERTMANAGER.name: Policy(
            ingress=[
                Rule((ingress_controller, prometheus, grafana) + jobs_reaching(ALERTMANAGER.name, ALERTMANAGER.port), tcp(ALERTMANAGER.port),
                     why="UI via the ingress; alerts; datasource; silences backup"),
                Rule((alertmanager,), gossip(), why="cluster gossip"),
            ],
            egress=[
                Rule((alertmanager,), gossip(), why="cluster gossip"),
                Rule((anywhere,), tcp(HTTPS_PORT), why="PagerDuty, Slack, SNS, status page and remediation webhooks"),
                mail_relay(settings),
            ],
        ),
        GRAFANA.name: Policy(
            ingress=[Rule((ingress_controller, prometheus, renderer) + jobs_reaching(GRAFANA.name, GRAFANA.port), tcp(GRAFANA.port),
                          why="UI via the ingress; scraped; renderer callbacks; dashboards backup")],
            egress=grafana_egress,
        ),
        # The ingress's login check: asked by the ingress controller only; it reaches nothing.
        INGRESS_AUTH.name: Policy(ingress=[Rule((ingress_controller,), tcp(INGRESS_AUTH.port), why="login check (auth-url)")]),
        EXPORTER.name: Policy(
            ingress=[Rule((prometheus,), tcp(EXPORTER.port), why="scraped")],
            egress=database_rules(settings, ("exporterDatabaseHost",)),
        ),
        **reporting_flows,
    }
    if settings.kube_state_metrics.deploy:
        # Scraped by Prometheus; it watches the API server, nothing else.
        policies[KUBE_STATE_METRICS.name] = Policy(
            ingress=[Rule((prometheus,), tcp(KUBE_STATE_METRICS.port), why="scraped")],
            egress=[api_server_rule(settings, api, "watch objects")],
        )
    if settings.blackbox.enabled:
        # Asked to probe by Prometheus; probes public endpoints over HTTP(S).
        policies[BLACKBOX_EXPORTER.name] = Policy(
            ingress=[Rule((prometheus,), tcp(BLACKBOX_EXPORTER.port), why="probe requests")],
            egress=[Rule((anywhere,), tcp(80, HTTPS_PORT), why="probe public endpoints")],
        )
    if grafana_settings.image_renderer_enabled:
        policies[GRAFANA_RENDERER.name] = Policy(ingress=[Rule((grafana,), tcp(GRAFANA_RENDERER.port), why="render requests")],
                                                 egress=[Rule((grafana,), tcp(GRAFANA.port), why="load the panel")])
    return policies


def dns_rule(settings: Settings) -> Rule:
    return Rule((Peer(namespace=settings.network.dns_namespace, namespace_pods={"k8s-app": "kube-dns"}),),
                ((DNS_PORT, "UDP"), (DNS_PORT, "TCP")), why="cluster DNS")


def node_exporter_rule(monitoring_namespace: str) -> Rule:
    """The one flow into the node-exporter namespace (components/node_exporter.py)."""
    return Rule((Peer(namespace=monitoring_namespace, pods=PROMETHEUS.name),), tcp(NODE_EXPORTER.port), why="scraped")


def flows_table(settings: Settings) -> str:
    """Every allowed flow of every NetworkPolicy of the stack, one line each (Markdown)."""
    lines = ["| workload | direction | peer | ports | for |", "| --- | --- | --- | --- | --- |",
             "| every pod of the namespace | to | " + "; ".join(p.text() for p in dns_rule(settings).peers)
             + f" | {dns_rule(settings).ports_text()} | cluster DNS |"]
    for workload, policy in sorted(flows(settings).items()):
        for direction, rules in (("from", policy.ingress), ("to", policy.egress)):
            for rule in rules:
                lines.append(f"| {workload} | {direction} | {rule.peers_text()} | {rule.ports_text()} | {rule.why} |")
            if not rules:
                lines.append(f"| {workload} | {direction} | nothing | | |")
    if settings.node_exporter.deploy:
        rule = node_exporter_rule(settings.namespace)
        lines.append(f"| node-exporter (namespace {settings.node_exporter.own_namespace}) | from | {rule.peers[0].text()} | {rule.ports_text()} | {rule.why} |")
        lines.append(f"| node-exporter (namespace {settings.node_exporter.own_namespace}) | to | nothing | | |")
    lines.append("| everything else | from, to | nothing (default-deny-all) | | |")
    return "\n".join(lines) + "\n"


def _rules(rules: list[Rule | ApiServerRule], direction: str):
    # A rule without peers would allow every source or destination: flows() never makes one.
    if any(isinstance(rule, Rule) and not rule.peers for rule in rules):
        raise ValueError(f"a NetworkPolicy {direction} rule without peers would allow everyone")
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
        self.allow_dns = k8s.networking.v1.NetworkPolicy(
            "allow-dns",
            metadata=kube.metadata("allow-dns", COMPONENT, namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Egress"],
                egress=_rules([dns_rule(settings)], "egress"),
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
