"""A child server process on loopback: start, wait until an HTTP endpoint answers, stop.

ServerProcess runs one; LoopbackServer is the lifecycle that the Prometheus and Alertmanager
helpers (and the local stack) share, so they all behave the same way: a server given no port
picks one and, when another process took it first, picks again (testsupport/ports.py).
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Optional, TypeVar

import requests

from testsupport.ports import PICK_ATTEMPTS, TOOLKIT_LISTENING, in_use, pick_port, reported_port

T = TypeVar("T")


class PortInUse(RuntimeError):
    """The server could not bind its port: another process took it after it was picked."""


def start_retrying(start: Callable[[], T], attempts: int = PICK_ATTEMPTS) -> T:
    """`start()` again while it fails with PortInUse (it must pick its ports anew each time)."""
    for attempt in range(attempts):
        try:
            return start()
        except PortInUse:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _die_with_parent() -> None:
    """In the child: SIGTERM it when the process that started it dies, even by SIGKILL (Linux), so
    a killed test worker or `make local` leaves no server behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class ServerProcess:
    """Runs `argv`, logging to `log_path`; `wait_ready` polls `ready_url` until it answers 200."""

    def __init__(self, argv: list[str], log_path: Path, ready_url: str, env: dict[str, str] | None = None,
                 pass_fds: tuple[int, ...] = ()):
        self.argv = argv
        self.log_path = log_path
        self.ready_url = ready_url  # may name {port}: the port the server reports (wait_reported_port)
        self.env = env  # added to this process's environment
        self.pass_fds = pass_fds  # listening sockets the server is handed (testsupport/ports.py)
        self.process: subprocess.Popen | None = None
        self.log_offset = 0
        self.port: int | None = None  # as the server reported it (wait_reported_port)

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        with open(self.log_path, "ab") as log:
            self.log_offset = log.tell()  # where this start's output begins (the log is kept across restarts)
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            preexec_fn=_die_with_parent, pass_fds=self.pass_fds)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            message = f"{self.argv[0]} exited with {self.process.returncode}:\n{self.log_tail()}"
            raise PortInUse(message) if in_use(self._this_run_log()) else RuntimeError(message)

    def _this_run_log(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_reported_port(self, pattern=None, timeout: float = 30.0) -> int:
        """The port the server bound (it was told port 0) as its log reports it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = reported_port(self._this_run_log(), pattern or TOOLKIT_LISTENING)
            if port is not None:
                self.port, self.ready_url = port, self.ready_url.format(port=port)
                return port
            self._check_alive()
            time.sleep(0.05)
        raise TimeoutError(f"{self.argv[0]} did not report its port after {timeout}s:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
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

    Subclasses set `self._work_dir` and call `_launch(port, log_name)`, and build their command
    line in `_argv()` from `self.port`; they may extend `cleanup()` to remove more. Without a
    port the server picks one at each start and, should another process take it first, picks
    again; a given port is used as it is.
    """

    port: int
    _work_dir: Path
    _process: ServerProcess

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _launch(self, port: Optional[int], log_name: str, ready_path: str = "/-/ready",
                env: dict[str, str] | None = None) -> None:
        self._given_port = port
        self.port = port or pick_port()
        self._log_name, self._ready_path, self._env = log_name, ready_path, env
        self._process = self._new_process()

    def _new_process(self) -> ServerProcess:
        return ServerProcess(self._argv(), self._work_dir / self._log_name, self._ready_url(), self._env)

    def _ready_url(self) -> str:
        """Where readiness is asked (a subclass may add a login)."""
        return f"{self.url}{self._ready_path}"

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
        def attempt():
            self._process.start()
            try:
                self.wait_ready(timeout)
            except PortInUse:
                if self._given_port is None:
                    self.port = pick_port()  # picked anew for the next attempt
                    self._process = self._new_process()
                raise
            return self

        return start_retrying(attempt, PICK_ATTEMPTS if self._given_port is None else 1)

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
