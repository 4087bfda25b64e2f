"""The exporter's HTTP server under attack, on loopback (not a test).

    .venv/bin/python bench/bench_exporter_attacks.py [--seconds 20] [--baseline-rev REV] [--write]

Starts exporter/server.py's HttpServer in its own process, serving a /metrics body of the size of a
real exposition, and for each attack measures, from a separate process, a well-behaved scraper (one
keep-alive connection, GET /metrics every 50 ms) and the server process's RSS and file descriptors:
  * none: the scraper alone;
  * slowloris: 100 connections sending a request head one byte a second, reconnecting when cut;
  * concurrent: 500 connections opened at once, each scraping /metrics once a second (keep-alive,
    reading every response), reconnecting when cut;
  * pipelining: 200 connections that each send 1,000 pipelined GET /metrics and never read
    (receive buffer 4 KiB), reconnecting when cut.
Every loop is bounded by --seconds. `--baseline-rev REV` measures exporter/server.py as it was at REV
too (the server before hardening). `--write` replaces the `## Exporter HTTP server under attack`
section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.results import replace_section  # noqa: E402

HEADING = "## Exporter HTTP server under attack"
SCRAPE_EVERY = 0.05
ATTACKS = ("none", "slowloris", "concurrent", "pipelining")
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: exporter\r\n\r\n"

SERVER = """
import importlib.util, sys, time
sys.path.insert(0, {repo!r})
spec = importlib.util.spec_from_file_location("bench_server", {module!r})
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)
body = "".join(
    f'payment_transactions_total{{{{status="s{{i % 4}}",currency="C{{i % 40}}",payment_method="m{{i % 5}}"}}}} {{i}}\\n'
    for i in range(1200)).encode()
http = server.HttpServer("127.0.0.1", 0, server.make_routes(lambda: body, lambda: []))
http.start()
print(http.port, len(body), flush=True)
time.sleep(3600)
"""


# --- the server process ---------------------------------------------------------------------------
def start_server(module: Path) -> tuple[subprocess.Popen, int, int]:
    process = subprocess.Popen([sys.executable, "-c", SERVER.format(repo=str(REPO), module=str(module))],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port, size = map(int, process.stdout.readline().split())
    return process, port, size


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- attackers (their own process, one asyncio loop) --------------------------------------------------
async def _slowloris(port: int, until: float) -> None:
    while time.monotonic() < until:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for byte in b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
                if time.monotonic() >= until:
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(1)
            writer.close()
        except (ConnectionError, OSError):
            await asyncio.sleep(0.1)


async def _read_response(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    await reader.readexactly(length)


async def _concurrent(port: int, until: float) -> None:
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while time.monotonic() < until:
                writer.write(REQUEST)
                await _read_response(reader)
                await asyncio.sleep(1)
            writer.close()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.1)


async def _pipelining(port: int, until: float) -> None:
    while time.monotonic() < until:
        try:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
            _, writer = await asyncio.open_connection(sock=sock)
            writer.write(REQUEST * 1000)
            await asyncio.wait_for(writer.drain(), max(0.1, until - time.monotonic()))
            while time.monotonic() < until and not writer.is_closing():   # never read; wait to be cut
                await asyncio.sleep(0.5)
                writer.write(b"")
                await writer.drain()
            writer.close()
        except (ConnectionError, OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.1)


ATTACKERS = {"slowloris": (_slowloris, 100), "concurrent": (_concurrent, 500), "pipelining": (_pipelining, 200)}


def attack(kind: str, port: int, seconds: float) -> None:
    function, count = ATTACKERS[kind]
    until = time.monotonic() + seconds

    async def run() -> None:
        await asyncio.gather(*(function(port, until) for _ in range(count)), return_exceptions=True)

    asyncio.run(run())


# --- the well-behaved scraper --------------------------------------------------------------------
def scrape_latencies(port: int, seconds: float, pid: int) -> tuple[list[float], int, float, int]:
    """(latencies, failed scrapes, max RSS MiB, max fds), sampled while scraping."""
    latencies, failures, max_rss, max_fds = [], 0, 0.0, 0
    sock, stream = None, None
    until = time.monotonic() + seconds
    for _ in range(int(seconds / SCRAPE_EVERY) + 1):
        if time.monotonic() >= until:
            break
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                stream = sock.makefile("rb")
            started = time.perf_counter()
            sock.sendall(REQUEST)
            length = 0
            if not stream.readline().startswith(b"HTTP/1.1 200"):
                raise ConnectionError("not 200")
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            if len(stream.read(length)) != length:
                raise ConnectionError("short body")
            latencies.append(time.perf_counter() - started)
        except (OSError, ConnectionError, ValueError):
            failures += 1
            if sock is not None:
                sock.close()
            sock = None
        max_rss, max_fds = max(max_rss, rss_mib(pid)), max(max_fds, open_fds(pid))
        time.sleep(SCRAPE_EVERY)
    if sock is not None:
        sock.close()
    return latencies, failures, max_rss, max_fds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(module: Path, kind: str, seconds: float) -> dict:
    process, port, size = start_server(module)
    try:
        time.sleep(0.5)
        rss_before = rss_mib(process.pid)
        attacker = None
        if kind != "none":
            attacker = multiprocessing.Process(target=attack, args=(kind, port, seconds + 2), daemon=True)
            attacker.start()
            time.sleep(2)   # let the attack build up
        latencies, failures, max_rss, max_fds = scrape_latencies(port, seconds, process.pid)
        if attacker is not None:
            attacker.join(timeout=30)
            if attacker.is_alive():
                attacker.kill()
        time.sleep(1)
        return {"attack": kind, "body": size, "scrapes": len(latencies), "failed": failures,
                "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
                "max_ms": max(latencies, default=float("nan")) * 1000, "rss_before": rss_before, "rss_max": max_rss,
                "fds_max": max_fds, "fds_after": open_fds(process.pid)}
    finally:
        process.kill()
        process.wait()


def table(rows: list[dict]) -> str:
    lines = ["| attack | scrapes ok / failed | p50 ms | p99 ms | max ms | RSS MiB before → max | fds max / after |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['attack']} | {r['scrapes']} / {r['failed']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['max_ms']:.1f} | {r['rss_before']:.1f} → {r['rss_max']:.1f} | {r['fds_max']} / {r['fds_after']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--baseline-rev", help="also measure exporter/server.py as of this git revision")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    versions = [("hardened (this tree)", REPO / "exporter" / "server.py")]
    if args.baseline_rev:
        old = Path(tempfile.mkdtemp()) / "server_before.py"
        old.write_text(subprocess.run(["git", "-C", str(REPO), "show", f"{args.baseline_rev}:exporter/server.py"],
                                      check=True, capture_output=True, text=True).stdout)
        versions.insert(0, (f"before ({args.baseline_rev})", old))
    sections = [HEADING, "",
                f"`bench/bench_exporter_attacks.py --seconds {args.seconds:g}` on {platform.machine()}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}; server, attackers and scraper are "
                "three processes on loopback. The scraper: one keep-alive connection, GET /metrics every 50 ms; "
                "a failed scrape reconnects. Attacks: slowloris = 100 connections sending a head one byte a "
                "second; concurrent = 500 connections each scraping once a second; pipelining = 200 connections "
                "each sending 1,000 pipelined requests and never reading. Target: p99 < 10 ms, RSS bounded.", ""]
    for name, module in versions:
        rows = []
        for kind in ATTACKS:
            rows.append(measure(module, kind, args.seconds))
            print(name, rows[-1], flush=True)
        sections += [f"### {name}", "", f"/metrics body {rows[0]['body']} bytes.", "", table(rows), ""]
    text = "\n".join(sections)
    print(text)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", HEADING, text)


if __name__ == "__main__":
    main()
