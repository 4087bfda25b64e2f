"""The GitHub workflows build what `make images` builds, push it with SBOM and provenance, scan it,
and deploy it by digest; the tests run in the same Debian 12 as CI here."""
from __future__ import annotations

import pytest
import yaml

from images.catalog import IMAGES, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_tests_run_ci_in_debian_12(name):
    job = workflow(name)["jobs"]["test"]
    assert job["container"]["image"] == "debian:12" and "--privileged" in job["container"]["options"]
    assert any(step.get("run") == "bash .ci/run" for step in job["steps"])


def test_pull_requests_build_and_scan_both_images():
    job = workflow("pull-request.yml")["jobs"]["images"]
    built = {(entry["package"], entry["repository"]) for entry in job["strategy"]["matrix"]["include"]}
    assert built == {(image.package, image.repository) for image in IMAGES.values()}
    [build] = steps(job, "docker/build-push-action")
    assert build["with"]["file"] == "${{ matrix.package }}/Dockerfile" and build["with"]["push"] is False
    [scan] = steps(job, "aquasecurity/trivy-action")
    assert scan["with"]["severity"] == "CRITICAL" and scan["with"]["ignore-unfixed"] is True and scan["with"]["exit-code"] == "1"


def test_main_pushes_with_sbom_and_provenance_scans_and_deploys_the_digests():
    jobs = workflow("deploy.yml")["jobs"]
    builds = steps(jobs["images"], "docker/build-push-action")
    assert {b["with"]["file"] for b in builds} == {f"{image.package}/Dockerfile" for image in IMAGES.values()}
    assert all(b["with"]["push"] is True and b["with"]["sbom"] is True and b["with"]["provenance"] for b in builds)
    outputs = jobs["images"]["outputs"]
    for name, image in IMAGES.items():
        assert outputs[name] == f"${{{{ env.REGISTRY }}}}/{image.repository}@${{{{ steps.{name}.outputs.digest }}}}"
    [scan] = steps(jobs["scan"], "aquasecurity/trivy-action")
    assert scan["with"]["image-ref"] == "${{ needs.images.outputs[matrix.image] }}" and scan["with"]["exit-code"] == "1"
    assert set(jobs["scan"]["strategy"]["matrix"]["image"]) == set(IMAGES)
    up = jobs["up"]
    assert set(up["needs"]) == {"images", "scan"}
    [pulumi] = steps(up, "pulumi/actions")
    config = yaml.safe_load(pulumi["with"]["config-map"])
    assert config == {"exporterImage": {"value": "${{ needs.images.outputs.exporter }}", "secret": False},
                      "reportingImage": {"value": "${{ needs.images.outputs.reporter }}", "secret": False},
                      "ingressAuthImage": {"value": "${{ needs.images.outputs.ingress-auth }}", "secret": False}}
