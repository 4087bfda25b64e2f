"""Operational dashboards: Payment Service, Wallet Service, Infrastructure."""

from __future__ import annotations

from typing import Callable

from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from render.dashboards import alerts, service_panels
from render.dashboards.layout import Board
from render.dashboards.panels import (
    Query,
    firing_alerts_table,
    lower_limit,
    stat_panel,
    timeseries_panel,
    upper_limit,
)
from render.dashboards.targets import (
    DB_POOL_UTILISATION_MAX,
    PAYMENT,
    RESOURCE_UTILISATION_MAX,
    TRANSACTION_FAILURE_RATIO_MAX,
    WALLET,
    ServiceSLA,
)
from render.dashboards.variables import (
    BY_CURRENCY,
    BY_NAMESPACE,
    FINISHED_PAYMENTS,
    BY_SERVICE,
    currency_variable,
    eq,
    namespace_variable,
    select,
    service_variable,
)

FOLDER = "operational"
RATE = "$__rate_interval"
CONTAINERS = 'container!=""'  # cAdvisor also reports pod-level cgroups with an empty container label: skip them


# --- shared by the service dashboards ---------------------------------------------------------


def _of_service_pods(sla: ServiceSLA, per_pod: str) -> str:
    """Restrict a per-(namespace, pod) cAdvisor expression to the pods the service's scrape job finds."""
    return f'{per_pod} * on (namespace, pod) (max by (namespace, pod) ({select("up", eq("job", sla.job))}) == 1)'


def _service_dashboard(
    settings: Settings, sla: ServiceSLA, description: str, business_rows: Callable[[Board], None]
) -> model.Dashboard:
    requests = select("http_server_requests_seconds_count", eq("job", sla.job))
    errors = select("http_server_requests_seconds_count", eq("job", sla.job), 'status=~"5.."')
    pool_used = select("db_connections_used", eq("service", sla.service))
    pool_max = select("db_connections_max", eq("service", sla.service))
    cpu = select("container_cpu_usage_seconds_total", CONTAINERS)
    memory = select("container_memory_working_set_bytes", CONTAINERS)
    board = Board(
        settings,
        name=f"{sla.service}-service",
        title=f"{sla.title} Service",
        description=description,
        folder=FOLDER,
        variables=[currency_variable()],
        alert_matchers=[eq("service", sla.service)],
    )
    board.row("Service level").add(
        service_panels.instances_up_stat(settings, sla),
        service_panels.availability_stat(settings, sla),
        service_panels.error_rate_stat(sla),
        service_panels.p95_stat(sla),
        service_panels.latency_compliance_stat(settings, sla),
        service_panels.error_budget_gauge(settings, sla, h=4),
    )
    board.row("Requests").add(
        service_panels.request_rate_timeseries(sla),
        service_panels.error_rate_timeseries(sla),
        service_panels.latency_timeseries(sla),
        timeseries_panel(
            "Top endpoints by request rate",
            "The ten busiest endpoints (method and URI template), requests per second.",
            units.RequestsPerSecond,
            Query(f"topk(10, sum by (method, uri) (rate({requests}[{RATE}])))", "{{method}} {{uri}}"),
            min_value=0,
        ),
        timeseries_panel(
            "Top endpoints by 5xx rate",
            "The ten endpoints answering most 5xx responses, per second, by status.",
            units.RequestsPerSecond,
            Query(f"topk(10, sum by (method, uri, status) (rate({errors}[{RATE}])))", "{{method}} {{uri}} {{status}}"),
            min_value=0,
        ),
    )
    board.row("Saturation").add(
        timeseries_panel(
            "Database connection pool utilisation",
            "Busiest instance's share of its database connection pool in use; the alert fires above 80%.",
            units.PercentUnit,
            Query(f"max by (pool) ({pool_used} / {pool_max})", "{{pool}}"),
            thresholds=upper_limit(DB_POOL_UTILISATION_MAX),
            links=[alerts.runbook_link(settings, alerts.DATABASE_CONNECTION_POOL_HIGH)],
            min_value=0,
            max_value=1,
            w=8,
        ),
        timeseries_panel(
            "CPU by pod",
            "CPU cores used by each pod of the service (cAdvisor).",
            units.Short,
            Query(_of_service_pods(sla, f"sum by (namespace, pod) (rate({cpu}[{RATE}]))"), "{{pod}}"),
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Memory by pod",
            "Working-set memory of each pod of the service (cAdvisor).",
            units.BytesIEC,
            Query(_of_service_pods(sla, f"sum by (namespace, pod) ({memory})"), "{{pod}}"),
            min_value=0,
            w=8,
        ),
    )
    business_rows(board)
    board.row("Alerts").add(firing_alerts_table(alerts.runbook_data_link(settings), eq("service", sla.service)))
    return board.build()


# --- Payment Service --------------------------------------------------------------------------


def _payment_rows(settings: Settings) -> Callable[[Board], None]:
    transactions = select("payment_transactions_total", BY_CURRENCY)
    finished = select("payment_transactions_total", FINISHED_PAYMENTS, BY_CURRENCY)
    failed = select("payment_transactions_total", eq("status", "failed"), BY_CURRENCY)
    processing = select("payment_processing_time_seconds_bucket")

    def add(board: Board) -> None:
        board.row("Transactions").add(
            timeseries_panel(
                "Transactions by status",
                "Payment transactions per minute by status (completed, failed, pending, refunded).",
                units.OpsPerMinute,
                Query(f"sum by (status) (rate({transactions}[{RATE}])) * 60", "{{status}}"),
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Transaction failure rate",
                "Share of payment transactions that fail, per currency; the alert fires above 5% for 2 minutes.",
                units.PercentUnit,
                Query(
                    f"sum by (currency) (rate({failed}[{RATE}])) / sum by (currency) (rate({finished}[{RATE}]))",
                    "{{currency}}",
                ),
                thresholds=upper_limit(TRANSACTION_FAILURE_RATIO_MAX),
                links=[alerts.runbook_link(settings, alerts.PAYMENT_FAILURE_RATE_HIGH)],
                min_value=0,
            ),
            timeseries_panel(
                "Processing time P50 / P95 / P99",
                "End-to-end payment processing time percentiles; the dashed line is the 500ms P95 target.",
                units.Seconds,
                *(
                    Query(
                        f"histogram_quantile({quantile}, sum by (le) (rate({processing}[{RATE}])))",
                        f"P{round(quantile * 100)}",
                    )
                    for quantile in (0.5, 0.95, 0.99)
                ),
                thresholds=upper_limit(PAYMENT.p95_latency_seconds),
                min_value=0,
            ),
            timeseries_panel(
                "Transactions by payment method",
                "Payment transactions per minute by payment method.",
                units.OpsPerMinute,
                Query(f"sum by (payment_method) (rate({transactions}[{RATE}])) * 60", "{{payment_method}}"),
                stacked=True,
                min_value=0,
            ),
        )

    return add


def payment_service(settings: Settings) -> model.Dashboard:
    return _service_dashboard(
        settings,
        PAYMENT,
        "Request rate, latency percentiles, errors and saturation of the payment service, and the transactions it processes.",
        _payment_rows(settings),
    )


# --- Wallet Service ---------------------------------------------------------------------------


def _wallet_rows(settings: Settings) -> Callable[[Board], None]:
    operations = select("wallet_operations_total")
    changes = select("wallet_balance_changes_total", BY_CURRENCY)
    balances = select("wallet_balance_total", BY_CURRENCY)
    reconciliation = select("wallet_balance_reconciliation_failures")

    def add(board: Board) -> None:
        board.row("Balances").add(
            stat_panel(
                "Reconciliation failures",
                "Wallets whose balance does not reconcile with the ledger; any is critical and freezes the wallets.",
                units.NoUnit,
                Query(f"max({reconciliation})"),
                thresholds=upper_limit(1),
                links=[alerts.runbook_link(settings, alerts.WALLET_BALANCE_INCONSISTENCY)],
                w=6,
                h=8,
            ),
            timeseries_panel(
                "Reconciliation failures over time",
                "Wallet balance reconciliation failures; the alert fires when above 0 for 1 minute.",
                units.NoUnit,
                Query(f"max({reconciliation})", "failures"),
                thresholds=upper_limit(1),
                links=[alerts.runbook_link(settings, alerts.WALLET_BALANCE_INCONSISTENCY)],
                min_value=0,
                w=18,
            ),
            timeseries_panel(
                "Balance operations by type",
                "Wallet operations per second by operation type.",
                units.OpsPerSecond,
                Query(f"sum by (operation_type) (rate({operations}[{RATE}]))", "{{operation_type}}"),
                stacked=True,
                min_value=0,
            ),
            timeseries_panel(
                "Balance changes by currency and type",
                "Balance changes per second by currency and change type (credit, debit, …).",
                units.OpsPerSecond,
                Query(f"sum by (currency, change_type) (rate({changes}[{RATE}]))", "{{currency}} {{change_type}}"),
                min_value=0,
            ),
            timeseries_panel(
                "Total wallet balance by currency",
                "Sum of all wallet balances, in each currency.",
                units.Short,
                Query(f"sum by (currency) ({balances})", "{{currency}}"),
            ),
            timeseries_panel(
                "Total wallet balance by user type",
                "Sum of all wallet balances by user type and currency.",
                units.Short,
                Query(f"sum by (user_type, currency) ({balances})", "{{user_type}} {{currency}}"),
            ),
        )

    return add


def wallet_service(settings: Settings) -> model.Dashboard:
    return _service_dashboard(
        settings,
        WALLET,
        "Request rate, latency percentiles, errors and saturation of the wallet service, balance operations and reconciliation.",
        _wallet_rows(settings),
    )


# --- Infrastructure ---------------------------------------------------------------------------


def infrastructure(settings: Settings) -> model.Dashboard:
    board = Board(
        settings,
        name="infrastructure",
        title="Infrastructure",
        description="Kubernetes nodes and pods, PostgreSQL, Redis, Kafka and the Istio mesh.",
        folder=FOLDER,
        variables=[namespace_variable(), service_variable()],
    )
    _kubernetes_rows(settings, board)
    _postgres_rows(settings, board)
    _redis_row(board)
    _kafka_row(board)
    _istio_row(board)
    return board.build()


def _kubernetes_rows(settings: Settings, board: Board) -> None:
    ready = select("kube_node_status_condition", eq("condition", "Ready"), eq("status", "true"))
    not_ready = select("kube_node_status_condition", eq("condition", "Ready"), 'status=~"false|unknown"')
    phases = select("kube_pod_status_phase", BY_NAMESPACE)
    not_running = select("kube_pod_status_phase", BY_NAMESPACE, 'phase=~"Pending|Failed|Unknown"')
    restarts = select("kube_pod_container_status_restarts_total", BY_NAMESPACE)
    # Node series come from node-exporter, whose instance label is the node's name.
    node_exporter = eq("job", "node-exporter")
    idle_cpu = select("node_cpu_seconds_total", node_exporter, eq("mode", "idle"))
    filesystems = 'fstype!~"tmpfs|overlay|squashfs"'
    board.row("Kubernetes").add(
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
        timeseries_panel(
            "Node CPU utilisation",
            "Share of CPU time each node spends busy.",
            units.PercentUnit,
            Query(f"1 - avg by (instance) (rate({idle_cpu}[{RATE}]))", "{{instance}}"),
            thresholds=upper_limit(RESOURCE_UTILISATION_MAX),
            min_value=0,
            max_value=1,
            w=8,
        ),
        timeseries_panel(
            "Node memory utilisation",
            "Share of each node's memory not available to new work.",
            units.PercentUnit,
            Query(
                f'1 - {select("node_memory_MemAvailable_bytes", node_exporter)} / {select("node_memory_MemTotal_bytes", node_exporter)}',
                "{{instance}}",
            ),
            thresholds=upper_limit(RESOURCE_UTILISATION_MAX),
            min_value=0,
            max_value=1,
            w=8,
        ),
        timeseries_panel(
            "Node filesystem utilisation",
            "Fullest filesystem of each node (tmpfs and overlays excluded).",
            units.PercentUnit,
            Query(
                f'max by (instance) (1 - {select("node_filesystem_avail_bytes", node_exporter, filesystems)}'
                f' / {select("node_filesystem_size_bytes", node_exporter, filesystems)})',
                "{{instance}}",
            ),
            thresholds=upper_limit(RESOURCE_UTILISATION_MAX),
            min_value=0,
            max_value=1,
            w=8,
        ),
        timeseries_panel(
            "Pods by phase",
            "Pods in the selected namespaces by phase.",
            units.Short,
            Query(f"sum by (phase) ({phases})", "{{phase}}"),
            stacked=True,
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "CPU by namespace",
            "CPU cores used by the containers of each namespace (cAdvisor).",
            units.Short,
            Query(
                f'sum by (namespace) (rate({select("container_cpu_usage_seconds_total", BY_NAMESPACE, CONTAINERS)}[{RATE}]))',
                "{{namespace}}",
            ),
            stacked=True,
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Memory by namespace",
            "Working-set memory of the containers of each namespace (cAdvisor).",
            units.BytesIEC,
            Query(
                f'sum by (namespace) ({select("container_memory_working_set_bytes", BY_NAMESPACE, CONTAINERS)})',
                "{{namespace}}",
            ),
            stacked=True,
            min_value=0,
            w=8,
        ),
    )


def _postgres_rows(settings: Settings, board: Board) -> None:
    hits = select("pg_stat_database_blks_hit")
    reads = select("pg_stat_database_blks_read")
    board.row("PostgreSQL").add(
        stat_panel(
            "PostgreSQL up",
            "Whether postgres_exporter reaches every database server (1) or not (0).",
            units.NoUnit,
            Query(f'min({select("pg_up")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        timeseries_panel(
            "Server connections used",
            "Backends connected to each server as a share of max_connections.",
            units.PercentUnit,
            Query(
                f'sum by (instance) ({select("pg_stat_database_numbackends")})'
                f' / max by (instance) ({select("pg_settings_max_connections")})',
                "{{instance}}",
            ),
            thresholds=upper_limit(DB_POOL_UTILISATION_MAX),
            min_value=0,
            max_value=1,
            w=9,
        ),
        timeseries_panel(
            "Transactions",
            "Commits and rollbacks per second, all databases.",
            units.OpsPerSecond,
            Query(f'sum(rate({select("pg_stat_database_xact_commit")}[{RATE}]))', "commits"),
            Query(f'sum(rate({select("pg_stat_database_xact_rollback")}[{RATE}]))', "rollbacks"),
            min_value=0,
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
        timeseries_panel(
            "Deadlocks",
            "Deadlocks detected per second, per database.",
            units.OpsPerSecond,
            Query(f'sum by (datname) (rate({select("pg_stat_database_deadlocks")}[{RATE}]))', "{{datname}}"),
            thresholds=upper_limit(0.01),
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Database size",
            "On-disk size of each database.",
            units.BytesIEC,
            Query(f'max by (datname) ({select("pg_database_size_bytes")})', "{{datname}}"),
            min_value=0,
            w=8,
        ),
    )
    board.row("Application connection pools").add(
        timeseries_panel(
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
            min_value=0,
            max_value=1,
            w=24,
        ),
    )


def _redis_row(board: Board) -> None:
    hits = select("redis_keyspace_hits_total")
    misses = select("redis_keyspace_misses_total")
    board.row("Redis").add(
        stat_panel(
            "Redis up",
            "Whether redis_exporter reaches every Redis server (1) or not (0).",
            units.NoUnit,
            Query(f'min({select("redis_up")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        timeseries_panel(
            "Memory used",
            "Memory used by each Redis server, and its maxmemory limit where set.",
            units.BytesIEC,
            Query(f'max by (instance) ({select("redis_memory_used_bytes")})', "{{instance}} used"),
            Query(f'max by (instance) ({select("redis_memory_max_bytes")}) > 0', "{{instance}} max"),
            min_value=0,
            w=9,
        ),
        timeseries_panel(
            "Connected clients",
            "Client connections to each Redis server.",
            units.Short,
            Query(f'max by (instance) ({select("redis_connected_clients")})', "{{instance}}"),
            min_value=0,
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
        timeseries_panel(
            "Commands processed",
            "Commands per second, per server.",
            units.OpsPerSecond,
            Query(f'sum by (instance) (rate({select("redis_commands_processed_total")}[{RATE}]))', "{{instance}}"),
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Evicted keys",
            "Keys evicted per second because maxmemory was reached.",
            units.OpsPerSecond,
            Query(f'sum by (instance) (rate({select("redis_evicted_keys_total")}[{RATE}]))', "{{instance}}"),
            thresholds=upper_limit(1),
            min_value=0,
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
        timeseries_panel(
            "Consumer group lag",
            "Messages not yet consumed, per consumer group and topic.",
            units.Short,
            Query(
                f'sum by (consumergroup, topic) ({select("kafka_consumergroup_lag")})', "{{consumergroup}} {{topic}}"
            ),
            min_value=0,
        ),
        timeseries_panel(
            "Messages produced by topic",
            "Messages appended per second, per topic.",
            units.MessagesPerSecond,
            Query(
                f'sum by (topic) (rate({select("kafka_topic_partition_current_offset")}[{RATE}]))', "{{topic}}"
            ),
            min_value=0,
            w=24,
        ),
    )


def _istio_row(board: Board) -> None:
    inbound = select("istio_requests_total", eq("reporter", "destination"))
    inbound_5xx = select("istio_requests_total", eq("reporter", "destination"), 'response_code=~"5.."')
    durations = select("istio_request_duration_milliseconds_bucket", eq("reporter", "destination"))
    board.row("Istio mesh").add(
        timeseries_panel(
            "Mesh requests by destination service",
            "Requests per second received by each service in the mesh.",
            units.RequestsPerSecond,
            Query(
                f"sum by (destination_service_name) (rate({inbound}[{RATE}]))", "{{destination_service_name}}"
            ),
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Mesh 5xx ratio by destination service",
            "Share of requests answered 5xx, per destination service, as the sidecars see them.",
            units.PercentUnit,
            Query(
                f"sum by (destination_service_name) (rate({inbound_5xx}[{RATE}]))"
                f" / sum by (destination_service_name) (rate({inbound}[{RATE}]))",
                "{{destination_service_name}}",
            ),
            min_value=0,
            w=8,
        ),
        timeseries_panel(
            "Mesh P95 latency by destination service",
            "95th percentile request duration per destination service, as the sidecars see it.",
            units.Milliseconds,
            Query(
                f"histogram_quantile(0.95, sum by (destination_service_name, le) (rate({durations}[{RATE}])))",
                "{{destination_service_name}}",
            ),
            min_value=0,
            w=8,
        ),
    )


DASHBOARDS = (payment_service, wallet_service, infrastructure)
