"""Business series are trusted from one scrape job only: the business metrics exporter's.

Any pod can opt in to the `kubernetes-pods` / `kubernetes-services` jobs and expose a series named
`revenue_total`; without a job matcher it would be summed into RevenueDrop and the CFO's dashboard.
So every reader names the exporter's job, and every other job drops these names at scrape time.
The names come from the exporter's catalog (one source).
"""

from __future__ import annotations

import re

from exporter.catalog import HEALTH_PREFIX, exposed_names

JOB = "waqiti-business-metrics-exporter"  # its job_name in configs/prometheus/scrape-configs.yml
JOB_MATCHER = f'job="{JOB}"'

# A Prometheus relabel regex (anchored by Prometheus) matching every business series name.
NAMES_REGEX = "(" + "|".join(re.escape(name) for name in exposed_names()) + f"|{HEALTH_PREFIX}.+)"
_NAMES = re.compile(NAMES_REGEX)


def is_business_metric(name: str) -> bool:
    return _NAMES.fullmatch(name) is not None


def drop_business_series() -> dict:
    """The metric_relabel_configs entry every job but the exporter's carries."""
    return {"source_labels": ["__name__"], "action": "drop", "regex": NAMES_REGEX}
