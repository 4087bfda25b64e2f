"""Template variables shared by the dashboards, and the selector helper that applies them.

Every query goes through `select()`, so every series is filtered by `$cluster` (and every business
series by the exporter's job). The cluster label is
Prometheus' external label: present once data leaves the cluster (remote_write, federation), absent
in the in-cluster Prometheus. "All" is therefore `.*`, which also matches a missing label.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as model

from render import business_metrics

PROMETHEUS_UID = "prometheus"  # the uid the Grafana component provisions its Prometheus datasource with
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
ALL = ".*"


def datasource_variable() -> dashboard.DatasourceVariable:
    return (
        dashboard.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(model.VariableOption(selected=True, text="Prometheus", value=PROMETHEUS_UID))
    )


def _label_variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    """A multi-value variable of one label's values, "All" selected by default."""
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )


def cluster_variable() -> dashboard.QueryVariable:
    return _label_variable("cluster", "Cluster", "label_values(up, cluster)")


def currency_variable() -> dashboard.QueryVariable:
    return _label_variable(
        "currency", "Currency", f"label_values({select('payment_transactions_total')}, currency)"
    )


def service_variable() -> dashboard.QueryVariable:
    return _label_variable(
        "service", "Service", 'label_values(http_server_requests_seconds_count{cluster=~"$cluster"}, service)'
    )


def namespace_variable() -> dashboard.QueryVariable:
    return _label_variable("namespace", "Namespace", 'label_values(kube_pod_info{cluster=~"$cluster"}, namespace)')


# Matchers for the variables above, to pass to select().
BY_CURRENCY = 'currency=~"$currency"'
BY_SERVICE = 'service=~"$service"'
BY_NAMESPACE = 'namespace=~"$namespace"'
# The failure rate's denominator, as PaymentFailureRateHigh has it: payments that finished. Pending and
# refunded events are status changes too, and would dilute the ratio.
FINISHED_PAYMENTS = 'status=~"completed|failed"'


def select(metric: str, *matchers: str) -> str:
    """`metric{cluster=~"$cluster", <matchers>}`: a series selector scoped to the chosen cluster.
    A business metric is read from the exporter's job only (render/business_metrics.py)."""
    if business_metrics.is_business_metric(metric):
        matchers = (business_metrics.JOB_MATCHER,) + matchers
    return metric + "{" + ", ".join(('cluster=~"$cluster"',) + matchers) + "}"


def eq(label: str, value: str) -> str:
    """An equality matcher, `label="value"`, for select()."""
    return f'{label}="{value}"'
