"""The image's HEALTHCHECK, as the Deployment's liveness probe: the exporter answers /healthz (its
process is up and its refresh loops are alive) on the port it serves by default.

    python -m exporter.healthcheck      # exit 0 when healthy
"""
from __future__ import annotations

import sys
import urllib.request

from exporter import DEFAULT_PORT


def main() -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{DEFAULT_PORT}/healthz", timeout=2) as response:
        return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
