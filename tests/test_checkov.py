"""checkov's Kubernetes checks pass on every stack's manifests: zero failed, few skips, each with a reason."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from components.k8s import PINNED_BY_TAG
from model.settings import config_keys
from tests.conftest import ROOT, STACKS
from tools import render
from tools.pulumi_engine import run_program

CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".checkov-venv" / "bin" / "checkov"))
# A workload whose image setting has no digest skips CKV_K8S_43, image by digest, for one reason:
# kube.PINNED_BY_TAG. Beyond that, at most this many skips: 2 for the stack's own servers, the
# service-account token kube-state-metrics watches the API with, and node-exporter's host PID and
# host network (components/node_exporter.py says why).
MAX_OTHER_SKIPS = 5


def checkov(directory: Path) -> dict:
    assert CHECKOV.exists(), f"{CHECKOV} missing: `make checkov-venv` installs it"
    result = subprocess.run(
        [str(CHECKOV), "--skip-download", "--framework", "kubernetes", "-d", str(directory), "--compact", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_finds_nothing(rendered, stack):
    report = checkov(rendered[stack] / "manifests")
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 300
    skipped = report["results"]["skipped_checks"]
    image_tag = [c for c in skipped if c["check_id"] == "CKV_K8S_43"]
    assert {c["check_result"]["suppress_comment"] for c in image_tag} == {PINNED_BY_TAG}
    assert len(skipped) - len(image_tag) <= MAX_OTHER_SKIPS


@pytest.mark.parametrize("stack", STACKS)
def test_every_skip_has_a_written_reason(rendered, stack):
    for path in (rendered[stack] / "manifests").glob("*.yaml"):
        annotations = yaml.safe_load(path.read_text())["metadata"].get("annotations") or {}
        for key, value in annotations.items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert check.startswith("CKV_K8S_") and len(reason) > 30, f"{path.name}: {value}"


def test_checkov_would_fail_a_bad_pod(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "x"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    )
    assert checkov(tmp_path)["results"]["failed_checks"]


# Every image setting: the settings model's keys that end in Image.
IMAGE_SETTINGS = tuple(key for key in config_keys() if key.endswith("Image"))


def production_images() -> dict[str, str]:
    defaults = {key: yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"][key]["default"] for key in IMAGE_SETTINGS}
    stack = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())["config"]
    return {key: stack.get(f"waqiti-monitoring:{key}", default) for key, default in defaults.items()}


def test_digest_pinned_images_need_no_skip_and_pass_the_digest_check(tmp_path):
    """As the deploy workflow runs it, with every image as tag@sha256:digest (made-up digests: the check reads the form)."""
    overrides = {}
    for key, image in production_images().items():
        tag = image.split("@")[0]
        overrides[key] = f"{tag}@sha256:{hashlib.sha256(tag.encode()).hexdigest()}"
    render.write(run_program("production", overrides=overrides), tmp_path / "production")
    report = checkov(tmp_path / "production" / "manifests")
    assert [c["resource"] for c in report["results"]["skipped_checks"] if c["check_id"] == "CKV_K8S_43"] == []
    digest_checks = {c["resource"] for c in report["results"]["passed_checks"] if c["check_id"] == "CKV_K8S_43"}
    assert len(digest_checks) >= 10 and report["results"]["failed_checks"] == []
