"""Fixtures of the real-engine tier: the binaries `make e2e-deps` built, one cluster, one project copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.cluster import Cluster
from e2e.pulumi_cli import ROOT, Project

DEPS = ROOT / "e2e" / "deps.sh"
NEEDED = ("pulumi", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
RESULTS: dict = {}
OUTPUT = ROOT / "test-output"


def _deps_path(what: str) -> Path:
    return Path(subprocess.run(["bash", str(DEPS), what], capture_output=True, text=True, check=True).stdout.strip())


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    path = _deps_path("bin-dir")
    missing = [name for name in NEEDED if not (path / name).exists()]
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} in {path}; run `make e2e-deps` first")
    return path


@pytest.fixture(scope="session")
def cluster(bin_dir):
    keep = os.environ.get("E2E_KEEP") == "1"
    started = time.monotonic()
    running = Cluster(bin_dir).start()
    RESULTS["cluster_start_seconds"] = round(time.monotonic() - started, 1)
    yield running
    running.stop(keep=keep)


@pytest.fixture(scope="session")
def project(bin_dir, cluster, tmp_path_factory):
    copy = Project(tmp_path_factory.mktemp("pulumi"), bin_dir, _deps_path("plugin-home"), Path(sys.prefix), cluster.kubeconfig_path)
    yield copy
    # Every command and its output (secret values never appear there), for whoever reads a failure.
    OUTPUT.mkdir(parents=True, exist_ok=True)
    if copy.log.exists():
        (OUTPUT / "e2e-pulumi.log").write_text(copy.log.read_text())


@pytest.fixture(scope="session", autouse=True)
def results_file():
    """The figures of this run (counts, seconds), for the README and the issue's report."""
    yield RESULTS
    out = Path(os.environ.get("E2E_RESULTS", OUTPUT / "e2e-results.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, sort_keys=True) + "\n")
    print(f"\ne2e results: {json.dumps(RESULTS, sort_keys=True)}", file=sys.stderr)


# Each stack's steps build on the previous ones: after a failure the rest of the class fails fast.
_failed: dict[str, str] = {}


def pytest_runtest_makereport(item, call):
    if call.when == "call" and call.excinfo is not None and item.cls is not None:
        _failed.setdefault(item.cls.__name__, item.name)


def pytest_runtest_setup(item):
    # destroy always runs: what an earlier step left must not stay for the next stack.
    if item.cls is not None and item.cls.__name__ in _failed and not item.name.startswith("test_destroy"):
        pytest.fail(f"an earlier step of this stack failed: {_failed[item.cls.__name__]}")
