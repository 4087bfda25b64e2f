"""A child server process on loopback: start, wait until an HTTP endpoint answers, stop.

ServerProcess runs one; LoopbackServer is the lifecycle that the Prometheus and Alertmanager
helpers (and the local stack) share, so they all behave the same way.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests


def _die_with_parent() -> None:
    """In the child: SIGTERM it when the process that started it dies, even by SIGKILL (Linux), so
    a killed test worker or `make local` leaves no server behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class ServerProcess:
    """Runs `argv`, logging to `log_path`; `wait_ready` polls `ready_url` until it answers 200."""

    def __init__(self, argv: list[str], log_path: Path, ready_url: str, env: dict[str, str] | None = None):
        self.argv = argv
        self.log_path = log_path
        self.ready_url = ready_url
        self.env = env  # added to this process's environment
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            preexec_fn=_die_with_parent)

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

    def terminate(self) -> None:
        """Ask it to stop without waiting (stop() then waits): many processes stop in parallel."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class LoopbackServer:
    """What Prometheus and Alertmanager helpers share: a work directory, one ServerProcess, and
    the start/stop/cleanup lifecycle (also as a context manager).

    Subclasses set `self.port` and `self._work_dir`, then call `_launch(argv, log_name)`;
    they may extend `cleanup()` to remove more.
    """

    port: int
    _work_dir: Path
    _process: ServerProcess

    def _launch(self, argv: list[str], log_name: str, ready_path: str = "/-/ready",
                env: dict[str, str] | None = None) -> None:
        self._process = ServerProcess(argv, self._work_dir / log_name, f"{self.url}{ready_path}", env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self._process.process
        return process.pid if process is not None else None

    def running(self) -> bool:
        process = self._process.process
        return process is not None and process.poll() is None

    def start(self, timeout: float = 30.0):
        self._process.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        self._process.wait_ready(timeout)

    def stop(self) -> None:
        self._process.stop()

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        """SIGKILL, as a crashed node: no graceful shutdown."""
        self._process.kill()

    def log(self) -> str:
        return self._process.log_tail(200)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()
