"""The gate in front of Prometheus, run: a real nginx (as nobody, like the container) with the
rendered gate config in front of a real Prometheus on loopback.

Through the web port every query and probe gets through, and no admin or lifecycle request does,
however its path is spelt; through the admin port the snapshot alone does, and it is the one the
Prometheus backup takes (reporter/backup/prometheus.py).
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from reporter.backup.prometheus import SNAPSHOT_NAME, snapshot_directory, take_snapshot
from render.prometheus_gate import gate_config, render_gate_config
from model.settings import settings_for_stack
from testsupport.ports import pick_ports
from testsupport.process import ServerProcess
from testsupport.prometheus import PrometheusServer

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NOBODY = 65534

# The admin API and lifecycle endpoints, spelt as a client may to slip past a path match.
SNAPSHOT_SPELLINGS = [
    "/api/v1/admin/tsdb/snapshot", "//api/v1/admin/tsdb/snapshot", "/api/v1//admin/tsdb/snapshot",
    "/api/v1/./admin/tsdb/snapshot", "/api/v1/status/../admin/tsdb/snapshot", "/api/v1/%61dmin/tsdb/snapshot",
    "/api/v1/admin%2Ftsdb%2Fsnapshot", "/API/V1/ADMIN/tsdb/snapshot", "/api/v1/admin/tsdb/snapshot?skip_head=true",
]
DELETE_SERIES = "/api/v1/admin/tsdb/delete_series?match[]=up"


def raw(base_port: int, method: str, path: str) -> int:
    """The status of a request sent with its path exactly as written (no client-side normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
    try:
        connection.request(method, path, headers={"Content-Length": "0"})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def gated():
    # Straight under /tmp: nobody must reach it (pytest's own temporary tree is root's alone).
    run_dir = Path(tempfile.mkdtemp(prefix="prometheus-gate-"))
    with PrometheusServer(admin_api=True) as prometheus:
        web, admin = pick_ports(2)
        config = run_dir / "nginx.conf"
        config.write_text(gate_config(f"127.0.0.1:{web}", f"127.0.0.1:{admin}", f"127.0.0.1:{prometheus.port}", str(run_dir), 120))
        argv = [NGINX, "-c", str(config), "-e", "stderr", "-g", "daemon off;"]
        if os.geteuid() == 0:  # as the container runs it: not root, everything it writes under the run dir
            os.chmod(run_dir, 0o777)
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
        gate = ServerProcess(argv, run_dir / "gate.log", f"http://127.0.0.1:{web}/-/ready")
        gate.start()
        try:
            gate.wait_ready()
            yield prometheus, web, admin
        finally:
            gate.stop()
            shutil.rmtree(run_dir, ignore_errors=True)


def snapshots(prometheus) -> list[str]:
    directory = prometheus.data_dir / "snapshots"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_queries_and_probes_pass_the_web_port(gated):
    prometheus, web, _ = gated
    base = f"http://127.0.0.1:{web}"
    assert requests.get(f"{base}/api/v1/query", params={"query": "vector(1)"}, timeout=10).json()["status"] == "success"
    assert requests.post(f"{base}/api/v1/query", data={"query": "vector(2)"}, timeout=10).json()["data"]["result"][0]["value"][1] == "2"
    assert requests.get(f"{base}/api/v1/status/buildinfo", timeout=10).status_code == 200
    assert requests.get(f"{base}/metrics", timeout=10).status_code == 200  # the peer's scrape
    for probe in ("/-/ready", "/-/healthy"):
        assert requests.get(base + probe, timeout=10).status_code == 200


@pytest.mark.parametrize("path", SNAPSHOT_SPELLINGS + [DELETE_SERIES, "/api/v1/admin/tsdb/clean_tombstones"])
def test_no_admin_request_passes_the_web_port(gated, path):
    prometheus, web, _ = gated
    before = snapshots(prometheus)
    assert raw(web, "POST", path) == 403
    assert snapshots(prometheus) == before


@pytest.mark.parametrize("path", ["/-/reload", "/-/quit", "//-/quit", "/-/../-/quit"])
def test_no_lifecycle_request_passes_the_web_port(gated, path):
    prometheus, web, _ = gated
    assert raw(web, "POST", path) == 403
    assert requests.get(f"http://127.0.0.1:{prometheus.port}/-/healthy", timeout=5).status_code == 200  # still running


def test_the_admin_port_passes_the_snapshot_and_nothing_else(gated):
    prometheus, _, admin = gated
    base = f"http://127.0.0.1:{admin}"
    for method, path in [("GET", "/api/v1/admin/tsdb/snapshot"), ("POST", DELETE_SERIES), ("POST", "/api/v1/admin/tsdb/clean_tombstones"),
                         ("GET", "/api/v1/query?query=up"), ("POST", "/-/reload"), ("POST", "/-/quit"), ("GET", "/metrics")]:
        assert raw(admin, method, path) == 403, (method, path)
    # what the Prometheus backup does first, through the admin port: a real snapshot on the volume
    name = take_snapshot(base)
    assert SNAPSHOT_NAME.fullmatch(name) and snapshot_directory(prometheus.data_dir, name).is_dir()


def test_the_deployed_gate_config_is_the_same_file_with_the_pod_s_ports(tmp_path):
    deployed = render_gate_config(settings_for_stack("production"))
    assert "listen 9090;" in deployed and "listen 9092;" in deployed and "proxy_pass http://127.0.0.1:9091;" in deployed
    assert "proxy_read_timeout 150s;" in deployed  # prometheusQueryTimeout 2m, plus the margin
    assert "@" not in deployed.replace("# render/prometheus_gate.py fills in the names between @", "")
    (tmp_path / "nginx.conf").write_text(deployed.replace("/tmp", str(tmp_path)))
    result = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
