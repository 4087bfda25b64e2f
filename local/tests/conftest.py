"""One local stack per test session (the drills share it); each drill starts from a healthy stack.

The stack runs at DRILL_TIME_SCALE: a 15s scrape takes 750ms and the 5-minute escalation 15s.
Every drill records its measured latency beside the theoretical bound derived from the rendered
configuration; they are printed at the end and written to test-output/drills.json.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from local.observe import Observer
from local.rendered import Rendered
from local.stack import LocalStack

DRILL_TIME_SCALE = 20.0
ROOT = Path(__file__).resolve().parents[2]
# What the bound leaves out: HTTP delivery, and process scheduling on a busy 2-core runner.
DELIVERY_SLACK = 1.5


@dataclass
class DrillResult:
    drill: str
    what: str
    latency_s: float
    bound_s: float
    time_scale: float

    @property
    def within(self) -> bool:
        return self.latency_s <= self.bound_s + DELIVERY_SLACK


_results: list[DrillResult] = []


@pytest.fixture(scope="session")
def stack():
    with LocalStack(time_scale=DRILL_TIME_SCALE, record_events=True) as running:
        Observer(running).wait_healthy(timeout=120)
        yield running


@pytest.fixture
def observer(stack) -> Observer:
    """A healthy stack, watched from now on; healed again afterwards for the next drill."""
    observer = Observer(stack)
    observer.heal()
    observer.wait_healthy()
    observer.mark()
    yield observer
    observer.heal()


@pytest.fixture
def record():
    def record(drill: str, what: str, latency: float, bound: float) -> DrillResult:
        result = DrillResult(drill, what, round(latency, 2), round(bound, 2), DRILL_TIME_SCALE)
        _results.append(result)
        print(f"\n{drill}: {what}: measured {result.latency_s:.2f}s, bound {result.bound_s:.2f}s")
        return result

    return record


@pytest.fixture(scope="session")
def rendered(stack) -> Rendered:
    return Rendered(stack)


def pytest_sessionfinish(session, exitstatus):
    if not _results:
        return
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    path = out / "drills.json"
    previous = json.loads(path.read_text()) if path.exists() else []
    drills = {r["drill"] + "/" + r["what"]: r for r in previous}
    drills.update({r.drill + "/" + r.what: {**asdict(r), "within_bound": r.within} for r in _results})
    path.write_text(json.dumps(sorted(drills.values(), key=lambda r: r["drill"]), indent=2) + "\n")
    width = max(len(r.drill) + len(r.what) for r in _results) + 3
    lines = [f"  {(r.drill + ': ' + r.what):<{width}} {r.latency_s:6.2f}s  (bound {r.bound_s:.2f}s)" for r in _results]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nDrills at time scale {DRILL_TIME_SCALE:g} (measured vs theoretical bound):")
        for line in lines:
            reporter.write_line(line)
