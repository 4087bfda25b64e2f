"""The machine's load while a benchmark measured: its figures are only as good as the CPU it had.

    with LoadAverage() as load:
        ... measure ...
    load.text()   # "1-minute load average 3.1 to 9.8 (mean 6.0) on 2 cores"
"""
from __future__ import annotations

import os
import statistics
import threading


class LoadAverage:
    """Samples the 1-minute load average every `interval` seconds in the background."""

    def __init__(self, interval: float = 5.0):
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LoadAverage":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.interval):
                return

    def text(self) -> str:
        if not self.samples:
            return "load average not sampled"
        return (f"1-minute load average {min(self.samples):.1f} to {max(self.samples):.1f} "
                f"(mean {statistics.mean(self.samples):.1f}) on {os.cpu_count()} cores")
