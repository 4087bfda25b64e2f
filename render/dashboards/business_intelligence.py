"""Business intelligence dashboards: Revenue Analytics, User Analytics, Risk Management."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from model.slo import SloSpec
from render.dashboards import alerts
from render.dashboards.layout import Board
from render.dashboards.panels import (
    Query, RATE, bar_gauge_panel, firing_alerts_table, lower_limit, rate, stacked_panel, stat_panel, sum_by,
    timeseries_panel, trend_panel, upper_limit,
)
from render.dashboards.targets import (
    FRAUD_FALSE_POSITIVE_RATE_MAX,
    FRAUD_MODEL_ACCURACY_MIN,
    REGISTRATIONS_PER_HOUR_MIN,
    REVENUE_VS_7D_AVERAGE_MIN,
)
from render.dashboards.money import ACTIVE_TIMEFRAMES_NOTE, fees, revenue
from render.dashboards.variables import currency_variable, eq, select

FOLDER = "business-intelligence"
SUBSCRIPTION = eq("source", "subscriptions")  # the `source` of revenue_total that subscriptions book (exporter allowlist)


def revenue_analytics(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="revenue-analytics",
        title="Revenue Analytics",
        description="Revenue against its 7-day average, fee collection by type and subscription revenue, per currency.",
        folder=FOLDER,
        variables=[currency_variable()],
        time_from="now-7d",
    )
    _revenue_row(board, settings)
    _fees_row(board)
    _subscriptions_row(board)
    return board.build()


def _subscriptions(function: str, window: str) -> str:  # net of reversals (render/dashboards/money.py)
    return revenue(function, window, SUBSCRIPTION)


def _revenue_row(board: Board, settings: Settings) -> None:
    board.row("Revenue").add(
        stat_panel(
            "Revenue today vs 7-day average",
            "Revenue of the last 24 hours as a share of the daily average of the last 7 days, per currency; "
            "the alert fires below 80%.",
            units.PercentUnit,
            Query(
                f"sum by (currency) ({revenue('increase', '1d')}) / (sum by (currency) ({revenue('increase', '7d')}) / 7)",
                "{{currency}}",
            ),
            thresholds=lower_limit(REVENUE_VS_7D_AVERAGE_MIN),
            links=[alerts.runbook_link(settings, alerts.REVENUE_DROP)],
            decimals=1,
            w=8,
            h=8,
        ),
        trend_panel(
            "Daily revenue run rate vs 7-day average",
            "Revenue of the last hour extrapolated to a day, against the average day of the last 7 days.",
            units.Short,
            Query(f"sum by (currency) ({revenue('rate', '1h')}) * 86400", "{{currency}} last hour"),
            Query(f"sum by (currency) ({revenue('rate', '7d')}) * 86400", "{{currency}} 7-day average"),
            w=16,
        ),
        stacked_panel(
            "Revenue per hour by source",
            "Revenue per hour by source and currency.",
            units.Short,
            sum_by("source, currency", revenue("rate", RATE), 3600),
        ),
        bar_gauge_panel(
            "Revenue by source (24h)",
            "Revenue booked in the last 24 hours by source and currency.",
            units.Short,
            sum_by("source, currency", revenue("increase", "24h")),
            min_value=0,
        ),
    )


def _fees_row(board: Board) -> None:
    board.row("Fees").add(
        stacked_panel(
            "Fees collected per hour by type",
            "Fees collected per hour by fee type and currency.",
            units.Short,
            sum_by("fee_type, currency", fees("rate", RATE), 3600),
        ),
        bar_gauge_panel(
            "Fees by type (24h)",
            "Fees collected in the last 24 hours by fee type and currency.",
            units.Short,
            sum_by("fee_type, currency", fees("increase", "24h")),
            min_value=0,
        ),
    )


def _subscriptions_row(board: Board) -> None:
    board.row("Subscriptions").add(
        stat_panel(
            "Subscription revenue (30d)",
            "Subscription revenue of the last 30 days, per currency.",
            units.Short,
            sum_by("currency", _subscriptions("increase", "30d")),
            sparkline=False,
            w=6,
        ),
        stat_panel(
            "Subscription share of revenue (30d)",
            "Subscriptions' share of all revenue over the last 30 days, per currency.",
            units.PercentUnit,
            Query(
                f"sum by (currency) ({_subscriptions('increase', '30d')}) / sum by (currency) ({revenue('increase', '30d')})",
                "{{currency}}",
            ),
            sparkline=False,
            decimals=1,
            w=6,
        ),
        trend_panel(
            "Subscription revenue per day",
            "Subscription revenue per day, per currency.",
            units.Short,
            sum_by("currency", _subscriptions("rate", RATE), 86400),
        ),
    )


def user_analytics(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="user-analytics",
        title="User Analytics",
        description="Registration trends by source, active users and the KYC verification funnel.",
        folder=FOLDER,
        time_from="now-7d",
    )
    _registrations_row(board, settings)
    _engagement_row(board)
    _kyc_row(board)
    return board.build()


def _registrations_row(board: Board, settings: Settings) -> None:
    registrations = select("user_registrations_total")
    board.row("Registrations").add(
        stat_panel(
            "Registrations in the last hour",
            "New users in the last hour; the alert fires below 10 per hour for 30 minutes.",
            units.Short,
            Query(f"sum(increase({registrations}[1h]))"),
            thresholds=lower_limit(REGISTRATIONS_PER_HOUR_MIN),
            links=[alerts.runbook_link(settings, alerts.USER_REGISTRATION_ANOMALY)],
        ),
        stat_panel(
            "Registrations (24h)",
            "New users in the last 24 hours.",
            units.Short,
            Query(f"sum(increase({registrations}[24h]))"),
        ),
        trend_panel(
            "Registrations per hour",
            "New users per hour, all sources; the dashed line is the 10 per hour anomaly floor.",
            units.Short,
            Query(f"sum(rate({registrations}[{RATE}])) * 3600", "registrations/h"),
            thresholds=lower_limit(REGISTRATIONS_PER_HOUR_MIN),
            links=[alerts.runbook_link(settings, alerts.USER_REGISTRATION_ANOMALY)],
        ),
        stacked_panel(
            "Registrations per hour by source",
            "New users per hour by acquisition source.",
            units.Short,
            sum_by("source", rate(registrations), 3600),
        ),
        stacked_panel(
            "Registrations per hour by user type",
            "New users per hour by user type.",
            units.Short,
            sum_by("user_type", rate(registrations), 3600),
        ),
    )


def _engagement_row(board: Board) -> None:
    active = select("user_active_total")
    board.row("Engagement").add(
        stat_panel(
            "Active users",
            f"Distinct active users; {ACTIVE_TIMEFRAMES_NOTE}.",
            units.Short,
            Query(f"max by (timeframe) ({active})", "{{timeframe}}"),
            w=12,
        ),
        stat_panel(
            "Stickiness (DAU / MAU)",
            "Users active in the last 24 hours as a share of those active in the last 30 days (rolling, not the calendar month).",
            units.PercentUnit,
            Query(f'max({select("user_active_total", eq("timeframe", "day"))})'
                  f' / max({select("user_active_total", eq("timeframe", "month"))})'),
            decimals=1,
            w=12,
        ),
        trend_panel(
            "Active users over time",
            f"Distinct active users; {ACTIVE_TIMEFRAMES_NOTE}.",
            units.Short,
            Query(f"max by (timeframe) ({active})", "{{timeframe}}"),
            w=24,
        ),
    )


def _kyc_row(board: Board) -> None:
    kyc = select("user_verification_status")
    board.row("KYC funnel").add(
        bar_gauge_panel(
            "Users by KYC status",
            "Users at each step of KYC verification.",
            units.Short,
            sum_by("kyc_status", kyc),
            min_value=0,
        ),
        stat_panel(
            "KYC verified share",
            "Share of users whose KYC verification succeeded.",
            units.PercentUnit,
            Query(f'sum({select("user_verification_status", eq("kyc_status", "verified"))}) / sum({kyc})'),
            decimals=1,
            w=12,
            h=8,
        ),
        stacked_panel("KYC status over time", "Users per KYC status over time.", units.Short, sum_by("kyc_status", kyc), w=24),
    )


def risk_management(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="risk-management",
        title="Risk Management",
        description="Fraud model accuracy and false positives, alert volume by model version, AML/KYC screening.",
        folder=FOLDER,
        alert_matchers=['team=~"fraud|compliance"'],
        time_from="now-7d",
    )
    _fraud_models_row(board)
    _alert_volume_row(board)
    _screening_row(board, settings)
    return board.build()


def _fraud_models_row(board: Board) -> None:
    accuracy = select("fraud_detection_accuracy")
    false_positives = select("false_positive_rate")
    board.row("Fraud models").add(
        bar_gauge_panel(
            "Model accuracy by version",
            "Accuracy of each fraud model version in service.",
            units.PercentUnit,
            Query(f"max by (model_version) ({accuracy})", "{{model_version}}"),
            thresholds=lower_limit(FRAUD_MODEL_ACCURACY_MIN),
            min_value=0,
            max_value=1,
        ),
        bar_gauge_panel(
            "False positive rate by detection type",
            "Share of fraud detections later cleared as legitimate, per detection type.",
            units.PercentUnit,
            Query(f"max by (detection_type) ({false_positives})", "{{detection_type}}"),
            thresholds=upper_limit(FRAUD_FALSE_POSITIVE_RATE_MAX),
            min_value=0,
            max_value=1,
        ),
        timeseries_panel(
            "Model accuracy over time",
            "Accuracy of each fraud model version.",
            units.PercentUnit,
            Query(f"max by (model_version) ({accuracy})", "{{model_version}}"),
            thresholds=lower_limit(FRAUD_MODEL_ACCURACY_MIN),
            max_value=1,
        ),
        trend_panel(
            "False positive rate over time",
            "False positive rate per detection type.",
            units.PercentUnit,
            Query(f"max by (detection_type) ({false_positives})", "{{detection_type}}"),
            thresholds=upper_limit(FRAUD_FALSE_POSITIVE_RATE_MAX),
        ),
    )


def _alert_volume_row(board: Board) -> None:
    fraud_alerts = select("fraud_alerts_total")
    board.row("Alert volume").add(
        stacked_panel(
            "Fraud alerts per hour by model version",
            "Fraud alerts raised per hour by the model version that raised them.",
            units.Short,
            sum_by("model_version", rate(fraud_alerts), 3600),
        ),
        stacked_panel(
            "Fraud alerts per hour by risk level",
            "Fraud alerts raised per hour by risk level.",
            units.Short,
            sum_by("risk_level", rate(fraud_alerts), 3600),
        ),
    )


def _screening_row(board: Board, settings: Settings) -> None:
    kyc = select("user_verification_status")
    board.row("AML / KYC screening").add(
        stat_panel(
            "Screenings pending",
            "Users whose KYC/AML screening has not concluded.",
            units.Short,
            Query(f'sum({select("user_verification_status", eq("kyc_status", "pending"))})'),
        ),
        stat_panel(
            "Screenings rejected",
            "Users whose KYC/AML screening was rejected.",
            units.Short,
            Query(f'sum({select("user_verification_status", eq("kyc_status", "rejected"))})'),
        ),
        stacked_panel("Screening outcomes over time", "Users per KYC/AML screening status.", units.Short, sum_by("kyc_status", kyc)),
        firing_alerts_table(alerts.runbook_data_link(settings), 'team=~"fraud|compliance"'),
    )


DASHBOARDS = (revenue_analytics, user_analytics, risk_management)
