"""Where each scrape job of the rendered prometheus.yml reaches its targets: Prometheus's egress.

Read from the very jobs Prometheus runs (render/prometheus_config.py), so the NetworkPolicy and the
scrape config cannot drift apart: a job added to configs/prometheus/ either is placed here or makes
this module raise, naming it. What discovery cannot know in advance (the port an exporter in another
namespace listens on) comes from configs/prometheus/scrape-ports.yml and the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

import yaml

from model import endpoints
from model.hosts import place_of
from model.settings import Settings
from render.prometheus_config import CONFIGS, scrape_configs

Port = Union[int, str]  # a number, or a container port's name

# The stack's own servers, by the Service name a job keeps (the headless one of a StatefulSet too).
_SERVERS = (endpoints.PROMETHEUS, endpoints.ALERTMANAGER, endpoints.GRAFANA, endpoints.EXPORTER,
            endpoints.KUBE_STATE_METRICS, endpoints.BLACKBOX_EXPORTER)
# Host-network exporters: their targets are the nodes' own addresses, which no pod selector matches.
_HOST_NETWORK_JOBS = {"node-exporter": endpoints.NODE_EXPORTER.port}
# The API server's endpoints, as the kubernetes-apiservers job keeps them.
_API_SERVER = ("default", "kubernetes", "https")
_PORT_NAMES = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\|[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_PORT_NAME_LABELS = ("__meta_kubernetes_endpoint_port_name", "__meta_kubernetes_pod_container_port_name")


@dataclass(frozen=True)
class ScrapeEgress:
    """One job's targets: the stack's own workload, pods in namespaces, the nodes, or the API server."""

    job: str
    place: str  # "workload" | "namespaces" | "nodes" | "api-servers"
    ports: tuple[Port, ...]
    workload: Optional[str] = None
    namespaces: Optional[tuple[str, ...]] = None  # for "namespaces": None = every namespace


def declared_ports() -> dict[str, list[Port]]:
    return yaml.safe_load((CONFIGS / "scrape-ports.yml").read_text())["jobs"]


def scrape_egress(settings: Settings) -> list[ScrapeEgress]:
    declared = declared_ports()
    return [_egress(job, settings, declared) for job in scrape_configs(settings)]


def _namespaces(job: dict, settings: Settings) -> Optional[tuple[str, ...]]:
    (sd,) = job["kubernetes_sd_configs"]
    namespaces = sd.get("namespaces", {})
    if namespaces.get("own_namespace"):
        return (settings.namespace,)
    return tuple(namespaces["names"]) if "names" in namespaces else None


def _kept_port_names(job: dict) -> tuple[Optional[str], tuple[str, ...]]:
    """The Service a job keeps (when it names one) and the port names it keeps (literal names only)."""
    for rule in job.get("relabel_configs", []):
        labels, regex = rule.get("source_labels", []), str(rule.get("regex", ""))
        if rule.get("action") != "keep" or not labels or labels[-1] not in _PORT_NAME_LABELS:
            continue
        service, _, names = regex.rpartition(";") if len(labels) == 2 else ("", "", regex)
        if _PORT_NAMES.fullmatch(names):
            return service or None, tuple(names.split("|"))
    return None, ()


def _static_workload(job: dict, settings: Settings) -> Optional[ScrapeEgress]:
    """A static job whose address is rewritten to one of the stack's Services (the blackbox exporter)."""
    for rule in job.get("relabel_configs", []):
        if rule.get("target_label") == "__address__" and "replacement" in rule:
            host, _, port = str(rule["replacement"]).rpartition(":")
            place = place_of(host, settings.namespace)
            server = next((s for s in _SERVERS if host.split(".")[0] == s.name), None)
            if place and place.namespace == settings.namespace and server and port == str(server.port):
                return ScrapeEgress(job["job_name"], "workload", (server.port,), workload=server.name)
    return None


def _opts_in(job: dict) -> bool:
    """The kubernetes-pods / kubernetes-services shape: the port comes from a prometheus.io/port annotation."""
    return any(rule.get("target_label") == "__address__" and any(label.endswith("_annotation_prometheus_io_port") for label in rule.get("source_labels", []))
               for rule in job.get("relabel_configs", []))


def _egress(job: dict, settings: Settings, declared: dict[str, list[Port]]) -> ScrapeEgress:
    name = job["job_name"]
    if "kubernetes_sd_configs" not in job:
        found = _static_workload(job, settings)
        if found:
            return found
        raise ValueError(f"configs/prometheus: scrape job {name}: no NetworkPolicy egress is known for its static targets")
    namespaces = _namespaces(job, settings)
    role = job["kubernetes_sd_configs"][0]["role"]
    service, port_names = _kept_port_names(job)
    if name in declared:
        return ScrapeEgress(name, "namespaces", tuple(declared[name]), namespaces=namespaces)
    if role == "node":
        return ScrapeEgress(name, "nodes", (endpoints.KUBELET_PORT,))  # kubelets and cAdvisor
    if name in _HOST_NETWORK_JOBS:
        return ScrapeEgress(name, "nodes", (_HOST_NETWORK_JOBS[name],))
    if namespaces and service and (namespaces[0], service, port_names[0]) == _API_SERVER:
        return ScrapeEgress(name, "api-servers", endpoints.API_SERVER_PORTS)
    if namespaces == (settings.namespace,) and service:
        server = next((s for s in _SERVERS if service in (s.name, s.headless) and port_names == (s.port_name,)), None)
        if server:
            return ScrapeEgress(name, "workload", (server.port,), workload=server.name)
    if _opts_in(job):
        return ScrapeEgress(name, "namespaces", tuple(settings.prometheus.opt_in_scrape_ports))
    if port_names:
        # A Service port name: the NetworkPolicy resolves it on the pod (the container port of that name).
        return ScrapeEgress(name, "namespaces", port_names, namespaces=namespaces)
    raise ValueError(f"configs/prometheus: scrape job {name}: its targets' ports are not known; "
                     "list them in configs/prometheus/scrape-ports.yml")
