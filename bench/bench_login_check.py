"""What the ingress's login check costs per UI request (not a test).

    .venv/bin/python bench/bench_login_check.py [--requests 40] [--write]

Runs the rendered login check (Debian's nginx, the production stack's nginx.conf, an htpasswd of
three logins made by the program: bcrypt cost 12) on loopback as tests/test_ingress_auth.py does,
then asks it with a valid login: one client at a time (latency per check), then four at once
(checks per second of its two workers). A refused login costs the same bcrypt; a missing header
costs nothing. Prints a Markdown section; `--write` replaces `## Login check` in bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import bcrypt
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.results import replace_section  # noqa: E402
from tests.test_ingress_auth import LoginCheck  # noqa: E402
from tools.pulumi_engine import placeholder_secrets, run_program  # noqa: E402

PASSWORDS = {"alice": "bench-alice-1", "bob": "bench-bob-2", "carol": "bench-carol-3"}
CONCURRENCY = 4


def timed(check: LoginCheck) -> float:
    started = time.perf_counter()
    answer = check.ask("bob", PASSWORDS["bob"])
    assert 200 <= answer.status_code < 300, answer.status_code
    return (time.perf_counter() - started) * 1000


def bcrypt_cpu_ms(line: str, password: str, rounds: int = 5) -> float:
    """CPU time of one check of an htpasswd line, in this process: what nginx's crypt() does per request."""
    hashed = line.split(":", 1)[1].encode()
    started = time.process_time()
    for _ in range(rounds):
        assert bcrypt.checkpw(password.encode(), hashed)
    return (time.process_time() - started) / rounds * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    run = run_program("production", overrides={"ingressBasicAuthUsers": list(PASSWORDS)},
                      secrets={**placeholder_secrets(), "ingressBasicAuthPasswords": json.dumps(PASSWORDS)})
    conf = run.get("ConfigMap", "ingress-auth-config").manifest["data"]["nginx.conf"]
    htpasswd = run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"]
    cpu = bcrypt_cpu_ms(htpasswd.splitlines()[1], PASSWORDS["bob"])
    load = os.getloadavg()[0]
    with LoginCheck(conf, htpasswd) as check:
        timed(check)  # warm
        serial = [timed(check) for _ in range(args.requests)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda _: timed(check), range(args.requests)))
        per_second = args.requests / (time.perf_counter() - started)
    section = f"""## Login check

Measured {dt.date.today().isoformat()} by `bench/bench_login_check.py` on this machine: {os.cpu_count()} cores (shared with other work), {platform.system()} {platform.release()}, Debian's nginx with the rendered nginx.conf (2 workers), htpasswd of 3 logins, bcrypt cost 12. Every UI request through the ingress waits for one check. Load average at the start: {load:.1f} (other work shares the cores, and the benchmark ran under `nice -n 10`), so the wall times are upper bounds; the CPU time is the cost.

| what | figure |
| --- | ---: |
| CPU time of one bcrypt check (cost 12) | {cpu:.0f} ms |
| one check, one client at a time: p50 / p99 ({args.requests} checks) | {statistics.median(serial):.0f} / {percentile(serial, 0.99):.0f} ms |
| checks per second, {CONCURRENCY} clients at once (one pod) | {per_second:.1f} |
"""
    print(section)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "## Login check", section)


if __name__ == "__main__":
    main()
