"""The CronJob alerts (configs/prometheus/rules/cronjobs.yml) cover exactly the CronJobs the stack creates,
and their margin is longer than any of those jobs may legitimately be late."""

from __future__ import annotations

import re

import pytest
import yaml

from render.rules import RULES_DIR
from tests.conftest import STACKS

RULES = yaml.safe_load((RULES_DIR / "cronjobs.yml").read_text())
ALERTS = {rule["alert"]: rule for group in RULES["groups"] for rule in group["rules"]}


def cron_jobs(rendered_dir) -> dict[str, dict]:
    found = {}
    for path in (rendered_dir / "manifests").glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        if document.get("kind") == "CronJob":
            found[document["metadata"]["name"]] = document
    return found


def name_patterns(expr: str, label: str) -> set[str]:
    return set(re.findall(label + r'=~"([^"]+)"', expr)) | {re.escape(v) for v in re.findall(label + r'="([^"]+)"', expr)}


@pytest.mark.parametrize("stack", STACKS)
def test_the_alerts_match_every_report_and_backup_cronjob_of_the_stack(rendered, stack):
    names = set(cron_jobs(rendered[stack]))
    assert {"sla-report-daily", "sla-report-weekly", "sla-report-monthly", "backup-prometheus"} <= names
    for alert, label in (("CronJobRunFailed", "owner_name"), ("CronJobNotSucceededInTime", "cronjob")):
        (pattern,) = name_patterns(ALERTS[alert]["expr"], label)
        assert sorted(n for n in names if not re.fullmatch(pattern, n)) == [], alert
    (monthly,) = name_patterns(ALERTS["ComplianceReportMissing"]["expr"], "cronjob")
    assert [n for n in names if re.fullmatch(monthly, n)] == ["sla-report-monthly"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_margin_exceeds_how_late_a_successful_run_can_be(rendered, stack):
    margin = {alert: int(re.search(r"\+ (\d+) \* 3600", ALERTS[alert]["expr"]).group(1)) * 3600
              for alert in ("CronJobNotSucceededInTime", "ComplianceReportMissing")}
    for name, cron_job in cron_jobs(rendered[stack]).items():
        spec = cron_job["spec"]
        late = spec["startingDeadlineSeconds"] + spec["jobTemplate"]["spec"]["activeDeadlineSeconds"]
        assert late < min(margin.values()), (name, late, margin)
