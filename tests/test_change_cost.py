"""Change cost: one alert threshold changed in configs/ changes exactly one resource, and no pod template."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT

RULE_FILE = "configs/prometheus/rules/payment.yml"
THRESHOLD, CHANGED = "> 0.05", "> 0.06"  # PaymentFailureRateHigh: failed share of payments


def render(tree, out):
    result = subprocess.run([sys.executable, "-m", "tools.render", "--stack", "production", "--out", str(out)], cwd=tree, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_threshold_change_touches_only_the_rules_config_map(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", ".checkov-venv", "build", "test-output", "__pycache__"))
    render(tree, tmp_path / "before")
    rules = tree / RULE_FILE
    text = rules.read_text()
    assert text.count(THRESHOLD) == 1, "the threshold this test edits moved: update THRESHOLD"
    rules.write_text(text.replace(THRESHOLD, CHANGED))
    render(tree, tmp_path / "after")

    before, after = tmp_path / "before" / "manifests", tmp_path / "after" / "manifests"
    assert sorted(p.name for p in before.iterdir()) == sorted(p.name for p in after.iterdir())
    changed = sorted(p.name for p in before.iterdir() if p.read_text() != (after / p.name).read_text())
    assert changed == ["configmap-prometheus-rules.yaml"]
    assert CHANGED in (after / "configmap-prometheus-rules.yaml").read_text()
