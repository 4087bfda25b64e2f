"""`make local`: the production monitoring configuration, running on this machine.

    python -m local [--time-scale 10]

Renders the production stack, starts every part on 127.0.0.1, prints what runs where and a few
commands to try, and runs until Ctrl-C, which stops everything and removes the run directory.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from local.stack import SERVICES, LocalStack
from testsupport.pinned_tools import binary


def describe(stack: LocalStack) -> str:
    am = stack.alertmanagers
    s = stack.time_scale
    lines = [
        "",
        f"Waqiti monitoring, locally (time scale {s:g}: every interval, `for` and Alertmanager wait is divided by {s:g})",
        "",
        f"  Prometheus            {stack.prometheus.url}          (alerts: {stack.prometheus.url}/alerts)",
        *[f"  Alertmanager peer {i}   {a.url}" for i, a in enumerate(am)],
        f"  business exporter     {stack.exporter_url}/metrics",
        f"  postgres_exporter     http://127.0.0.1:{stack.ports.postgres_exporter}/metrics",
        f"  blackbox_exporter     {stack.blackbox_url}/probe?module=http_2xx&target={stack.health_url('payment')}",
        f"  PostgreSQL            127.0.0.1:{stack.postgres.port}  database {stack.database}",
        f"  traffic generator     {stack.traffic_url}/faults",
        *[f"  {name + ' service':<21} {stack.service_url(name)}/faults   pods: "
          + ", ".join(f"http://127.0.0.1:{p}/actuator/prometheus" for p in stack.ports.service_pods[name])
          for name in SERVICES],
        f"  notifications sink    {stack.sinks_url}/requests   (Slack, PagerDuty, status page, webhooks)",
        f"                        {stack.sinks_url}/emails     (SMTP on {stack.sinks.smtp_address})",
        f"  SNS (moto)            {stack.moto_url}/moto-api/data.json",
        f"  run directory         {stack.run_dir}   (rendered build/, logs, secrets; removed on exit)",
        "",
        "Try:",
        f"  curl -X POST {stack.service_url('payment')}/faults -d '{{\"down\": true}}'    # PaymentServiceDown: "
        f"page + Slack within ~{(15 + 30 + 15) / s:.0f}s, SMS after {300 / s:.0f}s unless silenced",
        f"  curl -s {stack.sinks_url}/requests | python3 -m json.tool | less                 # what PagerDuty and Slack got",
        f"  {binary('amtool')} --alertmanager.url={am[0].url} silence add alertname=PaymentServiceDown --comment=ack -d 1h   # acknowledge",
        f"  curl -X POST {stack.traffic_url}/faults -d '{{\"payment_failure_ratio\": 0.08}}'    # 8% of payments fail",
        f"  curl -X POST {stack.traffic_url}/reconciliation-failure                      # a wallet drifts from its ledger",
        f"  curl -X POST {stack.service_url('wallet')}/faults -d '{{\"slow\": 0.4}}'          # wallet P95 over 200ms",
        f"  curl -X DELETE {stack.service_url('payment')}/faults; curl -X DELETE {stack.traffic_url}/faults   # heal",
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=10.0,
                        help="divide every interval and wait by this (default 10: a 5-minute escalation takes 30s)")
    parser.add_argument("--exporter-image", action="store_true",
                        help="run the business exporter from its built image (make images) instead of the source tree")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(args.time_scale, log=lambda message: print(f"local: {message}", flush=True),
                       exporter_image=args.exporter_image)
    try:
        stack.start()
        if not stop.is_set():
            print(describe(stack), flush=True)
            stop.wait()
    except Exception as error:  # say what failed, then still stop everything
        print(f"local: failed to start: {error}", file=sys.stderr)
        return_code = 1
    else:
        return_code = 0
    finally:
        print("local: stopping everything", flush=True)
        stack.stop()
        print("local: stopped; nothing left running", flush=True)
    return return_code


if __name__ == "__main__":
    sys.exit(main())
