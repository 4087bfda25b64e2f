"""The alerts that dashboard panels watch, and the runbook link of each.

The names are those the alerting issue gives the spec's alerts (PascalCase of the spec's titles);
the runbook of an alert lives at `{alerting.runbook_base_url}/<AlertName>.md`, as its
`runbook_url` annotation says.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from model.settings import Settings
from model.urls import runbook_url

# The spec's critical financial, business and infrastructure alerts.
PAYMENT_SERVICE_DOWN = "PaymentServiceDown"
WALLET_SERVICE_DOWN = "WalletServiceDown"
PAYMENT_FAILURE_RATE_HIGH = "PaymentFailureRateHigh"
WALLET_BALANCE_INCONSISTENCY = "WalletBalanceInconsistency"
REVENUE_DROP = "RevenueDrop"
USER_REGISTRATION_ANOMALY = "UserRegistrationAnomaly"
DATABASE_CONNECTION_POOL_HIGH = "DatabaseConnectionPoolHigh"
KUBERNETES_NODE_NOT_READY = "KubernetesNodeNotReady"
# The public endpoints as the blackbox exporter probes them, and their certificates.
ENDPOINT_PROBE_FAILED = "EndpointProbeFailed"
CERTIFICATE_EXPIRING_SOON = "CertificateExpiringSoon"
# The SLA alerts (multi-window burn rate on the SLO recording rules).
SLO_ERROR_BUDGET_BURN = "SLOErrorBudgetBurn"
# The monitoring stack watching itself.
BUSINESS_EXPORTER_STALE = "BusinessExporterStale"
PROMETHEUS_RULE_FAILURES = "PrometheusRuleFailures"
ALERTMANAGER_FAILED_TO_SEND_ALERTS = "AlertmanagerFailedToSendAlerts"

SERVICE_DOWN = {"payment": PAYMENT_SERVICE_DOWN, "wallet": WALLET_SERVICE_DOWN}


def runbook_link(settings: Settings, alert: str) -> dashboard.DashboardLink:
    """A panel link to the runbook of the alert the panel watches."""
    return (
        dashboard.DashboardLink(f"Runbook: {alert}")
        .url(runbook_url(settings, alert))
        .target_blank(True)
        .tooltip(f"What to do when {alert} fires")
    )


def runbook_data_link(settings: Settings) -> dashboard.DashboardLink:
    """A data link from a row of firing alerts (a table with an `alertname` column) to its runbook."""
    return (
        dashboard.DashboardLink("Runbook")
        .url(runbook_url(settings, "${__data.fields.alertname}"))
        .target_blank(True)
    )
