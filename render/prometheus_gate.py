"""nginx.conf of the gate in front of each Prometheus replica (configs/prometheus/gate-nginx.conf).

Prometheus itself listens on loopback only (PROMETHEUS_LOOPBACK_PORT); the gate takes its web port
for everything but the admin API and lifecycle endpoints, and a second port (PROMETHEUS_ADMIN_PORT)
for the snapshot alone, which the NetworkPolicy opens to the Prometheus backup only.
"""

from __future__ import annotations

from model.endpoints import PROMETHEUS, PROMETHEUS_ADMIN_PORT, PROMETHEUS_LOOPBACK_PORT
from model.settings import Settings
from model.settings.types import duration_seconds
from render.prometheus_config import CONFIGS

TEMPLATE = CONFIGS / "gate-nginx.conf"
FILE = "nginx.conf"
RUN_DIR = "/tmp"  # the container's only writable path (read-only root filesystem)
# A snapshot of a large TSDB takes minutes; the backup waits 5 (reporter/backup/prometheus.py).
SNAPSHOT_TIMEOUT_SECONDS = 600
# Past the query timeout, so Prometheus answers a slow query with its own error, not the gate a 504.
QUERY_TIMEOUT_MARGIN_SECONDS = 30


def gate_config(web_listen: str, admin_listen: str, upstream: str, run_dir: str, query_timeout_seconds: int) -> str:
    values = {
        "WEB_LISTEN": web_listen,
        "ADMIN_LISTEN": admin_listen,
        "UPSTREAM": upstream,
        "RUN_DIR": run_dir,
        "QUERY_READ_TIMEOUT": f"{query_timeout_seconds + QUERY_TIMEOUT_MARGIN_SECONDS}s",
        "SNAPSHOT_READ_TIMEOUT": f"{SNAPSHOT_TIMEOUT_SECONDS}s",
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def render_gate_config(settings: Settings) -> str:
    """As deployed: every pod address on the web and admin ports, Prometheus on the pod's loopback."""
    return gate_config(str(PROMETHEUS.port), str(PROMETHEUS_ADMIN_PORT), f"127.0.0.1:{PROMETHEUS_LOOPBACK_PORT}", RUN_DIR,
                       int(duration_seconds(settings.prometheus.query_timeout)))
