"""The local stack's time scale: every duration that paces detection and notification, divided.

With factor 20 a 15s scrape interval becomes 750ms, PaymentServiceDown's `for: 30s` 1.5s and the
5-minute escalation 15s. Whole-system fast-forward: rule range windows (`[5m]`, `offset 1w`) shrink
too, so a 5-minute failure ratio reacts as it would over 5 real minutes. Numbers written as plain
seconds in an expression (`* 300`, `> 900`) are not durations to PromQL and stay as they are.
Scrapes have a floor (MIN_SCRAPE_TIMEOUT, below). The real durations are proven by the promtool
and amtool tests; at factor 1 nothing changes.

Pure functions over the parsed documents (dicts from yaml.safe_load); they return new documents.
"""
from __future__ import annotations

import copy
import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_FULL_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
# A range `[5m]`, a subquery `[1h:5m]` / `[1h:]`, or `offset 1w`; strings are matched first so
# that a regex such as "[0-9]{2}m" inside quotes is left alone.
_PROMQL_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
    r"|\[\s*(?P<range>[0-9a-z]+)\s*(?::\s*(?P<step>[0-9a-z]*)\s*)?\]"
    r"|(?P<offset>\boffset\s+-?)(?P<offset_duration>[0-9a-z]+)"
)


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration (`15s`, `1h30m`, `500ms`)."""
    if not _FULL_DURATION.match(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest exact Prometheus duration for `seconds`, at millisecond resolution (at least 1ms)."""
    millis = max(1, round(seconds * 1000))
    if millis % 1000:
        return f"{millis}ms"
    whole = millis // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def scale_duration(text: str, factor: float) -> str:
    if factor == 1:
        return text
    return format_duration(parse_duration(text) / factor)


def scale_promql(expr: str, factor: float) -> str:
    """`expr` with every range, subquery and offset duration divided by `factor`."""
    if factor == 1:
        return expr

    def replace(match: re.Match) -> str:
        if match.group("range") is not None:
            step = match.group("step")
            scaled = scale_duration(match.group("range"), factor)
            if step is None:
                return f"[{scaled}]"
            return f"[{scaled}:{scale_duration(step, factor) if step else ''}]"
        if match.group("offset") is not None:
            return match.group("offset") + scale_duration(match.group("offset_duration"), factor)
        return match.group(0)  # a string literal

    return _PROMQL_TOKEN.sub(replace, expr)


# A target's failure takes its own wall-clock time to report: postgres_exporter answers a scrape
# only after about 1-2s when its database is down. A shorter scrape timeout would hide pg_up=0
# behind a failed scrape, so scaled scrapes never go below this (the interval follows).
MIN_SCRAPE_TIMEOUT = 2.5


def scale_prometheus_config(config: dict, factor: float) -> dict:
    config = copy.deepcopy(config)
    if "evaluation_interval" in config.get("global", {}):
        config["global"]["evaluation_interval"] = scale_duration(config["global"]["evaluation_interval"], factor)
    if factor == 1:
        return config
    for section in [config.get("global", {}), *config.get("scrape_configs", [])]:
        if "scrape_timeout" in section:
            timeout = max(parse_duration(section["scrape_timeout"]) / factor, MIN_SCRAPE_TIMEOUT)
            section["scrape_timeout"] = format_duration(timeout)
        if "scrape_interval" in section:
            interval = max(parse_duration(section["scrape_interval"]) / factor, MIN_SCRAPE_TIMEOUT)
            section["scrape_interval"] = format_duration(interval)
    return config


def override_intervals(config: dict, interval: str) -> dict:
    """Every scrape interval (timeout capped to it) and the global evaluation interval set to
    `interval`: the detection-latency benchmark runs real time (factor 1) with 1s intervals.
    Rule groups with an interval of their own (1m recording groups) keep it."""
    config = copy.deepcopy(config)
    seconds = parse_duration(interval)
    config["global"]["evaluation_interval"] = interval
    for section in [config["global"], *config.get("scrape_configs", [])]:
        if section is config["global"] or "scrape_interval" in section:
            section["scrape_interval"] = interval
        if "scrape_timeout" in section and parse_duration(section["scrape_timeout"]) > seconds:
            section["scrape_timeout"] = interval
    return config


# A `for` of two or more scrape intervals means one failed scrape never fires the alert. The scrape
# floor above stretches local scrapes more than the time scale shrinks a `for` (at factor 20 a 15s
# scrape takes 2.5s, a `for: 30s` 1.5s): the alert would fire on a single slow scrape of a busy
# machine. So a scaled `for` keeps as many local scrape intervals as it spans in production, up to this.
MIN_SCRAPES_IN_FOR = 2


def scale_for(seconds: float, factor: float, scrape: tuple[float, float] | None = None) -> float:
    """`seconds` of `for` divided by `factor`, but spanning at least as many local scrape intervals as
    production ones, up to MIN_SCRAPES_IN_FOR; scrape = (production interval, local interval)."""
    scaled = seconds / factor
    if scrape is not None:
        production, local = scrape
        scaled = max(scaled, min(seconds / production, MIN_SCRAPES_IN_FOR) * local)
    return scaled


def scale_rule_file(rules: dict, factor: float, scrape: tuple[float, float] | None = None) -> dict:
    """Durations divided by `factor`; with `scrape` (production and local scrape interval, seconds),
    each `for` also keeps its scrapes (scale_for)."""
    rules = copy.deepcopy(rules)
    for group in rules.get("groups", []):
        if "interval" in group:
            group["interval"] = scale_duration(group["interval"], factor)
        for rule in group.get("rules", []):
            rule["expr"] = scale_promql(str(rule["expr"]), factor)
            if "for" in rule and factor != 1 and parse_duration(rule["for"]) > 0:
                rule["for"] = format_duration(scale_for(parse_duration(rule["for"]), factor, scrape))
            if "keep_firing_for" in rule:
                rule["keep_firing_for"] = scale_duration(rule["keep_firing_for"], factor)
    return rules


def scale_alertmanager_config(config: dict, factor: float) -> dict:
    config = copy.deepcopy(config)
    if "resolve_timeout" in config.get("global", {}):
        config["global"]["resolve_timeout"] = scale_duration(config["global"]["resolve_timeout"], factor)

    def walk(route: dict) -> None:
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if key in route:
                route[key] = scale_duration(route[key], factor)
        for child in route.get("routes", []) or []:
            walk(child)

    walk(config["route"])
    return config


# The exporter's pacing: how often each group refreshes, recounts, and how long it lets rows settle.
EXPORTER_PACING = ("interval", "recount_interval", "safety_lag")


def scale_exporter_config(config: dict, factor: float) -> dict:
    config = copy.deepcopy(config)
    for group in config.get("groups", {}).values():
        for key in EXPORTER_PACING:
            if key in group:
                group[key] = scale_duration(str(group[key]), factor)
    return config
