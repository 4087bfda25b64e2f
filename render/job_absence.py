"""ScrapeJobDown: one alert per scrape job the rules and dashboards read, from configs/prometheus/scrape-job-owners.yml.

An alert built on an exporter's series goes quiet, rather than firing, when the exporter is gone.
So each job listed there gets an alert that fires when its targets are all down or when discovery
finds none at all (then `up{job=...}` has no series and only absent() notices), labelled with the
owning team so that routing.yml sends it where the job's own alerts go.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

OWNERS_FILE = Path(__file__).resolve().parent.parent / "configs" / "prometheus" / "scrape-job-owners.yml"
RULE_FILE = "scrape-jobs.yml"
ALERT = "ScrapeJobDown"
FOR = {"critical": "5m", "warning": "10m"}
_KEYS = {"job", "team", "severity", "covered_by", "metrics"}


@dataclass(frozen=True)
class JobOwner:
    job: str
    team: str | None = None
    severity: str | None = None
    covered_by: str | None = None  # an existing alert that fires when the job is down or absent
    metrics: str | None = None  # configs/upstream-metrics/<metrics>.txt


def load_job_owners(path: Path = OWNERS_FILE) -> list[JobOwner]:
    owners = []
    for index, entry in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]):
        where = f"{path.name}: jobs[{index}]"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; expected some of {sorted(_KEYS)}")
        owner = JobOwner(**entry)
        if owner.covered_by is None and (owner.team is None or owner.severity not in FOR):
            raise ValueError(f"{where} ({owner.job}): expected a team and a severity in {sorted(FOR)}, or covered_by")
        owners.append(owner)
    names = [owner.job for owner in owners]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"{path.name}: job listed twice: {', '.join(duplicated)}")
    return owners


def down_or_absent(job: str) -> str:
    """True for the job when every target is down, or when it has no target at all."""
    return f'max by (job) (up{{job="{job}"}}) == 0\nor\nabsent(up{{job="{job}"}})\n'


def _rule(owner: JobOwner) -> dict:
    return {
        "alert": ALERT,
        "expr": down_or_absent(owner.job),
        "for": FOR[owner.severity],
        "labels": {"severity": owner.severity, "team": owner.team, "service": owner.job},
        "annotations": {
            "summary": f"No {owner.job} target is scraped",
            "description": (
                f"Every {owner.job} target has been down, or discovery has found none, for {FOR[owner.severity]}. "
                "The alerts and panels that read its series are blind, and quiet rather than firing."
            ),
        },
    }


def job_absence_groups(owners: list[JobOwner] | None = None) -> list[dict]:
    owners = load_job_owners() if owners is None else owners
    return [{"name": "scrape-job-absence", "rules": [_rule(o) for o in owners if o.covered_by is None]}]


def only_for(files: dict[str, dict], jobs: set[str]) -> dict[str, dict]:
    """The rule files without the absence alerts of jobs this stack does not scrape (a probe job
    switched off, say): their absence is intended."""
    document = files.get(RULE_FILE)
    if document is None:
        return files
    kept = [{**group, "rules": [rule for rule in group["rules"] if rule["labels"]["service"] in jobs]} for group in document["groups"]]
    return {**files, RULE_FILE: {**document, "groups": kept}}
