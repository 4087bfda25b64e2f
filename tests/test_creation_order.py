"""Each workload is registered after the ServiceAccount its pods run as: the engine creates a
resource only after its dependencies, and a ReplicaSet, StatefulSet or DaemonSet whose service
account does not exist yet has its pods refused (`make e2e` saw the image renderer's)."""

from __future__ import annotations

import pytest
from pulumi.runtime import mocks

from tools.pulumi_engine import run_program

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "CronJob"}


class DependencyRecordingMonitor(mocks.MockMonitor):
    """The mock engine, also recording the dependencies the program declares for each resource."""

    def __init__(self, mock):
        super().__init__(mock)
        self.dependencies: dict[str, set[str]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.dependencies[response.urn] = set(request.dependencies)
        return response


@pytest.fixture(scope="module")
def production_dependencies():
    monitors: list[DependencyRecordingMonitor] = []
    set_mocks = mocks.set_mocks

    def recording_set_mocks(mock, **kwargs):
        monitors.append(DependencyRecordingMonitor(mock))
        return set_mocks(mock, monitor=monitors[-1], **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pulumi.runtime.set_mocks", recording_set_mocks)
        run = run_program("production")
    return run, monitors[-1].dependencies


def _pod_spec(manifest: dict) -> dict:
    spec = manifest["spec"]
    return (spec["jobTemplate"]["spec"] if "jobTemplate" in spec else spec)["template"]["spec"]


def test_every_workload_depends_on_its_service_account(production_dependencies):
    run, dependencies = production_dependencies
    accounts = {urn.rsplit("::", 1)[1]: urn for urn in dependencies if "kubernetes:core/v1:ServiceAccount::" in urn}
    checked = 0
    for urn, declared in dependencies.items():
        kind = urn.split("::")[-2].rsplit(":", 1)[-1]
        if kind not in WORKLOADS:
            continue
        name = urn.rsplit("::", 1)[1]
        manifest = next(r.manifest for r in run.kubernetes(kind) if r.name == name)
        account = _pod_spec(manifest)["serviceAccountName"]
        assert accounts[account] in declared, f"{kind} {name} does not wait for ServiceAccount {account}"
        checked += 1
    assert checked >= 12
