"""What the rendered production configuration says about timing, scaled like the running local stack.

The drills (local/tests/) and the detection-latency benchmark (bench/) compare what they measure with
the bound derived here.
"""
from __future__ import annotations

import yaml

from local import timescale
from local.stack import LocalStack


class Rendered:
    """Durations as the rendered production configuration states them, scaled like the stack."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        build = stack.build_dir
        self.prometheus = yaml.safe_load((build / "prometheus" / "prometheus.yml").read_text())
        self.alertmanager = yaml.safe_load((build / "alertmanager" / "alertmanager.yml").read_text())
        self.rules = {rule["alert"]: (group, rule) for path in (build / "prometheus" / "rules").glob("*.yml")
                      for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "alert" in rule}
        self.exporter = yaml.safe_load((build / "exporter" / "config.yml").read_text())

    @property
    def scrape(self) -> float:
        """The scrape interval the local Prometheus runs (scaled, with its floor)."""
        running = yaml.safe_load(self.stack.prometheus.config_path.read_text())
        return timescale.parse_duration(running["global"]["scrape_interval"])

    def evaluation(self, alertname: str) -> float:
        """The group's own interval (scaled), else the running global one (scaled or overridden)."""
        group, _ = self.rules[alertname]
        if "interval" in group:
            return self.stack.scaled(group["interval"])
        running = yaml.safe_load(self.stack.prometheus.config_path.read_text())
        return timescale.parse_duration(running["global"]["evaluation_interval"])

    def for_(self, alertname: str) -> float:
        """The `for` the local Prometheus runs: scaled, and never fewer scrapes than in production
        (timescale.scale_for)."""
        for path in self.stack.rules_dir.glob("*.yml"):
            for group in yaml.safe_load(path.read_text())["groups"]:
                for rule in group["rules"]:
                    if rule.get("alert") == alertname:
                        return timescale.parse_duration(rule.get("for", "0s"))
        raise KeyError(f"{alertname}: not in the running rule files")

    def route(self, receiver: str) -> dict:
        """The timings a receiver's route has, with what it inherits from its parents."""
        def walk(route, inherited):
            settings = {**inherited, **{k: route[k] for k in ("group_wait", "group_interval", "repeat_interval") if k in route}}
            if route.get("receiver") == receiver and route is not self.alertmanager["route"]:
                return settings
            for child in route.get("routes", []) or []:
                found = walk(child, settings)
                if found:
                    return found
            return None

        found = walk(self.alertmanager["route"], {})
        assert found, receiver
        return {key: self.stack.scaled(value) for key, value in found.items()}

    def exporter_interval(self, group: str) -> float:
        return self.stack.scaled(self.exporter["groups"][group]["interval"])

    def exporter_safety_lag(self, group: str) -> float:
        return self.stack.scaled(self.exporter["groups"][group].get("safety_lag", "0s"))

    def detection_bound(self, alertname: str, receiver: str) -> float:
        """scrape interval + `for` + evaluation interval + group wait: from a fault to the page, for a
        first incident and for a recurrence alike (no resend term: bench/RESULTS.md, Detection latency)."""
        return self.scrape + self.for_(alertname) + self.evaluation(alertname) + self.route(receiver)["group_wait"]
