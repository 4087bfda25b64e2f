"""Command line: python -m exporter [--config PATH] [--listen HOST:PORT] [--log-level LEVEL]"""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from . import DEFAULT_PORT
from .config import ConfigError, load_config
from .database import conninfo_from_env
from .service import Exporter

DEFAULT_CONFIG = "/etc/exporter/config.yml"
DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporter", description=__doc__)
    parser.add_argument("--config", default=DEFAULT_CONFIG, help=f"mapping file (default {DEFAULT_CONFIG})")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, type=parse_listen,
                        help=f"address to serve /metrics, /healthz, /readyz (default {DEFAULT_LISTEN})")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # psycopg_pool retries connections on its own during an outage; one line per refresh is enough.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

    try:
        config = load_config(args.config)
        conninfo = conninfo_from_env()
    except ConfigError as exc:
        print(f"exporter: configuration error: {exc}", file=sys.stderr)
        return 2

    # Threads serving scrapes get the interpreter back within 1 ms of a refresh loop's work
    # (the default 5 ms would show in the /metrics p99).
    sys.setswitchinterval(0.001)
    host, port = args.listen
    try:
        exporter = Exporter(config, conninfo, host, port).start()
    except OSError as exc:
        print(f"exporter: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    # the port it got: with --listen HOST:0 the caller learns it here (the local stack does)
    logging.getLogger("exporter").info("listening on %s:%d", host, exporter.port)
    signal.signal(signal.SIGTERM, lambda *_: exporter.stop_event.set())
    signal.signal(signal.SIGINT, lambda *_: exporter.stop_event.set())
    code = exporter.wait()  # a configuration error found against the database was logged already
    exporter.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
