"""Reading rendered dashboards back: their panels, the PromQL of each, and the metrics it names.

Used by the tests (every query parses, every metric exists) and by the README generator (which
panels read recording rules). Needs `promql-parser` (a dev requirement), so the renderer itself
never imports this module.
"""

from __future__ import annotations

import re
from typing import Iterator

import promql_parser

# Grafana's interval variables stand where PromQL wants a duration; every other variable sits
# inside a label matcher's quotes, where any word will do.
_INTERVAL_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}")
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel that shows data (rows are containers, not panels), including those inside collapsed rows."""
    for panel in dashboard.get("panels", []):
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def expressions(panel: dict) -> list[str]:
    return [target["expr"] for target in panel.get("targets", [])]


def variable_references(expr: str) -> set[str]:
    """Names of the non-builtin Grafana variables an expression uses (`$currency`, `${cluster}`)."""
    return {a or b for a, b in _VARIABLE.findall(expr)} - {"", "__rate_interval", "__interval", "__range"}


def as_promql(expr: str) -> str:
    """The expression with Grafana's variables replaced by values Prometheus would accept."""
    expr = _INTERVAL_VARIABLES.sub("5m", expr)
    return _VARIABLE.sub("x", expr)


def parse(expr: str):
    return promql_parser.parse(as_promql(expr))


def _selectors(node) -> Iterator[promql_parser.VectorSelector]:
    if isinstance(node, promql_parser.VectorSelector):
        yield node
    elif isinstance(node, promql_parser.MatrixSelector):
        yield node.vector_selector
    elif isinstance(node, promql_parser.BinaryExpr):
        yield from _selectors(node.lhs)
        yield from _selectors(node.rhs)
    elif isinstance(node, promql_parser.Call):
        for argument in node.args:
            yield from _selectors(argument)
    elif isinstance(node, promql_parser.AggregateExpr):
        yield from _selectors(node.expr)
        if node.param is not None:
            yield from _selectors(node.param)
    elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        yield from _selectors(node.expr)


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every series selector of an expression, in order."""
    return list(_selectors(parse(expr)))


def selector_name(selector: promql_parser.VectorSelector) -> str:
    if selector.name:
        return selector.name
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__":
            return matcher.value
    raise ValueError(f"selector without a metric name: {selector}")


def metric_names(expr: str) -> set[str]:
    return {selector_name(selector) for selector in selectors(expr)}


def is_recording_rule(metric: str) -> bool:
    """Recording rules are named level:metric:operations; exported metrics never contain a colon."""
    return ":" in metric


def label_values_selector(variable_query: str) -> str | None:
    """The series selector of a `label_values(<selector>, <label>)` variable query, if it is one."""
    match = _LABEL_VALUES.match(variable_query.strip())
    return match.group("selector") if match else None
