"""A real Prometheus (the pinned version, testsupport/pinned_tools.py) on 127.0.0.1, for tests, the local stack and benchmarks.

    from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics

    create_blocks_from_openmetrics(text, data_dir)        # synthetic history, via promtool
    with PrometheusServer(data_dir=data_dir) as prom:      # picks a port, waits until /-/ready
        requests.get(prom.url + "/api/v1/query", params={"query": "up"})
    # leaving the block stops it; a data_dir you passed is kept, a temporary one is deleted

`config` is the prometheus.yml text (default: no scrape jobs). `admin_api=True` adds
--web.enable-admin-api (TSDB snapshots). Retention is effectively unlimited so that historical
synthetic data is not deleted at start-up.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from testsupport.pinned_tools import binary
from testsupport.process import LoopbackServer

EMPTY_CONFIG = "global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"


def create_blocks_from_openmetrics(openmetrics_text: str, data_dir: Path) -> None:
    """Writes TSDB blocks for the samples in `openmetrics_text` (must end with '# EOF') into data_dir."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".om", delete=False) as source:
        source.write(openmetrics_text)
    try:
        result = subprocess.run(
            [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", source.name, str(data_dir)],
            capture_output=True, text=True)
    finally:
        Path(source.name).unlink()
    if result.returncode != 0:
        raise RuntimeError(f"promtool create-blocks-from failed:\n{result.stdout}\n{result.stderr}")


class PrometheusServer(LoopbackServer):
    """`config` and `extra_args` may be functions of the server's port, for a configuration that
    names the server itself (its self-scrape target, its external URL): a start that has to pick
    another port writes them again."""

    def __init__(self, data_dir: Path | None = None, config: str | Callable[[int], str] = EMPTY_CONFIG,
                 admin_api: bool = False, extra_args: tuple[str, ...] | Callable[[int], tuple[str, ...]] = (),
                 port: int | None = None, env: dict[str, str] | None = None, work_dir: Path | None = None):
        self._work_dir = Path(work_dir or tempfile.mkdtemp(prefix="prometheus-"))
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._owns_data_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else self._work_dir / "data"
        self.config_path = self._work_dir / "prometheus.yml"
        self._config, self._admin_api, self._extra_args = config, admin_api, extra_args
        self._launch(port, "prometheus.log", env=env)

    def _argv(self) -> list[str]:
        self.config_path.write_text(self._config(self.port) if callable(self._config) else self._config)
        extra_args = self._extra_args(self.port) if callable(self._extra_args) else self._extra_args
        return [binary("prometheus"),
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.data_dir}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                *(["--web.enable-admin-api"] if self._admin_api else []),
                *extra_args]

    def cleanup(self) -> None:
        self.stop()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self._work_dir, ignore_errors=True)


def checkable_copy(config: dict, rules_dir, tmp_path) -> dict:
    """The rendered config with only the files the pod mounts (service-account CA and token, the
    remote-write password, the rule files) pointed at real files here: `promtool check config`
    checks that they exist. Kubernetes discovery stays as rendered (the pinned promtool checks it)."""
    placeholder = tmp_path / "file"
    placeholder.write_text("x")
    for job in config["scrape_configs"]:
        for section, key in (("tls_config", "ca_file"), ("authorization", "credentials_file")):
            if key in job.get(section, {}):
                job[section][key] = str(placeholder)
    for remote in config.get("remote_write", []):
        if "basic_auth" in remote:
            remote["basic_auth"]["password_file"] = str(placeholder)
    config["rule_files"] = [f"{rules_dir}/*.yml"]
    return config
