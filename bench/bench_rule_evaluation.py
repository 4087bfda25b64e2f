"""Rule-evaluation cost of the rendered production rules at production-like cardinality (not a test).

    .venv/bin/python bench/bench_rule_evaluation.py [--minutes 3] [--write]

The pinned Prometheus runs the production rule files (rendered by the Pulumi program under mocks, as
`make render` does) at the production 15s evaluation interval and scrapes bench/synthetic_fleet.py:
50 services x 20 pods of Micrometer histograms plus the business metrics. The long windows have
history (promtool backfill): 6h of the SLI series, 30 days of the SLO recordings, 8 days of the
revenue recording. After a warm-up, each group's `prometheus_rule_group_last_duration_seconds` is
sampled for --minutes; the target is every group under 5% of its interval.
Prints a Markdown section; `--write` replaces `## Rule evaluation` in bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
from collections import Counter
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.load import LoadAverage  # noqa: E402
from bench.results import replace_section  # noqa: E402
from bench.synthetic_fleet import FleetServer, SERVICES, PODS  # noqa: E402
from bench.synthetic_fleet import history_openmetrics  # noqa: E402
from testsupport.pinned_tools import project_of  # noqa: E402
from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics  # noqa: E402

TARGET_SHARE = 0.05
WARM_UP = 45.0  # rate()[5m] needs two scrapes; let the first evaluations and block loading settle


def render_rules(out: Path) -> Path:
    from tools.pulumi_engine import run_program
    from tools.render import write

    write(run_program("production"), out)
    return out / "prometheus" / "rules"


def prometheus_config(rules_dir: Path, fleet_port: int, paths: list[str]) -> str:
    rendered = yaml.safe_load((rules_dir.parent / "prometheus.yml").read_text())["global"]
    config = {
        "global": {"scrape_interval": rendered["scrape_interval"], "evaluation_interval": rendered["evaluation_interval"],
                   "scrape_timeout": rendered["scrape_timeout"]},
        "rule_files": [f"{rules_dir}/*.yml"],
        # honor_labels: the fleet exposes the job/service/pod labels production relabelling would give;
        # one instance per target, or their `up` and scrape_* series would collide
        "scrape_configs": [{"job_name": "synthetic-fleet", "honor_labels": True, "sample_limit": 0,
                            "static_configs": [{"targets": [f"127.0.0.1:{fleet_port}"], "labels": {"__metrics_path__": p, "instance": p.rsplit("/", 1)[1]}}
                                               for p in paths]}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def rule_group_metrics(url: str) -> dict[str, dict[str, float]]:
    """group -> {last_duration, interval, evaluations, failures} from Prometheus's own /metrics."""
    groups: dict[str, dict[str, float]] = {}
    wanted = {"prometheus_rule_group_last_duration_seconds": "last_duration",
              "prometheus_rule_group_interval_seconds": "interval",
              "prometheus_rule_group_iterations": "evaluations", "prometheus_rule_evaluation_failures": "failures"}
    for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=10).text):
        if family.name in wanted:
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                name = sample.labels["rule_group"].rsplit(";", 1)[1]
                groups.setdefault(name, {})[wanted[family.name]] = sample.value
    return groups


def sample(url: str, minutes: float) -> dict[str, dict[str, float]]:
    """Per group, the largest last duration seen (with its interval, evaluation and failure counts)."""
    time.sleep(WARM_UP)
    worst: dict[str, dict[str, float]] = {}
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        for name, m in rule_group_metrics(url).items():
            if m.get("evaluations", 0) < 2:
                continue  # the first evaluation of a group also loads what it reads from disk
            if name not in worst or m["last_duration"] > worst[name]["last_duration"]:
                worst[name] = dict(m)
            worst[name]["evaluations"], worst[name]["failures"] = m["evaluations"], m["failures"]
        time.sleep(5)
    return worst


def own_metric(url: str, name: str) -> float:
    for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=10).text):
        if family.name == name:
            return family.samples[0].value
    return 0.0


def value(url: str, expr: str) -> float:
    result = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to sample after the warm-up")
    parser.add_argument("--write", action="store_true", help="record the section in bench/RESULTS.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-rules-"))
    try:
        rules_dir = render_rules(work / "build")
        requests_rate = {"payment": PODS * 12.0, "wallet": PODS * 15.0}
        slo_rates = {(s, slo): (r, r * (0.0003 if slo == "availability" else 0.02))
                     for s, r in requests_rate.items() for slo in ("availability", "latency")}
        started = time.time()
        create_blocks_from_openmetrics(history_openmetrics(started - 30, slo_rates), work / "data")
        print(f"history backfilled in {time.time() - started:.0f}s", file=sys.stderr, flush=True)

        with FleetServer() as fleet:
            prometheus = PrometheusServer(data_dir=work / "data", config=prometheus_config(rules_dir, fleet.port, fleet.paths),
                                          work_dir=work / "prometheus", extra_args=("--log.level=warn",))
            try:
                prometheus.start(timeout=180)  # loads a few hundred backfilled 2h blocks first
                with LoadAverage() as load:
                    worst = sample(prometheus.url, args.minutes)
                head_series = own_metric(prometheus.url, "prometheus_tsdb_head_series")  # it does not scrape itself
                fleet_series = fleet.series
                scrape_seconds = value(prometheus.url, 'max(scrape_duration_seconds{job="synthetic-fleet"})')
                histogram_series = value(prometheus.url, 'count({__name__=~"http_server_requests_seconds_.*"})')
            finally:
                prometheus.cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = sorted(worst.items(), key=lambda kv: -kv[1]["last_duration"] / kv[1]["interval"])
    top_share = max(m["last_duration"] / m["interval"] for _, m in rows)
    failures = sum(m["failures"] for _, m in rows)
    counts = Counter(m["interval"] for _, m in rows)
    intervals = ", ".join(f"{n} at {i:g}s" for i, n in sorted(counts.items()))
    lines = [
        "## Rule evaluation",
        "",
        f"Measured {dt.date.today()} by `bench/bench_rule_evaluation.py` on this machine: {os.cpu_count()} cores, "
        f"Linux {platform.release()}, Prometheus {project_of('prometheus').version}. The rendered production rule files "
        f"({len(rows)} groups at their production intervals: {intervals}) against `bench/synthetic_fleet.py`: "
        f"{len(SERVICES)} services x {PODS} pods of Micrometer `http_server_requests_seconds` histograms "
        f"(12 buckets incl. 0.2/0.5, 2-4 uris, 4 statuses) and the business metrics, scraped every 15s "
        f"(one target per service, `honor_labels` for the job/service/pod labels relabelling gives in production). "
        f"History for the long windows was backfilled with `promtool tsdb create-blocks-from openmetrics`: 6h of the "
        f"payment/wallet SLI series, 30 days of the `slo:sli_*requests:rate5m` recordings, 1 day of `revenue_total` "
        f"and 8 days of `currency:revenue:increase1d`. Figures: the largest `prometheus_rule_group_last_duration_seconds` "
        f"seen per group, sampled every 5s for {args.minutes:g} minutes after a {WARM_UP:.0f}s warm-up "
        f"(each group's first evaluation left out).",
        "",
        f"Series: {head_series:,.0f} in the head, {fleet_series:,.0f} exposed by the fleet, of which "
        f"{histogram_series:,.0f} `http_server_requests_seconds_*`; slowest target scrape {scrape_seconds * 1000:.0f} ms. "
        f"Rule evaluation failures: {failures:.0f}. Machine load while sampling (shared with other work): {load.text()}.",
        "",
        "| group | interval | evaluations | max duration | share of interval | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *[f"| {name} | {m['interval']:g} s | {m['evaluations']:.0f} | {m['last_duration'] * 1000:.1f} ms "
          f"| {100 * m['last_duration'] / m['interval']:.2f}% | {'< 5% ✓' if m['last_duration'] / m['interval'] < TARGET_SHARE else '≥ 5% ✗'} |"
          for name, m in rows],
        "",
        f"Largest share: **{100 * top_share:.2f}%** of the interval (target < {100 * TARGET_SHARE:g}%): "
        f"{'every group within target' if top_share < TARGET_SHARE else 'target missed'}.",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "## Rule evaluation", section)
    return 0 if top_share < TARGET_SHARE else 1


if __name__ == "__main__":
    sys.exit(main())
