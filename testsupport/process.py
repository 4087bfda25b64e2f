"""A child server process on loopback: start, wait until an HTTP endpoint answers, stop.

Shared by the Prometheus and Alertmanager helpers so both behave the same way.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests


class ServerProcess:
    """Runs `argv`, logging to `log_path`; `wait_ready` polls `ready_url` until it answers 200."""

    def __init__(self, argv: list[str], log_path: Path, ready_url: str):
        self.argv = argv
        self.log_path = log_path
        self.ready_url = ready_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.ready_url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.argv[0]} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
