"""Detection latency of PaymentServiceDown, end to end, over a first incident and its recurrences (not a test).

    .venv/bin/python bench/bench_detection_latency.py [--drills 10] [--write]

Starts the local stack (local/stack.py, the pinned Prometheus and Alertmanager) in real time (time
scale 1: production `for`, group_wait, group_interval, resend delay) but with 1s scrape and
evaluation intervals, then repeats the payment-down drill of local/tests/test_drills.py: take both
payment pods down, time until PagerDuty and Slack #critical-alerts have the page at the sinks,
recover, wait for both resolved notifications, then start the next outage. The first drill is a
first incident; every later one is a recurrence of the same alert within Prometheus's 15 minutes of
resolved-alert retention, half of them right after the resolved page and half 30s later (after
Alertmanager's group maintenance). local/timeline.py timestamps each side of every drill.
The bound is the drills' own (local/rendered.py: Rendered.detection_bound): scrape + `for` +
evaluation + group_wait, no resend term; delivery is allowed DELIVERY_SLACK on top.
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
from bench.load import LoadAverage  # noqa: E402
from bench.results import replace_section  # noqa: E402
from local.observe import Observer, first  # noqa: E402
from local.stack import LocalStack  # noqa: E402
from local.rendered import Rendered  # noqa: E402
from local.tests.conftest import DELIVERY_SLACK  # noqa: E402
from local.timeline import Timeline  # noqa: E402
from testsupport.pinned_tools import projects  # noqa: E402

ALERT, RECEIVER = "PaymentServiceDown", "oncall-critical"
INTERVALS = "1s"
GAPS = (0.0, 31.0)  # from the resolved page to the next outage, alternating
SIDES = (("prometheus pending", "pending"), ("prometheus firing", "firing"), ("prometheus sent", "sent"),
         ("alertmanager received", "AM received"), ("alertmanager notified pagerduty", "AM notified PD"),
         ("sink pagerduty", "PD at sink"), ("sink slack", "Slack at sink"))


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (no interpolation between drills)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def page(notifications):
    pagerduty, slack = first(notifications, "pagerduty", ALERT, "firing"), first(notifications, "slack", ALERT, "firing", "#critical-alerts")
    return (pagerduty, slack) if pagerduty and slack else None


def resolved(notifications):
    pagerduty, slack = first(notifications, "pagerduty", ALERT, "resolved"), first(notifications, "slack", ALERT, "resolved", "#critical-alerts")
    return (pagerduty, slack) if pagerduty and slack else None


def drill(observer: Observer, bound: float, recovery_timeout: float) -> dict:
    observer.mark()
    with Timeline(observer.stack, ALERT) as timeline:
        started = time.time()
        observer.service_faults("payment", down=True)
        pagerduty, slack = observer.wait_for(page, bound + 120)
    sides = {what: when - started for what, when in timeline.events.items()}
    received = [when for what, when in sides.items() if what.endswith(" received") and what.startswith("alertmanager-")]
    if received:
        sides["alertmanager received"] = min(received)
    sides.update({"sink pagerduty": pagerduty.time - started, "sink slack": slack.time - started})
    observer.service_faults("payment", down=False)
    observer.wait_for(resolved, recovery_timeout)
    return {"latency": max(pagerduty.time, slack.time) - started, "sides": sides}


def figures(values: list[float]) -> str:
    return " | ".join(f"{v:.2f} s" for v in (min(values), quantile(values, 0.5), quantile(values, 0.95), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drills", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="record the section in bench/RESULTS.md")
    args = parser.parse_args()

    with LocalStack(time_scale=1, intervals=INTERVALS, log=lambda m: print(f"local: {m}", file=sys.stderr)) as stack:
        observer = Observer(stack)
        rendered = Rendered(stack)
        observer.heal()
        observer.wait_healthy(120)
        bound = rendered.detection_bound(ALERT, RECEIVER)
        parts = {"scrape": rendered.scrape, "for": rendered.for_(ALERT), "evaluation": rendered.evaluation(ALERT),
                 "group_wait": rendered.route(RECEIVER)["group_wait"]}
        recovery = rendered.scrape + rendered.evaluation(ALERT) + rendered.route(RECEIVER)["group_interval"] + 30
        drills = []
        with LoadAverage() as load:
            for i in range(args.drills):
                gap = 0.0 if i == 0 else GAPS[(i - 1) % len(GAPS)]
                time.sleep(gap)
                drills.append({**drill(observer, bound, recovery), "kind": "first" if i == 0 else f"recurrence, {gap:g}s after resolved"})
                print(f"drill {i + 1}/{args.drills} ({drills[-1]['kind']}): {drills[-1]['latency']:.2f}s (bound {bound:.2f}s) "
                      + ", ".join(f"{k} {v:.2f}" for k, v in sorted(drills[-1]["sides"].items(), key=lambda kv: kv[1])),
                      file=sys.stderr, flush=True)
        stack.check_processes()

    text = section(drills, bound, parts, load.text())
    print(text)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "## Detection latency", text)
    return 0


def section(drills: list[dict], bound: float, parts: dict, load: str) -> str:
    latencies = [d["latency"] for d in drills]
    recurrences = [d["latency"] for d in drills[1:]]
    limit = bound + DELIVERY_SLACK
    versions = ", ".join(f"{p.name} {p.version}" for p in projects())
    lines = [
        "## Detection latency",
        "",
        f"Measured {dt.date.today()} by `bench/bench_detection_latency.py` on this machine: {_machine()}; {versions} "
        f"(the image pins, built by `make deps`). The local stack (`local/stack.py`, rendered production configuration) at "
        f"time scale 1, with scrape and evaluation intervals overridden to {INTERVALS}; {len(drills)} payment-down drills in a "
        "row (both payment pods stop answering), each timed from the fault to the later of the PagerDuty and Slack "
        "`#critical-alerts` notifications at the sinks. Drill 1 is a first incident; every later drill is a recurrence of "
        "the same alert within Prometheus's 15 minutes of resolved-alert retention, alternately at once and 31 s after "
        f"the resolved page (after Alertmanager's 30 s group maintenance). Machine load during the drills (shared with "
        f"other work): {load}.",
        "",
        "Bound (the drills' `Rendered.detection_bound`, no resend term): "
        + " + ".join(f"{name} {value:g}s" for name, value in parts.items()) + f" = **{bound:g} s**, "
        f"plus {DELIVERY_SLACK:g} s for delivery = {limit:g} s.",
        "",
        "| drills | min | p50 | p95 | max | bound + delivery | all within |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| all {len(latencies)} | {figures(latencies)} | {limit:g} s | {'yes' if max(latencies) <= limit else 'no'} |",
    ]
    if recurrences:
        lines.append(f"| {len(recurrences)} recurrences | {figures(recurrences)} | {limit:g} s | "
                     f"{'yes' if max(recurrences) <= limit else 'no'} |")
    lines += [
        "",
        "Each side, seconds after the fault (`local/timeline.py`, polled every 100 ms): Prometheus's alert state "
        "(pending, firing), its notifier's `prometheus_notifications_sent_total` rising after firing (sent), the first "
        "Alertmanager peer listing the alert (AM received), the first peer's `alertmanager_notifications_total"
        "{integration=\"pagerduty\"}` rising (AM notified PD: sent and written to its notification log), the sinks.",
        "",
        "| drill | kind | " + " | ".join(label for _, label in SIDES) + " | latency |",
        "| ---: | --- | " + " | ".join("---:" for _ in SIDES) + " | ---: |",
    ]
    for number, d in enumerate(drills, 1):
        cells = [f"{d['sides'][key]:.2f}" if key in d["sides"] else "–" for key, _ in SIDES]
        lines.append(f"| {number} | {d['kind']} | " + " | ".join(cells) + f" | {d['latency']:.2f} |")
    lines += ["", "Each drill (s): " + ", ".join(f"{v:.2f}" for v in latencies) + f"; mean {statistics.mean(latencies):.2f}."]
    return "\n".join(lines) + "\n"


def _machine() -> str:
    import os
    return f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


if __name__ == "__main__":
    sys.exit(main())
