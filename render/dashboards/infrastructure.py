"""Operational dashboard of the platform underneath: Kubernetes, PostgreSQL, Redis, Kafka, Istio."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from model.slo import SloSpec
from render.dashboards import alerts
from render.dashboards.layout import Board
from render.dashboards.operational_common import CONTAINERS, FOLDER
from render.dashboards.panels import (
    Query, RATE, lower_limit, rate, stat_panel, sum_by, timeseries_panel, trend_panel, upper_limit,
)
from render.dashboards.targets import DB_POOL_UTILISATION_MAX, RESOURCE_UTILISATION_MAX
from render.dashboards.variables import BY_NAMESPACE, BY_SERVICE, eq, namespace_variable, select, service_variable


# --- Infrastructure ---------------------------------------------------------------------------


def infrastructure(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="infrastructure",
        title="Infrastructure",
        description="Kubernetes nodes and pods, PostgreSQL, Redis, Kafka and the Istio mesh.",
        folder=FOLDER,
        variables=[namespace_variable(), service_variable()],
    )
    _kubernetes_rows(settings, board)
    _postgres_row(board)
    _connection_pools_row(settings, board)
    _redis_row(board)
    _kafka_row(board)
    _istio_row(board)
    return board.build()


def _kubernetes_rows(settings: Settings, board: Board) -> None:
    board.row("Kubernetes").add(*_cluster_health_stats(settings), *_node_utilisation_panels(), *_namespace_usage_panels())


def _cluster_health_stats(settings: Settings) -> list[stat.Panel]:
    ready = select("kube_node_status_condition", eq("condition", "Ready"), eq("status", "true"))
    not_ready = select("kube_node_status_condition", eq("condition", "Ready"), 'status=~"false|unknown"')
    not_running = select("kube_pod_status_phase", BY_NAMESPACE, 'phase=~"Pending|Failed|Unknown"')
    restarts = select("kube_pod_container_status_restarts_total", BY_NAMESPACE)
    return [
        stat_panel(
            "Nodes ready",
            "Nodes whose Ready condition is true.",
            units.NoUnit,
            Query(f"sum({ready})"),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Nodes not ready",
            "Nodes whose Ready condition is false or unknown; the alert fires after 2 minutes.",
            units.NoUnit,
            Query(f"sum({not_ready})"),
            thresholds=upper_limit(1),
            links=[alerts.runbook_link(settings, alerts.KUBERNETES_NODE_NOT_READY)],
            sparkline=False,
        ),
        stat_panel(
            "Pods not running",
            "Pods pending, failed or unknown in the selected namespaces.",
            units.NoUnit,
            Query(f"sum({not_running})"),
            thresholds=upper_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Container restarts (1h)",
            "Container restarts in the selected namespaces over the last hour.",
            units.Short,
            Query(f"sum(increase({restarts}[1h]))"),
            thresholds=upper_limit(5, warning=1),
            sparkline=False,
        ),
    ]


def _node_utilisation_panels() -> list[timeseries.Panel]:
    # Node series come from node-exporter, whose instance label is the node's name.
    node_exporter = eq("job", "node-exporter")
    idle_cpu = select("node_cpu_seconds_total", node_exporter, eq("mode", "idle"))
    filesystems = 'fstype!~"tmpfs|overlay|squashfs"'
    memory = f'1 - {select("node_memory_MemAvailable_bytes", node_exporter)} / {select("node_memory_MemTotal_bytes", node_exporter)}'
    filesystem = (f'max by (instance) (1 - {select("node_filesystem_avail_bytes", node_exporter, filesystems)}'
                  f' / {select("node_filesystem_size_bytes", node_exporter, filesystems)})')
    return [
        _node_utilisation("Node CPU utilisation", "Share of CPU time each node spends busy.",
                          f"1 - avg by (instance) (rate({idle_cpu}[{RATE}]))"),
        _node_utilisation("Node memory utilisation", "Share of each node's memory not available to new work.", memory),
        _node_utilisation("Node filesystem utilisation", "Fullest filesystem of each node (tmpfs and overlays excluded).", filesystem),
    ]


def _node_utilisation(title: str, description: str, expr: str) -> timeseries.Panel:
    return timeseries_panel(title, description, units.PercentUnit, Query(expr, "{{instance}}"),
                            thresholds=upper_limit(RESOURCE_UTILISATION_MAX), min_value=0, max_value=1, w=8)


def _namespace_usage_panels() -> list[timeseries.Panel]:
    phases = select("kube_pod_status_phase", BY_NAMESPACE)
    cpu = select("container_cpu_usage_seconds_total", BY_NAMESPACE, CONTAINERS)
    memory = select("container_memory_working_set_bytes", BY_NAMESPACE, CONTAINERS)
    return [
        _stacked("Pods by phase", "Pods in the selected namespaces by phase.", units.Short,
                 sum_by("phase", phases)),
        _stacked("CPU by namespace", "CPU cores used by the containers of each namespace (cAdvisor).", units.Short,
                 sum_by("namespace", rate(cpu))),
        _stacked("Memory by namespace", "Working-set memory of the containers of each namespace (cAdvisor).", units.BytesIEC,
                 sum_by("namespace", memory)),
    ]


def _stacked(title: str, description: str, unit: str, query: Query) -> timeseries.Panel:
    return timeseries_panel(title, description, unit, query, stacked=True, min_value=0, w=8)


def _up_stat(title: str, description: str, metric: str) -> stat.Panel:
    return stat_panel(
        title,
        description,
        units.NoUnit,
        Query(f"min({select(metric)})"),
        thresholds=lower_limit(1),
        sparkline=False,
    )


def _postgres_row(board: Board) -> None:
    hits = select("pg_stat_database_blks_hit")
    reads = select("pg_stat_database_blks_read")
    board.row("PostgreSQL").add(
        _up_stat("PostgreSQL up", "Whether postgres_exporter reaches every database server (1) or not (0).", "pg_up"),
        trend_panel(
            "Server connections used",
            "Backends connected to each server as a share of max_connections.",
            units.PercentUnit,
            Query(
                f'sum by (instance) ({select("pg_stat_database_numbackends")})'
                f' / max by (instance) ({select("pg_settings_max_connections")})',
                "{{instance}}",
            ),
            thresholds=upper_limit(DB_POOL_UTILISATION_MAX),
            max_value=1,
            w=9,
        ),
        trend_panel(
            "Transactions",
            "Commits and rollbacks per second, all databases.",
            units.OpsPerSecond,
            Query(f'sum(rate({select("pg_stat_database_xact_commit")}[{RATE}]))', "commits"),
            Query(f'sum(rate({select("pg_stat_database_xact_rollback")}[{RATE}]))', "rollbacks"),
            w=9,
        ),
        timeseries_panel(
            "Buffer cache hit ratio",
            "Share of block reads served from shared buffers, per database.",
            units.PercentUnit,
            Query(
                f"sum by (datname) (rate({hits}[{RATE}]))"
                f" / (sum by (datname) (rate({hits}[{RATE}])) + sum by (datname) (rate({reads}[{RATE}])))",
                "{{datname}}",
            ),
            max_value=1,
            w=8,
        ),
        trend_panel(
            "Deadlocks",
            "Deadlocks detected per second, per database.",
            units.OpsPerSecond,
            sum_by("datname", rate(select("pg_stat_database_deadlocks"))),
            thresholds=upper_limit(0.01),
            w=8,
        ),
        trend_panel(
            "Database size",
            "On-disk size of each database.",
            units.BytesIEC,
            Query(f'max by (datname) ({select("pg_database_size_bytes")})', "{{datname}}"),
            w=8,
        ),
    )


def _connection_pools_row(settings: Settings, board: Board) -> None:
    board.row("Application connection pools").add(
        trend_panel(
            "Connection pool utilisation by service",
            "Busiest instance's share of its database connection pool in use, per service and pool; "
            "the alert fires above 80% for 5 minutes.",
            units.PercentUnit,
            Query(
                f'max by (service, pool) ({select("db_connections_used", BY_SERVICE)}'
                f' / {select("db_connections_max", BY_SERVICE)})',
                "{{service}} {{pool}}",
            ),
            thresholds=upper_limit(DB_POOL_UTILISATION_MAX),
            links=[alerts.runbook_link(settings, alerts.DATABASE_CONNECTION_POOL_HIGH)],
            max_value=1,
            w=24,
        ),
    )


def _redis_row(board: Board) -> None:
    hits = select("redis_keyspace_hits_total")
    misses = select("redis_keyspace_misses_total")
    board.row("Redis").add(
        _up_stat("Redis up", "Whether redis_exporter reaches every Redis server (1) or not (0).", "redis_up"),
        trend_panel(
            "Memory used",
            "Memory used by each Redis server, and its maxmemory limit where set.",
            units.BytesIEC,
            Query(f'max by (instance) ({select("redis_memory_used_bytes")})', "{{instance}} used"),
            Query(f'max by (instance) ({select("redis_memory_max_bytes")}) > 0', "{{instance}} max"),
            w=9,
        ),
        trend_panel(
            "Connected clients",
            "Client connections to each Redis server.",
            units.Short,
            Query(f'max by (instance) ({select("redis_connected_clients")})', "{{instance}}"),
            w=9,
        ),
        timeseries_panel(
            "Keyspace hit ratio",
            "Share of key lookups that found their key.",
            units.PercentUnit,
            Query(
                f"sum(rate({hits}[{RATE}])) / (sum(rate({hits}[{RATE}])) + sum(rate({misses}[{RATE}])))",
                "hit ratio",
            ),
            max_value=1,
            w=8,
        ),
        trend_panel(
            "Commands processed",
            "Commands per second, per server.",
            units.OpsPerSecond,
            sum_by("instance", rate(select("redis_commands_processed_total"))),
            w=8,
        ),
        trend_panel(
            "Evicted keys",
            "Keys evicted per second because maxmemory was reached.",
            units.OpsPerSecond,
            sum_by("instance", rate(select("redis_evicted_keys_total"))),
            thresholds=upper_limit(1),
            w=8,
        ),
    )


def _kafka_row(board: Board) -> None:
    board.row("Kafka").add(
        stat_panel(
            "Brokers",
            "Brokers in the Kafka cluster.",
            units.NoUnit,
            Query(f'max({select("kafka_brokers")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Under-replicated partitions",
            "Partitions with fewer in-sync replicas than configured.",
            units.NoUnit,
            Query(f'sum({select("kafka_topic_partition_under_replicated_partition")})'),
            thresholds=upper_limit(1),
            sparkline=False,
        ),
        trend_panel(
            "Consumer group lag",
            "Messages not yet consumed, per consumer group and topic.",
            units.Short,
            sum_by("consumergroup, topic", select("kafka_consumergroup_lag")),
        ),
        trend_panel(
            "Messages produced by topic",
            "Messages appended per second, per topic.",
            units.MessagesPerSecond,
            sum_by("topic", rate(select("kafka_topic_partition_current_offset"))),
            w=24,
        ),
    )


def _istio_row(board: Board) -> None:
    inbound = select("istio_requests_total", eq("reporter", "destination"))
    inbound_5xx = select("istio_requests_total", eq("reporter", "destination"), 'response_code=~"5.."')
    durations = select("istio_request_duration_milliseconds_bucket", eq("reporter", "destination"))
    board.row("Istio mesh").add(
        trend_panel(
            "Mesh requests by destination service",
            "Requests per second received by each service in the mesh.",
            units.RequestsPerSecond,
            sum_by("destination_service_name", rate(inbound)),
            w=8,
        ),
        trend_panel(
            "Mesh 5xx ratio by destination service",
            "Share of requests answered 5xx, per destination service, as the sidecars see them.",
            units.PercentUnit,
            Query(
                f"sum by (destination_service_name) (rate({inbound_5xx}[{RATE}]))"
                f" / sum by (destination_service_name) (rate({inbound}[{RATE}]))",
                "{{destination_service_name}}",
            ),
            w=8,
        ),
        trend_panel(
            "Mesh P95 latency by destination service",
            "95th percentile request duration per destination service, as the sidecars see it.",
            units.Milliseconds,
            Query(
                f"histogram_quantile(0.95, sum by (destination_service_name, le) (rate({durations}[{RATE}])))",
                "{{destination_service_name}}",
            ),
            w=8,
        ),
    )

