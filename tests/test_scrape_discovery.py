"""The rendered scrape jobs, run by a real Prometheus over the discovery labels Kubernetes would give.

Each job's `kubernetes_sd_configs` becomes `static_configs` whose targets carry the `__meta_kubernetes_*`
labels of the objects below (as local/localize.py does), so the job's own relabelling decides, exactly
as in a cluster, which targets it keeps and what it calls them. Every address is on loopback
(127.0.0.0/8); only the mesh targets have something listening.
"""

from __future__ import annotations

import copy
import time

import pytest
import requests
import yaml

from model.settings import settings_for_stack
from local.localize import endpoint_meta
from render.exporter_jobs import KUBE_STATE_METRICS_SHAPES, ExporterService, kube_state_metrics_job, node_exporter_job
from render.prometheus_config import MESH_METRICS_DROP, render_prometheus_config
from testsupport.exposition import ExpositionServer
from testsupport.prometheus import PrometheusServer

MONITORING_NAMESPACE = "monitoring"  # production's namespace (own_namespace discovery)


def _endpoint(address, **meta):
    return {"role": "endpoints", "address": address, "meta": endpoint_meta(**meta)}


# kube-state-metrics as each common installation exposes it, with its second (self-metrics) port.
ENDPOINTS = [
    _endpoint("127.0.1.1:9", service="kube-state-metrics", port_name="http-metrics", namespace="kube-system", pod="ksm-a"),
    _endpoint("127.0.1.2:9", service="kube-state-metrics", port_name="telemetry", namespace="kube-system", pod="ksm-a"),
    _endpoint("127.0.2.1:9", service="prometheus-kube-state-metrics", app="kube-state-metrics", port_name="http",
              namespace="prometheus", pod="ksm-b"),
    _endpoint("127.0.3.1:9", service="kube-state-metrics", port_name="https-main", namespace="monitoring-ext", pod="ksm-c"),
    _endpoint("127.0.3.2:9", service="kube-state-metrics", port_name="https-self", namespace="monitoring-ext", pod="ksm-c"),
    # the stack's own, in its namespace
    _endpoint("127.0.7.1:9", service="kube-state-metrics", port_name="http-metrics", namespace=MONITORING_NAMESPACE, pod="ksm-ours"),
    # node-exporter: ours, the community chart's, kube-prometheus' (host network: address = node IP)
    _endpoint("127.0.4.1:9", service="node-exporter", port_name="metrics", namespace="node-exporter", pod="ne-1", node="node-1"),
    _endpoint("127.0.4.2:9", service="node-exporter", port_name="metrics", namespace="node-exporter", pod="ne-2", node="node-2"),
    _endpoint("127.0.5.1:9", service="prometheus-node-exporter", port_name="http-metrics", namespace="prometheus", pod="ne-x"),
    _endpoint("127.0.6.1:9", service="node-exporter", port_name="https", namespace="monitoring-ext", pod="ne-y"),
]
# An existing one is looked for in every namespace unless its namespace is set: the upstream shape
# also finds the stack's own here (a stack runs one or the other).
EXPECTED_KSM = {"upstream-manifests": ["http://127.0.1.1:9/metrics", "http://127.0.7.1:9/metrics"],
                "community-chart": ["http://127.0.2.1:9/metrics"], "kube-prometheus": ["https://127.0.3.1:9/metrics"]}


def _pod_targets(port: int) -> list[dict]:
    """A meshed pod as the pod role sees it: one target per container port, with the annotations
    Istio's metrics merging writes (prometheus.io/port 15020 in a cluster; here the sink's port)."""
    meta = {
        "__meta_kubernetes_namespace": "waqiti",
        "__meta_kubernetes_pod_name": "orders-7d9",
        "__meta_kubernetes_pod_node_name": "node-1",
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
        "__meta_kubernetes_pod_annotation_prometheus_io_port": str(port),
        "__meta_kubernetes_pod_annotation_prometheus_io_path": "/stats/prometheus",
    }
    return [
        {"role": "pod", "address": f"127.0.0.1:{port}",
         "meta": {**meta, "__meta_kubernetes_pod_container_name": "istio-proxy",
                  "__meta_kubernetes_pod_container_port_name": "http-envoy-prom"}},
        {"role": "pod", "address": "127.0.0.1:9",
         "meta": {**meta, "__meta_kubernetes_pod_container_name": "orders",
                  "__meta_kubernetes_pod_container_port_name": "http"}},
    ]


MERGED_METRICS = (
    "istio_requests_total{reporter=\"destination\",destination_service_name=\"orders\"} 5\n"
    "envoy_cluster_upstream_cx_total{cluster_name=\"x\"} 3\n"
    "orders_processed_total 7\n"
)


def _role_and_namespaces(job: dict) -> tuple[str, set[str] | None]:
    (sd,) = job["kubernetes_sd_configs"]
    namespaces = sd.get("namespaces", {})
    if namespaces.get("own_namespace"):
        return sd["role"], {MONITORING_NAMESPACE}
    return sd["role"], set(namespaces["names"]) if "names" in namespaces else None


def discovered(job: dict, objects: list[dict], placeholder: str) -> dict:
    """The job as Prometheus runs it against these objects, with its files made real."""
    job = copy.deepcopy(job)
    role, namespaces = _role_and_namespaces(job)
    del job["kubernetes_sd_configs"]
    job["static_configs"] = [
        {"targets": [o["address"]], "labels": o["meta"]} for o in objects
        if o["role"] == role and (namespaces is None or o["meta"]["__meta_kubernetes_namespace"] in namespaces)
    ]
    # The service-account files do not exist here: a token file with any content, and no CA
    # (a file that is not a certificate would stop the whole job).
    job.get("tls_config", {}).pop("ca_file", None)
    if "credentials_file" in job.get("authorization", {}):
        job["authorization"]["credentials_file"] = placeholder
    return job


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """A real Prometheus running the rendered production jobs and one kube-state-metrics job per shape."""
    with ExpositionServer(lambda path: MERGED_METRICS) as target:
        yield from _scraping(tmp_path_factory, ENDPOINTS + _pod_targets(target.port))


def _scraping(tmp_path_factory, objects):
    placeholder = tmp_path_factory.mktemp("files") / "credential"
    placeholder.write_text("x")
    rendered = yaml.safe_load(render_prometheus_config(settings_for_stack("production")))
    jobs = [job for job in rendered["scrape_configs"] if "kubernetes_sd_configs" in job]
    for shape, service in KUBE_STATE_METRICS_SHAPES.items():
        job = kube_state_metrics_job(service)
        job["job_name"] = f"ksm-{shape}"
        jobs.append(job)
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
              "scrape_configs": [discovered(job, objects, str(placeholder)) for job in jobs]}
    with PrometheusServer(config=yaml.safe_dump(config)) as prometheus:
        # the jobs that have something to keep here
        yield prometheus, {f"ksm-{shape}" for shape in KUBE_STATE_METRICS_SHAPES} | {
            "kube-state-metrics", "node-exporter", "istio-mesh", "kubernetes-pods"}


def _active_targets(prometheus, jobs: set[str]) -> dict[str, list[dict]]:
    """Active targets by job, once Prometheus has applied discovery to all jobs (it syncs every 5s)."""
    deadline = time.monotonic() + 30
    while True:
        data = requests.get(f"{prometheus.url}/api/v1/targets", timeout=5).json()["data"]
        pools = {t["scrapePool"] for t in data["activeTargets"]}
        if pools >= jobs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    by_job: dict[str, list[dict]] = {}
    for target in data["activeTargets"]:
        by_job.setdefault(target["scrapePool"], []).append(target)
    return by_job


@pytest.mark.parametrize("shape", sorted(KUBE_STATE_METRICS_SHAPES))
def test_each_kube_state_metrics_shape_is_found_and_only_its_metrics_port(scraped, shape):
    prometheus, jobs = scraped
    targets = _active_targets(prometheus, jobs)[f"ksm-{shape}"]
    assert sorted(t["scrapeUrl"] for t in targets) == EXPECTED_KSM[shape]
    assert targets[0]["labels"]["job"] == f"ksm-{shape}"


def test_the_default_kube_state_metrics_job_finds_the_one_the_stack_deploys(scraped):
    prometheus, jobs = scraped
    targets = _active_targets(prometheus, jobs)["kube-state-metrics"]
    assert [t["scrapeUrl"] for t in targets] == ["http://127.0.7.1:9/metrics"]  # only in the stack's namespace


def test_the_node_exporter_job_keeps_one_target_per_node_named_by_the_node(scraped):
    prometheus, jobs = scraped
    targets = _active_targets(prometheus, jobs)["node-exporter"]
    assert sorted((t["scrapeUrl"], t["labels"]["instance"], t["labels"]["node"]) for t in targets) == [
        ("http://127.0.4.1:9/metrics", "node-1", "node-1"),
        ("http://127.0.4.2:9/metrics", "node-2", "node-2"),
    ]


def test_a_meshed_pod_is_scraped_by_both_jobs_but_istio_series_come_from_one(scraped):
    prometheus, jobs = scraped
    targets = _active_targets(prometheus, jobs)
    assert len(targets["istio-mesh"]) == 1 and len(targets["kubernetes-pods"]) == 1

    def series(query):
        result = requests.get(f"{prometheus.url}/api/v1/query", params={"query": query}, timeout=5).json()
        return sorted(r["metric"]["job"] for r in result["data"]["result"])

    deadline = time.monotonic() + 30
    while series("orders_processed_total") != ["istio-mesh", "kubernetes-pods"] and time.monotonic() < deadline:
        time.sleep(0.5)
    # Both jobs scraped the merged endpoint (the app's metric is in both) ...
    assert series("orders_processed_total") == ["istio-mesh", "kubernetes-pods"]
    # ... and the mesh's series exist once, from the job that owns them.
    assert series('{__name__=~"istio_.*|envoy_.*"}') == ["istio-mesh", "istio-mesh"]


def test_https_shape_sends_the_service_account_token_and_http_shapes_do_not():
    https = kube_state_metrics_job(KUBE_STATE_METRICS_SHAPES["kube-prometheus"])
    http_ = kube_state_metrics_job(KUBE_STATE_METRICS_SHAPES["community-chart"])
    assert https["scheme"] == "https" and https["authorization"]["credentials_file"].endswith("/token")
    assert http_["scheme"] == "http" and "authorization" not in http_ and "tls_config" not in http_


def test_a_namespace_narrows_discovery_and_a_bad_scheme_is_refused():
    job = kube_state_metrics_job(ExporterService("kube-state-metrics", "http", namespace="monitoring-ext"))
    assert job["kubernetes_sd_configs"] == [{"role": "endpoints", "namespaces": {"names": ["monitoring-ext"]}}]
    with pytest.raises(ValueError, match="scheme: expected http or https, got 'ftp'"):
        ExporterService("kube-state-metrics", "http", scheme="ftp")


def test_every_job_but_the_mesh_drops_mesh_series():
    rendered = yaml.safe_load(render_prometheus_config(settings_for_stack("production")))
    for job in rendered["scrape_configs"]:
        drops = [r for r in job["metric_relabel_configs"] if r == MESH_METRICS_DROP]
        assert bool(drops) is (job["job_name"] != "istio-mesh"), job["job_name"]
