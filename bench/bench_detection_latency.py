"""Detection latency of PaymentServiceDown, end to end, over repeated drills (not a test).

    .venv/bin/python bench/bench_detection_latency.py [--drills 10] [--write]

Starts the local stack (local/stack.py) in real time (time scale 1: production `for`, group_wait,
resend delay) but with 1s scrape and evaluation intervals, then repeats the payment-down drill of
local/tests/test_drills.py: take both payment pods down, time until PagerDuty and Slack
#critical-alerts have the page at the sinks, recover, wait for the resolved notifications and for
Alertmanager to drop the emptied group (so that each drill pays group_wait afresh, as a new incident
does). The bound is the drills' own (local/rendered.py: Rendered.detection_bound).
Prints a Markdown section; `--write` replaces `## Detection latency` in bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.results import replace_section  # noqa: E402
from local.observe import Observer, first  # noqa: E402
from local.stack import LocalStack  # noqa: E402
from local.rendered import Rendered  # noqa: E402

ALERT, RECEIVER = "PaymentServiceDown", "oncall-critical"
INTERVALS = "1s"
# Alertmanager drops an emptied aggregation group in its maintenance, every 30s (not configurable);
# an alert joining a leftover group waits for the group's next group_interval tick instead of group_wait.
GROUP_MAINTENANCE = 31.0


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (no interpolation between drills)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def wait_quiet(observer: Observer, timeout: float) -> None:
    """Until PaymentServiceDown is neither in Prometheus nor active in any Alertmanager."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        in_prometheus = observer.query(f'ALERTS{{alertname="{ALERT}"}}')
        in_alertmanager = [a for am in observer.stack.alertmanagers
                           for a in observer.http.get(f"{am.url}/api/v2/alerts?active=true&filter=alertname%3D{ALERT}", timeout=5).json()]
        if not in_prometheus and not in_alertmanager:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{ALERT} still active after {timeout}s")


def drill(observer: Observer, bound: float, recovery_timeout: float) -> float:
    observer.mark()
    started = time.time()
    observer.service_faults("payment", down=True)
    pagerduty, slack = observer.wait_for(
        lambda ns: (lambda p, s: (p, s) if p and s else None)(first(ns, "pagerduty", ALERT, "firing"),
                                                              first(ns, "slack", ALERT, "firing", "#critical-alerts")),
        bound + 30)
    latency = max(pagerduty.time, slack.time) - started
    observer.service_faults("payment", down=False)
    observer.wait_for(lambda ns: first(ns, "pagerduty", ALERT, "resolved"), recovery_timeout)
    wait_quiet(observer, 30)
    time.sleep(GROUP_MAINTENANCE)
    return latency


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drills", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="record the section in bench/RESULTS.md")
    args = parser.parse_args()

    with LocalStack(time_scale=1, intervals=INTERVALS, log=lambda m: print(f"local: {m}", file=sys.stderr)) as stack:
        observer = Observer(stack)
        rendered = Rendered(stack)
        observer.heal()
        wait_quiet(observer, 120)
        bound = rendered.detection_bound(ALERT, RECEIVER)
        parts = {"scrape": rendered.scrape, "for": rendered.for_(ALERT), "evaluation": rendered.evaluation(ALERT),
                 "group_wait": rendered.route(RECEIVER)["group_wait"], "resend delay": rendered.resend_delay}
        recovery = rendered.scrape + rendered.evaluation(ALERT) + rendered.route(RECEIVER)["group_interval"] + 30
        latencies = []
        for i in range(args.drills):
            latencies.append(drill(observer, bound, recovery))
            print(f"drill {i + 1}/{args.drills}: {latencies[-1]:.2f}s (bound {bound:.2f}s)", file=sys.stderr, flush=True)
        stack.check_processes()

    figures = {"min": min(latencies), "p50": quantile(latencies, 0.5), "p90": quantile(latencies, 0.9), "max": max(latencies)}
    without_resend = bound - parts["resend delay"]
    lines = [
        "## Detection latency",
        "",
        f"Measured {dt.date.today()} by `bench/bench_detection_latency.py` on this machine: {_machine()}. The local stack "
        f"(`local/stack.py`, rendered production configuration) at time scale 1, with scrape and evaluation intervals "
        f"overridden to {INTERVALS}; {len(latencies)} payment-down drills in a row (both payment pods stop answering), each "
        f"timed from the fault to the later of the PagerDuty and Slack `#critical-alerts` notifications at the sinks; "
        f"between drills the service recovers, the resolved page arrives, and Alertmanager drops the emptied group "
        f"(its 30s maintenance), so every drill is a new incident that pays group_wait.",
        "",
        "Bound (the drills' `Rendered.detection_bound`): "
        + " + ".join(f"{name} {value:g}s" for name, value in parts.items()) + f" = **{bound:g}s**"
        + f" ({without_resend:g}s without the resend delay).",
        "",
        "| drills | min | p50 | p90 | max | bound | all within bound |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {len(latencies)} | " + " | ".join(f"{v:.2f} s" for v in figures.values())
        + f" | {bound:g} s | {'yes' if figures['max'] <= bound else 'no'} |",
        "",
        "Each drill (s): " + ", ".join(f"{v:.2f}" for v in latencies) + f"; mean {statistics.mean(latencies):.2f}.",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "## Detection latency", section)
    return 0


def _machine() -> str:
    import os
    return f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


if __name__ == "__main__":
    sys.exit(main())
